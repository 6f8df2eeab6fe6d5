package httpapi

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/spectra-lab/spectra/internal/auth"
	"github.com/spectra-lab/spectra/internal/spectra"
)

// The browser's single sign-on: authorization code with PKCE. /login
// sends the browser to the identity provider with a fresh state, nonce and
// PKCE challenge, whose secrets travel in a sealed, HttpOnly cookie;
// /callback checks them, trades the code for the provider's tokens, and
// starts our own session (the refresh cookie), then returns the browser to
// where it was going.

const (
	oidcCookie  = "spectra_oidc"
	oidcPurpose = "oidc-login"
	oidcMaxAge  = 10 * time.Minute
)

type oidcState struct {
	State    string    `json:"s"`
	Nonce    string    `json:"n"`
	Verifier string    `json:"v"`
	ReturnTo string    `json:"r"`
	Expires  time.Time `json:"e"`
}

type oidcLoginInput struct {
	ReturnTo string `query:"return_to" maxLength:"2048" doc:"A path of this site to return to after signing in."`
}

type oidcCallbackInput struct {
	Code   string `query:"code" maxLength:"4096"`
	State  string `query:"state" maxLength:"512"`
	Error  string `query:"error" maxLength:"256" doc:"Set by the provider when sign-in failed."`
	Cookie string `cookie:"spectra_oidc"`
}

func (s *server) oidcLogin(ctx context.Context, in *oidcLoginInput) (*huma.StreamResponse, error) {
	idp := s.idp()
	if idp == nil {
		return nil, spectra.Errorf(spectra.CodeNotFound, "single sign-on is not configured")
	}
	st := oidcState{State: randomToken(), Nonce: randomToken(), Verifier: auth.NewPKCEVerifier(),
		ReturnTo: safeReturn(in.ReturnTo), Expires: s.now().Add(oidcMaxAge)}
	b, err := json.Marshal(st)
	if err != nil {
		return nil, err
	}
	c := http.Cookie{Name: oidcCookie, Value: s.auth.Tokens().Seal(oidcPurpose, b), Path: "/auth/oidc", HttpOnly: true,
		Secure: true, SameSite: http.SameSiteLaxMode, MaxAge: int(oidcMaxAge.Seconds())}
	return redirect(idp.AuthCodeURL(st.State, st.Nonce, st.Verifier), c.String()), nil
}

func (s *server) oidcCallback(ctx context.Context, in *oidcCallbackInput) (*huma.StreamResponse, error) {
	idp := s.idp()
	if idp == nil {
		return nil, spectra.Errorf(spectra.CodeNotFound, "single sign-on is not configured")
	}
	clear := http.Cookie{Name: oidcCookie, Path: "/auth/oidc", HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode, MaxAge: -1}
	fail := func(reason string, err error) (*huma.StreamResponse, error) {
		s.log.WarnContext(ctx, "single sign-on failed", "reason", reason, "err", err, "request_id", RequestID(ctx))
		return redirect("/login?"+url.Values{"error": {"sso_failed"}, "reason": {reason}}.Encode(), clear.String()), nil
	}
	if in.Error != "" {
		return fail(ssoProviderError, fmt.Errorf("the provider answered %q", in.Error))
	}
	raw, err := s.auth.Tokens().Open(oidcPurpose, in.Cookie)
	var st oidcState
	if err != nil || json.Unmarshal(raw, &st) != nil {
		return fail(ssoStateMismatch, fmt.Errorf("no or forged sign-in cookie: %w", err))
	}
	if s.now().After(st.Expires) || subtle.ConstantTimeCompare([]byte(st.State), []byte(in.State)) != 1 || in.Code == "" {
		return fail(ssoStateMismatch, errors.New("state mismatch, no code or expired"))
	}
	id, err := idp.Exchange(ctx, in.Code, st.Verifier, st.Nonce)
	if err != nil {
		return fail(ssoReason(err, ssoTokenInvalid), err)
	}
	c := clientFrom(ctx)
	sess, err := s.auth.LoginExternal(ctx, id, auth.Client{IP: c.IP, UserAgent: c.UserAgent, RequestID: RequestID(ctx)})
	if err != nil {
		if spectra.ErrorCode(err) == spectra.CodeUnauthenticated {
			return fail(ssoReason(err, ssoAccountRefused), err)
		}
		return nil, err
	}
	return redirect(st.ReturnTo, clear.String(), s.cookie(sess.RefreshToken, time.Until(sess.RefreshExpires))), nil
}

// Why single sign-on failed: the callback sends the browser to
// /login?error=sso_failed&reason=<one of these>, and the login page
// (web/src/pages/login/ssoReason.ts) says it in words. The error itself
// only reaches the log.
const (
	ssoStateMismatch       = "state_mismatch"       // no, forged or expired sign-in cookie, or another state
	ssoProviderError       = "provider_error"       // the provider sent an error, or refused the code
	ssoProviderUnavailable = "provider_unavailable" // the provider could not be reached
	ssoTokenInvalid        = "token_invalid"        // its ID token did not verify (signature, aud, nonce, …)
	ssoNoOrganization      = "no_organization"      // its claims name no organization
	ssoNoRole              = "no_role"              // …or no role in it
	ssoAccountRefused      = "account_refused"      // unknown organization, deactivated member, email of a local account
)

// ssoReasons lists them all (a test holds the login page to it).
var ssoReasons = []string{ssoStateMismatch, ssoProviderError, ssoProviderUnavailable, ssoTokenInvalid,
	ssoNoOrganization, ssoNoRole, ssoAccountRefused}

// ssoReason is the reason code of an error from Exchange or LoginExternal,
// or otherwise the one given.
func ssoReason(err error, otherwise string) string {
	switch {
	case errors.Is(err, auth.ErrIdPRefused):
		return ssoProviderError
	case spectra.ErrorCode(err) == spectra.CodeUnavailable:
		return ssoProviderUnavailable
	case errors.Is(err, auth.ErrNoOrganization):
		return ssoNoOrganization
	case errors.Is(err, auth.ErrNoRole):
		return ssoNoRole
	}
	return otherwise
}

func (s *server) idp() *auth.OIDC {
	if s.auth == nil {
		return nil
	}
	return s.auth.OIDC()
}

// redirect answers 302 to location, setting cookies.
func redirect(location string, cookies ...string) *huma.StreamResponse {
	return &huma.StreamResponse{Body: func(ctx huma.Context) {
		for _, c := range cookies {
			ctx.AppendHeader("Set-Cookie", c)
		}
		ctx.SetHeader("Cache-Control", "no-store")
		ctx.SetHeader("Location", location)
		ctx.SetStatus(http.StatusFound)
	}}
}

// safeReturn keeps a return path on this site: a relative path, never
// "//host" or a scheme (no open redirect).
func safeReturn(p string) string {
	u, err := url.Parse(p)
	if p == "" || err != nil || u.Scheme != "" || u.Host != "" || !strings.HasPrefix(p, "/") ||
		strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") {
		return "/"
	}
	return p
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
