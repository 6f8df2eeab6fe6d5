package webhook

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestCheckURL(t *testing.T) {
	ctx := context.Background()
	def := Policy{}
	for _, u := range []string{"https://127.0.0.1/x", "https://[::1]/x", "https://10.0.0.1/x", "https://172.16.5.5/x", "https://192.168.1.1/x",
		"https://169.254.169.254/latest", "https://100.64.0.1/x", "https://0.0.0.0/x", "https://[fd00::1]/x", "https://[::ffff:127.0.0.1]/x",
		"http://93.184.215.14/x", "ftp://93.184.215.14/x", "https://u:p@93.184.215.14/x", "/relative", "https://localhost/x"} {
		if err := def.CheckURL(ctx, u); err == nil {
			t.Errorf("%s accepted by the default policy", u)
		}
	}
	if err := def.CheckURL(ctx, "https://93.184.215.14/hooks"); err != nil {
		t.Errorf("a public https URL refused: %v", err)
	}
	lab := Policy{AllowHTTP: true, Allow: []netip.Prefix{netip.MustParsePrefix("10.20.0.0/16")}}
	if err := lab.CheckURL(ctx, "http://10.20.3.4:8080/x"); err != nil {
		t.Errorf("an allowed private address refused: %v", err)
	}
	if err := lab.CheckURL(ctx, "http://10.21.0.1/x"); err == nil || !strings.Contains(err.Error(), "not a public address") {
		t.Errorf("an address outside the allow-list: %v", err)
	}
}

func TestParseAllowHosts(t *testing.T) {
	p, h, err := ParseAllowHosts(" 127.0.0.1/32, 10.0.0.0/8 ,::1, Hooks.Lab.Internal. ")
	if err != nil || len(p) != 3 || len(h) != 1 || h[0] != "hooks.lab.internal" || p[2] != netip.MustParsePrefix("::1/128") {
		t.Fatalf("parsed %v %v %v", p, h, err)
	}
	for _, bad := range []string{"10.0.0.0/33", "http://x", "a b"} {
		if _, _, err := ParseAllowHosts(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestSignVerify(t *testing.T) {
	body := []byte(`{"id":"e"}`)
	now := time.Unix(1_700_000_000, 0)
	sig := Sign("s3cret", now.Unix(), body)
	ts := strconv.FormatInt(now.Unix(), 10)
	if err := Verify("s3cret", ts, sig, body, now.Add(time.Minute), 5*time.Minute); err != nil {
		t.Fatal(err)
	}
	for name, err := range map[string]error{
		"another secret": Verify("other", ts, sig, body, now, 5*time.Minute),
		"another body":   Verify("s3cret", ts, sig, []byte(`{"id":"f"}`), now, 5*time.Minute),
		"an old one":     Verify("s3cret", ts, sig, body, now.Add(10*time.Minute), 5*time.Minute),
	} {
		if err == nil {
			t.Errorf("%s verified", name)
		}
	}
}

// TestSendChecksTheAddressReached: a URL that passed (or was stored
// before a rule changed) is refused at delivery when its address is not
// allowed, and nothing reaches the server; redirects are not followed.
func TestSendChecksTheAddressReached(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.URL.Path == "/moved" {
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
		}
	}))
	defer srv.Close()
	ctx := context.Background()
	closed := Policy{AllowHTTP: true}
	res := closed.Send(ctx, closed.Client(), srv.URL, "s", "id", []byte("{}"), time.Now())
	if res.Err == nil || res.Status != 0 || hits.Load() != 0 {
		t.Fatalf("loopback without the allow-list: %+v, hits %d", res, hits.Load())
	}
	open := Policy{AllowHTTP: true, Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}
	if res := open.Send(ctx, open.Client(), srv.URL+"/ok", "s", "id", []byte("{}"), time.Now()); res.Err != nil || res.Status != 200 {
		t.Fatalf("allowed: %+v", res)
	}
	if res := open.Send(ctx, open.Client(), srv.URL+"/moved", "s", "id", []byte("{}"), time.Now()); res.Err == nil || res.Status != http.StatusFound || hits.Load() != 2 {
		t.Fatalf("a redirect: %+v, hits %d; want 302 recorded, not followed", res, hits.Load())
	}
}
