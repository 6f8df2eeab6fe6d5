package postgres

import (
	"testing"

	"github.com/spectra-lab/spectra/internal/spectra"
)

func TestCheckVersion(t *testing.T) {
	for _, c := range []struct {
		name             string
		w                staleWording
		ifMatch, version int
		code             spectra.Code
		msg              string
		field            bool
	}{
		{"current", staleWording{what: "model"}, 3, 3, "", "", false},
		{"not said", staleWording{what: "model"}, 0, 0, "", "", false},
		{"stale If-Match", staleWording{what: "model"}, 2, 0, spectra.CodePrecondition, "the model changed since version 2 (now 3); reload it", false},
		{"stale If-Match, terse", staleWording{what: "run", terse: true}, 2, 0, spectra.CodePrecondition, "the run changed since version 2 (now 3)", false},
		{"stale body", staleWording{what: "entry", terse: true}, 0, 1, spectra.CodeConflict, "the entry changed since version 1 (now 3); reload it", false},
		{"stale body, field", staleWording{what: "sample", field: true}, 0, 1, spectra.CodeConflict, "the sample changed since version 1 (now 3); reload it", true},
		{"If-Match first", staleWording{what: "sample", field: true}, 1, 2, spectra.CodePrecondition, "the sample changed since version 1 (now 3); reload it", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := checkVersion(c.w, 3, c.ifMatch, c.version)
			if c.code == "" {
				if err != nil {
					t.Fatalf("err = %v, want nil", err)
				}
				return
			}
			se, ok := err.(*spectra.Error)
			if !ok || se.Code != c.code || se.Message != c.msg {
				t.Fatalf("err = %#v, want %s %q", err, c.code, c.msg)
			}
			if got := len(se.Fields) == 1 && se.Fields[0] == (spectra.FieldError{Field: "version", Message: "stale"}); got != c.field {
				t.Errorf("fields = %v, want version field %v", se.Fields, c.field)
			}
		})
	}
}
