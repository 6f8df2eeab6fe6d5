package pgcluster

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func TestClusterLifecycle(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(traversableTempDir(t), "cluster")

	c, err := Start(ctx, Options{Dir: dir, Ephemeral: true})
	if err != nil {
		t.Fatalf("first start: %v", err)
	}
	t.Cleanup(func() { _ = c.Stop() })
	if !strings.HasPrefix(c.SocketDir(), dir) {
		t.Errorf("socket dir %q is not inside the cluster dir %q", c.SocketDir(), dir)
	}
	execSQL(t, c, "CREATE TABLE kept (v int); INSERT INTO kept VALUES (42)")

	// A second owner of the same directory is refused while the first runs.
	if _, err := Start(ctx, Options{Dir: dir, Ephemeral: true}); !errors.Is(err, ErrInUse) {
		t.Fatalf("second start: got %v, want ErrInUse", err)
	}

	// No TCP listener: the server is configured for the socket only.
	if got := queryString(t, c, "SHOW listen_addresses"); got != "" {
		t.Errorf("listen_addresses = %q, want empty", got)
	}

	pid := c.Pid()
	if err := c.Stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if err := c.Stop(); err != nil { // idempotent
		t.Fatalf("second stop: %v", err)
	}
	if processAlive(pid) {
		t.Fatalf("postgres pid %d still running after Stop", pid)
	}

	// The cluster is reused on the next start, data intact.
	c2, err := Start(ctx, Options{Dir: dir, Ephemeral: true})
	if err != nil {
		t.Fatalf("restart: %v", err)
	}
	t.Cleanup(func() { _ = c2.Stop() })
	if got := queryString(t, c2, "SELECT v::text FROM kept"); got != "42" {
		t.Errorf("after restart kept = %q, want 42", got)
	}
}

func TestMissingBinaries(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := findBinariesIn("", nil)
	if !errors.Is(err, ErrBinariesMissing) {
		t.Fatalf("got %v, want ErrBinariesMissing", err)
	}
	for _, hint := range []string{"apt-get install postgresql", "SPECTRA_DATABASE_URL", "SPECTRA_PG_BIN_DIR"} {
		if !strings.Contains(err.Error(), hint) {
			t.Errorf("error %q does not mention %q", err, hint)
		}
	}
}

func TestLongPathUsesShortSocketDir(t *testing.T) {
	long := "/" + strings.Repeat("d", 120)
	got := socketDir(long)
	if strings.HasPrefix(got, long) {
		t.Fatalf("socket dir %q kept the over-long path", got)
	}
	if len(got)+len("/.s.PGSQL.5432.lock") > maxSocketPath {
		t.Fatalf("socket dir %q still too long", got)
	}
	if socketDir(long+"x") == got {
		t.Fatalf("two clusters share socket dir %q", got)
	}
}

func execSQL(t *testing.T, c *Cluster, sql string) {
	t.Helper()
	conn := connect(t, c)
	if _, err := conn.Exec(context.Background(), sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func queryString(t *testing.T, c *Cluster, sql string) string {
	t.Helper()
	var s string
	if err := connect(t, c).QueryRow(context.Background(), sql).Scan(&s); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return s
}

func connect(t *testing.T, c *Cluster) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func processAlive(pid int) bool {
	_, err := os.Stat(filepath.Join("/proc", strconv.Itoa(pid)))
	return err == nil
}

// traversableTempDir is a t.TempDir the postgres user can pass through when
// the tests run as root.
func traversableTempDir(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp("", "pgcluster-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(d) })
	if err := os.Chmod(d, 0o711); err != nil {
		t.Fatal(err)
	}
	return d
}
