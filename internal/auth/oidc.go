package auth

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/MicahParks/keyfunc/v3"
	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2"

	"github.com/spectra-lab/spectra/internal/spectra"
)

// OIDCConfig configures accepting an external identity provider's tokens.
type OIDCConfig struct {
	Issuer       string   // SPECTRA_OIDC_ISSUER, e.g. https://keycloak.example/realms/lab
	Audience     string   // SPECTRA_OIDC_AUDIENCE: the `aud` API access tokens must carry
	ClientID     string   // SPECTRA_OIDC_CLIENT_ID: for the browser's authorization-code flow
	ClientSecret string   // SPECTRA_OIDC_CLIENT_SECRET (optional: public clients use PKCE only)
	RedirectURL  string   // <public URL>/auth/oidc/callback
	Scopes       []string // default openid, profile, email; openid is always requested
	OrgClaim     string   // default "org": claim holding the organization slug
	RoleClaim    string   // default "role": claim holding the role name (or a list of names)
	GroupsClaim  string   // default "groups": claim holding a list of group names

	// GroupMap optionally maps an IdP group to an organization and a role;
	// the highest role wins per organization.
	GroupMap map[string]OrgRole

	EmailClaim, NameClaim string // defaults "email", "name"

	// HTTPClient is used for discovery, JWKS and token calls; nil means a
	// client with a 10 s timeout.
	HTTPClient *http.Client

	// MinRefreshInterval is the least time between two JWKS fetches, so
	// tokens naming unknown key ids cannot make us hammer the IdP; default
	// 30 s.
	MinRefreshInterval time.Duration
}

// OrgRole is a membership: an organization slug and a role in it.
type OrgRole struct {
	Org  string
	Role spectra.Role
}

// ExternalIdentity is what a verified IdP token says about its bearer.
type ExternalIdentity struct {
	Issuer, Subject, Email, Name string

	// Org is the organization slug: the OrgClaim's value, else the only
	// organization Memberships names, else "" (none, or several to choose
	// from).
	Org string
	// Role is the role in Org ("" when none). With no organization at all
	// it is the RoleClaim's role, left for the caller to place.
	Role spectra.Role
	// Memberships lists every organization the token grants a role in,
	// from GroupMap and the OrgClaim/RoleClaim pair, sorted by slug.
	Memberships []OrgRole

	TokenID   string // jti, if any
	ExpiresAt time.Time
	IssuedAt  time.Time // iat, if any
}

// OIDC verifies an OpenID Connect provider's access tokens and runs the
// browser's authorization-code flow with PKCE against it. It is safe for
// concurrent use.
type OIDC struct {
	cfg      OIDCConfig
	client   *http.Client
	now      func() time.Time
	keys     *oidcKeys
	keyfunc  keyfunc.Keyfunc
	access   *jwt.Parser // full validation of access tokens
	sigOnly  *jwt.Parser // signature only, for go-oidc's ID token checks
	oauth    oauth2.Config
	idTokens *oidc.IDTokenVerifier
}

const (
	oidcHTTPTimeout       = 10 * time.Second
	oidcDefaultMinRefresh = 30 * time.Second
	oidcJWKSMaxAge        = time.Hour // refetch keys this old, so withdrawn keys stop being trusted
	oidcMaxJWKSBytes      = 1 << 20
)

// oidcAlgs is the signature allow-list: the asymmetric algorithms IdPs use.
// Every HMAC algorithm is absent on purpose: an HS256 token "signed" with
// the IdP's public key must never verify.
var oidcAlgs = []string{jwt.SigningMethodRS256.Alg(), jwt.SigningMethodES256.Alg()}

