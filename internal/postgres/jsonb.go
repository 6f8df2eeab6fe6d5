package postgres

import (
	"database/sql/driver"
	"encoding/json"
)

// jsonValue is a parameter for a json or jsonb column, sent as the JSON's
// text in every execution mode. The modes that work behind PgBouncer's
// transaction pooling (exec, simple_protocol: docs/operations.md) know no
// parameter types and go by the Go type alone: they send a []byte as
// bytea, which jsonb refuses, and cannot send a map, slice or struct at
// all. Text is what PostgreSQL reads JSON from.
type jsonValue struct{ v any }

// jsonb wraps v, marshalled with encoding/json, as a json or jsonb parameter.
func jsonb(v any) jsonValue { return jsonValue{v} }

// Value implements driver.Valuer, which pgx uses for every mode.
func (j jsonValue) Value() (driver.Value, error) {
	b, err := json.Marshal(j.v)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}
