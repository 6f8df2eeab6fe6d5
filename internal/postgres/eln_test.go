package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/spectra-lab/spectra/internal/postgres"
	"github.com/spectra-lab/spectra/internal/postgres/pgtest"
	"github.com/spectra-lab/spectra/internal/spectra"
)

// labWords is the vocabulary of generated notebook entries: common words
// that most entries share, so that only the rare word is selective.
var labWords = strings.Fields(`sample wafer silicon oxide anneal furnace temperature measurement spectrum
	peak voltage current leakage diode threshold sweep probe contact stage alignment calibration
	instrument ellipsometer thickness refractive index layer film substrate deposition sputter etch
	clean rinse dry nitrogen vacuum pressure chamber recipe run result repeat check noted observed
	uniform edge center lot batch device structure pattern mask exposure develop bake cool ramp`)

// rareWord occurs in about one entry in rareEvery; everyWord in every
// entry.
const (
	rareWord  = "kesterite"
	rareEvery = 200
	everyWord = "notebook"
)

// elnOrg creates an organization with one user, as the owner.
func elnOrg(tb testing.TB, db *postgres.DB, slug string) (org, user uuid.UUID) {
	tb.Helper()
	ctx := context.Background()
	org, err := db.CreateOrganization(ctx, slug, slug)
	if err != nil {
		tb.Fatal(err)
	}
	pgtest.InOrg(tb, db, org, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO users (email, display_name) VALUES ($1, 'Author') RETURNING id`, slug+"@example.org").Scan(&user); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO memberships (organization_id, user_id, role) VALUES ($1, $2, 'engineer')`, org, user)
		return err
	})
	return org, user
}

// copyELNEntries loads n generated entries into org (the generated
// search column is computed by the server), then VACUUMs and ANALYZEs, as
// a production table of that size would be.
func copyELNEntries(tb testing.TB, db *postgres.DB, org, user uuid.UUID, n int) {
	tb.Helper()
	copyELNEntriesEvery(tb, db, org, user, n, rareEvery)
}

// copyELNEntriesEvery is copyELNEntries with rareWord in one entry in
// every.
func copyELNEntriesEvery(tb testing.TB, db *postgres.DB, org, user uuid.UUID, n, every int) {
	tb.Helper()
	rng := rand.New(rand.NewPCG(uint64(n), 42))
	words := func(k int) string {
		w := make([]string, k)
		for i := range w {
			w[i] = labWords[rng.IntN(len(labWords))]
		}
		return strings.Join(w, " ")
	}
	start := time.Now().Add(-time.Duration(n) * time.Second)
	ctx := context.Background()
	// INSERT from arrays, not COPY: PostgreSQL refuses COPY FROM into a
	// table under row-level security, which a non-superuser owner is.
	const batch = 5000
	for from := 0; from < n; from += batch {
		var ids []uuid.UUID
		var titles, bodies []string
		var created []time.Time
		for i := from; i < min(n, from+batch); i++ {
			id, err := uuid.NewV7()
			if err != nil {
				tb.Fatal(err)
			}
			body := everyWord + " " + words(40)
			if i%every == 0 {
				body += " " + rareWord + " " + words(10)
			}
			ids, titles, bodies = append(ids, id), append(titles, fmt.Sprintf("%s %d", words(4), i)), append(bodies, body)
			created = append(created, start.Add(time.Duration(i)*time.Second))
		}
		insertELNEntries(tb, db, org, user, ids, titles, bodies, created)
	}
	// VACUUM too: a table in service has its hint bits set and its
	// visibility map current (autovacuum), which a fresh load has not.
	if _, err := db.Pool().Exec(ctx, `VACUUM ANALYZE eln_entries`); err != nil {
		tb.Fatal(err)
	}
}

