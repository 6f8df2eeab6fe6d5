package httpapi

import (
	"context"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/spectra-lab/spectra/internal/spectra"
)

// The identity model of PRODUCT.md §11, tried from the attacker's side: an
// organization's admin who wants another organization's accounts.

// TestNoCrossOrganizationAccountTakeover is the attack of issue 10.1:
// test-org's admin "adds" demo-lab's admin by e-mail, then resets the
// account's password. Before invitations, the first call attached the
// account (and showed its name) and the second took it over.
func TestNoCrossOrganizationAccountTakeover(t *testing.T) {
	e := newAPIEnv(t)
	attacker := e.token("admin@test.org", "admin123")
	victim := e.login("admin@demo.lab", "admin123")
	victimID := e.userID("admin@demo.lab")
	accountChanges := func() int {
		return e.count(`SELECT count(*) FROM audit_log WHERE organization_id = $1 AND table_name IN ('users', 'memberships')`, e.orgID("demo-lab"))
	}
	before := accountChanges()

	// The same answer whether or not the e-mail has an account, and none
	// of the account's details.
	known := e.call(http.MethodPost, "/api/admin/invitations", attacker, map[string]any{"email": "admin@demo.lab", "role": "viewer"})
	unknown := e.call(http.MethodPost, "/api/admin/invitations", attacker, map[string]any{"email": "nobody@nowhere.example", "role": "viewer"})
	if known.Status != http.StatusCreated || unknown.Status != http.StatusCreated {
		t.Fatalf("invitations: %d %s / %d %s", known.Status, known.Raw, unknown.Status, unknown.Raw)
	}
	if k, u := keys(known.Body), keys(unknown.Body); k != u {
		t.Fatalf("the answers differ in shape: %s vs %s", k, u)
	}
	for _, leak := range []string{"Demo", "demo-lab", victimID} {
		if strings.Contains(string(known.Raw), leak) {
			t.Fatalf("the invitation answer reveals %q: %s", leak, known.Raw)
		}
	}
	if known.str("status") != "open" || unknown.str("status") != "open" {
		t.Fatalf("statuses: %s / %s", known.str("status"), unknown.str("status"))
	}

	// Not a member until they accept: the account is out of reach.
	if n := e.count(`SELECT count(*) FROM memberships WHERE user_id = $1 AND organization_id = $2`, victimID, e.orgID("test-org")); n != 0 {
		t.Fatalf("the invitation made a membership")
	}
	if r := e.call(http.MethodPost, "/api/admin/users/"+victimID+"/password", attacker, map[string]any{"password": "taken over!"}); r.Status != http.StatusNotFound {
		t.Fatalf("reset a stranger's password: %d %s", r.Status, r.Raw)
	}
	// The attacker holds the token, but it needs the account's password.
	if r := e.call(http.MethodPost, "/auth/invitations/accept", "", map[string]any{"token": known.str("token"), "password": "guessed!!"}); r.Status != http.StatusUnauthorized {
		t.Fatalf("accept another's invitation without their password: %d %s", r.Status, r.Raw)
	}

	// The person accepts, signed in: now a member of both.
	mine := e.call(http.MethodGet, "/auth/invitations", victim.str("access_token"), nil)
	items, _ := mine.Body["items"].([]any)
	if mine.Status != http.StatusOK || len(items) != 1 || items[0].(map[string]any)["organization"] != "test-org" {
		t.Fatalf("my invitations: %d %s", mine.Status, mine.Raw)
	}
	if r := e.call(http.MethodPost, "/auth/invitations/"+known.str("id")+"/accept", victim.str("access_token"), nil); r.Status != http.StatusNoContent {
		t.Fatalf("accept: %d %s", r.Status, r.Raw)
	}
	// Even as a member, the account is the person's: no reset by test-org.
	if r := e.call(http.MethodPost, "/api/admin/users/"+victimID+"/password", attacker, map[string]any{"password": "taken over!"}); r.Status != http.StatusConflict {
		t.Fatalf("reset a shared account's password: %d %s", r.Status, r.Raw)
	}
	// Nor by demo-lab, where it was made: it is no longer demo-lab's alone.
	if r := e.call(http.MethodPost, "/api/admin/users/"+victimID+"/password", victim.str("access_token"), map[string]any{"password": "taken over!"}); r.Status != http.StatusConflict {
		t.Fatalf("reset a shared account's password at home: %d %s", r.Status, r.Raw)
	}
	e.login("admin@demo.lab", "admin123")
	if r := e.call(http.MethodGet, "/auth/me", victim.str("access_token"), nil); r.Status != http.StatusOK {
		t.Fatalf("the victim's session: %d", r.Status)
	}
	// demo-lab's log shows nothing of test-org's attempts; test-org's
	// shows the invitation and the acceptance.
	if n := accountChanges(); n != before {
		t.Fatalf("demo-lab's log holds %d account changes, %d before", n, before)
	}
	if n := e.count(`SELECT count(*) FROM audit_log WHERE organization_id = $1 AND table_name = 'memberships' AND action = 'INSERT' AND row_id IN
		(SELECT id FROM memberships WHERE user_id = $2)`, e.orgID("test-org"), victimID); n != 1 {
		t.Fatalf("test-org's log has %d entries of the new membership", n)
	}
}

