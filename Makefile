# SPECTRA-Lab. The two commands a newcomer needs:
#   make demo   database, migrations, demo data and the server, in one go
#   make test   every test, starting what it needs itself
SHELL := /usr/bin/env bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

GO      ?= go
BIN     := bin/spectra
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
GOFILES := $(shell git ls-files '*.go' 2>/dev/null)
NPM     ?= npm
# Playwright drives Debian's Chromium (/usr/bin/chromium); it never
# downloads a browser of its own.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

.PHONY: help
help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

.PHONY: build
build: web ## build bin/spectra, web UI included
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/spectra

.PHONY: demo
demo: build ## start everything: managed PostgreSQL, migrations, demo data, server on :8080
	./$(BIN) demo

.PHONY: test
test: lint test-go test-pgbouncer test-nonsuper test-web test-e2e test-dist ## run every test (Go on a real PostgreSQL, the API's through PgBouncer, the database's under a non-superuser owner, the UI's, the browser's, the release archive, and the checks)

# Third-party servers the tests start, built once from the Go module
# proxy into bin/tools (pinned versions): versitygw, an S3-compatible
# server over a directory, for the object storage tests; mailpit, an SMTP
# server with an HTTP API, for the e-mail tests.
VERSITYGW_VERSION := v1.8.0
bin/tools/versitygw:
	GOBIN=$(CURDIR)/bin/tools $(GO) install github.com/versity/versitygw/cmd/versitygw@$(VERSITYGW_VERSION)
MAILPIT_VERSION := v1.33.1
bin/tools/mailpit:
	GOBIN=$(CURDIR)/bin/tools $(GO) install github.com/axllent/mailpit@$(MAILPIT_VERSION)

.PHONY: tools
tools: bin/tools/versitygw bin/tools/mailpit ## build the test servers (versitygw, mailpit) into bin/tools

.PHONY: test-go
test-go: tools ## Go tests; each test package starts its own PostgreSQL cluster
	$(GO) test -count=1 -race -timeout 15m ./...

# The API tests again, with the server's run-time pools going through a
# private PgBouncer in transaction pooling mode (pgbouncer on PATH or at
# /usr/sbin/pgbouncer; without it they fail). No -race: test-go has run
# the same code under the race detector.
.PHONY: test-pgbouncer
test-pgbouncer: tools ## the API and job queue tests through PgBouncer (transaction pooling, default_query_exec_mode=exec; the queue poll-only)
	SPECTRA_TEST_PGBOUNCER=1 $(GO) test -count=1 -timeout 15m ./internal/httpapi ./internal/jobs

# PRODUCT.md §15: a managed database (RDS, Cloud SQL) whose owner is no
# superuser. The harness owns every test database by a CREATEROLE-only
# role, which migrates, seeds and runs the product's owner work (seed,
# operator commands); the server serves through spectra_server; the
# tests' own checks read as the superuser (pgtest.Inspector). A missing
# privilege fails, never skips. No -race: test-go ran the same code so.
.PHONY: test-nonsuper
test-nonsuper: tools ## the database, API and command tests with an owner that is only CREATEROLE
	SPECTRA_TEST_OWNER=nonsuper $(GO) test -count=1 -timeout 15m ./internal/postgres/... ./internal/jobs ./internal/httpapi ./cmd/spectra

# npm ci runs only when node_modules is missing or package-lock.json changed
# (npm ci writes node_modules/.package-lock.json, the stamp).
web/node_modules/.package-lock.json: web/package-lock.json
	cd web && $(NPM) ci --no-audit --no-fund

.PHONY: web
web: web/node_modules/.package-lock.json ## build the web UI into internal/webui/dist (embedded by the binary)
	cd web && $(NPM) run build

.PHONY: test-web
test-web: web/node_modules/.package-lock.json ## UI checks: eslint, tsc, API types up to date, Vitest
	cd web && $(NPM) run lint
	cd web && $(NPM) run typecheck
	cd web && $(NPM) run check:api
	cd web && $(NPM) test

.PHONY: test-e2e
test-e2e: build ## browser tests: Playwright + Chromium against bin/spectra demo
	cd web && $(NPM) run e2e

.PHONY: lint
lint: ## gofmt and go vet
	@unformatted=$$(gofmt -l $(GOFILES)); if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...

