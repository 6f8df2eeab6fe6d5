package httpapi

import (
	"context"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/spectra-lab/spectra/internal/spectra"
)

func init() {
	crossOrgCases = append(crossOrgCases, func(e *apiEnv, _ string) map[string]crossOrgCase {
		// An unsigned demo-lab entry at its current version, so that each
		// body would be accepted for it: only the foreign id can fail.
		var id uuid.UUID
		var version int
		if err := e.db.Pool().QueryRow(context.Background(), `SELECT id, version FROM eln_entries
			WHERE organization_id = $1 AND locked_at IS NULL AND deleted_at IS NULL ORDER BY id LIMIT 1`,
			e.orgID("demo-lab")).Scan(&id, &version); err != nil {
			e.t.Fatal(err)
		}
		ids := map[string]string{"id": id.String()}
		return map[string]crossOrgCase{
			"GET /api/lims/eln/{id}":             {ids: ids},
			"PUT /api/lims/eln/{id}":             {ids: ids, body: map[string]any{"title": "taken over", "body_markdown": "", "version": version}},
			"DELETE /api/lims/eln/{id}":          {ids: ids},
			"POST /api/lims/eln/{id}/amendments": {ids: ids, body: map[string]any{"body_markdown": "a foreign correction"}},
			// test-org's admin's own, right password: still 404, and no
			// login attempt is recorded (the snapshot would change).
			"POST /api/lims/eln/{id}/sign":      {ids: ids, body: map[string]any{"meaning": "reviewed", "password": "admin123"}},
			"GET /api/lims/eln/{id}/signatures": {ids: ids},
		}
	})
}

// elnID is the id one row of query returns.
func (e *apiEnv) elnID(query string, args ...any) string {
	e.t.Helper()
	var id uuid.UUID
	if err := e.db.Pool().QueryRow(context.Background(), query, args...).Scan(&id); err != nil {
		e.t.Fatalf("%s: %v", query, err)
	}
	return id.String()
}

// elnRefs are demo-lab's (and test-org's) ids an entry may link to.
type elnRefs struct {
	project, sample, sample2, run                     string
	foreignProject, foreignSample, foreignRun, signed string
}

func (e *apiEnv) elnRefs() elnRefs {
	e.t.Helper()
	demo, other := e.orgID("demo-lab"), e.orgID("test-org")
	return elnRefs{
		project:        e.elnID(`SELECT id FROM projects WHERE organization_id = $1 ORDER BY id LIMIT 1`, demo),
		sample:         e.elnID(`SELECT id FROM samples WHERE organization_id = $1 ORDER BY id LIMIT 1`, demo),
		sample2:        e.elnID(`SELECT id FROM samples WHERE organization_id = $1 ORDER BY id OFFSET 1 LIMIT 1`, demo),
		run:            e.elnID(`SELECT id FROM runs WHERE organization_id = $1 ORDER BY id LIMIT 1`, demo),
		foreignProject: e.elnID(`SELECT id FROM projects WHERE organization_id = $1 ORDER BY id LIMIT 1`, other),
		foreignSample:  e.elnID(`SELECT id FROM samples WHERE organization_id = $1 ORDER BY id LIMIT 1`, other),
		foreignRun:     e.elnID(`SELECT id FROM runs WHERE organization_id = $1 ORDER BY id LIMIT 1`, other),
		signed:         e.elnID(`SELECT id FROM eln_entries WHERE organization_id = $1 AND locked_at IS NOT NULL`, demo),
	}
}

// elnCreate writes an entry and fails the test unless it is created.
func (e *apiEnv) elnCreate(tok string, body map[string]any) response {
	e.t.Helper()
	r := e.call(http.MethodPost, "/api/lims/eln", tok, body)
	if r.Status != http.StatusCreated {
		e.t.Fatalf("create entry: %d %s", r.Status, r.Raw)
	}
	return r
}

// fieldsOf lists the fields a problem names.
func fieldsOf(r response) []string {
	var out []string
	errs, _ := r.Body["errors"].([]any)
	for _, x := range errs {
		if m, ok := x.(map[string]any); ok {
			out = append(out, fmt.Sprint(m["field"]))
		}
	}
	return out
}

// items returns a list answer's items.
func items(r response) []map[string]any {
	var out []map[string]any
	list, _ := r.Body["items"].([]any)
	for _, x := range list {
		out = append(out, x.(map[string]any))
	}
	return out
}

func strs(v any) []string {
	var out []string
	list, _ := v.([]any)
	for _, x := range list {
		out = append(out, fmt.Sprint(x))
	}
	return out
}

