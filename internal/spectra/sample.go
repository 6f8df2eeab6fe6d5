package spectra

import (
	"time"

	"github.com/google/uuid"
)

// Projects, samples, wafers, devices and the chain of custody (PRODUCT.md
// §5), and the rules that tie a sample's status to its custody events.

// ProjectStatus is whether a project is still worked on.
type ProjectStatus string

// The project statuses.
const (
	ProjectActive   ProjectStatus = "active"
	ProjectArchived ProjectStatus = "archived"
)

// Project groups samples, runs and notebook entries.
type Project struct {
	ID          uuid.UUID     `json:"id"`
	Code        string        `json:"code" doc:"Unique in the organization, e.g. PRJ-001."`
	Name        string        `json:"name"`
	Description string        `json:"description"`
	Status      ProjectStatus `json:"status" enum:"active,archived"`
	CreatedBy   *uuid.UUID    `json:"created_by" nullable:"true"`
	CreatedAt   time.Time     `json:"created_at"`
	UpdatedAt   time.Time     `json:"updated_at"`
	Version     int           `json:"version" doc:"The project's version, for If-Match."`
}

// ProjectDraft is a project as a client writes it.
type ProjectDraft struct {
	Code, Name, Description string
	Status                  ProjectStatus
}

// ProjectFilter narrows a project list; zero values do not filter.
type ProjectFilter struct {
	Q      string // part of the code or name
	Status ProjectStatus
}

// SampleStatus is where a sample is in its life. Custody events set it;
// a technician may also set it directly (within SampleStatusEdit's rules).
type SampleStatus string

// The sample statuses. Consumed and disposed are final.
const (
	SampleRegistered SampleStatus = "registered"
	SampleInUse      SampleStatus = "in_use"
	SampleStored     SampleStatus = "stored"
	SampleCheckedOut SampleStatus = "checked_out"
	SampleConsumed   SampleStatus = "consumed"
	SampleDisposed   SampleStatus = "disposed"
)

// Final reports whether nothing can follow s: the sample is gone.
func (s SampleStatus) Final() bool { return s == SampleConsumed || s == SampleDisposed }

// SampleAction is something a caller may do to a sample.
type SampleAction string

// The sample actions, in the order clients show them.
const (
	SampleEdit          SampleAction = "edit"           // replace its description (PUT)
	SampleUpdateStatus  SampleAction = "update_status"  // a technician's status and location edit (PATCH)
	SampleRecordCustody SampleAction = "record_custody" // add a custody event
	SampleAddWafer      SampleAction = "add_wafer"      // add a wafer, or a device to one of its wafers
	SampleDelete        SampleAction = "delete"
)

// SampleActions lists every sample action in order.
var SampleActions = []SampleAction{SampleEdit, SampleUpdateStatus, SampleRecordCustody, SampleAddWafer, SampleDelete}

var sampleActionPerm = map[SampleAction]Permission{
	SampleEdit: PermSampleUpdate, SampleUpdateStatus: PermSampleUpdateStatus, SampleRecordCustody: PermCustodyCreate,
	SampleAddWafer: PermSampleCreate, SampleDelete: PermSampleDelete,
}

// Allows says whether the sample's state permits a: CodeConflict when a
// consumed or disposed sample would change status, record custody or gain
// wafers and devices (the sample is gone; its description may still be
// corrected, and it may be deleted). The store asks this; the route has
// already checked the permission.
func (s Sample) Allows(a SampleAction) error {
	if _, ok := sampleActionPerm[a]; !ok {
		return Errorf(CodeInvalid, "unknown sample action %q", a)
	}
	if s.Status.Final() && a != SampleEdit && a != SampleDelete {
		return Errorf(CodeConflict, "the sample is %s: it can no longer change status, record custody or gain wafers and devices", s.Status)
	}
	return nil
}

// Check says whether principal p may do a to sample s now: CodeForbidden
// below the action's permission, then Allows.
func (s Sample) Check(p Principal, a SampleAction) error {
	if perm, ok := sampleActionPerm[a]; ok && !p.Can(perm) {
		return Errorf(CodeForbidden, "the %s role may not %s", p.Role, perm)
	}
	return s.Allows(a)
}

// Actions lists, in SampleActions order, what p may do to s now: exactly
// the actions Check allows.
func (s Sample) Actions(p Principal) []SampleAction {
	return allowed(SampleActions, func(a SampleAction) error { return s.Check(p, a) })
}

