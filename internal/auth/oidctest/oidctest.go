// Package oidctest runs a small but real OpenID Connect provider for tests,
// on an httptest server: discovery, a JWKS with an RSA and a P-256 key that
// can rotate, an /authorize that logs a preset user in without a UI, and a
// /token endpoint for the authorization-code grant with PKCE S256. It also
// forges the tokens an attacker would try (alg none, HS256 keyed with the
// public key), so verifiers can be shown to refuse them.
package oidctest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Defaults of a new Provider.
const (
	DefaultClientID = "spectra-web" // the client of the authorization-code flow
	DefaultAudience = "spectra-api" // the aud of access tokens
	DefaultSubject  = "test-user"   // the sub when the claims name none
	TokenTTL        = 5 * time.Minute
	codeTTL         = time.Minute
)

// Provider is a running test identity provider. Its exported fields are
// set by New and must not be changed.
type Provider struct {
	URL          string // the issuer: the server's base URL
	ClientID     string
	ClientSecret string // "" for a public client
	Audience     string // the aud of the access tokens it issues

	srv              *httptest.Server
	discoveredIssuer string
	jwksHits         atomic.Int64
	jwksFail         atomic.Bool

	mu       sync.Mutex
	gen      int
	current  *keySet
	previous *keySet // published until the next rotation
	rogue    *keySet // never published
	user     map[string]any
	codes    map[string]*grant
}

// keySet is one generation of signing keys.
type keySet struct {
	rsa    *rsa.PrivateKey
	rsaKID string
	ec     *ecdsa.PrivateKey
	ecKID  string
}

// grant is an issued authorization code.
type grant struct {
	clientID, redirectURI, challenge, nonce, scope string
	user                                           map[string]any
	expires                                        time.Time
	used                                           bool
}

// Option configures a Provider.
type Option func(*Provider)

// WithClient registers the login client; a non-empty secret makes it a
// confidential client that must authenticate at /token.
func WithClient(id, secret string) Option {
	return func(p *Provider) { p.ClientID, p.ClientSecret = id, secret }
}

// WithAudience sets the aud of the access tokens.
func WithAudience(aud string) Option { return func(p *Provider) { p.Audience = aud } }

// WithDiscoveredIssuer makes the discovery document claim iss instead of
// the server's URL, as a misconfigured or impostor provider would.
func WithDiscoveredIssuer(iss string) Option {
	return func(p *Provider) { p.discoveredIssuer = iss }
}

// New starts a provider with freshly generated keys (RSA-2048 and P-256)
// and the user {"sub": DefaultSubject}. The server stops when t ends.
func New(t testing.TB, opts ...Option) *Provider {
	t.Helper()
	p := &Provider{ClientID: DefaultClientID, Audience: DefaultAudience,
		user: map[string]any{"sub": DefaultSubject}, codes: map[string]*grant{}}
	for _, o := range opts {
		o(p)
	}
	p.current = p.newKeys(t)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", p.serveDiscovery)
	mux.HandleFunc("GET /jwks", p.serveJWKS)
	mux.HandleFunc("GET /authorize", p.serveAuthorize)
	mux.HandleFunc("POST /token", p.serveToken)
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	p.URL = p.srv.URL
	if p.discoveredIssuer == "" {
		p.discoveredIssuer = p.URL
	}
	return p
}

func (p *Provider) newKeys(t testing.TB) *keySet {
	t.Helper()
	r, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatalf("oidctest: RSA key: %v", err)
	}
	e, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("oidctest: P-256 key: %v", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.gen++
	return &keySet{rsa: r, rsaKID: fmt.Sprintf("rsa-%d", p.gen), ec: e, ecKID: fmt.Sprintf("ec-%d", p.gen)}
}

// RotateKeys makes a new generation of keys current; the JWKS publishes it
// and the one before, so the oldest keys are withdrawn.
func (p *Provider) RotateKeys(t testing.TB) {
	t.Helper()
	next := p.newKeys(t)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.previous, p.current = p.current, next
}

// KeyID is the kid of the current key for alg ("RS256" or "ES256").
func (p *Provider) KeyID(alg string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if alg == jwt.SigningMethodES256.Alg() {
		return p.current.ecKID
	}
	return p.current.rsaKID
}

// JWKSHits is how often the JWKS was requested, failed requests included.
func (p *Provider) JWKSHits() int { return int(p.jwksHits.Load()) }

// FailJWKS makes the JWKS answer 503 (true) or serve keys again (false).
func (p *Provider) FailJWKS(fail bool) { p.jwksFail.Store(fail) }

// SetUser sets the claims of the user /authorize logs in; they go into both
// the ID token and the access token. Without "sub", DefaultSubject is used.
func (p *Provider) SetUser(claims map[string]any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.user = maps.Clone(claims)
}

func (p *Provider) serveDiscovery(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                p.discoveredIssuer,
		"authorization_endpoint":                p.URL + "/authorize",
		"token_endpoint":                        p.URL + "/token",
		"jwks_uri":                              p.URL + "/jwks",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256", "ES256"},
		"code_challenge_methods_supported":      []string{"S256"},
		"grant_types_supported":                 []string{"authorization_code"},
		"scopes_supported":                      []string{"openid", "profile", "email"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post", "none"},
	})
}