func TestELNEntryLifecycle(t *testing.T) {
	e := newAPIEnv(t)
	eng := e.token("engineer@demo.lab", "eng123")
	refs := e.elnRefs()

	c := e.elnCreate(eng, map[string]any{"title": "Anneal test", "body_markdown": "## Plan\nAnneal at 400 °C.",
		"project_id": refs.project, "sample_ids": []string{refs.sample}, "run_ids": []string{refs.run}})
	id := c.str("id")
	if c.Header.Get("ETag") != `"1"` || c.Body["project_id"] != refs.project || c.Body["locked_at"] != nil ||
		c.Body["signature_count"] != 0.0 || c.Body["amends_id"] != nil || c.Body["created_by"] != e.userID("engineer@demo.lab") ||
		!slices.Equal(strs(c.Body["sample_ids"]), []string{refs.sample}) || !slices.Equal(strs(c.Body["run_ids"]), []string{refs.run}) {
		t.Fatalf("created: %s %s", c.Header.Get("ETag"), c.Raw)
	}
	if g := e.call(http.MethodGet, "/api/lims/eln/"+id, eng, nil); g.Status != http.StatusOK || g.str("title") != "Anneal test" ||
		len(strs(g.Body["amendments"])) != 0 {
		t.Fatalf("get: %d %s", g.Status, g.Raw)
	}

	// PUT replaces content and links: the run is dropped, a sample added.
	put := map[string]any{"title": "Anneal test (400 °C)", "body_markdown": "Done.", "project_id": refs.project,
		"sample_ids": []string{refs.sample, refs.sample2}}
	u := e.call(http.MethodPut, "/api/lims/eln/"+id, eng, put, "If-Match", `"1"`)
	if u.Status != http.StatusOK || u.Header.Get("ETag") != `"2"` || len(strs(u.Body["sample_ids"])) != 2 || len(strs(u.Body["run_ids"])) != 0 {
		t.Fatalf("update: %d %s", u.Status, u.Raw)
	}
	if n := e.count(`SELECT count(*) FROM eln_links WHERE entry_id = $1`, id); n != 2 {
		t.Fatalf("%d links, want 2", n)
	}
	stale := []struct {
		name    string
		body    map[string]any
		headers []string
		status  int
		field   string
	}{
		{"stale If-Match", put, []string{"If-Match", `"1"`}, http.StatusPreconditionFailed, ""},
		{"stale version", map[string]any{"title": "x", "body_markdown": "", "version": 1}, nil, http.StatusConflict, ""},
		{"no version at all", map[string]any{"title": "x", "body_markdown": ""}, nil, http.StatusPreconditionRequired, "version"},
		{"bad If-Match", put, []string{"If-Match", "yesterday"}, http.StatusUnprocessableEntity, "header.If-Match"},
	}
	for _, s := range stale {
		r := e.call(http.MethodPut, "/api/lims/eln/"+id, eng, s.body, s.headers...)
		if r.Status != s.status || (s.field != "" && !slices.Contains(fieldsOf(r), s.field)) {
			t.Errorf("%s: %d %s", s.name, r.Status, r.Raw)
		}
	}
	if g := e.call(http.MethodGet, "/api/lims/eln/"+id, eng, nil); g.str("title") != "Anneal test (400 °C)" || g.Body["version"] != 2.0 {
		t.Fatalf("a refused update changed the entry: %s", g.Raw)
	}
	// The body's version is the other way to say what was read.
	if r := e.call(http.MethodPut, "/api/lims/eln/"+id, eng, map[string]any{"title": "v3", "body_markdown": "", "version": 2}); r.Status != http.StatusOK ||
		r.Body["project_id"] != nil {
		t.Fatalf("update by body version: %d %s", r.Status, r.Raw)
	}

	if r := e.call(http.MethodDelete, "/api/lims/eln/"+id, eng, nil); r.Status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.Status, r.Raw)
	}
	for _, m := range []string{http.MethodGet, http.MethodDelete} {
		if r := e.call(m, "/api/lims/eln/"+id, eng, nil); r.Status != http.StatusNotFound {
			t.Errorf("%s of a deleted entry: %d %s", m, r.Status, r.Raw)
		}
	}
	if n := e.count(`SELECT count(*) FROM eln_entries WHERE id = $1 AND deleted_at IS NOT NULL`, id); n != 1 {
		t.Fatal("the delete was not soft")
	}
}

