#!/usr/bin/env bash
# -w auto against fixed -w (issue 25), on cmd/fanout/internal/benchhosts: loopback hosts
# with a hidden capacity C (a request waits L x max(1, inflight/C), and is
# answered 503 at once beyond 3C in flight). Three cases:
#
#   one:   one host, C=16, L=10ms, N1 URLs (default 4,000)
#   wide:  one host with no limit, L=50ms, N2 URLs (default 8,000)
#   two:   two hosts, C=4 and C=64, L=10ms, N3 URLs each (default 2,000),
#          interleaved in one list; beside them, each host alone at -w C
#   long:  case two with N4 URLs each (default 6,000; not in the default
#          CASES: the small host takes 15 s), -w auto only: more inputs of
#          the small host than -w auto's 4,096 tasks, which once held the
#          large host to the small one's pace
#   fast:  one host answering at once (L=0), N5 URLs (default 20,000),
#          -w 256 and auto (not in the default CASES): where the client's
#          own pauses are most of what it measures
#
# Every run gets fresh hosts; each line says the run's time, how many
# records said "exists" (every URL exists), and per host the requests,
# the 503s, the peak in flight and the time from its first request to its
# last answer (busy). CASES picks the cases, W the -w values. The rounds
# interleave the contenders so that a change in the machine's load hits
# them alike. A shared machine is noisy:
#
#   flock -x /tmp/fanout-quiet.lock bash bench/auto.sh
#   RUNS=1 N1=1000 N2=2000 N3=500 bash bench/auto.sh     # a quick look
#   RUNS=1 CASES=wide W="256 auto" bash bench/auto.sh     # one case, some -w
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
N1=${N1:-4000}
N2=${N2:-8000}
N3=${N3:-2000}
N4=${N4:-6000}
N5=${N5:-20000}
CASES=${CASES:-one wide two}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/fanout" ./cmd/fanout
go build -o "$tmp/hosts" ./cmd/fanout/internal/benchhosts
rev=$(git rev-parse --short HEAD 2>/dev/null || echo ?)
[ -n "$(git status --porcelain 2>/dev/null)" ] && rev="$rev+changes"
echo "# $(date -u +%FT%TZ) nproc=$(nproc) $(go version | cut -d' ' -f3) fanout=$rev N1=$N1 N2=$N2 N3=$N3 N4=$N4 N5=$N5 rounds=$RUNS uptime:$(uptime)"

# once LABEL LATENCY CAPACITIES WORKERS COUNTS: starts fresh hosts, makes
# the URL list (COUNTS URLs per host, interleaved), runs fanout check.
once() {
	local label=$1 latency=$2 caps=$3 w=$4 n=$5
	rm -f "$tmp/fifo" && mkfifo "$tmp/fifo"
	# shellcheck disable=SC2086
	"$tmp/hosts" -latency "$latency" $caps < "$tmp/fifo" > "$tmp/hosts.out" &
	local pid=$!
	exec 9> "$tmp/fifo"
	local k=0
	for _ in $(seq 100); do [ "$(wc -l < "$tmp/hosts.out")" -ge "$(wc -w <<< "$caps")" ] && break; sleep 0.05; done
	: > "$tmp/lists"
	while read -r base; do
		k=$((k + 1))
		seq "$n" | sed "s|^|$base/p/|" > "$tmp/list.$k"
		echo "$tmp/list.$k" >> "$tmp/lists"
	done < "$tmp/hosts.out"
	# shellcheck disable=SC2046
	paste -d'\n' $(cat "$tmp/lists") > "$tmp/urls"
	local s e
	s=$(date +%s.%N)
	"$tmp/fanout" check -w "$w" -i "$tmp/urls" > "$tmp/out" 2> "$tmp/err" || true
	e=$(date +%s.%N)
	exec 9>&-
	wait "$pid"
	local ok; ok=$(grep -c ' - exists$' "$tmp/out" || true)
	awk -v l="$label" -v w="$w" -v s="$s" -v e="$e" -v ok="$ok" -v n="$(wc -l < "$tmp/urls")" \
		'BEGIN { printf "%-5s -w %-5s %7.3fs  exists %d/%d ", l, w, e-s, ok, n }'
	grep requests= "$tmp/hosts.out" | sed 's|http://127.0.0.1:[0-9]*||' | tr '\n' ';'
	grep 'settled at' "$tmp/err" | sed 's|127.0.0.1:[0-9]*|host|' | tr '\n' ';' || true
	echo
}

for r in $(seq "$RUNS"); do
	echo "## round $r"
	for c in $CASES; do
		case $c in
		one) for w in ${W:-8 16 32 64 128 auto}; do once one 10ms 16 "$w" "$N1"; done ;;
		wide) for w in ${W:-64 128 256 auto}; do once wide 50ms 0 "$w" "$N2"; done ;;
		two)
			[ -z "${W:-}" ] && once small 10ms 4 4 "$N3" && once large 10ms 64 64 "$N3"
			for w in ${W:-8 16 32 64 128 auto}; do once two 10ms "4 64" "$w" "$N3"; done
			;;
		fast) for w in ${W:-256 auto}; do once fast 0s 0 "$w" "$N5"; done ;;
		long)
			[ -z "${W:-}" ] && once large 10ms 64 64 "$N4"
			for w in ${W:-auto}; do once long 10ms "4 64" "$w" "$N4"; done
			;;
		esac
	done
done
