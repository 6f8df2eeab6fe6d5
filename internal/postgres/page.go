package postgres

import (
	"encoding/base64"

	"github.com/google/uuid"

	"github.com/spectra-lab/spectra/internal/spectra"
)

// Page asks for one page of a list, newest first: at most Limit rows with
// ids below After (keyset pagination: stable under inserts, and an index
// probe however deep the page).
type Page struct {
	Limit int
	After uuid.UUID // uuid.Nil: the first page
}

// The limits of a page.
const (
	DefaultLimit = 50
	MaxLimit     = 200
)

// NewPage validates limit and cursor. The cursor is opaque to clients.
func NewPage(limit int, cursor string) (Page, error) {
	p := Page{Limit: limit}
	if p.Limit == 0 {
		p.Limit = DefaultLimit
	}
	if p.Limit < 1 || p.Limit > MaxLimit {
		return Page{}, &spectra.Error{Code: spectra.CodeInvalid, Message: "limit must be between 1 and 200",
			Fields: []spectra.FieldError{{Field: "limit", Message: "between 1 and 200"}}}
	}
	if cursor != "" {
		b, err := base64.RawURLEncoding.DecodeString(cursor)
		if err == nil {
			p.After, err = uuid.FromBytes(b)
		}
		if err != nil {
			return Page{}, &spectra.Error{Code: spectra.CodeInvalid, Message: "cursor is not one this server gave",
				Fields: []spectra.FieldError{{Field: "cursor", Message: "not a cursor of this list"}}}
		}
	}
	return p, nil
}

// after is the keyset bound: the largest possible id on the first page.
func (p Page) after() uuid.UUID {
	if p.After == uuid.Nil {
		return uuid.Max
	}
	return p.After
}

// next returns the cursor after the last of n fetched ids (the query
// fetched Limit+1 to know whether more follow) and trims the surplus.
func next[T any](items []T, limit int, id func(T) uuid.UUID) ([]T, string) {
	if len(items) <= limit {
		return items, ""
	}
	items = items[:limit]
	last := id(items[limit-1])
	return items, base64.RawURLEncoding.EncodeToString(last[:])
}
