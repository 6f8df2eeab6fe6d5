package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/spectra-lab/spectra/internal/config"
	"github.com/spectra-lab/spectra/internal/pgcluster"
)

// env is what every command gets: the validated configuration, a logger and
// the standard streams.
type env struct {
	cfg    config.Config
	logger *slog.Logger
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer

	// cluster is the managed PostgreSQL while one runs (set by database).
	cluster *pgcluster.Cluster
}

// command is one subcommand; sub-subcommands (migrate up) are commands too.
type command struct {
	name    string
	summary string
	usage   string // arguments after the name, for the help line
	// setup declares the command's flags on fs and returns the function
	// that runs the command with them (help uses it only for the flags).
	setup func(fs *flag.FlagSet) func(ctx context.Context, e *env) error
	sub   []*command
}

// errUsage marks a mistake in the command line (exit status 2).
var errUsage = errors.New("usage")

func exitCode(err error) int {
	if errors.Is(err, errUsage) {
		return 2
	}
	return 1
}

func commands() []*command {
	return []*command{
		{name: "serve", summary: "run the HTTP server (migrating first unless SPECTRA_MIGRATE=false)", setup: cmdServe},
		{name: "worker", summary: "work the background job queue, without serving HTTP (scale-out; SPECTRA_JOBS=off on the servers)", setup: cmdWorker},
		{name: "demo", summary: "everything a newcomer needs: database, migrations, demo data, server", setup: cmdDemo},
		{name: "migrate", summary: "apply or roll back schema migrations", sub: []*command{
			{name: "up", summary: "apply every pending migration", setup: cmdMigrateUp},
			{name: "down", summary: "roll back the latest migration (or down to --to VERSION)", setup: cmdMigrateDown},
			{name: "status", summary: "list migrations and whether each is applied", setup: cmdMigrateStatus},
		}},
		{name: "version", summary: "print the version, the build and whether the web UI is embedded; needs no database", setup: cmdVersion},
		{name: "openapi", summary: "print the OpenAPI 3.1 document (JSON); needs no database", setup: cmdOpenAPI},
		{name: "seed", summary: "load the demo data (idempotent; migrates first)", setup: cmdSeed},
		{name: "backup", usage: "--file PATH", summary: "write a backup of the database (pg_dump, custom format)", setup: cmdBackup},
		{name: "restore", usage: "--file PATH", summary: "replace the database's contents with a backup (pg_restore)", setup: cmdRestore},
		{name: "org", summary: "manage organizations", sub: []*command{
			{name: "create", usage: "--slug SLUG --name NAME", summary: "create an organization", setup: cmdOrgCreate},
		}},
		{name: "user", summary: "manage users", sub: []*command{
			{name: "create", usage: "--org SLUG --email EMAIL --name NAME --role ROLE < password", summary: "create a user in an organization; the password is read from stdin", setup: cmdUserCreate},
			{name: "set-password", usage: "--email EMAIL < password", summary: "set a user's password, read from stdin", setup: cmdUserSetPassword},
		}},
	}
}

// run is the whole program: it parses args, loads the configuration from
// environ (KEY=value entries, as os.Environ gives them) and runs one
// command until it finishes or ctx is cancelled.
func run(ctx context.Context, args []string, environ []string, stdin io.Reader, stdout, stderr io.Writer) error {
	root := &command{name: "spectra", summary: "SPECTRA-Lab: a multi-organization laboratory platform", sub: commands()}
	cmd, path, rest := root, []string{"spectra"}, args
	for len(cmd.sub) > 0 {
		if len(rest) == 0 || isHelp(rest[0]) {
			printHelp(stdout, cmd, path)
			if len(rest) == 0 {
				return fmt.Errorf("%w: missing command", errUsage)
			}
			return nil
		}
		next := find(cmd.sub, rest[0])
		if next == nil {
			printHelp(stderr, cmd, path)
			return fmt.Errorf("%w: unknown command %q", errUsage, strings.Join(append(path[1:], rest[0]), " "))
		}
		cmd, path, rest = next, append(path, next.name), rest[1:]
	}
	if len(rest) > 0 && isHelp(rest[0]) {
		printHelp(stdout, cmd, path)
		return nil
	}
	fs := flag.NewFlagSet(strings.Join(path, " "), flag.ContinueOnError)
	runCmd := cmd.setup(fs)
	if err := parseFlags(fs, rest); err != nil {
		return err
	}
	if err := config.Unknown(environ); err != nil {
		return err
	}
	vars := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			vars[k] = v
		}
	}
	cfg, err := config.Load(func(k string) string { return vars[k] })
	if err != nil {
		return err
	}
	e := &env{cfg: cfg, logger: newLogger(cfg, stderr), stdin: stdin, stdout: stdout, stderr: stderr}
	return runCmd(ctx, e)
}

func isHelp(s string) bool { return s == "-h" || s == "--help" || s == "help" || s == "-help" }

func find(cmds []*command, name string) *command {
	for _, c := range cmds {
		if c.name == name {
			return c
		}
	}
	return nil
}

func printHelp(w io.Writer, c *command, path []string) {
	fmt.Fprintf(w, "%s — %s\n\n", strings.Join(path, " "), c.summary)
	if len(c.sub) > 0 {
		fmt.Fprintf(w, "Usage: %s <command> [flags]\n\nCommands:\n", strings.Join(path, " "))
		for _, s := range c.sub {
			fmt.Fprintf(w, "  %-14s %s\n", s.name, s.summary)
		}
		fmt.Fprintf(w, "\nRun '%s <command> --help' for a command's flags.\n", strings.Join(path, " "))
	} else {
		fmt.Fprintf(w, "Usage: %s %s\n", strings.Join(path, " "), c.usage)
		fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
		c.setup(fs)
		if hasFlags(fs) {
			fmt.Fprintln(w, "\nFlags:")
			fs.SetOutput(w)
			fs.PrintDefaults()
		}
	}
	if len(path) <= 2 {
		fmt.Fprintln(w, "\nConfiguration (environment variables):")
		for _, v := range config.Vars {
			def := v.Default
			if def == "" {
				def = "(unset)"
			}
			fmt.Fprintf(w, "  %-26s default %-22s %s\n", v.Name, def, strings.ReplaceAll(v.Description, "`", ""))
		}
	}
}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

// parseFlags parses args into fs, turning flag mistakes into usage errors.
func parseFlags(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	return nil
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
