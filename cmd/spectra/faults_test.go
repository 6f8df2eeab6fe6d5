package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// postmasterPid reads the pid the data directory's postmaster.pid names
// (0 if there is none).
func postmasterPid(t *testing.T, dir string) int {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "pg", "postmaster.pid"))
	if err != nil {
		return 0
	}
	defer f.Close()
	line, _ := bufio.NewReader(f).ReadString('\n')
	pid, _ := strconv.Atoi(strings.TrimSpace(line))
	return pid
}

func alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	if err := syscall.Kill(pid, 0); err == syscall.ESRCH {
		return false
	}
	st, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	return err == nil && !strings.Contains(string(st), ") Z ")
}

// answer is one request's status and Retry-After.
func answer(url, bearer string) (int, string) {
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	c := http.Client{Timeout: 10 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		return 0, ""
	}
	defer resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Retry-After")
}

func loginToken(t *testing.T, base, user, password string) string {
	t.Helper()
	resp, err := http.Post(base+"/auth/login", "application/json", strings.NewReader(`{"username":"`+user+`","password":"`+password+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.AccessToken == "" {
		t.Fatalf("login: %d %v", resp.StatusCode, err)
	}
	return body.AccessToken
}

// TestManagedClusterRecovers kills the managed postmaster (kill -9) under
// the real `spectra demo` (issue 11.4): spectra restarts it, /healthz and
// /readyz say 503 while it is down, API calls answer 503 with Retry-After
// (never 500) and succeed again once it is back. Then an operator
// restarts PostgreSQL from outside (pg_ctl restart): spectra keeps serving,
// and its shutdown stops the postmaster that is actually running.
func TestManagedClusterRecovers(t *testing.T) {
	dir := filepath.Join(traversableDir(t), "data")
	vars := map[string]string{"SPECTRA_DATA_DIR": dir, "SPECTRA_ADDR": "127.0.0.1:0"}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"demo"}, envOf(vars), strings.NewReader(""), &out, &errOut) }()
	base := waitFor(t, done, &out, &errOut)
	token := loginToken(t, base, "viewer@demo.lab", "view123")
	api := base + "/api/lims/samples"
	if code, _ := answer(api, token); code != http.StatusOK {
		t.Fatalf("GET samples: %d", code)
	}

	old := postmasterPid(t, dir)
	if !alive(old) {
		t.Fatalf("no running postmaster in postmaster.pid (%d)", old)
	}
	killed := time.Now()
	if err := syscall.Kill(old, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// Recovered means: a new postmaster runs, and /readyz and an API call
	// answer 200 through it (a backend of the dead one may still answer
	// for a moment after the kill).
	var ready, served time.Duration
	seen := map[string]int{}
	for deadline := killed.Add(60 * time.Second); (ready == 0 || served == 0) && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		now := postmasterPid(t, dir)
		restarted := now != old && alive(now)
		code, retry := answer(api, token)
		switch {
		case code == http.StatusOK && restarted && served == 0:
			served = time.Since(killed)
		case code == http.StatusServiceUnavailable && retry == "":
			t.Errorf("API 503 without Retry-After")
		case code != http.StatusOK && code != http.StatusServiceUnavailable:
			t.Errorf("API answered %d during the outage", code)
		}
		seen["api "+strconv.Itoa(code)]++
		if code, _ := answer(base+"/healthz", ""); code != 0 {
			seen["healthz "+strconv.Itoa(code)]++
		}
		code, _ = answer(base+"/readyz", "")
		seen["readyz "+strconv.Itoa(code)]++
		if code == http.StatusOK && restarted && ready == 0 {
			ready = time.Since(killed)
		}
	}
	if ready == 0 || served == 0 {
		t.Fatalf("not recovered within 60 s of kill -9 (readyz after %s, API after %s; answers %v)\n%s", ready, served, seen, errOut.String())
	}
	t.Logf("kill -9 of the postmaster: /readyz 200 again after %s, an API call 200 after %s; answers meanwhile: %v",
		ready.Round(time.Millisecond), served.Round(time.Millisecond), seen)
	if seen["healthz 503"] == 0 || seen["readyz 503"] == 0 {
		t.Errorf("/healthz and /readyz never said 503 while PostgreSQL was down: %v", seen)
	}
	// The supervisor logs the restart once its start returns, which may be
	// a moment after the new postmaster already answers.
	logged := func() bool {
		return strings.Contains(errOut.String(), "managed postgresql died") && strings.Contains(errOut.String(), "managed postgresql restarted")
	}
	for deadline := time.Now().Add(10 * time.Second); !logged() && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	if !logged() {
		t.Errorf("the log does not tell of the death and the restart:\n%s", errOut.String())
	}

	// An operator restarts PostgreSQL behind spectra's back.
	pgCtl := pgBinary(t, "pg_ctl")
	before := postmasterPid(t, dir)
	cmd := exec.Command(pgCtl, "restart", "-D", filepath.Join(dir, "pg"), "-m", "fast", "-w", "-l", filepath.Join(dir, "pg", "pg_ctl.log"))
	asClusterOwner(t, cmd)
	if b, err := cmd.CombinedOutput(); err != nil {
		// spectra's supervisor may win the race to start the server;
		// pg_ctl's start then finds it running. Either way one runs.
		t.Logf("pg_ctl restart: %v\n%s", err, b)
	}
	var after int
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if code, _ := answer(api, token); code == http.StatusOK {
			if after = postmasterPid(t, dir); after != before && alive(after) {
				break
			}
		}
	}
	if after == before || !alive(after) {
		t.Fatalf("after pg_ctl restart: postmaster %d (was %d)\n%s", after, before, errOut.String())
	}
	// Who won the race to start it is up to the scheduler; say which.
	time.Sleep(time.Second)
	t.Logf("after pg_ctl restart, spectra %s postmaster %d",
		map[bool]string{true: "adopted", false: "itself started"}[strings.Contains(errOut.String(), "adopting a managed postgresql")], after)

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("demo returned %v after cancel\n%s", err, errOut.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatal("demo did not stop within 60s of cancel")
	}
	if alive(after) {
		_ = syscall.Kill(after, syscall.SIGQUIT)
		t.Fatalf("spectra stopped but left postmaster %d running", after)
	}
}

