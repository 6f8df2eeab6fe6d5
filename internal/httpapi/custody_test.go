package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
)

func TestCustodyChain(t *testing.T) {
	e := newAPIEnv(t)
	u := e.limsTokens()
	created := e.newSample(u.eng, map[string]any{"barcode": "DL-S-0300", "name": "Custody test", "location": "Dock"})
	id := created.str("id")
	sample, timeline := "/api/lims/samples/"+id, "/api/lims/samples/"+id+"/custody"
	const custody = "/api/lims/custody"
	event := func(kind string, extra map[string]any) map[string]any {
		b := map[string]any{"sample_id": id, "event_type": kind}
		for k, v := range extra {
			b[k] = v
		}
		return b
	}
	// moved checks the sample after an event.
	moved := func(status, holder, location string) func(t *testing.T, r response) {
		return func(t *testing.T, _ response) {
			t.Helper()
			s := e.call(http.MethodGet, sample, u.viewer, nil)
			if s.str("status") != status || s.str("holder") != holder || s.str("location") != location {
				t.Fatalf("after the event the sample is %s/%s/%s, want %s/%s/%s", s.str("status"), s.str("holder"), s.str("location"), status, holder, location)
			}
		}
	}
	kinds := func(want ...string) func(t *testing.T, r response) {
		return func(t *testing.T, r response) {
			t.Helper()
			var got []string
			for _, it := range limsItems(t, r) {
				got = append(got, it["event_type"].(string))
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("events %v, want %v", got, want)
			}
		}
	}
	e.runLims([]limsCase{
		{name: "a new sample has no custody yet", method: http.MethodGet, path: timeline, token: u.viewer, status: http.StatusOK, check: kinds()},
		{name: "received", method: http.MethodPost, path: custody, token: u.tech, status: http.StatusCreated,
			body: event("received", map[string]any{"from_holder": "Courier", "to_holder": "Sample store", "to_location": "Cabinet B", "notes": "Sealed."}),
			check: func(t *testing.T, r response) {
				if r.str("from_location") != "Dock" || r.str("sample_barcode") != "DL-S-0300" || r.str("recorded_by") != e.userID("tech@demo.lab") {
					t.Fatalf("event: %s", r.Raw)
				}
				moved("stored", "Sample store", "Cabinet B")(t, r)
			}},
		{name: "checked out", method: http.MethodPost, path: custody, token: u.tech, status: http.StatusCreated,
			body: event("checked_out", map[string]any{"to_holder": "Alice", "to_location": "Lab 3"}),
			check: func(t *testing.T, r response) {
				if r.str("from_holder") != "Sample store" || r.str("from_location") != "Cabinet B" {
					t.Fatalf("the from side is the sample's current holder and location: %s", r.Raw)
				}
				moved("checked_out", "Alice", "Lab 3")(t, r)
			}},
		{name: "the sample's ETag moved with it", method: http.MethodPatch, path: sample, token: u.tech, status: http.StatusPreconditionFailed,
			headers: []string{"If-Match", created.Header.Get("ETag")}, body: map[string]any{"location": "Stale"}},
		{name: "transferred", method: http.MethodPost, path: custody, token: u.eng, status: http.StatusCreated,
			body: event("transferred", map[string]any{"to_holder": "Bob"}), check: moved("checked_out", "Bob", "Lab 3")},
		{name: "a transfer names who receives it", method: http.MethodPost, path: custody, token: u.tech, status: http.StatusUnprocessableEntity, field: "to_holder",
			body: event("transferred", nil)},
		{name: "storing names where", method: http.MethodPost, path: custody, token: u.tech, status: http.StatusUnprocessableEntity, field: "to_location",
			body: event("stored", nil)},
		{name: "an unknown event", method: http.MethodPost, path: custody, token: u.tech, status: http.StatusUnprocessableEntity, field: "event_type",
			body: event("lost", nil)},
		{name: "no sample", method: http.MethodPost, path: custody, token: u.tech, status: http.StatusUnprocessableEntity, field: "sample_id",
			body: map[string]any{"event_type": "returned"}},
		{name: "an unknown sample", method: http.MethodPost, path: custody, token: u.tech, status: http.StatusUnprocessableEntity, field: "sample_id",
			body: map[string]any{"sample_id": uuid.NewString(), "event_type": "returned"}},
		{name: "another organization's sample", method: http.MethodPost, path: custody, token: u.otherAdmin, status: http.StatusUnprocessableEntity, field: "sample_id",
			body: event("returned", nil)},
		{name: "before the latest event", method: http.MethodPost, path: custody, token: u.tech, status: http.StatusConflict, field: "occurred_at",
			body: event("returned", map[string]any{"occurred_at": time.Now().Add(-time.Hour).Format(time.RFC3339)})},
		{name: "in the future", method: http.MethodPost, path: custody, token: u.tech, status: http.StatusUnprocessableEntity, field: "occurred_at",
			body: event("returned", map[string]any{"occurred_at": time.Now().Add(time.Hour).Format(time.RFC3339)})},
		{name: "not a time", method: http.MethodPost, path: custody, token: u.tech, status: http.StatusUnprocessableEntity, field: "occurred_at",
			body: event("returned", map[string]any{"occurred_at": "yesterday"})},
		{name: "NUL in the notes", method: http.MethodPost, path: custody, token: u.tech, status: http.StatusUnprocessableEntity, field: "notes",
			body: event("returned", map[string]any{"notes": "a\x00b"})},
		{name: "recorded_by is not the client's to say", method: http.MethodPost, path: custody, token: u.tech, status: http.StatusUnprocessableEntity, field: "recorded_by",
			body: event("returned", map[string]any{"recorded_by": uuid.NewString()})},
		{name: "a viewer may not record", method: http.MethodPost, path: custody, token: u.viewer, status: http.StatusForbidden,
			body: event("returned", map[string]any{"to_holder": "Sample store"})},
		{name: "returned", method: http.MethodPost, path: custody, token: u.tech, status: http.StatusCreated,
			body: event("returned", map[string]any{"to_holder": "Sample store", "to_location": "Cabinet B"}), check: moved("stored", "Sample store", "Cabinet B")},
		{name: "the timeline, oldest first", method: http.MethodGet, path: timeline, token: u.viewer, status: http.StatusOK,
			check: kinds("received", "checked_out", "transferred", "returned")},
		{name: "the feed, newest first", method: http.MethodGet, path: custody + "?sample_id=" + id, token: u.viewer, status: http.StatusOK,
			check: kinds("returned", "transferred", "checked_out", "received")},
		{name: "the whole feed holds the seeded events too", method: http.MethodGet, path: custody + "?limit=200", token: u.viewer, status: http.StatusOK,
			check: func(t *testing.T, r response) {
				if n := len(limsItems(t, r)); n != 14 {
					t.Fatalf("%d events in the feed, want 14", n)
				}
			}},
		{name: "test-org's feed does not", method: http.MethodGet, path: custody + "?sample_id=" + id, token: u.otherAdmin, status: http.StatusOK, check: kinds()},
		{name: "test-org's timeline", method: http.MethodGet, path: timeline, token: u.otherAdmin, status: http.StatusNotFound},
		{name: "disposed", method: http.MethodPost, path: custody, token: u.tech, status: http.StatusCreated,
			body: event("disposed", map[string]any{"notes": "Broken in handling."}), check: moved("disposed", "Sample store", "Cabinet B")},
		{name: "nothing follows disposal", method: http.MethodPost, path: custody, token: u.tech, status: http.StatusConflict,
			body: event("returned", map[string]any{"to_holder": "Alice"})},
		{name: "not even another disposal", method: http.MethodPost, path: custody, token: u.tech, status: http.StatusConflict, body: event("disposed", nil)},
		{name: "nor an edit back to life", method: http.MethodPatch, path: sample, token: u.tech, status: http.StatusConflict, body: map[string]any{"status": "stored"},
			headers: []string{"If-Match", `"6"`}},
		{name: "nor a full edit", method: http.MethodPut, path: sample, token: u.eng, status: http.StatusConflict,
			body: map[string]any{"barcode": "DL-S-0300", "name": "Custody test", "status": "in_use", "version": 6}},
		{name: "a full edit that keeps the status", method: http.MethodPut, path: sample, token: u.eng, status: http.StatusOK,
			body: map[string]any{"barcode": "DL-S-0300", "name": "Custody test (broken)", "location": "Waste", "version": 6},
			check: func(t *testing.T, r response) {
				if r.str("status") != "disposed" || r.str("holder") != "Sample store" {
					t.Fatalf("edit of a disposed sample: %s", r.Raw)
				}
			}},
		{name: "events are not changed", method: http.MethodPut, path: custody, token: u.admin, status: http.StatusMethodNotAllowed, body: map[string]any{}},
		{name: "nor removed", method: http.MethodDelete, path: custody, token: u.admin, status: http.StatusMethodNotAllowed},
	})
	if n := e.count(`SELECT count(*) FROM audit_log WHERE table_name = 'custody_events' AND action = 'INSERT' AND actor_id = $1`,
		uuid.MustParse(e.userID("tech@demo.lab"))); n != 4 {
		t.Fatalf("%d audited custody events by the technician, want 4", n)
	}
}