// Reasons a token is refused; they reach logs through spectra.Error.Err.
var (
	errOIDCMalformed      = errors.New("malformed token")
	errOIDCAlgorithm      = errors.New("signature algorithm not allowed")
	errOIDCHeader         = errors.New("unsupported token header")
	errOIDCNotAccessToken = errors.New("not an access token")
	errOIDCNoSubject      = errors.New("no subject")
	errOIDCNonce          = errors.New("nonce mismatch")
	errOIDCRateLimited    = errors.New("JWKS refetch rate-limited")
)

// Why a single sign-on failed, for the login page's reason (the errors
// returned carry one of these, to be found with errors.Is).
var (
	// ErrIdPRefused: the provider's token endpoint refused the code.
	ErrIdPRefused = errors.New("the identity provider refused the code")
	// ErrNoOrganization: the provider's claims (and the group map) name
	// no organization.
	ErrNoOrganization = errors.New("the identity names no organization")
	// ErrNoRole: they name an organization but no role in it.
	ErrNoRole = errors.New("the identity names no role")
)

// NewOIDC discovers cfg.Issuer's OpenID configuration, checks that it
// names cfg.Issuer as its issuer, and fetches its JWKS. It fails when
// Issuer or Audience is empty or the provider cannot be reached.
func NewOIDC(ctx context.Context, cfg OIDCConfig) (*OIDC, error) {
	return newOIDC(ctx, cfg, time.Now)
}

func newOIDC(ctx context.Context, cfg OIDCConfig, now func() time.Time) (*OIDC, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: oidcHTTPTimeout}
	}
	ctx = oidc.ClientContext(ctx, client)
	provider, err := oidc.NewProvider(ctx, cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("auth: oidc discovery for %s: %w", cfg.Issuer, err)
	}
	var meta struct {
		Issuer      string   `json:"issuer"`
		JWKSURI     string   `json:"jwks_uri"`
		AuthMethods []string `json:"token_endpoint_auth_methods_supported"`
	}
	if err := provider.Claims(&meta); err != nil {
		return nil, fmt.Errorf("auth: oidc discovery for %s: %w", cfg.Issuer, err)
	}
	// go-oidc checks this too; checked here so the rule does not hang on a
	// library detail.
	if meta.Issuer != cfg.Issuer {
		return nil, fmt.Errorf("auth: oidc: the provider calls itself %q, not %q", meta.Issuer, cfg.Issuer)
	}
	if meta.JWKSURI == "" {
		return nil, fmt.Errorf("auth: oidc: %s publishes no jwks_uri", cfg.Issuer)
	}

	o := &OIDC{cfg: cfg, client: client, now: now}
	o.keys = &oidcKeys{MemoryJWKSet: jwkset.NewMemoryStorage(), url: meta.JWKSURI,
		client: client, minInterval: cfg.MinRefreshInterval, now: now}
	if err := o.keys.fetch(ctx); err != nil {
		return nil, fmt.Errorf("auth: oidc: %w", err)
	}
	if o.keyfunc, err = keyfunc.New(keyfunc.Options{Storage: o.keys}); err != nil {
		return nil, fmt.Errorf("auth: oidc: %w", err)
	}
	o.access = jwt.NewParser(
		jwt.WithValidMethods(oidcAlgs),
		jwt.WithIssuer(cfg.Issuer),
		jwt.WithAudience(cfg.Audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(Leeway),
		jwt.WithTimeFunc(now),
	)
	o.sigOnly = jwt.NewParser(jwt.WithValidMethods(oidcAlgs), jwt.WithoutClaimsValidation())

	endpoint := provider.Endpoint()
	endpoint.AuthStyle = oidcAuthStyle(cfg.ClientSecret, meta.AuthMethods)
	o.oauth = oauth2.Config{ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret,
		Endpoint: endpoint, RedirectURL: cfg.RedirectURL, Scopes: cfg.Scopes}
	o.idTokens = oidc.NewVerifier(cfg.Issuer, oidcKeySet{o}, &oidc.Config{
		ClientID: cfg.ClientID, SupportedSigningAlgs: oidcAlgs, Now: now})
	return o, nil
}