func TestELNInvalidInput(t *testing.T) {
	e := newAPIEnv(t)
	eng := e.token("engineer@demo.lab", "eng123")
	refs := e.elnRefs()
	missing := uuid.NewString()
	entry := e.elnCreate(eng, map[string]any{"title": "t", "body_markdown": ""}).str("id")

	cases := []struct {
		name, method, path string
		body               any
		field              string
	}{
		{"title missing", http.MethodPost, "/api/lims/eln", map[string]any{"body_markdown": "x"}, "title"},
		{"title empty", http.MethodPost, "/api/lims/eln", map[string]any{"title": "", "body_markdown": "x"}, "title"},
		{"title too long", http.MethodPost, "/api/lims/eln", map[string]any{"title": strings.Repeat("t", 301), "body_markdown": ""}, "title"},
		{"body missing", http.MethodPost, "/api/lims/eln", map[string]any{"title": "t"}, "body_markdown"},
		{"project of another organization", http.MethodPost, "/api/lims/eln", map[string]any{"title": "t", "body_markdown": "", "project_id": refs.foreignProject}, "project_id"},
		{"unknown project", http.MethodPost, "/api/lims/eln", map[string]any{"title": "t", "body_markdown": "", "project_id": missing}, "project_id"},
		{"project not a uuid", http.MethodPost, "/api/lims/eln", map[string]any{"title": "t", "body_markdown": "", "project_id": "PRJ-001"}, "project_id"},
		{"sample of another organization", http.MethodPost, "/api/lims/eln", map[string]any{"title": "t", "body_markdown": "", "sample_ids": []string{refs.foreignSample}}, "sample_ids[0]"},
		{"unknown run", http.MethodPost, "/api/lims/eln", map[string]any{"title": "t", "body_markdown": "", "run_ids": []string{refs.run, missing}}, "run_ids[1]"},
		{"run of another organization", http.MethodPost, "/api/lims/eln", map[string]any{"title": "t", "body_markdown": "", "run_ids": []string{refs.foreignRun}}, "run_ids[0]"},
		{"sample twice", http.MethodPost, "/api/lims/eln", map[string]any{"title": "t", "body_markdown": "", "sample_ids": []string{refs.sample, refs.sample}}, "sample_ids"},
		{"sample id not a uuid", http.MethodPost, "/api/lims/eln", map[string]any{"title": "t", "body_markdown": "", "sample_ids": []string{"S-1"}}, "sample_ids[0]"},
		{"author from the body", http.MethodPost, "/api/lims/eln", map[string]any{"title": "t", "body_markdown": "", "created_by": refs.sample}, "created_by"},
		{"lock from the body", http.MethodPost, "/api/lims/eln", map[string]any{"title": "t", "body_markdown": "", "locked_at": "2026-01-01T00:00:00Z"}, "locked_at"},
		{"update: foreign sample", http.MethodPut, "/api/lims/eln/" + entry, map[string]any{"title": "t", "body_markdown": "", "version": 1, "sample_ids": []string{refs.foreignSample}}, "sample_ids[0]"},
		{"update: version 0", http.MethodPut, "/api/lims/eln/" + entry, map[string]any{"title": "t", "body_markdown": "", "version": 0}, "version"},
		{"amendment without body", http.MethodPost, "/api/lims/eln/" + entry + "/amendments", map[string]any{"title": "t"}, "body_markdown"},
		{"amendment with empty title", http.MethodPost, "/api/lims/eln/" + entry + "/amendments", map[string]any{"title": "", "body_markdown": "x"}, "title"},
		{"amends_id from the body", http.MethodPost, "/api/lims/eln/" + entry + "/amendments", map[string]any{"body_markdown": "x", "amends_id": refs.signed}, "amends_id"},
		{"sign: unknown meaning", http.MethodPost, "/api/lims/eln/" + entry + "/sign", map[string]any{"meaning": "witnessed", "password": "eng123"}, "meaning"},
		{"sign: no password", http.MethodPost, "/api/lims/eln/" + entry + "/sign", map[string]any{"meaning": "authored"}, "password"},
		{"list: limit too high", http.MethodGet, "/api/lims/eln?limit=500", nil, "query.limit"},
		{"list: foreign cursor", http.MethodGet, "/api/lims/eln?cursor=bm90LWEtY3Vyc29y", nil, "cursor"},
		{"search: list cursor", http.MethodGet, "/api/lims/eln?q=iv&cursor=AAAAAAAAAAAAAAAAAAAAAA", nil, "cursor"},
		{"NUL in the title", http.MethodPost, "/api/lims/eln", map[string]any{"title": "a\x00b", "body_markdown": ""}, "title"},
		{"NUL in the body", http.MethodPost, "/api/lims/eln", map[string]any{"title": "t", "body_markdown": "a\x00b"}, "body_markdown"},
		{"update: NUL in the body", http.MethodPut, "/api/lims/eln/" + entry, map[string]any{"title": "t", "body_markdown": "\x00", "version": 1}, "body_markdown"},
		{"amendment: NUL in the body", http.MethodPost, "/api/lims/eln/" + entry + "/amendments", map[string]any{"body_markdown": "\x00"}, "body_markdown"},
		{"search: NUL", http.MethodGet, "/api/lims/eln?q=a%00b", nil, "query.q"},
		{"search: not UTF-8", http.MethodGet, "/api/lims/eln?q=caf%E9", nil, "query.q"},
		{"list: sample not a uuid", http.MethodGet, "/api/lims/eln?sample_id=S-1", nil, "query.sample_id"},
	}
	before := e.count(`SELECT count(*) FROM eln_entries`) + e.count(`SELECT count(*) FROM eln_links`) + e.count(`SELECT count(*) FROM signatures`)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.call(c.method, c.path, eng, c.body)
			if r.Status != http.StatusUnprocessableEntity || !slices.Contains(fieldsOf(r), c.field) {
				t.Fatalf("%d, fields %v, want 422 naming %s: %s", r.Status, fieldsOf(r), c.field, r.Raw)
			}
		})
	}
	if after := e.count(`SELECT count(*) FROM eln_entries`) + e.count(`SELECT count(*) FROM eln_links`) + e.count(`SELECT count(*) FROM signatures`); after != before {
		t.Fatalf("refused requests wrote rows: %d → %d", before, after)
	}
	if v := e.count(`SELECT version FROM eln_entries WHERE id = $1`, entry); v != 1 {
		t.Fatalf("a refused update changed the entry (version %d)", v)
	}
}

