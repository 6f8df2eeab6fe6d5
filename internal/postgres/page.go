package postgres

import (
	"encoding/base64"

	"github.com/google/uuid"

	"github.com/spectra-lab/spectra/internal/spectra"
)

// Page is the domain's spectra.Page: one page of a list, newest first.
type Page = spectra.Page

// The limits of a page.
const (
	DefaultLimit = spectra.DefaultLimit
	MaxLimit     = spectra.MaxLimit
)

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
