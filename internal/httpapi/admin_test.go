package httpapi

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

func init() {
	crossOrgCases = append(crossOrgCases, func(e *apiEnv, demoAdmin string) map[string]crossOrgCase {
		key := e.call(http.MethodPost, "/api/admin/api-keys", demoAdmin,
			map[string]any{"name": "demo", "role": "viewer", "expires_at": time.Now().Add(time.Hour).Format(time.RFC3339)})
		removed := e.userID("viewer@demo.lab")
		if r := e.call(http.MethodDelete, "/api/admin/users/"+removed, demoAdmin, nil); r.Status != http.StatusNoContent {
			e.t.Fatalf("remove a demo-lab member: %d %s", r.Status, r.Raw)
		}
		var membership uuid.UUID
		if err := e.db.Pool().QueryRow(context.Background(), `SELECT id FROM memberships WHERE user_id = $1`, removed).Scan(&membership); err != nil {
			e.t.Fatal(err)
		}
		user := map[string]string{"id": e.userID("engineer@demo.lab")}
		// An invitation of demo-lab's, addressed to someone else than
		// test-org's admin (whose own invitations are theirs to accept).
		inv := e.call(http.MethodPost, "/api/admin/invitations", demoAdmin, map[string]any{"email": "someone@else.example", "role": "viewer"})
		return map[string]crossOrgCase{
			"DELETE /api/admin/invitations/{id}":           {ids: map[string]string{"id": inv.str("id")}},
			"POST /auth/invitations/{id}/accept":           {ids: map[string]string{"id": inv.str("id")}},
			"DELETE /api/admin/api-keys/{id}":              {ids: map[string]string{"id": key.str("id")}},
			"GET /api/admin/users/{id}":                    {ids: user},
			"PATCH /api/admin/users/{id}":                  {ids: user, body: map[string]any{"role": "viewer"}, headers: []string{"If-Match", `"1"`}},
			"DELETE /api/admin/users/{id}":                 {ids: user},
			"POST /api/admin/users/{id}/password":          {ids: user, body: map[string]any{"password": "taken over!"}},
			"POST /api/admin/deleted/{table}/{id}/restore": {ids: map[string]string{"table": "memberships", "id": membership.String()}},
		}
	})
}

// invite has admin invite email with role and returns the invitation's token.
func (e *apiEnv) invite(admin, email, role string) string {
	e.t.Helper()
	r := e.call(http.MethodPost, "/api/admin/invitations", admin, map[string]any{"email": email, "role": role})
	if r.Status != http.StatusCreated || r.str("token") == "" {
		e.t.Fatalf("invite %s: %d %s", email, r.Status, r.Raw)
	}
	return r.str("token")
}

// acceptInvitation accepts with token and expects status.
func (e *apiEnv) acceptInvitation(token, name, password string, status int) response {
	e.t.Helper()
	r := e.call(http.MethodPost, "/auth/invitations/accept", "", map[string]any{"token": token, "name": name, "password": password})
	if r.Status != status {
		e.t.Fatalf("accept invitation: %d, want %d: %s", r.Status, status, r.Raw)
	}
	return r
}

func (e *apiEnv) userID(email string) string {
	e.t.Helper()
	var id uuid.UUID
	if err := e.db.Pool().QueryRow(context.Background(), `SELECT id FROM users WHERE email = $1`, email).Scan(&id); err != nil {
		e.t.Fatal(err)
	}
	return id.String()
}

