package auth

import (
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2"

	"github.com/spectra-lab/spectra/internal/auth/oidctest"
	"github.com/spectra-lab/spectra/internal/spectra"
)

const oidcTestRedirect = "https://spectra.example/auth/oidc/callback"

// oidcClock is the verifier's clock in tests: JWKS rate limits and key age
// move only when a test says so.
type oidcClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *oidcClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *oidcClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

var oidcTestGroups = map[string]OrgRole{
	"lab-a-admins":  {Org: "lab-a", Role: spectra.RoleAdmin},
	"lab-a-techs":   {Org: "lab-a", Role: spectra.RoleTechnician},
	"lab-b-viewers": {Org: "lab-b", Role: spectra.RoleViewer},
}

// oidcConfig is the configuration that trusts p.
func oidcConfig(p *oidctest.Provider) OIDCConfig {
	return OIDCConfig{Issuer: p.URL, Audience: p.Audience, ClientID: p.ClientID, ClientSecret: p.ClientSecret,
		RedirectURL: oidcTestRedirect, GroupMap: oidcTestGroups}
}

// newTestOIDC builds a verifier for cfg on a test clock starting now.
func newTestOIDC(t *testing.T, cfg OIDCConfig) (*OIDC, *oidcClock) {
	t.Helper()
	clock := &oidcClock{t: time.Now()}
	o, err := newOIDC(t.Context(), cfg, clock.now)
	if err != nil {
		t.Fatalf("newOIDC: %v", err)
	}
	return o, clock
}

// oidcRejected checks that err is the generic CodeUnauthenticated error and
// that its cause is want.
func oidcRejected(t *testing.T, err, want error) {
	t.Helper()
	var e *spectra.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v is not a *spectra.Error", err)
	}
	generic := unauthenticated(nil).(*spectra.Error).Message
	if e.Code != spectra.CodeUnauthenticated || e.Message != generic {
		t.Errorf("error = %q/%q, want %q/%q", e.Code, e.Message, spectra.CodeUnauthenticated, generic)
	}
	if !errors.Is(err, want) {
		t.Errorf("rejected for %v, want %v", err, want)
	}
}