// insertELNEntries inserts entries of org, one per id, as the owner.
func insertELNEntries(tb testing.TB, db *postgres.DB, org, user uuid.UUID, ids []uuid.UUID, titles, bodies []string, created []time.Time) {
	tb.Helper()
	pgtest.InOrg(tb, db, org, func(tx pgx.Tx) error {
		_, err := tx.Exec(context.Background(), `INSERT INTO eln_entries (organization_id, id, title, body_markdown, created_by, created_at)
			SELECT $1, id, title, body, $2, at FROM unnest($3::uuid[], $4::text[], $5::text[], $6::timestamptz[]) AS r(id, title, body, at)`,
			org, user, ids, titles, bodies, created)
		return err
	})
}

// TestELNSearchUsesTheGINIndex asks the planner, with ordinary settings
// and real statistics, how it runs the search the API sends: through the
// GIN index on (organization_id, search), not by reading the table.
func TestELNSearchUsesTheGINIndex(t *testing.T) {
	db := pgtest.NewDB(t)
	org, user := elnOrg(t, db, "search-a")
	other, otherUser := elnOrg(t, db, "search-b")
	copyELNEntries(t, db, org, user, 12000)
	copyELNEntries(t, db, other, otherUser, 6000)

	// Whoever migrated the database, pg_catalog is as PostgreSQL ships it:
	// the index is not bought with a LEAKPROOF @@ (PRODUCT.md §15).
	var leakproof bool
	if err := db.Pool().QueryRow(context.Background(),
		`SELECT proleakproof FROM pg_proc WHERE oid = 'pg_catalog.ts_match_vq(tsvector, tsquery)'::regprocedure`).Scan(&leakproof); err != nil {
		t.Fatal(err)
	}
	if leakproof {
		t.Fatal("ts_match_vq is LEAKPROOF after the migrations")
	}

	ten := postgres.Tenant{OrgID: org, UserID: user, Auth: "system"}
	plan, err := db.ExplainELNSearch(context.Background(), ten, spectra.ELNFilter{Q: rareWord})
	if err != nil {
		t.Fatal(err)
	}
	// @@ in the index condition: an index scan on organization_id with @@
	// as a filter reads every entry of the organization (what row-level
	// security does to a query's own @@).
	if !searchIndexCond.MatchString(plan) || strings.Contains(plan, "Seq Scan on eln_entries") {
		t.Fatalf("the search does not find its matches through the GIN index:\n%s", plan)
	}
	// The control: without 00012's policy (in this test's database only)
	// the search role's statement has no @@ for the index.
	if _, err := db.Pool().Exec(context.Background(), `DROP POLICY search_match ON eln_entries`); err != nil {
		t.Fatal(err)
	}
	control, err := db.ExplainELNSearch(context.Background(), ten, spectra.ELNFilter{Q: rareWord})
	if err != nil {
		t.Fatal(err)
	}
	if searchIndexCond.MatchString(control) {
		t.Fatalf("the assertion does not tell the plans apart:\n%s", control)
	}
	if _, err := db.Pool().Exec(context.Background(), `CREATE POLICY search_match ON eln_entries AS RESTRICTIVE FOR SELECT
		TO spectra_search USING (search @@ spectra_eln_query())`); err != nil {
		t.Fatal(err)
	}

	// The plan is of the query the store runs: it finds the rare entries.
	hits, _, err := db.SearchELN(context.Background(), ten, spectra.ELNFilter{Q: rareWord}, mustRankPage(t, 200, ""))
	if err != nil {
		t.Fatal(err)
	}
	if want := 12000 / rareEvery; len(hits) != want {
		t.Fatalf("%d hits, want %d", len(hits), want)
	}
	for _, h := range hits {
		if !strings.Contains(h.Snippet, "<mark>"+rareWord+"</mark>") || h.Rank == nil || *h.Rank <= 0 {
			t.Fatalf("hit without rank or highlighted snippet: %+v", h)
		}
	}
}

