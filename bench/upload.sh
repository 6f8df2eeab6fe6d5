#!/usr/bin/env bash
# A 100 MB file through the API, once per object store (a directory, and
# a bucket of versitygw, built by `make tools`), with the server's memory
# sampled meanwhile. Usage: bench/upload.sh [-mb N]
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$(mktemp -d /tmp/spectra-upload.XXXXXX)
chmod 711 "$dir"
go build -o "$dir/spectra" ./cmd/spectra
go build -o "$dir/upload" ./bench/upload
pids=()
trap 'for p in "${pids[@]}"; do kill -INT $p 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$dir"' EXIT
echo "spectra $(git describe --always --dirty 2>/dev/null) on $(nproc) cores, $(date -u +%Y-%m-%d)"

# versitygw over a directory, one bucket.
mkdir -p "$dir/s3/root/bench" "$dir/s3/meta"
bin/tools/versitygw --port 127.0.0.1:17070 --access bench --secret bench-secret-key --quiet posix --sidecar "$dir/s3/meta" "$dir/s3/root" >"$dir/s3.log" 2>&1 &
pids+=($!)

serve() { # label addr env…
  local label=$1 addr=$2; shift 2
  env SPECTRA_DATA_DIR="$dir/data-$label" SPECTRA_ADDR=$addr SPECTRA_LOG_LEVEL=warn "$@" "$dir/spectra" demo >"$dir/$label.log" 2>&1 &
  local pid=$!
  pids+=($pid)
  for _ in $(seq 1 120); do curl -sf "http://$addr/readyz" >/dev/null && break; sleep 0.5; done
  curl -sf "http://$addr/readyz" >/dev/null || { cat "$dir/$label.log"; exit 1; }
  "$dir/upload" -url "http://$addr" -pid $pid -label "$label" "${args[@]}"
}
args=("$@")
serve dir 127.0.0.1:18081
serve s3 127.0.0.1:18082 SPECTRA_S3_BUCKET=bench SPECTRA_S3_ENDPOINT=http://127.0.0.1:17070 SPECTRA_S3_ACCESS_KEY_ID=bench \
  SPECTRA_S3_SECRET_ACCESS_KEY=bench-secret-key SPECTRA_S3_PATH_STYLE=true
