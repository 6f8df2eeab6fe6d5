// Package testserver is how the test harnesses run a third party's server
// binary (versitygw in blobstore/s3test, mailpit in mail/mailpittest):
// find it (an environment variable, bin/tools of the module where `make
// tools` builds it, or PATH), start it on its own in a process group that
// dies with the test binary, wait until it answers, and stop it. A
// missing binary is an error saying how to get it: tests never skip.
package testserver

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// Find returns the binary name: $env, bin/tools/name of the module, or
// PATH; the error says how to get it (hint: e.g. the go install command).
func Find(env, name, hint string) (string, error) {
	if p := os.Getenv(env); p != "" {
		return p, nil
	}
	if _, file, _, ok := runtime.Caller(0); ok {
		// internal/testserver/testserver.go → the module root.
		root := filepath.Join(filepath.Dir(file), "..", "..")
		if p := filepath.Join(root, "bin", "tools", name); isExecutable(p) {
			return p, nil
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("%s not found (run `make tools`, which builds it into bin/tools with `%s`, or set %s)", name, hint, env)
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// FreeAddr is a loopback address with a port nobody listens on now.
func FreeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// Process is a running server.
type Process struct {
	Dir    string // its directory, removed by Stop
	cmd    *exec.Cmd
	exited chan struct{}
}

// Start runs bin with args, its output in dir/name.log, and waits (up to
// 30 s) until ready answers nil. If the server exits first, the error
// holds its log. Either way, on failure dir is removed.
func Start(name, bin string, args []string, dir string, ready func() error) (*Process, error) {
	p := &Process{Dir: dir, exited: make(chan struct{})}
	logPath := filepath.Join(dir, name+".log")
	logf, err := os.Create(logPath)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	defer logf.Close()
	p.cmd = exec.Command(bin, args...)
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	// Its own process group, killed with the test binary's parent death.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("%s: start %s: %w", name, bin, err)
	}
	go func() { _ = p.cmd.Wait(); close(p.exited) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if ready() == nil {
			return p, nil
		}
		select {
		case <-p.exited:
			log, _ := os.ReadFile(logPath)
			os.RemoveAll(dir)
			return nil, fmt.Errorf("%s exited: %s", name, strings.TrimSpace(string(log)))
		default:
		}
		if time.Now().After(deadline) {
			p.Stop()
			return nil, errors.New(name + " did not answer within 30 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Listening is a ready check: addr accepts TCP connections.
func Listening(addr string) func() error {
	return func() error {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
		}
		return err
	}
}

// Stop ends the server (SIGTERM, then SIGKILL after 10 s) and removes its
// directory.
func (p *Process) Stop() {
	if p.cmd.Process != nil {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(10 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	}
	os.RemoveAll(p.Dir)
}
