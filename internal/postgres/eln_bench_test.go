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
// with snippets, as the application role under row-level security) at
// PRODUCT.md §16's size: 200,000 entries in the organization, a rare word
// in 10 of them, a word in every one; beside another organization of
// 20,000 entries with the rare word in every entry (a word one lab writes
// everywhere is still rare to another). Loading takes a while; it runs
// only with -bench:
//
//	go test ./internal/postgres -run '^$' -bench ELNSearch -benchtime 200x
func BenchmarkELNSearch(b *testing.B) {
	db := pgtest.NewDB(b)
	org, user := elnOrg(b, db, "bench-a")
	other, otherUser := elnOrg(b, db, "bench-b")
	loaded := time.Now()
	copyELNEntriesEvery(b, db, org, user, 200_000, 20_000)
	copyELNEntriesEvery(b, db, other, otherUser, 20_000, 1)
	b.Logf("loaded 220,000 entries in %s", time.Since(loaded).Round(time.Millisecond))

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
		{"rare word (10 entries)", rareWord, false},
		{"phrase (1 entry in 60)", `"` + everyWord + ` ` + labWords[0] + `"`, false},
		{"word in every entry", everyWord, false},
		{"word in every entry, second page", everyWord, true},
		{"word in half the entries", labWords[1], false},
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
