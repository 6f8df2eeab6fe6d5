package spectra

import (
	"time"

	"github.com/google/uuid"
)

// Job is one job of the background queue as an organization's admin sees
// it: its own organization's jobs, and the global housekeeping jobs.
type Job struct {
	ID          int64      `json:"id"`
	Kind        string     `json:"kind" doc:"prune, calibration_sweep, calibration_notices, …"`
	State       string     `json:"state" doc:"available, scheduled, running, retryable, completed, cancelled, discarded, pending"`
	Attempt     int        `json:"attempt" doc:"Attempts so far."`
	MaxAttempts int        `json:"max_attempts"`
	LastError   *string    `json:"last_error" doc:"The last failed attempt's error; never shown for a global job (it may name another organization)."`
	Global      bool       `json:"global" doc:"Housekeeping of every organization, not of this one alone."`
	Org         *uuid.UUID `json:"organization_id" nullable:"true" doc:"The organization a tenant job works for (this one); none for a global job."`
	CreatedAt   time.Time  `json:"created_at"`
	ScheduledAt time.Time  `json:"scheduled_at" doc:"When it runs (next)."`
	AttemptedAt *time.Time `json:"attempted_at"`
	FinalizedAt *time.Time `json:"finalized_at" doc:"When it completed, was cancelled or discarded."`
}
