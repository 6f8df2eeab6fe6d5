package oidctest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// The third-party provider the tests also run against: the example
// OpenID provider of github.com/zitadel/oidc at a pinned version, built
// from the Go module proxy as an external binary (spectra's go.mod does
// not grow). zitadelop/ is its main: the example's own, plus one client
// whose access tokens are JWTs.
const (
	ZitadelModule  = "github.com/zitadel/oidc/v3"
	ZitadelVersion = "v3.52.0" // zitadelop/go.mod requires exactly this

	// Clients the example registers (example/server/main.go): "web" is a
	// confidential client (HTTP Basic), "native" a public one (PKCE only);
	// both get opaque access tokens. "jwt" (zitadelop/main.go) is "web"
	// with JWT access tokens.
	ZitadelWebClient    = "web"
	ZitadelWebSecret    = "secret"
	ZitadelNativeClient = "native"
	ZitadelJWTClient    = "jwt"
	ZitadelJWTSecret    = "secret"
	// ZitadelUser is its first test user (example/server/storage/user.go)
	// on an issuer at localhost; ZitadelSubject is that user's sub.
	ZitadelUser     = "test-user@localhost"
	ZitadelPassword = "verysecure"
	ZitadelSubject  = "id1"
	// ZitadelCustomScope makes it add the claim ZitadelCustomClaim,
	// {"client": <client id>, "other": "stuff"}, to ID tokens; nothing
	// else it issues names a group or role.
	ZitadelCustomScope = "custom_scope"
	ZitadelCustomClaim = "custom_claim"
)

var zitadelBuild struct {
	once sync.Once
	path string
	err  error
}

// zitadelBinary builds zitadelop once per test process, into the user's
// cache directory under a name that changes with its source; the Go build
// cache makes later builds a link at most.
func zitadelBinary() (string, error) {
	b := &zitadelBuild
	b.once.Do(func() {
		_, self, _, _ := runtime.Caller(0)
		src := filepath.Join(filepath.Dir(self), "zitadelop")
		sum := sha256.New()
		for _, f := range []string{"main.go", "go.mod", "go.sum"} {
			data, err := os.ReadFile(filepath.Join(src, f))
			if err != nil {
				b.err = fmt.Errorf("the provider's source: %w", err)
				return
			}
			sum.Write(data)
		}
		cache, err := os.UserCacheDir()
		if err != nil {
			cache = os.TempDir()
		}
		dir := filepath.Join(cache, "spectra-tests")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			b.err = err
			return
		}
		b.path = filepath.Join(dir, fmt.Sprintf("zitadelop-%s-%x", ZitadelVersion, sum.Sum(nil)[:6]))
		if _, err := os.Stat(b.path); err == nil {
			return
		}
		// Each process builds into its own directory and renames the
		// result into place, so parallel test packages never see half a file.
		tmp, err := os.MkdirTemp(dir, "build-")
		if err != nil {
			b.err = err
			return
		}
		defer os.RemoveAll(tmp)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "go", "build", "-mod=readonly", "-o", filepath.Join(tmp, "zitadelop"), ".")
		cmd.Dir = src
		cmd.Env = append(os.Environ(), "GOFLAGS=", "GOWORK=off")
		if out, err := cmd.CombinedOutput(); err != nil {
			b.err = fmt.Errorf("go build %s (%s@%s): %w\n%s", src, ZitadelModule, ZitadelVersion, err, out)
			return
		}
		b.err = os.Rename(filepath.Join(tmp, "zitadelop"), b.path)
	})
	return b.path, b.err
}

// Zitadel is a running zitadel/oidc example provider.
type Zitadel struct {
	Issuer string // http://localhost:PORT/ — with the slash, as its tokens say
	URL    string // the same without the slash

	mu  sync.Mutex
	log bytes.Buffer
}

