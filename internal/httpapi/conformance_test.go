package httpapi

import (
	"encoding/json"
	"fmt"
	"mime"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/danielgtaylor/huma/v2"
)

// Every JSON answer any test of this package receives through apiEnv.call
// is checked against the OpenAPI document the server publishes: the
// operation (method and path template), the status (or "default") and the
// content type must be described, and the body must validate against the
// schema as a response (huma's validator, ModeReadFromServer). A route
// whose answers drift from its documentation fails whichever test calls it.

type openAPIRoute struct {
	re     *regexp.Regexp
	path   string
	params int // a path with fewer parameters wins: /calibrations/status over /calibrations/{id}
}

var routeCache sync.Map // *huma.OpenAPI → []openAPIRoute

func openAPIRoutes(doc *huma.OpenAPI) []openAPIRoute {
	if v, ok := routeCache.Load(doc); ok {
		return v.([]openAPIRoute)
	}
	var out []openAPIRoute
	param := regexp.MustCompile(`\\\{[^/]+?\\\}`)
	for p := range doc.Paths {
		out = append(out, openAPIRoute{re: regexp.MustCompile("^" + param.ReplaceAllString(regexp.QuoteMeta(p), `[^/]+`) + "$"),
			path: p, params: strings.Count(p, "{")})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].params < out[j].params })
	routeCache.Store(doc, out)
	return out
}

// conformance returns what is wrong with an answer to method path, or "".
func conformance(api huma.API, method, path string, status int, contentType string, raw []byte) string {
	doc := api.OpenAPI()
	path, _, _ = strings.Cut(path, "?")
	var item *huma.PathItem
	for _, r := range openAPIRoutes(doc) {
		if r.re.MatchString(path) {
			item = doc.Paths[r.path]
			break
		}
	}
	if item == nil {
		return "" // not an API operation (the UI, a 404 for an unknown path)
	}
	op := map[string]*huma.Operation{"GET": item.Get, "POST": item.Post, "PUT": item.Put, "PATCH": item.Patch, "DELETE": item.Delete, "HEAD": item.Head}[method]
	if op == nil {
		return "" // a 405: the method is not an operation of the path
	}
	ct, _, _ := mime.ParseMediaType(contentType)
	if len(raw) == 0 || (ct != "application/json" && ct != "application/problem+json") {
		return ""
	}
	resp := op.Responses[strconv.Itoa(status)]
	if resp == nil {
		resp = op.Responses["default"]
	}
	if resp == nil {
		return fmt.Sprintf("%s %s: status %d is not documented", method, path, status)
	}
	mt := resp.Content[ct]
	if mt == nil && ct == "application/problem+json" {
		mt = resp.Content["application/json"]
	}
	if mt == nil || mt.Schema == nil {
		return fmt.Sprintf("%s %s: status %d with %s is not documented", method, path, status, ct)
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return fmt.Sprintf("%s %s: not JSON: %v", method, path, err)
	}
	res := &huma.ValidateResult{}
	huma.Validate(api.OpenAPI().Components.Schemas, mt.Schema, huma.NewPathBuffer([]byte{}, 0), huma.ModeReadFromServer, v, res)
	if len(res.Errors) > 0 {
		msgs := make([]string, 0, len(res.Errors))
		for _, e := range res.Errors {
			msgs = append(msgs, e.Error())
		}
		return fmt.Sprintf("%s %s → %d does not match the OpenAPI document: %s", method, path, status, strings.Join(msgs, "; "))
	}
	return ""
}

// TestConformanceCheckBites: the check above finds a body that drifts from
// the document, an undocumented content type, and picks the literal path
// over a templated one.
func TestConformanceCheckBites(t *testing.T) {
	e := newAPIEnv(t)
	sample := e.call("GET", "/api/lims/samples?limit=1", e.token("viewer@demo.lab", "view123"), nil)
	item, _ := json.Marshal(sample.Body["items"].([]any)[0])
	if msg := conformance(e.api, "GET", "/api/lims/samples/x", 200, "application/json", item); msg != "" {
		t.Fatalf("a real sample is flagged: %s", msg)
	}
	var m map[string]any
	_ = json.Unmarshal(item, &m)
	delete(m, "barcode")
	m["version"] = "one"
	bad, _ := json.Marshal(m)
	msg := conformance(e.api, "GET", "/api/lims/samples/x", 200, "application/json", bad)
	if !strings.Contains(msg, "barcode") || !strings.Contains(msg, "version") {
		t.Errorf("a drifted sample is not flagged precisely: %q", msg)
	}
	if msg := conformance(e.api, "GET", "/api/analysis/calibrations/status", 200, "application/json", item); !strings.Contains(msg, "does not match") {
		t.Errorf("a sample passes as the calibration status: %q", msg)
	}
}