func (p *Provider) serveJWKS(w http.ResponseWriter, _ *http.Request) {
	p.jwksHits.Add(1)
	if p.jwksFail.Load() {
		http.Error(w, "JWKS unavailable", http.StatusServiceUnavailable)
		return
	}
	p.mu.Lock()
	sets := []*keySet{p.current}
	if p.previous != nil {
		sets = append(sets, p.previous)
	}
	p.mu.Unlock()
	var keys []map[string]string
	for _, s := range sets {
		keys = append(keys, rsaJWK(s.rsaKID, &s.rsa.PublicKey), ecJWK(s.ecKID, &s.ec.PublicKey))
	}
	writeJSON(w, http.StatusOK, map[string]any{"keys": keys})
}

var b64 = base64.RawURLEncoding

func rsaJWK(kid string, k *rsa.PublicKey) map[string]string {
	return map[string]string{"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
		"n": b64.EncodeToString(k.N.Bytes()), "e": b64.EncodeToString(big.NewInt(int64(k.E)).Bytes())}
}

func ecJWK(kid string, k *ecdsa.PublicKey) map[string]string {
	point, err := k.Bytes() // 0x04 || X || Y, 32 bytes each
	if err != nil {
		panic(fmt.Sprintf("oidctest: P-256 public key: %v", err))
	}
	return map[string]string{"kty": "EC", "kid": kid, "use": "sig", "alg": "ES256", "crv": "P-256",
		"x": b64.EncodeToString(point[1:33]), "y": b64.EncodeToString(point[33:])}
}

// serveAuthorize logs the preset user in at once and sends the browser
// back to redirect_uri with a code and the state.
func (p *Provider) serveAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") != p.ClientID {
		http.Error(w, "unknown client_id", http.StatusBadRequest)
		return
	}
	back, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || !back.IsAbs() {
		http.Error(w, "redirect_uri must be an absolute URL", http.StatusBadRequest)
		return
	}
	reply := func(params map[string]string) {
		v := back.Query()
		for k, x := range params {
			v.Set(k, x)
		}
		if s := q.Get("state"); s != "" {
			v.Set("state", s)
		}
		back.RawQuery = v.Encode()
		http.Redirect(w, r, back.String(), http.StatusFound)
	}
	switch {
	case q.Get("response_type") != "code":
		reply(map[string]string{"error": "unsupported_response_type"})
		return
	case !slices.Contains(strings.Fields(q.Get("scope")), "openid"):
		reply(map[string]string{"error": "invalid_scope", "error_description": "openid is required"})
		return
	case q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "":
		reply(map[string]string{"error": "invalid_request", "error_description": "PKCE with S256 is required"})
		return
	}
	code := randomString()
	p.mu.Lock()
	p.codes[code] = &grant{clientID: p.ClientID, redirectURI: q.Get("redirect_uri"), challenge: q.Get("code_challenge"),
		nonce: q.Get("nonce"), scope: q.Get("scope"), user: maps.Clone(p.user), expires: time.Now().Add(codeTTL)}
	p.mu.Unlock()
	reply(map[string]string{"code": code})
}

// serveToken implements the authorization_code grant. A code is spent by
// its first redemption, whatever the outcome, as real providers do.
func (p *Provider) serveToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		tokenError(w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	id, secret, basic := r.BasicAuth()
	if basic { // RFC 6749 §2.3.1: form-encoded before Basic encoding
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
	} else {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != p.ClientID || (p.ClientSecret != "" && subtle.ConstantTimeCompare([]byte(secret), []byte(p.ClientSecret)) != 1) {
		tokenError(w, http.StatusUnauthorized, "invalid_client", "client authentication failed")
		return
	}
	if gt := r.PostForm.Get("grant_type"); gt != "authorization_code" {
		tokenError(w, http.StatusBadRequest, "unsupported_grant_type", gt)
		return
	}
	p.mu.Lock()
	g := p.codes[r.PostForm.Get("code")]
	var used bool
	if g != nil {
		used, g.used = g.used, true
	}
	p.mu.Unlock()
	var problem string
	switch {
	case g == nil:
		problem = "unknown code"
	case used:
		problem = "code already used"
	case time.Now().After(g.expires):
		problem = "code expired"
	case g.clientID != id:
		problem = "code issued to another client"
	case r.PostForm.Get("redirect_uri") != g.redirectURI:
		problem = "redirect_uri differs from the authorization request's"
	case S256Challenge(r.PostForm.Get("code_verifier")) != g.challenge:
		problem = "code_verifier does not match the code_challenge"
	}
	if problem != "" {
		tokenError(w, http.StatusBadRequest, "invalid_grant", problem)
		return
	}
	access, err := p.sign(p.accessClaims(g.user, g.scope), tokenConfig{alg: "RS256", header: map[string]any{"typ": "at+jwt"}})
	if err != nil {
		tokenError(w, http.StatusInternalServerError, "server_error", err.Error())
		return
	}
	idToken, err := p.sign(p.idTokenClaims(g.user, g.nonce, access), tokenConfig{alg: "RS256"})
	if err != nil {
		tokenError(w, http.StatusInternalServerError, "server_error", err.Error())
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]any{"access_token": access, "token_type": "Bearer",
		"expires_in": int(TokenTTL.Seconds()), "id_token": idToken, "scope": g.scope})
}

// S256Challenge is PKCE's S256 code_challenge of verifier (RFC 7636 §4.2).
func S256Challenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return b64.EncodeToString(sum[:])
}

func tokenError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func randomString() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return b64.EncodeToString(b)
}
