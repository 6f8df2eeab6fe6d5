package postgres

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/spectra-lab/spectra/internal/blobstore"
	"github.com/spectra-lab/spectra/internal/dataseries"
	"github.com/spectra-lab/spectra/internal/spectra"
)

// SeedUser is one demo login.
type SeedUser struct {
	Email, Password, Name string
	Role                  string
}

// SeedOrg is one demo organization with its users.
type SeedOrg struct {
	Slug, Name, BarcodePrefix string
	Users                     []SeedUser
}

// DemoOrgs is the demo data of PRODUCT.md §9: two organizations with one
// user per role and the same passwords.
var DemoOrgs = []SeedOrg{demoOrg("demo-lab", "Demo Lab", "demo.lab", "DL"), demoOrg("test-org", "Test Organization", "test.org", "TO")}

func demoOrg(slug, name, domain, prefix string) SeedOrg {
	return SeedOrg{Slug: slug, Name: name, BarcodePrefix: prefix, Users: []SeedUser{
		{"admin@" + domain, "admin123", name + " Admin", "admin"},
		{"pi@" + domain, "pi123", name + " PI", "pi"},
		{"engineer@" + domain, "eng123", name + " Engineer", "engineer"},
		{"tech@" + domain, "tech123", name + " Technician", "technician"},
		{"viewer@" + domain, "view123", name + " Viewer", "viewer"},
	}}
}

// SeedCounts is what one organization's demo data holds, for tests and
// for the operator's summary.
type SeedCounts struct {
	Instruments, Calibrations, SOPs, Samples, Wafers, Devices, Recipes, Runs, Results, SPCPoints, ELNEntries int
}

// Seed writes the demo data. It is idempotent: every row has a
// deterministic id (or natural key) and is inserted with ON CONFLICT DO
// NOTHING, so a second run changes nothing, and each organization's data is
// one transaction, so an interrupted run leaves nothing half-written. hash
// turns a password into its stored form; it is called only for users that
// do not exist yet.
func Seed(ctx context.Context, db *DB, orgs []SeedOrg, hash func(context.Context, string) (string, error), now time.Time) error {
	return SeedWithFiles(ctx, db, orgs, hash, now, nil)
}

// SeedWithFiles is Seed with the demo runs' raw instrument files kept in
// files (nil: none): each IV sweep's CSV, as the instrument wrote it, is
// the file its series was read from.
func SeedWithFiles(ctx context.Context, db *DB, orgs []SeedOrg, hash func(context.Context, string) (string, error), now time.Time, files blobstore.Store) error {
	for _, o := range orgs {
		if err := seedOrg(ctx, db, o, hash, now.UTC().Truncate(time.Second), files); err != nil {
			return fmt.Errorf("seed %s: %w", o.Slug, err)
		}
	}
	return nil
}

// seeder builds one organization's rows; ids are derived from the
// organization and a name, so they are the same on every run.
type seeder struct {
	ctx   context.Context
	files blobstore.Store // where the demo's raw files go; nil: none
	tx    pgx.Tx
	org   uuid.UUID
	slug  string
	now   time.Time
	users map[string]uuid.UUID // by role
	err   error
}

// SeedID derives a stable, UUIDv7-shaped id from names: the demo data's
// ids are the same on every machine and every run.
func SeedID(parts ...string) uuid.UUID {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	var id uuid.UUID
	copy(id[:], h.Sum(nil))
	// A fixed timestamp (2025-01-01) keeps them sortable as v7 ids.
	ms := uint64(1735689600000)
	id[0], id[1], id[2], id[3], id[4], id[5] = byte(ms>>40), byte(ms>>32), byte(ms>>24), byte(ms>>16), byte(ms>>8), byte(ms)
	id[6] = id[6]&0x0f | 0x70
	id[8] = id[8]&0x3f | 0x80
	return id
}

// SeedIDInOrder is SeedID with seq (0–4095) in the 12 bits after the
// timestamp (RFC 9562's counter method), so rows seeded in a meaningful
// order — the historical runs, oldest first — list newest first by id like
// rows the server creates.
func SeedIDInOrder(seq int, parts ...string) uuid.UUID {
	id := SeedID(parts...)
	id[6] = 0x70 | byte(seq>>8)&0x0f
	id[7] = byte(seq)
	return id
}

// digest is the digest a new signature of c stores (spectra.CurrentScheme).
func (s *seeder) digest(c spectra.SignedContent) []byte {
	sum, err := spectra.SignatureDigest(spectra.CurrentScheme, c)
	if err != nil && s.err == nil {
		s.err = err
	}
	return sum[:]
}

func (s *seeder) id(parts ...string) uuid.UUID {
	return SeedID(append([]string{s.slug}, parts...)...)
}

func (s *seeder) exec(sql string, args ...any) {
	if s.err != nil {
		return
	}
	if _, err := s.tx.Exec(context.Background(), sql, args...); err != nil {
		s.err = fmt.Errorf("%.60s…: %w", sql, err)
	}
}

