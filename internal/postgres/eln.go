package postgres

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	"math"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/spectra-lab/spectra/internal/spectra"
)

// The electronic lab notebook: entries, their links to samples and runs,
// full-text search, e-signatures and amendments. Every method runs in the
// caller's tenant transaction; another organization's entry, or a deleted
// one, is CodeNotFound.

// elnColumns reads an entry e with its links, amendments and signature
// count; each is an index probe (eln_links_*_uq, eln_entries_amends_idx,
// signatures_eln_idx).
const elnColumns = `e.id, e.project_id, e.title, e.body_markdown,
	array(SELECT l.sample_id FROM eln_links l WHERE l.organization_id = e.organization_id AND l.entry_id = e.id
		AND l.sample_id IS NOT NULL ORDER BY l.sample_id),
	array(SELECT l.run_id FROM eln_links l WHERE l.organization_id = e.organization_id AND l.entry_id = e.id
		AND l.run_id IS NOT NULL ORDER BY l.run_id),
	e.amends_id,
	array(SELECT a.id FROM eln_entries a WHERE a.organization_id = e.organization_id AND a.amends_id = e.id
		AND a.deleted_at IS NULL ORDER BY a.id),
	e.locked_at,
	(SELECT count(*) FROM signatures s WHERE s.organization_id = e.organization_id AND s.eln_entry_id = e.id),
	e.created_by, e.created_at, e.updated_at, e.version`

// elnWhere is the WHERE clause of lists and searches: the organization's
// live entries ($1), and only the filters f sets.
func elnWhere(t Tenant, f spectra.ELNFilter) filter {
	w := filter{sql: `e.organization_id = $1 AND e.deleted_at IS NULL`, args: []any{t.OrgID}}
	if f.ProjectID != uuid.Nil {
		w.and(`e.project_id = ?`, f.ProjectID)
	}
	if f.SampleID != uuid.Nil {
		w.and(`EXISTS (SELECT FROM eln_links l WHERE l.organization_id = e.organization_id AND l.entry_id = e.id AND l.sample_id = ?)`, f.SampleID)
	}
	if f.CreatedBy != uuid.Nil {
		w.and(`e.created_by = ?`, f.CreatedBy)
	}
	return w
}

func scanEntry(r pgx.Row, extra ...any) (spectra.ELNEntry, error) {
	var e spectra.ELNEntry
	dest := append([]any{&e.ID, &e.ProjectID, &e.Title, &e.BodyMarkdown, &e.SampleIDs, &e.RunIDs, &e.AmendsID,
		&e.Amendments, &e.LockedAt, &e.Signatures, &e.CreatedBy, &e.CreatedAt, &e.UpdatedAt, &e.Version}, extra...)
	err := r.Scan(dest...)
	// Lists are [] in JSON, never null.
	for _, s := range []*[]uuid.UUID{&e.SampleIDs, &e.RunIDs, &e.Amendments} {
		if *s == nil {
			*s = []uuid.UUID{}
		}
	}
	return e, err
}

// nullID is NULL for uuid.Nil (a filter that does not filter).
// ListELN lists the organization's entries, newest first. With f.Q, use
// SearchELN instead: a ranked list pages by rank.
func (db *DB) ListELN(ctx context.Context, t Tenant, f spectra.ELNFilter, p Page) ([]spectra.ELNEntry, string, error) {
	w := elnWhere(t, f)
	w.and(`e.id < ?`, p.KeysetBound())
	return listPage(ctx, db, t, p, w, elnColumns, "eln_entries e", "e.id DESC",
		func(r pgx.Row) (spectra.ELNEntry, error) { return scanEntry(r) }, func(e spectra.ELNEntry) uuid.UUID { return e.ID })
}

// RankPage asks for one page of a ranked search: at most Limit hits that
// rank below (Rank, After), best first. Ranks tie often (the same words
// the same number of times), so the id breaks ties and the keyset is the
// pair: no hit is repeated, and none skipped however deep the page (but
// see SearchWindow: with more matches than that, entries written between
// two pages push the oldest candidates out of the window).
type RankPage struct {
	Limit int
	Rank  float32   // +Inf: the first page
	After uuid.UUID // with Rank, the last hit of the previous page
}

