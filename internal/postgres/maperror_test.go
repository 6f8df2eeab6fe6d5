package postgres

import (
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/spectra-lab/spectra/internal/spectra"
)

// mapError answers each resource as its own mapper did before there was
// one: the constraint table carries the differences.
func TestMapError(t *testing.T) {
	pg := func(code, constraint, msg string) error {
		return fmt.Errorf("wrapped: %w", &pgconn.PgError{Code: code, ConstraintName: constraint, Message: msg})
	}
	type answer struct {
		Code    spectra.Code
		Message string
		Fields  []spectra.FieldError
	}
	for _, c := range []struct {
		name string
		err  error
		what string
		want *answer // nil: err unchanged
	}{
		{"LIMS unique", pg("23505", "samples_organization_id_barcode_key", ""), "sample", &answer{spectra.CodeConflict,
			"this barcode is already used by another sample (a deleted sample keeps its barcode: restore it instead)",
			[]spectra.FieldError{{Field: "barcode", Message: "already used"}}}},
		{"LIMS check", pg("23514", "wafers_diameter_mm_check", ""), "wafer", &answer{spectra.CodeInvalid,
			"wafer is invalid (wafers_diameter_mm_check)", []spectra.FieldError{{Field: "diameter_mm", Message: "invalid"}}}},
		{"LIMS foreign key", pg("23503", "samples_organization_id_project_id_fkey", ""), "sample", &answer{spectra.CodeInvalid,
			"sample is invalid (samples_organization_id_project_id_fkey)", []spectra.FieldError{{Field: "project_id", Message: "invalid"}}}},
		{"LIMS NUL in metadata", pg("22P05", "", ""), "device", &answer{spectra.CodeInvalid, "metadata may not contain NUL characters",
			[]spectra.FieldError{{Field: "metadata", Message: "may not contain NUL characters"}}}},
		{"LIMS NUL in text", pg("22021", "", ""), "project", &answer{spectra.CodeInvalid, "text may not contain NUL characters", nil}},
		{"NUL elsewhere", pg("22021", "", ""), "model", &answer{spectra.CodeInvalid, "the text holds a character that cannot be stored (such as NUL)", nil}},
		{"too large", pg("54000", "", ""), "entry", &answer{spectra.CodeInvalid, "a value is too large to store", nil}},
		{"instrument name", pg("23505", "instruments_organization_id_name_key", ""), "instrument", &answer{spectra.CodeConflict,
			"an instrument with this name already exists", []spectra.FieldError{{Field: "name", Message: "already used by another instrument"}}}},
		{"certificate", pg("23505", "calibrations_organization_id_instrument_id_certificate_numb_key", ""), "calibration", &answer{spectra.CodeConflict,
			"certificate_number already recorded for this instrument",
			[]spectra.FieldError{{Field: "certificate_number", Message: "already recorded for this instrument"}}}},
		{"certificate dates", pg("23514", "check_cert_dates", ""), "calibration", &answer{spectra.CodeInvalid,
			"expires_at must be after issued_at", []spectra.FieldError{{Field: "expires_at", Message: "must be after issued_at"}}}},
		{"series name", pg("23505", "spc_series_organization_id_name_key", ""), "SPC series", &answer{spectra.CodeConflict,
			"name already used by another series", []spectra.FieldError{{Field: "name", Message: "already used by another series"}}}},
		{"model metrics", pg("23514", "models_metrics_numbers_check", ""), "model", &answer{spectra.CodeInvalid,
			"metrics values must be numbers", []spectra.FieldError{{Field: "metrics", Message: "values must be numbers"}}}},
		{"unnamed unique", pg("23505", "users_email_key", ""), "user", &answer{spectra.CodeConflict, "user already exists", nil}},
		{"unnamed check", pg("23514", "runs_status_check", ""), "run", &answer{spectra.CodeInvalid, "run is invalid (runs_status_check)", nil}},
		{"RLS refusal", pg("42501", "", `new row violates row-level security policy for table "samples"`), "sample",
			&answer{spectra.CodeNotFound, "sample not found", nil}},
		{"missing privilege", pg("42501", "", "permission denied for table samples"), "sample", nil},
		{"unreadable file", pg("42501", "", `could not open file "base/1/2": Permission denied`), "sample", nil},
		{"other", pg("XX000", "", "internal"), "sample", nil},
		{"catch-all: unique left alone", pg("23505", "samples_organization_id_barcode_key", ""), "", nil},
		{"catch-all: RLS left alone", pg("42501", "", "row-level security"), "", nil},
		{"catch-all: NUL", pg("22P05", "", ""), "", &answer{spectra.CodeInvalid, "the text holds a character that cannot be stored (such as NUL)", nil}},
		{"catch-all: answered already", &spectra.Error{Code: spectra.CodeInvalid, Message: "mine", Err: pg("22P05", "", "")}, "", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := mapError(c.err, c.what)
			if c.want == nil {
				if got != c.err {
					t.Fatalf("mapError = %v, want the error unchanged", got)
				}
				return
			}
			var se *spectra.Error
			if !errors.As(got, &se) {
				t.Fatalf("mapError = %v, want a *spectra.Error", got)
			}
			if got := (answer{se.Code, se.Message, se.Fields}); !reflect.DeepEqual(got, *c.want) {
				t.Errorf("answer = %+v\nwant     %+v", got, *c.want)
			}
			if !errors.Is(got, c.err) {
				t.Errorf("the answer does not wrap the cause")
			}
		})
	}
	if mapError(nil, "sample") != nil {
		t.Error("mapError(nil) != nil")
	}
}
