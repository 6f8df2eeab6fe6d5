package httpapi

import (
	"math"
	"net/http"
	"sort"
	"strings"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"
)

// Building request bodies from the published OpenAPI document, so that
// tests that walk every field of every operation need no list of fields.

func sortedPaths(doc *huma.OpenAPI) []string {
	out := make([]string, 0, len(doc.Paths))
	for p := range doc.Paths {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// operationsOf lists the operations of a path item by method.
func operationsOf(item *huma.PathItem) map[string]*huma.Operation {
	out := map[string]*huma.Operation{}
	for m, op := range map[string]*huma.Operation{http.MethodGet: item.Get, http.MethodPost: item.Post, http.MethodPut: item.Put,
		http.MethodPatch: item.Patch, http.MethodDelete: item.Delete} {
		if op != nil {
			out[m] = op
		}
	}
	return out
}

// jsonBodySchema is the JSON request body schema of op, or nil.
func jsonBodySchema(op *huma.Operation) *huma.Schema {
	if op.RequestBody == nil || op.RequestBody.Content["application/json"] == nil {
		return nil
	}
	return op.RequestBody.Content["application/json"].Schema
}

// fillOpPath puts valid-looking values into a path's parameters: the first
// value of an enum, else a fresh UUID (a row that does not exist).
func fillOpPath(op *huma.Operation, path string) string {
	for _, p := range op.Parameters {
		if p.In != "path" {
			continue
		}
		v := uuid.NewString()
		if p.Schema != nil && len(p.Schema.Enum) > 0 {
			v, _ = p.Schema.Enum[0].(string)
		}
		path = strings.ReplaceAll(path, "{"+p.Name+"}", v)
	}
	return path
}

// bodyGen builds values that a schema accepts.
type bodyGen struct{ reg huma.Registry }

// resolve follows $ref and picks the non-null branch of anyOf [x, null].
func (g bodyGen) resolve(s *huma.Schema) *huma.Schema {
	for s != nil {
		switch {
		case s.Ref != "":
			s = g.reg.SchemaFromRef(s.Ref)
		case len(s.AnyOf) > 0:
			next := s.AnyOf[0]
			for _, a := range s.AnyOf {
				if a.Type != "null" {
					next = a
					break
				}
			}
			s = next
		default:
			return s
		}
	}
	return s
}

func (g bodyGen) validString(s *huma.Schema) string {
	if len(s.Enum) > 0 {
		v, _ := s.Enum[0].(string)
		return v
	}
	switch s.Format {
	case "uuid":
		return uuid.NewString()
	case "date-time":
		return "2026-01-01T00:00:00Z"
	case "email":
		return "someone@example.com"
	}
	n := 1
	if s.MinLength != nil && *s.MinLength > n {
		n = *s.MinLength
	}
	return strings.Repeat("x", n)
}

// valid is a value s accepts: required properties only, minimal arrays.
func (g bodyGen) valid(s *huma.Schema) any {
	s = g.resolve(s)
	switch s.Type {
	case "object":
		m := map[string]any{}
		for _, name := range s.Required {
			m[name] = g.valid(s.Properties[name])
		}
		return m
	case "array":
		out := []any{}
		if s.MinItems != nil {
			for range *s.MinItems {
				out = append(out, g.valid(s.Items))
			}
		}
		return out
	case "string":
		return g.validString(s)
	case "integer", "number":
		v := 1.0
		if s.Minimum != nil {
			v = math.Max(v, *s.Minimum)
		}
		if s.ExclusiveMinimum != nil {
			v = math.Max(v, *s.ExclusiveMinimum+1)
		}
		return v
	case "boolean":
		return false
	}
	return map[string]any{} // free-form
}

// seg is one step into a body: a property or the first array item.
type seg struct {
	prop   string // "" for an array item
	schema *huma.Schema
}

// leaf is a value in a body and what is out of range for it.
type leaf struct {
	path    string
	segs    []seg
	hostile any
}

// leaves lists, for every string, date-time and integer in s (every
// property, required or not, nested ones too) and every free-form object,
// the value that is out of range there.
func (g bodyGen) leaves(s *huma.Schema, path string, segs ...seg) []leaf {
	s = g.resolve(s)
	at := func(hostile any) []leaf {
		return []leaf{{path: path, segs: append([]seg{}, segs...), hostile: hostile}}
	}
	switch s.Type {
	case "object":
		var out []leaf
		names := make([]string, 0, len(s.Properties))
		for n := range s.Properties {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			out = append(out, g.leaves(s.Properties[n], joined(path, n), append(segs, seg{prop: n, schema: s.Properties[n]})...)...)
		}
		if len(s.Properties) == 0 && path != "" && s.AdditionalProperties != false {
			// A free-form object (metadata, parameters…): a NUL in a key,
			// and a NUL in a nested string.
			out = append(out, at(map[string]any{"a\x00b": 1})...)
			out = append(out, leaf{path: path + ".k", segs: append([]seg{}, segs...), hostile: map[string]any{"k": "x\x00"}})
		}
		return out
	case "array":
		return g.leaves(s.Items, indexed(path, 0), append(segs, seg{schema: s.Items})...)
	case "string":
		if s.Format == "date-time" {
			return at(y10k)
		}
		v := g.validString(s)
		return at(v[:1] + "\x00" + v[1:])
	case "integer":
		return at(int64(math.MaxInt32) + 1)
	}
	return nil
}

// setAt puts l's hostile value into body, creating the parents on its way
// as valid values.
func (g bodyGen) setAt(body any, l leaf) any {
	if len(l.segs) == 0 {
		return l.hostile
	}
	cur := body
	for i, sg := range l.segs {
		last := i == len(l.segs)-1
		switch c := cur.(type) {
		case map[string]any:
			if last {
				c[sg.prop] = l.hostile
				return body
			}
			if _, ok := c[sg.prop]; !ok {
				c[sg.prop] = g.valid(sg.schema)
			}
			cur = c[sg.prop]
		case []any:
			if len(c) == 0 {
				// Arrays hold at least one item here (minItems or not),
				// appended in place through the parent.
				c = append(c, g.valid(sg.schema))
				g.replace(body, l.segs[:i], c)
			}
			if last {
				c[0] = l.hostile
				return body
			}
			cur = c[0]
		}
	}
	return body
}

// replace sets the value at segs to v.
func (g bodyGen) replace(body any, segs []seg, v any) {
	cur := body
	for i, sg := range segs {
		last := i == len(segs)-1
		switch c := cur.(type) {
		case map[string]any:
			if last {
				c[sg.prop] = v
				return
			}
			cur = c[sg.prop]
		case []any:
			if last {
				c[0] = v
				return
			}
			cur = c[0]
		}
	}
}

// field is one property of a body, at any depth, with its schema.
type field struct {
	leaf
	schema *huma.Schema
}

// fields lists every property of s at any depth (objects and arrays
// themselves included, array items as [0]) and, in a free-form object, a
// property "k".
func (g bodyGen) fields(s *huma.Schema, path string, segs ...seg) []field {
	s = g.resolve(s)
	var out []field
	if path != "" {
		out = append(out, field{leaf: leaf{path: path, segs: append([]seg{}, segs...)}, schema: s})
	}
	switch s.Type {
	case "object":
		names := make([]string, 0, len(s.Properties))
		for n := range s.Properties {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			out = append(out, g.fields(s.Properties[n], joined(path, n), append(segs, seg{prop: n, schema: s.Properties[n]})...)...)
		}
		if len(s.Properties) == 0 && path != "" && s.AdditionalProperties != false {
			free := &huma.Schema{}
			out = append(out, field{leaf: leaf{path: path + ".k", segs: append(append([]seg{}, segs...), seg{prop: "k", schema: free})}, schema: free})
		}
	case "array":
		out = append(out, g.fields(s.Items, indexed(path, 0), append(segs, seg{schema: s.Items})...)...)
	}
	return out
}
