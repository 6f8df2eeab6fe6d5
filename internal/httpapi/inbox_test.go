package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/google/uuid"
)

// An SPC point that breaks a rule reaches the engineers' and PIs' inboxes;
// each reads and marks only their own: another user's notification, and
// another organization's, is a 404.
func TestInbox(t *testing.T) {
	e := newAPIEnv(t)
	eng := e.token("engineer@demo.lab", "eng123")
	pi := e.token("pi@demo.lab", "pi123")
	viewer := e.token("viewer@demo.lab", "view123")
	otherPI := e.token("pi@test.org", "pi123")

	unread := func(tok string) float64 {
		t.Helper()
		r := e.call(http.MethodGet, "/api/inbox", tok, nil)
		if r.Status != http.StatusOK {
			t.Fatalf("inbox: %d %s", r.Status, r.Raw)
		}
		return r.Body["unread"].(float64)
	}
	for _, tok := range []string{eng, pi, viewer, otherPI} {
		if n := unread(tok); n != 0 {
			t.Fatalf("before: %v unread", n)
		}
	}
	s := e.call(http.MethodGet, "/api/analysis/spc/series/"+anSeries, viewer, nil)
	value := s.Body["ucl"].(float64) + 10*s.Body["sigma"].(float64)
	add := e.call(http.MethodPost, "/api/analysis/spc/series/"+anSeries+"/points", eng, map[string]any{"points": []any{map[string]any{"value": value}}})
	alerts, _ := add.Body["alerts"].([]any)
	if add.Status != http.StatusCreated || len(alerts) == 0 {
		t.Fatalf("add points: %d %s", add.Status, add.Raw)
	}
	if n := unread(pi); n != float64(len(alerts)) {
		t.Fatalf("pi: %v unread, want %d", n, len(alerts))
	}
	if n := unread(viewer); n != 0 {
		t.Fatalf("viewer: %v unread", n)
	}
	if n := unread(otherPI); n != 0 {
		t.Fatalf("another organization: %v unread", n)
	}
	l := e.call(http.MethodGet, "/api/inbox?limit=1", pi, nil)
	items, _ := l.Body["items"].([]any)
	if l.Status != http.StatusOK || len(items) != 1 {
		t.Fatalf("list: %d %s", l.Status, l.Raw)
	}
	n := items[0].(map[string]any)
	if n["kind"] != "spc_alert" || n["link"] != "/spc/"+anSeries || n["read_at"] != nil || n["object"].(map[string]any)["id"] != anSeries {
		t.Fatalf("notification: %s", l.Raw)
	}
	if len(alerts) > 1 && l.Body["next_cursor"] == nil {
		t.Fatalf("no next page: %s", l.Raw)
	}
	id := n["id"].(string)
	for name, tok := range map[string]string{"another user": eng, "another organization": otherPI} {
		if r := e.call(http.MethodPost, "/api/inbox/"+id+"/read", tok, nil); r.Status != http.StatusNotFound {
			t.Errorf("%s marks it read: %d %s", name, r.Status, r.Raw)
		}
	}
	if r := e.call(http.MethodPost, "/api/inbox/"+uuid.NewString()+"/read", pi, nil); r.Status != http.StatusNotFound {
		t.Errorf("unknown id: %d", r.Status)
	}
	if r := e.call(http.MethodPost, "/api/inbox/not-a-uuid/read", pi, nil); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("bad id: %d %s", r.Status, r.Raw)
	}
	if r := e.call(http.MethodPost, "/api/inbox/"+id+"/read", pi, nil); r.Status != http.StatusOK || r.Body["read_at"] == nil {
		t.Fatalf("mark read: %d %s", r.Status, r.Raw)
	}
	if got := unread(pi); got != float64(len(alerts)-1) {
		t.Fatalf("after mark read: %v unread", got)
	}
	if u := e.call(http.MethodGet, "/api/inbox?unread=true", pi, nil); len(u.Body["items"].([]any)) != len(alerts)-1 {
		t.Fatalf("unread only: %s", u.Raw)
	}
	// The engineer's own are untouched by the PI's reading.
	if got := unread(eng); got != float64(len(alerts)) {
		t.Fatalf("engineer: %v unread", got)
	}
	first := e.call(http.MethodGet, "/api/inbox", eng, nil).Body["items"].([]any)[0].(map[string]any)["id"]
	r := e.call(http.MethodPost, "/api/inbox/read-all", eng, map[string]any{"up_to": first})
	if r.Status != http.StatusOK || r.Body["marked"] != float64(len(alerts)) || unread(eng) != 0 {
		t.Fatalf("read all: %d %s", r.Status, r.Raw)
	}
	if r := e.call(http.MethodGet, "/api/inbox", "", nil); r.Status != http.StatusUnauthorized {
		t.Errorf("anonymous: %d", r.Status)
	}
}

