package httpapi

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/spectra-lab/spectra/internal/auth"
	"github.com/spectra-lab/spectra/internal/auth/oidctest"
	"github.com/spectra-lab/spectra/internal/spectra"
)

// withIdP configures the service with a real (test) identity provider.
func withIdP(p *oidctest.Provider) envOption {
	return func(e *apiEnv, o *auth.Options) {
		idp, err := auth.NewOIDC(context.Background(), auth.OIDCConfig{Issuer: p.URL, Audience: p.Audience,
			ClientID: p.ClientID, ClientSecret: p.ClientSecret, RedirectURL: e.ts.URL + "/auth/oidc/callback"})
		if err != nil {
			e.t.Fatal(err)
		}
		o.OIDC = idp
	}
}

func TestIdentityProviderAccessTokens(t *testing.T) {
	p := oidctest.New(t)
	e := newAPIEnv(t, withIdP(p))
	claims := map[string]any{"sub": "kc-123", "email": "Ada@Lab.Example", "name": "Ada Lovelace", "org": "demo-lab", "role": "pi"}

	me := e.call(http.MethodGet, "/auth/me", p.AccessToken(t, claims), nil)
	if me.Status != http.StatusOK || me.Body["role"] != "pi" || me.Body["auth"] != "oidc" {
		t.Fatalf("/auth/me with the provider's token: %d %s", me.Status, me.Raw)
	}
	user := me.Body["user"].(map[string]any)
	if user["email"] != "ada@lab.example" || user["organization"].(map[string]any)["slug"] != "demo-lab" {
		t.Fatalf("provisioned user = %v", user)
	}
	// Provisioned once, matched by issuer and subject afterwards.
	e.call(http.MethodGet, "/auth/me", p.AccessToken(t, claims), nil)
	if n := e.count(`SELECT count(*) FROM users WHERE oidc_issuer = $1 AND oidc_subject = 'kc-123'`, p.URL); n != 1 {
		t.Fatalf("%d users for one subject", n)
	}

	// A nonce does not make an access token an ID token (Dex puts the
	// login's nonce in both).
	nonce := maps.Clone(claims)
	nonce["nonce"] = "n-1"
	if r := e.call(http.MethodGet, "/auth/me", p.AccessToken(t, nonce), nil); r.Status != http.StatusOK {
		t.Fatalf("an access token with a nonce: %d %s", r.Status, r.Raw)
	}

	// The provider's role is authoritative: a new role takes over, and
	// the demotion revokes the provider's earlier tokens for good (issue
	// 10.2): re-promotion does not revive a pi token issued before.
	oldClaims := maps.Clone(claims)
	oldClaims["iat"] = time.Now().Add(-10 * time.Second).Unix()
	oldPI := p.AccessToken(t, oldClaims)
	claims["role"] = "viewer"
	if r := e.call(http.MethodGet, "/auth/me", p.AccessToken(t, claims), nil); r.Status != http.StatusOK || r.Body["role"] != "viewer" {
		t.Fatalf("after the provider's role change: %d %s", r.Status, r.Raw)
	}
	claims["role"] = "pi"
	if r := e.call(http.MethodGet, "/auth/me", p.AccessToken(t, claims), nil); r.Status != http.StatusOK || r.Body["role"] != "pi" {
		t.Fatalf("re-promoted by the provider: %d %s", r.Status, r.Raw)
	}
	if r := e.call(http.MethodGet, "/auth/me", oldPI, nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("a pi token issued before the demotion, after re-promotion: %d %s", r.Status, r.Raw)
	}
	claims["role"] = "viewer"
	if r := e.call(http.MethodGet, "/auth/me", p.AccessToken(t, claims), nil); r.Status != http.StatusOK {
		t.Fatalf("the provider's viewer token: %d %s", r.Status, r.Raw)
	}
	// An admin's deactivation wins over any valid token.
	e.sql(`UPDATE memberships SET active = false WHERE user_id = (SELECT id FROM users WHERE oidc_subject = 'kc-123')`)
	if r := e.call(http.MethodGet, "/auth/me", p.AccessToken(t, claims), nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("deactivated member's valid token: %d", r.Status)
	}

	// Tokens that must not pass, against the live provider.
	bad := map[string]string{
		"HS256 signed with the public key": p.ForgeHS256(t, claims, oidctest.PKIXPEM),
		"alg none":                         p.ForgeNone(t, claims),
		"unknown organization":             p.AccessToken(t, map[string]any{"sub": "x", "org": "nowhere", "role": "admin"}),
		"no role":                          p.AccessToken(t, map[string]any{"sub": "y", "org": "demo-lab"}),
		"wrong audience":                   p.AccessToken(t, map[string]any{"sub": "z", "org": "demo-lab", "role": "admin", "aud": "other"}),
		"email of a local account":         p.AccessToken(t, map[string]any{"sub": "w", "email": "admin@demo.lab", "org": "demo-lab", "role": "admin"}),
		"an ID token (aud = the client)":   p.IDToken(t, claims, "n-1"),
	}
	for name, tok := range bad {
		if r := e.call(http.MethodGet, "/auth/me", tok, nil); r.Status != http.StatusUnauthorized {
			t.Errorf("%s: %d %s", name, r.Status, r.Raw)
		}
	}
}

