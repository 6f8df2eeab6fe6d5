// Package pgbouncertest runs a private PgBouncer in transaction pooling
// mode in front of a test PostgreSQL server: the pooler that production
// deployments put between spectra and PostgreSQL (docs/operations.md,
// "PgBouncer"). It uses the pgbouncer binary of the system (Debian:
// `apt-get install pgbouncer`); when it is missing, Start says how to get
// it, and the tests that need it fail.
package pgbouncertest

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ErrMissing is returned by Start when no pgbouncer binary is installed.
var ErrMissing = errors.New("pgbouncertest: pgbouncer not found on PATH nor at /usr/sbin/pgbouncer " +
	"(Debian/Ubuntu: `apt-get install pgbouncer`; .ci/run installs it)")

// port only names the socket file (.s.PGSQL.<port>); no TCP port is opened.
const port = 6432

// Options say where the server is and who may connect.
type Options struct {
	// Host and Port of the PostgreSQL server: a Unix socket directory or
	// a host name.
	Host string
	Port uint16
	// Users are the roles clients log in as, with their passwords (empty
	// when the server trusts them). PgBouncer authenticates clients by
	// trust on its private socket and hands the passwords on to the
	// server when it asks.
	Users map[string]string
	// PoolSize is the number of server connections per database and user
	// (default 20).
	PoolSize int
}

// Bouncer is a running PgBouncer. Stop it with Stop.
type Bouncer struct {
	dir     string
	sockDir string
	cmd     *exec.Cmd
	exited  chan struct{}
}

// Binary returns the path of the pgbouncer binary, or ErrMissing.
func Binary() (string, error) {
	if p, err := exec.LookPath("pgbouncer"); err == nil {
		return p, nil
	}
	const debian = "/usr/sbin/pgbouncer"
	if fi, err := os.Stat(debian); err == nil && fi.Mode()&0o111 != 0 {
		return debian, nil
	}
	return "", ErrMissing
}

// Start writes PgBouncer's configuration under a new temporary directory
// and starts it, listening only on a Unix socket there, in transaction
// pooling mode with every database of the server as a pool ("*").
func Start(opts Options) (*Bouncer, error) {
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	if opts.PoolSize == 0 {
		opts.PoolSize = 20
	}
	// Short, so that the socket path stays under the kernel's limit.
	dir, err := os.MkdirTemp("", "spectra-pgb-")
	if err != nil {
		return nil, fmt.Errorf("pgbouncertest: %w", err)
	}
	b := &Bouncer{dir: dir, sockDir: filepath.Join(dir, "run"), exited: make(chan struct{})}
	if err := b.start(bin, opts); err != nil {
		_ = b.Stop()
		return nil, err
	}
	return b, nil
}

func (b *Bouncer) start(bin string, opts Options) error {
	owner, err := runAs()
	if err != nil {
		return err
	}
	if err := os.Mkdir(b.sockDir, 0o700); err != nil {
		return fmt.Errorf("pgbouncertest: %w", err)
	}
	ini := filepath.Join(b.dir, "pgbouncer.ini")
	users := filepath.Join(b.dir, "userlist.txt")
	logFile := filepath.Join(b.dir, "pgbouncer.log")
	if err := os.WriteFile(ini, []byte(config(opts, b.sockDir, users, logFile)), 0o600); err != nil {
		return fmt.Errorf("pgbouncertest: %w", err)
	}
	if err := os.WriteFile(users, []byte(userlist(opts.Users)), 0o600); err != nil {
		return fmt.Errorf("pgbouncertest: %w", err)
	}
	if owner != nil {
		// PgBouncer refuses to run as root: it runs as postgres, which
		// must enter the directory and own what PgBouncer writes.
		if err := os.Chmod(b.dir, 0o711); err != nil {
			return fmt.Errorf("pgbouncertest: %w", err)
		}
		for _, p := range []string{b.dir, b.sockDir, ini, users} {
			if err := os.Chown(p, int(owner.Uid), int(owner.Gid)); err != nil {
				return fmt.Errorf("pgbouncertest: %w", err)
			}
		}
	}
	b.cmd = exec.Command(bin, ini)
	b.cmd.Dir = b.dir
	b.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: owner}
	if err := b.cmd.Start(); err != nil {
		return fmt.Errorf("pgbouncertest: start %s: %w", bin, err)
	}
	go func() { _ = b.cmd.Wait(); close(b.exited) }()
	return b.waitReady(logFile)
}

