package pgcluster

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
)

type binaries struct {
	initdb, postgres string
}

// findBinaries looks for initdb and postgres in binDir, then on PATH, then
// in the newest /usr/lib/postgresql/<version>/bin.
func findBinaries(binDir string) (binaries, error) {
	return findBinariesIn(binDir, debianBinDirs())
}

func findBinariesIn(binDir string, fallback []string) (binaries, error) {
	var dirs []string
	if binDir != "" {
		dirs = append(dirs, binDir)
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		dirs = append(dirs, filepath.Dir(p))
	}
	dirs = append(dirs, fallback...)
	for _, d := range dirs {
		b := binaries{initdb: filepath.Join(d, "initdb"), postgres: filepath.Join(d, "postgres")}
		if isExecutable(b.initdb) && isExecutable(b.postgres) {
			return b, nil
		}
	}
	return binaries{}, fmt.Errorf("%w: initdb and postgres are neither on PATH nor in /usr/lib/postgresql/*/bin. "+
		"Install PostgreSQL 15 or newer (Debian/Ubuntu: `apt-get install postgresql`; Fedora: `dnf install postgresql-server`; "+
		"macOS: `brew install postgresql@16`), set SPECTRA_PG_BIN_DIR to their directory, "+
		"or set SPECTRA_DATABASE_URL to use a server you run yourself", ErrBinariesMissing)
}

// debianBinDirs lists /usr/lib/postgresql/*/bin, newest major version first.
func debianBinDirs() []string {
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(matches, func(i, j int) bool {
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(matches[i])))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(matches[j])))
		return vi > vj
	})
	return matches
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// Tool finds another PostgreSQL program (pg_dump, pg_restore…) where the
// server binaries are found, so that its version matches theirs.
func Tool(binDir, name string) (string, error) {
	b, err := findBinaries(binDir)
	if err == nil {
		if p := filepath.Join(filepath.Dir(b.initdb), name); isExecutable(p) {
			return p, nil
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("%s not found next to the PostgreSQL server binaries or on PATH "+
		"(Debian/Ubuntu: apt-get install postgresql-client)", name)
}
