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

// RunAction is what a user (or the calibration check) does to a run.
type RunAction string

// The run actions.
const (
	ActStart    RunAction = "start"
	ActComplete RunAction = "complete"
	ActFail     RunAction = "fail"
	ActAbort    RunAction = "abort"
	ActBlock    RunAction = "block" // the calibration re-check at start failed
)

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

// Run is one measurement of a sample following a recipe.
type Run struct {
	ID            uuid.UUID          `json:"id"`
	RecipeID      uuid.UUID          `json:"recipe_id"`
	SampleID      uuid.UUID          `json:"sample_id"`
	ProjectID     *uuid.UUID         `json:"project_id" nullable:"true"`
	Status        RunStatus          `json:"status" enum:"planned,running,completed,failed,aborted,blocked"`
	Parameters    map[string]float64 `json:"parameters"`
	BlockedReason *string            `json:"blocked_reason"`
	Notes         string             `json:"notes"`
	StartedAt     *time.Time         `json:"started_at"`
	FinishedAt    *time.Time         `json:"finished_at"`
	OperatorID    *uuid.UUID         `json:"operator_id" nullable:"true" doc:"Who started the run."`
	CreatedBy     *uuid.UUID         `json:"created_by" nullable:"true"`
	CreatedAt     time.Time          `json:"created_at"`
	Version       int                `json:"version"`
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
	RecipeStatus   string          `json:"recipe_status"`
	SampleBarcode  string          `json:"sample_barcode"`
	SampleName     string          `json:"sample_name"`
	Instruments    []RunInstrument `json:"instruments"`
	Results        []Result        `json:"results"`
	History        []RunTransition `json:"history"`
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
