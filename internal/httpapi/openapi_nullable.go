package httpapi

import (
	"reflect"
	"strings"

	"github.com/danielgtaylor/huma/v2"
)

// nullableStructPointers documents what encoding/json does with a nil
// pointer to a struct in a field without omitempty: it writes null. huma
// marks pointers to scalars nullable itself but refuses `nullable:"true"`
// on a field whose schema is a $ref, so such a property becomes
// anyOf [$ref, null] here, once every route is registered.
func nullableStructPointers(api huma.API) {
	reg := api.OpenAPI().Components.Schemas
	for name, s := range reg.Map() {
		t := reg.TypeFromRef("#/components/schemas/" + name)
		if t == nil || s == nil || s.Properties == nil {
			continue
		}
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			continue
		}
		markNullable(t, s)
	}
}

func markNullable(t reflect.Type, s *huma.Schema) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.Anonymous && name == "" {
			if ft := f.Type; ft.Kind() == reflect.Struct {
				markNullable(ft, s)
			}
			continue
		}
		if !f.IsExported() || name == "-" || strings.Contains(opts, "omitempty") || f.Type.Kind() != reflect.Pointer {
			continue
		}
		if name == "" {
			name = f.Name
		}
		p := s.Properties[name]
		if p == nil || p.Ref == "" {
			continue
		}
		s.Properties[name] = &huma.Schema{Description: p.Description,
			AnyOf: []*huma.Schema{{Ref: p.Ref}, {Type: "null"}}}
		p.Description = ""
	}
}