// The browser's sign-in: our /auth/oidc/login → the provider's /authorize
// → our callback → our own session in the refresh cookie.
func TestSingleSignOnFlow(t *testing.T) {
	p := oidctest.New(t)
	p.SetUser(map[string]any{"sub": "sso-7", "email": "grace@lab.example", "name": "Grace Hopper", "org": "test-org", "role": "engineer"})
	e := newAPIEnv(t, withIdP(p))
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	resp, err := noFollow.Get(e.ts.URL + "/auth/oidc/login?return_to=/samples?q=si")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	authorize, _ := url.Parse(resp.Header.Get("Location"))
	q := authorize.Query()
	if resp.StatusCode != http.StatusFound || !strings.HasPrefix(authorize.String(), p.URL) ||
		q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("nonce") == "" || q.Get("state") == "" {
		t.Fatalf("login redirect: %d %s", resp.StatusCode, authorize)
	}
	var stateCookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == oidcCookie {
			stateCookie = c
		}
	}
	if stateCookie == nil || !stateCookie.HttpOnly || !stateCookie.Secure {
		t.Fatalf("sign-in cookie = %+v", stateCookie)
	}

	// The provider authenticates the user and sends the browser back.
	resp, err = noFollow.Get(authorize.String())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	callback := resp.Header.Get("Location")
	if !strings.HasPrefix(callback, e.ts.URL+"/auth/oidc/callback?") {
		t.Fatalf("provider redirect: %d %q", resp.StatusCode, callback)
	}

	// A callback without our cookie, or with another state, fails.
	for _, c := range []*http.Cookie{nil, {Name: oidcCookie, Value: "forged.value"}} {
		req, _ := http.NewRequest(http.MethodGet, callback, nil)
		if c != nil {
			req.AddCookie(c)
		}
		r, err := noFollow.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		if r.StatusCode != http.StatusFound || r.Header.Get("Location") != "/login?error=sso_failed&reason=state_mismatch" {
			t.Fatalf("callback with cookie %v: %d %q", c, r.StatusCode, r.Header.Get("Location"))
		}
	}
	// Those attempts spent nothing: the real callback still works.
	req, _ := http.NewRequest(http.MethodGet, callback, nil)
	req.AddCookie(stateCookie)
	resp, err = noFollow.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/samples?q=si" {
		t.Fatalf("callback: %d → %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	e.signedInAs(t, resp, "engineer", "test-org")
	// Replaying the callback: the code is spent.
	req, _ = http.NewRequest(http.MethodGet, callback, nil)
	req.AddCookie(stateCookie)
	resp, err = noFollow.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Location") != "/login?error=sso_failed&reason=provider_error" {
		t.Fatalf("replayed callback: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// ssoCallback runs a browser through /auth/oidc/login and p's /authorize
// to our callback, and returns where the callback sends it.
func ssoCallback(t *testing.T, e *apiEnv, browser *http.Client, start string) string {
	t.Helper()
	location := e.ts.URL + start
	for range 5 {
		resp, err := browser.Get(location)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusFound {
			t.Fatalf("%s: %d", location, resp.StatusCode)
		}
		next, err := resp.Location()
		if err != nil {
			t.Fatal(err)
		}
		if resp.Request.URL.Path == "/auth/oidc/callback" {
			return resp.Header.Get("Location")
		}
		location = next.String()
	}
	t.Fatalf("never reached the callback")
	return ""
}

// The login page learns why a sign-in failed, as a code (never the error).
func TestSingleSignOnFailureReasons(t *testing.T) {
	p := oidctest.New(t)
	e := newAPIEnv(t, withIdP(p))
	for _, tt := range []struct {
		name, reason string
		user         map[string]any
	}{
		{"no organization", "no_organization", map[string]any{"sub": "r-1", "role": "engineer"}},
		{"no role", "no_role", map[string]any{"sub": "r-2", "org": "test-org"}},
		{"an unknown role name", "no_role", map[string]any{"sub": "r-3", "org": "test-org", "role": "owner"}},
		{"an unknown organization", "account_refused", map[string]any{"sub": "r-4", "org": "nowhere", "role": "admin"}},
		{"the email of a local account", "account_refused", map[string]any{"sub": "r-5", "email": "admin@demo.lab", "org": "demo-lab", "role": "admin"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p.SetUser(tt.user)
			got := ssoCallback(t, e, oidctest.NewBrowser(), "/auth/oidc/login")
			if want := "/login?error=sso_failed&reason=" + tt.reason; got != want {
				t.Fatalf("sent to %q, want %q", got, want)
			}
		})
	}
	t.Run("the provider sends an error", func(t *testing.T) {
		resp, err := oidctest.NewBrowser().Get(e.ts.URL + "/auth/oidc/callback?error=access_denied&error_description=no+way")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Location"); got != "/login?error=sso_failed&reason=provider_error" {
			t.Fatalf("sent to %q", got)
		}
	})
	if e.count(`SELECT count(*) FROM users WHERE oidc_subject LIKE 'r-%'`) != 0 {
		t.Error("a refused sign-in provisioned a user")
	}
}

func TestSafeReturn(t *testing.T) {
	for in, want := range map[string]string{
		"": "/", "/samples": "/samples", "/runs/1?x=y": "/runs/1?x=y", "//evil.example": "/",
		"https://evil.example": "/", "/\\evil.example": "/", "javascript:alert(1)": "/", "samples": "/",
	} {
		if got := safeReturn(in); got != want {
			t.Errorf("safeReturn(%q) = %q, want %q", in, got, want)
		}
	}
}

// The login page has words for every reason the callback sends.
func TestSingleSignOnReasonsHaveMessages(t *testing.T) {
	src, err := os.ReadFile("../../web/src/pages/login/ssoFailure.ts")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range ssoReasons {
		if !regexp.MustCompile(`(?m)^\s+` + r + `:`).Match(src) {
			t.Errorf("web/src/pages/login/ssoFailure.ts has no message for reason %q", r)
		}
	}
}

func TestSSOReason(t *testing.T) {
	wrap := func(code spectra.Code, err error) error {
		return &spectra.Error{Code: code, Message: "invalid or expired credentials", Err: fmt.Errorf("oidc login: %w", err)}
	}
	for _, tt := range []struct {
		err       error
		otherwise string
		want      string
	}{
		{wrap(spectra.CodeUnauthenticated, fmt.Errorf("%w: invalid_grant", auth.ErrIdPRefused)), ssoTokenInvalid, ssoProviderError},
		{wrap(spectra.CodeUnavailable, errors.New("dial tcp: connection refused")), ssoTokenInvalid, ssoProviderUnavailable},
		{wrap(spectra.CodeUnauthenticated, errors.New("nonce mismatch")), ssoTokenInvalid, ssoTokenInvalid},
		{wrap(spectra.CodeUnauthenticated, auth.ErrNoOrganization), ssoAccountRefused, ssoNoOrganization},
		{wrap(spectra.CodeUnauthenticated, auth.ErrNoRole), ssoAccountRefused, ssoNoRole},
		{wrap(spectra.CodeUnauthenticated, errors.New("email taken")), ssoAccountRefused, ssoAccountRefused},
	} {
		if got := ssoReason(tt.err, tt.otherwise); got != tt.want {
			t.Errorf("ssoReason(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

// signedInAs checks that the single sign-on callback's answer resp set
// our session cookie, and that the session is ours: refreshed by the
// cookie, its access token is an OIDC principal with role in org.
func (e *apiEnv) signedInAs(t *testing.T, resp *http.Response, role, org string) {
	t.Helper()
	var refresh string
	for _, c := range resp.Cookies() {
		if c.Name == refreshCookie && c.Value != "" {
			refresh = c.Value
		}
	}
	if refresh == "" {
		t.Fatal("no session cookie after sign-in")
	}
	s := e.call(http.MethodPost, "/auth/refresh", "", nil, "Cookie", refreshCookie+"="+refresh)
	if s.Status != http.StatusOK {
		t.Fatalf("refresh after sign-in: %d %s", s.Status, s.Raw)
	}
	me := e.call(http.MethodGet, "/auth/me", s.str("access_token"), nil)
	if me.Status != http.StatusOK || me.Body["auth"] != "oidc" || me.Body["role"] != role ||
		me.Body["organization"].(map[string]any)["slug"] != org {
		t.Fatalf("/auth/me after sign-in: %d %s", me.Status, me.Raw)
	}
}