var searchIndexCond = regexp.MustCompile(`Bitmap Index Scan on eln_entries_search_idx.*\n\s*Index Cond: \(search @@ .*app\.eln_query`)

func mustRankPage(t *testing.T, limit int, cursor string) postgres.RankPage {
	t.Helper()
	p, err := postgres.NewRankPage(limit, cursor)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestELNSearchPages walks a ranked search whose hits all tie, a page at
// a time: the (rank, id) cursor neither skips nor repeats.
func TestELNSearchPages(t *testing.T) {
	db := pgtest.NewDB(t)
	org, user := elnOrg(t, db, "pages")
	copyELNEntries(t, db, org, user, 2000)
	ten := postgres.Tenant{OrgID: org, UserID: user, Auth: "system"}
	seen := map[uuid.UUID]bool{}
	cursor := ""
	for {
		hits, next, err := db.SearchELN(context.Background(), ten, spectra.ELNFilter{Q: rareWord}, mustRankPage(t, 3, cursor))
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range hits {
			if seen[h.ID] {
				t.Fatalf("%s repeated", h.ID)
			}
			seen[h.ID] = true
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if want := 2000 / rareEvery; len(seen) != want {
		t.Fatalf("%d hits over the pages, want %d", len(seen), want)
	}
}

func TestNewRankPageRefusesForeignCursors(t *testing.T) {
	for _, c := range []struct {
		limit  int
		cursor string
		field  string
	}{
		{0, "not base64!", "cursor"},
		{10, "AAAAAAAAAAAAAAAAAAAAAA", "cursor"},      // a list's cursor: 16 bytes
		{10, "f8AAAQAAAAAAAAAAAAAAAAAAAAA", "cursor"}, // a NaN rank
		{201, "", "limit"},
	} {
		_, err := postgres.NewRankPage(c.limit, c.cursor)
		var e *spectra.Error
		if !errors.As(err, &e) || e.Code != spectra.CodeInvalid || len(e.Fields) != 1 || e.Fields[0].Field != c.field {
			t.Errorf("NewRankPage(%d, %q) = %v, want invalid %s", c.limit, c.cursor, err, c.field)
		}
	}
	p, err := postgres.NewRankPage(0, "")
	if err != nil || p.Limit != postgres.DefaultLimit || p.After != uuid.Max {
		t.Fatalf("first page: %+v %v", p, err)
	}
}

// TestELNSearchWindow: with more matches than postgres.SearchWindow, the
// hits are ranked among the newest SearchWindow; an older entry, however
// relevant, is left out (the bound that keeps a common word fast).
func TestELNSearchWindow(t *testing.T) {
	db := pgtest.NewDB(t)
	org, user := elnOrg(t, db, "window")
	n := postgres.SearchWindow + 1
	ids := make([]uuid.UUID, n)
	titles, bodies := make([]string, n), make([]string, n)
	for i := range ids {
		id, err := uuid.NewV7()
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = id
		titles[i] = "Zircon note"
		if i == 0 { // the oldest: the best match by far
			titles[i] = "Zircon zircon zircon"
		}
		bodies[i] = "zircon"
	}
	created := make([]time.Time, n)
	for i := range created {
		created[i] = time.Now()
	}
	insertELNEntries(t, db, org, user, ids, titles, bodies, created)
	ten := postgres.Tenant{OrgID: org, UserID: user, Auth: "system"}
	seen := 0
	cursor := ""
	for {
		hits, next, err := db.SearchELN(context.Background(), ten, spectra.ELNFilter{Q: "zircon"}, mustRankPage(t, 200, cursor))
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range hits {
			if h.ID == ids[0] {
				t.Fatal("the entry outside the window was ranked")
			}
		}
		seen += len(hits)
		if next == "" {
			break
		}
		cursor = next
	}
	if seen != postgres.SearchWindow {
		t.Fatalf("%d hits, want the window's %d", seen, postgres.SearchWindow)
	}
}
