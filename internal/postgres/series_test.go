package postgres_test

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/spectra-lab/spectra/internal/dataseries"
	"github.com/spectra-lab/spectra/internal/postgres"
	"github.com/spectra-lab/spectra/internal/postgres/pgtest"
	"github.com/spectra-lab/spectra/internal/spectra"
)

// seriesLab is a seeded database with the demo lab's engineer, its failed
// run (which takes measurements) and a completed one (which does not).
type seriesLab struct {
	db, inspector      *postgres.DB
	engineer, outsider postgres.Tenant
	failed, completed  uuid.UUID
}

func newSeriesLab(t *testing.T) seriesLab {
	t.Helper()
	owner, runtime := pgtest.NewSeededDBs(t)
	l := seriesLab{db: runtime, inspector: pgtest.Inspector(t, owner)}
	ctx := context.Background()
	member := func(email string, role spectra.Role) postgres.Tenant {
		ten := postgres.Tenant{Auth: "password", Role: role, Authorize: true, RequestID: "series-test"}
		if err := l.inspector.Pool().QueryRow(ctx, `SELECT m.organization_id, m.user_id FROM memberships m JOIN users u ON u.id = m.user_id
			WHERE u.email = $1`, email).Scan(&ten.OrgID, &ten.UserID); err != nil {
			t.Fatal(err)
		}
		return ten
	}
	l.engineer = member("engineer@demo.lab", spectra.RoleEngineer)
	l.outsider = member("admin@test.org", spectra.RoleAdmin)
	for status, id := range map[spectra.RunStatus]*uuid.UUID{spectra.RunFailed: &l.failed, spectra.RunCompleted: &l.completed} {
		if err := l.inspector.Pool().QueryRow(ctx, `SELECT id FROM runs WHERE organization_id = $1 AND status = $2 AND recipe_id = $3 ORDER BY id LIMIT 1`,
			l.engineer.OrgID, status, postgres.SeedID("demo-lab", "recipe", "iv-sweep")).Scan(id); err != nil {
			t.Fatal(err)
		}
	}
	return l
}

// ivSweep is an IV curve of n points from -2 V to 2 V: a diode's current
// (exponential above 0.4 V) and a second y, its absolute value.
func ivSweep(name string, n int) spectra.NewDataSeries {
	v, i, a := make([]float64, n), make([]float64, n), make([]float64, n)
	for k := range v {
		v[k] = -2 + 4*float64(k)/float64(n-1)
		i[k] = 1e-12 * (math.Exp(v[k]/0.05) - 1)
		if i[k] > 1e-3 {
			i[k] = 1e-3 // compliance
		}
		a[k] = math.Abs(i[k])
	}
	return spectra.NewDataSeries{Name: name, Columns: []spectra.SeriesColumn{{Name: "V", Unit: "V"}, {Name: "I", Unit: "A"}, {Name: "|I|", Unit: "A"}},
		Values: [][]float64{v, i, a}}
}