func TestAdminManagesMembers(t *testing.T) {
	e := newAPIEnv(t)
	admin := e.token("admin@demo.lab", "admin123")

	list := e.call(http.MethodGet, "/api/admin/users?limit=2", admin, nil)
	items, _ := list.Body["items"].([]any)
	if list.Status != http.StatusOK || len(items) != 2 || list.Body["next_cursor"] == nil {
		t.Fatalf("first page: %d %s", list.Status, list.Raw)
	}
	seen := map[string]bool{}
	for cursor := ""; ; {
		page := e.call(http.MethodGet, "/api/admin/users?limit=2&cursor="+cursor, admin, nil)
		for _, it := range page.Body["items"].([]any) {
			seen[it.(map[string]any)["email"].(string)] = true
		}
		next, _ := page.Body["next_cursor"].(string)
		if next == "" {
			break
		}
		cursor = next
	}
	if len(seen) != 5 || seen["admin@test.org"] {
		t.Fatalf("paging through members saw %v", seen)
	}
	if r := e.call(http.MethodGet, "/api/admin/users?q=ENGINEER", admin, nil); len(r.Body["items"].([]any)) != 1 {
		t.Errorf("search: %s", r.Raw)
	}

	// Invite a new person, who makes their account by accepting; invite
	// one who already belongs to test-org, who accepts with their password.
	created := e.acceptInvitation(e.invite(admin, "Newbie@Demo.Lab", "technician"), "New Bie", "first password", http.StatusOK)
	if u := created.Body["user"].(map[string]any); u["email"] != "newbie@demo.lab" || u["role"] != "technician" || u["name"] != "New Bie" {
		t.Fatalf("accepted invitation: %s", created.Raw)
	}
	e.login("newbie@demo.lab", "first password")
	e.acceptInvitation(e.invite(admin, "pi@test.org", "viewer"), "ignored", "pi123", http.StatusOK)
	if r := e.call(http.MethodPost, "/api/admin/invitations", admin, map[string]any{"email": "pi@test.org", "role": "viewer"}); r.Status != http.StatusConflict {
		t.Fatalf("invite a member: %d", r.Status)
	}

	// That user now has two organizations and can switch.
	pi := e.login("pi@test.org", "pi123")
	sw := e.call(http.MethodPost, "/auth/switch-org", pi.str("access_token"), map[string]any{"organization": "demo-lab"})
	if sw.Status != http.StatusOK || sw.Body["user"].(map[string]any)["role"] != "viewer" {
		t.Fatalf("switch-org: %d %s", sw.Status, sw.Raw)
	}
	me := e.call(http.MethodGet, "/auth/me", sw.str("access_token"), nil)
	if ms, _ := me.Body["memberships"].([]any); me.Body["organization"].(map[string]any)["slug"] != "demo-lab" || len(ms) != 2 {
		t.Fatalf("/auth/me after switching: %s", me.Raw)
	}
	if r := e.call(http.MethodPost, "/auth/switch-org", e.token("engineer@demo.lab", "eng123"), map[string]any{"organization": "test-org"}); r.Status != http.StatusNotFound {
		t.Fatalf("switch into a foreign organization: %d", r.Status)
	}

	// Change a role (with If-Match), deactivate, reactivate.
	id := created.Body["user"].(map[string]any)["id"].(string)
	etag := e.call(http.MethodGet, "/api/admin/users/"+id, admin, nil).Header.Get("ETag")
	up := e.call(http.MethodPatch, "/api/admin/users/"+id, admin, map[string]any{"role": "engineer"}, "If-Match", etag)
	if up.Status != http.StatusOK || up.str("role") != "engineer" {
		t.Fatalf("change role: %d %s", up.Status, up.Raw)
	}
	if r := e.call(http.MethodPatch, "/api/admin/users/"+id, admin, map[string]any{"role": "viewer"}, "If-Match", etag); r.Status != http.StatusPreconditionFailed {
		t.Fatalf("stale If-Match: %d %s", r.Status, r.Raw)
	}
	newbie := e.token("newbie@demo.lab", "first password")
	off := e.call(http.MethodPatch, "/api/admin/users/"+id, admin, map[string]any{"active": false}, "If-Match", up.Header.Get("ETag"))
	if off.Status != http.StatusOK || off.Body["active"] != false {
		t.Fatalf("deactivate: %d %s", off.Status, off.Raw)
	}
	if r := e.call(http.MethodGet, "/auth/me", newbie, nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("deactivated user's next request: %d", r.Status)
	}
	if r := e.call(http.MethodPost, "/auth/login", "", map[string]any{"username": "newbie@demo.lab", "password": "first password"}); r.Status != http.StatusUnauthorized {
		t.Fatalf("deactivated user's login: %d", r.Status)
	}
	e.call(http.MethodPatch, "/api/admin/users/"+id, admin, map[string]any{"active": true}, "If-Match", off.Header.Get("ETag"))
	e.login("newbie@demo.lab", "first password")

	// Reset the password: the old one and the old sessions stop working.
	sess := e.login("newbie@demo.lab", "first password")
	if r := e.call(http.MethodPost, "/api/admin/users/"+id+"/password", admin, map[string]any{"password": "second password"}); r.Status != http.StatusNoContent {
		t.Fatalf("reset password: %d %s", r.Status, r.Raw)
	}
	if r := e.call(http.MethodPost, "/auth/refresh", "", map[string]any{"refresh_token": sess.str("refresh_token")}); r.Status != http.StatusUnauthorized {
		t.Fatalf("session after a password reset: %d", r.Status)
	}
	e.login("newbie@demo.lab", "second password")

	// Remove (soft) and restore.
	if r := e.call(http.MethodDelete, "/api/admin/users/"+id, admin, nil); r.Status != http.StatusNoContent {
		t.Fatalf("remove: %d", r.Status)
	}
	if r := e.call(http.MethodGet, "/api/admin/users/"+id, admin, nil); r.Status != http.StatusNotFound {
		t.Fatalf("removed member still read: %d", r.Status)
	}
	deleted := e.call(http.MethodGet, "/api/admin/deleted?table=memberships", admin, nil)
	rows, _ := deleted.Body["items"].([]any)
	if deleted.Status != http.StatusOK || len(rows) != 1 {
		t.Fatalf("deleted list: %d %s", deleted.Status, deleted.Raw)
	}
	membership := rows[0].(map[string]any)["id"].(string)
	if r := e.call(http.MethodPost, "/api/admin/deleted/memberships/"+membership+"/restore", admin, nil); r.Status != http.StatusNoContent {
		t.Fatalf("restore: %d %s", r.Status, r.Raw)
	}
	if r := e.call(http.MethodGet, "/api/admin/users/"+id, admin, nil); r.Status != http.StatusOK {
		t.Fatalf("restored member: %d", r.Status)
	}
	if r := e.call(http.MethodGet, "/api/admin/deleted?table=users", admin, nil); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("deleted rows of a table without soft delete: %d", r.Status)
	}
}