// NewRankPage validates limit and the cursor of a ranked search.
func NewRankPage(limit int, cursor string) (RankPage, error) {
	p, err := spectra.NewPage(limit, "")
	if err != nil {
		return RankPage{}, err
	}
	rp := RankPage{Limit: p.Limit, Rank: float32(math.Inf(1)), After: uuid.Max}
	if cursor == "" {
		return rp, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err == nil && len(b) == 20 {
		rp.Rank = math.Float32frombits(binary.BigEndian.Uint32(b))
		rp.After, err = uuid.FromBytes(b[4:])
	}
	if err != nil || len(b) != 20 || math.IsNaN(float64(rp.Rank)) {
		return RankPage{}, &spectra.Error{Code: spectra.CodeInvalid, Message: "cursor is not one this server gave",
			Fields: []spectra.FieldError{{Field: "cursor", Message: "not a cursor of this search"}}}
	}
	return rp, nil
}

func rankCursor(rank float32, id uuid.UUID) string {
	b := binary.BigEndian.AppendUint32(nil, math.Float32bits(rank))
	return base64.RawURLEncoding.EncodeToString(append(b, id[:]...))
}

// Snippet markers: private-use characters, removed from the body before
// ts_headline sets them around the matches, so after HTML-escaping the
// snippet they are the only places a <mark> can appear.
const (
	markStart = "\uE000"
	markStop  = "\uE001"
)

// headlineOptions: up to three short fragments of the body around the
// matches (a title-only hit shows the body's first words).
var headlineOptions = fmt.Sprintf(`StartSel="%s", StopSel="%s", MaxFragments=3, MaxWords=18, MinWords=6, FragmentDelimiter=" … "`,
	markStart, markStop)

// snippet turns ts_headline's output into safe HTML: everything escaped,
// then the markers become <mark> tags.
func snippet(headline string) string {
	return strings.NewReplacer(markStart, "<mark>", markStop, "</mark>").Replace(html.EscapeString(headline))
}

// SearchWindow bounds a ranked search: the hits are ranked among the
// newest SearchWindow matching entries. Ranking must read every candidate
// (ts_rank_cd needs its tsvector), so an unbounded search for a word in
// half of 100,000 entries reads 50,000 rows for every page. A query with
// fewer matches, which is what a specific search is, is ranked exactly;
// a vaguer one ranks the most recent work, and stays fast.
const SearchWindow = 2000

// SearchRole is the role of a search's one statement: a RESTRICTIVE
// policy lets it see only the entries that match the transaction's
// app.eln_query, so @@ is a policy condition, which the planner puts into
// the GIN index scan on search; a query's own @@ it may not, under
// row-level security, unless ts_match_vq were LEAKPROOF, which only a
// superuser can make it.
const SearchRole = "spectra_search"

// elnQuerySQL is the tsquery of a search of organization $%[1]d for the
// text $%[2]d: websearch syntax, qualified by the organization like the
// search column's lexemes (migration 00013), so that one GIN key is one
// word of one organization. Of parameters only, it is a constant to the
// planner (an immutable function of them).
const elnQuerySQL = `spectra_search_qualify($%[1]d::uuid, websearch_to_tsquery('english', $%[2]d))`

func elnQuery(org, text int) string { return fmt.Sprintf(elnQuerySQL, org, text) }

// elnMatchesSQL finds, as SearchRole, the newest SearchWindow entries the
// policy lets through (those matching app.eln_query) and ranks them with
// ts_rank_cd (title weight A outranks body weight B; more matches rank
// higher), a page below the keyset (rank, id). No @@ here: the
// policy's is the one the index serves, and a second would halve the
// planner's estimate. A rare word is found through the GIN index; a word in
// every entry walks the primary key backwards and stops at the window (the
// planner folds the setting into its estimate, and the column's statistics
// are per organization, so it knows which: a plan per search, see
// searchSettingsSQL). The rank is computed once per candidate (OFFSET 0
// keeps the keyset test from computing it again) with the query as a
// constant the planner folds from the parameters.
func elnMatchesSQL(t Tenant, f spectra.ELNFilter, p RankPage) (string, []any) {
	w := elnWhere(t, f)
	n := len(w.args)
	return fmt.Sprintf(`SELECT id, rank FROM (
		SELECT c.id, ts_rank_cd(c.search, `+elnQuery(1, n+4)+`) AS rank
		FROM (
			SELECT e.id, e.search FROM eln_entries e
			WHERE %[1]s
			ORDER BY e.id DESC LIMIT $%[6]d
		) c OFFSET 0
	) r
	WHERE (rank, id) < ($%[2]d::real, $%[3]d::uuid)
	ORDER BY rank DESC, id DESC LIMIT $%[4]d`, w.sql, n+1, n+2, n+3, n+4, n+5),
		append(w.args, p.Rank, p.After, p.Limit+1, f.Q, SearchWindow)
}

// The search is one round trip (a read, see DB.read): as SearchRole it
// finds and ranks the matches and leaves them, as JSON, in the
// transaction's app.eln_hits; as the application role it reads the hits
// (amendments, links, signatures: rows the search policy would hide) from
// there, with ts_headline, the costly part, on the page's rows only.
//
// searchSettingsSQL becomes SearchRole with the query of organization $1
// for the text $2, planned afresh for every search (force_custom_plan: a
// cached generic plan cannot know whether the words are rare, the GIN
// index, or common, the primary key stopping at the window, and a
// prepared statement gets one after five runs).
var searchSettingsSQL = `SELECT set_config('role', '` + SearchRole + `', true),
	set_config('app.eln_query', ` + elnQuery(1, 2) + `::text, true),
	set_config('plan_cache_mode', 'force_custom_plan', true)`

// appSettingsSQL is the application role again, without a query.
const appSettingsSQL = `SELECT set_config('role', '` + AppRole + `', true), set_config('app.eln_query', '', true),
	set_config('plan_cache_mode', 'auto', true)`

// elnHitsSQL reads the hits that elnMatchesSQL left in app.eln_hits, best
// first, with the snippet made from the body by the unqualified query ($2).
const elnHitsSQL = `SELECT ` + elnColumns + `, h.rank,
		ts_headline('english', translate(e.body_markdown, $3, ''), websearch_to_tsquery('english', $2), $4)
	FROM jsonb_to_recordset(current_setting('app.eln_hits')::jsonb) h(id uuid, rank real)
	JOIN eln_entries e ON e.organization_id = $1 AND e.id = h.id
	ORDER BY h.rank DESC, h.id DESC`

// SearchELN finds the entries matching f.Q (web search syntax: words,
// "phrases", or, -not), best first among the newest SearchWindow matches,
// each with a highlighted snippet.
func (db *DB) SearchELN(ctx context.Context, t Tenant, f spectra.ELNFilter, p RankPage) ([]spectra.ELNEntry, string, error) {
	var out []spectra.ELNEntry
	err := db.read(ctx, t, func(b *pgx.Batch) {
		b.Queue(searchSettingsSQL, t.OrgID, f.Q)
		q, args := elnMatchesSQL(t, f, p)
		b.Queue(`SELECT set_config('app.eln_hits', coalesce(jsonb_agg(m), '[]')::text, true) FROM (`+q+`) m`, args...)
		b.Queue(appSettingsSQL)
		b.Queue(elnHitsSQL, t.OrgID, f.Q, markStart+markStop, headlineOptions).Query(func(r pgx.Rows) error {
			var err error
			out, err = pgx.CollectRows(r, func(r pgx.CollectableRow) (spectra.ELNEntry, error) {
				var rank float32
				var headline string
				e, err := scanEntry(r, &rank, &headline)
				e.Rank, e.Snippet = &rank, snippet(headline)
				return e, err
			})
			return err
		})
	})
	if err != nil {
		return nil, "", err
	}
	if len(out) <= p.Limit {
		return out, "", nil
	}
	out = out[:p.Limit]
	last := out[len(out)-1]
	return out, rankCursor(*last.Rank, last.ID), nil
}

// ExplainELNSearch returns the plan PostgreSQL chooses for a search's
// matches, as SearchRole runs it: what the index test asserts, and an
// operator's first look when search slows down.
func (db *DB) ExplainELNSearch(ctx context.Context, t Tenant, f spectra.ELNFilter) (string, error) {
	var plan []string
	err := db.InTenant(ctx, t, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, searchSettingsSQL, t.OrgID, f.Q); err != nil {
			return err
		}
		q, args := elnMatchesSQL(t, f, RankPage{Limit: DefaultLimit, Rank: float32(math.Inf(1)), After: uuid.Max})
		r, err := tx.Query(ctx, `EXPLAIN `+q, args...)
		if err != nil {
			return err
		}
		plan, err = pgx.CollectRows(r, pgx.RowTo[string])
		return err
	})
	return strings.Join(plan, "\n"), err
}

