package spectra

import (
	"bytes"
	"errors"
)

// JSONObject is a stored JSON object (a sample's, wafer's or device's
// metadata) kept as its text: read from jsonb and answered as it is,
// never decoded into a map and encoded again on the way (a list of 100
// samples spent a third of its server time there). The column holds
// objects only; an empty JSONObject is {}. Writes still take a
// map[string]any, which the edge validates (values.go).
type JSONObject []byte

// MarshalJSON writes the object as stored.
func (o JSONObject) MarshalJSON() ([]byte, error) {
	if len(o) == 0 {
		return []byte("{}"), nil
	}
	return o, nil
}

// UnmarshalJSON keeps a JSON object's text; anything else is an error.
func (o *JSONObject) UnmarshalJSON(b []byte) error {
	if t := bytes.TrimSpace(b); len(t) == 0 || t[0] != '{' {
		return errors.New("spectra: metadata must be a JSON object")
	}
	*o = append((*o)[:0], b...)
	return nil
}
