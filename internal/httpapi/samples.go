package httpapi

import (
	"context"

	"github.com/google/uuid"

	"github.com/spectra-lab/spectra/internal/spectra"
)

// Samples, their wafers, and devices (/api/lims). Engineers create and
// edit them; a technician may change only a sample's status and location
// (PATCH), and custody events (custody.go) set its holder.

type listSamplesInput struct {
	Limit     int    `query:"limit" minimum:"1" maximum:"200" default:"50" doc:"At most 200."`
	Cursor    string `query:"cursor" maxLength:"64" doc:"next_cursor of the previous page."`
	Barcode   string `query:"barcode" maxLength:"128" doc:"Exactly this barcode: find a sample by its label."`
	Status    string `query:"status" enum:"registered,in_use,stored,checked_out,consumed,disposed,"`
	ProjectID string `query:"project_id" format:"uuid"`
	Material  string `query:"material" maxLength:"200" doc:"Exactly this material, ignoring case."`
	Q         string `query:"q" maxLength:"200" doc:"Part of the barcode, name or material."`
}

type sampleOutput struct {
	ETag string `header:"ETag"`
	Body spectra.Sample
}

// outSample is v as the caller's answer: with the actions the domain
// allows them.
func outSample(ctx context.Context, v spectra.Sample) *sampleOutput {
	p, _ := PrincipalFrom(ctx)
	v.AllowedActions = v.Actions(p)
	return &sampleOutput{ETag: etag(v.Version), Body: v}
}

type sampleIDInput struct {
	ID uuid.UUID `path:"id" doc:"The sample's id."`
}

// SampleFields are a sample's writable fields, the body of a create and
// part of an update's (exported for huma, like ProjectFields).
type SampleFields struct {
	Barcode   string               `json:"barcode" minLength:"1" maxLength:"128" pattern:"^\\S(.*\\S)?$" patternDescription:"no leading or trailing spaces" doc:"Unique in the organization."`
	Name      string               `json:"name" minLength:"1" maxLength:"200"`
	Material  string               `json:"material,omitempty" maxLength:"200"`
	ProjectID *uuid.UUID           `json:"project_id,omitempty" format:"uuid" nullable:"true" doc:"A project of the organization, or null."`
	Status    spectra.SampleStatus `json:"status,omitempty" enum:"registered,in_use,stored,checked_out,consumed,disposed" doc:"When not given: registered for a new sample, unchanged by an edit. consumed and disposed are set by custody events only."`
	Location  string               `json:"location,omitempty" maxLength:"200"`
	Metadata  map[string]any       `json:"metadata,omitempty" doc:"Any JSON object."`
}

func (f SampleFields) check() error {
	return noNUL("barcode", f.Barcode, "name", f.Name, "material", f.Material, "location", f.Location)
}

func (f SampleFields) draft() spectra.SampleDraft {
	return spectra.SampleDraft{Barcode: f.Barcode, Name: f.Name, Material: f.Material, ProjectID: f.ProjectID,
		Status: f.Status, Location: f.Location, Metadata: f.Metadata}
}

type createSampleInput struct {
	Body SampleFields
}

type updateSampleInput struct {
	ID      uuid.UUID `path:"id" doc:"The sample's id."`
	IfMatch string    `header:"If-Match" doc:"The ETag of the sample as last read; a stale one answers 412."`
	Body    struct {
		SampleFields
		Version int `json:"version,omitempty" minimum:"1" doc:"The version read; a stale one answers 409. Give it or If-Match."`
	}
}

type editSampleStatusInput struct {
	ID      uuid.UUID `path:"id" doc:"The sample's id."`
	IfMatch string    `header:"If-Match" doc:"The ETag of the sample as last read; a stale one answers 412."`
	Body    struct {
		Status   *spectra.SampleStatus `json:"status,omitempty" enum:"registered,in_use,stored,checked_out,consumed,disposed" doc:"consumed and disposed are set by custody events only."`
		Location *string               `json:"location,omitempty" maxLength:"200"`
	}
}

type deleteSampleInput struct {
	ID      uuid.UUID `path:"id" doc:"The sample's id."`
	IfMatch string    `header:"If-Match" doc:"The ETag of the sample as last read; a stale one answers 412."`
}