// withDefaults validates c and fills in its defaults, copying what the
// caller could change later.
func (c OIDCConfig) withDefaults() (OIDCConfig, error) {
	switch {
	case c.Issuer == "":
		return c, errors.New("auth: oidc: the issuer URL is required (SPECTRA_OIDC_ISSUER)")
	case c.Audience == "":
		return c, errors.New("auth: oidc: the API audience is required (SPECTRA_OIDC_AUDIENCE)")
	case c.ClientID != "" && c.RedirectURL == "":
		return c, errors.New("auth: oidc: the login flow needs a redirect URL")
	case c.MinRefreshInterval < 0:
		return c, fmt.Errorf("auth: oidc: negative JWKS refresh interval %s", c.MinRefreshInterval)
	}
	if c.MinRefreshInterval == 0 {
		c.MinRefreshInterval = oidcDefaultMinRefresh
	}
	if len(c.Scopes) == 0 {
		c.Scopes = []string{oidc.ScopeOpenID, "profile", "email"}
	} else if !slices.Contains(c.Scopes, oidc.ScopeOpenID) {
		c.Scopes = append([]string{oidc.ScopeOpenID}, c.Scopes...)
	} else {
		c.Scopes = slices.Clone(c.Scopes)
	}
	for _, d := range []struct {
		name *string
		def  string
	}{{&c.OrgClaim, "org"}, {&c.RoleClaim, "role"}, {&c.GroupsClaim, "groups"},
		{&c.EmailClaim, "email"}, {&c.NameClaim, "name"}} {
		if *d.name == "" {
			*d.name = d.def
		}
	}
	groups := make(map[string]OrgRole, len(c.GroupMap))
	for g, m := range c.GroupMap {
		if m.Org == "" || !m.Role.Valid() {
			return c, fmt.Errorf("auth: oidc: group %q maps to organization %q and role %q; both must be set and the role valid", g, m.Org, m.Role)
		}
		groups[g] = m
	}
	c.GroupMap = groups
	return c, nil
}

// oidcAuthStyle picks how the client authenticates at the token endpoint:
// a public client sends only its id in the body; a confidential one uses
// HTTP Basic (OIDC's default) unless the provider only takes the body.
func oidcAuthStyle(secret string, methods []string) oauth2.AuthStyle {
	switch {
	case secret == "":
		return oauth2.AuthStyleInParams
	case len(methods) == 0 || slices.Contains(methods, "client_secret_basic"):
		return oauth2.AuthStyleInHeader
	case slices.Contains(methods, "client_secret_post"):
		return oauth2.AuthStyleInParams
	}
	return oauth2.AuthStyleAutoDetect
}

// VerifyAccessToken checks an access token the IdP issued for our API and
// says whom it names. Every failure is a CodeUnauthenticated *spectra.Error
// with a generic message; its Err says why, for the logs.
func (o *OIDC) VerifyAccessToken(ctx context.Context, raw string) (ExternalIdentity, error) {
	claims, err := o.verifyAccess(ctx, raw)
	if err == nil {
		var id ExternalIdentity
		if id, err = o.identity(claims); err == nil {
			return id, nil
		}
	}
	return ExternalIdentity{}, unauthenticated(fmt.Errorf("oidc access token: %w", err))
}

func (o *OIDC) verifyAccess(ctx context.Context, raw string) (jwt.MapClaims, error) {
	// The header is vetted before any key is looked up: an algorithm off the
	// allow-list is refused without touching the JWKS.
	header, err := oidcCheckHeader(raw)
	if err != nil {
		return nil, err
	}
	claims := jwt.MapClaims{}
	if _, err := o.access.ParseWithClaims(raw, claims, o.keyfunc.KeyfuncCtx(ctx)); err != nil {
		return nil, err
	}
	if kind, rule := classifyOIDCToken(header, claims, o.cfg.Audience, o.cfg.ClientID); kind != oidcAccessToken {
		return nil, fmt.Errorf("%w: %s (%s)", errOIDCNotAccessToken, kind, rule)
	}
	return claims, nil
}

