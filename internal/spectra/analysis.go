package spectra

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Instrument is a piece of lab equipment runs are measured on.
type Instrument struct {
	ID                  uuid.UUID `json:"id"`
	Name                string    `json:"name"`
	Kind                string    `json:"kind"`
	Serial              string    `json:"serial"`
	Location            string    `json:"location"`
	Status              string    `json:"status" enum:"active,maintenance,retired"`
	CalibrationRequired bool      `json:"calibration_required"`
	CreatedAt           time.Time `json:"created_at"`
	UpdatedAt           time.Time `json:"updated_at"`
	Version             int       `json:"version" doc:"For If-Match."`
}

// InstrumentFilter narrows an instrument list.
type InstrumentFilter struct {
	Kind   string
	Status string
	Q      string // part of the name or serial
}

// Calibration is one calibration certificate of an instrument.
type Calibration struct {
	ID                uuid.UUID  `json:"id"`
	InstrumentID      uuid.UUID  `json:"instrument_id"`
	CertificateNumber string     `json:"certificate_number"`
	Provider          string     `json:"provider"`
	IssuedAt          time.Time  `json:"issued_at"`
	ExpiresAt         time.Time  `json:"expires_at"`
	Notes             string     `json:"notes"`
	RevokedAt         *time.Time `json:"revoked_at,omitempty"`
	RevokedReason     *string    `json:"revoked_reason,omitempty"`
	RecordedBy        *uuid.UUID `json:"recorded_by" nullable:"true"`
	CreatedAt         time.Time  `json:"created_at"`
}

// CalState is an instrument's calibration state at a moment.
type CalState string

// The calibration states. Expired and missing lock an instrument out of
// runs; expiring is a warning only.
const (
	CalValid       CalState = "valid"
	CalExpiring    CalState = "expiring"
	CalExpired     CalState = "expired"
	CalMissing     CalState = "missing"
	CalNotRequired CalState = "not_required"
)

// CalStates lists every state, in the order a status report counts them.
var CalStates = []CalState{CalValid, CalExpiring, CalExpired, CalMissing, CalNotRequired}

// CalibrationState is the state of an instrument whose effective
// certificate expires at expires (nil: never calibrated) at time now, with
// a warning window of warnDays. A certificate expiring exactly at now has
// expired: a measurement at that instant is not covered.
func CalibrationState(required bool, expires *time.Time, now time.Time, warnDays int) CalState {
	switch {
	case !required:
		return CalNotRequired
	case expires == nil:
		return CalMissing
	case !expires.After(now):
		return CalExpired
	case !expires.After(now.AddDate(0, 0, warnDays)):
		return CalExpiring
	}
	return CalValid
}

// Locks reports whether an instrument in state s may not be used for a run.
func (s CalState) Locks() bool { return s == CalExpired || s == CalMissing }

// DaysLeft is the number of whole days until expires (negative once
// expired), rounded down.
func DaysLeft(expires, now time.Time) int {
	return int(math.Floor(expires.Sub(now).Hours() / 24))
}

// InstrumentCalibration is one instrument with its calibration state.
type InstrumentCalibration struct {
	Instrument  Instrument   `json:"instrument"`
	State       CalState     `json:"state" enum:"valid,expiring,expired,missing,not_required"`
	Certificate *Calibration `json:"certificate" doc:"The effective certificate: the latest issued, unrevoked one; null if none."`
	DaysLeft    *int         `json:"days_left" doc:"Whole days until the certificate expires (negative: expired since)."`
}

// CalibrationStatus is every instrument's calibration state.
type CalibrationStatus struct {
	AsOf        time.Time               `json:"as_of"`
	WarningDays int                     `json:"warning_days" doc:"The organization's warning window."`
	Counts      map[CalState]int        `json:"counts" doc:"Instruments per state; every state is present."`
	Items       []InstrumentCalibration `json:"items"`
}

// LapsedInstrument names an instrument that locks a run out, and why.
type LapsedInstrument struct {
	ID                uuid.UUID  `json:"id"`
	Name              string     `json:"name"`
	State             CalState   `json:"state" enum:"expired,missing"`
	CertificateNumber *string    `json:"certificate_number,omitempty"`
	ExpiresAt         *time.Time `json:"expires_at,omitempty"`
}