func seedOrg(ctx context.Context, db *DB, o SeedOrg, hash func(context.Context, string) (string, error), now time.Time, files blobstore.Store) error {
	// The organization and its users are global rows the application role
	// may not create: the owner writes them, with app.org_id set first, so
	// that their audit entries belong to the organization (and, for an
	// owner that is no superuser, pass audit_log's row-level security).
	orgID := SeedID("org", o.Slug)
	var users map[string]uuid.UUID
	err := db.ownerTxAs(ctx, orgID, "seed", func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO organizations (id, slug, name) VALUES ($1, $2, $3) ON CONFLICT (slug) DO NOTHING`,
			orgID, o.Slug, o.Name); err != nil {
			return err
		}
		// An organization of that slug made otherwise (spectra org create)
		// has an id of its own: its users are audited there.
		if err := tx.QueryRow(ctx, `SELECT id FROM organizations WHERE slug = $1`, o.Slug).Scan(&orgID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `SELECT set_config('app.org_id', $1, true)`, orgID.String()); err != nil {
			return err
		}
		var err error
		users, err = seedUsers(ctx, tx, o, hash)
		return err
	})
	if err != nil {
		return err
	}
	return db.InTenant(ctx, Tenant{OrgID: orgID, Auth: "seed"}, func(tx pgx.Tx) error {
		s := &seeder{ctx: ctx, tx: tx, org: orgID, slug: o.Slug, now: now, users: map[string]uuid.UUID{}, files: files}
		for _, u := range o.Users {
			s.users[u.Role] = users[u.Email]
			s.exec(`INSERT INTO memberships (organization_id, id, user_id, role) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
				orgID, s.id("membership", u.Email), users[u.Email], u.Role)
		}
		s.lab(o.BarcodePrefix)
		return s.err
	})
}

// seedUsers creates the users that do not exist yet (hashing only their
// passwords) and returns every user's id by email.
func seedUsers(ctx context.Context, tx pgx.Tx, o SeedOrg, hash func(context.Context, string) (string, error)) (map[string]uuid.UUID, error) {
	ids := map[string]uuid.UUID{}
	for _, u := range o.Users {
		var id uuid.UUID
		err := tx.QueryRow(ctx, `SELECT id FROM users WHERE email = $1`, u.Email).Scan(&id)
		if err == pgx.ErrNoRows {
			phc, herr := hash(ctx, u.Password)
			if herr != nil {
				return nil, herr
			}
			// The organization's own account: created here, for it alone.
			err = tx.QueryRow(ctx, `INSERT INTO users (id, email, display_name, password_hash, home_organization_id)
				VALUES ($1, $2, $3, $4, nullif(current_setting('app.org_id', true), '')::uuid)
				ON CONFLICT (email) DO UPDATE SET email = EXCLUDED.email RETURNING id`,
				SeedID("user", u.Email), u.Email, u.Name, phc).Scan(&id)
		}
		if err != nil {
			return nil, err
		}
		ids[u.Email] = id
	}
	return ids, nil
}

var demoInstruments = []struct {
	name, kind, serial, location string
	issuedDaysAgo, validDays     int // the calibration: issued that long ago, valid that long
}{
	{"Keithley 2450 SMU", "SMU", "SMU-2450-001", "Probe station 1", 60, 365},
	{"Ocean Optics Spectrometer", "spectrometer", "OO-FLAME-017", "Optics bench", 400, 365},   // expired
	{"J.A. Woollam Ellipsometer", "ellipsometer", "JAW-M2000-3", "Cleanroom bay 2", 355, 365}, // expiring soon
	{"Bruker D8 XRD", "XRD", "BRK-D8-221", "XRD lab", 90, 365},
	{"Zeiss Sigma SEM", "SEM", "ZS-SIGMA-88", "Microscopy suite", 90, 365},
}

var ivParameters = []map[string]any{
	{"name": "v_start", "unit": "V", "min": -20, "max": 20, "default": -2},
	{"name": "v_stop", "unit": "V", "min": -20, "max": 20, "default": 2},
	{"name": "step", "unit": "V", "min": 0.001, "max": 1, "default": 0.05},
	{"name": "compliance", "unit": "A", "min": 1e-9, "max": 0.1, "default": 0.001},
}

