package spectra

import (
	"testing"
	"time"
)

func TestCalibrationState(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { v := now.Add(d); return &v }
	day := 24 * time.Hour
	cases := []struct {
		name     string
		required bool
		expires  *time.Time
		warn     int
		want     CalState
	}{
		{"not required, never calibrated", false, nil, 30, CalNotRequired},
		{"not required, expired", false, at(-day), 30, CalNotRequired},
		{"never calibrated", true, nil, 30, CalMissing},
		{"expired yesterday", true, at(-day), 30, CalExpired},
		{"expires this instant", true, at(0), 30, CalExpired},
		{"expires in a second", true, at(time.Second), 30, CalExpiring},
		{"expires at the window's edge", true, at(30 * day), 30, CalExpiring},
		{"expires just after the window", true, at(30*day + time.Second), 30, CalValid},
		{"far ahead", true, at(300 * day), 30, CalValid},
		{"no window", true, at(time.Hour), 0, CalValid},
	}
	for _, c := range cases {
		if got := CalibrationState(c.required, c.expires, now, c.warn); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
	if !CalExpired.Locks() || !CalMissing.Locks() || CalExpiring.Locks() || CalValid.Locks() || CalNotRequired.Locks() {
		t.Error("only expired and missing lock an instrument out")
	}
	if d := DaysLeft(now.Add(36*time.Hour), now); d != 1 {
		t.Errorf("days left for 36h = %d", d)
	}
	if d := DaysLeft(now.Add(-time.Hour), now); d != -1 {
		t.Errorf("days left an hour after expiry = %d", d)
	}
}

func TestNextRunStatus(t *testing.T) {
	cases := []struct {
		from   RunStatus
		action RunAction
		want   RunStatus // "" means refused
	}{
		{RunPlanned, ActStart, RunRunning},
		{RunPlanned, ActAbort, RunAborted},
		{RunPlanned, ActBlock, RunBlocked},
		{RunPlanned, ActComplete, ""},
		{RunPlanned, ActFail, ""},
		{RunBlocked, ActStart, RunRunning},
		{RunBlocked, ActAbort, RunAborted},
		{RunBlocked, ActComplete, ""},
		{RunRunning, ActComplete, RunCompleted},
		{RunRunning, ActFail, RunFailed},
		{RunRunning, ActAbort, RunAborted},
		{RunRunning, ActStart, ""},
		{RunRunning, ActBlock, ""},
		{RunCompleted, ActAbort, ""},
		{RunCompleted, ActStart, ""},
		{RunFailed, ActComplete, ""},
		{RunAborted, ActStart, ""},
	}
	for _, c := range cases {
		got, err := NextRunStatus(c.from, c.action)
		if c.want == "" {
			if err == nil || ErrorCode(err) != CodeConflict {
				t.Errorf("%s → %s: got %s, %v; want a conflict", c.from, c.action, got, err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%s → %s: got %s, %v; want %s", c.from, c.action, got, err, c.want)
		}
	}
}

func TestLockoutErrorNamesInstruments(t *testing.T) {
	e := &LockoutError{Instruments: []LapsedInstrument{{Name: "SMU", State: CalExpired}, {Name: "SEM", State: CalMissing}}}
	if got := e.Error(); got != "calibration lockout: SMU (expired), SEM (missing)" {
		t.Fatal(got)
	}
}
