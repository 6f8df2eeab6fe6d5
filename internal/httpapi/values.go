package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/spectra-lab/spectra/internal/spectra"
)

// Values at the edge (PRODUCT.md §12): whatever the API accepts it can
// return. register runs checkInput on every decoded input before the
// handler, so no route and no field added later can skip it; the rules
// themselves are the domain's (spectra.CheckFloat, CheckTime, CheckText,
// CheckInt32). What a handler derives from valid input (control limits) is
// checked where it is derived, in the domain.

// maxValueErrors bounds the field errors of one answer: a body of 10 000
// bad points needs no 10 000-line reply.
const maxValueErrors = 20

var (
	timeType       = reflect.TypeFor[time.Time]()
	rawMessageType = reflect.TypeFor[json.RawMessage]()
)

// checkInput walks a decoded huma input struct: its path, query, header
// and cookie parameters (named "path.id", "query.from", …) and its Body
// (fields named as JSON names them, the way huma's 422s do: "sigma",
// "points[3].ts", "metadata.key"). Every float must be finite, every time
// within spectra.EarliestTime..LatestTime, every string (map keys and
// strings nested in free-form JSON included) NUL-free UTF-8, and every Go
// int fit int32, the width of our integer columns. RawBody is the
// handler's to decode; it calls checkValue on what it decodes. The error
// is CodeInvalid naming each field, or nil.
func checkInput(in any) error {
	var c valueChecker
	c.input(reflect.ValueOf(in))
	return c.err()
}

// checkValue checks one decoded value the way checkInput checks a Body,
// its fields named under prefix.
func checkValue(prefix string, v any) error {
	var c valueChecker
	c.value(prefix, reflect.ValueOf(v), false)
	return c.err()
}

type valueChecker struct {
	fields []spectra.FieldError
	more   int // errors beyond maxValueErrors
}

func (c *valueChecker) add(field, msg string) {
	if len(c.fields) == maxValueErrors {
		c.more++
		return
	}
	if field == "" {
		field = "body"
	}
	c.fields = append(c.fields, spectra.FieldError{Field: field, Message: msg})
}

func (c *valueChecker) err() error {
	if len(c.fields) == 0 {
		return nil
	}
	msg := c.fields[0].Field + " " + c.fields[0].Message
	if n := len(c.fields) - 1 + c.more; n > 0 {
		msg += fmt.Sprintf(" (and %d more values out of range)", n)
	}
	return &spectra.Error{Code: spectra.CodeInvalid, Message: msg, Fields: c.fields}
}

// input walks the top level of an input struct.
func (c *valueChecker) input(v reflect.Value) {
	v = reflect.Indirect(v)
	if v.Kind() != reflect.Struct {
		return
	}
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		switch loc, name := paramOf(f); {
		case loc != "":
			// An absent parameter is its zero value: a zero time is no time.
			c.value(loc+"."+name, v.Field(i), f.Tag.Get("required") != "true")
		case f.Name == "Body":
			c.value("", v.Field(i), false)
		case f.Anonymous:
			c.input(v.Field(i))
		}
	}
}

// paramOf returns where a parameter field comes from and its name, or "".
func paramOf(f reflect.StructField) (loc, name string) {
	for _, loc := range []string{"path", "query", "header", "cookie"} {
		if tag, ok := f.Tag.Lookup(loc); ok {
			name, _, _ = strings.Cut(tag, ",")
			if name == "" {
				name = f.Name
			}
			return loc, name
		}
	}
	return "", ""
}

// value checks v, named name. mayBeAbsent says a zero time means "not
// given" rather than the year 1: an optional parameter or a JSON field
// with omitempty.
func (c *valueChecker) value(name string, v reflect.Value, mayBeAbsent bool) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			c.value(name, v.Elem(), false)
		}
	case reflect.String:
		c.check(name, spectra.CheckText(v.String()))
	case reflect.Float32, reflect.Float64:
		c.check(name, spectra.CheckFloat(v.Float()))
	case reflect.Int:
		c.check(name, spectra.CheckInt32(v.Int()))
	case reflect.Uint:
		if v.Uint() > 1<<31-1 {
			c.add(name, spectra.MsgInt32Range)
		}
	case reflect.Struct:
		if v.Type() == timeType {
			if t := v.Interface().(time.Time); !(mayBeAbsent && t.IsZero()) {
				c.check(name, spectra.CheckTime(t))
			}
			return
		}
		c.fieldsOf(name, v)
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			if v.Type() == rawMessageType && v.Len() > 0 {
				c.rawJSON(name, v.Bytes())
			}
			return // bytes, not text: a UUID, a raw body
		}
		for i := range v.Len() {
			c.value(indexed(name, i), v.Index(i), false)
		}
	case reflect.Map:
		keyIsText := v.Type().Key().Kind() == reflect.String
		for it := v.MapRange(); it.Next(); {
			key := ""
			if keyIsText {
				key = it.Key().String()
				if msg := spectra.CheckText(key); msg != "" {
					c.add(name, map[string]string{spectra.MsgNUL: spectra.MsgKeyNUL, spectra.MsgUTF8: spectra.MsgKeyUTF8}[msg])
					continue // the key cannot name the value
				}
			} else {
				key = fmt.Sprint(it.Key().Interface())
			}
			c.value(joined(name, key), it.Value(), false)
		}
	}
}

