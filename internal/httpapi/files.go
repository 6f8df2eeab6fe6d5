package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/spectra-lab/spectra/internal/blobstore"
	"github.com/spectra-lab/spectra/internal/dataseries"
	"github.com/spectra-lab/spectra/internal/spectra"
)

// Files (PRODUCT.md §13): streamed in as multipart, hashed on the way to
// the object store, streamed out with the digest checked. Each kind of
// owner has the same four routes under its own path and permissions.

// fileOwnerRoute is one kind of owner's file routes.
type fileOwnerRoute struct {
	kind        spectra.FileOwnerKind
	base        string // the owner's collection, e.g. /api/analysis/runs
	slug, what  string // run, "a run"
	read, write spectra.Permission
}

var fileOwnerRoutes = []fileOwnerRoute{
	{spectra.FileOfRun, "/api/analysis/runs", "run", "a run (an instrument's raw file; a curve it holds becomes a data series)", spectra.PermRunRead, spectra.PermResultUpload},
	{spectra.FileOfCalibration, "/api/analysis/calibrations", "calibration", "a calibration (its certificate)", spectra.PermCalibrationRead, spectra.PermCalibrationCreate},
	{spectra.FileOfELNEntry, "/api/lims/eln", "eln-entry", "a notebook entry that is not signed", spectra.PermELNRead, spectra.PermELNWrite},
	{spectra.FileOfSOP, "/api/lims/sops", "sop", "an SOP draft", spectra.PermSOPRead, spectra.PermSOPDraft},
}

// MaxParseBytes is the largest run file read as a data series: a
// 1,000,000-row, 16-column CSV fits; larger files are kept as files.
const MaxParseBytes = 256 << 20

func (s *server) addFileRoutes() {
	for _, o := range fileOwnerRoutes {
		files := o.base + "/{id}/files"
		register(s, Route{Method: http.MethodPost, Path: files, Permission: o.write, Upload: true, Status: http.StatusCreated,
			OperationID: "upload-" + o.slug + "-file", Summary: "Attach a file to " + o.what + ": multipart/form-data, the file in a part named file"},
			func(ctx context.Context, in *uploadFileInput) (*storedFileOutput, error) {
				return s.uploadFile(ctx, o.kind, in)
			})
		register(s, Route{Method: http.MethodGet, Path: files, Permission: o.read,
			OperationID: "list-" + o.slug + "-files", Summary: "The files of " + strings.SplitN(o.what, " (", 2)[0]},
			func(ctx context.Context, in *fileOwnerInput) (*fileListOutput, error) {
				fs, err := s.store.ListFiles(ctx, s.tenant(ctx), spectra.FileOwner{Kind: o.kind, ID: in.ID})
				if err != nil {
					return nil, err
				}
				return &fileListOutput{Body: fileList{Items: fs}}, nil
			})
		register(s, Route{Method: http.MethodGet, Path: files + "/{file_id}", Permission: o.read,
			OperationID: "download-" + o.slug + "-file", Summary: "Download a file (its SHA-256 in Repr-Digest; the transfer breaks off if the stored bytes no longer match it)"},
			func(ctx context.Context, in *fileInput) (*fileContentOutput, error) {
				return s.downloadFile(ctx, o.kind, in)
			})
		register(s, Route{Method: http.MethodDelete, Path: files + "/{file_id}", Permission: o.write, Status: http.StatusNoContent,
			OperationID: "delete-" + o.slug + "-file", Summary: "Delete a file (soft: kept on record; refused once the owner is final)"},
			func(ctx context.Context, in *fileInput) (*struct{}, error) {
				return nil, s.store.DeleteFile(ctx, s.tenant(ctx), spectra.FileOwner{Kind: o.kind, ID: in.OwnerID}, in.FileID)
			})
	}
	s.documentFileRoutes()
}

