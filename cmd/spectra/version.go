package main

import (
	"context"
	"flag"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spectra-lab/spectra/internal/webui"
)

func cmdVersion(fs *flag.FlagSet) func(context.Context, *env) error {
	return func(_ context.Context, e *env) error {
		fmt.Fprintf(e.stdout, "spectra %s\n", version)
		fmt.Fprintf(e.stdout, "go: %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
		if info, ok := debug.ReadBuildInfo(); ok {
			for _, s := range info.Settings {
				if s.Key == "vcs.revision" || s.Key == "vcs.time" || s.Key == "vcs.modified" {
					fmt.Fprintf(e.stdout, "%s: %s\n", s.Key, s.Value)
				}
			}
		}
		ui := "not embedded (build it: make build)"
		if webui.Built() {
			ui = "embedded"
		}
		fmt.Fprintf(e.stdout, "web UI: %s\n", ui)
		return nil
	}
}