func TestELNRoles(t *testing.T) {
	e := newAPIEnv(t)
	refs := e.elnRefs()
	unsigned := e.elnID(`SELECT id FROM eln_entries WHERE organization_id = $1 AND locked_at IS NULL ORDER BY id LIMIT 1`, e.orgID("demo-lab"))
	body := map[string]any{"title": "t", "body_markdown": "x", "version": 1}
	cases := []struct {
		user, password, method, path string
		body                         any
		status                       int
	}{
		{"viewer@demo.lab", "view123", http.MethodGet, "/api/lims/eln", nil, http.StatusOK},
		{"viewer@demo.lab", "view123", http.MethodGet, "/api/lims/eln/" + refs.signed, nil, http.StatusOK},
		{"viewer@demo.lab", "view123", http.MethodGet, "/api/lims/eln/" + refs.signed + "/signatures", nil, http.StatusOK},
		{"viewer@demo.lab", "view123", http.MethodGet, "/api/lims/eln?q=silicon", nil, http.StatusOK},
		{"viewer@demo.lab", "view123", http.MethodPost, "/api/lims/eln", body, http.StatusForbidden},
		{"viewer@demo.lab", "view123", http.MethodPut, "/api/lims/eln/" + unsigned, body, http.StatusForbidden},
		{"viewer@demo.lab", "view123", http.MethodDelete, "/api/lims/eln/" + unsigned, nil, http.StatusForbidden},
		{"tech@demo.lab", "tech123", http.MethodPost, "/api/lims/eln", body, http.StatusForbidden},
		{"tech@demo.lab", "tech123", http.MethodPut, "/api/lims/eln/" + unsigned, body, http.StatusForbidden},
		{"tech@demo.lab", "tech123", http.MethodPost, "/api/lims/eln/" + refs.signed + "/amendments", body, http.StatusForbidden},
		{"tech@demo.lab", "tech123", http.MethodPost, "/api/lims/eln/" + unsigned + "/sign", map[string]any{"meaning": "reviewed", "password": "tech123"}, http.StatusForbidden},
		{"tech@demo.lab", "tech123", http.MethodGet, "/api/lims/eln/" + unsigned, nil, http.StatusOK},
		{"pi@demo.lab", "pi123", http.MethodPost, "/api/lims/eln", map[string]any{"title": "t", "body_markdown": "x"}, http.StatusCreated},
	}
	for _, c := range cases {
		r := e.call(c.method, c.path, e.token(c.user, c.password), c.body)
		if r.Status != c.status {
			t.Errorf("%s %s as %s: %d, want %d: %s", c.method, c.path, c.user, r.Status, c.status, r.Raw)
		}
	}
	if n := e.count(`SELECT count(*) FROM eln_entries WHERE version > 1 AND id = $1`, unsigned); n != 0 {
		t.Fatal("a forbidden update went through")
	}
}