// documentFileRoutes states the bodies huma cannot see: the upload's
// multipart form and the download's bytes.
func (s *server) documentFileRoutes() {
	oapi := s.api.OpenAPI()
	upload := &huma.RequestBody{Required: true, Content: map[string]*huma.MediaType{
		"multipart/form-data": {Schema: &huma.Schema{Type: huma.TypeObject, Required: []string{"file"},
			Properties: map[string]*huma.Schema{"file": {Type: huma.TypeString, Format: "binary", Description: "The file, with its filename"}}}},
	}}
	for _, o := range fileOwnerRoutes {
		if item := oapi.Paths[o.base+"/{id}/files"]; item != nil && item.Post != nil {
			item.Post.RequestBody = upload
		}
		if item := oapi.Paths[o.base+"/{id}/files/{file_id}"]; item != nil && item.Get != nil {
			if r := item.Get.Responses["200"]; r != nil {
				r.Description = "The file's bytes, with its media type"
				r.Content = map[string]*huma.MediaType{"application/octet-stream": {Schema: &huma.Schema{Type: huma.TypeString, Format: "binary"}}}
			}
		}
	}
}

type fileOwnerInput struct {
	ID uuid.UUID `path:"id"`
}

type fileInput struct {
	OwnerID uuid.UUID `path:"id"`
	FileID  uuid.UUID `path:"file_id"`
}

type fileList struct {
	Items []spectra.File `json:"items"`
}

type fileListOutput struct{ Body fileList }

type storedFileOutput struct {
	Location string `header:"Location"`
	Body     spectra.StoredFile
}

// uploadFileInput leaves the body unread: the handler streams it.
type uploadFileInput struct {
	ID          uuid.UUID `path:"id"`
	SeriesName  string    `query:"series_name" maxLength:"200" doc:"The name of the data series a run's file becomes, if a parser reads it; default: its first y column's"`
	ContentType string    `header:"Content-Type"`
	body        io.Reader
}

// Resolve keeps the request body for the handler (huma reads no body
// for an input without one).
func (in *uploadFileInput) Resolve(ctx huma.Context) []error {
	in.body = ctx.BodyReader()
	return nil
}

// receivedFile is an upload stored in the object store, not yet on record.
type receivedFile struct {
	key, name, declared string
	size                int64
	sum                 [32]byte
	head                []byte // the first bytes, to sniff
}

func (s *server) uploadFile(ctx context.Context, kind spectra.FileOwnerKind, in *uploadFileInput) (*storedFileOutput, error) {
	if s.files == nil {
		return nil, spectra.Errorf(spectra.CodeUnavailable, "this server has no file storage")
	}
	t := s.tenant(ctx)
	owner := spectra.FileOwner{Kind: kind, ID: in.ID}
	// Refuse before the bytes stream, if the answer is already no.
	if err := s.store.CheckFileOwner(ctx, t, owner, true); err != nil {
		return nil, err
	}
	mt, params, err := mime.ParseMediaType(in.ContentType)
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return nil, invalid("header.Content-Type", "must be multipart/form-data with a boundary, the file in a part named file")
	}
	rf, err := s.receiveFile(ctx, multipart.NewReader(in.body, params["boundary"]))
	if err != nil {
		return nil, err
	}
	nf := spectra.NewFile{Owner: owner, Name: rf.name, MediaType: spectra.FileMediaType(rf.declared, rf.name, http.DetectContentType(rf.head)),
		Size: rf.size, SHA256: rf.sum, StorageKey: rf.key}
	var ns *spectra.NewDataSeries
	note := "Kept as a file."
	if kind == spectra.FileOfRun {
		ns, note, err = s.readSeries(ctx, rf, in.SeriesName)
		if err != nil {
			s.removeObject(rf.key)
			return nil, err
		}
	}
	out, reused, err := s.store.AttachFile(ctx, t, nf, ns)
	if err != nil && ns != nil && spectra.ErrorCode(err) == spectra.CodeConflict {
		// Most likely the run has a series of that name already: the file
		// is kept all the same (a conflict of the run's status fails again).
		out, reused, err = s.store.AttachFile(ctx, t, nf, nil)
		note = fmt.Sprintf("Kept as a file: the run already has a series named %q (name it with series_name).", ns.Name)
	}
	if err != nil {
		s.removeObject(rf.key)
		return nil, err
	}
	if reused != "" {
		s.removeObject(reused) // the organization had these bytes: the file names that object
	}
	out.Note = note
	if out.Series != nil {
		out.Note = fmt.Sprintf("Read as a data series: %s, %d rows.", out.Series.Name, out.Series.Rows)
	}
	return &storedFileOutput{Location: fileOwnerBase(kind) + "/" + in.ID.String() + "/files/" + out.ID.String(), Body: out}, nil
}

