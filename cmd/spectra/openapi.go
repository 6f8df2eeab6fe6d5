package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/spectra-lab/spectra/internal/httpapi"
)

// cmdOpenAPI prints the OpenAPI 3.1 document. It needs no database: the
// document describes the routes, which a server without dependencies
// registers all the same. The web UI generates its API types from it.
func cmdOpenAPI(fs *flag.FlagSet) func(context.Context, *env) error {
	return func(ctx context.Context, e *env) error {
		h := httpapi.NewServer(httpapi.Deps{Version: version})
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequestWithContext(ctx, http.MethodGet, "/openapi.json", nil))
		if rec.Code != http.StatusOK {
			return fmt.Errorf("openapi: the server answered %d", rec.Code)
		}
		_, err := e.stdout.Write(rec.Body.Bytes())
		return err
	}
}
