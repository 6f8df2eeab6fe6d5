package httpapi

import (
	"context"
	"time"

	"github.com/spectra-lab/spectra/internal/spectra"
)

// readyTimeout bounds the readiness ping: a probe that hangs is a probe
// that failed.
const readyTimeout = 2 * time.Second

type statusBody struct {
	Status string `json:"status" example:"ok" doc:"ok for liveness, ready for readiness"`
}

type statusOutput struct {
	Body statusBody
}

// healthz answers as long as the process serves HTTP and its own parts
// are up (Deps.Liveness: the managed PostgreSQL, which is part of the
// process). It never queries the database: an outage of an external one
// should not get the process restarted.
func (s *server) healthz(context.Context, *struct{}) (*statusOutput, error) {
	if s.liveness != nil {
		if err := s.liveness(); err != nil {
			return nil, err
		}
	}
	return &statusOutput{Body: statusBody{Status: "ok"}}, nil
}

// readyz answers 200 when the database can serve requests (Pinger.Ready:
// it answers, and has not lately refused a write for want of space) and
// the server's own readiness check passes (Deps.Readiness: the managed
// cluster's disk has room), else 503 with the reason, so a load balancer
// sends traffic only to instances that can serve it.
func (s *server) readyz(ctx context.Context, _ *struct{}) (*statusOutput, error) {
	if s.db == nil {
		return nil, spectra.Errorf(spectra.CodeUnavailable, "no database configured")
	}
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	if err := s.db.Ready(ctx); err != nil {
		return nil, err
	}
	if s.ready != nil {
		if err := s.ready(); err != nil {
			return nil, err
		}
	}
	return &statusOutput{Body: statusBody{Status: "ready"}}, nil
}
