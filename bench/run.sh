#!/usr/bin/env bash
# Starts `spectra demo` on a fresh managed cluster and measures it with the
# load generator. Usage: bench/run.sh [loadgen flags…]
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$(mktemp -d /tmp/spectra-bench.XXXXXX)
chmod 711 "$dir"   # under root the cluster's postgres user passes through
addr=127.0.0.1:18080
go build -o "$dir/spectra" ./cmd/spectra
go build -o "$dir/loadgen" ./bench/loadgen
SPECTRA_DATA_DIR="$dir/data" SPECTRA_ADDR=$addr SPECTRA_LOG_LEVEL=warn "$dir/spectra" demo >"$dir/demo.log" 2>&1 &
pid=$!
trap 'kill -INT $pid 2>/dev/null; wait $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
for _ in $(seq 1 120); do
  curl -sf "http://$addr/readyz" >/dev/null && break
  sleep 0.5
done
curl -sf "http://$addr/readyz" >/dev/null || { cat "$dir/demo.log"; exit 1; }
echo "spectra $(git describe --always --dirty 2>/dev/null) on $(nproc) cores, $(date -u +%Y-%m-%d)"
"$dir/loadgen" -url "http://$addr" "$@"