func (s *server) listSamples(ctx context.Context, in *listSamplesInput) (*listOutput[spectra.Sample], error) {
	if err := noNUL("query.barcode", in.Barcode, "query.material", in.Material, "query.q", in.Q); err != nil {
		return nil, err
	}
	pg, err := page(in.Limit, in.Cursor)
	if err != nil {
		return nil, err
	}
	f := spectra.SampleFilter{Barcode: in.Barcode, Status: spectra.SampleStatus(in.Status), Material: in.Material, Q: in.Q}
	if in.ProjectID != "" {
		f.ProjectID = uuid.MustParse(in.ProjectID) // validated by the format
	}
	items, cursor, err := s.store.ListSamples(ctx, s.tenant(ctx), f, pg)
	if err != nil {
		return nil, err
	}
	p, _ := PrincipalFrom(ctx)
	actions := spectra.SampleActionsOf(p)
	for i := range items {
		items[i].AllowedActions = actions(items[i])
	}
	return &listOutput[spectra.Sample]{Body: newList(items, cursor)}, nil
}

func (s *server) getSample(ctx context.Context, in *sampleIDInput) (*sampleOutput, error) {
	v, err := s.store.Sample(ctx, s.tenant(ctx), in.ID)
	if err != nil {
		return nil, err
	}
	return outSample(ctx, v), nil
}

func (s *server) createSample(ctx context.Context, in *createSampleInput) (*sampleOutput, error) {
	if err := in.Body.check(); err != nil {
		return nil, err
	}
	v, err := s.store.CreateSample(ctx, s.tenant(ctx), in.Body.draft())
	if err != nil {
		return nil, err
	}
	return outSample(ctx, v), nil
}

func (s *server) updateSample(ctx context.Context, in *updateSampleInput) (*sampleOutput, error) {
	match, err := updateVersion(in.IfMatch, in.Body.Version)
	if err != nil {
		return nil, err
	}
	if err := in.Body.check(); err != nil {
		return nil, err
	}
	v, err := s.store.UpdateSample(ctx, s.tenant(ctx), in.ID, in.Body.draft(), match, in.Body.Version)
	if err != nil {
		return nil, err
	}
	return outSample(ctx, v), nil
}

func (s *server) editSampleStatus(ctx context.Context, in *editSampleStatusInput) (*sampleOutput, error) {
	match, err := updateVersion(in.IfMatch, 0)
	if err != nil {
		return nil, err
	}
	if in.Body.Status == nil && in.Body.Location == nil {
		return nil, invalid("status", "give status or location (or both)")
	}
	if in.Body.Location != nil {
		if err := noNUL("location", *in.Body.Location); err != nil {
			return nil, err
		}
	}
	v, err := s.store.EditSampleStatus(ctx, s.tenant(ctx), in.ID, spectra.SampleStatusEdit{Status: in.Body.Status, Location: in.Body.Location}, match)
	if err != nil {
		return nil, err
	}
	return outSample(ctx, v), nil
}

func (s *server) deleteSample(ctx context.Context, in *deleteSampleInput) (*struct{}, error) {
	match, err := ifMatch(in.IfMatch)
	if err != nil {
		return nil, err
	}
	return nil, s.store.DeleteSample(ctx, s.tenant(ctx), in.ID, match)
}

type listWafersInput struct {
	ID     uuid.UUID `path:"id" doc:"The sample's id."`
	Limit  int       `query:"limit" minimum:"1" maximum:"200" default:"50" doc:"At most 200."`
	Cursor string    `query:"cursor" maxLength:"64" doc:"next_cursor of the previous page."`
}

type createWaferInput struct {
	ID   uuid.UUID `path:"id" doc:"The sample's id."`
	Body struct {
		Label      string         `json:"label" minLength:"1" maxLength:"128" pattern:"^\\S(.*\\S)?$" patternDescription:"no leading or trailing spaces" doc:"Unique within the sample, e.g. W1."`
		DiameterMM *float64       `json:"diameter_mm,omitempty" exclusiveMinimum:"0" maximum:"9999.99" nullable:"true" doc:"In millimetres."`
		Notes      string         `json:"notes,omitempty" maxLength:"10000"`
		Metadata   map[string]any `json:"metadata,omitempty" doc:"Any JSON object."`
	}
}

type waferOutput struct {
	ETag string `header:"ETag"`
	Body spectra.Wafer
}

func (s *server) listWafers(ctx context.Context, in *listWafersInput) (*listOutput[spectra.Wafer], error) {
	pg, err := page(in.Limit, in.Cursor)
	if err != nil {
		return nil, err
	}
	items, cursor, err := s.store.ListWafers(ctx, s.tenant(ctx), in.ID, pg)
	if err != nil {
		return nil, err
	}
	return &listOutput[spectra.Wafer]{Body: newList(items, cursor)}, nil
}

