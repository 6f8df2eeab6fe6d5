package testserver

import (
	"errors"
	"net"
	"os"
	"strings"
	"testing"
)

// A binary that is nowhere is an error saying how to get it.
func TestFindSaysHowToGetIt(t *testing.T) {
	t.Setenv("SPECTRA_TEST_NOTHING", "")
	_, err := Find("SPECTRA_TEST_NOTHING", "spectra-no-such-server", "go install example.org/x@v1")
	if err == nil || !strings.Contains(err.Error(), "make tools") || !strings.Contains(err.Error(), "go install example.org/x@v1") ||
		!strings.Contains(err.Error(), "SPECTRA_TEST_NOTHING") {
		t.Fatalf("err = %v", err)
	}
	t.Setenv("SPECTRA_TEST_NOTHING", "/bin/true")
	if p, err := Find("SPECTRA_TEST_NOTHING", "spectra-no-such-server", ""); err != nil || p != "/bin/true" {
		t.Fatalf("env: %q, %v", p, err)
	}
}

// A server that exits before it answers is an error with its output; its
// directory is gone. One that answers is stopped and its directory gone.
func TestStartAndStop(t *testing.T) {
	dir := t.TempDir() + "/srv"
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	_, err := Start("sh", "/bin/sh", []string{"-c", "echo no config; exit 3"}, dir, func() error { return errors.New("not yet") })
	if err == nil || !strings.Contains(err.Error(), "sh exited: no config") {
		t.Fatalf("err = %v", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("dir left: %v", err)
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	p, err := Start("sleep", "/bin/sleep", []string{"60"}, dir, Listening(ln.Addr().String()))
	if err != nil {
		t.Fatal(err)
	}
	p.Stop()
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("dir left after Stop: %v", err)
	}
}