// LockoutError is returned when a run would use an instrument whose
// calibration has expired or is missing. It carries the instruments, so
// that the answer can name each.
type LockoutError struct {
	Instruments []LapsedInstrument
}

func (e *LockoutError) Error() string {
	parts := make([]string, len(e.Instruments))
	for i, in := range e.Instruments {
		parts[i] = fmt.Sprintf("%s (%s)", in.Name, in.State)
	}
	return "calibration lockout: " + strings.Join(parts, ", ")
}

// RunStatus is where a run is in its life.
type RunStatus string

// The run statuses.
const (
	RunPlanned   RunStatus = "planned"
	RunRunning   RunStatus = "running"
	RunCompleted RunStatus = "completed"
	RunFailed    RunStatus = "failed"
	RunAborted   RunStatus = "aborted"
	RunBlocked   RunStatus = "blocked"
)

// RunStatuses lists every status, in the order of the run's life.
var RunStatuses = []RunStatus{RunPlanned, RunBlocked, RunRunning, RunCompleted, RunFailed, RunAborted}

// Valid reports whether s is one of the run statuses.
func (s RunStatus) Valid() bool {
	for _, x := range RunStatuses {
		if x == s {
			return true
		}
	}
	return false
}

// Finished reports whether a run in status s has ended: it has a
// finished_at and no further transition.
func (s RunStatus) Finished() bool { return s == RunCompleted || s == RunFailed || s == RunAborted }

// AcceptsResults reports whether measurements may be added to a run in
// status s: a running run, and a failed one (its partial measurements
// document the failure). A completed run's results are immutable
// (PRODUCT.md §13: corrections are amendments); an aborted run was never
// measured to an end; a planned or blocked one has not started.
func (s RunStatus) AcceptsResults() bool { return s == RunRunning || s == RunFailed }

// Can reports whether the run's life allows action a in status s; it
// says nothing about who asks (Run.Check does).
func (s RunStatus) Can(a RunAction) bool {
	switch a {
	case ActUploadResults:
		return s.AcceptsResults()
	case ActAmend:
		return s == RunCompleted
	}
	_, ok := runTransitions[s][a]
	return ok
}

// RunAction is what a user (or the calibration check) does to a run.
type RunAction string

// The run actions.
const (
	ActStart         RunAction = "start"
	ActComplete      RunAction = "complete"
	ActFail          RunAction = "fail"
	ActAbort         RunAction = "abort"
	ActUploadResults RunAction = "upload_results"
	ActAmend         RunAction = "amend" // correct a completed run's results (an amendment with a reason)
	ActBlock         RunAction = "block" // the calibration re-check at start failed; never a user's
)

// RunActions lists the actions a user may take on a run, in the order a
// client shows them.
var RunActions = []RunAction{ActStart, ActComplete, ActFail, ActAbort, ActUploadResults, ActAmend}

// runActionPermission is the permission each user action needs; the
// matrix says which roles hold it.
var runActionPermission = map[RunAction]Permission{
	ActStart: PermRunExecute, ActComplete: PermRunExecute, ActFail: PermRunExecute, ActAbort: PermRunExecute,
	ActUploadResults: PermResultUpload, ActAmend: PermResultAmend,
}

// runTransitions is the run life: planned → running → completed | failed |
// aborted; planned | blocked → aborted; planned | blocked → blocked when a
// calibration lapsed; blocked → running once the re-check passes.
var runTransitions = map[RunStatus]map[RunAction]RunStatus{
	RunPlanned: {ActStart: RunRunning, ActAbort: RunAborted, ActBlock: RunBlocked},
	RunBlocked: {ActStart: RunRunning, ActAbort: RunAborted, ActBlock: RunBlocked},
	RunRunning: {ActComplete: RunCompleted, ActFail: RunFailed, ActAbort: RunAborted},
}

// NextRunStatus is the status action leads to from from, or a CodeConflict
// error when the run's life does not allow it.
func NextRunStatus(from RunStatus, action RunAction) (RunStatus, error) {
	if to, ok := runTransitions[from][action]; ok {
		return to, nil
	}
	return "", Errorf(CodeConflict, "a %s run cannot be %s", from, pastTense(action))
}

