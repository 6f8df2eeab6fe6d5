package spectra

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
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
		s                  MethodStatus
		edit, retire, vers bool
	}{
		{MethodStatusDraft, true, false, false},
		{MethodStatusApproved, false, true, true},
		{MethodStatusRetired, false, false, true},
	} {
		for name, c := range map[string]struct {
			err  error
			want bool
		}{
			"edit": {tc.s.CanEdit(), tc.edit}, "retire": {tc.s.CanRetire(), tc.retire}, "version": {tc.s.CanVersion(), tc.vers},
		} {
			if (c.err == nil) != c.want || (c.err != nil && ErrorCode(c.err) != CodeConflict) {
				t.Errorf("%s: %s: %v", tc.s, name, c.err)
			}
		}
	}
}

// The review life: submit, withdraw (the submitter's), reject, approve
// (only from review; not by an author while the organization requires
// independent approval).
func TestRevisionReview(t *testing.T) {
	author, other := uuid.New(), uuid.New()
	draft := RevisionHead{Status: MethodStatusDraft, Authors: []uuid.UUID{author}, IndependentApproval: true}
	submitted := draft
	submitted.Submitted, submitted.Submitter, submitted.Authors = true, author, []uuid.UUID{author, author}
	for _, c := range []struct {
		name string
		err  error
		want Code
	}{
		{"edit a draft", draft.CanEdit(), ""},
		{"submit a draft", draft.CanSubmit(), ""},
		{"approve a plain draft", draft.CanApprove(other), CodeConflict},
		{"reject a plain draft", draft.CanReject(), CodeConflict},
		{"withdraw a plain draft", draft.CanWithdraw(author), CodeConflict},
		{"edit a submitted draft", submitted.CanEdit(), CodeConflict},
		{"submit twice", submitted.CanSubmit(), CodeConflict},
		{"withdraw own", submitted.CanWithdraw(author), ""},
		{"withdraw another's", submitted.CanWithdraw(other), CodeForbidden},
		{"reject", submitted.CanReject(), ""},
		{"approve another's", submitted.CanApprove(other), ""},
		{"approve own", submitted.CanApprove(author), CodeForbidden},
		{"approve an approved one", RevisionHead{Status: MethodStatusApproved, Submitted: true}.CanApprove(other), CodeConflict},
	} {
		got := Code("")
		if c.err != nil {
			got = ErrorCode(c.err)
		}
		if got != c.want {
			t.Errorf("%s: %q (%v), want %q", c.name, got, c.err, c.want)
		}
	}
	if err := submitted.CanApprove(author); err == nil || !strings.Contains(err.Error(), "require_independent_approval") {
		t.Errorf("the refusal names the rule: %v", err)
	}
	loose := submitted
	loose.IndependentApproval = false
	if err := loose.CanApprove(author); err != nil {
		t.Errorf("self-approval with the rule off: %v", err)
	}
	// Head reads the authors from the state: creator, editor, submitter.
	creator, editor := uuid.New(), uuid.New()
	now := time.Now()
	h := RevisionState{Status: MethodStatusDraft, CreatedBy: &creator, EditedBy: &editor, SubmittedBy: &other, SubmittedAt: &now,
		IndependentApproval: true}.Head(RevisionKey{})
	for _, who := range []uuid.UUID{creator, editor, other} {
		if ErrorCode(h.CanApprove(who)) != CodeForbidden {
			t.Errorf("an author (%v of %v) approves", who, h.Authors)
		}
	}
	if h.CanApprove(uuid.New()) != nil || h.Submitter != other {
		t.Errorf("head %+v", h)
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
	me := uuid.New()
	inReview := RevisionHead{Status: MethodStatusDraft, Submitted: true, Submitter: me, Authors: []uuid.UUID{me}, IndependentApproval: true}
	theirs := inReview
	theirs.Submitter, theirs.Authors = uuid.New(), nil
	cases := []struct {
		kind   RevisionKind
		role   Role
		status MethodStatus
		want   []RevisionAction
	}{
		{RecipeKind, RoleViewer, MethodStatusDraft, []RevisionAction{}},
		{RecipeKind, RoleEngineer, MethodStatusDraft, []RevisionAction{RevisionEdit, RevisionSubmit}},
		{RecipeKind, RolePI, MethodStatusDraft, []RevisionAction{RevisionEdit, RevisionSubmit}},
		{RecipeKind, RoleEngineer, MethodStatusApproved, []RevisionAction{RevisionNewVersion}},
		{SOPKind, RolePI, MethodStatusApproved, []RevisionAction{RevisionRetire, RevisionNewVersion}},
		{SOPKind, RoleAdmin, MethodStatusRetired, []RevisionAction{RevisionNewVersion}},
		{SOPKind, RoleTechnician, MethodStatusRetired, []RevisionAction{}},
	}
	for _, c := range cases {
		got := c.kind.Actions(Principal{Role: c.role}, RevisionHead{Status: c.status})
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%s on a %s %v: %v, want %v", c.role, c.status, c.kind, got, c.want)
		}
	}
	for _, c := range []struct {
		role Role
		h    RevisionHead
		want string
	}{
		{RoleEngineer, inReview, "[withdraw]"},
		{RolePI, inReview, "[withdraw reject]"},
		{RolePI, theirs, "[reject approve]"},
		{RoleEngineer, theirs, "[]"},
	} {
		if got := fmt.Sprint(SOPKind.Actions(Principal{UserID: me, Role: c.role}, c.h)); got != c.want {
			t.Errorf("%s, submitter %v: %v, want %v", c.role, c.h.Submitter == me, got, c.want)
		}
	}
	if code := ErrorCode(RecipeKind.Check(Principal{Role: RoleEngineer}, theirs, RevisionApprove)); code != CodeForbidden {
		t.Errorf("engineer approves: %q, want forbidden", code)
	}
	if code := ErrorCode(RecipeKind.Check(Principal{Role: RolePI}, RevisionHead{Status: MethodStatusRetired}, RevisionRetire)); code != CodeConflict {
		t.Errorf("retire a retired revision: %q, want conflict", code)
	}
	// Every answer carries its actions, whatever the kind.
	r := WithActions(Recipe{RevisionState: RevisionState{Status: MethodStatusDraft}}, Principal{Role: RolePI})
	s := WithActions(SOP{RevisionState: RevisionState{Status: MethodStatusApproved}}, Principal{Role: RoleViewer})
	if fmt.Sprint(r.AllowedActions) != "[edit submit]" || s.AllowedActions == nil || len(s.AllowedActions) != 0 {
		t.Errorf("WithActions: recipe %v, SOP %v", r.AllowedActions, s.AllowedActions)
	}
}