func (c *valueChecker) check(name, msg string) {
	if msg != "" {
		c.add(name, msg)
	}
}

// fieldsOf checks the exported fields of a struct by their JSON names;
// embedded structs without a name are flattened, as encoding/json does.
func (c *valueChecker) fieldsOf(name string, v reflect.Value) {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if tag == "-" && opts == "" {
			continue
		}
		if f.Anonymous && tag == "" {
			if fv := reflect.Indirect(v.Field(i)); fv.Kind() == reflect.Struct {
				c.fieldsOf(name, fv)
				continue
			}
		}
		if tag == "" {
			tag = f.Name
		}
		optional := strings.Contains(opts, "omitempty") || strings.Contains(opts, "omitzero") || f.Tag.Get("required") == "false"
		c.value(joined(name, tag), v.Field(i), optional)
	}
}

// rawJSON checks the strings and numbers inside free-form JSON.
func (c *valueChecker) rawJSON(name string, raw []byte) {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		c.add(name, "must be valid JSON")
		return
	}
	c.value(name, reflect.ValueOf(v), false)
}

func joined(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

func indexed(prefix string, i int) string {
	if prefix == "" {
		prefix = "body"
	}
	return prefix + "[" + strconv.Itoa(i) + "]"
}

// uuidSchema documents a uuid.UUID as what it is, a string in the uuid
// format. Without it huma describes a plain string, so a malformed id in a
// body failed only when decoded, named "body" rather than its field.
type uuidSchema string

// Schema makes uuidSchema a huma.SchemaProvider.
func (uuidSchema) Schema(huma.Registry) *huma.Schema {
	return &huma.Schema{Type: "string", Format: "uuid"}
}

// documentUUIDs makes every uuid.UUID in the API's schemas a string of
// format uuid, which huma validates and names; call it before the first
// route is registered.
func documentUUIDs(api huma.API) {
	api.OpenAPI().Components.Schemas.RegisterTypeAlias(reflect.TypeFor[uuid.UUID](), reflect.TypeFor[uuidSchema]())
}

// validateJSON validates a body a handler reads raw against the schema of
// Go type T, as huma validates every other body: errors name the field
// ("results[3].device_id"). It returns nil or a 422 problem.
func validateJSON[T any](api huma.API, raw []byte) error {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil // the handler's decoder says what is wrong with it
	}
	reg := api.OpenAPI().Components.Schemas
	res := &huma.ValidateResult{}
	pb := huma.NewPathBuffer([]byte{}, 0)
	pb.Push("body")
	huma.Validate(reg, reg.Schema(reflect.TypeFor[T](), true, ""), pb, huma.ModeWriteToServer, v, res)
	if len(res.Errors) == 0 {
		return nil
	}
	return humaProblem(http.StatusUnprocessableEntity, "validation failed", res.Errors...)
}

// documentInt32 states in the published schemas what checkInput enforces
// for Go ints, the int32 range of our integer columns. Huma then validates
// it before decoding and names the field even of a number beyond int64,
// which encoding/json could only refuse as "body"; clients read the range
// from the document. It follows each registered input type into its
// operation's parameters and body, so only Go ints get the bound.
func (s *server) documentInt32() {
	doc := s.api.OpenAPI()
	reg := doc.Components.Schemas
	for _, r := range s.routes {
		item := doc.Paths[r.Path]
		if r.input == nil || item == nil {
			continue
		}
		op := map[string]*huma.Operation{http.MethodGet: item.Get, http.MethodPost: item.Post, http.MethodPut: item.Put,
			http.MethodPatch: item.Patch, http.MethodDelete: item.Delete}[r.Method]
		if op == nil {
			continue
		}
		for i := range r.input.NumField() {
			f := r.input.Field(i)
			if loc, name := paramOf(f); loc != "" {
				for _, p := range op.Parameters {
					if p.In == loc && p.Name == name {
						boundInts(reg, f.Type, p.Schema)
					}
				}
			} else if f.Name == "Body" && op.RequestBody != nil && op.RequestBody.Content["application/json"] != nil {
				boundInts(reg, f.Type, op.RequestBody.Content["application/json"].Schema)
			}
		}
	}
}