// oidcTokenKind is what a provider's signed JWT is, as far as its header
// and claims tell.
type oidcTokenKind string

// The kinds classifyOIDCToken tells apart.
const (
	oidcAccessToken oidcTokenKind = "access token"
	oidcIDToken     oidcTokenKind = "ID token"
	oidcOtherToken  oidcTokenKind = "another kind of token" // refresh, logout, security event…
)

// classifyOIDCToken decides whether a JWT the provider signed (signature,
// iss, aud ∋ audience and times already checked) is an access token, from
// its header and claims, and names the rule that decided. Providers mark
// their tokens differently, so the rules go from explicit marks to hints;
// the first that applies decides (docs/architecture.md, "Which tokens are
// access tokens"):
//
//  1. header typ other than JWT or at+jwt (id+jwt, logout+jwt, …): not an
//     access token;
//  2. claim typ ID, Refresh, Offline or Logout (Keycloak): not one;
//  3. header typ at+jwt (RFC 9068 §2.1): an access token;
//  4. claim typ Bearer (Keycloak): an access token;
//  5. aud names our API audience and not the login client (audience ≠
//     client id): an access token — an ID token's aud is the client;
//  6. at_hash or c_hash: an ID token (OIDC Core §3.1.3.6, §3.3.2.11: only
//     ID tokens bind other tokens);
//  7. azp: an ID token (aud here names the client, whom azp repeats);
//  8. otherwise an access token whose aud is the client id, as Dex and
//     others issue them.
//
// A nonce decides nothing: ID tokens carry the login's nonce, and so do
// Dex's access tokens.
func classifyOIDCToken(header, claims map[string]any, audience, clientID string) (oidcTokenKind, string) {
	htyp, _ := header["typ"].(string)
	htyp = strings.TrimPrefix(strings.ToLower(htyp), "application/") // RFC 7515 §4.1.9
	ctyp, _ := claims["typ"].(string)
	ctyp = strings.ToLower(ctyp)
	switch {
	case htyp != "" && htyp != "jwt" && htyp != "at+jwt":
		if htyp == "id+jwt" {
			return oidcIDToken, "header typ " + htyp
		}
		return oidcOtherToken, "header typ " + htyp
	case ctyp == "id":
		return oidcIDToken, "claim typ ID"
	case slices.Contains([]string{"refresh", "offline", "logout"}, ctyp):
		return oidcOtherToken, "claim typ " + ctyp
	case htyp == "at+jwt":
		return oidcAccessToken, "header typ at+jwt"
	case ctyp == "bearer":
		return oidcAccessToken, "claim typ Bearer"
	case audience != clientID && !slices.Contains(oidcStrings(claims["aud"]), clientID):
		return oidcAccessToken, "aud is the API's, not the client's"
	case claims["at_hash"] != nil || claims["c_hash"] != nil:
		return oidcIDToken, "at_hash or c_hash"
	case claims["azp"] != nil:
		return oidcIDToken, "azp with aud = client id"
	}
	return oidcAccessToken, "aud = client id, no ID token claims"
}

// oidcCheckHeader refuses a token whose alg is off the allow-list, whose
// typ is not a string, or that names critical extensions (RFC 7515
// §4.1.11: not understood, so not accepted). It returns the header for
// classifyOIDCToken.
func oidcCheckHeader(raw string) (map[string]any, error) {
	seg, _, ok := strings.Cut(raw, ".")
	if !ok {
		return nil, errOIDCMalformed
	}
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return nil, fmt.Errorf("%w: header: %v", errOIDCMalformed, err)
	}
	var h map[string]any
	if err := json.Unmarshal(b, &h); err != nil {
		return nil, fmt.Errorf("%w: header: %v", errOIDCMalformed, err)
	}
	if alg, _ := h["alg"].(string); !slices.Contains(oidcAlgs, alg) {
		return nil, fmt.Errorf("%w: %q", errOIDCAlgorithm, h["alg"])
	}
	if _, ok := h["crit"]; ok {
		return nil, fmt.Errorf("%w: crit %v", errOIDCHeader, h["crit"])
	}
	if typ, ok := h["typ"]; ok {
		if _, isString := typ.(string); !isString {
			return nil, fmt.Errorf("%w: header typ %v", errOIDCNotAccessToken, typ)
		}
	}
	return h, nil
}

