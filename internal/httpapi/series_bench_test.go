package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// BenchmarkHTTPDataSeries measures PRODUCT.md §16's series figures
// through the API: a 1,000,000-row IV sweep (two columns) uploaded as CSV,
// read back whole as JSON and as CSV, and plotted (2,000 points of the
// whole curve; 2,000 of a tenth of it):
//
//	go test ./internal/httpapi -run '^$' -bench HTTPDataSeries -benchtime 5x
func BenchmarkHTTPDataSeries(b *testing.B) {
	e := newAPIEnv(b)
	eng := e.token("engineer@demo.lab", "eng123")
	body, err := json.Marshal(runBody(anSMU))
	if err != nil {
		b.Fatal(err)
	}
	status, raw := e.send(b, http.MethodPost, "/api/analysis/runs", eng, body)
	var run struct {
		ID string `json:"id"`
	}
	if status != http.StatusCreated || json.Unmarshal(raw, &run) != nil {
		b.Fatalf("plan a run: %d %s", status, raw)
	}
	if status, raw := e.send(b, http.MethodPost, "/api/analysis/runs/"+run.ID+"/start", eng, []byte(`{}`)); status != http.StatusOK {
		b.Fatalf("start: %d %s", status, raw)
	}
	const rows = 1_000_000
	file := []byte(ivCSV(rows))
	b.Logf("the CSV is %.1f MB", float64(len(file))/1e6)
	uploadCSV := func(name string) (int, []byte) {
		req, err := http.NewRequest(http.MethodPost, e.ts.URL+"/api/analysis/runs/"+run.ID+"/series?name="+name, bytes.NewReader(file))
		if err != nil {
			b.Fatal(err)
		}
		req.Header.Set("Content-Type", "text/csv")
		req.Header.Set("Authorization", "Bearer "+eng)
		resp, err := e.ts.Client().Do(req)
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, out
	}
	status, raw = uploadCSV("first")
	var series struct {
		ID   string `json:"id"`
		Rows int    `json:"rows"`
	}
	if status != http.StatusCreated || json.Unmarshal(raw, &series) != nil || series.Rows != rows {
		b.Fatalf("upload: %d %.300s", status, raw)
	}
	uploads := 0
	for _, c := range []struct {
		name string
		do   func() (int, []byte)
		want func(raw []byte) bool
	}{
		{"upload 1M rows (CSV, 2 columns)", func() (int, []byte) { uploads++; return uploadCSV(fmt.Sprint("bench-", uploads)) },
			func(raw []byte) bool { return bytes.Contains(raw, []byte(`"rows":1000000`)) }},
		{"read 1M rows (JSON)", func() (int, []byte) { return e.send(b, http.MethodGet, "/api/analysis/series/"+series.ID, eng, nil) },
			func(raw []byte) bool { return len(raw) > 20*rows }},
		{"read 1M rows (CSV)", func() (int, []byte) {
			return e.send(b, http.MethodGet, "/api/analysis/series/"+series.ID+"/data.csv", eng, nil)
		}, func(raw []byte) bool { return bytes.Count(raw, []byte("\n")) == rows+1 }},
		{"plot the whole curve (2,000 points)", func() (int, []byte) {
			return e.send(b, http.MethodGet, "/api/analysis/series/"+series.ID+"/plot?points=2000", eng, nil)
		}, func(raw []byte) bool { return strings.Count(string(raw), ",") > 3990 }},
		{"plot a tenth of it (2,000 points)", func() (int, []byte) {
			return e.send(b, http.MethodGet, "/api/analysis/series/"+series.ID+"/plot?points=2000&x_min=0&x_max=0.4", eng, nil)
		}, func(raw []byte) bool { return bytes.Contains(raw, []byte(`"rows":100000`)) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			var lat latencies
			for b.Loop() {
				start := time.Now()
				status, raw := c.do()
				lat.since(start)
				if status/100 != 2 || !c.want(raw) {
					b.Fatalf("%d %.300s", status, raw)
				}
			}
			lat.report(b)
		})
	}
}
