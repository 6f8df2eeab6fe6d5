package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/spectra-lab/spectra/internal/postgres"
	"github.com/spectra-lab/spectra/internal/postgres/pgtest"
	"github.com/spectra-lab/spectra/internal/spectra"
)

// BenchmarkELNSearch measures the API's search (ranked, first page of 50,
// with snippets, as the application role under row-level security) on an
// organization with 100,000 entries, beside another with 20,000. Loading
// takes a while; it runs only with -bench:
//
//	go test ./internal/postgres -run '^$' -bench ELNSearch -benchtime 50x
func BenchmarkELNSearch(b *testing.B) {
	db := pgtest.NewDB(b)
	org, user := elnOrg(b, db, "bench-a")
	other, otherUser := elnOrg(b, db, "bench-b")
	loaded := time.Now()
	copyELNEntries(b, db, org, user, 100_000)
	copyELNEntries(b, db, other, otherUser, 20_000)
	b.Logf("loaded 120,000 entries in %s", time.Since(loaded).Round(time.Millisecond))

	ctx := context.Background()
	ten := postgres.Tenant{OrgID: org, UserID: user, Auth: "system"}
	first, err := postgres.NewRankPage(50, "")
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name, q string
		second  bool // the page after the first: the (rank, id) keyset
	}{
		{"rare word (0.5% of entries)", rareWord, false},
		{"rare word, second page", rareWord, true},
		{"phrase", `"` + rareWord + ` ` + labWords[0] + `"`, false},
		{"common word (half the entries)", labWords[1], false},
		{"common word, second page", labWords[1], true},
		{"two common words", labWords[1] + " " + labWords[2], false},
	} {
		b.Run(c.name, func(b *testing.B) {
			p := first
			if c.second {
				_, cursor, err := db.SearchELN(ctx, ten, spectra.ELNFilter{Q: c.q}, first)
				if err != nil || cursor == "" {
					b.Fatalf("first page: cursor %q, %v", cursor, err)
				}
				if p, err = postgres.NewRankPage(50, cursor); err != nil {
					b.Fatal(err)
				}
			}
			for b.Loop() {
				hits, _, err := db.SearchELN(ctx, ten, spectra.ELNFilter{Q: c.q}, p)
				if err != nil {
					b.Fatal(err)
				}
				if len(hits) == 0 {
					b.Fatalf("no hits for %q", c.q)
				}
			}
		})
	}
}
