package httpapi

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/spectra-lab/spectra/internal/spectra"
)

// The chain of custody (/api/lims/custody): append-only events; there is
// no route to change or remove one.

type listCustodyInput struct {
	Limit    int    `query:"limit" minimum:"1" maximum:"200" default:"50" doc:"At most 200."`
	Cursor   string `query:"cursor" maxLength:"64" doc:"next_cursor of the previous page."`
	SampleID string `query:"sample_id" format:"uuid" doc:"Only this sample's events."`
}

type sampleCustodyInput struct {
	ID     uuid.UUID `path:"id" doc:"The sample's id."`
	Limit  int       `query:"limit" minimum:"1" maximum:"200" default:"50" doc:"At most 200."`
	Cursor string    `query:"cursor" maxLength:"64" doc:"next_cursor of the previous page."`
}

type recordCustodyInput struct {
	Body struct {
		SampleID     uuid.UUID                `json:"sample_id" format:"uuid"`
		Type         spectra.CustodyEventType `json:"event_type" enum:"received,transferred,stored,checked_out,returned,consumed,disposed"`
		FromHolder   string                   `json:"from_holder,omitempty" maxLength:"200" doc:"The sample's current holder when not given."`
		ToHolder     string                   `json:"to_holder,omitempty" maxLength:"200" doc:"Required for transferred and checked_out."`
		FromLocation string                   `json:"from_location,omitempty" maxLength:"200" doc:"The sample's current location when not given."`
		ToLocation   string                   `json:"to_location,omitempty" maxLength:"200" doc:"Required for stored."`
		OccurredAt   *time.Time               `json:"occurred_at,omitempty" doc:"Now when not given; never before the sample's latest event."`
		Notes        string                   `json:"notes,omitempty" maxLength:"10000"`
	}
}

type custodyOutput struct {
	Body spectra.CustodyEvent
}

func (s *server) listCustody(ctx context.Context, in *listCustodyInput) (*listOutput[spectra.CustodyEvent], error) {
	pg, err := page(in.Limit, in.Cursor)
	if err != nil {
		return nil, err
	}
	var f spectra.CustodyFilter
	if in.SampleID != "" {
		f.SampleID = uuid.MustParse(in.SampleID) // validated by the format
	}
	items, cursor, err := s.store.ListCustody(ctx, s.tenant(ctx), f, pg)
	if err != nil {
		return nil, err
	}
	return &listOutput[spectra.CustodyEvent]{Body: newList(items, cursor)}, nil
}

func (s *server) sampleCustody(ctx context.Context, in *sampleCustodyInput) (*listOutput[spectra.CustodyEvent], error) {
	pg, err := page(in.Limit, in.Cursor)
	if err != nil {
		return nil, err
	}
	items, cursor, err := s.store.SampleCustody(ctx, s.tenant(ctx), in.ID, pg)
	if err != nil {
		return nil, err
	}
	return &listOutput[spectra.CustodyEvent]{Body: newList(items, cursor)}, nil
}

func (s *server) recordCustody(ctx context.Context, in *recordCustodyInput) (*custodyOutput, error) {
	b := in.Body
	if err := noNUL("from_holder", b.FromHolder, "to_holder", b.ToHolder, "from_location", b.FromLocation,
		"to_location", b.ToLocation, "notes", b.Notes); err != nil {
		return nil, err
	}
	ev := spectra.NewCustodyEvent{SampleID: b.SampleID, Type: b.Type, FromHolder: b.FromHolder, ToHolder: b.ToHolder,
		FromLocation: b.FromLocation, ToLocation: b.ToLocation, Notes: b.Notes}
	if b.OccurredAt != nil {
		ev.OccurredAt = *b.OccurredAt
	}
	e, err := s.store.RecordCustody(ctx, s.tenant(ctx), ev)
	if err != nil {
		return nil, err
	}
	return &custodyOutput{Body: e}, nil
}
