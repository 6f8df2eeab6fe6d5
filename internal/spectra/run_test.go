package spectra

import (
	"errors"
	"slices"
	"testing"

	"github.com/google/uuid"
)

func TestRunStatusCan(t *testing.T) {
	want := map[RunStatus][]RunAction{
		RunPlanned:   {ActStart, ActAbort},
		RunBlocked:   {ActStart, ActAbort},
		RunRunning:   {ActComplete, ActFail, ActAbort, ActUploadResults},
		RunCompleted: {ActAmend}, // immutable: corrections are amendments (PRODUCT.md §13)
		RunFailed:    {ActUploadResults},
		RunAborted:   nil,
	}
	for _, s := range RunStatuses {
		var got []RunAction
		for _, a := range RunActions {
			if s.Can(a) {
				got = append(got, a)
			}
		}
		if !slices.Equal(got, want[s]) {
			t.Errorf("%s allows %v, want %v", s, got, want[s])
		}
		if s.AcceptsResults() != s.Can(ActUploadResults) {
			t.Errorf("%s: AcceptsResults and Can(upload_results) disagree", s)
		}
	}
	if len(want) != len(RunStatuses) || RunStatus("done").Valid() || !RunBlocked.Valid() {
		t.Error("RunStatuses is not the list of statuses")
	}
	for _, s := range RunStatuses {
		if s.Finished() != (s == RunCompleted || s == RunFailed || s == RunAborted) {
			t.Errorf("%s.Finished() = %v", s, s.Finished())
		}
	}
}

func TestRunCheckAndActions(t *testing.T) {
	me, other := uuid.New(), uuid.New()
	who := func(r Role) Principal { return Principal{UserID: me, Role: r} }
	run := func(s RunStatus, recipe MethodStatus, operator *uuid.UUID) Run {
		return Run{Status: s, RecipeStatus: recipe, OperatorID: operator}
	}
	cases := []struct {
		name string
		run  Run
		by   Principal
		want []RunAction
	}{
		{"viewer sees nothing", run(RunRunning, MethodStatusApproved, &me), who(RoleViewer), nil},
		{"technician starts or aborts a planned run", run(RunPlanned, MethodStatusApproved, nil), who(RoleTechnician), []RunAction{ActStart, ActAbort}},
		{"technician on a retired recipe only aborts", run(RunPlanned, MethodStatusRetired, nil), who(RoleTechnician), []RunAction{ActAbort}},
		{"engineer starts a retired recipe's run", run(RunBlocked, MethodStatusRetired, nil), who(RoleEngineer), []RunAction{ActStart, ActAbort}},
		{"technician operating", run(RunRunning, MethodStatusApproved, &me), who(RoleTechnician),
			[]RunAction{ActComplete, ActFail, ActAbort, ActUploadResults}},
		{"technician, another's run", run(RunRunning, MethodStatusApproved, &other), who(RoleTechnician),
			[]RunAction{ActComplete, ActFail, ActAbort}},
		{"technician operating a retired recipe's run uploads", run(RunRunning, MethodStatusRetired, &me), who(RoleTechnician),
			[]RunAction{ActAbort, ActUploadResults}},
		{"engineer, another's run", run(RunRunning, MethodStatusApproved, &other), who(RoleEngineer),
			[]RunAction{ActComplete, ActFail, ActAbort, ActUploadResults}},
		{"completed takes amendments only", run(RunCompleted, MethodStatusApproved, &me), who(RoleAdmin), []RunAction{ActAmend}},
		{"an engineer amends", run(RunCompleted, MethodStatusRetired, &other), who(RoleEngineer), []RunAction{ActAmend}},
		{"a technician does not amend, even their own run", run(RunCompleted, MethodStatusApproved, &me), who(RoleTechnician), nil},
		{"aborted takes nothing", run(RunAborted, MethodStatusApproved, &me), who(RoleAdmin), nil},
		{"failed takes results", run(RunFailed, MethodStatusApproved, &me), who(RoleTechnician), []RunAction{ActUploadResults}},
	}
	for _, c := range cases {
		got := c.run.Actions(c.by)
		if got == nil || !slices.Equal(got, append([]RunAction{}, c.want...)) {
			t.Errorf("%s: Actions = %#v, want %v", c.name, got, c.want)
		}
		for _, a := range append(RunActions, ActBlock) {
			err := c.run.Check(c.by, a)
			if listed := slices.Contains(got, a); listed != (err == nil) {
				t.Errorf("%s: %s listed %v but Check says %v", c.name, a, listed, err)
			}
		}
	}
}

