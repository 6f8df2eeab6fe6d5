package httpapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/spectra-lab/spectra/internal/blobstore"
	"github.com/spectra-lab/spectra/internal/blobstore/s3test"
	"github.com/spectra-lab/spectra/internal/dataseries"
	"github.com/spectra-lab/spectra/internal/postgres"
)

// anRunFile is the raw CSV of demo-lab's first run's IV sweep.
var anRunFile = postgres.SeedID("demo-lab", "file", "1", "iv").String()

func init() {
	crossOrgCases = append(crossOrgCases, func(e *apiEnv, _ string) map[string]crossOrgCase {
		out := map[string]crossOrgCase{}
		owners := map[string]string{"/api/analysis/runs": anRun, "/api/analysis/calibrations": anSMUCal,
			"/api/lims/eln": anELNEntry(e), "/api/lims/sops": e.sopID("demo-lab", "SOP-IV-001")}
		for _, o := range fileOwnerRoutes {
			ids := map[string]string{"id": owners[o.base], "file_id": anRunFile}
			for _, k := range []string{"POST " + o.base + "/{id}/files", "GET " + o.base + "/{id}/files",
				"GET " + o.base + "/{id}/files/{file_id}", "DELETE " + o.base + "/{id}/files/{file_id}"} {
				out[k] = crossOrgCase{ids: ids}
			}
		}
		return out
	})
}

// anELNEntry is an unsigned demo-lab notebook entry.
func anELNEntry(e *apiEnv) string {
	var id string
	if err := e.db.Pool().QueryRow(context.Background(), `SELECT id::text FROM eln_entries
		WHERE organization_id = $1 AND locked_at IS NULL AND deleted_at IS NULL ORDER BY id LIMIT 1`, e.orgID("demo-lab")).Scan(&id); err != nil {
		e.tb.Fatal(err)
	}
	return id
}

// multipartBody is a form with one part per (field, filename, content).
func multipartBody(t testing.TB, parts ...[3]string) (string, []byte) {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for _, p := range parts {
		fw, err := w.CreateFormFile(p[0], p[1])
		if err != nil {
			t.Fatal(err)
		}
		fw.Write([]byte(p[2]))
	}
	w.Close()
	return w.FormDataContentType(), b.Bytes()
}

// uploadFile posts content as filename to path's files.
func (e *apiEnv) uploadFile(path, token, filename, content string) response {
	e.tb.Helper()
	ct, body := multipartBody(e.tb, [3]string{"file", filename, content})
	return sendRaw(e, http.MethodPost, path+"/files", token, ct, string(body))
}

// download fetches a file; err is the transfer's, if it broke off.
func (e *apiEnv) download(path, token string) (*http.Response, []byte, error) {
	e.tb.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.ts.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}

