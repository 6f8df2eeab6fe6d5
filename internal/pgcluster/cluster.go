// Package pgcluster runs a private PostgreSQL cluster under a data directory:
// initdb on first use, postgres as a child process listening only on a Unix
// socket, a file lock so that two processes never share one cluster, and a
// clean stop. It is the embedded default of `spectra` and the test harness's
// database server.
package pgcluster

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrInUse is returned by Start when another process already owns the cluster.
var ErrInUse = errors.New("pgcluster: data directory is in use by another process")

// ErrBinariesMissing is returned by Start when initdb or postgres cannot be found.
var ErrBinariesMissing = errors.New("pgcluster: PostgreSQL server binaries not found")

// Superuser is the cluster's bootstrap superuser; the socket directory is
// private to the cluster's owner, so it authenticates by trust.
const Superuser = "postgres"

// port only names the socket file (.s.PGSQL.<port>); no TCP port is opened.
const port = 5432

// maxSocketPath is the longest Unix socket path Linux accepts (sun_path minus NUL).
const maxSocketPath = 107

// Options configure a managed cluster.
type Options struct {
	// Dir is the cluster's home: PostgreSQL data in Dir/pg, its socket in
	// Dir/run, its log in Dir/postgres.log, the ownership lock in Dir/cluster.lock.
	Dir string
	// BinDir, when set, is searched first for initdb and postgres.
	BinDir string
	// Ephemeral trades durability for speed (fsync off): for test clusters only.
	Ephemeral bool
	// StartTimeout bounds how long Start waits for the server to accept
	// connections (default 60 s).
	StartTimeout time.Duration
	// Logger receives start/stop messages (default: discard).
	Logger *slog.Logger
	// MaxRestarts is how many times in a row the server is restarted after
	// it dies (with backoff from RestartBackoff, doubling, at most 10 s)
	// before the cluster gives up and Failed is closed. A restart counts
	// as "in a row" unless the server then stayed up for a minute. 0 means
	// DefaultMaxRestarts; negative means never restart.
	MaxRestarts int
	// RestartBackoff is the wait before the first restart (default 200 ms).
	RestartBackoff time.Duration
}

// DefaultMaxRestarts is Options.MaxRestarts when unset.
const DefaultMaxRestarts = 5

// stableAfter is how long a restarted server must stay up for its next
// death to start a fresh series of restarts.
const stableAfter = time.Minute

// State is what the supervisor knows of the server.
type State string

// The states of a managed server.
const (
	StateUp         State = "up"         // accepting connections
	StateRestarting State = "restarting" // died; being restarted
	StateFailed     State = "failed"     // died and could not be restarted: Failed is closed
	StateStopped    State = "stopped"    // Stop was called
)

// Health is the supervisor's view of the server.
type Health struct {
	State    State
	Pid      int   // the running postmaster (0 while down)
	Restarts int   // restarts in the current series
	Err      error // why it is not up, if it is not
}

// Cluster is a running managed PostgreSQL server. Stop it with Stop.
type Cluster struct {
	dir     string
	pgdata  string
	sockDir string
	logger  *slog.Logger

	bins  binaries
	owner *account
	opts  Options
	lock  *os.File

	mu      sync.Mutex
	cmd     *exec.Cmd     // the postmaster spectra started (nil if adopted)
	exited  chan struct{} // closed when cmd has exited
	waitErr error
	pid     int // the running postmaster: cmd's, or one started from outside and adopted
	health  Health

	stopping   chan struct{} // closed by Stop: the supervisor ends
	supervised chan struct{} // closed when the supervisor has ended
	failed     chan struct{} // closed when the supervisor gave up

	stopOnce sync.Once
	stopErr  error
}