// ELNEntry returns one entry.
func (db *DB) ELNEntry(ctx context.Context, t Tenant, id uuid.UUID) (spectra.ELNEntry, error) {
	return inTenant(ctx, db, t, func(tx pgx.Tx) (spectra.ELNEntry, error) { return entry(ctx, tx, t.OrgID, id, false) })
}

func entry(ctx context.Context, tx pgx.Tx, org, id uuid.UUID, lock bool) (spectra.ELNEntry, error) {
	q := `SELECT ` + elnColumns + ` FROM eln_entries e WHERE e.organization_id = $1 AND e.id = $2 AND e.deleted_at IS NULL`
	if lock {
		q += ` FOR UPDATE OF e`
	}
	e, err := scanEntry(tx.QueryRow(ctx, q, org, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return e, spectra.Errorf(spectra.CodeNotFound, "notebook entry not found")
	}
	return e, err
}

// CreateELNEntry writes a new entry by the tenant's user. A project,
// sample or run that is not the organization's (or is deleted) is
// CodeInvalid naming the field.
func (db *DB) CreateELNEntry(ctx context.Context, t Tenant, d spectra.ELNDraft) (spectra.ELNEntry, error) {
	var e spectra.ELNEntry
	err := db.InTenant(ctx, t, func(tx pgx.Tx) error {
		if err := checkRefs(ctx, tx, t.OrgID, d); err != nil {
			return err
		}
		var err error
		e, err = insertEntry(ctx, tx, t, d, nil)
		return err
	})
	return e, err
}

func insertEntry(ctx context.Context, tx pgx.Tx, t Tenant, d spectra.ELNDraft, amends *uuid.UUID) (spectra.ELNEntry, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return spectra.ELNEntry{}, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO eln_entries (organization_id, id, project_id, title, body_markdown, amends_id, created_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, t.OrgID, id, d.ProjectID, d.Title, d.BodyMarkdown, amends, nilUUID(t.UserID)); err != nil {
		return spectra.ELNEntry{}, mapError(err, "notebook entry")
	}
	if err := setLinks(ctx, tx, t.OrgID, id, d); err != nil {
		return spectra.ELNEntry{}, err
	}
	return entry(ctx, tx, t.OrgID, id, false)
}

// checkRefs answers 422 for a project, sample or run the entry may not
// reference: unknown, another organization's, or deleted. (The foreign
// keys would catch the first two, but not by field, and not deletion.)
func checkRefs(ctx context.Context, tx pgx.Tx, org uuid.UUID, d spectra.ELNDraft) error {
	var fields []spectra.FieldError
	if d.ProjectID != nil {
		var ok bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT FROM projects WHERE organization_id = $1 AND id = $2 AND deleted_at IS NULL)`,
			org, *d.ProjectID).Scan(&ok); err != nil {
			return err
		}
		if !ok {
			fields = append(fields, spectra.FieldError{Field: "project_id", Message: "no such project"})
		}
	}
	for _, ref := range []struct {
		table, field string
		ids          []uuid.UUID
	}{{"samples", "sample_ids", d.SampleIDs}, {"runs", "run_ids", d.RunIDs}} {
		if len(ref.ids) == 0 {
			continue
		}
		r, err := tx.Query(ctx, `SELECT id FROM `+ref.table+` WHERE organization_id = $1 AND id = ANY($2) AND deleted_at IS NULL`, org, ref.ids)
		if err != nil {
			return err
		}
		found, err := pgx.CollectRows(r, pgx.RowTo[uuid.UUID])
		if err != nil {
			return err
		}
		for i, id := range ref.ids {
			if !slices.Contains(found, id) {
				fields = append(fields, spectra.FieldError{Field: fmt.Sprintf("%s[%d]", ref.field, i), Message: "no such " + strings.TrimSuffix(ref.table, "s")})
			}
		}
	}
	if len(fields) > 0 {
		return &spectra.Error{Code: spectra.CodeInvalid, Message: fields[0].Field + " " + fields[0].Message, Fields: fields}
	}
	return nil
}

// setLinks makes the entry's links exactly d's samples and runs, touching
// only the links that change (each change is an audit row).
func setLinks(ctx context.Context, tx pgx.Tx, org, entry uuid.UUID, d spectra.ELNDraft) error {
	samples, runs := nonNil(d.SampleIDs), nonNil(d.RunIDs)
	if _, err := tx.Exec(ctx, `DELETE FROM eln_links WHERE organization_id = $1 AND entry_id = $2
		AND ((sample_id IS NOT NULL AND NOT sample_id = ANY($3)) OR (run_id IS NOT NULL AND NOT run_id = ANY($4)))`,
		org, entry, samples, runs); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `INSERT INTO eln_links (organization_id, entry_id, sample_id, run_id)
		SELECT $1, $2, s, NULL FROM unnest($3::uuid[]) s
		WHERE NOT EXISTS (SELECT FROM eln_links l WHERE l.organization_id = $1 AND l.entry_id = $2 AND l.sample_id = s)
		UNION ALL
		SELECT $1, $2, NULL, r FROM unnest($4::uuid[]) r
		WHERE NOT EXISTS (SELECT FROM eln_links l WHERE l.organization_id = $1 AND l.entry_id = $2 AND l.run_id = r)`,
		org, entry, samples, runs)
	return mapError(err, "notebook link")
}

func nonNil(ids []uuid.UUID) []uuid.UUID {
	if ids == nil {
		return []uuid.UUID{}
	}
	return ids
}

// lockEntry locks an entry for a change and refuses a signed one
// (CodeConflict): a signed entry is corrected by an amendment.
func lockEntry(ctx context.Context, tx pgx.Tx, org, id uuid.UUID, what string) (spectra.ELNEntry, error) {
	e, err := entry(ctx, tx, org, id, true)
	if err != nil {
		return e, err
	}
	if e.LockedAt != nil {
		return e, spectra.Errorf(spectra.CodeConflict, "the entry is signed and locked; it cannot be %s (add an amendment instead)", what)
	}
	return e, nil
}

// UpdateELNEntry replaces an entry's content and links. ifMatch > 0 must be
// the entry's version (CodePrecondition otherwise), as must version > 0
// (CodeConflict otherwise); a signed entry is CodeConflict.
func (db *DB) UpdateELNEntry(ctx context.Context, t Tenant, id uuid.UUID, d spectra.ELNDraft, ifMatch, version int) (spectra.ELNEntry, error) {
	var e spectra.ELNEntry
	err := db.InTenant(ctx, t, func(tx pgx.Tx) error {
		cur, err := lockEntry(ctx, tx, t.OrgID, id, "edited")
		if err != nil {
			return err
		}
		if err := checkVersion(staleWording{what: "entry", terse: true}, cur.Version, ifMatch, version); err != nil {
			return err
		}
		if err := checkRefs(ctx, tx, t.OrgID, d); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE eln_entries SET project_id = $3, title = $4, body_markdown = $5
			WHERE organization_id = $1 AND id = $2`, t.OrgID, id, d.ProjectID, d.Title, d.BodyMarkdown); err != nil {
			return mapError(err, "notebook entry")
		}
		if err := setLinks(ctx, tx, t.OrgID, id, d); err != nil {
			return err
		}
		e, err = entry(ctx, tx, t.OrgID, id, false)
		return err
	})
	return e, err
}