// fileStores are the two object stores the file tests run against: a
// directory and a bucket of a real S3-compatible server (versitygw). Each
// returns the store and how to damage an object behind its back.
func fileStores(t *testing.T) map[string]struct {
	st     blobstore.Store
	damage func(key string)
} {
	dir, err := blobstore.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	srv := s3test.Shared(t)
	bucket := srv.NewBucket(t)
	overwrite := func(path string) {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		b[len(b)/2] ^= 0xff
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return map[string]struct {
		st     blobstore.Store
		damage func(key string)
	}{
		"dir": {dir, func(key string) { overwrite(dir.Path(key)) }},
		"s3":  {bucket, func(key string) { overwrite(srv.ObjectPath(bucket.Bucket(), key)) }},
	}
}

// TestFilesAPI walks a run's raw files through both object stores: an
// instrument's CSV becomes a series with its derived result and keeps
// its file; a PDF and an unreadable text file are kept as files and say
// so; the same bytes are stored once; a download carries and checks the
// digest and is audited; damaged bytes break the transfer off; deleting
// is soft; a completed run's files are final; bad requests are 4xx.
func TestFilesAPI(t *testing.T) {
	for name, fs := range fileStores(t) {
		t.Run(name, func(t *testing.T) {
			e := newAPIEnv(t, withFiles(fs.st))
			eng := e.token("engineer@demo.lab", "eng123")
			viewer := e.token("viewer@demo.lab", "view123")
			tech := e.token("tech@demo.lab", "tech123")
			run := plannedDemoRun(e, eng)
			if r := e.call(http.MethodPost, "/api/analysis/runs/"+run+"/start", eng, map[string]any{}); r.Status != http.StatusOK {
				t.Fatalf("start: %d %s", r.Status, r.Raw)
			}
			runPath := "/api/analysis/runs/" + run
			csv := ivCSV(201)
			r := e.uploadFile(runPath, eng, `C:\Data\W12\iv "sweep".csv`, csv)
			if r.Status != http.StatusCreated {
				t.Fatalf("upload: %d %s", r.Status, r.Raw)
			}
			sum := sha256.Sum256([]byte(csv))
			if r.str("name") != `iv "sweep".csv` || r.str("media_type") != "text/csv" || r.Body["size"] != float64(len(csv)) ||
				r.str("sha256") != hex.EncodeToString(sum[:]) || r.str("owner_kind") != "run" || r.str("owner_id") != run {
				t.Fatalf("stored file %s", r.Raw)
			}
			fileID := r.str("id")
			if r.Header.Get("Location") != runPath+"/files/"+fileID {
				t.Fatalf("Location %q", r.Header.Get("Location"))
			}
			series, _ := r.Body["series"].(map[string]any)
			if series == nil || series["rows"] != 201.0 || series["file_id"] != fileID || !strings.HasPrefix(r.str("note"), "Read as a data series") {
				t.Fatalf("the CSV did not become a series: %s", r.Raw)
			}
			if d, _ := series["derived"].([]any); len(d) != 1 || d[0].(map[string]any)["metric"] != "threshold_voltage" {
				t.Fatalf("derived %v", series["derived"])
			}

			pdf := "%PDF-1.7\n" + string(randomBytes(t, 3000))
			r = e.uploadFile(runPath, eng, "certificate.pdf", pdf)
			if r.Status != http.StatusCreated || r.str("media_type") != "application/pdf" || r.Body["series"] != nil ||
				!strings.Contains(r.str("note"), "not a format a parser reads") {
				t.Fatalf("a PDF: %d %s", r.Status, r.Raw)
			}
			r = e.uploadFile(runPath, eng, "notes.txt", "V [V],I [A]\n1,2\n3,x\n")
			if r.Status != http.StatusCreated || r.Body["series"] != nil || !strings.Contains(r.str("note"), "line 3") {
				t.Fatalf("an unreadable text file: %d %s", r.Status, r.Raw)
			}
			// The same bytes again: a second file, the same object.
			r = e.uploadFile(runPath, eng, "again.pdf", pdf)
			if r.Status != http.StatusCreated {
				t.Fatalf("again: %d %s", r.Status, r.Raw)
			}
			var keys, objects int
			if err := e.db.Pool().QueryRow(context.Background(), `SELECT count(*), count(DISTINCT storage_key) FROM files WHERE run_id = $1`, run).Scan(&keys, &objects); err != nil {
				t.Fatal(err)
			}
			if keys != 4 || objects != 3 {
				t.Fatalf("%d files in %d objects, want 4 in 3", keys, objects)
			}

			list := e.call(http.MethodGet, runPath+"/files", viewer, nil)
			if items, _ := list.Body["items"].([]any); list.Status != http.StatusOK || len(items) != 4 {
				t.Fatalf("list: %d %s", list.Status, list.Raw)
			}
			resp, got, err := e.download(runPath+"/files/"+fileID, viewer)
			if err != nil || resp.StatusCode != http.StatusOK || string(got) != csv {
				t.Fatalf("download: %v %v, %d bytes", resp, err, len(got))
			}
			if resp.Header.Get("Repr-Digest") != "sha-256=:"+base64.StdEncoding.EncodeToString(sum[:])+":" ||
				!strings.HasPrefix(resp.Header.Get("Content-Disposition"), `attachment; filename="iv _sweep_.csv"`) ||
				resp.Header.Get("Content-Type") != "text/csv" || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "sandbox") {
				t.Fatalf("download headers %v", resp.Header)
			}
			var downloads int
			if err := e.db.Pool().QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE table_name = 'files' AND row_id = $1 AND action = 'DOWNLOAD' AND actor_id IS NOT NULL`,
				fileID).Scan(&downloads); err != nil || downloads != 1 {
				t.Fatalf("%d downloads on record (%v), want 1", downloads, err)
			}

			// Damaged bytes: the transfer breaks off, never a wrong file.
			var key string
			if err := e.db.Pool().QueryRow(context.Background(), `SELECT storage_key FROM files WHERE id = $1`, fileID).Scan(&key); err != nil {
				t.Fatal(err)
			}
			fs.damage(key)
			if resp, got, err := e.download(runPath+"/files/"+fileID, viewer); err == nil {
				t.Fatalf("a damaged file downloaded whole: %d, %d bytes", resp.StatusCode, len(got))
			}

			// Who may: a technician who does not operate the run may not
			// attach to it; a viewer may not at all.
			if r := e.uploadFile(runPath, tech, "x.csv", csv); r.Status != http.StatusForbidden {
				t.Fatalf("technician: %d %s", r.Status, r.Raw)
			}
			if r := e.uploadFile(runPath, viewer, "x.csv", csv); r.Status != http.StatusForbidden {
				t.Fatalf("viewer: %d %s", r.Status, r.Raw)
			}

			// Bad requests name what is wrong and store nothing.
			var before int
			e.db.Pool().QueryRow(context.Background(), `SELECT count(*) FROM files`).Scan(&before)
			if r := sendRaw(e, http.MethodPost, runPath+"/files", eng, "text/csv", csv); r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Raw), "header.Content-Type") {
				t.Fatalf("not multipart: %d %s", r.Status, r.Raw)
			}
			ct, body := multipartBody(t, [3]string{"attachment", "a.csv", csv})
			if r := sendRaw(e, http.MethodPost, runPath+"/files", eng, ct, string(body)); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.str("detail"), "found a part named \"attachment\"") {
				t.Fatalf("a part of another name: %d %s", r.Status, r.Raw)
			}
			ct, body = multipartBody(t, [3]string{"file", "a.csv", csv}, [3]string{"file", "b.csv", csv})
			if r := sendRaw(e, http.MethodPost, runPath+"/files", eng, ct, string(body)); r.Status != http.StatusUnprocessableEntity {
				t.Fatalf("two files: %d %s", r.Status, r.Raw)
			}
			ct, body = multipartBody(t, [3]string{"file", "a.csv", csv})
			if r := sendRaw(e, http.MethodPost, runPath+"/files", eng, ct, string(body[:len(body)/2])); r.Status != http.StatusUnprocessableEntity {
				t.Fatalf("a truncated body: %d %s", r.Status, r.Raw)
			}
			e.srv.maxUpload = 4096
			if r := e.uploadFile(runPath, eng, "big.bin", string(randomBytes(t, 10000))); r.Status != http.StatusRequestEntityTooLarge {
				t.Fatalf("over the upload limit: %d %s", r.Status, r.Raw)
			}
			e.srv.maxUpload = DefaultMaxUploadBytes
			var after int
			e.db.Pool().QueryRow(context.Background(), `SELECT count(*) FROM files`).Scan(&after)
			if after != before {
				t.Fatalf("refused uploads left %d file rows", after-before)
			}

			// Deleting is soft, audited, and hides the file.
			pdfID := list.Body["items"].([]any)[1].(map[string]any)["id"].(string)
			if r := e.call(http.MethodDelete, runPath+"/files/"+pdfID, eng, nil); r.Status != http.StatusNoContent {
				t.Fatalf("delete: %d %s", r.Status, r.Raw)
			}
			if r := e.call(http.MethodGet, runPath+"/files/"+pdfID, viewer, nil); r.Status != http.StatusNotFound {
				t.Fatalf("a deleted file: %d", r.Status)
			}
			var deletedBy *string
			if err := e.db.Pool().QueryRow(context.Background(), `SELECT deleted_by::text FROM files WHERE id = $1 AND deleted_at IS NOT NULL`, pdfID).Scan(&deletedBy); err != nil || deletedBy == nil {
				t.Fatalf("the deleted row: %v %v", deletedBy, err)
			}

			// A completed run's files are final.
			if r := e.call(http.MethodPost, runPath+"/complete", eng, map[string]any{}); r.Status != http.StatusOK {
				t.Fatalf("complete: %d %s", r.Status, r.Raw)
			}
			if r := e.uploadFile(runPath, eng, "late.csv", csv); r.Status != http.StatusConflict {
				t.Fatalf("upload to a completed run: %d %s", r.Status, r.Raw)
			}
			if r := e.call(http.MethodDelete, runPath+"/files/"+fileID, eng, nil); r.Status != http.StatusConflict {
				t.Fatalf("delete from a completed run: %d %s", r.Status, r.Raw)
			}
			if r := e.call(http.MethodGet, runPath+"/files", viewer, nil); len(r.Body["items"].([]any)) != 3 {
				t.Fatalf("after completion: %s", r.Raw)
			}
			// The database holds the rule too, for every role.
			if _, err := e.db.Pool().Exec(context.Background(), `UPDATE files SET deleted_at = now() WHERE id = $1`, fileID); err == nil {
				t.Fatal("a completed run's file was deleted behind the API")
			}
		})
	}
}

// TestFileOwners: a certificate on a calibration, attachments on an
// unsigned notebook entry and an SOP draft; a signed entry and an
// approved SOP take none.
func TestFileOwners(t *testing.T) {
	e := newAPIEnv(t)
	eng := e.token("engineer@demo.lab", "eng123")
	viewer := e.token("viewer@demo.lab", "view123")
	cert := "%PDF-1.4\n" + string(randomBytes(t, 500))
	draft := e.call(http.MethodPost, "/api/lims/sops", eng, map[string]any{"code": "SOP-FILES-001", "title": "Attachments"})
	if draft.Status != http.StatusCreated {
		t.Fatalf("draft: %d %s", draft.Status, draft.Raw)
	}
	var signed string
	if err := e.db.Pool().QueryRow(context.Background(), `SELECT id::text FROM eln_entries WHERE organization_id = $1 AND locked_at IS NOT NULL LIMIT 1`,
		e.orgID("demo-lab")).Scan(&signed); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]int{
		"/api/analysis/calibrations/" + anSMUCal:                      http.StatusCreated,
		"/api/lims/eln/" + anELNEntry(e):                              http.StatusCreated,
		"/api/lims/sops/" + draft.str("id"):                           http.StatusCreated,
		"/api/lims/eln/" + signed:                                     http.StatusConflict,
		"/api/lims/sops/" + e.sopID("demo-lab", "SOP-IV-001"):         http.StatusConflict,
		"/api/analysis/calibrations/" + postgres.SeedID("x").String(): http.StatusNotFound,
	} {
		r := e.uploadFile(path, eng, "certificate.pdf", cert)
		if r.Status != want {
			t.Errorf("%s: %d %s, want %d", path, r.Status, r.Raw, want)
			continue
		}
		if want != http.StatusCreated {
			continue
		}
		if r.Body["series"] != nil || r.str("media_type") != "application/pdf" {
			t.Errorf("%s: %s", path, r.Raw)
		}
		resp, got, err := e.download(path+"/files/"+r.str("id"), viewer)
		if err != nil || resp.StatusCode != http.StatusOK || string(got) != cert {
			t.Errorf("%s: download %v %v", path, resp.StatusCode, err)
		}
		// An empty file is a file too.
		empty := e.uploadFile(path, eng, "empty.txt", "")
		if empty.Status != http.StatusCreated || empty.Body["size"] != 0.0 {
			t.Errorf("%s: an empty file: %d %s", path, empty.Status, empty.Raw)
		} else if resp, got, err := e.download(path+"/files/"+empty.str("id"), viewer); err != nil || resp.StatusCode != http.StatusOK || len(got) != 0 {
			t.Errorf("%s: download an empty file: %v %v", path, resp, err)
		}
		// A file is found only under its own owner.
		if r2 := e.call(http.MethodGet, "/api/analysis/runs/"+anRun+"/files/"+r.str("id"), viewer, nil); r2.Status != http.StatusNotFound {
			t.Errorf("%s's file under another owner: %d", path, r2.Status)
		}
	}
}

// The demo runs' raw files are there, and each is what its series was
// read from.
func TestDemoRunFiles(t *testing.T) {
	e := newAPIEnv(t)
	viewer := e.token("viewer@demo.lab", "view123")
	list := e.call(http.MethodGet, "/api/analysis/runs/"+anRun+"/files", viewer, nil)
	items, _ := list.Body["items"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["id"] != anRunFile {
		t.Fatalf("the demo run's files: %s", list.Raw)
	}
	resp, got, err := e.download("/api/analysis/runs/"+anRun+"/files/"+anRunFile, viewer)
	if err != nil || resp.StatusCode != http.StatusOK || !strings.HasPrefix(string(got), "Keithley") {
		t.Fatalf("download: %v %v %.40q", resp, err, got)
	}
	d := e.call(http.MethodGet, "/api/analysis/runs/"+anRun, viewer, nil)
	s := d.Body["series"].([]any)[0].(map[string]any)
	if s["file_id"] != anRunFile {
		t.Fatalf("the series' file: %v", s["file_id"])
	}
	// The file reads back as the very values of the series.
	_, _, values, err := dataseries.Parse(got)
	if err != nil || dataseries.Digest(values) != s["sha256"] {
		t.Fatalf("the demo file parses to other values than its series': %v", err)
	}

	// The XRD pattern (.xy) and the transmission spectrum (JCAMP-DX), each
	// with the result its curve gives.
	for key, want := range map[string]struct {
		format dataseries.Format
		metric string
		lo, hi float64
	}{
		"xrd":      {dataseries.FormatXY, "peak_2theta", 28.3, 28.6},
		"spectrum": {dataseries.FormatJCAMP, "transmission_550nm", 80, 100},
	} {
		run := postgres.SeedIDInOrder(0, "demo-lab", "run", key).String()
		d := e.call(http.MethodGet, "/api/analysis/runs/"+run, viewer, nil)
		series, _ := d.Body["series"].([]any)
		if d.Status != http.StatusOK || d.str("status") != "completed" || len(series) != 1 {
			t.Fatalf("the demo %s run: %d %.300s", key, d.Status, d.Raw)
		}
		s := series[0].(map[string]any)
		file := postgres.SeedID("demo-lab", "file", key).String()
		if s["file_id"] != file {
			t.Fatalf("the %s series' file: %v", key, s["file_id"])
		}
		resp, got, err := e.download("/api/analysis/runs/"+run+"/files/"+file, viewer)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("download the %s file: %v %v", key, resp, err)
		}
		format, _, values, err := dataseries.Parse(got)
		if err != nil || format != want.format || dataseries.Digest(values) != s["sha256"] {
			t.Fatalf("the %s file reads as %s (%v), not as its series' values", key, format, err)
		}
		found := false
		for _, r := range d.Body["results"].([]any) {
			r := r.(map[string]any)
			if v, _ := r["value"].(float64); r["metric"] == want.metric && v >= want.lo && v <= want.hi && r["derivation"] != nil {
				found = true
			}
		}
		if !found {
			t.Fatalf("the %s run lacks a derived %s in [%g, %g]: %v", key, want.metric, want.lo, want.hi, d.Body["results"])
		}
	}
}

func randomBytes(t testing.TB, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}
