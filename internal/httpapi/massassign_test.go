package httpapi

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// serverOwned are the fields only the server sets: whose row it is, who
// did what and when, and what it has become. No request body may carry
// one (PRODUCT.md §2).
var serverOwned = []string{
	"organization_id", "org", "created_by", "created_at", "updated_at", "deleted_at",
	"invited_by", "accepted_by", "accepted_at", "revoked_by", "revoked_at", "recorded_by",
	"approved_by", "signer_id", "user_id", "home_organization_id", "is_service", "password_hash",
	"token_hash", "secret_hash", "last_used_at", "status_changed_at",
}

// TestMassAssignmentWalk walks every operation with a request body in the
// server's own route table (so one added later is covered): its published
// schema declares no server-owned field, and a body carrying one, as an
// admin who passes every guard, is a 422 naming it, with nothing written.
func TestMassAssignmentWalk(t *testing.T) {
	e := newAPIEnv(t)
	admin := e.token("admin@demo.lab", "admin123")
	doc := e.api.OpenAPI()
	before := e.snapshot()
	sent := 0
	for _, r := range Routes() {
		op := doc.Paths[r.Path]
		if op == nil {
			continue
		}
		operation := op.Post
		switch r.Method {
		case http.MethodPut:
			operation = op.Put
		case http.MethodPatch:
			operation = op.Patch
		case http.MethodPost:
		default:
			continue
		}
		if operation == nil || operation.RequestBody == nil || operation.RequestBody.Content["application/json"] == nil {
			continue
		}
		schema := operation.RequestBody.Content["application/json"].Schema
		if schema.Ref != "" {
			schema = e.api.OpenAPI().Components.Schemas.SchemaFromRef(schema.Ref)
		}
		for _, f := range serverOwned {
			if _, declared := schema.Properties[f]; declared {
				t.Errorf("%s %s: the request schema declares server-owned %s", r.Method, r.Path, f)
			}
		}
		path := fillPath(r.Path, map[string]string{"id": uuid.NewString(), "table": "samples"})
		if r.Path == "/auth/logout" {
			continue // ends the admin's session whatever the body
		}
		for _, f := range serverOwned {
			res := e.call(r.Method, path, admin, map[string]any{f: uuid.NewString()}, "If-Match", `"1"`)
			sent++
			if res.Status != http.StatusUnprocessableEntity || !strings.Contains(string(res.Raw), f) {
				t.Errorf("%s %s with %s: %d %.300s", r.Method, r.Path, f, res.Status, res.Raw)
			}
		}
	}
	if sent < 500 {
		t.Fatalf("only %d requests: the walk found too few operations", sent)
	}
	if after := e.snapshot(); after != before {
		t.Fatalf("the database changed:\nbefore %s\nafter  %s", before, after)
	}
	t.Logf("%d mass-assignment requests, each a 422 naming the field", sent)
}