// identity maps verified claims to an ExternalIdentity.
func (o *OIDC) identity(c jwt.MapClaims) (ExternalIdentity, error) {
	sub, _ := c["sub"].(string)
	if sub == "" {
		return ExternalIdentity{}, errOIDCNoSubject
	}
	id := ExternalIdentity{
		Subject: sub,
		Email:   oidcString(c, o.cfg.EmailClaim),
		Name:    oidcString(c, o.cfg.NameClaim),
	}
	id.Issuer, _ = c["iss"].(string)
	id.TokenID, _ = c["jti"].(string)
	if exp, err := c.GetExpirationTime(); err == nil && exp != nil {
		id.ExpiresAt = exp.Time
	}
	if iat, err := c.GetIssuedAt(); err == nil && iat != nil {
		id.IssuedAt = iat.Time
	}

	org := oidcString(c, o.cfg.OrgClaim)
	role := oidcHighestRole(oidcStrings(oidcClaim(c, o.cfg.RoleClaim)))
	byOrg := map[string]spectra.Role{}
	grant := func(org string, r spectra.Role) {
		if cur, ok := byOrg[org]; !ok || !cur.AtLeast(r) {
			byOrg[org] = r
		}
	}
	for _, g := range oidcStrings(oidcClaim(c, o.cfg.GroupsClaim)) {
		if m, ok := o.cfg.GroupMap[g]; ok {
			grant(m.Org, m.Role)
		}
	}
	if org != "" && role != "" {
		grant(org, role)
	}
	for org, r := range byOrg {
		id.Memberships = append(id.Memberships, OrgRole{Org: org, Role: r})
	}
	slices.SortFunc(id.Memberships, func(a, b OrgRole) int { return strings.Compare(a.Org, b.Org) })

	switch {
	case org != "":
		id.Org, id.Role = org, byOrg[org]
	case len(id.Memberships) == 1:
		id.Org, id.Role = id.Memberships[0].Org, id.Memberships[0].Role
	case len(id.Memberships) == 0:
		id.Role = role
	}
	return id, nil
}

// oidcClaim finds a claim by its literal name, else by a dotted path into
// nested objects ("realm_access.roles"). Names such as
// "https://lab.example/org" contain dots, hence the literal try first.
func oidcClaim(c map[string]any, name string) any {
	if v, ok := c[name]; ok {
		return v
	}
	var cur any = c
	for part := range strings.SplitSeq(name, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[part]
	}
	return cur
}

func oidcString(c map[string]any, name string) string {
	s, _ := oidcClaim(c, name).(string)
	return s
}

// oidcStrings reads a claim that is a string or a list of strings; other
// elements are skipped.
func oidcStrings(v any) []string {
	switch v := v.(type) {
	case string:
		if v != "" {
			return []string{v}
		}
	case []any:
		var out []string
		for _, e := range v {
			if s, ok := e.(string); ok && s != "" {
				out = append(out, s)
			}
		}
		return out
	case []string:
		return v
	}
	return nil
}

// oidcHighestRole is the highest of names that is a role; unknown names
// (an IdP's own roles such as offline_access) are ignored.
func oidcHighestRole(names []string) spectra.Role {
	for _, r := range spectra.Roles {
		if slices.Contains(names, string(r)) {
			return r
		}
	}
	return ""
}

