package httpapi

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/spectra-lab/spectra/internal/auth"
	"github.com/spectra-lab/spectra/internal/spectra"
)

func TestLoginSucceeds(t *testing.T) {
	e := newAPIEnv(t)
	r := e.login("Engineer@Demo.Lab", "eng123")
	if r.str("token_type") != "bearer" || r.str("access_token") == "" || !strings.HasPrefix(r.str("refresh_token"), auth.RefreshPrefix) {
		t.Fatalf("login body = %s", r.Raw)
	}
	if n, _ := r.Body["expires_in"].(float64); n < 890 || n > 900 {
		t.Errorf("expires_in = %v, want the organization's 15 minutes", r.Body["expires_in"])
	}
	user, _ := r.Body["user"].(map[string]any)
	org, _ := user["organization"].(map[string]any)
	if user["email"] != "engineer@demo.lab" || user["role"] != "engineer" || org["slug"] != "demo-lab" {
		t.Fatalf("user = %v", user)
	}
	cookie := r.Header.Get("Set-Cookie")
	for _, want := range []string{refreshCookie + "=" + r.str("refresh_token"), "HttpOnly", "Secure", "SameSite=Strict", "Path=/auth"} {
		if !strings.Contains(cookie, want) {
			t.Errorf("Set-Cookie %q lacks %q", cookie, want)
		}
	}
	if r.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("tokens are cacheable: Cache-Control %q", r.Header.Get("Cache-Control"))
	}
	me := e.call(http.MethodGet, "/auth/me", r.str("access_token"), nil)
	perms, _ := me.Body["permissions"].([]any)
	if me.Status != http.StatusOK || me.Body["role"] != "engineer" || len(perms) != len(spectra.RoleEngineer.Permissions()) {
		t.Fatalf("/auth/me = %d %s", me.Status, me.Raw)
	}
	if e.count(`SELECT count(*) FROM audit_log WHERE table_name = 'auth' AND action = 'LOGIN'`) != 1 {
		t.Error("the login is not in the audit log")
	}
}

// Unknown user, wrong password, deactivated user, a user without an
// active membership, and an organization the user is not in: one answer.
func TestLoginFailuresLookAlike(t *testing.T) {
	e := newAPIEnv(t)
	e.sql(`UPDATE users SET active = false WHERE email = 'viewer@demo.lab'`)
	e.sql(`UPDATE memberships SET active = false WHERE user_id = (SELECT id FROM users WHERE email = 'tech@demo.lab')`)
	attempts := []map[string]any{
		{"username": "nobody@demo.lab", "password": "whatever"},
		{"username": "engineer@demo.lab", "password": "wrong"},
		{"username": "viewer@demo.lab", "password": "view123"},
		{"username": "tech@demo.lab", "password": "tech123"},
		{"username": "engineer@demo.lab", "password": "eng123", "organization": "test-org"},
	}
	var first response
	for i, a := range attempts {
		r := e.call(http.MethodPost, "/auth/login", "", a)
		if r.Status != http.StatusUnauthorized {
			t.Fatalf("attempt %d (%v): %d %s", i, a, r.Status, r.Raw)
		}
		if i == 0 {
			first = r
		} else if !sameProblem(first, r) {
			t.Errorf("attempt %d answers differently:\n%s\nvs\n%s", i, r.Raw, first.Raw)
		}
	}
	if n := e.count(`SELECT count(*) FROM login_attempts WHERE NOT succeeded`); n != len(attempts) {
		t.Errorf("%d failed attempts recorded, want %d", n, len(attempts))
	}
	// Failures of users with an active membership are audited there (the
	// unknown user and the technician without one are not).
	if n := e.count(`SELECT count(*) FROM audit_log WHERE action = 'LOGIN_FAILED'`); n != len(attempts)-2 {
		t.Errorf("%d failures audited, want %d", n, len(attempts)-2)
	}
}

