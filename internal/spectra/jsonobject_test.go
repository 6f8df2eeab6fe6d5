package spectra

import (
	"encoding/json"
	"testing"
)

func TestJSONObjectPassesThrough(t *testing.T) {
	type doc struct {
		Metadata JSONObject `json:"metadata"`
	}
	stored := `{"lot": "L100", "nested": {"a": [1, 2.5e-3]}, "text": "\u00e9"}`
	out, err := json.Marshal(doc{Metadata: JSONObject(stored)})
	if err != nil {
		t.Fatal(err)
	}
	// encoding/json compacts a marshaler's output; the content is unchanged.
	if want := `{"metadata":{"lot":"L100","nested":{"a":[1,2.5e-3]},"text":"\u00e9"}}`; string(out) != want {
		t.Fatalf("%s, want %s", out, want)
	}
	empty, _ := json.Marshal(doc{})
	if string(empty) != `{"metadata":{}}` {
		t.Fatalf("empty: %s", empty)
	}
	var back doc
	if err := json.Unmarshal(empty, &back); err != nil || string(back.Metadata) != `{}` {
		t.Fatalf("round trip: %q %v", back.Metadata, err)
	}
	for _, bad := range []string{`{"metadata":[1]}`, `{"metadata":"x"}`, `{"metadata":null}`} {
		if err := json.Unmarshal([]byte(bad), &back); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}