func (b *Bouncer) waitReady(logFile string) error {
	sock := filepath.Join(b.sockDir, ".s.PGSQL."+strconv.Itoa(port))
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-b.exited:
			log, _ := os.ReadFile(logFile)
			return fmt.Errorf("pgbouncertest: pgbouncer exited at start: %s\n%s", b.cmd.ProcessState, log)
		default:
		}
		if c, err := net.Dial("unix", sock); err == nil {
			c.Close()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	log, _ := os.ReadFile(logFile)
	return fmt.Errorf("pgbouncertest: pgbouncer did not listen on %s within 15s\n%s", sock, log)
}

// config is pgbouncer.ini: the settings docs/operations.md ("PgBouncer")
// names for production, and a private socket.
func config(o Options, sockDir, users, logFile string) string {
	var s strings.Builder
	s.WriteString("[databases]\n")
	fmt.Fprintf(&s, "* = host=%s port=%d\n", o.Host, o.Port)
	s.WriteString("\n[pgbouncer]\n")
	s.WriteString("pool_mode = transaction\n")
	s.WriteString("listen_addr =\n")
	fmt.Fprintf(&s, "listen_port = %d\n", port)
	fmt.Fprintf(&s, "unix_socket_dir = %s\n", sockDir)
	s.WriteString("unix_socket_mode = 0777\n")
	s.WriteString("auth_type = trust\n")
	fmt.Fprintf(&s, "auth_file = %s\n", users)
	fmt.Fprintf(&s, "logfile = %s\n", logFile)
	fmt.Fprintf(&s, "default_pool_size = %d\n", o.PoolSize)
	s.WriteString("max_client_conn = 500\n")
	// Test databases are dropped WITH (FORCE), which ends the pooler's
	// server connections: a pool then simply makes new ones.
	s.WriteString("server_login_retry = 1\n")
	s.WriteString("log_connections = 0\nlog_disconnections = 0\n")
	return s.String()
}

func userlist(users map[string]string) string {
	names := make([]string, 0, len(users))
	for u := range users {
		names = append(names, u)
	}
	sort.Strings(names)
	var s strings.Builder
	for _, u := range names {
		fmt.Fprintf(&s, "%s %s\n", quote(u), quote(users[u]))
	}
	return s.String()
}

func quote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// runAs is the postgres system user's credential under root (PgBouncer
// refuses to run as root), nil otherwise.
func runAs() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, errors.New("pgbouncertest: running as root, and pgbouncer refuses to run as root; create a 'postgres' system user")
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// Host is the directory of PgBouncer's socket, for a URL's host.
func (b *Bouncer) Host() string { return b.sockDir }

// Port is PgBouncer's port, for a URL's port (it names the socket file).
func (b *Bouncer) Port() uint16 { return port }

// Log returns what PgBouncer has logged, for a failing test's report.
func (b *Bouncer) Log() string {
	log, _ := os.ReadFile(filepath.Join(b.dir, "pgbouncer.log"))
	return string(log)
}

// Stop shuts PgBouncer down (closing every connection) and removes its
// directory.
func (b *Bouncer) Stop() error {
	if b.cmd != nil && b.cmd.Process != nil {
		_ = b.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-b.exited:
		case <-time.After(10 * time.Second):
			_ = b.cmd.Process.Kill()
			<-b.exited
		}
	}
	return os.RemoveAll(b.dir)
}
