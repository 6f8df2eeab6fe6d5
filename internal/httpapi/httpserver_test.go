package httpapi

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

func TestNewHTTPServer(t *testing.T) {
	t.Parallel()
	logs := &logSink{}
	srv := NewHTTPServer(":0", http.NotFoundHandler(), newTestLogger(logs))
	if srv.ReadHeaderTimeout != 10*time.Second || srv.ReadTimeout != 30*time.Second ||
		srv.WriteTimeout != 60*time.Second || srv.IdleTimeout != 120*time.Second || srv.MaxHeaderBytes != 1<<20 {
		t.Errorf("timeouts = %v %v %v %v %d", srv.ReadHeaderTimeout, srv.ReadTimeout, srv.WriteTimeout, srv.IdleTimeout, srv.MaxHeaderBytes)
	}
	srv.ErrorLog.Print("http: TLS handshake error")
	if recs := logs.records(t, "http: TLS handshake error"); len(recs) != 1 || recs[0]["level"] != "WARN" {
		t.Errorf("net/http's log did not reach slog: %q", logs.text())
	}
}

// slowServer serves one slow route that waits until shutdown has begun
// before answering, and reports when a request has arrived.
func slowServer(t *testing.T, hold time.Duration) (srv *http.Server, ln net.Listener, arrived chan struct{}) {
	t.Helper()
	arrived = make(chan struct{})
	shutdown := make(chan struct{})
	srv = NewHTTPServer("", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-shutdown
		time.Sleep(hold)
		_, _ = io.WriteString(w, "finished")
	}), nil)
	srv.RegisterOnShutdown(func() { close(shutdown) })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return srv, ln, arrived
}

type result struct {
	body string
	err  error
}

func get(url string) chan result {
	c := make(chan result, 1)
	go func() {
		resp, err := http.Get(url)
		if err != nil {
			c <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		c <- result{string(b), err}
	}()
	return c
}

func TestServeFinishesInFlightRequests(t *testing.T) {
	t.Parallel()
	srv, ln, arrived := slowServer(t, 100*time.Millisecond)
	ctx, cancel := context.WithCancel(t.Context())
	served := make(chan error, 1)
	go func() { served <- Serve(ctx, srv, ln, 5*time.Second) }()

	res := get("http://" + ln.Addr().String() + "/slow")
	<-arrived
	cancel()

	if r := <-res; r.err != nil || r.body != "finished" {
		t.Errorf("in-flight request: %q, %v; want it to finish", r.body, r.err)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("Serve = %v, want nil after a clean shutdown", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return")
	}
	if conn, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		conn.Close()
		t.Error("still accepting connections after shutdown")
	}
}

func TestServeShutdownTimeout(t *testing.T) {
	t.Parallel()
	srv, ln, arrived := slowServer(t, time.Hour)
	ctx, cancel := context.WithCancel(t.Context())
	served := make(chan error, 1)
	go func() { served <- Serve(ctx, srv, ln, 50*time.Millisecond) }()

	res := get("http://" + ln.Addr().String() + "/stuck")
	<-arrived
	cancel()
	select {
	case err := <-served:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Serve = %v, want the shutdown deadline", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not give up on a stuck request")
	}
	if r := <-res; r.err == nil {
		t.Errorf("stuck request got %q, want its connection closed", r.body)
	}
}

func TestServeListenerError(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	err = Serve(t.Context(), NewHTTPServer("", http.NotFoundHandler(), nil), ln, time.Second)
	if err == nil || errors.Is(err, http.ErrServerClosed) {
		t.Errorf("Serve on a closed listener = %v, want the accept error", err)
	}
}