// SampleActionsOf is Actions for p as a function of the sample, computing
// each status's list once: what p may do to a sample depends on p and the
// sample's status alone (Check). A page of samples shares the lists (read
// only), instead of formatting every refusal of every sample.
func SampleActionsOf(p Principal) func(Sample) []SampleAction {
	byStatus := map[SampleStatus][]SampleAction{}
	return func(s Sample) []SampleAction {
		acts, ok := byStatus[s.Status]
		if !ok {
			acts = s.Actions(p)
			byStatus[s.Status] = acts
		}
		return acts
	}
}

// Sample is one physical specimen, found by its barcode.
type Sample struct {
	ID        uuid.UUID    `json:"id"`
	Barcode   string       `json:"barcode" doc:"Unique in the organization."`
	Name      string       `json:"name"`
	Material  string       `json:"material"`
	ProjectID *uuid.UUID   `json:"project_id" nullable:"true" doc:"The project the sample belongs to, if any."`
	Status    SampleStatus `json:"status" enum:"registered,in_use,stored,checked_out,consumed,disposed"`
	Location  string       `json:"location"`
	Holder    string       `json:"holder" doc:"Who holds the sample now: set by custody events, never written directly."`
	Metadata  JSONObject   `json:"metadata"`
	CreatedBy *uuid.UUID   `json:"created_by" nullable:"true"`
	CreatedAt time.Time    `json:"created_at"`
	UpdatedAt time.Time    `json:"updated_at"`
	Version   int          `json:"version" doc:"The sample's version, for If-Match."`
	// AllowedActions is what the caller may do to the sample now
	// (Actions), filled in for each answer.
	AllowedActions []SampleAction `json:"actions" nullable:"false" enum:"edit,update_status,record_custody,add_wafer,delete" doc:"What the caller may do to the sample now, for their role and the sample's status; a client offers exactly these."`
}

// SampleDraft is a sample as a client writes it (the holder is not part of
// it: custody events set that).
type SampleDraft struct {
	Barcode, Name, Material string
	ProjectID               *uuid.UUID
	Status                  SampleStatus
	Location                string
	Metadata                map[string]any
}

// SampleFilter narrows a sample list; zero values do not filter.
type SampleFilter struct {
	Barcode   string // exact
	Status    SampleStatus
	ProjectID uuid.UUID
	Material  string // exact, ignoring case
	Q         string // part of the barcode, name or material
}

// SampleStatusEdit is a technician's limited edit of a sample: nil fields
// stay.
type SampleStatusEdit struct {
	Status   *SampleStatus
	Location *string
}

// CheckSampleStatus says whether a direct edit (not a custody event) may
// move a sample from status from to status to; from is "" for a new
// sample. A consumed or disposed sample stays so (CodeConflict), and only
// a custody event may consume or dispose of one (CodeInvalid naming
// status), so that the chain of custody always records the end.
func CheckSampleStatus(from, to SampleStatus) error {
	switch {
	case from == to:
		return nil
	case from.Final():
		return Errorf(CodeConflict, "the sample is %s; its status can no longer change", from)
	case to.Final():
		return &Error{Code: CodeInvalid, Message: "a sample is " + string(to) + " by a custody event, not by an edit",
			Fields: []FieldError{{Field: "status", Message: "record a " + string(to) + " custody event instead"}}}
	}
	return nil
}

// Wafer is one wafer of a sample.
type Wafer struct {
	ID         uuid.UUID  `json:"id"`
	SampleID   uuid.UUID  `json:"sample_id"`
	Label      string     `json:"label" doc:"Unique within the sample, e.g. W1."`
	DiameterMM *float64   `json:"diameter_mm" nullable:"true" doc:"In millimetres, if known."`
	Notes      string     `json:"notes"`
	Metadata   JSONObject `json:"metadata"`
	CreatedBy  *uuid.UUID `json:"created_by" nullable:"true"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
	Version    int        `json:"version"`
}

// WaferDraft is a wafer as a client writes it.
type WaferDraft struct {
	Label      string
	DiameterMM *float64
	Notes      string
	Metadata   map[string]any
}

// Device is one test structure on a wafer.
type Device struct {
	ID        uuid.UUID  `json:"id"`
	WaferID   uuid.UUID  `json:"wafer_id"`
	SampleID  uuid.UUID  `json:"sample_id" doc:"The sample the device's wafer belongs to."`
	Name      string     `json:"name" doc:"Unique within the wafer, e.g. D1."`
	Kind      string     `json:"kind" doc:"e.g. diode, transistor, TLM."`
	Position  string     `json:"position" doc:"Where on the wafer, e.g. a die coordinate."`
	Metadata  JSONObject `json:"metadata"`
	CreatedBy *uuid.UUID `json:"created_by" nullable:"true"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
	Version   int        `json:"version" doc:"The device's version, for If-Match."`
}