func TestOIDCVerifyAccessTokenAccepts(t *testing.T) {
	t.Parallel()
	p := oidctest.New(t)
	o, _ := newTestOIDC(t, oidcConfig(p))
	now := time.Now()
	exp := now.Add(time.Minute).Truncate(time.Second)
	base := func(extra map[string]any) map[string]any {
		c := map[string]any{"sub": "kc-42", "email": "ada@lab.example", "name": "Ada", "jti": "tok-1", "exp": exp.Unix()}
		for k, v := range extra {
			c[k] = v
		}
		return c
	}
	person := func(org string, role spectra.Role, ms ...OrgRole) ExternalIdentity {
		return ExternalIdentity{Issuer: p.URL, Subject: "kc-42", Email: "ada@lab.example", Name: "Ada",
			Org: org, Role: role, Memberships: ms, TokenID: "tok-1", ExpiresAt: exp}
	}
	labA := func(r spectra.Role) OrgRole { return OrgRole{Org: "lab-a", Role: r} }

	tests := []struct {
		name   string
		claims map[string]any
		opts   []oidctest.TokenOption
		want   ExternalIdentity
	}{
		{"RS256 with org and role", base(map[string]any{"org": "lab-a", "role": "engineer"}), nil,
			person("lab-a", spectra.RoleEngineer, labA(spectra.RoleEngineer))},
		{"ES256 with org and role", base(map[string]any{"org": "lab-a", "role": "pi"}),
			[]oidctest.TokenOption{oidctest.WithAlg("ES256")},
			person("lab-a", spectra.RolePI, labA(spectra.RolePI))},
		{"a role list counts its highest role and ignores unknown names",
			base(map[string]any{"org": "lab-a", "role": []any{"viewer", "offline_access", "pi", "engineer"}}), nil,
			person("lab-a", spectra.RolePI, labA(spectra.RolePI))},
		{"an unknown role name is no role", base(map[string]any{"org": "lab-a", "role": "superuser"}), nil,
			person("lab-a", "")},
		{"groups in two organizations: the highest role in each, no organization chosen",
			base(map[string]any{"groups": []any{"lab-a-techs", "lab-a-admins", "lab-b-viewers", "unmapped"}}), nil,
			person("", "", labA(spectra.RoleAdmin), OrgRole{Org: "lab-b", Role: spectra.RoleViewer})},
		{"one mapped group gives its organization and role", base(map[string]any{"groups": []any{"lab-b-viewers"}}), nil,
			person("lab-b", spectra.RoleViewer, OrgRole{Org: "lab-b", Role: spectra.RoleViewer})},
		{"the org claim chooses; the higher of claim and group role wins",
			base(map[string]any{"org": "lab-a", "role": "technician", "groups": []any{"lab-a-admins", "lab-b-viewers"}}), nil,
			person("lab-a", spectra.RoleAdmin, labA(spectra.RoleAdmin), OrgRole{Org: "lab-b", Role: spectra.RoleViewer})},
		{"a role without an organization is kept for the caller", base(map[string]any{"role": "engineer"}), nil,
			person("", spectra.RoleEngineer)},
		{"header typ at+jwt", base(nil), []oidctest.TokenOption{oidctest.WithType("at+jwt")}, person("", "")},
		{"header typ application/at+jwt", base(nil), []oidctest.TokenOption{oidctest.WithType("application/at+jwt")}, person("", "")},
		{"header typ jwt in lower case", base(nil), []oidctest.TokenOption{oidctest.WithType("jwt")}, person("", "")},
		{"no header typ", base(nil), []oidctest.TokenOption{oidctest.WithHeader("typ", nil)}, person("", "")},
		{"no kid: the published keys are tried", base(nil), []oidctest.TokenOption{oidctest.WithHeader("kid", nil)}, person("", "")},
		{"claim typ Bearer (Keycloak's access tokens)", base(map[string]any{"typ": "Bearer"}), nil, person("", "")},
		{"aud is a list that holds ours", base(map[string]any{"aud": []any{"account", p.Audience}}), nil, person("", "")},
		{"a nonce, as Dex's access tokens carry", base(map[string]any{"nonce": "n-1"}), nil, person("", "")},
		{"azp and at_hash with the API's aud", base(map[string]any{"azp": p.ClientID, "at_hash": "x"}), nil, person("", "")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := o.VerifyAccessToken(t.Context(), p.AccessToken(t, tt.claims, tt.opts...))
			if err != nil {
				t.Fatalf("VerifyAccessToken: %v", err)
			}
			if d := time.Since(id.IssuedAt); d < -time.Minute || d > time.Minute {
				t.Errorf("IssuedAt %v is not about now", id.IssuedAt)
			}
			id.IssuedAt = time.Time{}
			if !reflect.DeepEqual(id, tt.want) {
				t.Errorf("identity\n got %+v\nwant %+v", id, tt.want)
			}
		})
	}

	// The leeway is 30 s: clock skew within it passes, beyond it fails
	// (the rejections are in TestOIDCVerifyAccessTokenRejects).
	for name, claims := range map[string]map[string]any{
		"expired 10 s ago":      {"exp": now.Add(-10 * time.Second).Unix()},
		"nbf 10 s ahead":        {"nbf": now.Add(10 * time.Second).Unix()},
		"issued 10 s in future": {"iat": now.Add(10 * time.Second).Unix()},
	} {
		if _, err := o.VerifyAccessToken(t.Context(), p.AccessToken(t, claims)); err != nil {
			t.Errorf("%s, within the leeway: %v", name, err)
		}
	}
}