// TestDatabaseRefusesAccountChanges runs the application role's own
// statements, as an injected query would: the users policy and column
// grants refuse any account change outside §11's rules, whatever the Go
// code does.
func TestDatabaseRefusesAccountChanges(t *testing.T) {
	e := newAPIEnv(t)
	ctx := context.Background()
	victim := e.userID("admin@demo.lab")
	// demo-lab's admin also joins test-org, so test-org sees them.
	e.acceptInvitation(e.invite(e.token("admin@test.org", "admin123"), "admin@demo.lab", "viewer"), "", "admin123", http.StatusOK)
	local := e.userID("viewer@test.org")
	tenant := spectra.Tenant{OrgID: e.orgID("test-org"), UserID: uuid.MustParse(e.userID("admin@test.org")), Auth: "password"}

	try := func(sql string, args ...any) (int64, error) {
		var n int64
		err := e.db.InTenant(ctx, tenant, func(tx pgx.Tx) error {
			tag, err := tx.Exec(ctx, sql, args...)
			n = tag.RowsAffected()
			return err
		})
		return n, err
	}
	if n, err := try(`UPDATE users SET password_hash = 'x' WHERE id = $1`, victim); err != nil || n != 0 {
		t.Fatalf("another organization's member's password: %d rows, %v", n, err)
	}
	if n, err := try(`UPDATE users SET display_name = 'x' WHERE id = $1`, victim); err != nil || n != 0 {
		t.Fatalf("another organization's member's name: %d rows, %v", n, err)
	}
	for _, col := range []string{"email = 'me@test.org'", "active = false", "home_organization_id = NULL", "is_service = true", "oidc_subject = 'x', oidc_issuer = 'y'"} {
		if _, err := try(`UPDATE users SET `+col+` WHERE id = $1`, local); err == nil || !strings.Contains(err.Error(), "permission denied") {
			t.Fatalf("UPDATE users SET %s: %v", col, err)
		}
	}
	if _, err := try(`INSERT INTO users (email, display_name, home_organization_id) VALUES ('x@y.z', 'x', $1)`, e.orgID("demo-lab")); err == nil {
		t.Fatalf("created an account as another organization's own")
	}
	// What the rules allow still works: the organization's own account.
	if n, err := try(`UPDATE users SET display_name = 'Viewer' WHERE id = $1`, local); err != nil || n != 1 {
		t.Fatalf("the organization's own account: %d rows, %v", n, err)
	}
}

// TestChangeOwnPassword: the person changes their own password with the
// current one; every other session of theirs ends, in every organization.
func TestChangeOwnPassword(t *testing.T) {
	e := newAPIEnv(t)
	e.acceptInvitation(e.invite(e.token("admin@test.org", "admin123"), "pi@demo.lab", "viewer"), "", "pi123", http.StatusOK)
	here := e.login("pi@demo.lab", "pi123")
	other := e.login("pi@demo.lab", "pi123")
	elsewhere := e.login("pi@demo.lab", "pi123", "test-org")
	tok := here.str("access_token")

	if r := e.call(http.MethodPost, "/auth/password", tok, map[string]any{"current_password": "wrong one", "new_password": "a new secret"}); r.Status != http.StatusUnauthorized ||
		!strings.Contains(string(r.Raw), `"field":"current_password"`) {
		t.Fatalf("wrong current password: %d %s", r.Status, r.Raw)
	}
	if r := e.call(http.MethodPost, "/auth/password", tok, map[string]any{"current_password": "pi123", "new_password": "short"}); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("a short new password: %d %s", r.Status, r.Raw)
	}
	if r := e.call(http.MethodPost, "/auth/password", tok, map[string]any{"current_password": "pi123", "new_password": "a new secret"}); r.Status != http.StatusNoContent {
		t.Fatalf("change: %d %s", r.Status, r.Raw)
	}
	if r := e.call(http.MethodGet, "/auth/me", tok, nil); r.Status != http.StatusOK {
		t.Fatalf("the session in hand ended: %d", r.Status)
	}
	for name, s := range map[string]response{"another session": other, "a session in test-org": elsewhere} {
		if r := e.call(http.MethodGet, "/auth/me", s.str("access_token"), nil); r.Status != http.StatusUnauthorized {
			t.Errorf("%s, access token: %d", name, r.Status)
		}
		if r := e.call(http.MethodPost, "/auth/refresh", "", map[string]any{"refresh_token": s.str("refresh_token")}); r.Status != http.StatusUnauthorized {
			t.Errorf("%s, refresh: %d", name, r.Status)
		}
	}
	if r := e.call(http.MethodPost, "/auth/login", "", map[string]any{"username": "pi@demo.lab", "password": "pi123"}); r.Status != http.StatusUnauthorized {
		t.Fatalf("the old password: %d", r.Status)
	}
	e.login("pi@demo.lab", "a new secret")
	// Both organizations' logs tell of it.
	for _, org := range []string{"demo-lab", "test-org"} {
		if n := e.count(`SELECT count(*) FROM audit_log WHERE organization_id = $1 AND table_name = 'users' AND row_id = $2
			AND (action = 'PASSWORD_CHANGED' OR (action = 'UPDATE' AND new_values ? 'password_hash'))`, e.orgID(org), e.userID("pi@demo.lab")); n != 1 {
			t.Errorf("%s's log has %d password changes", org, n)
		}
	}
}

