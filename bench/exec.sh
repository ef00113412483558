#!/usr/bin/env bash
# fanout exec against xargs and GNU parallel: N jobs of `true` (default
# 1,000), P at a time (default 2), each tool appending the input as the last
# argument (`true 1`, `true 2`...). Each round runs the three tools one after
# the other, so a change in the machine's load hits all three alike; prints
# every wall time and each tool's median over RUNS rounds (default 7).
#
#   flock /tmp/bench.lock bash bench/exec.sh
#   N=200 RUNS=3 bash bench/exec.sh      # a quick look
#
# Run it under the lock: other benchmarks on the machine skew the numbers.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-1000}
RUNS=${RUNS:-7}
P=${P:-2}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

go build -o "$tmp/fanout" ./cmd/fanout
seq "$N" > "$tmp/in"
echo "# $(date -u +%FT%TZ) nproc=$(nproc) $(go version | cut -d' ' -f3) fanout=$(git rev-parse --short HEAD 2>/dev/null || echo ?)+changes N=$N P=$P rounds=$RUNS"
echo "# $(xargs --version | head -1); $(parallel --version 2>/dev/null | head -1)"

labels=("fanout exec -w$P -q true" "xargs -P$P -n1 true" "parallel -j$P true")
cmds=("$tmp/fanout exec -w $P -q -- true" "xargs -P $P -n1 true" "parallel --will-cite -j $P true")

# once: one timed run of command $1 on the input; prints seconds.
once() {
	local s e
	s=$(date +%s%N)
	$1 < "$tmp/in" > /dev/null 2> "$tmp/err" || { echo "failed: $1" >&2; cat "$tmp/err" >&2; exit 1; }
	e=$(date +%s%N)
	awk -v d=$((e - s)) 'BEGIN { printf "%.3f", d / 1e9 }'
}

for i in "${!cmds[@]}"; do once "${cmds[$i]}" > /dev/null; done # warm-up: page cache, parallel's first run
declare -A times
for _ in $(seq "$RUNS"); do
	for i in "${!cmds[@]}"; do
		times[$i]+="$(once "${cmds[$i]}") "
	done
done
for i in "${!cmds[@]}"; do
	printf '%s\n' ${times[$i]} | sort -n | awk -v l="${labels[$i]}" -v all="${times[$i]}" \
		'{ t[NR] = $1 } END { m = (NR % 2) ? t[(NR+1)/2] : (t[NR/2] + t[NR/2+1]) / 2; printf "%-28s median %6.3fs   runs: %s\n", l, m, all }'
done
