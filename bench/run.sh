#!/usr/bin/env bash
# Runs the peer-comparison benchmarks, saves the raw output to
# results/latest.txt, prints benchstat's summary and regenerates the chart
# (../docs/bench.svg). Takes about 3 minutes on 2 cores.
#
#   ./run.sh            # full run
#   COUNT=1 SLOW_COUNT=1 OUT=/tmp/quick.txt SVG=/tmp/quick.svg ./run.sh   # quick look
set -euo pipefail
cd "$(dirname "$0")"

# benchstat, pinned (golang.org/x/perf has no tagged releases).
BENCHSTAT=golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da

COUNT=${COUNT:-10}            # rounds of workloads 1 and 2 (cheap; more rounds outvote bursts of load)
SLOW_COUNT=${SLOW_COUNT:-6}   # rounds of workloads 3 and 4 (benchstat needs >= 6 for a 95% CI)
OUT=${OUT:-results/latest.txt}
SVG=${SVG:-../docs/bench.svg}
mkdir -p results
BIN=$(mktemp -d)/bench.test
# The fanout revision measured, taken before this run rewrites results/.
rev=$(git -C .. rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git -C .. status --porcelain -- . ':!bench/results' ':!docs/bench.svg' 2>/dev/null)" ]; then rev="$rev+uncommitted"; fi

{
	echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) nproc=$(nproc) cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//') $(go version) fanout=$rev load=$(cut -d' ' -f1-3 /proc/loadavg)"
	# Rounds of -count 1 rather than one -count N, so that a burst of load
	# from another process hits every implementation alike instead of all
	# the runs of one.
	# One process per implementation and round: the first benchmark in a
	# process pays for growing the heap from nothing (1,000,000 futures is
	# about 150 MB), and whoever ran first would pay it for everybody.
	go test -c -o "$BIN" . >&2
	impls="fanout pond conc errgroup ants raw bare"
	for round in $(seq "$COUNT"); do
		# 1 and 2: a fixed 1,000,000 tasks per run for every implementation,
		# so the heap they build (fanout and pond keep every future) is the
		# same size for all and does not depend on -benchtime.
		for impl in $impls; do
			"$BIN" -test.run '^$' -test.bench "^(BenchmarkTiny|BenchmarkOrderedMap)$/^$impl\$" -test.benchtime 1000000x -test.count 1 -test.timeout 30m
		done
	done
	for round in $(seq "$SLOW_COUNT"); do
		# 3: 5 batches of 10,000 sleeping tasks per run; and time.Sleep(1ms) itself.
		"$BIN" -test.run '^$' -test.bench '^BenchmarkSleepIO$' -test.benchtime 5x -test.count 1 -test.timeout 30m
		"$BIN" -test.run '^$' -test.bench '^BenchmarkTimerSleep1ms$' -test.benchtime 200x -test.count 1 -test.timeout 30m
		# 4: one whole map of 1M or 10M inputs per run.
		"$BIN" -test.run '^$' -test.bench '^BenchmarkMapPeakHeap$' -test.benchtime 1x -test.count 1 -test.timeout 30m
	done
	echo "# end $(date -u +%Y-%m-%dT%H:%M:%SZ) load=$(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$OUT"

echo
go run "$BENCHSTAT" "$OUT"
echo
mkdir -p "$(dirname "$SVG")"
go run ./cmd/chart -in "$OUT" -out "$SVG"