func TestLockoutAfterRepeatedFailures(t *testing.T) {
	e := newAPIEnv(t)
	bad := map[string]any{"username": "pi@demo.lab", "password": "nope"}
	for i := 0; i < auth.DefaultLockout.MaxFailures; i++ {
		if r := e.call(http.MethodPost, "/auth/login", "", bad); r.Status != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i, r.Status)
		}
	}
	// Locked: even the right password waits, with Retry-After.
	r := e.call(http.MethodPost, "/auth/login", "", map[string]any{"username": "pi@demo.lab", "password": "pi123"})
	if r.Status != http.StatusTooManyRequests {
		t.Fatalf("locked account: %d %s", r.Status, r.Raw)
	}
	if s, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || s < 1 || s > 60 {
		t.Fatalf("Retry-After = %q", r.Header.Get("Retry-After"))
	}
	// An unknown name locks the same way: a 429 does not reveal an account.
	for i := 0; i < auth.DefaultLockout.MaxFailures; i++ {
		e.call(http.MethodPost, "/auth/login", "", map[string]any{"username": "ghost@demo.lab", "password": "x"})
	}
	if r := e.call(http.MethodPost, "/auth/login", "", map[string]any{"username": "ghost@demo.lab", "password": "x"}); r.Status != http.StatusTooManyRequests {
		t.Fatalf("unknown name after failures: %d", r.Status)
	}

	// A failure after the lock lapses locks for longer (progressive).
	e.clock.advance(61 * time.Second)
	if r := e.call(http.MethodPost, "/auth/login", "", bad); r.Status != http.StatusUnauthorized {
		t.Fatalf("failure after the lock: %d", r.Status)
	}
	r = e.call(http.MethodPost, "/auth/login", "", bad)
	if s, _ := strconv.Atoi(r.Header.Get("Retry-After")); r.Status != http.StatusTooManyRequests || s <= 60 || s > 120 {
		t.Fatalf("second lock: %d, Retry-After %q; want 429 for two minutes", r.Status, r.Header.Get("Retry-After"))
	}

	// After it lapses the right password works, and resets the count.
	e.clock.advance(121 * time.Second)
	e.login("pi@demo.lab", "pi123")
	if r := e.call(http.MethodPost, "/auth/login", "", bad); r.Status != http.StatusUnauthorized {
		t.Fatalf("first failure after a success: %d, want 401 (count reset)", r.Status)
	}
}

func TestLoginLimitedPerClientAddress(t *testing.T) {
	e := newAPIEnv(t, func(_ *apiEnv, o *auth.Options) {
		o.Lockout = auth.Lockout{MaxFailures: 100, Base: time.Minute, Max: time.Hour, IPFailures: 3, IPWindow: 15 * time.Minute}
	})
	for i := 0; i < 3; i++ {
		e.call(http.MethodPost, "/auth/login", "", map[string]any{"username": "user" + strconv.Itoa(i) + "@x.org", "password": "x"})
	}
	r := e.call(http.MethodPost, "/auth/login", "", map[string]any{"username": "admin@demo.lab", "password": "admin123"})
	if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" {
		t.Fatalf("fourth attempt from one address: %d %s", r.Status, r.Raw)
	}
}