// The timeline pages oldest first without skipping or repeating.
func TestCustodyTimelinePages(t *testing.T) {
	e := newAPIEnv(t)
	tech := e.token("tech@demo.lab", "tech123")
	id := e.limsID(`SELECT id FROM samples WHERE barcode = 'DL-S-0004' AND organization_id = $1`)
	want := []string{"received"}
	for i := range 5 {
		kind, body := "checked_out", map[string]any{"sample_id": id, "event_type": "checked_out", "to_holder": fmt.Sprint("user ", i)}
		if i%2 == 1 {
			kind, body = "returned", map[string]any{"sample_id": id, "event_type": "returned"}
		}
		if r := e.call(http.MethodPost, "/api/lims/custody", tech, body); r.Status != http.StatusCreated {
			t.Fatalf("event %d: %d %s", i, r.Status, r.Raw)
		}
		want = append(want, kind)
	}
	var got []string
	for cursor, pages := "", 0; ; pages++ {
		r := e.call(http.MethodGet, "/api/lims/samples/"+id+"/custody?limit=2&cursor="+cursor, tech, nil)
		if r.Status != http.StatusOK || pages > 5 {
			t.Fatalf("page %d: %d %s", pages, r.Status, r.Raw)
		}
		for _, it := range limsItems(t, r) {
			got = append(got, it["event_type"].(string))
		}
		next, _ := r.Body["next_cursor"].(string)
		if next == "" {
			break
		}
		cursor = next
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("timeline %v, want %v", got, want)
	}
}

