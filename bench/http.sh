#!/usr/bin/env bash
# fanout's HTTP commands against the hand-written loop and curl, side by
# side, on the simulated site on loopback (zero latency):
#
#   - check: `fanout check -q -i urls` against bench/cmd/naiveloop (64
#     goroutines, one keep-alive http.Client, GET, io.Copy to io.Discard)
#     on N URLs (default 20,000);
#   - get: `fanout get -q --dir D` (and --no-fsync) against
#     `curl -Z --parallel-max 64 --remote-name-all --output-dir D` on
#     PAGES small pages (default 2,000), each run into a new folder.
#
# Each round runs every contender once, one after the other, so that a
# change in the machine's load hits them alike; prints every time and the
# medians over RUNS rounds (default 7). Run it under the lock:
#
#   flock -x /tmp/fanout-quiet.lock bash bench/http.sh
#   N=2000 PAGES=500 RUNS=3 bash bench/http.sh     # a quick look
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-20000}
PAGES=${PAGES:-2000}
RUNS=${RUNS:-7}
tmp=$(mktemp -d)
trap 'kill $site 2>/dev/null || true; rm -rf "$tmp"' EXIT

go build -o "$tmp/fanout" ./cmd/fanout
(cd bench && go build -o "$tmp/naiveloop" ./cmd/naiveloop)
"$tmp/fanout" demo serve --latency 0 > "$tmp/url" 2>/dev/null &
site=$!
for _ in $(seq 100); do [ -s "$tmp/url" ] && break; sleep 0.05; done
base=$(head -1 "$tmp/url")
rev=$(git rev-parse --short HEAD 2>/dev/null || echo ?)
[ -n "$(git status --porcelain 2>/dev/null)" ] && rev="$rev+changes"
echo "# $(date -u +%FT%TZ) nproc=$(nproc) $(go version | cut -d' ' -f3) fanout=$rev N=$N PAGES=$PAGES rounds=$RUNS load=$(cut -d' ' -f1-3 /proc/loadavg)"
echo "# $(curl --version | head -1 | cut -d' ' -f1-2); fs=$(df -T "$tmp" | awk 'NR==2 {print $2}')"

seq 0 $((N - 1)) | sed "s|^|$base/wiki/|" > "$tmp/urls.txt"
seq 0 $((PAGES - 1)) | sed "s|^|$base/wiki/Page_|" > "$tmp/pages.txt"
sed 's|^\(.*\)$|url = "\1"|' "$tmp/pages.txt" > "$tmp/pages.curl"

# once LABEL COMMAND...: one timed run; appends "LABEL seconds" to $tmp/times.
once() {
	local label=$1; shift
	local s e
	s=$(date +%s.%N)
	"$@" > "$tmp/out" 2>/dev/null || true
	e=$(date +%s.%N)
	local lines; lines=$(wc -l < "$tmp/out")
	awk -v l="$label" -v s="$s" -v e="$e" -v n="$lines" 'BEGIN { printf "%-34s %7.3fs  (%d lines)\n", l, e-s, n }'
	awk -v l="$label" -v s="$s" -v e="$e" 'BEGIN { printf "%s\t%.4f\n", l, e-s }' >> "$tmp/times"
}
fresh() { mktemp -d "$tmp/get.XXXXXX"; }

for r in $(seq "$RUNS"); do
	echo "## round $r"
	once "naive Go loop ($N URLs)" "$tmp/naiveloop" < "$tmp/urls.txt"
	once "fanout check ($N URLs)" "$tmp/fanout" check -q -i "$tmp/urls.txt"
	d=$(fresh); once "curl -Z ($PAGES pages)" curl -sS -Z --parallel-max 64 --remote-name-all --output-dir "$d" -K "$tmp/pages.curl"
	d=$(fresh); once "fanout get ($PAGES pages)" "$tmp/fanout" get -q --dir "$d" -i "$tmp/pages.txt"
	d=$(fresh); once "fanout get --no-fsync ($PAGES pages)" "$tmp/fanout" get -q --no-fsync --dir "$d" -i "$tmp/pages.txt"
	rm -rf "$tmp"/get.*
done

echo "## medians over $RUNS rounds (load at the end: $(cut -d' ' -f1-3 /proc/loadavg))"
sort -t$'\t' -k1,1 -k2,2n "$tmp/times" | awk -F'\t' '
	{ v[$1] = v[$1] " " $2; n[$1]++ }
	END {
		for (l in v) { split(substr(v[l], 2), a, " "); m[l] = a[int((n[l] + 1) / 2)]; printf "%-34s %7.3fs\n", l, m[l] }
		for (l in m) { if (l ~ /^naive/) naive = m[l]; if (l ~ /^fanout check/) check = m[l]; if (l ~ /^curl/) curl = m[l]; if (l ~ /^fanout get \(/) get = m[l]; if (l ~ /no-fsync/) nofs = m[l] }
		printf "check vs the naive loop: %.2fx its speed (goal >= 1.1x)\n", naive / check
		printf "get vs curl -Z: %.2fx its time (goal <= 1.5x); --no-fsync %.2fx\n", get / curl, nofs / curl
	}' | sort