func TestLastAdminIsKept(t *testing.T) {
	e := newAPIEnv(t)
	admin := e.token("admin@demo.lab", "admin123")
	me := e.userID("admin@demo.lab")
	for name, body := range map[string]map[string]any{"demote": {"role": "pi"}, "deactivate": {"active": false}} {
		if r := e.call(http.MethodPatch, "/api/admin/users/"+me, admin, body, "If-Match", e.etagOf("/api/admin/users/"+me, admin)); r.Status != http.StatusConflict {
			t.Fatalf("%s the last admin: %d %s", name, r.Status, r.Raw)
		}
	}
	if r := e.call(http.MethodDelete, "/api/admin/users/"+me, admin, nil); r.Status != http.StatusConflict {
		t.Fatalf("remove the last admin: %d", r.Status)
	}
	// With a second admin, the first may step down.
	pi := e.userID("pi@demo.lab")
	if r := e.call(http.MethodPatch, "/api/admin/users/"+pi, admin, map[string]any{"role": "admin"}, "If-Match", e.etagOf("/api/admin/users/"+pi, admin)); r.Status != http.StatusOK {
		t.Fatalf("promote: %d", r.Status)
	}
	if r := e.call(http.MethodPatch, "/api/admin/users/"+me, admin, map[string]any{"role": "pi"}, "If-Match", e.etagOf("/api/admin/users/"+me, admin)); r.Status != http.StatusOK {
		t.Fatalf("step down with another admin: %d %s", r.Status, r.Raw)
	}
	// The role change is audited with its actor and request id.
	audit := e.call(http.MethodGet, "/api/admin/audit?table=memberships&action=update&limit=10", e.token("pi@demo.lab", "pi123"), nil)
	entries, _ := audit.Body["items"].([]any)
	if audit.Status != http.StatusOK || len(entries) != 2 {
		t.Fatalf("audit of the role changes: %d %s", audit.Status, audit.Raw)
	}
	last := entries[0].(map[string]any)
	if last["actor"] != "admin@demo.lab" || last["actor_auth"] != "password" || last["request_id"] == "" ||
		last["old"].(map[string]any)["role"] != "admin" || last["new"].(map[string]any)["role"] != "pi" {
		t.Fatalf("audit entry = %v", last)
	}
}