// boundInts narrows the integer schemas of Go ints in t, as described by
// s, to int32.
func boundInts(reg huma.Registry, t reflect.Type, s *huma.Schema) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if s != nil && s.Ref != "" {
		s = reg.SchemaFromRef(s.Ref)
	}
	if s == nil {
		return
	}
	for _, alt := range s.AnyOf {
		boundInts(reg, t, alt)
	}
	switch t.Kind() {
	case reflect.Int:
		if s.Type != "integer" {
			return
		}
		lo, hi := float64(math.MinInt32), float64(math.MaxInt32)
		if s.Minimum == nil || *s.Minimum < lo {
			s.Minimum = &lo
		}
		if s.Maximum == nil || *s.Maximum > hi {
			s.Maximum = &hi
		}
		s.Format = "int32"
		s.PrecomputeMessages()
	case reflect.Struct:
		if t == timeType {
			return
		}
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			switch {
			case !f.IsExported() || name == "-":
			case f.Anonymous && name == "":
				boundInts(reg, f.Type, s)
			default:
				if name == "" {
					name = f.Name
				}
				boundInts(reg, f.Type, s.Properties[name])
			}
		}
	case reflect.Slice, reflect.Array:
		boundInts(reg, t.Elem(), s.Items)
	case reflect.Map:
		if ap, ok := s.AdditionalProperties.(*huma.Schema); ok {
			boundInts(reg, t.Elem(), ap)
		}
	}
}

// jsonFormat is huma's JSON format, except that a value encoding/json
// cannot write (+Inf, a year after 9999) panics before a byte is written.
// Huma would instead send its status, then the text "error marshaling
// response", then panic: a torn answer. Because recoverPanics holds the
// status back until the body starts, the panic becomes a clean 500 problem.
var jsonFormat = huma.Format{
	Marshal: func(w io.Writer, v any) error {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		err := enc.Encode(v) // writes nothing unless the whole value encodes
		var unsupportedValue *json.UnsupportedValueError
		var unsupportedType *json.UnsupportedTypeError
		var marshaler *json.MarshalerError
		if errors.As(err, &unsupportedValue) || errors.As(err, &unsupportedType) || errors.As(err, &marshaler) {
			panic(fmt.Errorf("encode response: %w", err))
		}
		return err
	},
	Unmarshal: func(data []byte, v any) error {
		if err := checkJSONText(data); err != nil {
			return err
		}
		return json.Unmarshal(data, v)
	},
}

// errLoneSurrogate refuses JSON that escapes half of a UTF-16 surrogate
// pair ("\ud800"): encoding/json would silently store U+FFFD instead, a
// value other than the one sent.
var errLoneSurrogate = errors.New(`a string holds a lone UTF-16 surrogate (\ud800–\udfff), which is no character`)

// checkJSONText finds what encoding/json accepts but would not decode
// faithfully: a lone surrogate escape.
func checkJSONText(data []byte) error {
	if bytes.IndexByte(data, '\\') < 0 {
		return nil
	}
	for i := 0; i < len(data); i++ {
		if data[i] != '\\' || i+1 >= len(data) {
			continue
		}
		if data[i+1] != 'u' {
			i++ // an escaped character, perhaps a backslash
			continue
		}
		r, ok := hex4(data[i+2:])
		switch {
		case !ok:
		case 0xD800 <= r && r <= 0xDBFF:
			if low, ok := hex4(data[min(i+8, len(data)):]); !ok || i+7 >= len(data) || data[i+6] != '\\' || data[i+7] != 'u' || low < 0xDC00 || low > 0xDFFF {
				return errLoneSurrogate
			}
			i += 11
			continue
		case 0xDC00 <= r && r <= 0xDFFF:
			return errLoneSurrogate
		}
		i += 5
	}
	return nil
}

// hex4 reads four hex digits.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	v, err := strconv.ParseUint(string(b[:4]), 16, 16)
	return rune(v), err == nil
}