// TestRevocationIsPermanent is issue 10.2: demoting, deactivating or
// removing a member, or resetting their password, ends what they held
// before; undoing the change later revives none of it.
func TestRevocationIsPermanent(t *testing.T) {
	e := newAPIEnv(t)
	admin := e.token("admin@demo.lab", "admin123")
	eng := e.userID("engineer@demo.lab")
	patch := func(body map[string]any) {
		t.Helper()
		etag := e.call(http.MethodGet, "/api/admin/users/"+eng, admin, nil).Header.Get("ETag")
		if r := e.call(http.MethodPatch, "/api/admin/users/"+eng, admin, body, "If-Match", etag); r.Status != http.StatusOK {
			t.Fatalf("PATCH %v: %d %s", body, r.Status, r.Raw)
		}
	}
	dead := func(what string, s response) {
		t.Helper()
		if r := e.call(http.MethodGet, "/auth/me", s.str("access_token"), nil); r.Status != http.StatusUnauthorized {
			t.Errorf("%s: the old access token answers %d", what, r.Status)
		}
		if r := e.call(http.MethodPost, "/auth/refresh", "", map[string]any{"refresh_token": s.str("refresh_token")}); r.Status != http.StatusUnauthorized {
			t.Errorf("%s: the old refresh token answers %d", what, r.Status)
		}
	}
	undo := map[string][2]func(){
		"demote, re-promote":     {func() { patch(map[string]any{"role": "viewer"}) }, func() { patch(map[string]any{"role": "engineer"}) }},
		"deactivate, reactivate": {func() { patch(map[string]any{"active": false}) }, func() { patch(map[string]any{"active": true}) }},
		"remove, restore": {func() {
			if r := e.call(http.MethodDelete, "/api/admin/users/"+eng, admin, nil); r.Status != http.StatusNoContent {
				t.Fatalf("remove: %d", r.Status)
			}
		}, func() {
			var m string
			if err := e.db.Pool().QueryRow(context.Background(), `SELECT id::text FROM memberships WHERE user_id = $1 AND organization_id = $2`, eng, e.orgID("demo-lab")).Scan(&m); err != nil {
				t.Fatal(err)
			}
			if r := e.call(http.MethodPost, "/api/admin/deleted/memberships/"+m+"/restore", admin, nil); r.Status != http.StatusNoContent {
				t.Fatalf("restore: %d %s", r.Status, r.Raw)
			}
		}},
	}
	for _, name := range []string{"demote, re-promote", "deactivate, reactivate", "remove, restore"} {
		s := e.login("engineer@demo.lab", "eng123")
		undo[name][0]()
		undo[name][1]()
		dead(name, s)
		if r := e.call(http.MethodGet, "/auth/me", e.token("engineer@demo.lab", "eng123"), nil); r.Status != http.StatusOK || r.Body["role"] != "engineer" {
			t.Fatalf("%s: a new login: %d %s", name, r.Status, r.Raw)
		}
	}

	// A password reset (of an account demo-lab alone has and made).
	s := e.login("engineer@demo.lab", "eng123")
	if r := e.call(http.MethodPost, "/api/admin/users/"+eng+"/password", admin, map[string]any{"password": "eng123 again"}); r.Status != http.StatusNoContent {
		t.Fatalf("reset: %d %s", r.Status, r.Raw)
	}
	dead("password reset", s)

	// An API key's service account: deactivated, then reactivated.
	key := e.call(http.MethodPost, "/api/admin/api-keys", admin, map[string]any{"name": "robot", "role": "viewer",
		"expires_at": time.Now().Add(time.Hour).Format(time.RFC3339)})
	robot := key.str("service_account_id")
	if r := e.call(http.MethodGet, "/api/lims/samples", key.str("key"), nil); r.Status != http.StatusOK {
		t.Fatalf("the key works: %d", r.Status)
	}
	for _, active := range []bool{false, true} {
		etag := e.call(http.MethodGet, "/api/admin/users/"+robot, admin, nil).Header.Get("ETag")
		if r := e.call(http.MethodPatch, "/api/admin/users/"+robot, admin, map[string]any{"active": active}, "If-Match", etag); r.Status != http.StatusOK {
			t.Fatalf("service account active=%v: %d %s", active, r.Status, r.Raw)
		}
	}
	if r := e.call(http.MethodGet, "/api/lims/samples", key.str("key"), nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("a key of a reactivated service account: %d", r.Status)
	}

	// Keys made by a member who is demoted die if above the new role.
	pi := e.userID("pi@demo.lab")
	e.sql(`UPDATE memberships SET role = 'admin' WHERE user_id = $1`, pi)
	piTok := e.token("pi@demo.lab", "pi123")
	high := e.call(http.MethodPost, "/api/admin/api-keys", piTok, map[string]any{"name": "high", "role": "admin", "expires_at": time.Now().Add(time.Hour).Format(time.RFC3339)})
	low := e.call(http.MethodPost, "/api/admin/api-keys", piTok, map[string]any{"name": "low", "role": "viewer", "expires_at": time.Now().Add(time.Hour).Format(time.RFC3339)})
	etag := e.call(http.MethodGet, "/api/admin/users/"+pi, admin, nil).Header.Get("ETag")
	if r := e.call(http.MethodPatch, "/api/admin/users/"+pi, admin, map[string]any{"role": "pi"}, "If-Match", etag); r.Status != http.StatusOK {
		t.Fatalf("demote: %d %s", r.Status, r.Raw)
	}
	if r := e.call(http.MethodGet, "/api/admin/users", high.str("key"), nil); r.Status != http.StatusUnauthorized {
		t.Errorf("an admin key of a demoted admin: %d", r.Status)
	}
	if r := e.call(http.MethodGet, "/api/lims/samples", low.str("key"), nil); r.Status != http.StatusOK {
		t.Errorf("a viewer key of a demoted admin: %d", r.Status)
	}
}

