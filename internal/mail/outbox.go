package mail

import (
	"context"
	"log/slog"

	"github.com/spectra-lab/spectra/internal/spectra"
)

// Outbox is the server's in-process sender: the store hands it the
// e-mails of each committed transaction (postgres.DB.OnEmail) and Run
// sends them one delivery at a time. It holds what it was given in
// memory only: a delivery not yet sent when the process stops is lost,
// and one the mail server refuses is logged, not retried. The job queue
// (issue 15) replaces it with retried, unique jobs.
type Outbox struct {
	mailer    *Mailer
	publicURL string
	logger    *slog.Logger
	queue     chan spectra.EmailDelivery
}

// outboxSize bounds what waits to be sent; beyond it deliveries are
// dropped (and logged) rather than holding up the request that made them.
const outboxSize = 1000

// NewOutbox sends through m, with links under publicURL.
func NewOutbox(m *Mailer, publicURL string, logger *slog.Logger) *Outbox {
	return &Outbox{mailer: m, publicURL: publicURL, logger: logger, queue: make(chan spectra.EmailDelivery, outboxSize)}
}

// Enqueue takes deliveries to send; it never blocks.
func (o *Outbox) Enqueue(_ context.Context, ds []spectra.EmailDelivery) {
	for _, d := range ds {
		select {
		case o.queue <- d:
		default:
			o.logger.Error("e-mail outbox full: a notification e-mail is dropped", "kind", d.Kind, "org", d.OrgID, "recipients", len(d.To))
		}
	}
}

// Run sends what is enqueued until ctx ends.
func (o *Outbox) Run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case d := <-o.queue:
			to := make([]Recipient, len(d.To))
			for i, r := range d.To {
				to[i] = Recipient{Name: r.Name, Address: r.Email}
			}
			err := o.mailer.Send(ctx, to, d.Kind, Data{Lab: d.Lab, Object: d.ObjectName, Detail: d.Detail, Link: Link(o.publicURL, d.Link)})
			if err != nil {
				o.logger.Error("notification e-mail not sent", "kind", d.Kind, "org", d.OrgID, "recipients", len(to), "err", err)
				continue
			}
			o.logger.Info("notification e-mail sent", "kind", d.Kind, "org", d.OrgID, "recipients", len(to))
		}
	}
}
