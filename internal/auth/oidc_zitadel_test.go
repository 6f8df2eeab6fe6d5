package auth

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/spectra-lab/spectra/internal/auth/oidctest"
	"github.com/spectra-lab/spectra/internal/spectra"
)

// The same flows against a provider nobody here wrote: zitadel/oidc's
// example OP, a real binary on a loopback port.
func TestOIDCWithZitadelExampleProvider(t *testing.T) {
	t.Parallel()
	const redirect = "http://127.0.0.1:9/auth/oidc/callback" // never requested: SignIn stops at it
	z := oidctest.StartZitadel(t, redirect)
	config := func(client, secret string, scopes ...string) OIDCConfig {
		// Its access tokens' aud is the client id, as Dex's are.
		return OIDCConfig{Issuer: z.Issuer, Audience: client, ClientID: client, ClientSecret: secret, RedirectURL: redirect,
			Scopes: scopes, GroupsClaim: oidctest.ZitadelCustomClaim + ".other",
			GroupMap: map[string]OrgRole{"stuff": {Org: "lab-a", Role: spectra.RoleEngineer}}}
	}
	login := func(t *testing.T, o *OIDC, nonce, verifier string) string {
		t.Helper()
		back, err := url.Parse(z.SignIn(t, oidctest.NewBrowser(), o.AuthCodeURL("st-z", nonce, verifier), redirect))
		if err != nil {
			t.Fatal(err)
		}
		if q := back.Query(); q.Get("state") != "st-z" || q.Get("code") == "" {
			t.Fatalf("sent back with %v", q)
		}
		return back.Query().Get("code")
	}

	for _, c := range []struct{ name, id, secret string }{
		{"confidential client", oidctest.ZitadelWebClient, oidctest.ZitadelWebSecret},
		{"public client, PKCE only", oidctest.ZitadelNativeClient, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			o, _ := newTestOIDC(t, config(c.id, c.secret, "openid", "profile", "email", oidctest.ZitadelCustomScope))
			verifier := NewPKCEVerifier()
			id, err := o.Exchange(t.Context(), login(t, o, "n-z", verifier), verifier, "n-z")
			if err != nil {
				t.Fatalf("Exchange: %v", err)
			}
			want := []OrgRole{{Org: "lab-a", Role: spectra.RoleEngineer}}
			if id.Issuer != z.Issuer || id.Subject != oidctest.ZitadelSubject || id.Org != "lab-a" ||
				id.Role != spectra.RoleEngineer || len(id.Memberships) != 1 || id.Memberships[0] != want[0] {
				t.Fatalf("identity %+v", id)
			}
		})
	}

	t.Run("the claims come only with the scope that asks for them", func(t *testing.T) {
		o, _ := newTestOIDC(t, config(oidctest.ZitadelWebClient, oidctest.ZitadelWebSecret)) // openid profile email
		verifier := NewPKCEVerifier()
		id, err := o.Exchange(t.Context(), login(t, o, "n-d", verifier), verifier, "n-d")
		if err != nil {
			t.Fatalf("Exchange: %v", err)
		}
		if id.Subject != oidctest.ZitadelSubject || id.Org != "" || id.Role != "" || id.Memberships != nil {
			t.Fatalf("without %s: identity %+v", oidctest.ZitadelCustomScope, id)
		}
	})

	t.Run("the provider enforces PKCE", func(t *testing.T) {
		o, _ := newTestOIDC(t, config(oidctest.ZitadelWebClient, oidctest.ZitadelWebSecret))
		code := login(t, o, "n-p", NewPKCEVerifier())
		_, err := o.Exchange(t.Context(), code, NewPKCEVerifier(), "n-p")
		oidcRejectedByIdP(t, err, "invalid_grant")
	})

	t.Run("its tokens as bearer tokens", func(t *testing.T) {
		o, _ := newTestOIDC(t, config(oidctest.ZitadelWebClient, oidctest.ZitadelWebSecret, "openid", oidctest.ZitadelCustomScope))
		verifier := NewPKCEVerifier()
		tok, err := o.oauth.Exchange(t.Context(), login(t, o, "n-b", verifier), oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatal(err)
		}
		// Its access tokens are opaque to us (the example registers its
		// clients with AccessTokenTypeBearer): a JWE only the provider can
		// open (alg A256GCMKW), not a signed JWT, so refused.
		if strings.Count(tok.AccessToken, ".") != 4 {
			t.Fatalf("the example's access token is no longer a JWE; test it as what it is: %s", tok.AccessToken)
		}
		_, err = o.VerifyAccessToken(t.Context(), tok.AccessToken)
		oidcRejected(t, err, errOIDCAlgorithm)

		// Its ID token has aud = the client id = our audience, the nonce,
		// azp and at_hash: the rules refuse it as an access token.
		raw, _ := tok.Extra("id_token").(string)
		header, claims := jwtParts(t, raw)
		for _, k := range []string{"nonce", "azp", "at_hash"} {
			if claims[k] == nil {
				t.Errorf("the example's ID token lacks %s: %v", k, claims)
			}
		}
		if kind, rule := classifyOIDCToken(header, claims, oidctest.ZitadelWebClient, oidctest.ZitadelWebClient); kind != oidcIDToken {
			t.Errorf("its ID token classified as %s (%s)", kind, rule)
		}
		_, err = o.VerifyAccessToken(t.Context(), raw)
		oidcRejected(t, err, errOIDCNotAccessToken)
	})
}