func TestRunCheckCodes(t *testing.T) {
	me := uuid.New()
	tech := Principal{UserID: me, Role: RoleTechnician}
	cases := []struct {
		name string
		run  Run
		by   Principal
		a    RunAction
		code Code
	}{
		{"viewer", Run{Status: RunPlanned, RecipeStatus: MethodStatusApproved}, Principal{Role: RoleViewer}, ActStart, CodeForbidden},
		{"the system's block", Run{Status: RunPlanned, RecipeStatus: MethodStatusApproved}, Principal{Role: RoleAdmin}, ActBlock, CodeForbidden},
		{"completed twice", Run{Status: RunCompleted, RecipeStatus: MethodStatusApproved}, tech, ActComplete, CodeConflict},
		{"the status before the recipe", Run{Status: RunCompleted, RecipeStatus: MethodStatusRetired}, tech, ActStart, CodeConflict},
		{"draft recipe", Run{Status: RunPlanned, RecipeStatus: MethodStatusDraft}, tech, ActStart, CodeForbidden},
		{"results on completed", Run{Status: RunCompleted, OperatorID: &me}, tech, ActUploadResults, CodeConflict},
		{"results on aborted", Run{Status: RunAborted, OperatorID: &me}, tech, ActUploadResults, CodeConflict},
		{"results on blocked", Run{Status: RunBlocked}, Principal{Role: RoleEngineer}, ActUploadResults, CodeConflict},
		{"results, not the operator", Run{Status: RunRunning}, tech, ActUploadResults, CodeForbidden},
		{"amending a technician", Run{Status: RunCompleted, OperatorID: &me}, tech, ActAmend, CodeForbidden},
		{"amending a running run", Run{Status: RunRunning}, Principal{Role: RoleEngineer}, ActAmend, CodeConflict},
		{"amending a failed run", Run{Status: RunFailed}, Principal{Role: RolePI}, ActAmend, CodeConflict},
	}
	for _, c := range cases {
		var e *Error
		if err := c.run.Check(c.by, c.a); !errors.As(err, &e) || e.Code != c.code {
			t.Errorf("%s: %v, want %s", c.name, err, c.code)
		}
	}
	var e *Error
	if err := (Run{Status: RunCompleted}).Check(Principal{Role: RoleEngineer}, ActUploadResults); !errors.As(err, &e) ||
		e.Message != "results are uploaded to running or failed runs; this run is completed" {
		t.Errorf("the conflict does not name the status: %v", err)
	}
}

func TestCheckRunPlan(t *testing.T) {
	cases := []struct {
		recipe MethodStatus
		sample SampleStatus
		field  string
	}{
		{MethodStatusApproved, SampleStored, ""},
		{MethodStatusDraft, SampleStored, "recipe_id"},
		{MethodStatusRetired, SampleInUse, "recipe_id"},
		{MethodStatusApproved, SampleConsumed, "sample_id"},
		{MethodStatusApproved, SampleDisposed, "sample_id"},
	}
	for _, c := range cases {
		err := CheckRunPlan(c.recipe, c.sample)
		var e *Error
		if c.field == "" && err != nil || c.field != "" && (!errors.As(err, &e) || e.Code != CodeConflict || e.Fields[0].Field != c.field) {
			t.Errorf("%s recipe, %s sample: %v", c.recipe, c.sample, err)
		}
	}
}