// Server-owned fields in a body are refused, never applied.
func TestMassAssignmentIsRefused(t *testing.T) {
	e := newAPIEnv(t)
	admin := e.token("admin@demo.lab", "admin123")
	other := e.orgID("test-org").String()
	cases := []struct {
		method, path string
		body         map[string]any
		field        string
	}{
		{http.MethodPost, "/api/admin/invitations", map[string]any{"email": "m@demo.lab", "role": "viewer", "organization_id": other}, "organization_id"},
		{http.MethodPost, "/api/admin/invitations", map[string]any{"email": "m@demo.lab", "role": "viewer", "invited_by": uuid.NewString()}, "invited_by"},
		{http.MethodPatch, "/api/admin/users/" + e.userID("viewer@demo.lab"), map[string]any{"active": true, "organization_id": other}, "organization_id"},
		{http.MethodPut, "/api/admin/organization", map[string]any{"name": "X", "calibration_warning_days": 30, "access_token_ttl_seconds": 900,
			"refresh_token_ttl_seconds": 3600, "version": 1, "id": other}, "id"},
		{http.MethodPost, "/auth/login", map[string]any{"username": "viewer@demo.lab", "password": "view123", "role": "admin"}, "role"},
	}
	for _, c := range cases {
		r := e.call(c.method, c.path, admin, c.body)
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Raw), `"field":"`+c.field) {
			t.Errorf("%s %s with %s: %d %s", c.method, c.path, c.field, r.Status, r.Raw)
		}
	}
	if n := e.count(`SELECT count(*) FROM invitations WHERE email = 'm@demo.lab'`); n != 0 {
		t.Fatalf("a refused body was written")
	}
}

func TestOrganizationSettings(t *testing.T) {
	e := newAPIEnv(t)
	admin := e.token("admin@demo.lab", "admin123")
	got := e.call(http.MethodGet, "/api/admin/organization", admin, nil)
	if got.Status != http.StatusOK || got.Body["calibration_warning_days"] != float64(30) {
		t.Fatalf("settings: %d %s", got.Status, got.Raw)
	}
	body := map[string]any{"name": "Demo Lab", "calibration_warning_days": 14, "access_token_ttl_seconds": 600,
		"refresh_token_ttl_seconds": 86400, "version": got.Body["version"]}
	if r := e.call(http.MethodPut, "/api/admin/organization", admin, body); r.Status != http.StatusOK || r.Body["calibration_warning_days"] != float64(14) {
		t.Fatalf("update: %d %s", r.Status, r.Raw)
	}
	if r := e.call(http.MethodPut, "/api/admin/organization", admin, body); r.Status != http.StatusConflict {
		t.Fatalf("stale version: %d", r.Status)
	}
	// New sessions follow the new token lifetime.
	if n, _ := e.login("pi@demo.lab", "pi123").Body["expires_in"].(float64); n < 590 || n > 600 {
		t.Fatalf("expires_in after the change = %v", n)
	}
	body["version"], body["access_token_ttl_seconds"] = got.Body["version"].(float64)+1, 5
	if r := e.call(http.MethodPut, "/api/admin/organization", admin, body); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("a 5-second token lifetime: %d", r.Status)
	}
}