func pastTense(a RunAction) string {
	switch a {
	case ActStart:
		return "started"
	case ActComplete:
		return "completed"
	case ActFail:
		return "failed"
	case ActAbort:
		return "aborted"
	}
	return "blocked"
}

// Check says whether principal p may take action a on run r now:
// CodeForbidden when p's role does not hold the action's permission, or
// when a technician (no PermRunExecuteUnapproved) starts, completes or
// fails a run whose recipe is no longer approved, or (no
// PermResultUploadAny) uploads results to a run someone else operates;
// CodeConflict, naming the status, when the run's life does not allow it
// (results go to running or failed runs, amendments to completed ones).
// The store enforces it and Actions lists it, so the two cannot disagree.
func (r Run) Check(p Principal, a RunAction) error {
	perm, ok := runActionPermission[a]
	if !ok || !p.Can(perm) {
		return Errorf(CodeForbidden, "your role may not %s runs", strings.ReplaceAll(string(a), "_", " "))
	}
	if a == ActUploadResults {
		if !r.Status.AcceptsResults() {
			return Errorf(CodeConflict, "results are uploaded to running or failed runs; this run is %s", r.Status)
		}
		if !p.Can(PermResultUploadAny) && (r.OperatorID == nil || *r.OperatorID != p.UserID) {
			return Errorf(CodeForbidden, "a technician uploads results only to runs they operate")
		}
		return nil
	}
	if a == ActAmend {
		if !r.Status.Can(ActAmend) {
			return Errorf(CodeConflict, "only a completed run is amended (its results are corrected by amendments); this run is %s", r.Status)
		}
		return nil
	}
	if _, err := NextRunStatus(r.Status, a); err != nil {
		return err
	}
	if a != ActAbort && r.RecipeStatus != MethodStatusApproved && !p.Can(PermRunExecuteUnapproved) {
		return Errorf(CodeForbidden, "technicians execute runs of approved recipes only; this recipe is %s", r.RecipeStatus)
	}
	return nil
}

// Actions lists, in RunActions order, what principal p may do to run r
// now: exactly the actions Check allows.
func (r Run) Actions(p Principal) []RunAction {
	return allowed(RunActions, func(a RunAction) error { return r.Check(p, a) })
}

// allowed lists, in all's order, the actions check allows: how every
// object's Actions derives from its Check, so the two cannot disagree.
// Never nil (an answer lists no actions as []).
func allowed[A any](all []A, check func(A) error) []A {
	out := []A{}
	for _, a := range all {
		if check(a) == nil {
			out = append(out, a)
		}
	}
	return out
}

// CheckRunPlan says whether a run may be planned of a recipe in status
// recipe on a sample in status sample: CodeConflict naming recipe_id or
// sample_id otherwise.
func CheckRunPlan(recipe MethodStatus, sample SampleStatus) error {
	if recipe != MethodStatusApproved {
		return FieldErr(CodeConflict, "recipe_id", "the recipe is "+string(recipe)+"; only an approved recipe can be run")
	}
	if sample.Final() {
		return FieldErr(CodeConflict, "sample_id", "the sample is "+string(sample))
	}
	return nil
}

// Run is one measurement of a sample following a recipe.
type Run struct {
	ID            uuid.UUID          `json:"id"`
	RecipeID      uuid.UUID          `json:"recipe_id"`
	SampleID      uuid.UUID          `json:"sample_id"`
	ProjectID     *uuid.UUID         `json:"project_id" nullable:"true"`
	Status        RunStatus          `json:"status" enum:"planned,running,completed,failed,aborted,blocked"`
	RecipeStatus  MethodStatus       `json:"recipe_status" enum:"draft,approved,retired" doc:"The recipe's status now (not when the run was planned)."`
	Parameters    map[string]float64 `json:"parameters"`
	BlockedReason *string            `json:"blocked_reason"`
	Notes         string             `json:"notes"`
	StartedAt     *time.Time         `json:"started_at"`
	FinishedAt    *time.Time         `json:"finished_at"`
	OperatorID    *uuid.UUID         `json:"operator_id" nullable:"true" doc:"Who started the run."`
	CreatedBy     *uuid.UUID         `json:"created_by" nullable:"true"`
	CreatedAt     time.Time          `json:"created_at"`
	Version       int                `json:"version"`
	// AllowedActions is what the caller may do to the run now (Actions),
	// filled in for each answer: clients show these and derive nothing.
	AllowedActions []RunAction `json:"actions" nullable:"false" enum:"start,complete,fail,abort,upload_results,amend" doc:"What the caller may do to the run now, for their role; a client offers exactly these."`
}