// Start takes ownership of opts.Dir, creates the cluster on first use and
// starts the server. It returns ErrInUse when another process owns the
// directory and ErrBinariesMissing (with install hints) when PostgreSQL is
// not installed.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	if opts.Dir == "" {
		return nil, errors.New("pgcluster: Dir is required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.StartTimeout == 0 {
		opts.StartTimeout = 60 * time.Second
	}
	bins, err := findBinaries(opts.BinDir)
	if err != nil {
		return nil, err
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("pgcluster: %w", err)
	}
	owner, err := serverOwner()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("pgcluster: create %s: %w", dir, err)
	}
	lock, err := acquireLock(filepath.Join(dir, "cluster.lock"))
	if err != nil {
		return nil, err
	}
	if opts.MaxRestarts == 0 {
		opts.MaxRestarts = DefaultMaxRestarts
	}
	if opts.RestartBackoff <= 0 {
		opts.RestartBackoff = 200 * time.Millisecond
	}
	c := &Cluster{dir: dir, pgdata: filepath.Join(dir, "pg"), logger: opts.Logger, lock: lock,
		bins: bins, owner: owner, opts: opts,
		stopping: make(chan struct{}), failed: make(chan struct{})}
	if err := c.start(ctx, bins, owner, opts); err != nil {
		releaseLock(lock)
		return nil, err
	}
	c.supervised = make(chan struct{})
	go c.supervise()
	return c, nil
}

func (c *Cluster) start(ctx context.Context, bins binaries, owner *account, opts Options) error {
	c.sockDir = socketDir(c.dir)
	if err := owner.prepare(c.dir, c.sockDir); err != nil {
		return err
	}
	if err := stopOrphan(c.pgdata, c.logger); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(c.pgdata, "PG_VERSION")); errors.Is(err, os.ErrNotExist) {
		if err := c.initdb(ctx, bins, owner, opts.Ephemeral); err != nil {
			return err
		}
	} else if err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	if err := c.launch(bins, owner, opts.Ephemeral); err != nil {
		return err
	}
	readyCtx, cancel := context.WithTimeout(ctx, opts.StartTimeout)
	defer cancel()
	if err := c.waitReady(readyCtx); err != nil {
		_ = c.Stop()
		return err
	}
	c.setHealth(Health{State: StateUp, Pid: c.Pid()})
	c.logger.Info("managed postgresql ready", "dir", c.dir, "socket_dir", c.sockDir, "pid", c.Pid())
	return nil
}

// initdb creates the cluster in a scratch directory and renames it into
// place, so an interrupted initdb never leaves a half-made cluster behind.
func (c *Cluster) initdb(ctx context.Context, bins binaries, owner *account, ephemeral bool) error {
	scratch := c.pgdata + ".initdb"
	if err := os.RemoveAll(scratch); err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	// Made here, not by initdb: when root hands the server to the postgres
	// user, that user cannot create entries in the root-owned cluster home.
	if err := os.Mkdir(scratch, 0o700); err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	if err := os.Chown(scratch, owner.uid, owner.gid); err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	args := []string{"-D", scratch, "-U", Superuser, "--auth=trust", "--encoding=UTF8", "--locale=C"}
	if ephemeral {
		args = append(args, "--no-sync")
	}
	cmd := exec.CommandContext(ctx, bins.initdb, args...)
	cmd.Dir = c.dir
	cmd.SysProcAttr = owner.sysProcAttr()
	cmd.Env = owner.env()
	out, err := cmd.CombinedOutput()
	if err != nil {
		_ = os.RemoveAll(scratch)
		return fmt.Errorf("pgcluster: initdb failed: %w\n%s", err, out)
	}
	if err := os.Rename(scratch, c.pgdata); err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	c.logger.Info("managed postgresql initialised", "pgdata", c.pgdata)
	return nil
}