// TestNoOrganizationWithoutHumanAdmin is issue 10.3: an admin API key does
// not count as an admin, and no path leaves an organization without an
// active human admin.
func TestNoOrganizationWithoutHumanAdmin(t *testing.T) {
	e := newAPIEnv(t)
	admin := e.token("admin@demo.lab", "admin123")
	me := e.userID("admin@demo.lab")
	key := e.call(http.MethodPost, "/api/admin/api-keys", admin, map[string]any{"name": "ops", "role": "admin",
		"expires_at": time.Now().Add(time.Hour).Format(time.RFC3339)})
	for name, body := range map[string]map[string]any{"demote": {"role": "pi"}, "deactivate": {"active": false}} {
		etag := e.call(http.MethodGet, "/api/admin/users/"+me, admin, nil).Header.Get("ETag")
		for who, tok := range map[string]string{"themselves": admin, "the admin key": key.str("key")} {
			if r := e.call(http.MethodPatch, "/api/admin/users/"+me, tok, body, "If-Match", etag); r.Status != http.StatusConflict {
				t.Fatalf("%s the last human admin, by %s: %d %s", name, who, r.Status, r.Raw)
			}
		}
	}
	if r := e.call(http.MethodDelete, "/api/admin/users/"+me, key.str("key"), nil); r.Status != http.StatusConflict {
		t.Fatalf("remove the last human admin by the key: %d", r.Status)
	}
	// Below the application, the database refuses it too.
	_, err := e.db.Pool().Exec(context.Background(), `UPDATE memberships SET role = 'viewer' WHERE user_id = $1`, me)
	if err == nil || !strings.Contains(err.Error(), "human admin") {
		t.Fatalf("the owner demoting the last human admin: %v", err)
	}
	if r := e.call(http.MethodGet, "/api/admin/users", admin, nil); r.Status != http.StatusOK {
		t.Fatalf("the admin after all that: %d", r.Status)
	}
}

func keys(m map[string]any) string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return strings.Join(ks, ",")
}