// AuthCodeURL is where to send the browser to log in: the authorization-
// code flow with PKCE (S256 challenge of verifier) and nonce. It needs
// ClientID and RedirectURL to be configured.
func (o *OIDC) AuthCodeURL(state, nonce, verifier string) string {
	return o.oauth.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), oidc.Nonce(nonce))
}

// Exchange redeems the code the IdP sent to the callback, with the PKCE
// verifier and nonce of the login that began the flow, verifies the ID
// token (issuer, aud = ClientID, expiry, signature, nonce) and maps its
// claims. It returns CodeUnauthenticated when the login fails and
// CodeUnavailable when the IdP cannot be reached.
func (o *OIDC) Exchange(ctx context.Context, code, verifier, nonce string) (ExternalIdentity, error) {
	failed := func(err error) (ExternalIdentity, error) {
		return ExternalIdentity{}, unauthenticated(fmt.Errorf("oidc login: %w", err))
	}
	switch {
	case o.cfg.ClientID == "":
		return failed(errors.New("no client id configured"))
	case code == "" || verifier == "" || nonce == "":
		return failed(errors.New("code, verifier and nonce are all required"))
	}
	tok, err := o.oauth.Exchange(oidc.ClientContext(ctx, o.client), code, oauth2.VerifierOption(verifier))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			return failed(fmt.Errorf("%w: %w", ErrIdPRefused, err))
		}
		return ExternalIdentity{}, &spectra.Error{Code: spectra.CodeUnavailable,
			Message: "the identity provider is unavailable", Err: fmt.Errorf("oidc login: %w", err)}
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return failed(errors.New("the token response has no id_token"))
	}
	idt, err := o.idTokens.Verify(ctx, raw)
	if err != nil {
		return failed(err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(nonce)) != 1 {
		return failed(errOIDCNonce)
	}
	if idt.AccessTokenHash != "" {
		if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
			return failed(err)
		}
	}
	claims := jwt.MapClaims{}
	if err := idt.Claims(&claims); err != nil {
		return failed(err)
	}
	if azp, ok := claims["azp"]; ok && azp != o.cfg.ClientID {
		return failed(fmt.Errorf("ID token issued to %v", azp))
	}
	id, err := o.identity(claims)
	if err != nil {
		return failed(err)
	}
	return id, nil
}

// NewPKCEVerifier returns a fresh PKCE code verifier (RFC 7636), to keep
// with the login's state until the callback.
func NewPKCEVerifier() string { return oauth2.GenerateVerifier() }

// oidcKeySet lets go-oidc verify ID token signatures against the same
// cached JWKS and allow-list as access tokens.
type oidcKeySet struct{ o *OIDC }

func (k oidcKeySet) VerifySignature(ctx context.Context, raw string) ([]byte, error) {
	if _, err := k.o.sigOnly.Parse(raw, k.o.keyfunc.KeyfuncCtx(ctx)); err != nil {
		return nil, err
	}
	parts := strings.Split(raw, ".") // three parts: Parse checked
	return base64.RawURLEncoding.DecodeString(parts[1])
}

// oidcKeys is the IdP's published signing keys, cached. A token naming an
// unknown kid triggers a refetch, but fetches are at least minInterval
// apart, so a flood of made-up kids costs the IdP one request per interval.
// A refetch that is not allowed fails at once: jwkset's own unknown-kid
// refresh waits on its rate limiter instead, parking every such request.
type oidcKeys struct {
	*jwkset.MemoryJWKSet
	url         string
	client      *http.Client
	minInterval time.Duration
	now         func() time.Time

	mu        sync.Mutex   // one fetch at a time
	fetchedAt atomic.Int64 // unix nanoseconds of the last fetch attempt
}

