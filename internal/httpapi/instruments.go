package httpapi

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/spectra-lab/spectra/internal/spectra"
)

// Instruments and calibrations (/api/analysis).

type listInstrumentsInput struct {
	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"50" doc:"At most 200."`
	Cursor string `query:"cursor" maxLength:"64" doc:"next_cursor of the previous page."`
	Kind   string `query:"kind" maxLength:"64"`
	Status string `query:"status" enum:"active,maintenance,retired,"`
	Q      string `query:"q" maxLength:"200" doc:"Part of the name or serial."`
}

type instrumentBody struct {
	Name                string `json:"name" minLength:"1" maxLength:"200"`
	Kind                string `json:"kind" minLength:"1" maxLength:"64" doc:"SMU, spectrometer, ellipsometer, XRD, SEM…"`
	Serial              string `json:"serial,omitempty" maxLength:"128"`
	Location            string `json:"location,omitempty" maxLength:"200"`
	Status              string `json:"status,omitempty" enum:"active,maintenance,retired" doc:"Default active."`
	CalibrationRequired *bool  `json:"calibration_required,omitempty" doc:"Default true: runs on it need a valid certificate."`
}

func (b instrumentBody) instrument() spectra.Instrument {
	i := spectra.Instrument{Name: b.Name, Kind: b.Kind, Serial: b.Serial, Location: b.Location, Status: b.Status, CalibrationRequired: true}
	if i.Status == "" {
		i.Status = "active"
	}
	if b.CalibrationRequired != nil {
		i.CalibrationRequired = *b.CalibrationRequired
	}
	return i
}

type createInstrumentInput struct {
	Body instrumentBody
}

type updateInstrumentInput struct {
	ID      uuid.UUID `path:"id"`
	IfMatch string    `header:"If-Match" doc:"The ETag of the instrument as last read; a stale one answers 412."`
	Body    instrumentBody
}

type analysisIDInput struct {
	ID uuid.UUID `path:"id"`
}

type instrumentOutput struct {
	ETag string `header:"ETag"`
	Body spectra.Instrument
}

func (s *server) listInstruments(ctx context.Context, in *listInstrumentsInput) (*listOutput[spectra.Instrument], error) {
	pg, err := page(in.Limit, in.Cursor)
	if err != nil {
		return nil, err
	}
	items, cursor, err := s.store.ListInstruments(ctx, s.tenant(ctx), spectra.InstrumentFilter{Kind: in.Kind, Status: in.Status, Q: in.Q}, pg)
	if err != nil {
		return nil, err
	}
	return &listOutput[spectra.Instrument]{Body: newList(items, cursor)}, nil
}

func (s *server) getInstrument(ctx context.Context, in *analysisIDInput) (*instrumentOutput, error) {
	i, err := s.store.Instrument(ctx, s.tenant(ctx), in.ID)
	if err != nil {
		return nil, err
	}
	return &instrumentOutput{ETag: etag(i.Version), Body: i}, nil
}

func (s *server) createInstrument(ctx context.Context, in *createInstrumentInput) (*instrumentOutput, error) {
	i, err := s.store.CreateInstrument(ctx, s.tenant(ctx), in.Body.instrument())
	if err != nil {
		return nil, err
	}
	return &instrumentOutput{ETag: etag(i.Version), Body: i}, nil
}

func (s *server) updateInstrument(ctx context.Context, in *updateInstrumentInput) (*instrumentOutput, error) {
	version, err := updateVersion(in.IfMatch, 0)
	if err != nil {
		return nil, err
	}
	i, err := s.store.UpdateInstrument(ctx, s.tenant(ctx), in.ID, in.Body.instrument(), version)
	if err != nil {
		return nil, err
	}
	return &instrumentOutput{ETag: etag(i.Version), Body: i}, nil
}

type listCalibrationsInput struct {
	Limit        int    `query:"limit" minimum:"1" maximum:"200" default:"50" doc:"At most 200."`
	Cursor       string `query:"cursor" maxLength:"64" doc:"next_cursor of the previous page."`
	InstrumentID string `query:"instrument_id" format:"uuid" doc:"Only this instrument's certificates."`
}

type createCalibrationInput struct {
	Body struct {
		InstrumentID      uuid.UUID `json:"instrument_id"`
		CertificateNumber string    `json:"certificate_number" minLength:"1" maxLength:"128"`
		Provider          string    `json:"provider,omitempty" maxLength:"200" doc:"Default in-house."`
		IssuedAt          time.Time `json:"issued_at"`
		ExpiresAt         time.Time `json:"expires_at" doc:"Must be after issued_at."`
		Notes             string    `json:"notes,omitempty" maxLength:"4000"`
	}
}

type revokeCalibrationInput struct {
	ID   uuid.UUID `path:"id"`
	Body struct {
		Reason string `json:"reason" minLength:"1" maxLength:"1000" doc:"Why the certificate no longer counts."`
	}
}

type calibrationOutput struct {
	Body spectra.Calibration
}

type calibrationStatusOutput struct {
	Body spectra.CalibrationStatus
}

func (s *server) listCalibrations(ctx context.Context, in *listCalibrationsInput) (*listOutput[spectra.Calibration], error) {
	pg, err := page(in.Limit, in.Cursor)
	if err != nil {
		return nil, err
	}
	var instrument uuid.UUID
	if in.InstrumentID != "" {
		instrument = uuid.MustParse(in.InstrumentID) // validated by the format
	}
	items, cursor, err := s.store.ListCalibrations(ctx, s.tenant(ctx), instrument, pg)
	if err != nil {
		return nil, err
	}
	return &listOutput[spectra.Calibration]{Body: newList(items, cursor)}, nil
}

func (s *server) getCalibration(ctx context.Context, in *analysisIDInput) (*calibrationOutput, error) {
	c, err := s.store.Calibration(ctx, s.tenant(ctx), in.ID)
	if err != nil {
		return nil, err
	}
	return &calibrationOutput{Body: c}, nil
}

func (s *server) createCalibration(ctx context.Context, in *createCalibrationInput) (*calibrationOutput, error) {
	b := in.Body
	if !b.ExpiresAt.After(b.IssuedAt) {
		return nil, invalid("expires_at", "must be after issued_at")
	}
	if b.Provider == "" {
		b.Provider = "in-house"
	}
	c, err := s.store.CreateCalibration(ctx, s.tenant(ctx), spectra.Calibration{InstrumentID: b.InstrumentID, CertificateNumber: b.CertificateNumber,
		Provider: b.Provider, IssuedAt: b.IssuedAt, ExpiresAt: b.ExpiresAt, Notes: b.Notes})
	if err != nil {
		return nil, err
	}
	return &calibrationOutput{Body: c}, nil
}

func (s *server) revokeCalibration(ctx context.Context, in *revokeCalibrationInput) (*calibrationOutput, error) {
	c, err := s.store.RevokeCalibration(ctx, s.tenant(ctx), in.ID, in.Body.Reason)
	if err != nil {
		return nil, err
	}
	return &calibrationOutput{Body: c}, nil
}

func (s *server) calibrationStatus(ctx context.Context, _ *struct{}) (*calibrationStatusOutput, error) {
	st, err := s.store.CalibrationStatus(ctx, s.tenant(ctx), s.now())
	if err != nil {
		return nil, err
	}
	return &calibrationStatusOutput{Body: st}, nil
}
