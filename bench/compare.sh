#!/usr/bin/env bash
# The API side by side with its database (PRODUCT.md §16): starts
# `spectra demo` on a fresh managed cluster, grows demo-lab to the sizes
# of §16 and runs bench/compare, which replays the API's SQL with pgbench
# and loads the API with the same clients. Usage: bench/compare.sh [compare flags…]
set -euo pipefail
cd "$(dirname "$0")/.."
command -v pgbench >/dev/null || { echo "compare: pgbench not found (PostgreSQL's client tools)" >&2; exit 1; }
dir=$(mktemp -d /tmp/spectra-cmp.XXXXXX)
chmod 711 "$dir"   # under root the cluster's postgres user passes through
addr=127.0.0.1:18081
go build -o "$dir/spectra" ./cmd/spectra
go build -o "$dir/compare" ./bench/compare
SPECTRA_DATA_DIR="$dir/data" SPECTRA_ADDR=$addr SPECTRA_LOG_LEVEL=warn "$dir/spectra" demo >"$dir/demo.log" 2>&1 &
pid=$!
trap 'kill -INT $pid 2>/dev/null; wait $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
for _ in $(seq 1 120); do
  curl -sf "http://$addr/readyz" >/dev/null && break
  sleep 0.5
done
curl -sf "http://$addr/readyz" >/dev/null || { cat "$dir/demo.log"; exit 1; }
echo "spectra $(git describe --always --dirty 2>/dev/null) on $(nproc) cores, $(date -u +%Y-%m-%d)"
"$dir/compare" -url "http://$addr" -dsn "postgres://postgres@/spectra?host=$dir/data/run&port=5432" "$@"
