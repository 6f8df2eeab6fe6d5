package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/spectra-lab/spectra/internal/postgres"
	"github.com/spectra-lab/spectra/internal/postgres/pgtest"
	"github.com/spectra-lab/spectra/internal/spectra"
)

// The sample store answers what PostgreSQL refuses as the client's
// mistake (with the field), never as an internal error.
func TestSampleStoreErrors(t *testing.T) {
	db := pgtest.NewDB(t)
	ctx := context.Background()
	ten := postgres.Tenant{OrgID: newOrg(t, db, "org-s"), Auth: "system"}
	if _, err := db.CreateSample(ctx, ten, spectra.SampleDraft{Barcode: "S-1", Name: "first"}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		run   func() error
		code  spectra.Code
		field string
	}{
		{"duplicate barcode", func() error {
			_, err := db.CreateSample(ctx, ten, spectra.SampleDraft{Barcode: "S-1", Name: "again"})
			return err
		}, spectra.CodeConflict, "barcode"},
		{"NUL in a search", func() error {
			_, _, err := db.ListSamples(ctx, ten, spectra.SampleFilter{Q: "a\x00"}, postgres.Page{Limit: 5})
			return err
		}, spectra.CodeInvalid, ""},
		{"NUL in the metadata", func() error {
			_, err := db.CreateSample(ctx, ten, spectra.SampleDraft{Barcode: "S-2", Name: "n", Metadata: map[string]any{"k": "\x00"}})
			return err
		}, spectra.CodeInvalid, "metadata"},
		{"a final status at birth", func() error {
			_, err := db.CreateSample(ctx, ten, spectra.SampleDraft{Barcode: "S-2", Name: "n", Status: spectra.SampleConsumed})
			return err
		}, spectra.CodeInvalid, "status"},
	}
	for _, c := range cases {
		err := c.run()
		var se *spectra.Error
		if !errors.As(err, &se) || se.Code != c.code {
			t.Errorf("%s: %v, want code %s", c.name, err, c.code)
			continue
		}
		if c.field != "" && (len(se.Fields) != 1 || se.Fields[0].Field != c.field) {
			t.Errorf("%s: fields %v, want %s", c.name, se.Fields, c.field)
		}
	}
}

// Events dated at the same instant keep the order they were recorded in,
// and the sample follows the last one.
func TestCustodyStoreTimeline(t *testing.T) {
	db := pgtest.NewDB(t)
	ctx := context.Background()
	ten := postgres.Tenant{OrgID: newOrg(t, db, "org-c"), Auth: "system"}
	s, err := db.CreateSample(ctx, ten, spectra.SampleDraft{Barcode: "C-1", Name: "chain", Location: "Dock"})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(-time.Hour).Truncate(time.Microsecond)
	for _, ev := range []spectra.NewCustodyEvent{
		{Type: spectra.CustodyReceived, ToHolder: "Store", ToLocation: "Shelf 1"},
		{Type: spectra.CustodyCheckedOut, ToHolder: "Alice"},
		{Type: spectra.CustodyTransferred, ToHolder: "Bob"},
	} {
		ev.SampleID, ev.OccurredAt = s.ID, at
		if _, err := db.RecordCustody(ctx, ten, ev); err != nil {
			t.Fatalf("%s: %v", ev.Type, err)
		}
	}
	_, err = db.RecordCustody(ctx, ten, spectra.NewCustodyEvent{SampleID: s.ID, Type: spectra.CustodyReturned, OccurredAt: at.Add(-time.Second)})
	if spectra.ErrorCode(err) != spectra.CodeConflict {
		t.Fatalf("an event before the latest: %v", err)
	}
	events, cursor, err := db.SampleCustody(ctx, ten, s.ID, postgres.Page{Limit: 10})
	if err != nil || cursor != "" || len(events) != 3 {
		t.Fatalf("timeline: %v %q %v", events, cursor, err)
	}
	for i, want := range []spectra.CustodyEventType{spectra.CustodyReceived, spectra.CustodyCheckedOut, spectra.CustodyTransferred} {
		if events[i].Type != want || !events[i].OccurredAt.Equal(at) {
			t.Fatalf("event %d = %s at %s, want %s at %s", i, events[i].Type, events[i].OccurredAt, want, at)
		}
	}
	if events[1].FromHolder != "Store" || events[2].FromHolder != "Alice" || events[0].FromLocation != "Dock" {
		t.Fatalf("from sides: %+v", events)
	}
	got, err := db.Sample(ctx, ten, s.ID)
	if err != nil || got.Status != spectra.SampleCheckedOut || got.Holder != "Bob" || got.Location != "Shelf 1" || got.Version != 4 {
		t.Fatalf("sample after the chain: %+v %v", got, err)
	}
}
