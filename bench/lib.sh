#!/usr/bin/env bash
# The library's own harness (issue 13): fanout against conc, pond and the
# bare channel pool in the tutorials' pattern (submit every task, keep the
# handles, read each), at Python's default bound (min(32, CPUs+4)) and at 64
# workers; the steady state without a million live handles; ordered Map
# against the bare pool. Each implementation runs in a fresh process, and the
# rounds interleave them, so that neither heap growth nor a burst of load
# favours one. Run it on a quiet machine:
#
#   flock -x /tmp/fanout-quiet.lock bash bench/lib.sh
#   ROUNDS=2 OUT=/tmp/quick.txt bash bench/lib.sh     # quick look
#
# Writes the raw output to results/lib.txt and prints medians and ratios;
# cpu-ns/op is the process's CPU time per task, which the other work on a
# shared machine changes far less than the wall time.
set -euo pipefail
cd "$(dirname "$0")"

ROUNDS=${ROUNDS:-6}
N=${N:-1000000}
OUT=${OUT:-results/lib.txt}
mkdir -p "$(dirname "$OUT")"
BIN=$(mktemp -d)/bench.test
rev=$(git -C .. rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git -C .. status --porcelain -- . ':!bench/results' ':!docs/bench.svg' 2>/dev/null)" ]; then rev="$rev+uncommitted"; fi
go test -c -o "$BIN" . >&2
py=$(( $(nproc) + 4 )); [ "$py" -gt 32 ] && py=32

run() { "$BIN" -test.run '^$' -test.bench "$1" -test.benchtime "${N}x" -test.count 1 -test.timeout 30m | grep '^Benchmark'; }

{
	echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) nproc=$(nproc) cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//') $(go version) fanout=$rev load=$(cut -d' ' -f1-3 /proc/loadavg) rounds=$ROUNDS n=$N"
	for round in $(seq "$ROUNDS"); do
		for w in "$py" 64; do
			for impl in fanout conc pond bare; do run "^BenchmarkKept\$/^W=$w\$/^$impl\$"; done
			for impl in fanout pond bare; do run "^BenchmarkSteady\$/^W=$w\$/^$impl\$"; done
			for impl in fanout bare; do run "^BenchmarkOrdered\$/^W=$w\$/^$impl\$"; done
		done
	done
	echo "# end $(date -u +%Y-%m-%dT%H:%M:%SZ) load=$(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$OUT"

echo
# Medians per benchmark (ns/op, B/op, allocs/op), then the ratios issue 22
# sets goals for (issue 13's were 0.7x conc, 2x bare and 250 ns).
awk '
/^Benchmark/ {
	name = $1; sub(/-[0-9]+$/, "", name)
	for (i = 3; i < NF; i += 2) v[name, $(i+1), ++n[name, $(i+1)]] = $i
	if (!(name in seen)) { seen[name] = 1; order[++k] = name }
}
function median(name, unit,   m, i, j, t, a) {
	m = n[name, unit]; if (m == 0) return -1
	for (i = 1; i <= m; i++) a[i] = v[name, unit, i]
	for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
	return (m % 2) ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
}
END {
	printf "%-36s %10s %19s %11s %8s %9s %5s\n", "benchmark (median of runs)", "ns/op", "min-max ns/op", "cpu-ns/op", "B/op", "allocs/op", "runs"
	for (i = 1; i <= k; i++) {
		nm = order[i]; med[nm] = median(nm, "ns/op")
		lo = hi = v[nm, "ns/op", 1]
		for (j = 2; j <= n[nm, "ns/op"]; j++) { x = v[nm, "ns/op", j]; if (x < lo) lo = x; if (x > hi) hi = x }
		printf "%-36s %10.1f %9.1f-%-9.1f %11.1f %8.1f %9.2f %5d\n", nm, med[nm], lo, hi, median(nm, "cpu-ns/op"), median(nm, "B/op"), median(nm, "allocs/op"), n[nm, "ns/op"]
	}
	print ""
	for (i = 1; i <= k; i++) {
		nm = order[i]
		if (nm ~ /^BenchmarkKept\/.*\/fanout$/) { c = nm; sub(/fanout$/, "conc", c); if (med[c] > 0) printf "%-36s fanout/conc = %.2f (goal <= 0.40)\n", nm, med[nm] / med[c] }
		if (nm ~ /^BenchmarkOrdered\/.*\/fanout$/) { c = nm; sub(/fanout$/, "bare", c); if (med[c] > 0) printf "%-36s fanout/bare = %.2f (goal <= 1.5)\n", nm, med[nm] / med[c] }
		if (nm ~ /^BenchmarkSteady\/.*\/fanout$/) printf "%-36s %.1f ns/task (goal <= 200)\n", nm, med[nm]
	}
}' "$OUT"