func init() {
	crossOrgCases = append(crossOrgCases, func(e *apiEnv, demoAdmin string) map[string]crossOrgCase {
		// A demo-lab notification: an SPC alert the admin raises notifies
		// the lab's engineers and PIs.
		s := e.call(http.MethodGet, "/api/analysis/spc/series/"+anSeries, demoAdmin, nil)
		e.call(http.MethodPost, "/api/analysis/spc/series/"+anSeries+"/points", demoAdmin,
			map[string]any{"points": []any{map[string]any{"value": s.Body["ucl"].(float64) + 10*s.Body["sigma"].(float64)}}})
		var id string
		if err := e.db.Pool().QueryRow(context.Background(), `SELECT id FROM notifications ORDER BY id DESC LIMIT 1`).Scan(&id); err != nil {
			e.t.Fatal(err)
		}
		return map[string]crossOrgCase{
			"POST /api/inbox/{id}/read": {ids: map[string]string{"id": id}},
			"PUT /api/inbox/preferences": {body: map[string]any{"items": []any{map[string]any{"kind": "spc_alert", "inbox": true, "email": false,
				"webhook": false, "daily_digest": false}}, "version": 1}},
		}
	})
}

func TestInboxPreferences(t *testing.T) {
	e := newAPIEnv(t)
	tech := e.token("tech@demo.lab", "tech123")
	g := e.call(http.MethodGet, "/api/inbox/preferences", tech, nil)
	items, _ := g.Body["items"].([]any)
	if g.Status != http.StatusOK || len(items) != 5 || g.Body["version"] != 1.0 {
		t.Fatalf("defaults: %d %s", g.Status, g.Raw)
	}
	for _, it := range items {
		p := it.(map[string]any)
		if p["inbox"] != true || p["email"] != true || p["webhook"] != false || p["daily_digest"] != false {
			t.Fatalf("default: %s", g.Raw)
		}
	}
	put := e.call(http.MethodPut, "/api/inbox/preferences", tech, map[string]any{"items": []any{
		map[string]any{"kind": "run_blocked", "inbox": true, "email": false, "webhook": false, "daily_digest": true}}, "version": 1})
	if put.Status != http.StatusOK || put.Body["version"] != 2.0 {
		t.Fatalf("put: %d %s", put.Status, put.Raw)
	}
	got := e.call(http.MethodGet, "/api/inbox/preferences", tech, nil)
	var blocked map[string]any
	for _, it := range got.Body["items"].([]any) {
		if p := it.(map[string]any); p["kind"] == "run_blocked" {
			blocked = p
		}
	}
	if blocked == nil || blocked["email"] != false || blocked["daily_digest"] != true {
		t.Fatalf("after put: %s", got.Raw)
	}
	// Another user's preferences are their own.
	if o := e.call(http.MethodGet, "/api/inbox/preferences", e.token("pi@demo.lab", "pi123"), nil); fmt.Sprint(o.Body["items"]) != fmt.Sprint(g.Body["items"]) {
		t.Fatalf("the PI's changed: %s", o.Raw)
	}
	for _, c := range []struct {
		name, field string
		body        map[string]any
	}{
		{"unknown kind", "items[0].kind", map[string]any{"items": []any{map[string]any{"kind": "gossip", "inbox": true, "email": true, "webhook": false, "daily_digest": false}}, "version": 2}},
		{"twice", "items[1].kind", map[string]any{"items": []any{map[string]any{"kind": "spc_alert", "inbox": true, "email": true, "webhook": false, "daily_digest": false},
			map[string]any{"kind": "spc_alert", "inbox": false, "email": true, "webhook": false, "daily_digest": false}}, "version": 2}},
		{"stale", "version", map[string]any{"items": []any{}, "version": 1}},
	} {
		want := http.StatusUnprocessableEntity
		if c.name == "stale" {
			want = http.StatusConflict
		}
		if r := e.call(http.MethodPut, "/api/inbox/preferences", tech, c.body); r.Status != want || !problemHasField(r, c.field) {
			t.Errorf("%s: %d %s", c.name, r.Status, r.Raw)
		}
	}
	if after := e.call(http.MethodGet, "/api/inbox/preferences", tech, nil); string(after.Raw) != string(got.Raw) {
		t.Fatalf("a refused put wrote: %s", after.Raw)
	}
}
