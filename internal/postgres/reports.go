package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/spectra-lab/spectra/internal/spectra"
)

// RunReport gathers the report of a run (spectra.RunReport): the run's
// detail, the lab, the people by name, the recipe revision and its
// approval, the parameters with their units, the results with their
// source, the signatures, and every y column of every series downsampled
// to at most points points. The metadata is read in one transaction; the
// plots after it (a series never changes once stored). Another
// organization's run is CodeNotFound.
func (db *DB) RunReport(ctx context.Context, t Tenant, id uuid.UUID, points int, now time.Time) (spectra.RunReport, error) {
	rep, err := inTenant(ctx, db, t, func(tx pgx.Tx) (spectra.RunReport, error) { return runReport(ctx, tx, t.OrgID, id) })
	if err != nil {
		return rep, err
	}
	rep.GeneratedAt = now
	for _, s := range rep.Run.Series {
		for y := 1; y < len(s.Columns); y++ {
			p, err := db.DataSeriesPlot(ctx, t, s.ID, PlotRequest{Y: y, Points: points})
			if err != nil {
				return rep, fmt.Errorf("postgres: plot of series %s: %w", s.ID, err)
			}
			rep.Plots = append(rep.Plots, p)
		}
	}
	return rep, nil
}

func runReport(ctx context.Context, tx pgx.Tx, org, id uuid.UUID) (spectra.RunReport, error) {
	var rep spectra.RunReport
	d, err := runDetail(ctx, tx, org, id)
	if err != nil {
		return rep, err
	}
	rep.Run = d
	if err := tx.QueryRow(ctx, `SELECT name FROM organizations WHERE id = $1`, org).Scan(&rep.Lab); err != nil {
		return rep, err
	}
	recipe, err := recipeKind.get(ctx, tx, org, d.RecipeID, false)
	if err != nil {
		return rep, err
	}
	rep.Recipe = spectra.ReportRecipe{Name: recipe.Name, Revision: recipe.Revision, Description: recipe.Description, Status: recipe.Status}
	approvals, err := recipeKind.listApprovals(ctx, tx, org, recipe, spectra.Page{Limit: 1})
	if err != nil {
		return rep, err
	}
	subject := fmt.Sprintf("approval of recipe %s, revision %d", recipe.Name, recipe.Revision)
	if len(approvals) > 0 {
		a := approvals[0].MethodApproval
		rep.Recipe.Approval = &a
		if s := a.Signature; s != nil {
			rep.Signatures = append(rep.Signatures, spectra.ReportSignature{Subject: subject,
				Signer: spectra.Person{ID: s.SignerID, Name: a.ApproverName, Email: a.ApproverEmail}, Role: s.SignerRole,
				Meaning: s.Meaning, AuthMethod: s.AuthMethod, SignedAt: s.SignedAt, Scheme: s.Scheme, ContentSHA256: s.ContentSHA256, Matches: s.Matches})
		}
	}
	rep.Parameters = spectra.ReportParameters(d.Parameters, recipe.Parameters)
	rep.Results = spectra.ReportResults(d.Results, d.Series)
	if err := notebookSignatures(ctx, tx, org, id, &rep); err != nil {
		return rep, err
	}

	ids := []uuid.UUID{}
	for _, p := range []*uuid.UUID{d.OperatorID, d.CreatedBy} {
		if p != nil {
			ids = append(ids, *p)
		}
	}
	for _, h := range d.History {
		if h.ActorID != nil {
			ids = append(ids, *h.ActorID)
		}
	}
	people, err := persons(ctx, tx, ids)
	if err != nil {
		return rep, err
	}
	rep.Operator, rep.CreatedBy = people.of(d.OperatorID), people.of(d.CreatedBy)
	rep.History = make([]spectra.ReportTransition, len(d.History))
	for i, h := range d.History {
		rep.History[i] = spectra.ReportTransition{RunTransition: h, Actor: people.of(h.ActorID)}
	}
	return rep, nil
}

// notebookSignatures appends the signatures of the notebook entries about
// run id, each checked against its entry as it is now.
func notebookSignatures(ctx context.Context, tx pgx.Tx, org, id uuid.UUID, rep *spectra.RunReport) error {
	rows, err := tx.Query(ctx, `SELECT DISTINCT l.entry_id FROM eln_links l
		JOIN eln_entries e ON e.organization_id = l.organization_id AND e.id = l.entry_id
		WHERE l.organization_id = $1 AND l.run_id = $2 AND e.deleted_at IS NULL ORDER BY l.entry_id`, org, id)
	if err != nil {
		return err
	}
	entries, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return err
	}
	for _, eid := range entries {
		e, err := entry(ctx, tx, org, eid, false)
		if err != nil {
			return err
		}
		sigs, err := signatures(ctx, tx, org, e)
		if err != nil {
			return err
		}
		for _, s := range sigs {
			rep.Signatures = append(rep.Signatures, spectra.ReportSignature{Subject: "notebook entry “" + e.Title + "”",
				Signer: spectra.Person{ID: s.Signer.ID, Name: s.Signer.Name, Email: s.Signer.Email}, Role: s.Role,
				Meaning: string(s.Meaning), AuthMethod: s.AuthMethod, SignedAt: s.SignedAt, Scheme: s.Scheme, ContentSHA256: s.ContentSHA256, Matches: s.Matches})
		}
	}
	return nil
}

// people are users by id, as the organization sees them.
type people map[uuid.UUID]spectra.Person

// of is the person with id, nil for no id; a user the organization no
// longer sees is named by id alone.
func (p people) of(id *uuid.UUID) *spectra.Person {
	if id == nil {
		return nil
	}
	if x, ok := p[*id]; ok {
		return &x
	}
	return &spectra.Person{ID: *id}
}

// persons reads the names of users ids.
func persons(ctx context.Context, tx pgx.Tx, ids []uuid.UUID) (people, error) {
	rows, err := tx.Query(ctx, `SELECT id, email, display_name FROM users WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, err
	}
	out := people{}
	var x spectra.Person
	_, err = pgx.ForEachRow(rows, []any{&x.ID, &x.Email, &x.Name}, func() error {
		out[x.ID] = x
		return nil
	})
	return out, err
}