// TestDataSeriesRoundTrip stores a 40,000-row, three-column sweep (three
// chunks) on a run and reads it back: exactly the values, in the run's
// detail without them, downsampled whole (from the overview) and zoomed
// (from the chunks the range touches); one audit entry, for the series.
func TestDataSeriesRoundTrip(t *testing.T) {
	l := newSeriesLab(t)
	ctx := context.Background()
	in := ivSweep("IV sweep, 40,000 points", 40_000)
	s, err := l.db.CreateDataSeries(ctx, l.engineer, l.failed, in)
	if err != nil {
		t.Fatal(err)
	}
	if s.RunID != l.failed || s.Rows != 40_000 || !slices.Equal(s.Columns, in.Columns) || s.SHA256 != dataseries.Digest(in.Values) ||
		s.CreatedBy == nil || *s.CreatedBy != l.engineer.UserID {
		t.Fatalf("stored %+v", s)
	}

	d, err := l.db.RunDetail(ctx, l.engineer, l.failed)
	if err != nil || len(d.Series) != 2 || d.Series[1].ID != s.ID || d.Series[1].Rows != s.Rows || d.Series[0].Name != "IV sweep" {
		t.Fatalf("run detail series: %+v, %v", d.Series, err)
	}

	got, values, err := l.db.DataSeriesValues(ctx, l.engineer, s.ID)
	if err != nil || got.ID != s.ID || len(values) != 3 {
		t.Fatalf("values: %+v, %d columns, %v", got, len(values), err)
	}
	for c := range values {
		if !slices.Equal(values[c], in.Values[c]) {
			t.Fatalf("column %d differs after the round trip", c)
		}
	}

	whole, err := l.db.DataSeriesPlot(ctx, l.engineer, s.ID, postgres.PlotRequest{Y: 1, Points: 800})
	if err != nil || len(whole.XValues) != 800 || len(whole.YValues) != 800 || whole.Rows != 40_000 || whole.Y.Name != "I" || whole.X.Unit != "V" {
		t.Fatalf("whole plot: %d points of %d rows, y %q, x unit %q, %v", len(whole.XValues), whole.Rows, whole.Y.Name, whole.X.Unit, err)
	}
	if whole.XValues[0] != -2 || whole.XValues[799] != 2 || whole.YValues[799] != 1e-3 {
		t.Fatalf("the ends are not kept: x %v…%v, y …%v", whole.XValues[0], whole.XValues[799], whole.YValues[799])
	}

	lo, hi := 0.3, 0.5
	zoom, err := l.db.DataSeriesPlot(ctx, l.engineer, s.ID, postgres.PlotRequest{Y: 2, Points: 300, XMin: &lo, XMax: &hi})
	if err != nil {
		t.Fatal(err)
	}
	inRange := 0
	for _, v := range in.Values[0] {
		if v >= lo && v <= hi {
			inRange++
		}
	}
	if zoom.Rows != inRange || len(zoom.XValues) != 300 || zoom.Y.Name != "|I|" {
		t.Fatalf("zoomed plot: %d rows (want %d), %d points, y %q", zoom.Rows, inRange, len(zoom.XValues), zoom.Y.Name)
	}
	for k, x := range zoom.XValues {
		if x < lo || x > hi || zoom.YValues[k] != math.Abs(1e-12*(math.Exp(x/0.05)-1)) && zoom.YValues[k] != 1e-3 {
			t.Fatalf("zoomed point %d: (%v, %v) is not a row of the range", k, x, zoom.YValues[k])
		}
	}
	// A dense plot of the whole curve reads the rows, not the overview.
	dense, err := l.db.DataSeriesPlot(ctx, l.engineer, s.ID, postgres.PlotRequest{Y: 1, Points: 10_000})
	if err != nil || len(dense.XValues) != 10_000 || dense.Rows != 40_000 {
		t.Fatalf("dense plot: %d points of %d rows, %v", len(dense.XValues), dense.Rows, err)
	}

	for _, y := range []int{0, 3, 15} {
		_, err := l.db.DataSeriesPlot(ctx, l.engineer, s.ID, postgres.PlotRequest{Y: y, Points: 100})
		var se *spectra.Error
		if !errors.As(err, &se) || se.Code != spectra.CodeInvalid || len(se.Fields) != 1 || se.Fields[0].Field != "y" {
			t.Fatalf("y = %d: %v, want invalid y", y, err)
		}
	}

	var series, chunks int
	if err := l.inspector.Pool().QueryRow(ctx, `SELECT count(*) FILTER (WHERE table_name = 'run_series' AND row_id = $1 AND action = 'INSERT'),
		count(*) FILTER (WHERE table_name = 'run_series_chunks') FROM audit_log`, s.ID).Scan(&series, &chunks); err != nil {
		t.Fatal(err)
	}
	if series != 1 || chunks != 0 {
		t.Fatalf("audit: %d entries for the series, %d for chunks; want 1 and 0", series, chunks)
	}
}

