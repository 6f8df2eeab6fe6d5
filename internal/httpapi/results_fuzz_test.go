package httpapi

import (
	"errors"
	"math"
	"testing"

	"github.com/spectra-lab/spectra/internal/spectra"
)

// checkParsed holds for any upload: either results that each pass the
// rules (a metric of 1–128 bytes, a unit of at most 32, a finite value),
// between 1 and maxResults of them, or a CodeInvalid error naming at least
// one field — never a panic, never anything else.
func checkParsed(t *testing.T, out []spectra.NewResult, err error) {
	t.Helper()
	if err != nil {
		var se *spectra.Error
		if !errors.As(err, &se) || se.Code != spectra.CodeInvalid || len(se.Fields) == 0 {
			t.Fatalf("error %v is not an invalid-input error naming a field", err)
		}
		if out != nil {
			t.Fatalf("results returned with an error")
		}
		return
	}
	if len(out) == 0 || len(out) > maxResults {
		t.Fatalf("%d results accepted", len(out))
	}
	for i, r := range out {
		if r.Metric == "" || len(r.Metric) > 128 || len(r.Unit) > 32 || math.IsNaN(r.Value) || math.IsInf(r.Value, 0) {
			t.Fatalf("result %d accepted against the rules: %+v", i, r)
		}
	}
}

func FuzzParseResultsCSV(f *testing.F) {
	for _, seed := range []string{
		"metric,value,unit\nthreshold_voltage,0.52,V\n",
		"\ufeffMetric, Value ,unit,device_id,measured_at\nvth,1e-9,A,01941f29-7c00-7000-8000-000000000000,2026-01-02T03:04:05Z\n",
		"metric,value\nvth,NaN\n", "metric,value\nvth,+Inf\n", "metric,value\n\"a\"\"b\",1\n", "metric\n", "",
		"metric,value,metric\n", "metric,value\nvth,1,extra\n", "metric,value\n\"unterminated,1\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		out, err := parseResultsCSV(raw)
		checkParsed(t, out, err)
	})
}

func FuzzParseResultsJSON(f *testing.F) {
	for _, seed := range []string{
		`{"results":[{"metric":"vth","value":0.5,"unit":"V"}]}`,
		`{"results":[{"metric":"","value":1}]}`, `{"results":[{"metric":"m"}]}`, `{"results":[]}`,
		`{"results":[{"metric":"m","value":1e400}]}`, `{"results":[{"metric":"m","value":1,"x":2}]}`,
		`{"results":[{"metric":"m","value":1}]} {}`, `null`, `[]`, `{"results":[{"metric":"m","value":"1"}]}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		out, err := parseResultsJSON(raw)
		checkParsed(t, out, err)
	})
}