func TestELNSignLocksTheEntry(t *testing.T) {
	e := newAPIEnv(t)
	eng := e.token("engineer@demo.lab", "eng123")
	id := e.elnCreate(eng, map[string]any{"title": "To be signed", "body_markdown": "Final numbers."}).str("id")
	signURL := "/api/lims/eln/" + id + "/sign"

	// A wrong password: 401 naming it, counted like a failed login, and
	// nothing signed.
	failedBefore := e.count(`SELECT count(*) FROM login_attempts WHERE username = 'engineer@demo.lab' AND NOT succeeded`)
	r := e.call(http.MethodPost, signURL, eng, map[string]any{"meaning": "authored", "password": "not-it"})
	if r.Status != http.StatusUnauthorized || !slices.Contains(fieldsOf(r), "password") {
		t.Fatalf("wrong password: %d %s", r.Status, r.Raw)
	}
	if n := e.count(`SELECT count(*) FROM login_attempts WHERE username = 'engineer@demo.lab' AND NOT succeeded`); n != failedBefore+1 {
		t.Fatalf("failed attempts %d → %d", failedBefore, n)
	}
	if n := e.count(`SELECT count(*) FROM signatures WHERE eln_entry_id = $1`, id); n != 0 {
		t.Fatal("a wrong password signed")
	}

	r = e.call(http.MethodPost, signURL, eng, map[string]any{"meaning": "authored", "password": "eng123"})
	// A new signature is made under the current scheme, over every field.
	sum, _ := spectra.SignatureDigest(spectra.SchemeV2, spectra.ELNContent{ID: uuid.MustParse(id), Title: "To be signed", BodyMarkdown: "Final numbers."})
	signer, _ := r.Body["signer"].(map[string]any)
	if r.Status != http.StatusCreated || r.str("meaning") != "authored" || r.str("role") != "engineer" || r.Body["matches"] != true || r.str("scheme") != "v2" ||
		r.str("content_sha256") != hex.EncodeToString(sum[:]) || r.str("auth_method") != "password" ||
		signer["email"] != "engineer@demo.lab" || signer["id"] != e.userID("engineer@demo.lab") {
		t.Fatalf("sign: %d %s", r.Status, r.Raw)
	}
	g := e.call(http.MethodGet, "/api/lims/eln/"+id, eng, nil)
	if g.Body["locked_at"] == nil || g.Body["signature_count"] != 1.0 {
		t.Fatalf("after signing: %s", g.Raw)
	}

	// Locked: no edit, no delete; the same meaning twice is a conflict,
	// another meaning (or signer) is a new signature.
	checks := []struct {
		name, method, path, token string
		body                      any
		status                    int
	}{
		{"edit", http.MethodPut, "/api/lims/eln/" + id, eng, map[string]any{"title": "changed", "body_markdown": "", "version": g.Body["version"]}, http.StatusConflict},
		{"delete", http.MethodDelete, "/api/lims/eln/" + id, eng, nil, http.StatusConflict},
		{"authored again", http.MethodPost, signURL, eng, map[string]any{"meaning": "authored", "password": "eng123"}, http.StatusConflict},
		{"reviewed by the PI", http.MethodPost, signURL, e.token("pi@demo.lab", "pi123"), map[string]any{"meaning": "reviewed", "password": "pi123"}, http.StatusCreated},
		{"a missing entry", http.MethodPost, "/api/lims/eln/" + uuid.NewString() + "/sign", eng, map[string]any{"meaning": "authored", "password": "eng123"}, http.StatusNotFound},
	}
	for _, c := range checks {
		if r := e.call(c.method, c.path, c.token, c.body); r.Status != c.status {
			t.Errorf("%s: %d, want %d: %s", c.name, r.Status, c.status, r.Raw)
		}
	}
	if n := e.count(`SELECT count(*) FROM signatures WHERE eln_entry_id = $1`, id); n != 2 {
		t.Fatalf("%d signatures, want 2", n)
	}
	if n := e.count(`SELECT count(*) FROM eln_entries WHERE id = $1 AND title = 'To be signed' AND deleted_at IS NULL`, id); n != 1 {
		t.Fatal("the locked entry changed")
	}
	if n := e.count(`SELECT count(*) FROM signatures WHERE eln_entry_id = $1 AND signer_role = 'pi' AND meaning = 'reviewed'`, id); n != 1 {
		t.Fatal("the PI's signature does not record their role")
	}
}

