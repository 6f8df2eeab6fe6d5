package httpapi

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/spectra-lab/spectra/internal/auth"
	"github.com/spectra-lab/spectra/internal/auth/oidctest"
	"github.com/spectra-lab/spectra/internal/spectra"
)

// withZitadel starts zitadel/oidc's example provider for this server's
// callback and trusts it, with its web client and these scopes. The
// example names no groups or roles; the only claim its scopes add is
// custom_claim (custom_scope), whose "other" field ("stuff") serves as
// the group here.
func withZitadel(z **oidctest.Zitadel, scopes ...string) envOption {
	return withZitadelClient(z, oidctest.ZitadelWebClient, oidctest.ZitadelWebSecret, scopes...)
}

// withZitadelClient is withZitadel with another of its clients, whose id
// is also the API audience (its access tokens' aud).
func withZitadelClient(z **oidctest.Zitadel, client, secret string, scopes ...string) envOption {
	return func(e *apiEnv, o *auth.Options) {
		*z = oidctest.StartZitadel(e.t, e.ts.URL+"/auth/oidc/callback")
		idp, err := auth.NewOIDC(e.t.Context(), auth.OIDCConfig{Issuer: (*z).Issuer,
			Audience: client, ClientID: client, ClientSecret: secret,
			RedirectURL: e.ts.URL + "/auth/oidc/callback", Scopes: scopes,
			GroupsClaim: oidctest.ZitadelCustomClaim + ".other",
			GroupMap:    map[string]auth.OrgRole{"stuff": {Org: "test-org", Role: spectra.RoleEngineer}}})
		if err != nil {
			e.t.Fatal(err)
		}
		o.OIDC = idp
	}
}