// TestDataSeriesRefusals: a completed run's measurements are closed, a
// name is one series per run, a viewer uploads nothing, another
// organization sees nothing, a bad series writes nothing, and values
// changed behind the application's back are refused on read.
func TestDataSeriesRefusals(t *testing.T) {
	l := newSeriesLab(t)
	ctx := context.Background()
	code := func(err error) spectra.Code {
		var se *spectra.Error
		if errors.As(err, &se) {
			return se.Code
		}
		return ""
	}
	if _, err := l.db.CreateDataSeries(ctx, l.engineer, l.completed, ivSweep("late", 10)); code(err) != spectra.CodeConflict {
		t.Fatalf("a series on a completed run: %v, want conflict", err)
	}
	s, err := l.db.CreateDataSeries(ctx, l.engineer, l.failed, ivSweep("IV", 100))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.db.CreateDataSeries(ctx, l.engineer, l.failed, ivSweep("IV", 100)); code(err) != spectra.CodeConflict {
		t.Fatalf("a second series of the same name: %v, want conflict", err)
	}
	viewer := l.engineer
	viewer.Role = spectra.RoleViewer
	viewer.Authorize = false // the role, not the membership, is under test
	if _, err := l.db.CreateDataSeries(ctx, viewer, l.failed, ivSweep("viewer's", 10)); code(err) != spectra.CodeForbidden {
		t.Fatalf("a viewer's series: %v, want forbidden", err)
	}
	if _, err := l.db.CreateDataSeries(ctx, l.outsider, l.failed, ivSweep("theirs", 10)); code(err) != spectra.CodeNotFound {
		t.Fatalf("another organization's run: %v, want not found", err)
	}
	if _, _, err := l.db.DataSeriesValues(ctx, l.outsider, s.ID); code(err) != spectra.CodeNotFound {
		t.Fatalf("another organization's series values: %v, want not found", err)
	}
	if _, err := l.db.DataSeriesPlot(ctx, l.outsider, s.ID, postgres.PlotRequest{Y: 1, Points: 10}); code(err) != spectra.CodeNotFound {
		t.Fatalf("another organization's plot: %v, want not found", err)
	}
	bad := ivSweep("ragged", 10)
	bad.Values[1] = bad.Values[1][:9]
	if _, err := l.db.CreateDataSeries(ctx, l.engineer, l.failed, bad); code(err) != spectra.CodeInvalid {
		t.Fatalf("a ragged series: %v, want invalid", err)
	}
	var n int
	if err := l.inspector.Pool().QueryRow(ctx, `SELECT count(*) FROM run_series WHERE name = ANY ('{IV,late,viewer''s,theirs,ragged}')`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d series stored (%v), want only the one accepted", n, err)
	}

	// Tampering: one value changed in the stored chunk.
	if _, err := l.inspector.Pool().Exec(ctx, `UPDATE run_series_chunks SET data = overlay(data PLACING '\x0000000000000000'::bytea FROM 9)
		WHERE series_id = $1 AND level = 0`, s.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := l.db.DataSeriesValues(ctx, l.engineer, s.ID); code(err) != spectra.CodeInternal {
		t.Fatalf("tampered values read: %v, want refused", err)
	}
}

func TestNewDataSeriesValidate(t *testing.T) {
	ok := ivSweep("ok", 5)
	for _, c := range []struct {
		name  string
		edit  func(*spectra.NewDataSeries)
		field string
	}{
		{"no name", func(s *spectra.NewDataSeries) { s.Name = "" }, "name"},
		{"one column", func(s *spectra.NewDataSeries) { s.Columns, s.Values = s.Columns[:1], s.Values[:1] }, "columns"},
		{"a duplicate column", func(s *spectra.NewDataSeries) { s.Columns[2].Name = "V" }, "columns[2].name"},
		{"a long unit", func(s *spectra.NewDataSeries) { s.Columns[1].Unit = string(make([]byte, 33)) }, "columns[1].unit"},
		{"a NaN", func(s *spectra.NewDataSeries) { s.Values[1][3] = math.NaN() }, "columns[1].values[3]"},
		{"an infinity", func(s *spectra.NewDataSeries) { s.Values[0][0] = math.Inf(-1) }, "columns[0].values[0]"},
		{"no rows", func(s *spectra.NewDataSeries) { s.Values = [][]float64{{}, {}, {}} }, "columns[0].values"},
	} {
		s := ivSweep("ok", 5)
		c.edit(&s)
		err := s.Validate()
		var se *spectra.Error
		if !errors.As(err, &se) || se.Code != spectra.CodeInvalid || se.Fields[0].Field != c.field {
			t.Errorf("%s: %v, want invalid %s", c.name, err, c.field)
		}
	}
	if err := ok.Validate(); err != nil {
		t.Fatalf("a good series: %v", err)
	}
}

// TestDataSeriesDerivesResults: the IV recipe names a threshold-voltage
// extraction, so a sweep uploaded to its run stores the extracted value as
// a result with its method and inputs, and the SPC series of the metric
// gains the point; a curve that does not rise is stored, the extraction
// skipped with its reason.
func TestDataSeriesDerivesResults(t *testing.T) {
	l := newSeriesLab(t)
	ctx := context.Background()
	n := 81
	v, i := make([]float64, n), make([]float64, n)
	for k := range v {
		v[k] = -2 + 0.05*float64(k)
		i[k] = 5e-4*0.03*math.Log1p(math.Exp((v[k]-0.47)/0.03)) + 1e-9*v[k]
	}
	var points int
	count := func() int {
		var c int
		if err := l.inspector.Pool().QueryRow(ctx, `SELECT count(*) FROM spc_points WHERE organization_id = $1`, l.engineer.OrgID).Scan(&c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	points = count()
	out, err := l.db.CreateDataSeries(ctx, l.engineer, l.failed, spectra.NewDataSeries{Name: "W7 IV",
		Columns: []spectra.SeriesColumn{{Name: "V", Unit: "V"}, {Name: "I", Unit: "A"}}, Values: [][]float64{v, i}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Derived) != 1 || len(out.Skipped) != 0 {
		t.Fatalf("derived %+v, skipped %+v; want one threshold voltage", out.Derived, out.Skipped)
	}
	r := out.Derived[0]
	if r.Metric != "threshold_voltage" || r.Unit != "V" || math.Abs(r.Value-0.47) > 0.005 || r.Derivation == nil ||
		r.Derivation.Method != spectra.ExtractThresholdVoltage || r.Derivation.SeriesID != out.ID || r.Derivation.Inputs["max_slope"] <= 0 {
		t.Fatalf("derived %+v (derivation %+v)", r, r.Derivation)
	}
	if got := count(); got != points+1 {
		t.Fatalf("SPC points %d → %d, want one more", points, got)
	}
	var fed uuid.UUID
	if err := l.inspector.Pool().QueryRow(ctx, `SELECT run_result_id FROM spc_points WHERE run_result_id = $1`, r.ID).Scan(&fed); err != nil {
		t.Fatalf("the SPC point does not name the derived result: %v", err)
	}
	d, err := l.db.RunDetail(ctx, l.engineer, l.failed)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, x := range d.Results {
		if x.ID == r.ID {
			found = x.Derivation != nil && x.Derivation.Method == spectra.ExtractThresholdVoltage && x.Derivation.Inputs["v_at_max_slope"] == r.Derivation.Inputs["v_at_max_slope"]
		} else if x.Derivation != nil {
			t.Fatalf("a measured result reads as derived: %+v", x)
		}
	}
	if !found {
		t.Fatal("the run's detail lacks the derived result with its derivation")
	}

	flat, err := l.db.CreateDataSeries(ctx, l.engineer, l.failed, spectra.NewDataSeries{Name: "open circuit",
		Columns: []spectra.SeriesColumn{{Name: "V", Unit: "V"}, {Name: "I", Unit: "A"}}, Values: [][]float64{{0, 1, 2, 3}, {1e-12, 1e-12, 1e-12, 1e-12}}})
	if err != nil || len(flat.Derived) != 0 || len(flat.Skipped) != 1 || !strings.Contains(flat.Skipped[0].Reason, "never rises") {
		t.Fatalf("a flat curve: derived %+v, skipped %+v, %v", flat.Derived, flat.Skipped, err)
	}
	if got := count(); got != points+1 {
		t.Fatalf("a skipped extraction added SPC points: %d", got)
	}
}