func TestOIDCJWTAccessTokensFromZitadel(t *testing.T) {
	t.Parallel()
	const redirect = "http://127.0.0.1:9/auth/oidc/callback"
	z := oidctest.StartZitadel(t, redirect)
	o, _ := newTestOIDC(t, OIDCConfig{Issuer: z.Issuer, Audience: oidctest.ZitadelJWTClient,
		ClientID: oidctest.ZitadelJWTClient, ClientSecret: oidctest.ZitadelJWTSecret, RedirectURL: redirect,
		Scopes: []string{"openid", oidctest.ZitadelCustomScope}, GroupsClaim: oidctest.ZitadelCustomClaim + ".other",
		GroupMap: map[string]OrgRole{"stuff": {Org: "lab-a", Role: spectra.RoleEngineer}}})
	verifier := NewPKCEVerifier()
	back, err := url.Parse(z.SignIn(t, oidctest.NewBrowser(), o.AuthCodeURL("st-j", "n-j", verifier), redirect))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := o.oauth.Exchange(t.Context(), back.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}

	// The provider's JWT access token: signed with its JWKS key, aud = the
	// client id, client_id, no nonce or at_hash: an access token by the
	// last rule, and the identity its claims carry.
	header, claims := jwtParts(t, tok.AccessToken)
	if claims["client_id"] != oidctest.ZitadelJWTClient || claims["nonce"] != nil || claims["at_hash"] != nil {
		t.Fatalf("the provider's JWT access token changed shape: %v %v", header, claims)
	}
	if kind, rule := classifyOIDCToken(header, claims, oidctest.ZitadelJWTClient, oidctest.ZitadelJWTClient); kind != oidcAccessToken {
		t.Fatalf("its access token classified as %s (%s)", kind, rule)
	}
	id, err := o.VerifyAccessToken(t.Context(), tok.AccessToken)
	if err != nil {
		t.Fatalf("its access token refused: %v", err)
	}
	if id.Issuer != z.Issuer || id.Subject != oidctest.ZitadelSubject || id.Org != "lab-a" || id.Role != spectra.RoleEngineer {
		t.Fatalf("identity %+v", id)
	}

	// The same token with its signature's last byte changed, and the ID
	// token issued with it, are refused.
	sig := tok.AccessToken[strings.LastIndex(tok.AccessToken, ".")+1:]
	b, _ := base64.RawURLEncoding.DecodeString(sig)
	b[len(b)-1] ^= 1
	forged := tok.AccessToken[:len(tok.AccessToken)-len(sig)] + base64.RawURLEncoding.EncodeToString(b)
	if _, err := o.VerifyAccessToken(t.Context(), forged); err == nil {
		t.Error("a forged signature was accepted")
	}
	raw, _ := tok.Extra("id_token").(string)
	_, err = o.VerifyAccessToken(t.Context(), raw)
	oidcRejected(t, err, errOIDCNotAccessToken)
}

// jwtParts decodes a JWT's header and claims without verifying them.
func jwtParts(t *testing.T, raw string) (header, claims map[string]any) {
	t.Helper()
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", raw)
	}
	for i, v := range []*map[string]any{&header, &claims} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatal(err)
		}
	}
	return header, claims
}
