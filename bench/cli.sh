#!/usr/bin/env bash
# Benchmarks of the fanout command against the simulated site on loopback,
# side by side with the tutorials' Python program (../../shared/seed-baseline)
# and the hand-written Go loop (bench/cmd/naiveloop; bench/http.sh runs it
# in alternated rounds).
#
#   bench/cli.sh            # 20,000 URLs; 1,000,000 for the memory run
#   N=2000 BIG=100000 bench/cli.sh   # a quick look
#
# Prints one line per measurement; docs/benchmarks.md quotes them.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-20000}
BIG=${BIG:-1000000}
SEED=${SEED:-../shared/seed-baseline/seed_step4.py}
tmp=$(mktemp -d)
trap 'kill $site 2>/dev/null || true; rm -rf "$tmp"' EXIT

go build -o "$tmp/fanout" ./cmd/fanout
(cd bench && go build -o "$tmp/naiveloop" ./cmd/naiveloop)
"$tmp/fanout" demo serve --latency 0 > "$tmp/url" 2>/dev/null &
site=$!
for _ in $(seq 100); do [ -s "$tmp/url" ] && break; sleep 0.05; done
base=$(head -1 "$tmp/url")
echo "# $(date -u +%FT%TZ) nproc=$(nproc) $(go version | cut -d' ' -f3) fanout=$(git rev-parse --short HEAD) site=$base"

seq 0 $((N - 1)) | sed "s|^|$base/wiki/|" > "$tmp/urls.txt"

rate() { # rate LABEL COMMAND...: runs it, prints URLs/s
	local label=$1; shift
	local start end
	start=$(date +%s.%N)
	"$@" > "$tmp/out" 2>/dev/null || true
	end=$(date +%s.%N)
	local lines; lines=$(wc -l < "$tmp/out")
	awk -v l="$label" -v n="$lines" -v s="$start" -v e="$end" 'BEGIN { printf "%-36s %8d results in %6.2fs: %9.0f URLs/s\n", l, n, e-s, n/(e-s) }'
}

rate "naive Go loop, GET ($N URLs)" sh -c "'$tmp/naiveloop' < '$tmp/urls.txt'"
rate "fanout check ($N URLs)" "$tmp/fanout" check -q -i "$tmp/urls.txt"
rate "fanout check --ordered ($N URLs)" "$tmp/fanout" check -q --ordered -i "$tmp/urls.txt"
if "$tmp/fanout" probe --help >/dev/null 2>&1; then
	rate "fanout probe ($N URLs)" "$tmp/fanout" probe -q -i "$tmp/urls.txt"
fi
if [ -f "$SEED" ] && python3 -c 'import requests' 2>/dev/null; then
	# The tutorial's program, threaded half only, 32 threads, on the same URLs.
	rate "seed_step4.py, 32 threads ($N URLs)" python3 "$SEED" "$base/wiki/" "$N" 32 threads
fi

# Peak memory over $BIG URLs streamed from a generator, never a file.
/usr/bin/time -f "%M" -o "$tmp/rss" sh -c "seq 0 $((BIG - 1)) | sed 's|^|$base/wiki/|' | '$tmp/fanout' check -q > /dev/null" || true
awk -v n="$BIG" '{ printf "%-36s peak RSS %.1f MB\n", "fanout check (" n " URLs, streamed)", $1/1024 }' "$tmp/rss"
