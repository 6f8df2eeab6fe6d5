package spectra

import (
	"encoding/hex"
	"mime"
	"path"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Files (PRODUCT.md §13): an instrument's raw file on a run, a certificate
// on a calibration, an attachment on a notebook entry or an SOP. The
// bytes are in the object store; a File is what the database knows.

// FileOwnerKind names what a file is attached to.
type FileOwnerKind string

// The kinds of owner.
const (
	FileOfRun         FileOwnerKind = "run"
	FileOfCalibration FileOwnerKind = "calibration"
	FileOfELNEntry    FileOwnerKind = "eln_entry"
	FileOfSOP         FileOwnerKind = "sop"
)

// FileOwner is the record a file is attached to.
type FileOwner struct {
	Kind FileOwnerKind
	ID   uuid.UUID
}

// File is an uploaded file, without its bytes.
type File struct {
	ID        uuid.UUID     `json:"id"`
	OwnerKind FileOwnerKind `json:"owner_kind" enum:"run,calibration,eln_entry,sop"`
	OwnerID   uuid.UUID     `json:"owner_id"`
	Name      string        `json:"name" doc:"The file's name as uploaded (its last path element)"`
	MediaType string        `json:"media_type"`
	Size      int64         `json:"size" doc:"Bytes"`
	SHA256    string        `json:"sha256" doc:"SHA-256 (hex) of the bytes, computed while the upload streamed; every download checks it"`
	CreatedBy *uuid.UUID    `json:"created_by"`
	CreatedAt time.Time     `json:"created_at"`
}

// NewFile is an uploaded file to record: its bytes are already stored
// under StorageKey.
type NewFile struct {
	Owner      FileOwner
	Name       string
	MediaType  string
	Size       int64
	SHA256     [32]byte
	StorageKey string
}

// SHA256Hex is the digest as File shows it.
func (n NewFile) SHA256Hex() string { return hex.EncodeToString(n.SHA256[:]) }

// StoredFile is the answer to an upload: the file and, when a parser read
// it as a curve, the series it became.
type StoredFile struct {
	File
	Series *StoredSeries `json:"series,omitempty" doc:"The data series read from the file, with the results derived from it; absent when no parser read it"`
	Note   string        `json:"note" doc:"What became of the file: read as a series, or kept as a file only and why"`
}

// FileName is the name an upload's filename gives a file: its last path
// element (browsers on Windows may send C:\…\name), control characters
// and surrounding spaces removed, at most 255 bytes; "file" when nothing
// is left.
func FileName(raw string) string {
	raw = strings.ToValidUTF8(raw, "")
	if i := strings.LastIndexAny(raw, `/\`); i >= 0 {
		raw = raw[i+1:]
	}
	raw = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, raw)
	raw = strings.TrimSpace(raw)
	for len(raw) > 255 {
		_, size := utf8.DecodeLastRuneInString(raw)
		raw = raw[:len(raw)-size]
	}
	if raw == "" || raw == "." || raw == ".." {
		return "file"
	}
	return raw
}

// FileMediaType is the media type to record for a file: the one the
// upload declared when it is specific, else the one its name's extension
// has, else sniffed (what net/http's DetectContentType makes of the
// first bytes), parameters dropped.
func FileMediaType(declared, name, sniffed string) string {
	for _, mt := range []string{declared, mime.TypeByExtension(strings.ToLower(path.Ext(name))), sniffed} {
		t, _, err := mime.ParseMediaType(mt)
		if err != nil || t == "" || len(t) > 255 || !strings.Contains(t, "/") {
			continue
		}
		if t == "application/octet-stream" && mt != sniffed {
			continue // not specific: the extension or the bytes may say more
		}
		return t
	}
	return "application/octet-stream"
}
