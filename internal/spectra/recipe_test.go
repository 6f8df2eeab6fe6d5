package spectra

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
)

func f(v float64) *float64 { return &v }

func TestValidateRunParameters(t *testing.T) {
	decls := []RecipeParam{
		{Name: "v_start", Unit: "V", Min: f(-20), Max: f(20), Default: f(-2)},
		{Name: "step", Unit: "V", Min: f(0.001), Max: f(1)},
	}
	got, errs := ValidateRunParameters(map[string]any{"step": 0.05}, decls)
	if len(errs) != 0 || !reflect.DeepEqual(got, map[string]float64{"v_start": -2, "step": 0.05}) {
		t.Fatalf("defaults: %v %v", got, errs)
	}
	_, errs = ValidateRunParameters(map[string]any{"v_start": 25.0, "bogus": 1.0, "step": "x"}, decls)
	fields := map[string]bool{}
	for _, e := range errs {
		fields[e.Field] = true
	}
	for _, want := range []string{"parameters.v_start", "parameters.bogus", "parameters.step"} {
		if !fields[want] {
			t.Errorf("no error for %s: %v", want, errs)
		}
	}
	if _, errs := ValidateRunParameters(map[string]any{}, decls); len(errs) != 1 || errs[0].Field != "parameters.step" {
		t.Errorf("missing value without default: %v", errs)
	}
}

func TestValidateParamDecls(t *testing.T) {
	errs := ValidateParamDecls([]RecipeParam{
		{Name: "a", Min: f(2), Max: f(1)},
		{Name: "a", Min: f(0), Max: f(1), Default: f(5)},
	})
	want := []string{"parameters[0].max", "parameters[1].name", "parameters[1].default"}
	if len(errs) != len(want) {
		t.Fatalf("errors %v", errs)
	}
	for i, e := range errs {
		if e.Field != want[i] {
			t.Errorf("error %d on %s, want %s", i, e.Field, want[i])
		}
	}
}

func TestMethodStatusTransitions(t *testing.T) {
	for _, tc := range []struct {
		s                                 MethodStatus
		edit, approve, retire, newVersion bool
	}{
		{MethodStatusDraft, true, true, false, false},
		{MethodStatusApproved, false, false, true, true},
		{MethodStatusRetired, false, false, false, true},
	} {
		for name, c := range map[string]struct {
			err  error
			want bool
		}{
			"edit": {tc.s.CanEdit(), tc.edit}, "approve": {tc.s.CanApprove(), tc.approve},
			"retire": {tc.s.CanRetire(), tc.retire}, "version": {tc.s.CanVersion(), tc.newVersion},
		} {
			if (c.err == nil) != c.want || (c.err != nil && ErrorCode(c.err) != CodeConflict) {
				t.Errorf("%s: %s: %v", tc.s, name, c.err)
			}
		}
	}
}

func TestRecipeDraftValidate(t *testing.T) {
	d := RecipeDraft{Name: "r", InstrumentKinds: []string{" SMU ", "smu", ""}}.Normalize()
	if d.InstrumentKinds[0] != "SMU" || d.Parameters == nil {
		t.Fatalf("normalize: %+v", d)
	}
	err := d.Validate()
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeInvalid || len(e.Fields) != 2 ||
		e.Fields[0].Field != "instrument_kinds[1]" || e.Fields[1].Field != "instrument_kinds[2]" {
		t.Fatalf("validate: %v", err)
	}
	if err := (RecipeDraft{Name: "ok", InstrumentKinds: []string{"SMU", "XRD"}}).Normalize().Validate(); err != nil {
		t.Errorf("a valid draft: %v", err)
	}
}

func TestRevisionActions(t *testing.T) {
	cases := []struct {
		kind   RevisionKind
		role   Role
		status MethodStatus
		want   []RevisionAction
	}{
		{RecipeKind, RoleViewer, MethodStatusDraft, []RevisionAction{}},
		{RecipeKind, RoleEngineer, MethodStatusDraft, []RevisionAction{RevisionEdit}},
		{RecipeKind, RolePI, MethodStatusDraft, []RevisionAction{RevisionEdit, RevisionApprove}},
		{RecipeKind, RoleEngineer, MethodStatusApproved, []RevisionAction{RevisionNewVersion}},
		{SOPKind, RolePI, MethodStatusApproved, []RevisionAction{RevisionRetire, RevisionNewVersion}},
		{SOPKind, RoleAdmin, MethodStatusRetired, []RevisionAction{RevisionNewVersion}},
		{SOPKind, RoleTechnician, MethodStatusRetired, []RevisionAction{}},
	}
	for _, c := range cases {
		got := c.kind.Actions(Principal{Role: c.role}, c.status)
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%s on a %s %v: %v, want %v", c.role, c.status, c.kind, got, c.want)
		}
	}
	if code := ErrorCode(RecipeKind.Check(Principal{Role: RoleEngineer}, MethodStatusDraft, RevisionApprove)); code != CodeForbidden {
		t.Errorf("engineer approves: %q, want forbidden", code)
	}
	if code := ErrorCode(RecipeKind.Check(Principal{Role: RolePI}, MethodStatusRetired, RevisionRetire)); code != CodeConflict {
		t.Errorf("retire a retired revision: %q, want conflict", code)
	}
	// Every answer carries its actions, whatever the kind.
	r := WithActions(Recipe{RevisionState: RevisionState{Status: MethodStatusDraft}}, Principal{Role: RolePI})
	s := WithActions(SOP{RevisionState: RevisionState{Status: MethodStatusApproved}}, Principal{Role: RoleViewer})
	if fmt.Sprint(r.AllowedActions) != "[edit approve]" || s.AllowedActions == nil || len(s.AllowedActions) != 0 {
		t.Errorf("WithActions: recipe %v, SOP %v", r.AllowedActions, s.AllowedActions)
	}
}
