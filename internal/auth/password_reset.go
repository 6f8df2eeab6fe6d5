package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"time"

	"github.com/spectra-lab/spectra/internal/spectra"
)

// Forgotten passwords (PRODUCT.md §11): a one-time link by e-mail.

// ResetPrefix starts a password reset token.
const ResetPrefix = "spr_"

// ResetPolicy is how long a reset link lives and how many may be asked
// for. The requests are counted in the database (every instance sees
// them), per e-mail address and per client address, as failed logins are.
type ResetPolicy struct {
	TTL         time.Duration // a link's life
	Window      time.Duration // the rate limit's window
	PerEmail    int           // requests for one address within Window
	PerClientIP int           // requests from one client address within Window
}

// DefaultResetPolicy: a link lives 30 minutes; 3 requests per address and
// 20 per client address an hour.
var DefaultResetPolicy = ResetPolicy{TTL: 30 * time.Minute, Window: time.Hour, PerEmail: 3, PerClientIP: 20}

// ResetLink is the app's page a reset link opens, relative to the public
// URL; the token follows it.
const ResetLink = "/reset-password?token="

// NewResetToken is a reset token (256 random bits) and its SHA-256: the
// send_email job makes it when it e-mails the link.
func NewResetToken() (string, []byte, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", nil, err
	}
	h := sha256.Sum256(b)
	return ResetPrefix + base64.RawURLEncoding.EncodeToString(b), h[:], nil
}

// resetTokenHash is the SHA-256 of a reset token's random part; false when
// token is not one.
func resetTokenHash(token string) ([]byte, bool) {
	raw, ok := strings.CutPrefix(token, ResetPrefix)
	if !ok {
		return nil, false
	}
	b, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil || len(b) != 32 {
		return nil, false
	}
	h := sha256.Sum256(b)
	return h[:], true
}

// ForgotPassword records a request for a reset link for email and, when
// the address is an active account that signs in with a password and
// belongs to an organization, queues the e-mail with a one-time link.
// The answer (nil) and the work done are the same either way, so that it
// tells nobody whether the address has an account; beyond the rate limit
// it is CodeRateLimited, for any address. An account without a password
// (one that signs in only through single sign-on) gets no link: its
// password is the identity provider's.
func (s *Service) ForgotPassword(ctx context.Context, email string, c Client) error {
	if !s.passwordLogin {
		return spectra.Errorf(spectra.CodeForbidden, "password login is turned off; sign in with single sign-on")
	}
	email = strings.ToLower(strings.TrimSpace(email))
	now := s.now()
	n, err := s.store.ResetRequests(ctx, email, c.IP, now.Add(-s.reset.Window))
	if err != nil {
		return err
	}
	if n.Email >= s.reset.PerEmail || (c.IP != "" && n.ClientIP >= s.reset.PerClientIP) {
		return &spectra.Error{Code: spectra.CodeRateLimited, Message: "too many password reset requests; try again later",
			RetryAfter: s.reset.Window}
	}
	acct, err := s.store.FindAccount(ctx, email)
	if err != nil && spectra.ErrorCode(err) != spectra.CodeNotFound {
		return err
	}
	r := spectra.ResetRequest{Email: email, ClientIP: c.IP, At: now, Expires: now.Add(s.reset.TTL)}
	if err == nil && acct.User.Active && !acct.User.IsService && acct.PasswordHash != "" && len(acct.Memberships) > 0 {
		r.UserID = acct.User.ID
		r.Mail = &spectra.EmailMessage{Template: spectra.EmailPasswordReset, ToName: acct.User.Name, ToAddress: acct.User.Email,
			Lab:    acct.Memberships[0].Org.Name,
			Detail: "This link works once, until " + r.Expires.UTC().Format("2006-01-02 15:04 UTC") + "."}
	}
	return s.store.RecordResetRequest(ctx, r)
}

// ResetPassword sets a new password with a reset link's token: the token
// is used up, the account's other links and all its sessions end.
func (s *Service) ResetPassword(ctx context.Context, token, password string, c Client) error {
	if !s.passwordLogin {
		return spectra.Errorf(spectra.CodeForbidden, "password login is turned off; sign in with single sign-on")
	}
	hash, ok := resetTokenHash(token)
	if !ok {
		return spectra.ErrResetLink
	}
	if err := checkNewPassword(password); err != nil {
		return err
	}
	phc, err := s.hasher.Hash(ctx, password)
	if err != nil {
		return err
	}
	return s.store.ResetPassword(ctx, hash, s.now(), phc, c.RequestID)
}