func TestELNManifestDetectsTampering(t *testing.T) {
	e := newAPIEnv(t)
	viewer := e.token("viewer@demo.lab", "view123")
	signed := e.elnRefs().signed

	m := e.call(http.MethodGet, "/api/lims/eln/"+signed+"/signatures", viewer, nil)
	sigs, _ := m.Body["signatures"].([]any)
	if m.Status != http.StatusOK || len(sigs) != 1 {
		t.Fatalf("manifest: %d %s", m.Status, m.Raw)
	}
	sig := sigs[0].(map[string]any)
	signer, _ := sig["signer"].(map[string]any)
	if sig["matches"] != true || sig["meaning"] != "authored" || sig["role"] != "engineer" || sig["content_sha256"] != m.str("content_sha256") ||
		signer["email"] != "engineer@demo.lab" || signer["name"] == "" || sig["signed_at"] == nil {
		t.Fatalf("seeded signature: %s", m.Raw)
	}

	// A DBA changes the body behind the application's back.
	e.sql(`UPDATE eln_entries SET body_markdown = body_markdown || ' (edited)' WHERE id = $1`, signed)
	m = e.call(http.MethodGet, "/api/lims/eln/"+signed+"/signatures", viewer, nil)
	sigs, _ = m.Body["signatures"].([]any)
	if m.Status != http.StatusOK || len(sigs) != 1 || sigs[0].(map[string]any)["matches"] != false ||
		sigs[0].(map[string]any)["content_sha256"] == m.str("content_sha256") {
		t.Fatalf("after tampering: %s", m.Raw)
	}
}

// The attack of issue 10: a signed entry whose text a DBA moves from the
// title into the body. Under the old title-blank-line-body digest the
// signature still matched; every field is now encoded apart.
func TestELNSignatureCoversTheFieldsApart(t *testing.T) {
	e := newAPIEnv(t)
	eng := e.token("engineer@demo.lab", "eng123")
	id := e.elnCreate(eng, map[string]any{"title": "Result\n\nPASS", "body_markdown": "batch 7"}).str("id")
	if r := e.call(http.MethodPost, "/api/lims/eln/"+id+"/sign", eng, map[string]any{"meaning": "authored", "password": "eng123"}); r.Status != http.StatusCreated ||
		r.str("scheme") != string(spectra.CurrentScheme) || r.Body["matches"] != true {
		t.Fatalf("sign: %d %s", r.Status, r.Raw)
	}
	e.sql(`UPDATE eln_entries SET title = 'Result', body_markdown = E'PASS\n\nbatch 7' WHERE id = $1`, id)
	m := e.call(http.MethodGet, "/api/lims/eln/"+id+"/signatures", eng, nil)
	sigs, _ := m.Body["signatures"].([]any)
	if m.Status != http.StatusOK || len(sigs) != 1 || sigs[0].(map[string]any)["matches"] != false ||
		sigs[0].(map[string]any)["content_sha256"] == m.str("content_sha256") {
		t.Fatalf("text moved from the title into the body, yet: %s", m.Raw)
	}
}

func TestELNAmendmentsKeepTheOriginal(t *testing.T) {
	e := newAPIEnv(t)
	eng := e.token("engineer@demo.lab", "eng123")
	signed := e.elnRefs().signed
	orig := e.call(http.MethodGet, "/api/lims/eln/"+signed, eng, nil)

	a := e.call(http.MethodPost, "/api/lims/eln/"+signed+"/amendments", eng, map[string]any{"body_markdown": "Correction: 0.46 V, not 0.45 V."})
	if a.Status != http.StatusCreated || a.str("amends_id") != signed || a.str("title") != orig.str("title") ||
		a.Body["project_id"] != orig.Body["project_id"] || a.Body["locked_at"] != nil ||
		!slices.Equal(strs(a.Body["sample_ids"]), strs(orig.Body["sample_ids"])) || !slices.Equal(strs(a.Body["run_ids"]), strs(orig.Body["run_ids"])) {
		t.Fatalf("amendment: %d %s", a.Status, a.Raw)
	}
	b := e.call(http.MethodPost, "/api/lims/eln/"+signed+"/amendments", eng, map[string]any{"title": "Second correction", "body_markdown": "Leakage 4 nA."})
	if b.Status != http.StatusCreated || b.str("title") != "Second correction" {
		t.Fatalf("titled amendment: %d %s", b.Status, b.Raw)
	}

	after := e.call(http.MethodGet, "/api/lims/eln/"+signed, eng, nil)
	if after.str("body_markdown") != orig.str("body_markdown") || after.Body["version"] != orig.Body["version"] ||
		after.Body["signature_count"] != 1.0 || !slices.Equal(strs(after.Body["amendments"]), []string{a.str("id"), b.str("id")}) {
		t.Fatalf("original after amending: %s", after.Raw)
	}
	m := e.call(http.MethodGet, "/api/lims/eln/"+signed+"/signatures", eng, nil)
	if sigs, _ := m.Body["signatures"].([]any); len(sigs) != 1 || sigs[0].(map[string]any)["matches"] != true {
		t.Fatalf("the original's signature after amending: %s", m.Raw)
	}
	// An amendment is an entry of its own: unsigned, it can be edited.
	if r := e.call(http.MethodPut, "/api/lims/eln/"+a.str("id"), eng, map[string]any{"title": "x", "body_markdown": "y", "version": 1}); r.Status != http.StatusOK {
		t.Fatalf("edit an amendment: %d %s", r.Status, r.Raw)
	}
}

