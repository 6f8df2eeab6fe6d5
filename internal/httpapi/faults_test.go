package httpapi

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Faults of the database as a client sees them (issue 11.4): a lock wait
// over lock_timeout is a 503 with Retry-After; a client that hangs up
// while its request waits is logged at info as 499, never an ERROR or a
// 500; a privilege the run-time role lacks (SQLSTATE 42501, but not a
// row-level security refusal) is a 500 logged at ERROR, not a 404.
func TestDatabaseFaultAnswers(t *testing.T) {
	e := newAPIEnv(t)
	eng := e.token("engineer@demo.lab", "eng123")
	now := time.Now().UTC().Truncate(time.Second)
	cal := map[string]any{"instrument_id": anSpectrometer, "certificate_number": "CERT-FAULT", "provider": "x",
		"issued_at": now.Format(time.RFC3339), "expires_at": now.AddDate(1, 0, 0).Format(time.RFC3339)}

	// Someone else holds the instrument's row.
	ctx := context.Background()
	holder, err := e.db.Pool().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Rollback(ctx)
	if _, err := holder.Exec(ctx, `SELECT 1 FROM instruments WHERE id = $1 FOR UPDATE`, anSpectrometer); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	r := e.call(http.MethodPost, "/api/analysis/calibrations", eng, cal)
	if r.Status != http.StatusServiceUnavailable || r.Header.Get("Retry-After") == "" || r.str("code") != "unavailable" {
		t.Fatalf("lock wait over lock_timeout: %d, Retry-After %q: %s", r.Status, r.Header.Get("Retry-After"), r.Raw)
	}
	t.Logf("lock timeout answered 503 after %s", time.Since(start).Round(time.Millisecond))

	// The client gives up while its request waits for the lock.
	reqCtx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(reqCtx, http.MethodPost, e.ts.URL+"/api/analysis/calibrations",
		strings.NewReader(`{"instrument_id":"`+anSpectrometer+`","certificate_number":"CERT-GONE","provider":"x","issued_at":"`+
			now.Format(time.RFC3339)+`","expires_at":"`+now.AddDate(1, 0, 0).Format(time.RFC3339)+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+eng)
	req.Header.Set(requestIDHeader, "client-hangs-up")
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("the request was answered (%d) while the row was held", resp.StatusCode)
	}
	var line map[string]any
	for deadline := time.Now().Add(10 * time.Second); line == nil && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		for _, rec := range e.logs.records(t, "request") {
			if rec["request_id"] == "client-hangs-up" {
				line = rec
			}
		}
	}
	if line == nil || line["status"] != float64(statusClientClosed) || line["level"] != "INFO" {
		t.Fatalf("access log of the abandoned request: %v", line)
	}
	for _, rec := range e.logs.records(t, "request failed") {
		if rec["request_id"] == "client-hangs-up" {
			t.Fatalf("an abandoned request logged as a failure: %v", rec)
		}
	}
	if err := holder.Rollback(ctx); err != nil {
		t.Fatal(err)
	}

	// The run-time role lost a privilege: an operator must see it.
	e.sql(`REVOKE INSERT ON instruments FROM spectra_app`)
	r = e.call(http.MethodPost, "/api/analysis/instruments", eng, map[string]any{"name": "Denied", "kind": "SMU"}, requestIDHeader, "permission-denied")
	if r.Status != http.StatusInternalServerError || r.str("detail") != "internal error" {
		t.Fatalf("insert without the privilege: %d %s", r.Status, r.Raw)
	}
	var logged bool
	for _, rec := range e.logs.waitRecords(t, "request failed", 1) {
		if rec["request_id"] == "permission-denied" && rec["level"] == "ERROR" && strings.Contains(rec["error"].(string), "permission denied") {
			logged = true
		}
	}
	if !logged {
		t.Fatalf("the permission error was not logged at ERROR:\n%s", e.logs.text())
	}
}
