package httpapi

import (
	"strconv"
	"strings"

	"github.com/spectra-lab/spectra/internal/spectra"
)

// Optimistic concurrency at the edge: what an update names as the version
// it replaces, and the ETag an answer carries. The comparison is the
// store's (internal/postgres/version.go).

// ifMatch reads an If-Match version ("3" or W/"3"); empty: no condition.
func ifMatch(h string) (int, error) {
	if h == "" {
		return 0, nil
	}
	v, err := strconv.Atoi(strings.Trim(strings.TrimPrefix(strings.TrimSpace(h), "W/"), `"`))
	if err != nil || v < 1 {
		return 0, &spectra.Error{Code: spectra.CodeInvalid, Message: "If-Match must be an ETag this server gave",
			Fields: []spectra.FieldError{{Field: "header.If-Match", Message: "not an ETag of this resource"}}}
	}
	return v, nil
}

// updateVersion is the one rule of every update (PUT or PATCH) of a
// versioned row, and every update handler calls it before the store: the
// request names the version it replaces, as If-Match with the ETag read
// (stale: 412) or as version in the body (stale: 409). With neither it is
// a 428: an update without one would be the silent last-writer-wins that
// optimistic concurrency exists to prevent. It returns the If-Match
// version, 0 when only the body names one; a malformed If-Match is a 422.
// TestUpdatesNeedAVersion walks every PUT and PATCH route to hold each to
// it.
func updateVersion(ifMatchHeader string, bodyVersion int) (int, error) {
	match, err := ifMatch(ifMatchHeader)
	if err != nil {
		return 0, err
	}
	if match == 0 && bodyVersion == 0 {
		return 0, &spectra.Error{Code: spectra.CodePreconditionRequired,
			Message: "an update must name the version it replaces: send If-Match with the ETag you read (or version in the body)",
			Fields: []spectra.FieldError{
				{Field: "header.If-Match", Message: "required: the ETag as last read (or give version)"},
				{Field: "version", Message: "required: the version as last read (or send If-Match)"},
			}}
	}
	return match, nil
}

// etag is the ETag of a row at version v; If-Match sends it back.
func etag(v int) string { return strconv.Quote(strconv.Itoa(v)) }