// KeyRead returns the key named kid, refetching the set once (rate
// permitting) when it is unknown.
func (k *oidcKeys) KeyRead(ctx context.Context, kid string) (jwkset.JWK, error) {
	k.refreshIfOld(ctx)
	jwk, err := k.MemoryJWKSet.KeyRead(ctx, kid)
	if !errors.Is(err, jwkset.ErrKeyNotFound) {
		return jwk, err
	}
	if err := k.refetch(ctx, kid); err != nil {
		return jwkset.JWK{}, fmt.Errorf("%w %q: %w", jwkset.ErrKeyNotFound, kid, err)
	}
	return k.MemoryJWKSet.KeyRead(ctx, kid)
}

// KeyReadAll returns every key, for tokens that name no kid.
func (k *oidcKeys) KeyReadAll(ctx context.Context) ([]jwkset.JWK, error) {
	k.refreshIfOld(ctx)
	return k.MemoryJWKSet.KeyReadAll(ctx)
}

// refreshIfOld refetches a set older than oidcJWKSMaxAge. If that fails the
// old keys stay in use: an IdP outage must not lock everyone out.
func (k *oidcKeys) refreshIfOld(ctx context.Context) {
	if k.age() >= oidcJWKSMaxAge {
		_ = k.refetch(ctx, "")
	}
}

// refetch fetches the set again, unless kid turned up meanwhile (another
// request fetched it) or the last fetch is less than minInterval ago.
func (k *oidcKeys) refetch(ctx context.Context, kid string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if kid != "" {
		if _, err := k.MemoryJWKSet.KeyRead(ctx, kid); err == nil {
			return nil
		}
	}
	if age := k.age(); age < k.minInterval {
		return fmt.Errorf("%w: last fetch %s ago", errOIDCRateLimited, age)
	}
	// The fetch outlives a request that gives up: its result serves the
	// requests after it, and an abandoned attempt would still count.
	return k.fetch(context.WithoutCancel(ctx))
}

func (k *oidcKeys) age() time.Duration {
	return k.now().Sub(time.Unix(0, k.fetchedAt.Load()))
}

// fetch replaces the cached keys with the published ones. Every attempt
// counts against minInterval, so a failing IdP is not hammered either.
func (k *oidcKeys) fetch(ctx context.Context) error {
	k.fetchedAt.Store(k.now().UnixNano())
	ctx, cancel := context.WithTimeout(ctx, oidcHTTPTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.url, nil)
	if err != nil {
		return fmt.Errorf("JWKS %s: %w", k.url, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := k.client.Do(req)
	if err != nil {
		return fmt.Errorf("JWKS %s: %w", k.url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("JWKS %s: %s", k.url, resp.Status)
	}
	var set jwkset.JWKSMarshal
	if err := json.NewDecoder(io.LimitReader(resp.Body, oidcMaxJWKSBytes)).Decode(&set); err != nil {
		return fmt.Errorf("JWKS %s: %w", k.url, err)
	}
	keys := make([]jwkset.JWK, 0, len(set.Keys))
	var skipped []error
	for _, m := range set.Keys {
		if m.USE != "" && m.USE != jwkset.UseSig {
			continue // an encryption key never verifies a signature
		}
		// Public parts only: a symmetric ("oct") key cannot be loaded, so
		// the JWKS cannot smuggle in an HMAC secret. One odd key is skipped
		// rather than taking the others down.
		jwk, err := jwkset.NewJWKFromMarshal(m, jwkset.JWKMarshalOptions{}, jwkset.JWKValidateOptions{})
		if err != nil {
			skipped = append(skipped, fmt.Errorf("kid %q: %w", m.KID, err))
			continue
		}
		keys = append(keys, jwk)
	}
	if len(keys) == 0 {
		return errors.Join(fmt.Errorf("JWKS %s has no usable signing key", k.url), errors.Join(skipped...))
	}
	return k.KeyReplaceAll(ctx, keys)
}

// Issuer is the identity provider's issuer URL (the iss of its tokens).
func (o *OIDC) Issuer() string { return o.cfg.Issuer }