func TestLoginRehashesOnParameterChange(t *testing.T) {
	stronger := auth.Argon2Params{MemoryKiB: 2048, Iterations: 2, Parallelism: 1, SaltLen: 16, KeyLen: 32}
	e := newAPIEnv(t, func(_ *apiEnv, o *auth.Options) { o.Hasher = auth.NewHasher(stronger, 2) })
	e.login("admin@demo.lab", "admin123")
	var phc string
	if err := e.db.Pool().QueryRow(context.Background(), `SELECT password_hash FROM users WHERE email = 'admin@demo.lab'`).Scan(&phc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(phc, "$argon2id$v=19$m=2048,t=2,p=1$") {
		t.Fatalf("hash after login = %q, want the new parameters", phc)
	}
	e.login("admin@demo.lab", "admin123") // and it still verifies
}

func TestPasswordLoginCanBeTurnedOff(t *testing.T) {
	e := newAPIEnv(t, func(_ *apiEnv, o *auth.Options) { o.PasswordLogin = false })
	r := e.call(http.MethodPost, "/auth/login", "", map[string]any{"username": "admin@demo.lab", "password": "admin123"})
	if r.Status != http.StatusForbidden {
		t.Fatalf("login with password login off: %d", r.Status)
	}
}

// forge signs claims with method and key, with our header conventions.
func forge(t *testing.T, method jwt.SigningMethod, key any, claims jwt.MapClaims, header map[string]any) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	tok.Header["typ"] = "at+jwt"
	for k, v := range header {
		tok.Header[k] = v
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestForgedAndInvalidTokensAreRejected(t *testing.T) {
	e := newAPIEnv(t)
	valid := e.login("admin@demo.lab", "admin123")
	user := valid.Body["user"].(map[string]any)
	org := user["organization"].(map[string]any)
	now := time.Now()
	claims := func(change func(jwt.MapClaims)) jwt.MapClaims {
		c := jwt.MapClaims{"iss": "http://spectra.test", "aud": []string{auth.Audience}, "sub": user["id"], "org": org["id"],
			"role": "admin", "jti": uuid.NewString(), "iat": now.Unix(), "exp": now.Add(10 * time.Minute).Unix(), "typ": "access", "amr": "password"}
		if change != nil {
			change(c)
		}
		return c
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, claims(nil)).SignedString(jwt.UnsafeAllowNoneSignatureType)

	// The control: a token forged exactly like ours with our secret passes
	// (so each failure below is down to the one thing it changes).
	if r := e.call(http.MethodGet, "/auth/me", forge(t, jwt.SigningMethodHS256, e.secret, claims(nil), nil), nil); r.Status != http.StatusOK {
		t.Fatalf("control token rejected: %d %s", r.Status, r.Raw)
	}
	cases := map[string]string{
		"alg none":            none,
		"RS256 with our iss":  forge(t, jwt.SigningMethodRS256, rsaKey, claims(nil), nil),
		"wrong secret":        forge(t, jwt.SigningMethodHS256, []byte(strings.Repeat("x", 40)), claims(nil), nil),
		"HS512":               forge(t, jwt.SigningMethodHS512, e.secret, claims(nil), nil),
		"expired":             forge(t, jwt.SigningMethodHS256, e.secret, claims(func(c jwt.MapClaims) { c["exp"] = now.Add(-2 * time.Minute).Unix() }), nil),
		"not yet valid":       forge(t, jwt.SigningMethodHS256, e.secret, claims(func(c jwt.MapClaims) { c["nbf"] = now.Add(5 * time.Minute).Unix() }), nil),
		"issued in future":    forge(t, jwt.SigningMethodHS256, e.secret, claims(func(c jwt.MapClaims) { c["iat"] = now.Add(5 * time.Minute).Unix() }), nil),
		"wrong iss":           forge(t, jwt.SigningMethodHS256, e.secret, claims(func(c jwt.MapClaims) { c["iss"] = "http://evil.test" }), nil),
		"wrong aud":           forge(t, jwt.SigningMethodHS256, e.secret, claims(func(c jwt.MapClaims) { c["aud"] = []string{"other"} }), nil),
		"missing exp":         forge(t, jwt.SigningMethodHS256, e.secret, claims(func(c jwt.MapClaims) { delete(c, "exp") }), nil),
		"ID token":            forge(t, jwt.SigningMethodHS256, e.secret, claims(func(c jwt.MapClaims) { c["typ"] = "ID" }), map[string]any{"typ": "JWT"}),
		"refresh typ":         forge(t, jwt.SigningMethodHS256, e.secret, claims(func(c jwt.MapClaims) { c["typ"] = "refresh" }), nil),
		"unknown role":        forge(t, jwt.SigningMethodHS256, e.secret, claims(func(c jwt.MapClaims) { c["role"] = "root" }), nil),
		"role above member's": forge(t, jwt.SigningMethodHS256, e.secret, claims(func(c jwt.MapClaims) { c["role"] = "pi" }), nil),
		"other organization":  forge(t, jwt.SigningMethodHS256, e.secret, claims(func(c jwt.MapClaims) { c["org"] = uuid.NewString() }), nil),
		"garbage":             "not.a.jwt",
		"empty":               "",
	}
	// Each against reads, writes and admin routes of each area, with
	// bodies that would be valid, so that only the token can fail. (A
	// validly signed but stale token — another organization, a role above
	// the member's — is refused by the tenant transaction's authorization,
	// after the body's validation: a malformed body would be a 422 first,
	// which tells nothing but the published schema.)
	targets := []struct {
		method, path string
		body         any
	}{
		{http.MethodGet, "/auth/me", nil}, {http.MethodGet, "/api/lims/samples", nil},
		{http.MethodPost, "/api/lims/samples", map[string]any{"barcode": "FORGED-1", "name": "forged"}},
		{http.MethodGet, "/api/analysis/runs", nil}, {http.MethodGet, "/api/admin/users", nil},
		{http.MethodPost, "/api/admin/invitations", map[string]any{"email": "forged@x.example", "role": "viewer"}},
	}
	sent := 0
	for name, tok := range cases {
		t.Run(name, func(t *testing.T) {
			for _, target := range targets {
				body := target.body
				var r response
				if tok == "" {
					r = e.call(target.method, target.path, "", body, "Authorization", "Bearer ")
				} else {
					r = e.call(target.method, target.path, tok, body)
				}
				sent++
				// A validly signed token whose role is below an admin
				// route's bar meets the guard first: 403 naming the
				// token's own role (nothing about the account); on every
				// other route the authorization refuses the stale role.
				if name == "role above member's" && strings.HasPrefix(target.path, "/api/admin/") {
					if r.Status != http.StatusForbidden || !strings.Contains(r.str("detail"), "(pi)") {
						t.Fatalf("%s %s: %d %s", target.method, target.path, r.Status, r.Raw)
					}
					continue
				}
				if r.Status != http.StatusUnauthorized || r.str("code") != "unauthenticated" {
					t.Fatalf("%s %s: %d %s", target.method, target.path, r.Status, r.Raw)
				}
			}
		})
	}
	t.Logf("%d forged or invalid tokens, %d requests", len(cases)+1, sent+1)
	if n := e.count(`SELECT count(*) FROM samples WHERE barcode = 'FORGED-1'`) + e.count(`SELECT count(*) FROM invitations WHERE email = 'forged@x.example'`); n != 0 {
		t.Fatalf("a forged token wrote %d rows", n)
	}
	if r := e.call(http.MethodGet, "/auth/me", "", nil, "Authorization", "Basic YWRtaW46YWRtaW4="); r.Status != http.StatusUnauthorized {
		t.Errorf("Basic credentials: %d", r.Status)
	}
}

func TestRefreshRotatesAndReuseRevokesTheFamily(t *testing.T) {
	e := newAPIEnv(t)
	first := e.login("engineer@demo.lab", "eng123")
	second := e.call(http.MethodPost, "/auth/refresh", "", map[string]any{"refresh_token": first.str("refresh_token")})
	if second.Status != http.StatusOK || second.str("refresh_token") == first.str("refresh_token") || second.str("access_token") == "" {
		t.Fatalf("refresh: %d %s", second.Status, second.Raw)
	}
	// The browser's way: the cookie.
	third := e.call(http.MethodPost, "/auth/refresh", "", nil, "Cookie", refreshCookie+"="+second.str("refresh_token"))
	if third.Status != http.StatusOK {
		t.Fatalf("refresh by cookie: %d %s", third.Status, third.Raw)
	}
	if r := e.call(http.MethodGet, "/auth/me", third.str("access_token"), nil); r.Status != http.StatusOK {
		t.Fatalf("rotated access token: %d", r.Status)
	}
	// Replaying a spent token: 401, and the whole session is gone.
	if r := e.call(http.MethodPost, "/auth/refresh", "", map[string]any{"refresh_token": first.str("refresh_token")}); r.Status != http.StatusUnauthorized {
		t.Fatalf("reuse: %d", r.Status)
	}
	if r := e.call(http.MethodPost, "/auth/refresh", "", map[string]any{"refresh_token": third.str("refresh_token")}); r.Status != http.StatusUnauthorized {
		t.Fatalf("newest token after reuse: %d, want 401", r.Status)
	}
	if r := e.call(http.MethodGet, "/auth/me", third.str("access_token"), nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("access token of the revoked session: %d, want 401", r.Status)
	}
	if e.count(`SELECT count(*) FROM audit_log WHERE action = 'REFRESH_REUSED'`) != 1 {
		t.Error("reuse not audited")
	}
	// Garbage, a tampered checksum, nothing at all.
	for _, tok := range []string{"srt_nonsense", flipLast(third.str("refresh_token"))} {
		if r := e.call(http.MethodPost, "/auth/refresh", "", map[string]any{"refresh_token": tok}); r.Status != http.StatusUnauthorized {
			t.Errorf("refresh with %q: %d", tok, r.Status)
		}
	}
	if r := e.call(http.MethodPost, "/auth/refresh", "", nil); r.Status != http.StatusUnauthorized {
		t.Errorf("refresh without a token: %d", r.Status)
	}
}

// A page reloaded while its refresh is in flight cuts off the response that
// carried the successor and presents the spent token again: within
// spectra.RefreshGrace it rotates again; after the grace, or once the
// successor was used, the replay revokes the session.
func TestRefreshGraceForACutOffResponse(t *testing.T) {
	e := newAPIEnv(t)
	refresh := func(tok string) response {
		return e.call(http.MethodPost, "/auth/refresh", "", map[string]any{"refresh_token": tok})
	}
	spent := e.login("tech@demo.lab", "tech123").str("refresh_token")
	if r := refresh(spent); r.Status != http.StatusOK { // the answer the reload cut off
		t.Fatalf("refresh: %d %s", r.Status, r.Raw)
	}
	e.clock.advance(spectra.RefreshGrace - time.Second)
	again := refresh(spent)
	if again.Status != http.StatusOK || again.str("access_token") == "" {
		t.Fatalf("spent token within the grace: %d %s, want 200", again.Status, again.Raw)
	}
	if r := e.call(http.MethodGet, "/auth/me", again.str("access_token"), nil); r.Status != http.StatusOK {
		t.Fatalf("access token of the graced rotation: %d", r.Status)
	}
	next := refresh(again.str("refresh_token"))
	if next.Status != http.StatusOK {
		t.Fatalf("the graced token rotates: %d %s", next.Status, next.Raw)
	}
	// Its successor has now been used: the first token is a replay, at once.
	if r := refresh(spent); r.Status != http.StatusUnauthorized {
		t.Fatalf("spent token after its successor was used: %d, want 401", r.Status)
	}
	if r := refresh(next.str("refresh_token")); r.Status != http.StatusUnauthorized {
		t.Fatalf("session after the replay: %d, want 401", r.Status)
	}

	// After the grace the replay revokes the session even with the successor unspent.
	late := e.login("engineer@demo.lab", "eng123").str("refresh_token")
	successor := refresh(late)
	if successor.Status != http.StatusOK {
		t.Fatalf("refresh: %d", successor.Status)
	}
	e.clock.advance(spectra.RefreshGrace + time.Second)
	if r := refresh(late); r.Status != http.StatusUnauthorized || r.str("code") != "unauthenticated" {
		t.Fatalf("spent token after the grace: %d %s, want 401", r.Status, r.Raw)
	}
	if r := refresh(successor.str("refresh_token")); r.Status != http.StatusUnauthorized {
		t.Fatalf("successor after a late replay: %d, want 401", r.Status)
	}
	if r := e.call(http.MethodGet, "/auth/me", successor.str("access_token"), nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("access token of the revoked session: %d, want 401", r.Status)
	}
	if n := e.count(`SELECT count(*) FROM audit_log WHERE action = 'REFRESH_REUSED'`); n != 2 {
		t.Errorf("%d reuses audited, want 2", n)
	}
}

func TestLogoutRevokesBothTokens(t *testing.T) {
	e := newAPIEnv(t)
	s := e.login("tech@demo.lab", "tech123")
	r := e.call(http.MethodPost, "/auth/logout", s.str("access_token"), nil)
	if r.Status != http.StatusNoContent || !strings.Contains(r.Header.Get("Set-Cookie"), "Max-Age=0") {
		t.Fatalf("logout: %d, Set-Cookie %q", r.Status, r.Header.Get("Set-Cookie"))
	}
	if r := e.call(http.MethodGet, "/auth/me", s.str("access_token"), nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("access token after logout: %d", r.Status)
	}
	if r := e.call(http.MethodPost, "/auth/refresh", "", map[string]any{"refresh_token": s.str("refresh_token")}); r.Status != http.StatusUnauthorized {
		t.Fatalf("refresh token after logout: %d", r.Status)
	}
	if e.count(`SELECT count(*) FROM token_denylist`) != 1 || e.count(`SELECT count(*) FROM audit_log WHERE action = 'LOGOUT'`) != 1 {
		t.Error("logout left no denial or no audit entry")
	}
	// Another session of the same user is untouched.
	if r := e.call(http.MethodGet, "/auth/me", e.token("tech@demo.lab", "tech123"), nil); r.Status != http.StatusOK {
		t.Fatalf("a second session: %d", r.Status)
	}
}

// Deactivation and role changes apply to the very next request.
func TestDeactivationAndDemotionTakeEffectAtOnce(t *testing.T) {
	e := newAPIEnv(t)
	eng := e.login("engineer@demo.lab", "eng123")
	admin := e.login("admin@demo.lab", "admin123")
	e.sql(`UPDATE users SET active = false WHERE email = 'engineer@demo.lab'`)
	if r := e.call(http.MethodGet, "/auth/me", eng.str("access_token"), nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("deactivated user: %d", r.Status)
	}
	if r := e.call(http.MethodPost, "/auth/refresh", "", map[string]any{"refresh_token": eng.str("refresh_token")}); r.Status != http.StatusUnauthorized {
		t.Fatalf("deactivated user's refresh: %d", r.Status)
	}

	if r := e.call(http.MethodGet, "/api/admin/api-keys", admin.str("access_token"), nil); r.Status != http.StatusOK {
		t.Fatalf("admin before demotion: %d", r.Status)
	}
	// (Another admin first: the organization keeps a human admin.)
	e.sql(`UPDATE memberships SET role = 'admin' WHERE user_id = (SELECT id FROM users WHERE email = 'pi@demo.lab')`)
	e.sql(`UPDATE memberships SET role = 'viewer' WHERE user_id = (SELECT id FROM users WHERE email = 'admin@demo.lab')
	       AND organization_id = (SELECT id FROM organizations WHERE slug = 'demo-lab')`)
	if r := e.call(http.MethodGet, "/api/admin/api-keys", admin.str("access_token"), nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("demoted admin's old token: %d, want 401", r.Status)
	}
	// Refreshing gives a token with the new role, which the matrix bars.
	next := e.call(http.MethodPost, "/auth/refresh", "", map[string]any{"refresh_token": admin.str("refresh_token")})
	if next.Status != http.StatusOK || next.Body["user"].(map[string]any)["role"] != "viewer" {
		t.Fatalf("refresh after demotion: %d %s", next.Status, next.Raw)
	}
	r := e.call(http.MethodGet, "/api/admin/api-keys", next.str("access_token"), nil)
	if r.Status != http.StatusForbidden || !strings.Contains(r.str("detail"), string(spectra.PermAPIKeyManage)) {
		t.Fatalf("demoted admin: %d %s", r.Status, r.Raw)
	}
}

// flipLast changes the last character of a credential (its checksum).
func flipLast(s string) string {
	if strings.HasSuffix(s, "a") {
		return s[:len(s)-1] + "b"
	}
	return s[:len(s)-1] + "a"
}