// StartZitadel builds (once) and starts the example provider on a free
// loopback port, allowing redirectURIs for its clients, and waits for its
// discovery document. It stops when t ends. Any failure fails t: a test
// that needs a real provider must not pass without one.
func StartZitadel(t testing.TB, redirectURIs ...string) *Zitadel {
	t.Helper()
	bin, err := zitadelBinary()
	if err != nil {
		t.Fatalf("oidctest: building the zitadel example provider: %v", err)
	}
	var lastErr error
	for range 3 { // the free port may be taken before the provider binds it
		z, err := startZitadel(t, bin, redirectURIs)
		if err == nil {
			return z
		}
		lastErr = err
	}
	t.Fatalf("oidctest: starting the zitadel example provider: %v", lastErr)
	return nil
}

func startZitadel(t testing.TB, bin string, redirectURIs []string) (*Zitadel, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	z := &Zitadel{URL: fmt.Sprintf("http://localhost:%d", port)}
	z.Issuer = z.URL + "/"
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), fmt.Sprintf("PORT=%d", port), "REDIRECT_URI="+strings.Join(redirectURIs, ","))
	cmd.Stdout, cmd.Stderr = z, z
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		_ = cmd.Process.Kill()
		<-exited
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get(z.URL + "/.well-known/openid-configuration")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case err := <-exited:
			exited <- err
			return nil, fmt.Errorf("exited (%v):\n%s", err, z.Log())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			stop()
			return nil, fmt.Errorf("no discovery document after 15 s:\n%s", z.Log())
		}
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("zitadel example provider's log:\n%s", z.Log())
		}
	})
	return z, nil
}

// Write collects the provider's log, the last 64 KiB of it.
func (z *Zitadel) Write(p []byte) (int, error) {
	z.mu.Lock()
	defer z.mu.Unlock()
	z.log.Write(p)
	if n := z.log.Len() - 64<<10; n > 0 {
		z.log.Next(n)
	}
	return len(p), nil
}

// Log is what the provider logged lately.
func (z *Zitadel) Log() string {
	z.mu.Lock()
	defer z.mu.Unlock()
	return z.log.String()
}

var loginFormID = regexp.MustCompile(`name="id" value="([^"]+)"`)

// SignIn plays the user at a browser: it GETs start (spectra's
// /auth/oidc/login, or an authorization URL), follows redirects to the
// provider's login form, signs in as ZitadelUser, and follows redirects
// until one leads to a URL beginning with callback, which it returns
// without requesting it. browser must have a cookie jar.
func (z *Zitadel) SignIn(t testing.TB, browser *http.Client, start, callback string) string {
	t.Helper()
	var back string
	c := *browser
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), callback) {
			back = req.URL.String()
			return http.ErrUseLastResponse
		}
		if len(via) > 10 {
			return errors.New("too many redirects")
		}
		return nil
	}
	resp, err := c.Get(start)
	if err != nil {
		t.Fatalf("oidctest: sign-in from %s: %v", start, err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if back != "" {
		return back // already signed in, or refused at once
	}
	m := loginFormID.FindSubmatch(page)
	if resp.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("oidctest: expected the provider's login form at %s, got %s:\n%s", resp.Request.URL, resp.Status, page)
	}
	form := url.Values{"id": {string(m[1])}, "username": {ZitadelUser}, "password": {ZitadelPassword}}
	resp, err = c.PostForm(z.URL+"/login/username", form)
	if err != nil {
		t.Fatalf("oidctest: posting the login form: %v", err)
	}
	page, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if back == "" {
		t.Fatalf("oidctest: after the login form: %s at %s, not sent to %s:\n%s", resp.Status, resp.Request.URL, callback, page)
	}
	return back
}

// NewBrowser is an HTTP client with a cookie jar that does not follow
// redirects by itself. Like browsers on localhost, it keeps Secure cookies
// for plain-http loopback servers (Go's jar would drop them).
func NewBrowser() *http.Client {
	jar, _ := cookiejar.New(nil) // never fails without options
	return &http.Client{Jar: loopbackJar{jar}, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

type loopbackJar struct{ *cookiejar.Jar }

func (j loopbackJar) SetCookies(u *url.URL, cookies []*http.Cookie) {
	if h := u.Hostname(); h == "localhost" || net.ParseIP(h).IsLoopback() {
		cs := make([]*http.Cookie, len(cookies))
		for i, c := range cookies {
			cc := *c
			cc.Secure = false
			cs[i] = &cc
		}
		cookies = cs
	}
	j.Jar.SetCookies(u, cookies)
}