// TestManagedClusterGivesUp: a PostgreSQL that dies and cannot be
// restarted (here: a configuration it refuses) makes spectra exit with an
// error, after SPECTRA_PG_MAX_RESTARTS attempts, so that a supervisor
// (systemd, Docker) starts it afresh; /healthz says 503 meanwhile.
func TestManagedClusterGivesUp(t *testing.T) {
	dir := filepath.Join(traversableDir(t), "data")
	vars := map[string]string{"SPECTRA_DATA_DIR": dir, "SPECTRA_ADDR": "127.0.0.1:0", "SPECTRA_PG_MAX_RESTARTS": "2"}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve"}, envOf(vars), strings.NewReader(""), &out, &errOut) }()
	base := waitFor(t, done, &out, &errOut)

	conf, err := os.OpenFile(filepath.Join(dir, "pg", "postgresql.auto.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conf.WriteString("\nno_such_setting = on\n"); err != nil {
		t.Fatal(err)
	}
	conf.Close()
	pid := postmasterPid(t, dir)
	killed := time.Now()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	healthz := 0
	for {
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), "could not be restarted") || exitCode(err) == 0 {
				t.Fatalf("spectra ended with %v, want a non-zero exit saying PostgreSQL could not be restarted", err)
			}
			if healthz == 0 {
				t.Errorf("/healthz never answered 503 while PostgreSQL was down")
			}
			t.Logf("gave up %s after kill -9: %v", time.Since(killed).Round(time.Millisecond), err)
			return
		case <-time.After(50 * time.Millisecond):
		}
		if code, _ := answer(base+"/healthz", ""); code == http.StatusServiceUnavailable {
			healthz++
		} else if code == http.StatusOK && time.Since(killed) > 5*time.Second {
			t.Fatalf("/healthz 200 %s after the postmaster was killed", time.Since(killed))
		}
		if time.Since(killed) > 90*time.Second {
			t.Fatalf("spectra still running 90 s after its PostgreSQL died for good\n%s", errOut.String())
		}
	}
}