func TestOIDCVerifyAccessTokenRejects(t *testing.T) {
	t.Parallel()
	p := oidctest.New(t)
	o, _ := newTestOIDC(t, oidcConfig(p))
	// Some providers use the login client's id as the API's audience too;
	// then only typ and nonce tell an ID token from an access token.
	cfg := oidcConfig(p)
	cfg.Audience = p.ClientID
	sameAud, _ := newTestOIDC(t, cfg)
	now := time.Now()
	ago := func(d time.Duration) int64 { return now.Add(-d).Unix() }
	ahead := func(d time.Duration) int64 { return now.Add(d).Unix() }

	type token func(t *testing.T) string
	access := func(claims map[string]any, opts ...oidctest.TokenOption) token {
		return func(t *testing.T) string { return p.AccessToken(t, claims, opts...) }
	}
	tests := []struct {
		name    string
		token   token
		sameAud bool // verify with the audience = client id verifier
		want    error
	}{
		{"alg none", func(t *testing.T) string { return p.ForgeNone(t, nil) }, false, errOIDCAlgorithm},
		{"alg None", func(t *testing.T) string { return p.ForgeNone(t, nil, oidctest.WithHeader("alg", "None")) }, false, errOIDCAlgorithm},
		{"alg none without a kid", func(t *testing.T) string { return p.ForgeNone(t, nil, oidctest.WithHeader("kid", nil)) }, false, errOIDCAlgorithm},
		{"HS256 keyed with the public key, PKIX PEM", func(t *testing.T) string { return p.ForgeHS256(t, nil, oidctest.PKIXPEM) }, false, errOIDCAlgorithm},
		{"HS256 keyed with the public key, PKIX DER", func(t *testing.T) string { return p.ForgeHS256(t, nil, oidctest.PKIXDER) }, false, errOIDCAlgorithm},
		{"HS256 keyed with the public key, PKCS1 PEM", func(t *testing.T) string { return p.ForgeHS256(t, nil, oidctest.PKCS1PEM) }, false, errOIDCAlgorithm},
		{"HS256 keyed with the public key, PKCS1 DER", func(t *testing.T) string { return p.ForgeHS256(t, nil, oidctest.PKCS1DER) }, false, errOIDCAlgorithm},
		{"RS512 with the published key (off the allow-list)", access(nil, oidctest.WithAlg("RS512")), false, errOIDCAlgorithm},
		{"PS256 with the published key (off the allow-list)", access(nil, oidctest.WithAlg("PS256")), false, errOIDCAlgorithm},
		{"RS256 signed by an unpublished key under a published kid", access(nil, oidctest.WithUnpublishedKey()), false, jwt.ErrTokenSignatureInvalid},
		{"ES256 signed by an unpublished key under a published kid", access(nil, oidctest.WithAlg("ES256"), oidctest.WithUnpublishedKey()), false, jwt.ErrTokenSignatureInvalid},
		{"header alg RS256 over an ES256 signature", access(nil, oidctest.WithAlg("ES256"), oidctest.WithHeader("alg", "RS256")), false, jwt.ErrTokenUnverifiable},
		{"unknown kid", access(nil, oidctest.WithKID("no-such-key")), false, jwkset.ErrKeyNotFound},
		{"expired beyond the leeway", access(map[string]any{"exp": ago(45 * time.Second)}), false, jwt.ErrTokenExpired},
		{"nbf beyond the leeway", access(map[string]any{"nbf": ahead(2 * time.Minute)}), false, jwt.ErrTokenNotValidYet},
		{"issued in the future beyond the leeway", access(map[string]any{"iat": ahead(2 * time.Minute)}), false, jwt.ErrTokenUsedBeforeIssued},
		{"missing exp", access(map[string]any{"exp": nil}), false, jwt.ErrTokenRequiredClaimMissing},
		{"wrong iss", access(map[string]any{"iss": "https://evil.example"}), false, jwt.ErrTokenInvalidIssuer},
		{"iss with a trailing slash", access(map[string]any{"iss": p.URL + "/"}), false, jwt.ErrTokenInvalidIssuer},
		{"missing iss", access(map[string]any{"iss": nil}), false, jwt.ErrTokenRequiredClaimMissing},
		{"wrong aud", access(map[string]any{"aud": "account"}), false, jwt.ErrTokenInvalidAudience},
		{"aud list without ours", access(map[string]any{"aud": []any{"account", "other-api"}}), false, jwt.ErrTokenInvalidAudience},
		{"missing aud", access(map[string]any{"aud": nil}), false, jwt.ErrTokenRequiredClaimMissing},
		{"missing sub", access(map[string]any{"sub": nil}), false, errOIDCNoSubject},
		{"ID token (aud = client id) as access token", func(t *testing.T) string { return p.IDToken(t, nil, "n-1") }, false, jwt.ErrTokenInvalidAudience},
		{"ID token as access token where aud = client id", func(t *testing.T) string { return p.IDToken(t, nil, "n-1") }, true, errOIDCNotAccessToken},
		{"ID token claims without azp where aud = client id: at_hash", access(map[string]any{"aud": p.ClientID, "nonce": "n-1", "at_hash": "x"}), true, errOIDCNotAccessToken},
		{"ID token claims without azp where aud = client id: c_hash", access(map[string]any{"aud": p.ClientID, "c_hash": "x"}), true, errOIDCNotAccessToken},
		{"header typ JWT, claim typ ID", access(map[string]any{"typ": "ID"}, oidctest.WithType("JWT")), false, errOIDCNotAccessToken},
		{"claim typ id", access(map[string]any{"typ": "id"}), false, errOIDCNotAccessToken},
		{"claim typ Refresh", access(map[string]any{"typ": "Refresh"}), false, errOIDCNotAccessToken},
		{"header typ id+jwt", access(nil, oidctest.WithType("id+jwt")), false, errOIDCNotAccessToken},
		{"header typ logout+jwt", access(nil, oidctest.WithType("logout+jwt")), false, errOIDCNotAccessToken},
		{"header typ not a string", access(nil, oidctest.WithHeader("typ", 7)), false, errOIDCNotAccessToken},
		{"critical header extension", access(nil, oidctest.WithHeader("crit", []string{"exp"})), false, errOIDCHeader},
		{"empty", func(*testing.T) string { return "" }, false, errOIDCMalformed},
		{"not a JWT", func(*testing.T) string { return "Bearer abc" }, false, errOIDCMalformed},
		{"header not base64", func(*testing.T) string { return "!!!.e30.sig" }, false, errOIDCMalformed},
	}
	hits := p.JWKSHits()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := o
			if tt.sameAud {
				v = sameAud
			}
			id, err := v.VerifyAccessToken(t.Context(), tt.token(t))
			if err == nil {
				t.Fatalf("accepted: %+v", id)
			}
			if !reflect.DeepEqual(id, ExternalIdentity{}) {
				t.Errorf("a rejection returned identity %+v", id)
			}
			oidcRejected(t, err, tt.want)
		})
	}
	// The clock stood still since the keys were fetched: the unknown kid's
	// refetch was rate-limited, and nothing else fetched at all.
	if got := p.JWKSHits(); got != hits {
		t.Errorf("JWKS fetched %d times while rejecting, want 0", got-hits)
	}
}