// DeviceDraft is a device as a client writes it. WaferID is read only on
// creation: a device does not move between wafers.
type DeviceDraft struct {
	WaferID              uuid.UUID
	Name, Kind, Position string
	Metadata             map[string]any
}

// DeviceFilter narrows a device list; zero values do not filter.
type DeviceFilter struct {
	WaferID  uuid.UUID
	SampleID uuid.UUID
}

// CustodyEventType is what happened to a sample.
type CustodyEventType string

// The custody events.
const (
	CustodyReceived    CustodyEventType = "received"
	CustodyTransferred CustodyEventType = "transferred"
	CustodyStored      CustodyEventType = "stored"
	CustodyCheckedOut  CustodyEventType = "checked_out"
	CustodyReturned    CustodyEventType = "returned"
	CustodyConsumed    CustodyEventType = "consumed"
	CustodyDisposed    CustodyEventType = "disposed"
)

// CustodyEvent is one entry of a sample's chain of custody. Events are
// never changed or removed.
type CustodyEvent struct {
	ID            uuid.UUID        `json:"id"`
	SampleID      uuid.UUID        `json:"sample_id"`
	SampleBarcode string           `json:"sample_barcode"`
	Type          CustodyEventType `json:"event_type" enum:"received,transferred,stored,checked_out,returned,consumed,disposed"`
	FromHolder    string           `json:"from_holder"`
	ToHolder      string           `json:"to_holder"`
	FromLocation  string           `json:"from_location"`
	ToLocation    string           `json:"to_location"`
	OccurredAt    time.Time        `json:"occurred_at"`
	Notes         string           `json:"notes"`
	RecordedBy    *uuid.UUID       `json:"recorded_by" nullable:"true"`
	CreatedAt     time.Time        `json:"created_at" doc:"When the event was recorded."`
}

// NewCustodyEvent is an event as a client reports it. An empty
// FromHolder/FromLocation means the sample's current holder/location; a
// zero OccurredAt means now.
type NewCustodyEvent struct {
	SampleID                 uuid.UUID
	Type                     CustodyEventType
	FromHolder, ToHolder     string
	FromLocation, ToLocation string
	OccurredAt               time.Time
	Notes                    string
}

// Validate checks what each kind of event must say: a transfer or a
// check-out names who receives the sample, storing names where.
func (e NewCustodyEvent) Validate() error {
	var missing FieldError
	switch {
	case (e.Type == CustodyTransferred || e.Type == CustodyCheckedOut) && e.ToHolder == "":
		missing = FieldError{Field: "to_holder", Message: "required for a " + string(e.Type) + " event"}
	case e.Type == CustodyStored && e.ToLocation == "":
		missing = FieldError{Field: "to_location", Message: "required for a stored event"}
	default:
		return nil
	}
	return &Error{Code: CodeInvalid, Message: missing.Field + " is " + missing.Message, Fields: []FieldError{missing}}
}

// CustodyOutcome is a sample's status, holder and location after an event.
type CustodyOutcome struct {
	Status           SampleStatus
	Holder, Location string
}

// AfterCustody is what event e makes of a sample now at status, holder and
// location: received, stored and returned store it; checked_out, consumed
// and disposed set the status of that name; a transfer changes only who
// holds it. An empty to-holder or to-location leaves that unchanged.
// Nothing can follow consumption or disposal (CodeConflict).
func AfterCustody(status SampleStatus, holder, location string, e NewCustodyEvent) (CustodyOutcome, error) {
	if status.Final() {
		return CustodyOutcome{}, Errorf(CodeConflict, "the sample is %s: no custody event can follow", status)
	}
	out := CustodyOutcome{Status: status, Holder: holder, Location: location}
	switch e.Type {
	case CustodyReceived, CustodyStored, CustodyReturned:
		out.Status = SampleStored
	case CustodyCheckedOut:
		out.Status = SampleCheckedOut
	case CustodyConsumed:
		out.Status = SampleConsumed
	case CustodyDisposed:
		out.Status = SampleDisposed
	case CustodyTransferred:
	default:
		return CustodyOutcome{}, &Error{Code: CodeInvalid, Message: "unknown custody event " + string(e.Type),
			Fields: []FieldError{{Field: "event_type", Message: "not a custody event"}}}
	}
	if e.ToHolder != "" {
		out.Holder = e.ToHolder
	}
	if e.ToLocation != "" {
		out.Location = e.ToLocation
	}
	return out, nil
}

// CustodyFilter narrows the custody feed; zero values do not filter.
type CustodyFilter struct {
	SampleID uuid.UUID
}
