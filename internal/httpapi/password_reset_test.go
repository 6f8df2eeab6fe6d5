package httpapi

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/spectra-lab/spectra/internal/auth"
	"github.com/spectra-lab/spectra/internal/config"
	"github.com/spectra-lab/spectra/internal/jobs"
	"github.com/spectra-lab/spectra/internal/jobs/jobstest"
	"github.com/spectra-lab/spectra/internal/mail"
	"github.com/spectra-lab/spectra/internal/mail/mailpittest"
)

// withMail has the server's e-mails sent, as send_email jobs worked by a
// client on its pool, to a real SMTP server.
func withMail(t *testing.T, e *apiEnv) *mailpittest.Server {
	t.Helper()
	srv := mailpittest.Start(t, mailpittest.Options{})
	m, err := mail.New(config.SMTP{Host: srv.SMTPHost, Port: srv.SMTPPort, From: "lab@demo.lab", TLS: "none"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	jobstest.Start(t, e.rt, jobs.Options{Mailer: m, PublicURL: "https://lims.example.org"})
	return srv
}

var resetLink = regexp.MustCompile(`https://lims\.example\.org/reset-password\?token=(spr_[A-Za-z0-9_-]+)`)

// resetMails waits for want reset e-mails, a little longer (a duplicate
// or one for an unknown address would show), and returns their tokens by
// recipient, in the order sent.
func resetMails(t *testing.T, srv *mailpittest.Server, want int) (to []string, tokens []string) {
	t.Helper()
	ctx := context.Background()
	for _, s := range srv.Await(t, "Reset your SPECTRA-Lab password", want) {
		full, err := srv.Message(ctx, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		mt, mh := resetLink.FindStringSubmatch(full.Text), resetLink.FindStringSubmatch(full.HTML)
		if mt == nil || mh == nil || mt[1] != mh[1] {
			t.Fatalf("no reset link in both parts:\n%s\n%s", full.Text, full.HTML)
		}
		to = append(to, s.To[0].Address)
		tokens = append(tokens, mt[1])
	}
	return to, tokens
}

// TestPasswordResetByEmail: the link arrives by e-mail (only for an
// account), works once, ends the account's sessions, and expires; an
// unknown address gets the same answer and no e-mail; beyond the limit
// per address the answer is 429 with Retry-After, for any address.
func TestPasswordResetByEmail(t *testing.T) {
	e := newAPIEnv(t)
	srv := withMail(t, e)
	forgot := func(email string) response {
		return e.call(http.MethodPost, "/auth/password/forgot", "", map[string]any{"email": email})
	}
	known, unknown := forgot("Tech@Demo.Lab"), forgot("nobody@demo.lab")
	if known.Status != http.StatusAccepted || unknown.Status != http.StatusAccepted || string(known.Raw) != string(unknown.Raw) {
		t.Fatalf("forgot: %d %s / %d %s", known.Status, known.Raw, unknown.Status, unknown.Raw)
	}
	// An account without a password (single sign-on only) gets no link.
	if _, err := e.db.Pool().Exec(context.Background(), `UPDATE users SET password_hash = NULL WHERE email = 'viewer@demo.lab'`); err != nil {
		t.Fatal(err)
	}
	if r := forgot("viewer@demo.lab"); r.Status != http.StatusAccepted || string(r.Raw) != string(unknown.Raw) {
		t.Fatalf("forgot for an account without a password: %d %s", r.Status, r.Raw)
	}
	to, tokens := resetMails(t, srv, 1)
	if len(to) != 1 || to[0] != "tech@demo.lab" {
		t.Fatalf("reset e-mails to %v", to)
	}
	// Stored as the SHA-256 of its random part only.
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(tokens[0], auth.ResetPrefix))
	if err != nil || len(raw) != 32 {
		t.Fatalf("token %q: %d bytes, %v", tokens[0], len(raw), err)
	}
	sum := sha256.Sum256(raw)
	var stored, tokensInRows int
	if err := e.db.Pool().QueryRow(context.Background(), `SELECT count(*) FILTER (WHERE token_hash = $1),
		count(*) FILTER (WHERE token_hash IS NOT NULL) FROM password_resets`, sum[:]).Scan(&stored, &tokensInRows); err != nil || stored != 1 || tokensInRows != 1 {
		t.Fatalf("stored tokens: %d of %d, %v", stored, tokensInRows, err)
	}
	var atRest int
	if err := e.db.Pool().QueryRow(context.Background(), `SELECT count(*) FROM river_job WHERE args::text LIKE '%' || $1 || '%'`,
		strings.TrimPrefix(tokens[0], auth.ResetPrefix)).Scan(&atRest); err != nil || atRest != 0 {
		t.Fatalf("the token is in %d jobs' arguments (%v)", atRest, err)
	}

	old := e.login("tech@demo.lab", "tech123")
	reset := func(token, password string) response {
		return e.call(http.MethodPost, "/auth/password/reset", "", map[string]any{"token": token, "password": password})
	}
	if r := reset(tokens[0], "short"); r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Raw), "password") {
		t.Fatalf("short password: %d %s", r.Status, r.Raw)
	}
	if r := reset(tokens[0], "a new password"); r.Status != http.StatusNoContent {
		t.Fatalf("reset: %d %s", r.Status, r.Raw)
	}
	if r := reset(tokens[0], "another password"); r.Status != http.StatusUnauthorized || !strings.Contains(string(r.Raw), "token") {
		t.Fatalf("second use: %d %s", r.Status, r.Raw)
	}
	if r := e.call(http.MethodPost, "/auth/login", "", map[string]any{"username": "tech@demo.lab", "password": "tech123"}); r.Status != http.StatusUnauthorized {
		t.Fatalf("the old password still logs in: %d", r.Status)
	}
	e.login("tech@demo.lab", "a new password")
	if r := e.call(http.MethodPost, "/auth/refresh", "", map[string]any{"refresh_token": old.Body["refresh_token"]}); r.Status != http.StatusUnauthorized {
		t.Fatalf("a session from before the reset refreshed: %d %s", r.Status, r.Raw)
	}
	var audited int
	if err := e.db.Pool().QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE action = 'PASSWORD_RESET'
		AND row_id = (SELECT id FROM users WHERE email = 'tech@demo.lab')`).Scan(&audited); err != nil || audited != 1 {
		t.Fatalf("audited: %d, %v", audited, err)
	}

	// A second link, past its 30 minutes.
	if r := forgot("tech@demo.lab"); r.Status != http.StatusAccepted {
		t.Fatalf("forgot again: %d", r.Status)
	}
	_, tokens = resetMails(t, srv, 2)
	if len(tokens) != 2 {
		t.Fatalf("%d reset e-mails", len(tokens))
	}
	e.clock.advance(31 * time.Minute)
	if r := reset(tokens[1], "yet another password"); r.Status != http.StatusUnauthorized {
		t.Fatalf("an expired link: %d %s", r.Status, r.Raw)
	}
	if r := reset("spr_not-a-token", "yet another password"); r.Status != http.StatusUnauthorized {
		t.Fatalf("a malformed token: %d %s", r.Status, r.Raw)
	}

	// The third request for each address within the hour is the last.
	for _, email := range []string{"tech@demo.lab", "nobody@demo.lab"} {
		want := http.StatusAccepted
		if email == "nobody@demo.lab" {
			if r := forgot(email); r.Status != want {
				t.Fatalf("%s: %d", email, r.Status)
			}
		}
		if r := forgot(email); r.Status != want {
			t.Fatalf("%s: %d %s", email, r.Status, r.Raw)
		}
		r := forgot(email)
		if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" {
			t.Fatalf("%s beyond the limit: %d %s %v", email, r.Status, r.Raw, r.Header)
		}
	}
	if to, _ := resetMails(t, srv, 3); len(to) != 3 {
		t.Fatalf("%d reset e-mails, want 3 (all tech's)", len(to))
	}
	e.clock.advance(time.Hour)
	if r := forgot("nobody@demo.lab"); r.Status != http.StatusAccepted {
		t.Fatalf("an hour later: %d", r.Status)
	}
}

// TestForgotPasswordLimitPerClient: beyond PerClientIP requests from one
// client address within the window, any address is refused with 429.
func TestForgotPasswordLimitPerClient(t *testing.T) {
	e := newAPIEnv(t, func(_ *apiEnv, o *auth.Options) {
		o.Reset = auth.ResetPolicy{TTL: 30 * time.Minute, Window: time.Hour, PerEmail: 3, PerClientIP: 4}
	})
	for i := range 4 {
		if r := e.call(http.MethodPost, "/auth/password/forgot", "", map[string]any{"email": fmt.Sprintf("u%d@x.test", i)}); r.Status != http.StatusAccepted {
			t.Fatalf("request %d: %d %s", i, r.Status, r.Raw)
		}
	}
	r := e.call(http.MethodPost, "/auth/password/forgot", "", map[string]any{"email": "fresh@x.test"})
	if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" {
		t.Fatalf("beyond the limit per client: %d %s", r.Status, r.Raw)
	}
	if r := e.call(http.MethodPost, "/auth/password/forgot", "", map[string]any{"email": ""}); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("no address: %d %s", r.Status, r.Raw)
	}
}