// Providers whose API audience is the login client's id (Dex, zitadel's
// example) leave only the ID token claims to tell the two kinds apart.
func TestOIDCAccessTokenWithClientAudience(t *testing.T) {
	t.Parallel()
	p := oidctest.New(t)
	cfg := oidcConfig(p)
	cfg.Audience = p.ClientID
	o, _ := newTestOIDC(t, cfg)
	dex := map[string]any{"aud": p.ClientID, "nonce": "n-1", "email": "ada@lab.example", "org": "lab-a", "role": "pi"}
	id, err := o.VerifyAccessToken(t.Context(), p.AccessToken(t, dex, oidctest.WithType("JWT")))
	if err != nil || id.Org != "lab-a" || id.Role != spectra.RolePI {
		t.Fatalf("a Dex-style access token (aud = client id, nonce): %+v, %v", id, err)
	}
	_, err = o.VerifyAccessToken(t.Context(), p.IDToken(t, dex, "n-1"))
	oidcRejected(t, err, errOIDCNotAccessToken)
}

func TestClassifyOIDCToken(t *testing.T) {
	t.Parallel()
	const api, client = "spectra-api", "spectra-web"
	hdr := func(typ string) map[string]any {
		h := map[string]any{"alg": "RS256", "kid": "k"}
		if typ != "" {
			h["typ"] = typ
		}
		return h
	}
	tests := []struct {
		name           string
		header, claims map[string]any
		audience       string // configured; client is always spectra-web
		want           oidcTokenKind
	}{
		// 1. a header typ of another kind
		{"header typ id+jwt", hdr("id+jwt"), map[string]any{"aud": api}, api, oidcIDToken},
		{"header typ application/logout+jwt", hdr("application/logout+jwt"), map[string]any{"aud": api}, api, oidcOtherToken},
		{"header typ secevent+jwt", hdr("secevent+jwt"), map[string]any{"aud": api}, api, oidcOtherToken},
		// 2. Keycloak's claim typ
		{"claim typ ID, even with the API's aud", hdr("JWT"), map[string]any{"aud": api, "typ": "ID"}, api, oidcIDToken},
		{"claim typ ID beats header typ at+jwt", hdr("at+jwt"), map[string]any{"aud": api, "typ": "ID"}, api, oidcIDToken},
		{"claim typ Refresh", hdr("JWT"), map[string]any{"aud": api, "typ": "Refresh"}, api, oidcOtherToken},
		{"claim typ Offline", hdr(""), map[string]any{"aud": api, "typ": "Offline"}, api, oidcOtherToken},
		{"claim typ Logout", hdr(""), map[string]any{"aud": api, "typ": "Logout"}, api, oidcOtherToken},
		// 3. RFC 9068
		{"header typ at+jwt, aud = client id, with ID token claims", hdr("at+jwt"),
			map[string]any{"aud": client, "azp": client, "at_hash": "h", "nonce": "n"}, client, oidcAccessToken},
		{"header typ application/AT+JWT", hdr("application/AT+JWT"), map[string]any{"aud": client, "azp": client}, client, oidcAccessToken},
		// 4. Keycloak's access tokens
		{"claim typ Bearer with azp, aud = client id", hdr("JWT"), map[string]any{"aud": client, "azp": client, "typ": "Bearer"}, client, oidcAccessToken},
		// 5. the API's own audience
		{"aud = the API, with azp, at_hash and nonce", hdr("JWT"), map[string]any{"aud": api, "azp": client, "at_hash": "h", "nonce": "n"}, api, oidcAccessToken},
		{"aud lists the API and another, no typ", hdr(""), map[string]any{"aud": []any{"account", api}, "azp": client}, api, oidcAccessToken},
		{"aud lists the API and the client: the hints decide", hdr("JWT"), map[string]any{"aud": []any{client, api}, "azp": client}, api, oidcIDToken},
		// 6. ID token hashes
		{"aud = client id with at_hash", hdr("JWT"), map[string]any{"aud": client, "at_hash": "h"}, client, oidcIDToken},
		{"aud = client id with c_hash", hdr("JWT"), map[string]any{"aud": []any{client}, "c_hash": "h"}, client, oidcIDToken},
		// 7. azp
		{"aud = client id with azp (zitadel's ID tokens)", hdr("JWT"), map[string]any{"aud": []any{client}, "azp": client, "client_id": client, "nonce": "n"}, client, oidcIDToken},
		// 8. the rest
		{"aud = client id with a nonce (Dex's access tokens)", hdr(""), map[string]any{"aud": client, "nonce": "n"}, client, oidcAccessToken},
		{"aud = client id, nothing else", hdr("JWT"), map[string]any{"aud": client}, client, oidcAccessToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, rule := classifyOIDCToken(tt.header, tt.claims, tt.audience, client)
			if got != tt.want {
				t.Errorf("classified as %s by rule %q, want %s", got, rule, tt.want)
			}
			if rule == "" {
				t.Error("no rule named")
			}
		})
	}
	// Without a login client (API tokens only), the audience decides.
	if got, rule := classifyOIDCToken(hdr("JWT"), map[string]any{"aud": api, "azp": "other"}, api, ""); got != oidcAccessToken {
		t.Errorf("no login client: %s by %q", got, rule)
	}
}

