package spectra

import (
	"time"

	"github.com/google/uuid"
)

// Meaning is what a signer declares by signing (21 CFR 11.50).
type Meaning string

// The meanings of a signature.
const (
	MeaningAuthored Meaning = "authored"
	MeaningReviewed Meaning = "reviewed"
	MeaningApproved Meaning = "approved"
)

// Valid reports whether m is one of the meanings.
func (m Meaning) Valid() bool {
	return m == MeaningAuthored || m == MeaningReviewed || m == MeaningApproved
}

// ELNEntry is one notebook entry as the API shows it.
type ELNEntry struct {
	ID           uuid.UUID   `json:"id"`
	ProjectID    *uuid.UUID  `json:"project_id" nullable:"true" doc:"The project the entry belongs to, if any."`
	Title        string      `json:"title"`
	BodyMarkdown string      `json:"body_markdown"`
	SampleIDs    []uuid.UUID `json:"sample_ids" doc:"The samples the entry is about."`
	RunIDs       []uuid.UUID `json:"run_ids" doc:"The runs the entry is about."`
	AmendsID     *uuid.UUID  `json:"amends_id" nullable:"true" doc:"The entry this one corrects, if it is an amendment."`
	Amendments   []uuid.UUID `json:"amendments" doc:"The amendments that correct this entry, oldest first."`
	LockedAt     *time.Time  `json:"locked_at" doc:"When the first signature locked the entry; a locked entry cannot be edited or deleted."`
	Signatures   int         `json:"signature_count"`
	CreatedBy    *uuid.UUID  `json:"created_by" nullable:"true"`
	CreatedAt    time.Time   `json:"created_at"`
	UpdatedAt    time.Time   `json:"updated_at"`
	Version      int         `json:"version" doc:"The entry's version, for If-Match."`

	// Search hits only (a list with q).
	Rank    *float32 `json:"rank,omitempty" doc:"Search relevance (ts_rank_cd): higher is better. Only with q."`
	Snippet string   `json:"snippet,omitempty" doc:"Where the body matches, HTML-escaped, the matches in <mark>…</mark>. Only with q."`
}

// ELNDraft is the content of an entry as a client writes it.
type ELNDraft struct {
	ProjectID    *uuid.UUID
	Title        string
	BodyMarkdown string
	SampleIDs    []uuid.UUID
	RunIDs       []uuid.UUID
}

// ELNFilter narrows an entry list; zero values do not filter.
type ELNFilter struct {
	Q         string // full-text search (websearch syntax); ranks the list
	ProjectID uuid.UUID
	SampleID  uuid.UUID
	CreatedBy uuid.UUID
}

// ELNSigner is the person behind a signature.
type ELNSigner struct {
	ID    uuid.UUID `json:"id"`
	Email string    `json:"email"`
	Name  string    `json:"name"`
}

// ELNSignature is one e-signature of an entry, as the manifest shows it.
type ELNSignature struct {
	ID            uuid.UUID       `json:"id"`
	Signer        ELNSigner       `json:"signer"`
	Role          Role            `json:"role" doc:"The signer's role when they signed."`
	Meaning       Meaning         `json:"meaning"`
	AuthMethod    string          `json:"auth_method" doc:"How the signer proved who they were at signing."`
	SignedAt      time.Time       `json:"signed_at"`
	Scheme        SignatureScheme `json:"scheme" enum:"v1,v2" doc:"How the digest was computed: v2 hashes canonical JSON of every signed field; v1 (signatures made before v2) the title, a blank line and the body."`
	ContentSHA256 string          `json:"content_sha256" doc:"SHA-256 (hex) of the content signed, encoded as its scheme says."`
	Matches       bool            `json:"matches" doc:"Whether the entry's current content, encoded by this signature's scheme, still has this digest."`
}

// ELNManifest is an entry's signatures and whether each still covers it.
type ELNManifest struct {
	EntryID       uuid.UUID       `json:"entry_id"`
	Scheme        SignatureScheme `json:"scheme" enum:"v1,v2" doc:"The scheme of content_sha256: the one new signatures use."`
	ContentSHA256 string          `json:"content_sha256" doc:"SHA-256 (hex) of the entry's current content, as a new signature would store it."`
	Signatures    []ELNSignature  `json:"signatures" doc:"Oldest first."`
}
