package oidctest

import (
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// TokenOption shapes a token the Provider signs or forges.
type TokenOption func(*tokenConfig)

type tokenConfig struct {
	alg         string
	header      map[string]any // set last; a nil value removes the field
	unpublished bool
}

// WithAlg signs with alg instead of RS256: RS256, RS384, RS512, PS256,
// PS384 and PS512 use the RSA key, ES256 the P-256 key. Forgeries ignore it.
func WithAlg(alg string) TokenOption { return func(c *tokenConfig) { c.alg = alg } }

// WithKID sets the header's kid (by default the signing key's).
func WithKID(kid string) TokenOption { return WithHeader("kid", kid) }

// WithType sets the header's typ (by default "JWT").
func WithType(typ string) TokenOption { return WithHeader("typ", typ) }

// WithHeader sets a header field after everything else, so it can also
// contradict the signature (a nil value removes the field).
func WithHeader(name string, value any) TokenOption {
	return func(c *tokenConfig) {
		if c.header == nil {
			c.header = map[string]any{}
		}
		c.header[name] = value
	}
}

// WithUnpublishedKey signs with a key of the right type that the JWKS does
// not publish, keeping the published key's kid in the header: a forged
// signature. Forgeries ignore it.
func WithUnpublishedKey() TokenOption { return func(c *tokenConfig) { c.unpublished = true } }

func newTokenConfig(opts []TokenOption) tokenConfig {
	c := tokenConfig{alg: jwt.SigningMethodRS256.Alg()}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// AccessToken signs an access token with the current key. Its claims are
// iss, aud (the Audience), sub (DefaultSubject), iat, exp (TokenTTL from
// now) and a random jti, overridden by claims; a nil value removes a claim.
func (p *Provider) AccessToken(t testing.TB, claims map[string]any, opts ...TokenOption) string {
	t.Helper()
	cfg := newTokenConfig(opts)
	if cfg.unpublished {
		p.ensureRogue(t)
	}
	s, err := p.sign(p.defaultClaims(claims), cfg)
	if err != nil {
		t.Fatalf("oidctest: %v", err)
	}
	return s
}

// IDToken signs an ID token as /token issues them: the user's claims plus
// iss, sub, aud and azp (the client id), iat, auth_time, exp and, unless
// empty, nonce.
func (p *Provider) IDToken(t testing.TB, user map[string]any, nonce string, opts ...TokenOption) string {
	t.Helper()
	cfg := newTokenConfig(opts)
	if cfg.unpublished {
		p.ensureRogue(t)
	}
	s, err := p.sign(p.idTokenClaims(user, nonce, ""), cfg)
	if err != nil {
		t.Fatalf("oidctest: %v", err)
	}
	return s
}

func (p *Provider) defaultClaims(claims map[string]any) map[string]any {
	now := time.Now()
	c := map[string]any{"iss": p.URL, "aud": p.Audience, "sub": DefaultSubject,
		"iat": now.Unix(), "exp": now.Add(TokenTTL).Unix(), "jti": randomString()}
	for k, v := range claims {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

func (p *Provider) accessClaims(user map[string]any, scope string) map[string]any {
	c := maps.Clone(user)
	if c == nil {
		c = map[string]any{}
	}
	maps.Copy(c, p.defaultClaims(map[string]any{"sub": subject(user)}))
	c["client_id"], c["azp"], c["scope"] = p.ClientID, p.ClientID, scope
	return c
}

func (p *Provider) idTokenClaims(user map[string]any, nonce, accessToken string) map[string]any {
	now := time.Now()
	c := maps.Clone(user)
	if c == nil {
		c = map[string]any{}
	}
	c["iss"], c["sub"], c["aud"], c["azp"] = p.URL, subject(user), p.ClientID, p.ClientID
	c["iat"], c["auth_time"], c["exp"] = now.Unix(), now.Unix(), now.Add(TokenTTL).Unix()
	if nonce != "" {
		c["nonce"] = nonce
	}
	if accessToken != "" {
		// OIDC Core §3.1.3.6: the left half of the access token's SHA-256
		// (the hash of the ID token's RS256).
		sum := sha256.Sum256([]byte(accessToken))
		c["at_hash"] = b64.EncodeToString(sum[:len(sum)/2])
	}
	return c
}

func subject(user map[string]any) any {
	if s, ok := user["sub"]; ok {
		return s
	}
	return DefaultSubject
}

func (p *Provider) ensureRogue(t testing.TB) {
	t.Helper()
	p.mu.Lock()
	have := p.rogue != nil
	p.mu.Unlock()
	if have {
		return
	}
	k := p.newKeys(t) // spends a generation number; the kids are never shown
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.rogue == nil {
		p.rogue = k
	}
}

func (p *Provider) sign(claims map[string]any, cfg tokenConfig) (string, error) {
	p.mu.Lock()
	published, signer := p.current, p.current
	if cfg.unpublished {
		signer = p.rogue
	}
	p.mu.Unlock()
	method := jwt.GetSigningMethod(cfg.alg)
	var key any
	var kid string
	switch method.(type) {
	case *jwt.SigningMethodRSA, *jwt.SigningMethodRSAPSS:
		key, kid = signer.rsa, published.rsaKID
	case *jwt.SigningMethodECDSA:
		if method != jwt.SigningMethodES256 {
			return "", fmt.Errorf("no key for %s (only P-256)", cfg.alg)
		}
		key, kid = signer.ec, published.ecKID
	default:
		return "", fmt.Errorf("cannot sign %q; use ForgeHS256 or ForgeNone", cfg.alg)
	}
	tok := jwt.NewWithClaims(method, jwt.MapClaims(claims))
	tok.Header["kid"] = kid
	setHeader(tok.Header, cfg.header)
	return tok.SignedString(key)
}

func setHeader(h, overrides map[string]any) {
	for k, v := range overrides {
		if v == nil {
			delete(h, k)
		} else {
			h[k] = v
		}
	}
}

// KeyEncoding is how a forger turns the published RSA public key into an
// HMAC secret.
type KeyEncoding int

// The encodings algorithm-confusion attacks use.
const (
	PKIXPEM  KeyEncoding = iota // "-----BEGIN PUBLIC KEY-----" (SubjectPublicKeyInfo)
	PKIXDER                     // SubjectPublicKeyInfo, DER
	PKCS1PEM                    // "-----BEGIN RSA PUBLIC KEY-----"
	PKCS1DER                    // PKCS #1 RSAPublicKey, DER
)

func (e KeyEncoding) String() string {
	switch e {
	case PKIXPEM:
		return "PKIX PEM"
	case PKIXDER:
		return "PKIX DER"
	case PKCS1PEM:
		return "PKCS1 PEM"
	case PKCS1DER:
		return "PKCS1 DER"
	}
	return fmt.Sprintf("KeyEncoding(%d)", int(e))
}

// PublicKeyBytes is the current RSA public key in encoding enc.
func (p *Provider) PublicKeyBytes(t testing.TB, enc KeyEncoding) []byte {
	t.Helper()
	p.mu.Lock()
	pub := &p.current.rsa.PublicKey
	p.mu.Unlock()
	return encodePublicKey(t, pub, enc)
}

func encodePublicKey(t testing.TB, pub *rsa.PublicKey, enc KeyEncoding) []byte {
	t.Helper()
	switch enc {
	case PKIXPEM, PKIXDER:
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			t.Fatalf("oidctest: %v", err)
		}
		if enc == PKIXDER {
			return der
		}
		return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	case PKCS1PEM:
		return pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(pub)})
	case PKCS1DER:
		return x509.MarshalPKCS1PublicKey(pub)
	}
	t.Fatalf("oidctest: unknown key encoding %d", int(enc))
	return nil
}

// ForgeHS256 forges the algorithm-confusion token: HS256 with the current
// RSA public key, encoded as enc, for the HMAC secret, and that key's kid.
// Claims are completed as in AccessToken; header options apply.
func (p *Provider) ForgeHS256(t testing.TB, claims map[string]any, enc KeyEncoding, opts ...TokenOption) string {
	t.Helper()
	secret := p.PublicKeyBytes(t, enc)
	return p.forge(t, jwt.SigningMethodHS256, secret, claims, opts)
}

// ForgeNone forges an unsigned token: alg "none", an empty signature and
// the current RSA key's kid. WithHeader("alg", "None") varies the spelling.
// Claims are completed as in AccessToken; header options apply.
func (p *Provider) ForgeNone(t testing.TB, claims map[string]any, opts ...TokenOption) string {
	t.Helper()
	return p.forge(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claims, opts)
}

func (p *Provider) forge(t testing.TB, method jwt.SigningMethod, key any, claims map[string]any, opts []TokenOption) string {
	t.Helper()
	cfg := newTokenConfig(opts)
	tok := jwt.NewWithClaims(method, jwt.MapClaims(p.defaultClaims(claims)))
	tok.Header["kid"] = p.KeyID(jwt.SigningMethodRS256.Alg())
	setHeader(tok.Header, cfg.header)
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("oidctest: forge %s: %v", method.Alg(), err)
	}
	return s
}