func (s *server) createWafer(ctx context.Context, in *createWaferInput) (*waferOutput, error) {
	b := in.Body
	if err := noNUL("label", b.Label, "notes", b.Notes); err != nil {
		return nil, err
	}
	w, err := s.store.CreateWafer(ctx, s.tenant(ctx), in.ID, spectra.WaferDraft{Label: b.Label, DiameterMM: b.DiameterMM, Notes: b.Notes, Metadata: b.Metadata})
	if err != nil {
		return nil, err
	}
	return &waferOutput{ETag: etag(w.Version), Body: w}, nil
}

type listDevicesInput struct {
	Limit    int    `query:"limit" minimum:"1" maximum:"200" default:"50" doc:"At most 200."`
	Cursor   string `query:"cursor" maxLength:"64" doc:"next_cursor of the previous page."`
	WaferID  string `query:"wafer_id" format:"uuid"`
	SampleID string `query:"sample_id" format:"uuid"`
}

type deviceIDInput struct {
	ID uuid.UUID `path:"id" doc:"The device's id."`
}

// DeviceFields are a device's writable fields but its wafer (exported
// for huma, like ProjectFields).
type DeviceFields struct {
	Name     string         `json:"name" minLength:"1" maxLength:"128" pattern:"^\\S(.*\\S)?$" patternDescription:"no leading or trailing spaces" doc:"Unique within the wafer, e.g. D1."`
	Kind     string         `json:"kind,omitempty" maxLength:"64"`
	Position string         `json:"position,omitempty" maxLength:"64"`
	Metadata map[string]any `json:"metadata,omitempty" doc:"Any JSON object."`
}

type createDeviceInput struct {
	Body struct {
		WaferID uuid.UUID `json:"wafer_id" format:"uuid" doc:"A wafer of the organization."`
		DeviceFields
	}
}

type updateDeviceInput struct {
	ID      uuid.UUID `path:"id" doc:"The device's id."`
	IfMatch string    `header:"If-Match" doc:"The ETag of the device as last read; a stale one answers 412."`
	Body    struct {
		DeviceFields
		Version int `json:"version,omitempty" minimum:"1" doc:"The version read; a stale one answers 409. Give it or If-Match."`
	}
}

type deviceOutput struct {
	ETag string `header:"ETag"`
	Body spectra.Device
}

func outDevice(d spectra.Device) *deviceOutput {
	return &deviceOutput{ETag: etag(d.Version), Body: d}
}

func (f DeviceFields) check() error {
	return noNUL("name", f.Name, "kind", f.Kind, "position", f.Position)
}

func (f DeviceFields) draft(wafer uuid.UUID) spectra.DeviceDraft {
	return spectra.DeviceDraft{WaferID: wafer, Name: f.Name, Kind: f.Kind, Position: f.Position, Metadata: f.Metadata}
}

func (s *server) listDevices(ctx context.Context, in *listDevicesInput) (*listOutput[spectra.Device], error) {
	pg, err := page(in.Limit, in.Cursor)
	if err != nil {
		return nil, err
	}
	var f spectra.DeviceFilter
	if in.WaferID != "" {
		f.WaferID = uuid.MustParse(in.WaferID) // validated by the format
	}
	if in.SampleID != "" {
		f.SampleID = uuid.MustParse(in.SampleID)
	}
	items, cursor, err := s.store.ListDevices(ctx, s.tenant(ctx), f, pg)
	if err != nil {
		return nil, err
	}
	return &listOutput[spectra.Device]{Body: newList(items, cursor)}, nil
}

func (s *server) getDevice(ctx context.Context, in *deviceIDInput) (*deviceOutput, error) {
	d, err := s.store.Device(ctx, s.tenant(ctx), in.ID)
	if err != nil {
		return nil, err
	}
	return outDevice(d), nil
}

func (s *server) createDevice(ctx context.Context, in *createDeviceInput) (*deviceOutput, error) {
	if err := in.Body.check(); err != nil {
		return nil, err
	}
	d, err := s.store.CreateDevice(ctx, s.tenant(ctx), in.Body.draft(in.Body.WaferID))
	if err != nil {
		return nil, err
	}
	return outDevice(d), nil
}

func (s *server) updateDevice(ctx context.Context, in *updateDeviceInput) (*deviceOutput, error) {
	match, err := updateVersion(in.IfMatch, in.Body.Version)
	if err != nil {
		return nil, err
	}
	if err := in.Body.check(); err != nil {
		return nil, err
	}
	d, err := s.store.UpdateDevice(ctx, s.tenant(ctx), in.ID, in.Body.draft(uuid.Nil), match, in.Body.Version)
	if err != nil {
		return nil, err
	}
	return outDevice(d), nil
}
