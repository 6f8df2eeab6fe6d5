package spectra

import (
	"errors"
	"fmt"
	"testing"
)

func TestAfterCustody(t *testing.T) {
	cases := []struct {
		status SampleStatus
		event  NewCustodyEvent
		want   CustodyOutcome
		code   Code // "" when the event is allowed
	}{
		{SampleRegistered, NewCustodyEvent{Type: CustodyReceived, ToHolder: "Store", ToLocation: "Cabinet A"},
			CustodyOutcome{SampleStored, "Store", "Cabinet A"}, ""},
		{SampleStored, NewCustodyEvent{Type: CustodyCheckedOut, ToHolder: "Alice"},
			CustodyOutcome{SampleCheckedOut, "Alice", "Cabinet A"}, ""},
		{SampleCheckedOut, NewCustodyEvent{Type: CustodyTransferred, ToHolder: "Bob", ToLocation: "Lab 2"},
			CustodyOutcome{SampleCheckedOut, "Bob", "Lab 2"}, ""},
		{SampleInUse, NewCustodyEvent{Type: CustodyTransferred, ToHolder: "Bob"},
			CustodyOutcome{SampleInUse, "Bob", "Cabinet A"}, ""},
		{SampleCheckedOut, NewCustodyEvent{Type: CustodyReturned},
			CustodyOutcome{SampleStored, "Holder", "Cabinet A"}, ""},
		{SampleCheckedOut, NewCustodyEvent{Type: CustodyStored, ToLocation: "Freezer"},
			CustodyOutcome{SampleStored, "Holder", "Freezer"}, ""},
		{SampleCheckedOut, NewCustodyEvent{Type: CustodyConsumed},
			CustodyOutcome{SampleConsumed, "Holder", "Cabinet A"}, ""},
		{SampleStored, NewCustodyEvent{Type: CustodyDisposed},
			CustodyOutcome{SampleDisposed, "Holder", "Cabinet A"}, ""},
		{SampleDisposed, NewCustodyEvent{Type: CustodyReturned}, CustodyOutcome{}, CodeConflict},
		{SampleDisposed, NewCustodyEvent{Type: CustodyDisposed}, CustodyOutcome{}, CodeConflict},
		{SampleConsumed, NewCustodyEvent{Type: CustodyTransferred, ToHolder: "Bob"}, CustodyOutcome{}, CodeConflict},
		{SampleStored, NewCustodyEvent{Type: "lost"}, CustodyOutcome{}, CodeInvalid},
	}
	for _, c := range cases {
		got, err := AfterCustody(c.status, "Holder", "Cabinet A", c.event)
		if c.code != "" {
			if ErrorCode(err) != c.code {
				t.Errorf("%s after %s: err %v, want %s", c.event.Type, c.status, err, c.code)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%s after %s = %+v, %v; want %+v", c.event.Type, c.status, got, err, c.want)
		}
	}
}

func TestCheckSampleStatus(t *testing.T) {
	cases := []struct {
		from, to SampleStatus
		code     Code
	}{
		{"", SampleRegistered, ""},
		{"", SampleStored, ""},
		{"", SampleDisposed, CodeInvalid},
		{SampleStored, SampleInUse, ""},
		{SampleStored, SampleStored, ""},
		{SampleStored, SampleConsumed, CodeInvalid},
		{SampleCheckedOut, SampleDisposed, CodeInvalid},
		{SampleDisposed, SampleDisposed, ""},
		{SampleDisposed, SampleStored, CodeConflict},
		{SampleConsumed, SampleDisposed, CodeConflict},
	}
	for _, c := range cases {
		err := CheckSampleStatus(c.from, c.to)
		if (c.code == "" && err != nil) || (c.code != "" && ErrorCode(err) != c.code) {
			t.Errorf("%q → %q: %v, want code %q", c.from, c.to, err, c.code)
		}
		var e *Error
		if c.code == CodeInvalid && (!errors.As(err, &e) || len(e.Fields) != 1 || e.Fields[0].Field != "status") {
			t.Errorf("%q → %q: the error does not name status: %v", c.from, c.to, err)
		}
	}
}

func TestCustodyEventValidate(t *testing.T) {
	cases := []struct {
		event NewCustodyEvent
		field string // "" when valid
	}{
		{NewCustodyEvent{Type: CustodyTransferred}, "to_holder"},
		{NewCustodyEvent{Type: CustodyTransferred, ToHolder: "Bob"}, ""},
		{NewCustodyEvent{Type: CustodyCheckedOut}, "to_holder"},
		{NewCustodyEvent{Type: CustodyStored}, "to_location"},
		{NewCustodyEvent{Type: CustodyStored, ToLocation: "Freezer"}, ""},
		{NewCustodyEvent{Type: CustodyReceived}, ""},
		{NewCustodyEvent{Type: CustodyReturned}, ""},
		{NewCustodyEvent{Type: CustodyConsumed}, ""},
		{NewCustodyEvent{Type: CustodyDisposed}, ""},
	}
	for _, c := range cases {
		err := c.event.Validate()
		var e *Error
		switch {
		case c.field == "" && err != nil:
			t.Errorf("%+v: %v", c.event, err)
		case c.field != "" && (!errors.As(err, &e) || e.Code != CodeInvalid || e.Fields[0].Field != c.field):
			t.Errorf("%+v: %v, want 422 naming %s", c.event, err, c.field)
		}
	}
}

func TestSampleActions(t *testing.T) {
	all := SampleActions
	cases := []struct {
		role   Role
		status SampleStatus
		want   []SampleAction
	}{
		{RoleViewer, SampleStored, []SampleAction{}},
		{RoleTechnician, SampleStored, []SampleAction{SampleUpdateStatus, SampleRecordCustody}},
		{RoleEngineer, SampleStored, all},
		{RoleAdmin, SampleCheckedOut, all},
		// Gone: only the description may be corrected, and the record deleted.
		{RoleEngineer, SampleDisposed, []SampleAction{SampleEdit, SampleDelete}},
		{RoleTechnician, SampleConsumed, []SampleAction{}},
	}
	for _, c := range cases {
		s := Sample{Status: c.status}
		got := s.Actions(Principal{Role: c.role})
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%s on a %s sample: %v, want %v", c.role, c.status, got, c.want)
		}
	}
	disposed := Sample{Status: SampleDisposed}
	if code := ErrorCode(disposed.Check(Principal{Role: RoleAdmin}, SampleAddWafer)); code != CodeConflict {
		t.Errorf("wafer on a disposed sample: %q, want conflict", code)
	}
	if code := ErrorCode(Sample{Status: SampleStored}.Check(Principal{Role: RoleTechnician}, SampleAddWafer)); code != CodeForbidden {
		t.Errorf("technician adds a wafer: %q, want forbidden", code)
	}
	if code := ErrorCode(disposed.Allows("fly")); code != CodeInvalid {
		t.Errorf("unknown action: %q, want invalid", code)
	}
}

// TestSampleActionsOf: the per-page memo answers exactly Actions for every
// role and status, however the samples come (the same status again, other
// fields differing).
func TestSampleActionsOf(t *testing.T) {
	statuses := []SampleStatus{SampleRegistered, SampleInUse, SampleStored, SampleCheckedOut, SampleConsumed, SampleDisposed}
	for _, role := range Roles {
		p := Principal{Role: role}
		actions := SampleActionsOf(p)
		for round := 0; round < 2; round++ {
			for i, st := range statuses {
				s := Sample{Status: st, Barcode: fmt.Sprint("S-", round, i), Holder: fmt.Sprint(round)}
				if got, want := actions(s), s.Actions(p); fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("%s, %s sample (round %d): %v, want %v", role, st, round, got, want)
				}
			}
		}
	}
}