func TestOIDCClaimPaths(t *testing.T) {
	t.Parallel()
	p := oidctest.New(t)
	cfg := oidcConfig(p)
	cfg.OrgClaim, cfg.RoleClaim = "https://lab.example/org", "realm_access.roles"
	cfg.GroupsClaim, cfg.EmailClaim, cfg.NameClaim = "resource_access.spectra.groups", "contact.email", "preferred_username"
	o, _ := newTestOIDC(t, cfg)
	tests := []struct {
		name   string
		claims map[string]any
		want   func(ExternalIdentity) bool
	}{
		{"a URL claim name is read literally, dotted paths reach into objects", map[string]any{
			"https://lab.example/org": "lab-a",
			"realm_access":            map[string]any{"roles": []any{"offline_access", "technician", "pi"}},
			"contact":                 map[string]any{"email": "ada@lab.example"},
			"preferred_username":      "ada",
		}, func(id ExternalIdentity) bool {
			return id.Org == "lab-a" && id.Role == spectra.RolePI && id.Email == "ada@lab.example" && id.Name == "ada"
		}},
		{"a literal key wins over the path", map[string]any{
			"https://lab.example/org": "lab-a",
			"realm_access.roles":      "viewer",
			"realm_access":            map[string]any{"roles": []any{"admin"}},
		}, func(id ExternalIdentity) bool { return id.Role == spectra.RoleViewer }},
		{"a path through a non-object finds nothing", map[string]any{
			"https://lab.example/org": "lab-a",
			"realm_access":            "admin",
		}, func(id ExternalIdentity) bool { return id.Org == "lab-a" && id.Role == "" }},
		{"groups three levels down", map[string]any{
			"resource_access": map[string]any{"spectra": map[string]any{"groups": []any{"lab-b-viewers"}}},
		}, func(id ExternalIdentity) bool { return id.Org == "lab-b" && id.Role == spectra.RoleViewer }},
		{"an org that is not a string is none", map[string]any{
			"https://lab.example/org": []any{"lab-a"},
			"realm_access":            map[string]any{"roles": []any{"admin"}},
		}, func(id ExternalIdentity) bool {
			return id.Org == "" && id.Role == spectra.RoleAdmin && id.Memberships == nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := o.VerifyAccessToken(t.Context(), p.AccessToken(t, tt.claims))
			if err != nil {
				t.Fatal(err)
			}
			if !tt.want(id) {
				t.Errorf("identity %+v", id)
			}
		})
	}
}

