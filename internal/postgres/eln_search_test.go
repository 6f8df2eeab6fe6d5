package postgres_test

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/spectra-lab/spectra/internal/postgres"
	"github.com/spectra-lab/spectra/internal/postgres/pgtest"
	"github.com/spectra-lab/spectra/internal/spectra"
)

// TestELNSearchPlansPerOrganization: the same word, rare in one
// organization and in every entry of another, is found through the GIN
// index in the first and by walking the newest entries in the second. The
// search column's lexemes carry their organization (migration 00013), so
// the planner's statistics are per organization; with 00012's column the
// word looked common to both, and the rare search read its organization's
// whole notebook by the primary key.
func TestELNSearchPlansPerOrganization(t *testing.T) {
	db := pgtest.NewDB(t)
	rare, rareUser := elnOrg(t, db, "word-rare")
	common, commonUser := elnOrg(t, db, "word-everywhere")
	copyELNEntriesEvery(t, db, rare, rareUser, 12000, rareEvery)
	copyELNEntriesEvery(t, db, common, commonUser, 12000, 1)
	ctx := context.Background()

	plan, err := db.ExplainELNSearch(ctx, postgres.Tenant{OrgID: rare, UserID: rareUser, Auth: "system"}, spectra.ELNFilter{Q: rareWord})
	if err != nil {
		t.Fatal(err)
	}
	if !searchIndexCond.MatchString(plan) {
		t.Fatalf("a word in 1 entry in %d of its organization is not found through the GIN index:\n%s", rareEvery, plan)
	}
	plan, err = db.ExplainELNSearch(ctx, postgres.Tenant{OrgID: common, UserID: commonUser, Auth: "system"}, spectra.ELNFilter{Q: rareWord})
	if err != nil {
		t.Fatal(err)
	}
	if searchIndexCond.MatchString(plan) || !strings.Contains(plan, "Index Scan Backward using eln_entries_pkey") {
		t.Fatalf("a word in every entry of its organization does not walk the newest entries:\n%s", plan)
	}

	// And the searches find what each organization wrote, and only that.
	for _, c := range []struct {
		org, user uuid.UUID
		want      int
	}{{rare, rareUser, 12000 / rareEvery}, {common, commonUser, postgres.SearchWindow}} {
		seen := 0
		cursor := ""
		for {
			hits, next, err := db.SearchELN(ctx, postgres.Tenant{OrgID: c.org, UserID: c.user, Auth: "system"},
				spectra.ELNFilter{Q: rareWord}, mustRankPage(t, 200, cursor))
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range hits {
				if h.CreatedBy == nil || *h.CreatedBy != c.user {
					t.Fatalf("organization %s found an entry by %v", c.org, h.CreatedBy)
				}
			}
			seen += len(hits)
			if next == "" {
				break
			}
			cursor = next
		}
		if seen != c.want {
			t.Fatalf("organization %s: %d hits, want %d", c.org, seen, c.want)
		}
	}
}

// elnSearchCorpus: entries whose text exercises the parser (apostrophes,
// backslashes, accents, e-mail addresses, URLs, numbers with units,
// colons, stop words) for FuzzELNSearchQualified.
var elnSearchCorpus = [][2]string{
	{"Anneal log", "Annealed the wafer at 450 C; O'Neil's furnace, it's stable."},
	{`Back\slash`, `path C:\data\run-7 and 'quoted' "double" text`},
	{"Naïve café résumé", "ellipsometry of the SiO₂ film: 12.5 nm ± 0.3 nm, 10µm pitch"},
	{"Contacts", "mail probe-lab@example.org or see https://lab.example.org/sop?id=4#step"},
	{"Stop words only?", "the and of to a in is it"},
	{"x:y ratio 3:1", "key:value pairs, a:b:c, IV-sweep at -2.0V..2.0V"},
	{"Kesterite", "kesterite CZTS absorber, kesterites compared; not kesterite-free"},
	{"", ""},
}

// FuzzELNSearchQualified: for any query, an entry's qualified search
// column matches the query qualified by its organization exactly when the
// unqualified text search would, with the same rank; and the query
// qualified by another organization matches only where no word need be
// present (a query of negations alone, which row-level security and the
// organization_id condition still confine).
func FuzzELNSearchQualified(f *testing.F) {
	for _, q := range []string{
		"kesterite", `"wafer at"`, "anneal -furnace", "ellipsometry or mail", "it's", `O'Neil`, `C:\data`,
		`\`, `'`, `''`, `"`, "-", "or", "the", "résumé café", "12.5 nm", "probe-lab@example.org",
		"https://lab.example.org/sop?id=4", "x:y", "a:b:c", "key:value", `"not kesterite-free"`, "-kesterite",
		"ab:*", "!kesterite", "kesterite & wafer", "(wafer | anneal)", "\x00", "SiO₂", "µm", "--", `""`,
	} {
		f.Add(q)
	}
	db := pgtest.NewDB(f)
	ctx := context.Background()
	orgs := make([]uuid.UUID, 2)
	for i := range orgs {
		orgs[i], _ = elnOrg(f, db, "qualified-"+string(rune('a'+i)))
		pgtest.InOrg(f, db, orgs[i], func(tx pgx.Tx) error {
			for _, e := range elnSearchCorpus {
				title := e[0]
				if title == "" {
					title = "untitled"
				}
				if _, err := tx.Exec(ctx, `INSERT INTO eln_entries (organization_id, title, body_markdown) VALUES ($1, $2, $3)`, orgs[i], title, e[1]); err != nil {
					return err
				}
			}
			return nil
		})
	}
	f.Fuzz(func(t *testing.T, q string) {
		if strings.ContainsRune(q, 0) || !utf8.ValidString(q) {
			return // not text PostgreSQL accepts: the API refuses it before
		}
		pgtest.InOrg(t, db, orgs[0], func(tx pgx.Tx) error {
			var entries, mismatched, foreign int
			var example string
			err := tx.QueryRow(ctx, `
				WITH q AS (SELECT websearch_to_tsquery('english', $2) AS plain),
				e AS (
					SELECT e.title, e.search,
					       setweight(to_tsvector('english', e.title), 'A') || setweight(to_tsvector('english', e.body_markdown), 'B') AS plain
					  FROM eln_entries e WHERE e.organization_id = $1)
				SELECT count(*),
				       count(*) FILTER (WHERE (e.search @@ spectra_search_qualify($1, q.plain)) IS DISTINCT FROM (e.plain @@ q.plain)
				                           OR ts_rank_cd(e.search, spectra_search_qualify($1, q.plain)) IS DISTINCT FROM ts_rank_cd(e.plain, q.plain)),
				       count(*) FILTER (WHERE e.search @@ spectra_search_qualify($3, q.plain) AND NOT ''::tsvector @@ q.plain),
				       coalesce(min(e.title) FILTER (WHERE (e.search @@ spectra_search_qualify($1, q.plain)) IS DISTINCT FROM (e.plain @@ q.plain)), '')
				  FROM e, q`, orgs[0], q, orgs[1]).Scan(&entries, &mismatched, &foreign, &example)
			if err != nil {
				return err
			}
			if entries != len(elnSearchCorpus) || mismatched != 0 {
				t.Fatalf("query %q: %d of %d entries match or rank differently qualified (e.g. %q)", q, mismatched, entries, example)
			}
			if foreign != 0 {
				t.Fatalf("query %q qualified by another organization matches %d entries", q, foreign)
			}
			return nil
		})
	})
}
