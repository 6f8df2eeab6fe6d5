package spectra

import "testing"

func TestMeaningValid(t *testing.T) {
	for _, m := range []Meaning{MeaningAuthored, MeaningReviewed, MeaningApproved} {
		if !m.Valid() {
			t.Errorf("%s is not valid", m)
		}
	}
	for _, m := range []Meaning{"", "witnessed", "Authored"} {
		if m.Valid() {
			t.Errorf("%q is valid", m)
		}
	}
}