// pgBinary finds one of PostgreSQL's server programs.
func pgBinary(t *testing.T, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/" + name)
	if len(matches) == 0 {
		t.Fatalf("%s not found", name)
	}
	return matches[len(matches)-1]
}

// asClusterOwner runs cmd as the user the managed cluster runs as: the
// postgres user under root, else the current one.
func asClusterOwner(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	if os.Geteuid() != 0 {
		return
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	cmd.Dir = "/"
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "LC_ALL=C", "HOME=" + u.HomeDir}
}

// TestManagedClusterDiskFull fills the file system of the managed
// cluster's data directory (a tmpfs of its own) under the real `spectra
// demo` (issue 11.4): /readyz says 503 with the reason while the disk is
// full, /healthz stays 200 (a restart frees nothing), writes answer 201 or
// 503 with Retry-After, never 500, and once space is freed the instance
// is ready again.
func TestManagedClusterDiskFull(t *testing.T) {
	mnt := traversableDir(t)
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=192m,mode=0711", "tmpfs", mnt).CombinedOutput(); err != nil {
		// A file system that can be filled is the test; CI runs as root.
		if os.Getenv("CI") != "" {
			t.Fatalf("mount a tmpfs for the data directory: %v %s", err, out)
		}
		t.Skipf("this test mounts a tmpfs (needs root): %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", mnt).Run() })
	d := startDemo(t, map[string]string{"SPECTRA_DATA_DIR": filepath.Join(mnt, "data"), "SPECTRA_ADDR": "127.0.0.1:0"})
	base := d.base
	token := loginToken(t, base, "engineer@demo.lab", "eng123")
	if code, _ := answer(base+"/readyz", ""); code != http.StatusOK {
		t.Fatalf("/readyz before the disk filled: %d", code)
	}

	// Fill it: one file, written until the file system says no.
	filler := filepath.Join(mnt, "filler")
	f, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 1<<20)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("filling the disk: %v", err)
			}
			break
		}
	}
	f.Close()

	resp, err := http.Get(base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "disk is full") || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("/readyz with the disk full: %d %s (Retry-After %q)", resp.StatusCode, body, resp.Header.Get("Retry-After"))
	}
	if code, _ := answer(base+"/healthz", ""); code != http.StatusOK {
		t.Errorf("/healthz with the disk full: %d (a restart would not free space)", code)
	}
	// Writes big enough to need new pages: each is stored or refused as
	// unavailable, never a 500.
	pad := strings.Repeat("x", 1800)
	seen := map[int]int{}
	for i := range 40 {
		code, b, retry := postAs(base+"/api/lims/samples", token,
			fmt.Sprintf(`{"barcode":"FULL-%d","name":"disk full %d","metadata":{"pad":"%s%d"}}`, i, i, pad, i))
		seen[code]++
		switch {
		case code == http.StatusServiceUnavailable && retry == "":
			t.Errorf("write %d: 503 without Retry-After: %s", i, b)
		case code != http.StatusCreated && code != http.StatusServiceUnavailable:
			t.Errorf("write %d with the disk full: %d %s", i, code, b)
		}
	}
	t.Logf("40 writes with the disk full: %v", seen)

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	freed := time.Now()
	var code int
	for deadline := freed.Add(90 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if code, _ = answer(base+"/readyz", ""); code == http.StatusOK {
			break
		}
	}
	if code != http.StatusOK {
		t.Fatalf("/readyz %d 90 s after space was freed\n%s", code, d.errOut.String())
	}
	t.Logf("/readyz 200 again %s after space was freed", time.Since(freed).Round(time.Millisecond))
	if code, _ := answer(base+"/api/lims/samples", token); code != http.StatusOK {
		t.Errorf("a list after space was freed: %d", code)
	}
}