func TestOIDCKeyRotation(t *testing.T) {
	t.Parallel()
	p := oidctest.New(t)
	o, clock := newTestOIDC(t, oidcConfig(p))
	ctx := t.Context()
	accept := func(what, tok string) {
		t.Helper()
		if _, err := o.VerifyAccessToken(ctx, tok); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	wantHits := func(n int) {
		t.Helper()
		if got := p.JWKSHits(); got != n {
			t.Fatalf("JWKS fetched %d times, want %d", got, n)
		}
	}
	old := p.AccessToken(t, nil)
	accept("first key", old)
	wantHits(1) // by NewOIDC only

	p.RotateKeys(t)
	rotated := p.AccessToken(t, nil)
	_, err := o.VerifyAccessToken(ctx, rotated)
	oidcRejected(t, err, errOIDCRateLimited) // the set was fetched just now
	wantHits(1)

	// Requests that meet the new kid together share one refetch: those
	// queued behind it find the key instead of hitting the rate limit.
	clock.advance(o.cfg.MinRefreshInterval)
	errs := make([]error, 20)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() { _, errs[i] = o.VerifyAccessToken(ctx, rotated) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("new RSA key: %v", err)
	}
	wantHits(2)
	accept("new P-256 key", p.AccessToken(t, nil, oidctest.WithAlg("ES256")))
	accept("previous key, still published", old)
	accept("new RSA key again", rotated)
	wantHits(2)

	p.RotateKeys(t) // withdraws the first generation
	clock.advance(o.cfg.MinRefreshInterval)
	accept("third key", p.AccessToken(t, nil))
	wantHits(3)
	_, err = o.VerifyAccessToken(ctx, old)
	oidcRejected(t, err, jwkset.ErrKeyNotFound)
	accept("second key, now the previous one", rotated)
	wantHits(3)
}

func TestOIDCUnknownKidBurstIsRateLimited(t *testing.T) {
	t.Parallel()
	p := oidctest.New(t)
	o, clock := newTestOIDC(t, oidcConfig(p))
	clock.advance(o.cfg.MinRefreshInterval) // one refetch is due
	const n = 50
	forged := make([]string, n)
	for i := range forged {
		forged[i] = p.AccessToken(t, nil, oidctest.WithKID(oidcRandom(t)))
	}
	valid := p.AccessToken(t, nil)
	before := p.JWKSHits()

	errs := make([]error, n)
	validErrs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, errs[i] = o.VerifyAccessToken(t.Context(), forged[i])
			_, validErrs[i] = o.VerifyAccessToken(t.Context(), valid)
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] == nil {
			t.Fatalf("token %d with an unknown kid accepted", i)
		}
		oidcRejected(t, errs[i], jwkset.ErrKeyNotFound)
		if validErrs[i] != nil {
			t.Fatalf("valid token rejected during the burst: %v", validErrs[i])
		}
	}
	if got := p.JWKSHits() - before; got != 1 {
		t.Fatalf("%d tokens with unknown kids caused %d JWKS fetches, want 1", n, got)
	}

	// The next interval allows one more refetch, and only one.
	clock.advance(o.cfg.MinRefreshInterval)
	for range 3 {
		_, err := o.VerifyAccessToken(t.Context(), p.AccessToken(t, nil, oidctest.WithKID(oidcRandom(t))))
		oidcRejected(t, err, jwkset.ErrKeyNotFound)
	}
	if got := p.JWKSHits() - before; got != 2 {
		t.Fatalf("JWKS fetched %d times in two intervals, want 2", got)
	}
}

func TestOIDCJWKSMaxAge(t *testing.T) {
	t.Parallel()
	p := oidctest.New(t)
	o, clock := newTestOIDC(t, oidcConfig(p))
	long := map[string]any{"exp": time.Now().Add(4 * time.Hour).Unix()}
	tok := p.AccessToken(t, long)

	clock.advance(oidcJWKSMaxAge)
	if _, err := o.VerifyAccessToken(t.Context(), tok); err != nil {
		t.Fatal(err)
	}
	if got := p.JWKSHits(); got != 2 {
		t.Fatalf("JWKS fetched %d times, want 2 (an hour-old set is refetched)", got)
	}

	p.FailJWKS(true)
	clock.advance(oidcJWKSMaxAge)
	if _, err := o.VerifyAccessToken(t.Context(), tok); err != nil {
		t.Fatalf("the IdP's JWKS is down and a known key was dropped: %v", err)
	}
	if got := p.JWKSHits(); got != 3 {
		t.Fatalf("JWKS fetched %d times, want 3", got)
	}
	if _, err := o.VerifyAccessToken(t.Context(), tok); err != nil || p.JWKSHits() != 3 {
		t.Fatalf("after a failed refetch: err %v, %d fetches (want nil, 3: the attempt counts against the rate limit)", err, p.JWKSHits())
	}
}

