package spectra

import (
	"math"
	"strings"
	"time"
	"unicode/utf8"
)

// The values every stored value lies within (PRODUCT.md §12): what the API
// accepts it must be able to return, and encoding/json cannot write a
// non-finite number or a year after 9999, nor PostgreSQL store a NUL or an
// integer wider than its column. The HTTP edge applies these to every
// decoded input; the domain applies them to what it derives (control
// limits).
var (
	// EarliestTime is the earliest instant accepted: 1900-01-01 in UTC.
	EarliestTime = time.Date(1900, time.January, 1, 0, 0, 0, 0, time.UTC)
	// LatestTime is the last instant accepted: the last microsecond (the
	// resolution of timestamptz) of 9999 in UTC. A later nanosecond would
	// be rounded by PostgreSQL into year 10000.
	LatestTime = time.Date(9999, time.December, 31, 23, 59, 59, 999999000, time.UTC)
)

// The messages of out-of-range values, one per rule, so that every field
// breaking a rule says the same.
const (
	MsgNotFinite  = "must be a finite number"
	MsgTimeRange  = "must lie between 1900-01-01T00:00:00Z and 9999-12-31T23:59:59Z (UTC)"
	MsgNUL        = "must not hold a NUL character"
	MsgUTF8       = "must be valid UTF-8"
	MsgInt32Range = "must lie between -2147483648 and 2147483647"
	MsgKeyNUL     = "keys must not hold a NUL character"
	MsgKeyUTF8    = "keys must be valid UTF-8"
)

// CheckFloat returns why v cannot be stored, or "".
func CheckFloat(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return MsgNotFinite
	}
	return ""
}

// CheckTime returns why t cannot be stored, or "": it must lie within
// EarliestTime and LatestTime, whatever its zone.
func CheckTime(t time.Time) string {
	if t.Before(EarliestTime) || t.After(LatestTime) {
		return MsgTimeRange
	}
	return ""
}

// CheckText returns why s cannot be stored as text, or "": PostgreSQL
// text and jsonb refuse NUL, and text must be UTF-8.
func CheckText(s string) string {
	switch {
	case strings.IndexByte(s, 0) >= 0:
		return MsgNUL
	case !utf8.ValidString(s):
		return MsgUTF8
	}
	return ""
}

// CheckInt32 returns why v does not fit an integer column, or "".
func CheckInt32(v int64) string {
	if v < math.MinInt32 || v > math.MaxInt32 {
		return MsgInt32Range
	}
	return ""
}