// Events for one sample are serialized by its row lock: of concurrent
// disposals exactly one wins, and nothing lands after it.
func TestCustodyEventsSerialize(t *testing.T) {
	e := newAPIEnv(t)
	tech := e.token("tech@demo.lab", "tech123")
	id := e.limsID(`SELECT id FROM samples WHERE barcode = 'DL-S-0005' AND organization_id = $1`)
	const n = 8
	statuses := make([]int, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := map[string]any{"sample_id": id, "event_type": "disposed"}
			if i%2 == 1 {
				body = map[string]any{"sample_id": id, "event_type": "transferred", "to_holder": fmt.Sprint("holder ", i)}
			}
			<-start
			statuses[i], errs[i] = e.post("/api/lims/custody", tech, body)
		}()
	}
	close(start)
	wg.Wait()
	won := map[bool]int{}
	for i, st := range statuses {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if st != http.StatusCreated && st != http.StatusConflict {
			t.Fatalf("request %d: %d", i, st)
		}
		if i%2 == 0 && st == http.StatusCreated {
			won[true]++
		}
	}
	if won[true] != 1 {
		t.Fatalf("%d disposals succeeded, want exactly 1 (%v)", won[true], statuses)
	}
	r := e.call(http.MethodGet, "/api/lims/samples/"+id+"/custody?limit=200", tech, nil)
	events := limsItems(t, r)
	if last := events[len(events)-1]; last["event_type"] != "disposed" {
		t.Fatalf("an event landed after the disposal: %s", r.Raw)
	}
	created := 0
	for _, st := range statuses {
		if st == http.StatusCreated {
			created++
		}
	}
	if len(events) != created+1 {
		t.Fatalf("%d events recorded, %d answered 201 (plus the seeded one)", len(events), created)
	}
	if s := e.call(http.MethodGet, "/api/lims/samples/"+id, tech, nil); s.str("status") != "disposed" {
		t.Fatalf("sample after the race: %s", s.Raw)
	}
}

// post sends a JSON body and returns the status; unlike call, it is safe
// in a goroutine (it reports errors instead of failing the test).
func (e *apiEnv) post(path, bearer string, body any) (int, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequest(http.MethodPost, e.ts.URL+path, bytes.NewReader(b))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+bearer)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}