func TestELNSearch(t *testing.T) {
	e := newAPIEnv(t)
	eng := e.token("engineer@demo.lab", "eng123")
	refs := e.elnRefs()
	mk := func(title, body string, extra ...any) string {
		b := map[string]any{"title": title, "body_markdown": body}
		for i := 0; i+1 < len(extra); i += 2 {
			b[extra[i].(string)] = extra[i+1]
		}
		return e.elnCreate(eng, b).str("id")
	}
	titleHit := mk("Perovskite annealing", "Nothing to see here.")
	bodyHit := mk("Film notes", "The perovskite film looked uniform.")
	many := mk("Ellipsometry A", "kesterite kesterite kesterite: three kesterite mentions in one kesterite entry")
	one := mk("Ellipsometry B", "one kesterite mention", "project_id", refs.project)
	xss := mk("Unsafe body", `<script>alert("x")</script> quartz <img src=x onerror=alert(1)> quartz a<b & "quartz"`)

	search := func(tok, q string, extra string) []map[string]any {
		t.Helper()
		r := e.call(http.MethodGet, "/api/lims/eln?q="+q+extra, tok, nil)
		if r.Status != http.StatusOK {
			t.Fatalf("search %q: %d %s", q, r.Status, r.Raw)
		}
		return items(r)
	}
	ids := func(hits []map[string]any) []string {
		var out []string
		for _, h := range hits {
			out = append(out, h["id"].(string))
		}
		return out
	}

	if got := ids(search(eng, "perovskite", "")); !slices.Equal(got, []string{titleHit, bodyHit}) {
		t.Errorf("a title hit should outrank a body hit: %v", got)
	}
	hits := search(eng, "kesterite", "")
	if got := ids(hits); !slices.Equal(got, []string{many, one}) {
		t.Errorf("more matches should rank first: %v", got)
	}
	if len(hits) == 2 && !(hits[0]["rank"].(float64) > hits[1]["rank"].(float64)) {
		t.Errorf("ranks are not decreasing: %v, %v", hits[0]["rank"], hits[1]["rank"])
	}
	for _, h := range hits {
		if !strings.Contains(h["snippet"].(string), "<mark>kesterite</mark>") {
			t.Errorf("snippet without the highlighted match: %q", h["snippet"])
		}
	}
	if got := ids(search(eng, "kesterite", "&project_id="+refs.project)); !slices.Equal(got, []string{one}) {
		t.Errorf("search filtered by project: %v", got)
	}
	if got := ids(search(eng, "kesterite+-three", "")); !slices.Equal(got, []string{one}) {
		t.Errorf("web search syntax (-word): %v", got)
	}

	// The snippet is HTML: escaped, and no tag but <mark> survives.
	x := search(eng, "quartz", "")
	if len(x) != 1 || x[0]["id"] != xss {
		t.Fatalf("quartz: %v", x)
	}
	snip := x[0]["snippet"].(string)
	bare := strings.NewReplacer("<mark>", "", "</mark>", "").Replace(snip)
	if !strings.Contains(snip, "<mark>quartz</mark>") || strings.ContainsAny(bare, `<>"`) || strings.Contains(strings.ToLower(snip), "<script") {
		t.Fatalf("unsafe snippet %q", snip)
	}

	// Nothing matches: an empty page; stop words only: also empty, not an error.
	if got := search(eng, "graphene", ""); len(got) != 0 {
		t.Errorf("graphene: %v", got)
	}
	if got := search(eng, "the", ""); len(got) != 0 {
		t.Errorf("stop words: %v", got)
	}
	// Another organization's notebook is not searched.
	if got := search(e.token("admin@test.org", "admin123"), "kesterite", ""); len(got) != 0 {
		t.Errorf("test-org sees demo-lab's entries: %v", got)
	}
	// A seeded entry is found by its title, with a snippet of its body.
	seeded := search(eng, "XRD+alignment", "")
	if len(seeded) != 1 || seeded[0]["snippet"] == "" {
		t.Errorf("seeded search: %v", seeded)
	}
}