func TestNewOIDCConfigErrors(t *testing.T) {
	t.Parallel()
	p := oidctest.New(t)
	impostor := oidctest.New(t, oidctest.WithDiscoveredIssuer("https://impostor.example"))
	broken := oidctest.New(t)
	broken.FailJWKS(true)
	tests := []struct {
		name   string
		cfg    func() OIDCConfig
		errHas string
	}{
		{"no issuer", func() OIDCConfig { c := oidcConfig(p); c.Issuer = ""; return c }, "SPECTRA_OIDC_ISSUER"},
		{"no audience", func() OIDCConfig { c := oidcConfig(p); c.Audience = ""; return c }, "SPECTRA_OIDC_AUDIENCE"},
		{"login client without redirect URL", func() OIDCConfig { c := oidcConfig(p); c.RedirectURL = ""; return c }, "redirect URL"},
		{"negative refresh interval", func() OIDCConfig { c := oidcConfig(p); c.MinRefreshInterval = -time.Second; return c }, "negative"},
		{"group mapped to an unknown role", func() OIDCConfig {
			c := oidcConfig(p)
			c.GroupMap = map[string]OrgRole{"g": {Org: "lab-a", Role: "owner"}}
			return c
		}, `group "g"`},
		{"group mapped to no organization", func() OIDCConfig {
			c := oidcConfig(p)
			c.GroupMap = map[string]OrgRole{"g": {Role: spectra.RoleViewer}}
			return c
		}, `group "g"`},
		{"discovery names another issuer", func() OIDCConfig { return oidcConfig(impostor) }, "impostor.example"},
		{"issuer differs by a trailing slash", func() OIDCConfig { c := oidcConfig(p); c.Issuer += "/"; return c }, "did not match"},
		{"JWKS unavailable", func() OIDCConfig { return oidcConfig(broken) }, "503"},
		{"issuer unreachable", func() OIDCConfig { c := oidcConfig(p); c.Issuer = "http://127.0.0.1:1"; return c }, "discovery"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := NewOIDC(t.Context(), tt.cfg())
			if err == nil {
				t.Fatalf("NewOIDC succeeded: %+v", o)
			}
			if !strings.Contains(err.Error(), tt.errHas) {
				t.Errorf("error %q does not mention %q", err, tt.errHas)
			}
		})
	}

	cfg := oidcConfig(p)
	cfg.ClientID, cfg.RedirectURL = "", "" // API tokens only, no browser login
	if _, err := NewOIDC(t.Context(), cfg); err != nil {
		t.Errorf("NewOIDC without a login client: %v", err)
	}
}

func TestOIDCAuthCodeURL(t *testing.T) {
	t.Parallel()
	p := oidctest.New(t)
	o, _ := newTestOIDC(t, oidcConfig(p))
	verifier := NewPKCEVerifier()
	if len(verifier) < 43 || verifier == NewPKCEVerifier() {
		t.Fatalf("verifier %q: too short or not random", verifier)
	}
	u, err := url.Parse(o.AuthCodeURL("st-1", "n-1", verifier))
	if err != nil {
		t.Fatal(err)
	}
	if got := u.Scheme + "://" + u.Host + u.Path; got != p.URL+"/authorize" {
		t.Errorf("authorization endpoint %q, want %q", got, p.URL+"/authorize")
	}
	q := u.Query()
	want := map[string]string{
		"response_type": "code", "client_id": p.ClientID, "redirect_uri": oidcTestRedirect,
		"state": "st-1", "nonce": "n-1", "scope": "openid profile email",
		"code_challenge_method": "S256", "code_challenge": oidctest.S256Challenge(verifier),
	}
	for k, v := range want {
		if q.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, q.Get(k), v)
		}
	}
	if strings.Contains(u.RawQuery, "code_verifier") || strings.Contains(u.RawQuery, verifier) {
		t.Error("the PKCE verifier leaks into the authorization URL")
	}
}

// oidcLogin runs the browser's part of the flow: it follows AuthCodeURL to
// the provider's /authorize and returns the code from the redirect back.
func oidcLogin(t *testing.T, o *OIDC, state, nonce, verifier string) string {
	t.Helper()
	browser := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := browser.Get(o.AuthCodeURL(state, nonce, verifier))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("/authorize answered %s", resp.Status)
	}
	back, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	q := back.Query()
	back.RawQuery = ""
	if back.String() != oidcTestRedirect || q.Get("state") != state || q.Get("code") == "" || q.Get("error") != "" {
		t.Fatalf("redirected to %s with %v", back, q)
	}
	return q.Get("code")
}

func oidcRandom(t *testing.T) string {
	t.Helper()
	return NewPKCEVerifier()[:16]
}