func (c *Cluster) launch(bins binaries, owner *account, ephemeral bool) error {
	logFile, err := os.OpenFile(filepath.Join(c.dir, "postgres.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	defer logFile.Close() // the child keeps its own descriptor
	args := []string{
		"-D", c.pgdata,
		"-k", c.sockDir,
		"-p", strconv.Itoa(port),
		"-c", "listen_addresses=",
		"-c", "unix_socket_permissions=0700",
		"-c", "max_connections=200",
	}
	if ephemeral {
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	cmd := exec.Command(bins.postgres, args...)
	cmd.Dir = c.dir
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.Env = owner.env()
	cmd.SysProcAttr = owner.sysProcAttr()
	// Its own process group: a terminal's Ctrl-C reaches spectra, which then
	// stops the server in order, instead of killing it mid-flight.
	cmd.SysProcAttr.Setpgid = true
	// If spectra dies without stopping it, the server is told to shut down.
	cmd.SysProcAttr.Pdeathsig = syscall.SIGTERM
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("pgcluster: start postgres: %w", err)
	}
	exited := make(chan struct{})
	c.mu.Lock()
	c.cmd, c.exited, c.pid, c.waitErr = cmd, exited, cmd.Process.Pid, nil
	c.mu.Unlock()
	go func() {
		err := cmd.Wait()
		c.mu.Lock()
		c.waitErr = err
		c.mu.Unlock()
		close(exited)
	}()
	return nil
}

func (c *Cluster) waitReady(ctx context.Context) error {
	var exited chan struct{} // nil (never ready) for an adopted postmaster
	c.mu.Lock()
	if c.cmd != nil && c.cmd.Process.Pid == c.pid {
		exited = c.exited
	}
	c.mu.Unlock()
	for {
		conn, err := pgx.Connect(ctx, c.URL("postgres"))
		if err == nil {
			err = conn.Ping(ctx)
			_ = conn.Close(context.Background())
			// The server answering must be the one expected: a postmaster
			// started from outside meanwhile also answers on the socket.
			if running, want := livePostmaster(c.pgdata), c.Pid(); err == nil && running != want {
				return fmt.Errorf("pgcluster: another postmaster (pid %d) runs on %s", running, c.pgdata)
			}
			if err == nil {
				return nil
			}
		}
		select {
		case <-exited:
			return fmt.Errorf("pgcluster: postgres exited during start-up (%v); log:\n%s", c.exitErr(), c.logTail())
		case <-ctx.Done():
			return fmt.Errorf("pgcluster: postgres did not accept connections: %w; log:\n%s", ctx.Err(), c.logTail())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (c *Cluster) logTail() string {
	b, err := os.ReadFile(filepath.Join(c.dir, "postgres.log"))
	if err != nil {
		return ""
	}
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// URL returns a connection URL for database db over the cluster's socket,
// as the superuser.
func (c *Cluster) URL(db string) string { return c.URLAs(Superuser, db) }

// URLAs is URL for another role (the socket authenticates by trust, and
// only the cluster's owner can reach it).
func (c *Cluster) URLAs(role, db string) string {
	u := url.URL{Scheme: "postgres", User: url.User(role), Path: "/" + db}
	q := url.Values{}
	q.Set("host", c.sockDir)
	q.Set("port", strconv.Itoa(port))
	u.RawQuery = q.Encode()
	return u.String()
}

// Dir is the cluster's home directory.
func (c *Cluster) Dir() string { return c.dir }

// SocketDir is the directory holding the server's Unix socket.
func (c *Cluster) SocketDir() string { return c.sockDir }

// Pid is the running postmaster's process id (0 while it is down).
func (c *Cluster) Pid() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pid
}

// FreeBytes is the space left to PostgreSQL on the file system of its data
// directory (what an unprivileged user may still write).
func (c *Cluster) FreeBytes() (uint64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(c.pgdata, &st); err != nil {
		return 0, fmt.Errorf("pgcluster: statfs %s: %w", c.pgdata, err)
	}
	return st.Bavail * uint64(st.Bsize), nil
}

// Health is the supervisor's view of the server.
func (c *Cluster) Health() Health {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.health
}

// Failed is closed when the server died and could not be restarted
// MaxRestarts times in a row; Health().Err says why. The owner should
// then exit non-zero, so that its own supervisor starts it afresh.
func (c *Cluster) Failed() <-chan struct{} { return c.failed }

func (c *Cluster) setHealth(h Health) {
	c.mu.Lock()
	c.health = h
	c.mu.Unlock()
}

func (c *Cluster) exitErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.waitErr
}

// Stop shuts the server down (fast mode: sessions are ended, work is
// durable) and releases the directory. It first ends the supervisor, then
// stops the postmaster that is actually running — the one postmaster.pid
// names, which after an outside restart is not the child spectra started —
// and never signals a child that has already exited. It is safe to call
// more than once.
func (c *Cluster) Stop() error {
	c.stopOnce.Do(func() {
		defer releaseLock(c.lock)
		close(c.stopping)
		if c.supervised != nil {
			<-c.supervised
		}
		c.mu.Lock()
		cmd, exited := c.cmd, c.exited
		c.mu.Unlock()
		pids := map[int]bool{}
		if pid := livePostmaster(c.pgdata); pid > 0 {
			pids[pid] = true
		}
		if cmd != nil && !closed(exited) {
			pids[cmd.Process.Pid] = true
		}
		for pid := range pids {
			if err := c.stopPid(pid, cmd, exited); err != nil {
				c.stopErr = err
			}
		}
		c.setHealth(Health{State: StateStopped})
		c.logger.Info("managed postgresql stopped", "dir", c.dir)
	})
	return c.stopErr
}

// stopPid asks postmaster pid for a fast shutdown and waits for it to end:
// through exited if it is spectra's child, by polling if it is not.
func (c *Cluster) stopPid(pid int, cmd *exec.Cmd, exited chan struct{}) error {
	gone := exited
	if cmd == nil || cmd.Process.Pid != pid {
		gone = make(chan struct{})
		go func() { waitGone(pid, nil); close(gone) }()
	}
	if err := syscall.Kill(pid, syscall.SIGINT); err != nil {
		return nil // already gone
	}
	select {
	case <-gone:
		return nil
	case <-time.After(30 * time.Second):
		// Immediate shutdown: crash recovery replays the WAL on next start.
		_ = syscall.Kill(pid, syscall.SIGQUIT)
		<-gone
		return fmt.Errorf("pgcluster: postgres (pid %d) did not stop within 30s; sent SIGQUIT", pid)
	}
}

func closed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// waitGone polls until process pid no longer exists, or until stop is closed
// (reporting false).
func waitGone(pid int, stop <-chan struct{}) bool {
	for {
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			return true
		}
		select {
		case <-stop:
			return false
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// livePostmaster is the pid of a postgres process that postmaster.pid in
// pgdata names and that is running, or 0.
func livePostmaster(pgdata string) int {
	f, err := os.Open(filepath.Join(pgdata, "postmaster.pid"))
	if err != nil {
		return 0 // no pid file: nothing running
	}
	line, _ := bufio.NewReader(f).ReadString('\n')
	f.Close()
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil || pid <= 0 {
		return 0
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || !strings.Contains(string(cmdline), "postgres") {
		return 0 // stale file; postgres itself will clean it up
	}
	// A zombie (a child of ours not yet reaped) is not running.
	if st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
		if i := strings.LastIndexByte(string(st), ')'); i > 0 && i+2 < len(st) && st[i+2] == 'Z' {
			return 0
		}
	}
	return pid
}

// stopOrphan stops a server left running by a previous owner that died
// without stopping it. Start holds the lock, so no live owner exists.
func stopOrphan(pgdata string, logger *slog.Logger) error {
	pid := livePostmaster(pgdata)
	if pid == 0 {
		return nil
	}
	logger.Warn("stopping an orphaned managed postgresql", "pid", pid)
	if err := syscall.Kill(pid, syscall.SIGINT); err != nil {
		return nil
	}
	stop := make(chan struct{})
	timer := time.AfterFunc(30*time.Second, func() { close(stop) })
	defer timer.Stop()
	if waitGone(pid, stop) {
		return nil
	}
	return fmt.Errorf("pgcluster: orphaned postgres (pid %d) on %s did not stop", pid, pgdata)
}

// socketDir keeps the socket inside the cluster directory unless the path
// would exceed the kernel's limit for Unix socket names; then it uses a
// short private directory under the system temp directory, named after the
// cluster directory so that each cluster still has its own.
func socketDir(dir string) string {
	inside := filepath.Join(dir, "run")
	if len(inside)+len("/.s.PGSQL.5432.lock") <= maxSocketPath {
		return inside
	}
	h := fnv32(dir)
	return filepath.Join(os.TempDir(), fmt.Sprintf("spectra-pg-%08x", h))
}

func fnv32(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}

// account is the system user the server runs as: the current user, or the
// postgres user when running as root (PostgreSQL refuses to run as root).
type account struct {
	uid, gid int
	name     string
	home     string
	switched bool
}

func serverOwner() (*account, error) {
	if os.Geteuid() != 0 {
		return &account{uid: os.Getuid(), gid: os.Getgid()}, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, errors.New("pgcluster: running as root, and PostgreSQL refuses to run as root; " +
			"create a 'postgres' system user (Debian: apt-get install postgresql creates one) or run spectra as a normal user")
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &account{uid: uid, gid: gid, name: u.Username, home: u.HomeDir, switched: true}, nil
}

func (a *account) sysProcAttr() *syscall.SysProcAttr {
	attr := &syscall.SysProcAttr{}
	if a.switched {
		attr.Credential = &syscall.Credential{Uid: uint32(a.uid), Gid: uint32(a.gid)}
	}
	return attr
}

func (a *account) env() []string {
	env := []string{"PATH=" + os.Getenv("PATH"), "LC_ALL=C", "TZ=UTC"}
	if a.switched {
		env = append(env, "HOME="+a.home, "USER="+a.name)
	} else {
		env = append(env, "HOME="+os.Getenv("HOME"), "USER="+os.Getenv("USER"))
	}
	return env
}

// prepare makes the cluster directory usable by the server's account: the
// socket directory exists and belongs to it, and, when switching from root,
// every directory on the way is traversable by it.
func (a *account) prepare(dir, sockDir string) error {
	if err := os.MkdirAll(sockDir, 0o700); err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	if !a.switched {
		return nil
	}
	// The home stays root's, but the server's user must pass through it.
	if err := os.Chmod(dir, 0o711); err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	for _, p := range []string{sockDir, filepath.Join(dir, "pg")} {
		if _, err := os.Stat(p); err == nil {
			if err := os.Lchown(p, a.uid, a.gid); err != nil {
				return fmt.Errorf("pgcluster: %w", err)
			}
		}
	}
	return checkTraversable(dir, a.uid, a.gid)
}

// checkTraversable reports the first ancestor of dir that uid cannot enter.
func checkTraversable(dir string, uid, gid int) error {
	for p := dir; ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("pgcluster: %w", err)
		}
		st := fi.Sys().(*syscall.Stat_t)
		mode := fi.Mode().Perm()
		ok := mode&0o001 != 0 ||
			(int(st.Uid) == uid && mode&0o100 != 0) ||
			(int(st.Gid) == gid && mode&0o010 != 0)
		if !ok {
			return fmt.Errorf("pgcluster: the postgres user cannot enter %s (mode %v); "+
				"run `chmod o+x %s` or choose a data directory elsewhere (SPECTRA_DATA_DIR)", p, mode, p)
		}
		if p == filepath.Dir(p) {
			return nil
		}
	}
}