// The browser's sign-in through spectra's /auth/oidc/login and callback,
// against a provider nobody here wrote.
func TestSingleSignOnWithZitadelExampleProvider(t *testing.T) {
	var z *oidctest.Zitadel
	e := newAPIEnv(t, withZitadel(&z, "openid", "profile", "email", oidctest.ZitadelCustomScope))
	callback := e.ts.URL + "/auth/oidc/callback"
	browser := oidctest.NewBrowser()

	back := z.SignIn(t, browser, e.ts.URL+"/auth/oidc/login?return_to=/samples", callback)
	resp, err := browser.Get(back)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/samples" {
		t.Fatalf("callback: %d → %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	e.signedInAs(t, resp, "engineer", "test-org")
	if n := e.count(`SELECT count(*) FROM users WHERE oidc_issuer = $1 AND oidc_subject = $2`, z.Issuer, oidctest.ZitadelSubject); n != 1 {
		t.Fatalf("%d users for the provider's subject", n)
	}

	// Its tokens presented as bearer tokens: the access token is opaque
	// (a JWE for itself) and the ID token is not an access token, though
	// its aud is our configured audience: both 401.
	cfg := oauth2.Config{ClientID: oidctest.ZitadelWebClient, ClientSecret: oidctest.ZitadelWebSecret, RedirectURL: callback,
		Scopes:   []string{"openid", oidctest.ZitadelCustomScope},
		Endpoint: oauth2.Endpoint{AuthURL: z.URL + "/auth", TokenURL: z.URL + "/oauth/token", AuthStyle: oauth2.AuthStyleInHeader}}
	verifier := oauth2.GenerateVerifier()
	back = z.SignIn(t, oidctest.NewBrowser(), cfg.AuthCodeURL("st-b", oauth2.S256ChallengeOption(verifier),
		oauth2.SetAuthURLParam("nonce", "n-b")), callback)
	u, _ := url.Parse(back)
	tok, err := cfg.Exchange(t.Context(), u.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	idToken, _ := tok.Extra("id_token").(string)
	for name, bearer := range map[string]string{"its access token": tok.AccessToken, "its ID token": idToken} {
		if r := e.call(http.MethodGet, "/auth/me", bearer, nil); r.Status != http.StatusUnauthorized {
			t.Errorf("%s as a bearer token: %d %s", name, r.Status, r.Raw)
		}
	}
}

// Without the scope that brings the claims, the same user has no
// organization here, and the login page is told so.
func TestSingleSignOnWithZitadelWithoutTheScope(t *testing.T) {
	var z *oidctest.Zitadel
	e := newAPIEnv(t, withZitadel(&z)) // the default: openid profile email
	browser := oidctest.NewBrowser()
	back := z.SignIn(t, browser, e.ts.URL+"/auth/oidc/login", e.ts.URL+"/auth/oidc/callback")
	resp, err := browser.Get(back)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("Location"); got != "/login?error=sso_failed&reason=no_organization" {
		t.Fatalf("callback sent the browser to %q", got)
	}
}

// A provider that issues JWT access tokens (its "jwt" client): after the
// user signed in once through the browser, the provider's access token
// is a bearer token for the same account, role and organization; its ID
// token and a forged copy are not.
func TestBearerJWTAccessTokensFromZitadel(t *testing.T) {
	var z *oidctest.Zitadel
	e := newAPIEnv(t, withZitadelClient(&z, oidctest.ZitadelJWTClient, oidctest.ZitadelJWTSecret,
		"openid", "profile", "email", oidctest.ZitadelCustomScope))
	callback := e.ts.URL + "/auth/oidc/callback"
	browser := oidctest.NewBrowser()
	resp, err := browser.Get(z.SignIn(t, browser, e.ts.URL+"/auth/oidc/login", callback))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	e.signedInAs(t, resp, "engineer", "test-org")

	cfg := oauth2.Config{ClientID: oidctest.ZitadelJWTClient, ClientSecret: oidctest.ZitadelJWTSecret, RedirectURL: callback,
		Scopes:   []string{"openid", oidctest.ZitadelCustomScope},
		Endpoint: oauth2.Endpoint{AuthURL: z.URL + "/auth", TokenURL: z.URL + "/oauth/token", AuthStyle: oauth2.AuthStyleInHeader}}
	verifier := oauth2.GenerateVerifier()
	back := z.SignIn(t, oidctest.NewBrowser(), cfg.AuthCodeURL("st-j", oauth2.S256ChallengeOption(verifier),
		oauth2.SetAuthURLParam("nonce", "n-j")), callback)
	u, _ := url.Parse(back)
	tok, err := cfg.Exchange(t.Context(), u.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(tok.AccessToken, ".") != 2 {
		t.Fatalf("the jwt client's access token is not a JWT: %s", tok.AccessToken)
	}
	me := e.call(http.MethodGet, "/auth/me", tok.AccessToken, nil)
	if me.Status != http.StatusOK || me.Body["auth"] != "oidc" || me.Body["role"] != "engineer" ||
		me.Body["organization"].(map[string]any)["slug"] != "test-org" {
		t.Fatalf("/auth/me with the provider's access token: %d %s", me.Status, me.Raw)
	}
	if got := e.call(http.MethodGet, "/api/lims/samples", tok.AccessToken, nil); got.Status != http.StatusOK {
		t.Fatalf("a list with the provider's access token: %d %s", got.Status, got.Raw)
	}
	if n := e.count(`SELECT count(*) FROM users WHERE oidc_issuer = $1 AND oidc_subject = $2`, z.Issuer, oidctest.ZitadelSubject); n != 1 {
		t.Fatalf("%d users for the provider's subject after bearer use", n)
	}
	idToken, _ := tok.Extra("id_token").(string)
	dot := strings.LastIndex(tok.AccessToken, ".")
	sig, err := base64.RawURLEncoding.DecodeString(tok.AccessToken[dot+1:])
	if err != nil {
		t.Fatal(err)
	}
	sig[0] ^= 1
	forged := tok.AccessToken[:dot+1] + base64.RawURLEncoding.EncodeToString(sig)
	for name, bearer := range map[string]string{"its ID token": idToken, "a forged copy": forged} {
		if r := e.call(http.MethodGet, "/auth/me", bearer, nil); r.Status != http.StatusUnauthorized {
			t.Errorf("%s as a bearer token: %d %s", name, r.Status, r.Raw)
		}
	}
}