func TestOIDCAuthCodeFlow(t *testing.T) {
	t.Parallel()
	user := map[string]any{"sub": "kc-42", "email": "ada@lab.example", "name": "Ada Lovelace",
		"org": "lab-a", "role": []any{"viewer", "engineer"}, "groups": []any{"lab-b-viewers"}}
	for _, client := range []struct{ name, id, secret string }{
		{"public client", "spectra-spa", ""},
		{"confidential client", "spectra-web", "s3cret-s3cret"},
	} {
		t.Run(client.name, func(t *testing.T) {
			t.Parallel()
			p := oidctest.New(t, oidctest.WithClient(client.id, client.secret))
			p.SetUser(user)
			o, _ := newTestOIDC(t, oidcConfig(p))
			ctx := t.Context()

			t.Run("right verifier and nonce", func(t *testing.T) {
				verifier := NewPKCEVerifier()
				code := oidcLogin(t, o, "st", "n-ok", verifier)
				id, err := o.Exchange(ctx, code, verifier, "n-ok")
				if err != nil {
					t.Fatalf("Exchange: %v", err)
				}
				if time.Until(id.ExpiresAt) <= 0 {
					t.Errorf("ExpiresAt %v is not in the future", id.ExpiresAt)
				}
				if d := time.Since(id.IssuedAt); d < -time.Minute || d > time.Minute {
					t.Errorf("IssuedAt %v is not about now", id.IssuedAt)
				}
				id.ExpiresAt, id.IssuedAt = time.Time{}, time.Time{}
				want := ExternalIdentity{Issuer: p.URL, Subject: "kc-42", Email: "ada@lab.example", Name: "Ada Lovelace",
					Org: "lab-a", Role: spectra.RoleEngineer,
					Memberships: []OrgRole{{Org: "lab-a", Role: spectra.RoleEngineer}, {Org: "lab-b", Role: spectra.RoleViewer}}}
				if !reflect.DeepEqual(id, want) {
					t.Errorf("identity\n got %+v\nwant %+v", id, want)
				}
			})
			t.Run("wrong verifier", func(t *testing.T) {
				code := oidcLogin(t, o, "st", "n", NewPKCEVerifier())
				_, err := o.Exchange(ctx, code, NewPKCEVerifier(), "n")
				oidcRejectedByIdP(t, err, "invalid_grant")
			})
			t.Run("wrong nonce", func(t *testing.T) {
				verifier := NewPKCEVerifier()
				code := oidcLogin(t, o, "st", "n-sent", verifier)
				_, err := o.Exchange(ctx, code, verifier, "n-other")
				oidcRejected(t, err, errOIDCNonce)
			})
			t.Run("code used twice", func(t *testing.T) {
				verifier := NewPKCEVerifier()
				code := oidcLogin(t, o, "st", "n", verifier)
				if _, err := o.Exchange(ctx, code, verifier, "n"); err != nil {
					t.Fatalf("first use: %v", err)
				}
				_, err := o.Exchange(ctx, code, verifier, "n")
				oidcRejectedByIdP(t, err, "invalid_grant")
			})
			t.Run("made-up code", func(t *testing.T) {
				_, err := o.Exchange(ctx, "no-such-code", NewPKCEVerifier(), "n")
				oidcRejectedByIdP(t, err, "invalid_grant")
			})
			t.Run("no nonce to compare", func(t *testing.T) {
				verifier := NewPKCEVerifier()
				code := oidcLogin(t, o, "st", "", verifier)
				_, err := o.Exchange(ctx, code, verifier, "")
				var e *spectra.Error
				if !errors.As(err, &e) || e.Code != spectra.CodeUnauthenticated {
					t.Fatalf("Exchange without a nonce: %v", err)
				}
			})
			if client.secret != "" {
				t.Run("wrong client secret", func(t *testing.T) {
					cfg := oidcConfig(p)
					cfg.ClientSecret = "not-the-secret"
					impostor, _ := newTestOIDC(t, cfg)
					verifier := NewPKCEVerifier()
					code := oidcLogin(t, impostor, "st", "n", verifier)
					_, err := impostor.Exchange(ctx, code, verifier, "n")
					oidcRejectedByIdP(t, err, "invalid_client")
				})
			}
			t.Run("the flow's tokens at the API", func(t *testing.T) {
				verifier := NewPKCEVerifier()
				code := oidcLogin(t, o, "st", "n-api", verifier)
				tok, err := o.oauth.Exchange(ctx, code, oauth2.VerifierOption(verifier))
				if err != nil {
					t.Fatal(err)
				}
				id, err := o.VerifyAccessToken(ctx, tok.AccessToken)
				if err != nil || id.Subject != "kc-42" || id.Org != "lab-a" || id.Role != spectra.RoleEngineer {
					t.Fatalf("the flow's access token: %+v, %v", id, err)
				}
				raw, _ := tok.Extra("id_token").(string)
				_, err = o.VerifyAccessToken(ctx, raw)
				oidcRejected(t, err, jwt.ErrTokenInvalidAudience)
				cfg := oidcConfig(p)
				cfg.Audience = p.ClientID
				sameAud, _ := newTestOIDC(t, cfg)
				_, err = sameAud.VerifyAccessToken(ctx, raw)
				oidcRejected(t, err, errOIDCNotAccessToken)
			})
		})
	}
}

// oidcRejectedByIdP checks that err is a failed login whose cause is the
// token endpoint's error code.
func oidcRejectedByIdP(t *testing.T, err error, code string) {
	t.Helper()
	var e *spectra.Error
	var re *oauth2.RetrieveError
	switch {
	case !errors.As(err, &e) || e.Code != spectra.CodeUnauthenticated:
		t.Fatalf("error %v, want CodeUnauthenticated", err)
	case !errors.As(err, &re):
		t.Fatalf("error %v does not come from the token endpoint", err)
	case re.ErrorCode != code:
		t.Fatalf("token endpoint said %q (%s), want %q", re.ErrorCode, re.ErrorDescription, code)
	}
	if strings.Contains(e.Message, code) {
		t.Errorf("message %q shows the IdP's reason", e.Message)
	}
}