func (s *seeder) lab(prefix string) {
	admin, pi, eng, tech := s.users["admin"], s.users["pi"], s.users["engineer"], s.users["technician"]
	project := s.id("project", "PRJ-001")
	s.exec(`INSERT INTO projects (organization_id, id, code, name, description, created_by) VALUES ($1, $2, 'PRJ-001',
		'Thin-film device characterization', 'Electrical and optical characterization of thin-film test structures.', $3)
		ON CONFLICT DO NOTHING`, s.org, project, pi)

	// Instruments, each with one calibration certificate.
	var smu, smuCal uuid.UUID
	for i, in := range demoInstruments {
		id, cal := s.id("instrument", in.serial), s.id("calibration", in.serial)
		if i == 0 {
			smu, smuCal = id, cal
		}
		issued := s.now.AddDate(0, 0, -in.issuedDaysAgo)
		s.exec(`INSERT INTO instruments (organization_id, id, name, kind, serial, location, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`, s.org, id, in.name, in.kind, in.serial, in.location, admin)
		s.exec(`INSERT INTO calibrations (organization_id, id, instrument_id, certificate_number, provider, issued_at, expires_at, recorded_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
			s.org, cal, id, fmt.Sprintf("CERT-%s-%d", in.serial, issued.Year()), "Metrology Services Ltd.",
			issued, issued.AddDate(0, 0, in.validDays), eng)
	}

	// SOPs, approved.
	for _, sop := range []struct{ code, title, body string }{
		{"SOP-IV-001", "IV Characterization", "# IV Characterization\n\n1. Verify the SMU calibration is valid.\n2. Land probes on the device pads.\n3. Sweep voltage per the approved recipe; record compliance events.\n"},
		{"SOP-XRD-001", "XRD Analysis", "# XRD Analysis\n\n1. Align the sample stage.\n2. Run a theta-2theta scan.\n3. Index peaks against the reference pattern.\n"},
	} {
		sopID, approved := s.id("sop", sop.code), s.now.AddDate(0, -6, 0)
		s.exec(`INSERT INTO sops (organization_id, id, lineage_id, code, title, body_markdown, status, approved_at, approved_by, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING`,
			s.org, sopID, s.id("sop-lineage", sop.code), sop.code, sop.title, sop.body, spectra.MethodStatusApproved, approved, pi, eng)
		// Its approval, signed by the PI over the revision's exact content.
		sum := s.digest(spectra.SOPContent{ID: sopID, LineageID: s.id("sop-lineage", sop.code), Revision: 1,
			Code: sop.code, Title: sop.title, BodyMarkdown: sop.body})
		sig := s.id("signature", "sop", sop.code)
		s.exec(`INSERT INTO signatures (organization_id, id, sop_id, signer_id, signer_role, meaning, scheme, content_sha256, auth_method, signed_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING`,
			s.org, sig, sopID, pi, spectra.RolePI, spectra.MeaningApproved, spectra.CurrentScheme, sum, spectra.AuthPassword, approved)
		s.exec(`INSERT INTO sop_approvals (organization_id, id, sop_id, approver_id, approver_role, comment, signature_id, approved_at)
			VALUES ($1, $2, $3, $4, $7, 'Approved for use in the lab.', $5, $6) ON CONFLICT DO NOTHING`,
			s.org, s.id("approval", "sop", sop.code), sopID, pi, sig, approved, spectra.RolePI)
	}

	// Recipes: one draft, one approved (with its approval), one retired.
	params, _ := json.Marshal(ivParameters)
	ivRecipe := s.id("recipe", "iv-sweep")
	approvedAt := s.now.AddDate(0, -3, 0)
	// Its runs' sweeps give their threshold voltage, which feeds the SPC
	// series below (the control chart fills itself from measurements).
	ivExtractions := []spectra.Extraction{{Method: spectra.ExtractThresholdVoltage, Metric: "threshold_voltage", Unit: "V"}}
	s.exec(`INSERT INTO recipes (organization_id, id, lineage_id, name, description, parameters, instrument_kinds, extractions, status, approved_at, approved_by, created_by)
		VALUES ($1, $2, $3, 'IV Sweep', 'Two-terminal current-voltage sweep.', $4, '{SMU}', $9, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
		s.org, ivRecipe, s.id("recipe-lineage", "iv-sweep"), jsonb(json.RawMessage(params)), spectra.MethodStatusApproved, approvedAt, pi, eng, jsonb(ivExtractions))
	var ivParams []spectra.RecipeParam
	if err := json.Unmarshal(params, &ivParams); err != nil && s.err == nil {
		s.err = err
	}
	ivSum := s.digest(spectra.RecipeContent{ID: ivRecipe, LineageID: s.id("recipe-lineage", "iv-sweep"), Revision: 1, Name: "IV Sweep",
		Description: "Two-terminal current-voltage sweep.", Parameters: ivParams, InstrumentKinds: []string{"SMU"}, Extractions: ivExtractions})
	ivSig := s.id("signature", "recipe", "iv-sweep")
	s.exec(`INSERT INTO signatures (organization_id, id, recipe_id, signer_id, signer_role, meaning, scheme, content_sha256, auth_method, signed_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING`,
		s.org, ivSig, ivRecipe, pi, spectra.RolePI, spectra.MeaningApproved, spectra.CurrentScheme, ivSum, spectra.AuthPassword, approvedAt)
	s.exec(`INSERT INTO recipe_approvals (organization_id, id, recipe_id, approver_id, approver_role, comment, signature_id, approved_at)
		VALUES ($1, $2, $3, $4, $7, 'Reviewed against SOP-IV-001.', $5, $6) ON CONFLICT DO NOTHING`,
		s.org, s.id("approval", "iv-sweep"), ivRecipe, pi, ivSig, approvedAt, spectra.RolePI)
	s.exec(`INSERT INTO recipes (organization_id, id, lineage_id, name, description, parameters, instrument_kinds, created_by)
		VALUES ($1, $2, $3, 'Optical Transmission Spectrum', 'UV-Vis transmission, 300–1100 nm.', $4, '{spectrometer}', $5) ON CONFLICT DO NOTHING`,
		s.org, s.id("recipe", "optical"), s.id("recipe-lineage", "optical"),
		`[{"name":"wavelength_start","unit":"nm","min":200,"max":1100,"default":300},{"name":"wavelength_stop","unit":"nm","min":200,"max":1100,"default":1100},{"name":"integration_time","unit":"ms","min":1,"max":10000,"default":100}]`, eng)
	s.exec(`INSERT INTO recipes (organization_id, id, lineage_id, name, description, parameters, instrument_kinds, status, approved_at, approved_by, retired_at, created_by)
		VALUES ($1, $2, $3, 'Legacy XRD Scan', 'Superseded by the SOP-XRD-001 procedure.', $4, '{XRD}', $9, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
		s.org, s.id("recipe", "legacy-xrd"), s.id("recipe-lineage", "legacy-xrd"),
		`[{"name":"two_theta_start","unit":"deg","min":5,"max":120,"default":10},{"name":"two_theta_stop","unit":"deg","min":5,"max":120,"default":90}]`,
		s.now.AddDate(-1, 0, 0), pi, s.now.AddDate(0, -1, 0), eng, spectra.MethodStatusRetired)

	// Samples, each with a wafer of four devices and a "received" custody event.
	materials := []string{"Si", "GaN", "SiC", "InP", "GaAs", "Ge", "Al2O3", "ZnO", "HfO2", "TiN"}
	devices := map[int][]uuid.UUID{}
	samples := make([]uuid.UUID, len(materials))
	for i, mat := range materials {
		barcode := fmt.Sprintf("%s-S-%04d", prefix, i+1)
		sample, wafer := s.id("sample", barcode), s.id("wafer", barcode)
		samples[i] = sample
		location := fmt.Sprintf("Cabinet A, shelf %d", i%4+1)
		received := s.now.AddDate(0, 0, -60+i)
		s.exec(`INSERT INTO samples (organization_id, id, barcode, name, material, project_id, status, location, holder, metadata, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $11, $7, 'Sample store', $8, $9, $10) ON CONFLICT DO NOTHING`,
			s.org, sample, barcode, fmt.Sprintf("%s test wafer lot %d", mat, i+1), mat, project, location,
			fmt.Sprintf(`{"supplier":"Wafer Works","lot":"L%03d"}`, 100+i), eng, received, spectra.SampleStored)
		s.exec(`INSERT INTO custody_events (organization_id, id, sample_id, event_type, from_holder, to_holder, to_location, occurred_at, notes, recorded_by)
			VALUES ($1, $2, $3, $7, 'Wafer Works', 'Sample store', $4, $5, 'Delivered by courier.', $6) ON CONFLICT DO NOTHING`,
			s.org, s.id("custody", barcode, string(spectra.CustodyReceived)), sample, location, received, tech, spectra.CustodyReceived)
		s.exec(`INSERT INTO wafers (organization_id, id, sample_id, label, diameter_mm, created_by) VALUES ($1, $2, $3, 'W1', 100, $4) ON CONFLICT DO NOTHING`,
			s.org, wafer, sample, eng)
		for d := 1; d <= 4; d++ {
			dev := s.id("device", barcode, fmt.Sprint(d))
			devices[i] = append(devices[i], dev)
			s.exec(`INSERT INTO devices (organization_id, id, wafer_id, name, kind, position, created_by) VALUES ($1, $2, $3, $4, 'diode', $5, $6) ON CONFLICT DO NOTHING`,
				s.org, dev, wafer, fmt.Sprintf("D%d", d), fmt.Sprintf("die (%d,%d)", d%2, d/2), eng)
		}
	}

	// An SPC series bound to the IV sweep's threshold voltage.
	series := s.id("spc", "vth")
	const center, sigma = 0.45, 0.02
	s.exec(`INSERT INTO spc_series (organization_id, id, name, metric, unit, instrument_id, recipe_id, center_line, sigma, ucl, lcl, baseline_size, created_by)
		VALUES ($1, $2, 'Threshold voltage (IV Sweep)', 'threshold_voltage', 'V', $3, $4, $5, $6, $7, $8, 20, $9) ON CONFLICT DO NOTHING`,
		s.org, series, smu, ivRecipe, center, sigma, center+3*sigma, center-3*sigma, eng)

	// Twenty historical runs of the approved recipe on the SMU, with results
	// that feed the SPC series; the last is a failed run.
	var vthPoint []uuid.UUID
	for r := 0; r < 20; r++ {
		key := fmt.Sprint(r + 1)
		run := SeedIDInOrder(r+1, s.slug, "run", key)
		si := r % len(samples)
		started := s.now.AddDate(0, 0, -40+2*r).Add(9 * time.Hour)
		finished := started.Add(25 * time.Minute)
		status := spectra.RunCompleted
		if r == 19 {
			status = spectra.RunFailed
		}
		// Written running and finished once its measurements are in: a
		// completed run takes results only through amendments (00017).
		s.exec(`INSERT INTO runs (organization_id, id, recipe_id, sample_id, project_id, status, parameters, started_at, operator_id, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, '{"v_start":-2,"v_stop":2,"step":0.05,"compliance":0.001}', $7, $8, $9, $10) ON CONFLICT DO NOTHING`,
			s.org, run, ivRecipe, samples[si], project, spectra.RunRunning, started, tech, eng, started.Add(-time.Hour))
		s.exec(`INSERT INTO run_instruments (organization_id, id, run_id, instrument_id, calibration_id) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
			s.org, s.id("run-instrument", key), run, smu, smuCal)
		for j, tr := range [][2]any{{nil, spectra.RunPlanned}, {spectra.RunPlanned, spectra.RunRunning}, {spectra.RunRunning, status}} {
			at := []time.Time{started.Add(-time.Hour), started, finished}[j]
			s.exec(`INSERT INTO run_transitions (organization_id, id, run_id, from_status, to_status, actor_id, at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
				s.org, s.id("run-transition", key, fmt.Sprint(j)), run, tr[0], tr[1], tech, at)
		}
		vth := center + sigma*demoNoise(r)
		if r == 17 {
			vth = center + 3.4*sigma // beyond the upper control limit
		}
		iv := demoIVSweep(vth, r)
		ivAt := started.Add(20 * time.Minute)
		s.dataSeries(run, s.id("data-series", key, "iv"), ivAt, tech, iv,
			s.file(spectra.FileOwner{Kind: spectra.FileOfRun, ID: run}, s.id("file", key, "iv"), "iv-sweep-"+key+".csv", "text/csv", ivAt, tech,
				keithleyCSV(run, ivAt, iv)))
		measured := []struct {
			metric, unit string
			value        float64
		}{{"threshold_voltage", "V", vth}, {"on_current", "A", 1.2e-3 * (1 + 0.05*demoNoise(r+7))}, {"leakage_current", "A", 2.5e-9 * (1 + 0.2*demoNoise(r+3))}}
		if status != spectra.RunCompleted {
			measured = nil
		}
		for k, m := range measured {
			res := s.id("result", key, m.metric)
			s.exec(`INSERT INTO run_results (organization_id, id, run_id, device_id, metric, value, unit, measured_at, created_by)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING`,
				s.org, res, run, devices[si][k], m.metric, round(m.value), m.unit, finished.Add(-time.Minute), tech)
			if m.metric == "threshold_voltage" {
				p := s.id("spc-point", key)
				vthPoint = append(vthPoint, p)
				s.exec(`INSERT INTO spc_points (organization_id, id, series_id, ts, value, run_id, run_result_id) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
					s.org, p, series, finished, round(vth), run, res)
			}
		}
		s.exec(`UPDATE runs SET status = $3, finished_at = $4 WHERE organization_id = $1 AND id = $2 AND status = $5`,
			s.org, run, status, finished, spectra.RunRunning)
	}
	// The point beyond 3σ breaks Western Electric rule 1: an open alert.
	if len(vthPoint) > 17 {
		s.exec(`INSERT INTO spc_alerts (organization_id, id, series_id, rule, point_ids, message, raised_at) VALUES ($1, $2, $3, 'WE1', $4, $5, $6) ON CONFLICT DO NOTHING`,
			s.org, s.id("spc-alert", "we1"), series, []uuid.UUID{vthPoint[17]},
			"Rule 1: one point beyond the 3σ control limit (upper).", s.now.AddDate(0, 0, -5))
	}

	s.patternRuns(project, samples, eng, pi)
	s.notebook(samples[0], SeedIDInOrder(1, s.slug, "run", "1"), project, eng, pi)
	s.ml(eng)
}

// patternRuns writes the two runs whose raw files are not IV sweeps: an
// XRD pattern (.xy) of the legacy XRD scan while it was approved, and a
// transmission spectrum (JCAMP-DX) the PI measured with the draft optical
// recipe while the spectrometer's certificate was valid. Each series is
// read from its file by the parsers the uploads use (its columns named as
// an operator would name them), so the values agree,
// and each run carries what its curve gives (the pattern's main peak, the
// spectrum's transmission at 550 nm), derived as an upload would.
func (s *seeder) patternRuns(project uuid.UUID, samples []uuid.UUID, eng, pi uuid.UUID) {
	// Older than the IV sweeps, and listed after them (their ids sort below
	// the sweeps').
	xrdAt := s.now.AddDate(0, 0, -60).Add(10 * time.Hour)
	s.patternRun("xrd", s.id("recipe", "legacy-xrd"), "BRK-D8-221", samples[1], project, eng, xrdAt,
		`{"two_theta_start":10,"two_theta_stop":90}`, "si-powder-"+s.slug+".xy", "text/plain", demoXRDPattern(),
		"XRD pattern", []spectra.SeriesColumn{{Name: "2θ", Unit: "deg"}, {Name: "counts"}},
		[]spectra.Extraction{{Method: spectra.ExtractPeakPosition, Metric: "peak_2theta", Unit: "deg"}, {Method: spectra.ExtractPeakWidth, Metric: "peak_fwhm", Unit: "deg"}})
	specAt := s.now.AddDate(0, 0, -45).Add(14 * time.Hour)
	at550 := 550.0
	s.patternRun("spectrum", s.id("recipe", "optical"), "OO-FLAME-017", samples[2], project, pi, specAt,
		`{"wavelength_start":300,"wavelength_stop":1100,"integration_time":100}`, "ito-glass-"+s.slug+".jdx", "chemical/x-jcamp-dx", demoJCAMPSpectrum(),
		"Transmission spectrum", []spectra.SeriesColumn{{Name: "wavelength", Unit: "nm"}, {Name: "transmittance", Unit: "%"}},
		[]spectra.Extraction{{Method: spectra.ExtractValueAt, Metric: "transmission_550nm", Unit: "%", At: &at550}})
}

func (s *seeder) patternRun(key string, recipe uuid.UUID, serial string, sample, project, by uuid.UUID, started time.Time,
	params, fileName, mediaType string, content []byte, name string, columns []spectra.SeriesColumn, extractions []spectra.Extraction) {
	if s.err != nil {
		return
	}
	_, cols, values, err := dataseries.Parse(content)
	if err != nil {
		s.err = fmt.Errorf("demo %s file: %w", key, err)
		return
	}
	run := SeedIDInOrder(0, s.slug, "run", key)
	finished := started.Add(40 * time.Minute)
	s.exec(`INSERT INTO runs (organization_id, id, recipe_id, sample_id, project_id, status, parameters, started_at, operator_id, created_by, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10) ON CONFLICT DO NOTHING`,
		s.org, run, recipe, sample, project, spectra.RunRunning, json.RawMessage(params), started, by, started.Add(-time.Hour))
	s.exec(`INSERT INTO run_instruments (organization_id, id, run_id, instrument_id, calibration_id) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
		s.org, s.id("run-instrument", key), run, s.id("instrument", serial), s.id("calibration", serial))
	for j, tr := range [][2]any{{nil, spectra.RunPlanned}, {spectra.RunPlanned, spectra.RunRunning}, {spectra.RunRunning, spectra.RunCompleted}} {
		at := []time.Time{started.Add(-time.Hour), started, finished}[j]
		s.exec(`INSERT INTO run_transitions (organization_id, id, run_id, from_status, to_status, actor_id, at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
			s.org, s.id("run-transition", key, fmt.Sprint(j)), run, tr[0], tr[1], by, at)
	}
	// The names and units the operator gives the columns on upload (an .xy
	// file has none; JCAMP-DX's YUNITS word is not a unit); the values are
	// the file's, as read.
	if len(columns) != len(cols) {
		s.err = fmt.Errorf("demo %s file: %d columns, named %d", key, len(cols), len(columns))
		return
	}
	ns := spectra.NewDataSeries{Name: name, Columns: columns, Values: values}
	seriesID, at := s.id("data-series", key), started.Add(30*time.Minute)
	s.dataSeries(run, seriesID, at, by, ns,
		s.file(spectra.FileOwner{Kind: spectra.FileOfRun, ID: run}, s.id("file", key), fileName, mediaType, at, by, content))
	for _, x := range extractions {
		v, inputs, err := dataseries.Derive(ns.Columns, ns.Values, x)
		if err != nil {
			s.err = fmt.Errorf("demo %s %s: %w", key, x.Metric, err)
			return
		}
		s.exec(`INSERT INTO run_results (organization_id, id, run_id, metric, value, unit, measured_at, metadata, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING`,
			s.org, s.id("result", key, x.Metric), run, x.Metric, round(v), x.Unit, at,
			jsonb(spectra.Derivation{SeriesID: seriesID, Method: x.Method, Inputs: inputs}), by)
	}
	s.exec(`UPDATE runs SET status = $3, finished_at = $4 WHERE organization_id = $1 AND id = $2 AND status = $5`,
		s.org, run, spectra.RunCompleted, finished, spectra.RunRunning)
}

// demoXRDPattern is a silicon powder pattern as a diffractometer's .xy
// export writes it: 2θ from 10° to 90° in 0.02° steps and counts, the
// (111), (220), (311), (400) and (331) reflections (Cu Kα) as pseudo-Voigt
// peaks on a falling background, with counting noise.
func demoXRDPattern() []byte {
	peaks := []struct{ at, height float64 }{{28.44, 12000}, {47.30, 7200}, {56.12, 4100}, {69.13, 1100}, {76.38, 1600}}
	var b bytes.Buffer
	for k := 0; k <= 4000; k++ {
		x := 10 + 0.02*float64(k)
		y := 180 + 900*math.Exp(-x/12)
		for _, p := range peaks {
			d := (x - p.at) / 0.065 // FWHM 0.13°
			y += p.height * (0.5/(1+d*d) + 0.5*math.Exp(-math.Ln2*d*d))
		}
		y += math.Sqrt(y) * demoNoise(k+9000) * 0.6
		fmt.Fprintf(&b, "%.2f %.0f\n", x, math.Max(0, y))
	}
	return b.Bytes()
}

// demoJCAMPSpectrum is an ITO-on-glass transmission spectrum, 300–1100 nm
// in 1 nm steps, as a spectrometer's JCAMP-DX export writes it (AFFN,
// X++(Y..Y), ten values a line): the band-edge rise below 400 nm and
// thin-film interference fringes above it, peaking near 550 nm.
func demoJCAMPSpectrum() []byte {
	const first, last = 300, 1100
	y := make([]int, 0, last-first+1)
	for nm := first; nm <= last; nm++ {
		w := float64(nm)
		edge := 1 / (1 + math.Exp(-(w-360)/12))
		fringe := 0.86 + 0.06*math.Cos(2*math.Pi*(w-550)/190)*math.Exp(-(w-550)*(w-550)/6e5)
		t := 100 * edge * fringe * (1 - 0.00012*math.Max(0, w-700))
		y = append(y, int(math.Round(t*100+demoNoise(nm)*3))) // YFACTOR 0.01
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "##TITLE=ITO on glass, transmission\n##JCAMP-DX=4.24\n##DATA TYPE=UV/VIS SPECTRUM\n##ORIGIN=Ocean Optics FLAME OO-FLAME-017\n")
	fmt.Fprintf(&b, "##OWNER=Demo Lab\n##XUNITS=NANOMETERS\n##YUNITS=TRANSMITTANCE\n##XFACTOR=1\n##YFACTOR=0.01\n")
	fmt.Fprintf(&b, "##FIRSTX=%d\n##LASTX=%d\n##NPOINTS=%d\n##FIRSTY=%g\n##XYDATA=(X++(Y..Y))\n", first, last, len(y), float64(y[0])*0.01)
	for i := 0; i < len(y); i += 10 {
		fmt.Fprintf(&b, "%d", first+i)
		for _, v := range y[i:min(i+10, len(y))] {
			fmt.Fprintf(&b, " %d", v)
		}
		b.WriteString("\n")
	}
	b.WriteString("##END=\n")
	return b.Bytes()
}

// ml writes one feature set drawn from the IV sweeps' results and one
// validated model trained on it (which freezes the feature set), so that
// deploying it is one PUT away.
func (s *seeder) ml(eng uuid.UUID) {
	fs := s.id("feature-set", "iv-features")
	s.exec(`INSERT INTO feature_sets (organization_id, id, name, description, features, source, created_by, created_at)
		VALUES ($1, $2, 'IV sweep features', 'Per-run electrical features of completed IV sweeps.', $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
		s.org, fs,
		`[{"name":"threshold_voltage","type":"float","description":"V"},{"name":"on_current","type":"float","description":"A"},`+
			`{"name":"leakage_current","type":"float","description":"A"},{"name":"material","type":"category"},{"name":"passed","type":"bool","description":"The label."}]`,
		`{"query":"SELECT r.run_id, r.metric, r.value FROM run_results r JOIN runs u ON u.id = r.run_id WHERE u.status = '`+string(spectra.RunCompleted)+`'",`+
			`"description":"Completed IV Sweep runs, one row per run, pivoted by metric."}`,
		eng, s.now.AddDate(0, 0, -14))
	s.exec(`INSERT INTO models (organization_id, id, name, feature_set_id, algorithm, hyperparameters, metrics, artifact_uri, status, trained_at, created_by, created_at)
		VALUES ($1, $2, 'IV yield classifier', $3, 'gradient_boosting', '{"n_estimators":200,"max_depth":4,"learning_rate":0.05}',
			'{"auc":0.91,"accuracy":0.87,"f1":0.84}', $4, $7, $5, $6, $5) ON CONFLICT DO NOTHING`,
		s.org, s.id("model", "iv-yield"), fs, "s3://"+s.slug+"-models/iv-yield-classifier/1/model.onnx", s.now.AddDate(0, 0, -10), eng, spectra.ModelStatusValidated)
}

// notebook writes three ELN entries; the first is signed by its author and
// thereby locked.
func (s *seeder) notebook(sample, run, project, eng, pi uuid.UUID) {
	entries := []struct{ key, title, body string }{
		{"iv-first", "IV sweep on the first Si lot",
			"## Aim\nCheck diode turn-on across the wafer.\n\n## Result\nThreshold voltage 0.45 V ± 0.02 V; leakage below 3 nA at -2 V. See run 1.\n"},
		{"xrd-notes", "XRD alignment notes",
			"Stage realigned after maintenance. Reference silicon peak at 28.44° 2θ within 0.01°.\n"},
		{"weekly", "Weekly summary",
			"Twenty IV sweeps this month; one run failed on a probe contact. Spectrometer calibration has expired: **do not use** until recalibrated.\n"},
	}
	for i, e := range entries {
		id := s.id("eln", e.key)
		created := s.now.AddDate(0, 0, -30+10*i)
		s.exec(`INSERT INTO eln_entries (organization_id, id, project_id, title, body_markdown, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`, s.org, id, project, e.title, e.body, eng, created)
		if i == 0 {
			s.exec(`INSERT INTO eln_links (organization_id, id, entry_id, sample_id) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
				s.org, s.id("eln-link", e.key, "sample"), id, sample)
			s.exec(`INSERT INTO eln_links (organization_id, id, entry_id, run_id) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
				s.org, s.id("eln-link", e.key, "run"), id, run)
			// What the store reads back: the project and the links above.
			sum := s.digest(spectra.ELNContent{ID: id, Title: e.title, BodyMarkdown: e.body, ProjectID: &project,
				SampleIDs: []uuid.UUID{sample}, RunIDs: []uuid.UUID{run}})
			s.exec(`INSERT INTO signatures (organization_id, id, eln_entry_id, signer_id, signer_role, meaning, scheme, content_sha256, auth_method, signed_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING`,
				s.org, s.id("signature", e.key), id, eng, spectra.RoleEngineer, spectra.MeaningAuthored, spectra.CurrentScheme, sum,
				spectra.AuthPassword, created.Add(time.Hour))
			s.exec(`UPDATE eln_entries SET locked_at = $3 WHERE organization_id = $1 AND id = $2 AND locked_at IS NULL`,
				s.org, id, created.Add(time.Hour))
		}
	}
}

// demoNoise is a deterministic value in about [-1.7, 1.7] for index i.
// demoIVSweep is the curve of an IV sweep as the demo runs' parameters
// ask (-2 V to 2 V in 0.05 V steps, 1 mA compliance) of a device whose
// current rises linearly, 0.5 mA/V, above its threshold vth (a soft knee),
// over a leakage of about 1 nA, with the measurement's noise.
func demoIVSweep(vth float64, run int) spectra.NewDataSeries {
	const n = 81
	v, i := make([]float64, n), make([]float64, n)
	for k := range v {
		v[k] = math.Round((-2+0.05*float64(k))*100) / 100
		knee := 0.03 * math.Log1p(math.Exp((v[k]-vth)/0.03))
		i[k] = min(1e-3, 5e-4*knee+1e-9*v[k]*(1+0.1*demoNoise(run*n+k)))
		i[k] = round(i[k])
	}
	return spectra.NewDataSeries{Name: "IV sweep", Columns: []spectra.SeriesColumn{{Name: "V", Unit: "V"}, {Name: "I", Unit: "A"}},
		Values: [][]float64{v, i}}
}

// dataSeries writes a series and its chunks as the store does, read from
// the raw file fileID (nil: none).
func (s *seeder) dataSeries(run, id uuid.UUID, at time.Time, by uuid.UUID, ns spectra.NewDataSeries, fileID *uuid.UUID) {
	if err := ns.Validate(); err != nil && s.err == nil {
		s.err = err
		return
	}
	s.exec(`INSERT INTO run_series (organization_id, id, run_id, name, columns, row_count, sha256, file_id, created_by, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING`,
		s.org, id, run, ns.Name, jsonb(ns.Columns), ns.Rows(), dataseries.Digest(ns.Values), fileID, by, at)
	c := dataSeriesChunks(ns)
	s.exec(insertChunksSQL+` ON CONFLICT DO NOTHING`, s.org, id, c.level, c.chunk, c.rows, c.xMin, c.xMax, c.data)
}

// file keeps content as the file id of owner, stored under a fresh random
// key, unless the file is on record already; nil when the seeder keeps no
// files.
func (s *seeder) file(owner spectra.FileOwner, id uuid.UUID, name, mediaType string, at time.Time, by uuid.UUID, content []byte) *uuid.UUID {
	if s.files == nil || s.err != nil {
		return nil
	}
	var n int
	if s.err = s.tx.QueryRow(s.ctx, `SELECT count(*) FROM files WHERE organization_id = $1 AND id = $2`, s.org, id).Scan(&n); s.err != nil || n > 0 {
		return &id
	}
	key := blobstore.NewKey()
	if _, s.err = s.files.Put(s.ctx, key, bytes.NewReader(content)); s.err != nil {
		return nil
	}
	sum := sha256.Sum256(content)
	s.exec(`INSERT INTO files (organization_id, id, `+fileOwnerColumn[owner.Kind]+`, name, media_type, size_bytes, sha256, storage_key, created_by, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, s.org, id, owner.ID, name, mediaType, len(content), sum[:], key, by, at)
	return &id
}

// keithleyCSV is an IV sweep as a source-measure unit's export writes it:
// a preamble, then a header row with units in brackets and the rows.
func keithleyCSV(run uuid.UUID, at time.Time, ns spectra.NewDataSeries) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "Keithley Instruments 2450 SourceMeter,SN 04512345\nRun,%s\nDate,%s\nSweep,Linear\n\n", run, at.UTC().Format(time.RFC3339))
	b.WriteString("V [V],I [A]\n")
	for r := range ns.Rows() {
		fmt.Fprintf(&b, "%s,%s\n", strconv.FormatFloat(ns.Values[0][r], 'g', -1, 64), strconv.FormatFloat(ns.Values[1][r], 'e', -1, 64))
	}
	return b.Bytes()
}

func demoNoise(i int) float64 {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(i)*0x9E3779B97F4A7C15)
	h := sha256.Sum256(b[:])
	u := float64(binary.BigEndian.Uint64(h[:8])) / math.MaxUint64
	return (u*2 - 1) * 1.7
}

func round(v float64) float64 { return math.Round(v*1e12) / 1e12 }