// DeleteELNEntry soft-deletes an entry (restorable by an admin); a signed
// entry is CodeConflict.
func (db *DB) DeleteELNEntry(ctx context.Context, t Tenant, id uuid.UUID) error {
	return db.InTenant(ctx, t, func(tx pgx.Tx) error {
		if _, err := lockEntry(ctx, tx, t.OrgID, id, "deleted"); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE eln_entries SET deleted_at = now() WHERE organization_id = $1 AND id = $2`, t.OrgID, id)
		return err
	})
}

// AmendELNEntry writes a correction of entry id: a new entry with
// amends_id = id, the original's project and links, and title (the
// original's when empty) and body. The original and its signatures stay
// as they are.
func (db *DB) AmendELNEntry(ctx context.Context, t Tenant, id uuid.UUID, title, body string) (spectra.ELNEntry, error) {
	var e spectra.ELNEntry
	err := db.InTenant(ctx, t, func(tx pgx.Tx) error {
		// Locked (FOR SHARE would do) so that the original cannot be
		// deleted while its amendment is written.
		orig, err := entry(ctx, tx, t.OrgID, id, true)
		if err != nil {
			return err
		}
		if title == "" {
			title = orig.Title
		}
		// The original's references are copied as they are, not checked
		// again: the client did not choose them.
		e, err = insertEntry(ctx, tx, t, spectra.ELNDraft{ProjectID: orig.ProjectID, Title: title, BodyMarkdown: body,
			SampleIDs: orig.SampleIDs, RunIDs: orig.RunIDs}, &orig.ID)
		return err
	})
	return e, err
}

// SignELNEntry records the tenant's user's e-signature of entry id with
// meaning, in role, and locks the entry. The caller has re-authenticated
// the signer (by authMethod). The entry row is locked first, so the digest
// stored is of exactly the content locked. The same signer stating the
// same meaning twice is CodeConflict.
func (db *DB) SignELNEntry(ctx context.Context, t Tenant, id uuid.UUID, meaning spectra.Meaning, role spectra.Role, authMethod string) (spectra.ELNSignature, error) {
	var sig spectra.ELNSignature
	err := db.InTenant(ctx, t, func(tx pgx.Tx) error {
		e, err := entry(ctx, tx, t.OrgID, id, true)
		if err != nil {
			return err
		}
		var dup bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT FROM signatures WHERE organization_id = $1 AND eln_entry_id = $2
			AND signer_id = $3 AND meaning = $4)`, t.OrgID, id, t.UserID, meaning).Scan(&dup); err != nil {
			return err
		}
		if dup {
			return spectra.Errorf(spectra.CodeConflict, "you have already signed this entry as %s", meaning)
		}
		sum, err := spectra.SignatureDigest(spectra.CurrentScheme, e.SignedContent())
		if err != nil {
			return err
		}
		var sigID uuid.UUID
		if err := tx.QueryRow(ctx, `INSERT INTO signatures (organization_id, eln_entry_id, signer_id, signer_role, meaning, scheme, content_sha256, auth_method)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, t.OrgID, id, t.UserID, role, meaning, spectra.CurrentScheme, sum[:], authMethod).Scan(&sigID); err != nil {
			return mapError(err, "signature")
		}
		if _, err = tx.Exec(ctx, `UPDATE eln_entries SET locked_at = now() WHERE organization_id = $1 AND id = $2 AND locked_at IS NULL`,
			t.OrgID, id); err != nil {
			return err
		}
		sigs, err := signatures(ctx, tx, t.OrgID, e)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(sigs, func(s spectra.ELNSignature) bool { return s.ID == sigID })
		if i < 0 {
			return fmt.Errorf("eln: signature %s not found after signing", sigID)
		}
		sig = sigs[i]
		return nil
	})
	return sig, err
}

// ELNSignatures is entry id's signature manifest: each signature, and
// whether the entry's current content still has the digest it signed.
func (db *DB) ELNSignatures(ctx context.Context, t Tenant, id uuid.UUID) (spectra.ELNManifest, error) {
	var m spectra.ELNManifest
	err := db.InTenant(ctx, t, func(tx pgx.Tx) error {
		e, err := entry(ctx, tx, t.OrgID, id, false)
		if err != nil {
			return err
		}
		sum, err := spectra.SignatureDigest(spectra.CurrentScheme, e.SignedContent())
		if err != nil {
			return err
		}
		m = spectra.ELNManifest{EntryID: id, Scheme: spectra.CurrentScheme, ContentSHA256: hex.EncodeToString(sum[:])}
		m.Signatures, err = signatures(ctx, tx, t.OrgID, e)
		return err
	})
	return m, err
}

// signatures lists entry e's signatures, oldest first, each checked
// against e's content as it is now, under the signature's own scheme.
func signatures(ctx context.Context, tx pgx.Tx, org uuid.UUID, e spectra.ELNEntry) ([]spectra.ELNSignature, error) {
	r, err := tx.Query(ctx, `SELECT s.id, s.signer_id, coalesce(u.email, ''), coalesce(u.display_name, ''), s.signer_role,
			s.meaning, s.auth_method, s.signed_at, s.scheme, s.content_sha256
		FROM signatures s LEFT JOIN users u ON u.id = s.signer_id
		WHERE s.organization_id = $1 AND s.eln_entry_id = $2 ORDER BY s.signed_at, s.id`, org, e.ID)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(r, func(r pgx.CollectableRow) (spectra.ELNSignature, error) {
		var s spectra.ELNSignature
		var digest []byte
		err := r.Scan(&s.ID, &s.Signer.ID, &s.Signer.Email, &s.Signer.Name, &s.Role, &s.Meaning, &s.AuthMethod, &s.SignedAt, &s.Scheme, &digest)
		s.ContentSHA256 = hex.EncodeToString(digest)
		// Recomputed from the row as it is now, the way the signature
		// was made: a stored "valid" flag would prove nothing.
		s.Matches = spectra.SignatureMatches(s.Scheme, digest, e.SignedContent())
		return s, err
	})
	if out == nil {
		out = []spectra.ELNSignature{}
	}
	return out, err
}
