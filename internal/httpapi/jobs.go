package httpapi

import (
	"context"

	"github.com/spectra-lab/spectra/internal/jobs"
	"github.com/spectra-lab/spectra/internal/spectra"
)

type jobsInput struct {
	Limit int `query:"limit" minimum:"1" maximum:"200" default:"50" doc:"At most 200: the newest jobs."`
}

type jobsOutput struct {
	Body struct {
		Items []spectra.Job `json:"items"`
	}
}

// listJobs lists the caller's organization's jobs and the global
// housekeeping jobs (postgres.DB.Jobs: another organization's job never
// shows, nor a global job's error).
func (s *server) listJobs(ctx context.Context, in *jobsInput) (*jobsOutput, error) {
	items, err := s.store.Jobs(ctx, s.tenant(ctx).OrgID, jobs.GlobalKinds, in.Limit)
	if err != nil {
		return nil, err
	}
	out := &jobsOutput{}
	out.Body.Items = items
	if out.Body.Items == nil {
		out.Body.Items = []spectra.Job{}
	}
	return out, nil
}