// TestELNPagination pages through a ranked search and the plain list with
// small pages: every entry once, in order.
func TestELNPagination(t *testing.T) {
	e := newAPIEnv(t)
	eng := e.token("engineer@demo.lab", "eng123")
	// Nine hits in three rank groups of three (ties broken by id).
	for i := range 9 {
		body := strings.Repeat("bismuth ", i%3+1) + fmt.Sprintf("entry %d", i)
		e.elnCreate(eng, map[string]any{"title": fmt.Sprintf("Entry %d", i), "body_markdown": body})
	}
	walk := func(path string) []map[string]any {
		t.Helper()
		var all []map[string]any
		cursor := ""
		for page := 0; ; page++ {
			if page > 20 {
				t.Fatal("pagination does not end")
			}
			u := path + "&limit=2"
			if cursor != "" {
				u += "&cursor=" + cursor
			}
			r := e.call(http.MethodGet, u, eng, nil)
			if r.Status != http.StatusOK || len(items(r)) > 2 {
				t.Fatalf("%s: %d %s", u, r.Status, r.Raw)
			}
			all = append(all, items(r)...)
			next, _ := r.Body["next_cursor"].(string)
			if next == "" {
				return all
			}
			cursor = next
		}
	}

	ranked := walk("/api/lims/eln?q=bismuth")
	seen := map[string]bool{}
	for i, h := range ranked {
		id := h["id"].(string)
		if seen[id] {
			t.Fatalf("%s repeated", id)
		}
		seen[id] = true
		if i > 0 {
			prev := ranked[i-1]
			pr, r := prev["rank"].(float64), h["rank"].(float64)
			if r > pr || (r == pr && id > prev["id"].(string)) {
				t.Fatalf("out of order at %d: %v then %v", i, prev, h)
			}
		}
	}
	if len(ranked) != 9 {
		t.Fatalf("%d hits over the pages, want 9", len(ranked))
	}

	total := e.count(`SELECT count(*) FROM eln_entries WHERE organization_id = $1 AND deleted_at IS NULL`, e.orgID("demo-lab"))
	list := walk("/api/lims/eln?")
	if len(list) != total {
		t.Fatalf("%d entries over the pages, want %d", len(list), total)
	}
	for i := 1; i < len(list); i++ {
		if list[i]["id"].(string) >= list[i-1]["id"].(string) {
			t.Fatalf("not newest first without repeats at %d", i)
		}
		if _, ok := list[i]["snippet"]; ok {
			t.Fatal("a plain list has snippets")
		}
	}
}

func TestELNListFilters(t *testing.T) {
	e := newAPIEnv(t)
	eng := e.token("engineer@demo.lab", "eng123")
	pi := e.token("pi@demo.lab", "pi123")
	refs := e.elnRefs()
	withSample := e.elnCreate(eng, map[string]any{"title": "s", "body_markdown": "", "sample_ids": []string{refs.sample2}}).str("id")
	byPI := e.elnCreate(pi, map[string]any{"title": "p", "body_markdown": "", "project_id": refs.project}).str("id")

	demo := e.orgID("demo-lab")
	cases := []struct {
		query string
		want  int
		must  string
	}{
		{"sample_id=" + refs.sample2, e.count(`SELECT count(DISTINCT entry_id) FROM eln_links WHERE sample_id = $1`, refs.sample2), withSample},
		{"created_by=" + e.userID("pi@demo.lab"), 1, byPI},
		{"project_id=" + refs.project, e.count(`SELECT count(*) FROM eln_entries WHERE organization_id = $1 AND project_id = $2`, demo, refs.project), byPI},
		{"project_id=" + refs.project + "&created_by=" + e.userID("engineer@demo.lab"), e.count(`SELECT count(*) FROM eln_entries
			WHERE organization_id = $1 AND project_id = $2 AND created_by = $3`, demo, refs.project, e.userID("engineer@demo.lab")), ""},
		{"project_id=" + refs.foreignProject, 0, ""},
	}
	for _, c := range cases {
		r := e.call(http.MethodGet, "/api/lims/eln?"+c.query, eng, nil)
		var got []string
		for _, it := range items(r) {
			got = append(got, it["id"].(string))
		}
		if r.Status != http.StatusOK || len(got) != c.want || (c.must != "" && !slices.Contains(got, c.must)) {
			t.Errorf("%s: %d %v, want %d including %q", c.query, r.Status, got, c.want, c.must)
		}
	}
}