func TestAuditLogAPI(t *testing.T) {
	e := newAPIEnv(t)
	admin := e.token("admin@demo.lab", "admin123")
	e.call(http.MethodPost, "/auth/login", "", map[string]any{"username": "tech@demo.lab", "password": "wrong"})
	tech := e.login("tech@demo.lab", "tech123")
	e.call(http.MethodPost, "/auth/logout", tech.str("access_token"), nil)

	for action, want := range map[string]int{"LOGIN_FAILED": 1, "LOGOUT": 1} {
		r := e.call(http.MethodGet, "/api/admin/audit?action="+action, admin, nil)
		if items, _ := r.Body["items"].([]any); r.Status != http.StatusOK || len(items) != want {
			t.Errorf("%s: %d %s", action, r.Status, r.Raw)
		}
	}
	tid := e.userID("tech@demo.lab")
	byActor := e.call(http.MethodGet, "/api/admin/audit?actor="+tid, admin, nil)
	for _, it := range byActor.Body["items"].([]any) {
		if it.(map[string]any)["actor_id"] != tid {
			t.Fatalf("actor filter let through %v", it)
		}
	}
	// Keyset pages cover the log without overlap.
	seen := map[string]bool{}
	total := e.count(`SELECT count(*) FROM audit_log WHERE organization_id = $1`, e.orgID("demo-lab"))
	for cursor, pages := "", 0; pages < 100; pages++ {
		r := e.call(http.MethodGet, "/api/admin/audit?limit=200&cursor="+cursor, admin, nil)
		for _, it := range r.Body["items"].([]any) {
			id := it.(map[string]any)["id"].(string)
			if seen[id] {
				t.Fatalf("entry %s on two pages", id)
			}
			seen[id] = true
		}
		next, _ := r.Body["next_cursor"].(string)
		if next == "" {
			break
		}
		cursor = next
	}
	if len(seen) != total {
		t.Fatalf("pages held %d entries, the log %d", len(seen), total)
	}
	for _, bad := range []string{"limit=0", "limit=201", "cursor=bm9wZQ", "cursor=not-base64!", "row_id=nope", "from=yesterday"} {
		if r := e.call(http.MethodGet, "/api/admin/audit?"+bad, admin, nil); r.Status != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d %s", bad, r.Status, r.Raw)
		}
	}
}

// Each optional filter of the members and audit lists narrows the list to
// exactly the rows the database holds for it (the filter builder adds a
// condition only for a filter given).
func TestAdminListFilters(t *testing.T) {
	e := newAPIEnv(t)
	admin := e.token("admin@demo.lab", "admin123")
	org := e.orgID("demo-lab")
	e.sql(`UPDATE memberships SET active = false WHERE organization_id = $1 AND role = 'viewer'`, org)
	ids := func(path string) []string {
		t.Helper()
		r := e.call(http.MethodGet, path, admin, nil)
		if r.Status != http.StatusOK {
			t.Fatalf("%s: %d %s", path, r.Status, r.Raw)
		}
		var out []string
		for _, it := range r.Body["items"].([]any) {
			out = append(out, it.(map[string]any)["id"].(string))
		}
		return out
	}
	for _, c := range []struct {
		path, sql string
	}{
		{"/api/admin/users?limit=200&role=pi", `SELECT count(*) FROM memberships WHERE organization_id = $1 AND deleted_at IS NULL AND role = 'pi'`},
		{"/api/admin/users?limit=200&active=false", `SELECT count(*) FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.organization_id = $1 AND m.deleted_at IS NULL AND NOT (m.active AND u.active)`},
		{"/api/admin/users?limit=200&active=true&role=viewer", `SELECT 0 WHERE $1::uuid IS NOT NULL`},
		{"/api/admin/audit?limit=200&table=samples&action=insert", `SELECT count(*) FROM audit_log WHERE organization_id = $1 AND table_name = 'samples' AND action = 'INSERT'`},
		{"/api/admin/audit?limit=200&from=2999-01-01T00:00:00Z", `SELECT 0 WHERE $1::uuid IS NOT NULL`},
		{"/api/admin/audit?limit=200&to=2000-01-01T00:00:00Z", `SELECT count(*) FROM audit_log WHERE organization_id = $1 AND at < '2000-01-01'`},
	} {
		want := e.count(c.sql, org)
		if want > 200 {
			t.Fatalf("%s: %d rows, more than a page", c.path, want)
		}
		if got := ids(c.path); len(got) != want {
			t.Errorf("%s: %d items, the database has %d", c.path, len(got), want)
		}
	}
	// row_id: the audit entries of one sample, and nothing else.
	sample := e.limsID(`SELECT id FROM samples WHERE organization_id = $1 ORDER BY id LIMIT 1`)
	want := e.count(`SELECT count(*) FROM audit_log WHERE organization_id = $1 AND row_id = $2`, org, sample)
	if got := ids("/api/admin/audit?limit=200&row_id=" + sample); want == 0 || len(got) != want {
		t.Errorf("row_id: %d items, the database has %d", len(got), want)
	}
}
