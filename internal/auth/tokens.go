package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/spectra-lab/spectra/internal/spectra"
)

// MinSecretLen is the shortest HS256 secret accepted (256 bits).
const MinSecretLen = 32

// Leeway is the clock skew tolerated on exp, nbf and iat.
const Leeway = 30 * time.Second

// Audience is the aud of the access tokens spectra issues.
const Audience = "spectra-api"

// accessClaims are the claims of spectra's own access tokens.
type accessClaims struct {
	jwt.RegisteredClaims
	Org  string `json:"org"`
	Role string `json:"role"`
	Typ  string `json:"typ"`
	Sid  string `json:"sid,omitempty"`
	Amr  string `json:"amr"`
}

// Tokens issues and verifies spectra's own access tokens: HS256 JWTs with
// iss, aud, sub, org, role, jti, iat, exp and typ. The verifier accepts
// HS256 only; `none` and every asymmetric algorithm (the RS/HS confusion)
// are refused before any key is used.
type Tokens struct {
	secret []byte
	issuer string
	now    func() time.Time
	parser *jwt.Parser
}

// NewTokens returns a Tokens signing with secret (at least MinSecretLen
// bytes) as issuer.
func NewTokens(secret []byte, issuer string, now func() time.Time) (*Tokens, error) {
	if len(secret) < MinSecretLen {
		return nil, fmt.Errorf("auth: the token secret must be at least %d bytes, got %d", MinSecretLen, len(secret))
	}
	if now == nil {
		now = time.Now
	}
	t := &Tokens{secret: secret, issuer: issuer, now: now}
	t.parser = jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(issuer),
		jwt.WithAudience(Audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(Leeway),
		jwt.WithTimeFunc(func() time.Time { return t.now() }),
	)
	return t, nil
}

// Issuer is the iss of the tokens this Tokens issues.
func (t *Tokens) Issuer() string { return t.issuer }

// Issue signs an access token for p, valid for ttl. It sets p's TokenID
// and Expires and returns the token.
func (t *Tokens) Issue(p *spectra.Principal, ttl time.Duration) (string, error) {
	jti, err := uuid.NewV7()
	if err != nil {
		return "", err
	}
	now := t.now().Truncate(time.Second)
	p.TokenID, p.Expires = jti, now.Add(ttl)
	c := accessClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: t.issuer, Subject: p.UserID.String(), Audience: jwt.ClaimStrings{Audience},
			ID: jti.String(), IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(p.Expires),
		},
		Org: p.OrgID.String(), Role: string(p.Role), Typ: "access", Amr: string(p.Auth),
	}
	if p.Session != uuid.Nil {
		c.Sid = p.Session.String()
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, c)
	tok.Header["typ"] = "at+jwt"
	return tok.SignedString(t.secret)
}

var errInvalidToken = errors.New("invalid access token")

// Verify checks raw and returns its principal, or a CodeUnauthenticated
// error whose cause says why (for the logs, never the client).
func (t *Tokens) Verify(raw string) (spectra.Principal, error) {
	var c accessClaims
	tok, err := t.parser.ParseWithClaims(raw, &c, func(*jwt.Token) (any, error) { return t.secret, nil })
	if err != nil {
		return spectra.Principal{}, unauthenticated(err)
	}
	if typ, _ := tok.Header["typ"].(string); !strings.EqualFold(typ, "at+jwt") || c.Typ != "access" {
		return spectra.Principal{}, unauthenticated(fmt.Errorf("%w: not an access token (typ %q/%q)", errInvalidToken, typ, c.Typ))
	}
	p := spectra.Principal{Role: spectra.Role(c.Role), Auth: spectra.AuthMethod(c.Amr), Expires: c.ExpiresAt.Time}
	var e1, e2, e3 error
	p.UserID, e1 = uuid.Parse(c.Subject)
	p.OrgID, e2 = uuid.Parse(c.Org)
	p.TokenID, e3 = uuid.Parse(c.ID)
	if c.Sid != "" {
		if p.Session, err = uuid.Parse(c.Sid); err != nil {
			e1 = err
		}
	}
	if err := errors.Join(e1, e2, e3); err != nil || !p.Role.Valid() ||
		(p.Auth != spectra.AuthPassword && p.Auth != spectra.AuthOIDC) {
		return spectra.Principal{}, unauthenticated(fmt.Errorf("%w: malformed claims: %v", errInvalidToken, err))
	}
	return p, nil
}

func unauthenticated(cause error) error {
	return &spectra.Error{Code: spectra.CodeUnauthenticated, Message: "invalid or expired credentials", Err: cause}
}

// Seal signs value for a round trip through the client (the browser's
// sign-in state): base64url(value) "." base64url(HMAC-SHA256). The key is
// derived from the token secret for this one purpose.
func (t *Tokens) Seal(purpose string, value []byte) string {
	return base64.RawURLEncoding.EncodeToString(value) + "." + base64.RawURLEncoding.EncodeToString(t.mac(purpose, value))
}

// Open checks a sealed value and returns it.
func (t *Tokens) Open(purpose, sealed string) ([]byte, error) {
	v, m, ok := strings.Cut(sealed, ".")
	value, err1 := base64.RawURLEncoding.DecodeString(v)
	sum, err2 := base64.RawURLEncoding.DecodeString(m)
	if !ok || err1 != nil || err2 != nil || !hmac.Equal(sum, t.mac(purpose, value)) {
		return nil, errors.New("auth: sealed value is not ours")
	}
	return value, nil
}

func (t *Tokens) mac(purpose string, value []byte) []byte {
	k := hmac.New(sha256.New, t.secret)
	k.Write([]byte("spectra seal: " + purpose))
	h := hmac.New(sha256.New, k.Sum(nil))
	h.Write(value)
	return h.Sum(nil)
}
