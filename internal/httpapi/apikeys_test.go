package httpapi

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/spectra-lab/spectra/internal/auth"
)

func createKey(t *testing.T, e *apiEnv, admin, role string, expires time.Time) response {
	t.Helper()
	r := e.call(http.MethodPost, "/api/admin/api-keys", admin, map[string]any{"name": "robot-" + role, "role": role, "expires_at": expires.Format(time.RFC3339)})
	if r.Status != http.StatusCreated {
		t.Fatalf("create key: %d %s", r.Status, r.Raw)
	}
	return r
}

func TestAPIKeys(t *testing.T) {
	e := newAPIEnv(t)
	admin := e.token("admin@demo.lab", "admin123")
	created := createKey(t, e, admin, "engineer", time.Now().Add(30*24*time.Hour))
	key := created.str("key")
	if !strings.HasPrefix(key, auth.APIKeyPrefix) || !strings.HasPrefix(key, created.str("prefix")) {
		t.Fatalf("key %q, prefix %q", key, created.str("prefix"))
	}
	if e.count(`SELECT count(*) FROM api_keys WHERE position($1 in encode(secret_hash, 'escape')) > 0`, key) != 0 {
		t.Fatal("the key is stored in clear")
	}

	// Used: the key authenticates as its service account with its role.
	me := e.call(http.MethodGet, "/auth/me", key, nil)
	if me.Status != http.StatusOK || me.Body["role"] != "engineer" || me.Body["auth"] != "api_key" {
		t.Fatalf("/auth/me with the key: %d %s", me.Status, me.Raw)
	}
	if r := e.call(http.MethodGet, "/api/admin/api-keys", key, nil); r.Status != http.StatusForbidden {
		t.Fatalf("an engineer key on an admin route: %d", r.Status)
	}
	if e.count(`SELECT count(*) FROM api_keys WHERE last_used_at IS NOT NULL`) != 1 {
		t.Error("last_used_at not kept")
	}

	// Listed, without the secret.
	list := e.call(http.MethodGet, "/api/admin/api-keys", admin, nil)
	if list.Status != http.StatusOK || strings.Contains(string(list.Raw), key) || strings.Contains(string(list.Raw), `"key"`) {
		t.Fatalf("list: %d %s", list.Status, list.Raw)
	}
	if items, _ := list.Body["items"].([]any); len(items) != 1 {
		t.Fatalf("list holds %d keys", len(items))
	}

	// Rejected, all the same way: revoked, expired, wrong checksum, a
	// made-up key of another organization, unknown.
	revoked := createKey(t, e, admin, "viewer", time.Now().Add(time.Hour))
	if r := e.call(http.MethodDelete, "/api/admin/api-keys/"+revoked.str("id"), admin, nil); r.Status != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", r.Status, r.Raw)
	}
	expired := createKey(t, e, admin, "viewer", time.Now().Add(time.Hour))
	e.sql(`UPDATE api_keys SET created_at = now() - interval '2 days', expires_at = now() - interval '1 day' WHERE id = $1`, expired.str("id"))
	other := createKey(t, e, e.token("admin@test.org", "admin123"), "viewer", time.Now().Add(time.Hour)).str("key")
	o, err := auth.ParseOpaque(auth.APIKeyPrefix, other)
	if err != nil {
		t.Fatal(err)
	}
	testOrgKey := rehome(t, o.ID, e.orgID("demo-lab"))
	fresh, _, _ := auth.NewOpaque(auth.APIKeyPrefix, e.orgID("demo-lab"))
	var first response
	for i, k := range []string{revoked.str("key"), expired.str("key"), flipLast(key), testOrgKey, fresh, "spk_short"} {
		r := e.call(http.MethodGet, "/auth/me", k, nil)
		if r.Status != http.StatusUnauthorized {
			t.Fatalf("key %d: %d %s", i, r.Status, r.Raw)
		}
		if i == 0 {
			first = r
		} else if !sameProblem(first, r) {
			t.Errorf("key %d answers differently: %s vs %s", i, r.Raw, first.Raw)
		}
	}

	// Another organization's key id is not found, for revoking either.
	if r := e.call(http.MethodDelete, "/api/admin/api-keys/"+uuid.NewString(), admin, nil); r.Status != http.StatusNotFound {
		t.Errorf("revoke an unknown key: %d", r.Status)
	}
}

// rehome builds a well-formed key claiming id in org, with a secret nobody has.
func rehome(t *testing.T, id, org uuid.UUID) string {
	t.Helper()
	k, _, err := auth.NewOpaqueWithID(auth.APIKeyPrefix, id, org)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestAPIKeyCreationRules(t *testing.T) {
	e := newAPIEnv(t)
	admin := e.token("admin@demo.lab", "admin123")
	cases := []struct {
		name   string
		body   map[string]any
		status int
		field  string
	}{
		{"no expiry", map[string]any{"name": "x", "role": "viewer"}, http.StatusUnprocessableEntity, "expires_at"},
		{"expiry past", map[string]any{"name": "x", "role": "viewer", "expires_at": time.Now().Add(-time.Hour).Format(time.RFC3339)}, http.StatusUnprocessableEntity, "expires_at"},
		{"expiry too far", map[string]any{"name": "x", "role": "viewer", "expires_at": time.Now().Add(3 * 365 * 24 * time.Hour).Format(time.RFC3339)}, http.StatusUnprocessableEntity, "expires_at"},
		{"unknown role", map[string]any{"name": "x", "role": "root", "expires_at": time.Now().Add(time.Hour).Format(time.RFC3339)}, http.StatusUnprocessableEntity, "role"},
		{"no name", map[string]any{"role": "viewer", "expires_at": time.Now().Add(time.Hour).Format(time.RFC3339)}, http.StatusUnprocessableEntity, "name"},
		{"organization_id in body", map[string]any{"name": "x", "role": "viewer", "expires_at": time.Now().Add(time.Hour).Format(time.RFC3339), "organization_id": uuid.NewString()}, http.StatusUnprocessableEntity, "organization_id"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.call(http.MethodPost, "/api/admin/api-keys", admin, c.body)
			if r.Status != c.status || !strings.Contains(string(r.Raw), `"field":"`+c.field) {
				t.Fatalf("%d %s", r.Status, r.Raw)
			}
		})
	}
	if n := e.count(`SELECT count(*) FROM api_keys`); n != 0 {
		t.Fatalf("%d keys written by rejected requests", n)
	}

	// An admin's key may itself manage keys.
	adminKey := createKey(t, e, admin, "admin", time.Now().Add(time.Hour)).str("key")
	createKey(t, e, adminKey, "pi", time.Now().Add(time.Hour))
}