# The release archive: the binary with the UI embedded, its licence and
# docs, and a SHA-256 checksum beside it.
GOOS    ?= $(shell $(GO) env GOOS)
GOARCH  ?= $(shell $(GO) env GOARCH)
DISTNAME := spectra-$(VERSION)-$(GOOS)-$(GOARCH)

.PHONY: dist
dist: web ## build dist/spectra-VERSION-OS-ARCH.tar.gz (UI embedded) and its .sha256
	rm -rf dist/$(DISTNAME) dist/$(DISTNAME).tar.gz dist/$(DISTNAME).tar.gz.sha256
	mkdir -p dist/$(DISTNAME)
	CGO_ENABLED=0 GOOS=$(GOOS) GOARCH=$(GOARCH) $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o dist/$(DISTNAME)/spectra ./cmd/spectra
	cp LICENSE README.md CHANGELOG.md dist/$(DISTNAME)/
	cp -r docs dist/$(DISTNAME)/docs
	tar -C dist -czf dist/$(DISTNAME).tar.gz $(DISTNAME)
	cd dist && sha256sum $(DISTNAME).tar.gz > $(DISTNAME).tar.gz.sha256
	@echo "dist/$(DISTNAME).tar.gz"

.PHONY: test-dist
test-dist: dist ## the archive checks out: checksum, contents, and its binary knows its version and embeds the UI
	cd dist && sha256sum -c $(DISTNAME).tar.gz.sha256
	rm -rf dist/check && mkdir -p dist/check && tar -C dist/check -xzf dist/$(DISTNAME).tar.gz
	for f in spectra LICENSE README.md CHANGELOG.md docs/operations.md; do test -e dist/check/$(DISTNAME)/$$f || { echo "archive lacks $$f"; exit 1; }; done
	out=$$(env -i PATH="$$PATH" dist/check/$(DISTNAME)/spectra version); echo "$$out"; \
	  grep -qx "spectra $(VERSION)" <<<"$$out" && grep -qx "web UI: embedded" <<<"$$out" || { echo "the archived binary does not report version $(VERSION) with the UI embedded"; exit 1; }
	rm -rf dist/check

.PHONY: fuzz
FUZZTIME ?= 20s
fuzz: ## run each fuzz target for FUZZTIME (default 20s)
	$(GO) test ./internal/auth -run '^$$' -fuzz FuzzParsePHC -fuzztime $(FUZZTIME)
	$(GO) test ./internal/auth -run '^$$' -fuzz FuzzParseOpaque -fuzztime $(FUZZTIME)
	$(GO) test ./internal/auth -run '^$$' -fuzz FuzzVerifyToken -fuzztime $(FUZZTIME)
	$(GO) test ./internal/httpapi -run '^$$' -fuzz FuzzParseResultsCSV -fuzztime $(FUZZTIME)
	$(GO) test ./internal/httpapi -run '^$$' -fuzz FuzzParseResultsJSON -fuzztime $(FUZZTIME)
	$(GO) test ./internal/postgres -run '^$$' -fuzz FuzzELNSearchQualified -fuzztime $(FUZZTIME)
	$(GO) test ./internal/dataseries -run '^$$' -fuzz FuzzParseDelimited -fuzztime $(FUZZTIME)
	$(GO) test ./internal/dataseries -run '^$$' -fuzz 'FuzzParse$$' -fuzztime $(FUZZTIME)

.PHONY: bench
bench: tools ## Go benchmarks, the load generator against a fresh demo server, the API side by side with pgbench (PRODUCT.md §16), and a 100 MB file through both object stores
	$(GO) test -run '^$$' -bench . -benchmem ./internal/...
	bench/run.sh -duration 10s -concurrency 8
	bench/compare.sh -samples 1000000 -duration 10s -clients 8
	bench/upload.sh

.PHONY: cover
cover: ## Go test coverage of the server packages
	$(GO) test -count=1 -coverpkg=./internal/... -coverprofile=coverage.out ./...
	$(GO) tool cover -func=coverage.out | tail -1

.PHONY: clean
clean: ## remove build output (not the demo database in .spectra)
	rm -rf bin dist coverage.out web/e2e-artifacts web/test-results web/playwright-report
	find internal/webui/dist -mindepth 1 ! -name .gitkeep -delete
