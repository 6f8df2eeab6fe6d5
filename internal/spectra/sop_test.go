package spectra

import "testing"

func TestSOPSignedContent(t *testing.T) {
	got := string(SOPSignedContent("SOP-1", "Title \"q\"", "# Body\n", 3))
	want := `{"body_markdown":"# Body\n","code":"SOP-1","revision":3,"title":"Title \"q\""}`
	if got != want {
		t.Fatalf("content\n got %s\nwant %s", got, want)
	}
	base := SOP{Code: "SOP-1", Title: "T", BodyMarkdown: "B", Revision: 1}
	sum := SOPContentSHA256(base)
	for name, s := range map[string]SOP{
		"code":     {Code: "SOP-2", Title: "T", BodyMarkdown: "B", Revision: 1},
		"title":    {Code: "SOP-1", Title: "T2", BodyMarkdown: "B", Revision: 1},
		"body":     {Code: "SOP-1", Title: "T", BodyMarkdown: "B.", Revision: 1},
		"revision": {Code: "SOP-1", Title: "T", BodyMarkdown: "B", Revision: 2},
		// The encoding keeps fields apart: moving text between title
		// and body is a different document.
		"boundary": {Code: "SOP-1", Title: "", BodyMarkdown: "TB", Revision: 1},
	} {
		if SOPContentSHA256(s) == sum {
			t.Errorf("changing %s keeps the digest", name)
		}
	}
}