func fileOwnerBase(kind spectra.FileOwnerKind) string {
	for _, o := range fileOwnerRoutes {
		if o.kind == kind {
			return o.base
		}
	}
	return ""
}

// receiveFile streams the one part named file of mr into the object
// store under a new key, hashing it on the way.
func (s *server) receiveFile(ctx context.Context, mr *multipart.Reader) (rf receivedFile, err error) {
	defer func() {
		if err != nil && rf.key != "" {
			s.removeObject(rf.key)
		}
	}()
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return rf, multipartError(err)
		}
		if p.FormName() != "file" || rf.key != "" {
			return rf, invalid("body", "an upload is one part, named file, holding the file (found a part named "+strconv.Quote(p.FormName())+")")
		}
		rf = receivedFile{key: blobstore.NewKey(), name: spectra.FileName(p.FileName()), declared: p.Header.Get("Content-Type")}
		h := sha256.New()
		head := &headBuffer{max: 4096}
		src := &readErr{r: p}
		rf.size, err = s.files.Put(ctx, rf.key, io.TeeReader(src, io.MultiWriter(h, head)))
		// The body's own failure first: a store may take a body that broke
		// off for one that ended (io.ErrUnexpectedEOF is a short last part
		// to an S3 client), and the deferred removal drops what it kept.
		if src.err != nil && !errors.Is(src.err, io.EOF) {
			return rf, multipartError(src.err) // broke off, or ran over the limit
		}
		if err != nil {
			return rf, fmt.Errorf("storing the upload: %w", err)
		}
		copy(rf.sum[:], h.Sum(nil))
		rf.head = head.b
	}
	if rf.key == "" {
		return rf, invalid("body", "an upload is one part, named file, holding the file (found none)")
	}
	return rf, nil
}

// multipartError is the answer to a body that is not a whole multipart
// form: the size limit's 413 stays.
func multipartError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) || errors.Is(err, context.Canceled) {
		return err
	}
	return invalid("body", "not a whole multipart/form-data body: "+err.Error())
}

// readSeries reads a run's file as a data series when it looks like one a
// parser reads; the note says what became of it. Only a failure to read
// the stored object back is an error.
func (s *server) readSeries(ctx context.Context, rf receivedFile, name string) (*spectra.NewDataSeries, string, error) {
	if !looksLikeText(rf.head) {
		return nil, "Kept as a file: not a format a parser reads (delimited text with a header row, XY columns, JCAMP-DX).", nil
	}
	if rf.size > MaxParseBytes {
		return nil, fmt.Sprintf("Kept as a file: larger than the %d MiB a file is read as a series up to.", MaxParseBytes>>20), nil
	}
	rc, err := s.files.Open(ctx, rf.key)
	if err != nil {
		return nil, "", err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, rf.size))
	if err != nil {
		return nil, "", err
	}
	format, cols, values, err := dataseries.Parse(data)
	var pe *dataseries.ParseError
	if errors.As(err, &pe) {
		return nil, "Kept as a file: not read as a series: " + pe.Error() + ".", nil
	}
	if err != nil {
		return nil, "", err
	}
	if name == "" && len(cols) > 1 {
		name = cols[1].Name
	}
	ns := &spectra.NewDataSeries{Name: name, Columns: cols, Values: values}
	if err := ns.Validate(); err != nil {
		return nil, "Kept as a file: read as " + string(format) + " but not a series this server stores: " + err.Error() + ".", nil
	}
	return ns, "", nil
}

// looksLikeText: the first bytes are UTF-8 (a character cut at the end
// aside) without NUL bytes.
func looksLikeText(head []byte) bool {
	if len(head) == 0 || bytes.IndexByte(head, 0) >= 0 {
		return false
	}
	for i := 0; i < utf8.UTFMax && !utf8.Valid(head); i++ {
		head = head[:len(head)-1]
	}
	return utf8.Valid(head)
}