// RunInstrument is an instrument a run uses, with the certificate that
// was effective when the run was created.
type RunInstrument struct {
	InstrumentID        uuid.UUID    `json:"instrument_id"`
	Name                string       `json:"name"`
	Kind                string       `json:"kind"`
	Serial              string       `json:"serial"`
	CalibrationRequired bool         `json:"calibration_required"`
	Certificate         *Calibration `json:"certificate"`
}

// RunTransition is one status change of a run.
type RunTransition struct {
	From    *RunStatus `json:"from" nullable:"true"`
	To      RunStatus  `json:"to"`
	Reason  string     `json:"reason"`
	ActorID *uuid.UUID `json:"actor_id" nullable:"true"`
	At      time.Time  `json:"at"`
}

// Result is one measurement of a run.
type Result struct {
	ID         uuid.UUID  `json:"id"`
	RunID      uuid.UUID  `json:"run_id"`
	DeviceID   *uuid.UUID `json:"device_id" nullable:"true"`
	Metric     string     `json:"metric"`
	Value      float64    `json:"value"`
	Unit       string     `json:"unit"`
	MeasuredAt time.Time  `json:"measured_at"`
	CreatedBy  *uuid.UUID `json:"created_by" nullable:"true"`
	// Derivation says how a result derived from a data series was
	// computed; null for a measured one.
	Derivation *Derivation `json:"derivation" doc:"How a derived result was computed; null for a measured one."`
	// Amendments (amendment.go): the one that added this result, the one
	// that superseded it and the result that replaced it.
	AmendmentID  *uuid.UUID `json:"amendment_id" nullable:"true" doc:"The amendment that added this result (a correction or an addition); null for one recorded while the run ran."`
	SupersededBy *uuid.UUID `json:"superseded_by" nullable:"true" doc:"The amendment that superseded this result; null while it is current."`
	ReplacedBy   *uuid.UUID `json:"replaced_by" nullable:"true" doc:"The result that corrects this one; null if current or withdrawn."`
}

// Derivation records a derived result's method, its series and the
// inputs the method used (e.g. the point of steepest rise).
type Derivation struct {
	SeriesID uuid.UUID          `json:"series_id"`
	Method   ExtractionMethod   `json:"method"`
	Inputs   map[string]float64 `json:"inputs"`
}

// NewResult is a measurement to append to a run.
type NewResult struct {
	Metric     string
	Value      float64
	Unit       string
	DeviceID   *uuid.UUID
	MeasuredAt *time.Time
}

// RunDetail is a run with everything about it: instruments and their
// certificates, results and status history.
type RunDetail struct {
	Run
	RecipeName     string          `json:"recipe_name"`
	RecipeRevision int             `json:"recipe_revision"`
	SampleBarcode  string          `json:"sample_barcode"`
	SampleName     string          `json:"sample_name"`
	Instruments    []RunInstrument `json:"instruments"`
	Results        []Result        `json:"results"`
	Series         []DataSeries    `json:"series" doc:"The run's data series (curves), without their values"`
	History        []RunTransition `json:"history"`
	Amendments     []RunAmendment  `json:"amendments" doc:"Corrections of the completed run, oldest first."`
}

// RunFilter narrows a run list.
type RunFilter struct {
	Status   RunStatus
	SampleID uuid.UUID
	RecipeID uuid.UUID
}

// NewRun is a run to create.
type NewRun struct {
	RecipeID      uuid.UUID
	SampleID      uuid.UUID
	InstrumentIDs []uuid.UUID
	Parameters    map[string]any
	Notes         string
}

// RunChange is what a run's transition is asked to do.
type RunChange struct {
	Action RunAction
	Reason string
	// IfVersion > 0 must match the run's version (CodePrecondition).
	IfVersion int
	Now       time.Time
}
