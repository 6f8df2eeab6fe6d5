package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/spectra-lab/spectra/internal/auth"
	"github.com/spectra-lab/spectra/internal/mail"
	"github.com/spectra-lab/spectra/internal/postgres"
	"github.com/spectra-lab/spectra/internal/spectra"
)

// SendEmailArgs is one e-mail to one recipient: a notification's, or a
// password reset link. It is queued in the transaction that produces it
// (postgres.DB.OnEmail, set by New), so that a rolled-back change sends
// nothing and a committed one survives a shutdown; it is unique by its
// Key (the notification's dedupe key and the recipient, or the reset
// request), so that however many instances produce or work it, it is sent
// once. A notification's carries its organization_id: that
// organization's admins see it, and its last error, in the jobs list.
type SendEmailArgs struct {
	spectra.EmailMessage
}

// Kind is the job's kind in river_job.
func (SendEmailArgs) Kind() string { return "send_email" }

// InsertOpts: unique by Key (its river:"unique" tag) in every state River
// keeps, so a sent e-mail is not queued again.
func (SendEmailArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: EmailAttempts, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// EmailAttempts is how often an e-mail is tried before it is discarded
// (with River's backoff, attempt⁴ seconds, about three days in all).
const EmailAttempts = 20

// emailWorker sends SendEmailArgs through the Mailer.
type emailWorker struct {
	river.WorkerDefaults[SendEmailArgs]
	db        *postgres.DB
	now       func() time.Time
	mailer    *mail.Mailer
	publicURL string
	retry     func(attempt int) time.Duration // nil: River's backoff
}

func (w *emailWorker) Work(ctx context.Context, j *river.Job[SendEmailArgs]) error {
	m := j.Args.EmailMessage
	if m.Template == spectra.EmailPasswordReset {
		// The token is made here, each attempt afresh (an earlier
		// attempt's never left), and only its hash is stored.
		token, hash, err := auth.NewResetToken()
		if err != nil {
			return err
		}
		ok, err := w.db.IssueResetToken(ctx, m.ResetID, hash, w.now())
		if err != nil {
			return err
		}
		if !ok {
			return river.JobCancel(errors.New("the password reset request was used or has expired"))
		}
		m.Link = auth.ResetLink + token
	}
	return w.mailer.SendMessage(ctx, m, w.publicURL)
}

func (w *emailWorker) NextRetry(j *river.Job[SendEmailArgs]) time.Time {
	if w.retry == nil {
		return time.Time{}
	}
	return time.Now().Add(w.retry(j.Attempt))
}

func (w *emailWorker) Timeout(*river.Job[SendEmailArgs]) time.Duration { return 2 * time.Minute }

// queueEmail is the postgres.EmailQueue of c: InsertManyTx in the
// producer's transaction.
func queueEmail(c *river.Client[pgx.Tx]) postgres.EmailQueue {
	return func(ctx context.Context, tx pgx.Tx, msgs []spectra.EmailMessage) error {
		if len(msgs) == 0 {
			return nil
		}
		params := make([]river.InsertManyParams, len(msgs))
		for i, m := range msgs {
			if m.Key == "" {
				return fmt.Errorf("jobs: an e-mail without a key")
			}
			params[i] = river.InsertManyParams{Args: SendEmailArgs{m}}
		}
		_, err := c.InsertManyTx(ctx, tx, params)
		return err
	}
}