// removeObject deletes an object no file row names (a failed or
// duplicate upload); a failure only leaves an unreferenced object.
func (s *server) removeObject(key string) {
	if err := s.files.Delete(context.Background(), key); err != nil {
		s.log.Warn("could not remove an unreferenced object", "key", key, "err", err)
	}
}

type fileContentOutput struct {
	Body func(huma.Context)
}

func (s *server) downloadFile(ctx context.Context, kind spectra.FileOwnerKind, in *fileInput) (*fileContentOutput, error) {
	if s.files == nil {
		return nil, spectra.Errorf(spectra.CodeUnavailable, "this server has no file storage")
	}
	d, err := s.store.OpenFile(ctx, s.tenant(ctx), spectra.FileOwner{Kind: kind, ID: in.OwnerID}, in.FileID)
	if err != nil {
		return nil, err
	}
	rc, err := s.files.Open(ctx, d.StorageKey)
	if errors.Is(err, blobstore.ErrNotFound) {
		s.log.Error("a file's object is missing from the object store", "file", d.ID, "key", d.StorageKey)
		return nil, spectra.Errorf(spectra.CodeInternal, "the file's content is missing from the object store")
	}
	if err != nil {
		return nil, err
	}
	return &fileContentOutput{Body: func(hc huma.Context) {
		defer rc.Close()
		sum, _ := hex.DecodeString(d.SHA256)
		hc.SetHeader("Content-Type", d.MediaType)
		hc.SetHeader("Content-Length", strconv.FormatInt(d.Size, 10))
		hc.SetHeader("Content-Disposition", attachment(d.Name))
		hc.SetHeader("Repr-Digest", "sha-256=:"+base64.StdEncoding.EncodeToString(sum)+":")
		hc.SetHeader("Cache-Control", "private, no-store")
		// Whatever the file is, it is not a page of this origin.
		hc.SetHeader("Content-Security-Policy", "sandbox; default-src 'none'")
		hc.SetStatus(http.StatusOK)
		// All but the last bytes go out as they are read; the last are sent
		// once the digest matches, so a mismatch leaves the response short
		// of its Content-Length, whatever was flushed before.
		h := sha256.New()
		src := io.TeeReader(rc, h)
		held := min(d.Size, 64<<10)
		n, err := io.CopyN(hc.BodyWriter(), src, d.Size-held)
		tail := make([]byte, held+1)
		m, rerr := io.ReadFull(src, tail)
		n += int64(m)
		if err == nil && (rerr == nil || errors.Is(rerr, io.ErrUnexpectedEOF) || errors.Is(rerr, io.EOF)) && n == d.Size && bytes.Equal(h.Sum(nil), sum) {
			_, _ = hc.BodyWriter().Write(tail[:m])
			return
		}
		if err == nil {
			s.log.Error("a file's stored bytes do not match its digest: the download was broken off",
				"file", d.ID, "key", d.StorageKey, "want_bytes", d.Size, "read_bytes", n)
		}
		// The client must not take a wrong or short file for the file: the
		// connection is reset before the response completes.
		panic(http.ErrAbortHandler)
	}}, nil
}

// attachment is a Content-Disposition for name: an ASCII fallback and
// the UTF-8 name (RFC 6266).
func attachment(name string) string {
	ascii := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			return '_'
		}
		return r
	}, name)
	return `attachment; filename="` + ascii + `"; filename*=UTF-8''` + url.PathEscape(name)
}

// headBuffer keeps the first max bytes written to it.
type headBuffer struct {
	b   []byte
	max int
}

func (h *headBuffer) Write(p []byte) (int, error) {
	if n := h.max - len(h.b); n > 0 {
		h.b = append(h.b, p[:min(n, len(p))]...)
	}
	return len(p), nil
}

// readErr remembers the error its reader gave, so that a store's wrapped
// error can be told from the body's.
type readErr struct {
	r   io.Reader
	err error
}

func (r *readErr) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil {
		r.err = err
	}
	return n, err
}
