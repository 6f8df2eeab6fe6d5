package pgcluster

import (
	"context"
	"fmt"
	"time"
)

// maxBackoff caps the wait between restarts.
const maxBackoff = 10 * time.Second

// supervise watches the postmaster until Stop. When it dies — killed, or
// crashed — the supervisor restarts it with backoff. A postmaster started
// from outside meanwhile (pg_ctl) is adopted instead: it is watched, and
// Stop stops it. After MaxRestarts restarts in a row the supervisor gives
// up and closes Failed.
func (c *Cluster) supervise() {
	defer close(c.supervised)
	restarts := 0
	upSince := time.Now()
	for {
		pid, err := c.waitDeath()
		if err == errStopping {
			return
		}
		if time.Since(upSince) >= stableAfter {
			restarts = 0
		}
		c.logger.Error("managed postgresql died", "pid", pid, "err", err, "log_tail", lastLines(c.logTail(), 5))
		for {
			if restarts >= c.opts.MaxRestarts {
				err = fmt.Errorf("pgcluster: postgres died and %d restarts in a row failed: %w", restarts, err)
				c.logger.Error("giving up on the managed postgresql", "restarts", restarts, "err", err)
				c.setHealth(Health{State: StateFailed, Restarts: restarts, Err: err})
				close(c.failed)
				return
			}
			restarts++
			c.setHealth(Health{State: StateRestarting, Restarts: restarts, Err: err})
			select {
			case <-c.stopping:
				return
			case <-time.After(backoff(c.opts.RestartBackoff, restarts)):
			}
			if err = c.restart(); err == nil {
				break
			}
			if err == errStopping {
				return
			}
			c.logger.Warn("restarting the managed postgresql failed", "attempt", restarts, "err", err)
		}
		upSince = time.Now()
		c.setHealth(Health{State: StateUp, Pid: c.Pid(), Restarts: restarts})
		c.logger.Info("managed postgresql restarted", "pid", c.Pid(), "attempt", restarts)
	}
}

var errStopping = fmt.Errorf("pgcluster: stopping")

// waitDeath waits until the running postmaster ends (returning its pid and
// why) or Stop is called (errStopping).
func (c *Cluster) waitDeath() (int, error) {
	c.mu.Lock()
	cmd, exited, pid := c.cmd, c.exited, c.pid
	c.mu.Unlock()
	if cmd != nil && cmd.Process.Pid == pid {
		select {
		case <-c.stopping:
			return pid, errStopping
		case <-exited:
			c.mu.Lock()
			c.pid = 0
			c.mu.Unlock()
			return pid, fmt.Errorf("postgres exited: %v", c.exitErr())
		}
	}
	if !waitGone(pid, c.stopping) {
		return pid, errStopping
	}
	c.mu.Lock()
	c.pid = 0
	c.mu.Unlock()
	return pid, fmt.Errorf("postgres (pid %d, started outside spectra) exited", pid)
}

// restart adopts a postmaster that is already running on the data
// directory (an operator's pg_ctl start or restart), or starts one and
// waits until it accepts connections.
func (c *Cluster) restart() error {
	if pid := livePostmaster(c.pgdata); pid > 0 {
		c.mu.Lock()
		c.pid = pid
		c.mu.Unlock()
		c.logger.Warn("adopting a managed postgresql started outside spectra", "pid", pid)
		return c.ready()
	}
	if err := c.launch(c.bins, c.owner, c.opts.Ephemeral); err != nil {
		return err
	}
	if err := c.ready(); err != nil {
		// Not ready in time: stop this attempt before the next one.
		c.mu.Lock()
		cmd, exited := c.cmd, c.exited
		c.mu.Unlock()
		if !closed(exited) {
			_ = c.stopPid(cmd.Process.Pid, cmd, exited)
		}
		c.mu.Lock()
		c.pid = 0
		c.mu.Unlock()
		return err
	}
	return nil
}

// ready is waitReady bounded by StartTimeout and ended by Stop.
func (c *Cluster) ready() error {
	ctx, cancel := context.WithTimeout(context.Background(), c.opts.StartTimeout)
	defer cancel()
	go func() {
		select {
		case <-c.stopping:
			cancel()
		case <-ctx.Done():
		}
	}()
	err := c.waitReady(ctx)
	select {
	case <-c.stopping:
		return errStopping
	default:
	}
	return err
}

// backoff is the wait before restart n (1, 2, …): first, doubling, capped.
func backoff(first time.Duration, n int) time.Duration {
	d := first
	for i := 1; i < n && d < maxBackoff; i++ {
		d *= 2
	}
	return min(d, maxBackoff)
}

func lastLines(s string, n int) string {
	end := len(s)
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '\n' && i < end-1 {
			n--
			if n == 0 {
				return s[i+1:]
			}
		}
	}
	return s
}
