#!/usr/bin/env bash
# fanout ping against fping on 1,000 loopback addresses (127.0.x.y), one
# echo request each, listed in a file; then on the 1,022 hosts of the block
# 127.0.0.0/22, given as a CIDR block (fanout ping BLOCK, fping -g BLOCK).
# Nothing leaves the machine.
#
#   flock /tmp/bench.lock bash bench/ping.sh          # 5 runs each, medians
#   RUNS=9 N=1000 ARGS="--workers 64" bash bench/ping.sh
#
# Needs root or CAP_NET_RAW (or ping sockets allowed by
# net.ipv4.ping_group_range) and fping. Prints each run, then the medians.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-1000}
RUNS=${RUNS:-5}
ARGS=${ARGS:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

go build -o "$tmp/fanout" ./cmd/fanout
for i in $(seq 0 $((N - 1))); do echo "127.0.$((i / 250)).$((i % 250 + 1))"; done > "$tmp/addrs"
echo "# $(date -u +%FT%TZ) nproc=$(nproc) $(go version | cut -d' ' -f3) $(fping -v 2>&1 | head -1) N=$N runs=$RUNS"

# run LABEL COUNT_CMD COMMAND...: times COMMAND (stdout to $tmp/out) and
# prints the seconds and how many addresses answered (COUNT_CMD reads $tmp/out)
# of N (or of $total when set).
run() {
	local label=$1 count=$2; shift 2
	local start end
	start=$(date +%s.%N)
	"$@" > "$tmp/out" 2> "$tmp/err" || true
	end=$(date +%s.%N)
	local alive; alive=$(eval "$count")
	awk -v l="$label" -v s="$start" -v e="$end" -v a="$alive" -v n="${total:-$N}" \
		'BEGIN { printf "%-34s %6.3fs  %d/%d answered\n", l, e-s, a, n }' | tee -a "$tmp/results"
}

# The unprivileged path (a pro-bing Pinger and socket per host) runs in a
# network namespace of its own where ping sockets are allowed, when root.
netns=()
if [ "$(id -u)" = 0 ] && command -v unshare > /dev/null; then
	netns=(unshare -n sh -c 'ip link set lo up && sysctl -qw net.ipv4.ping_group_range="0 2147483647" && exec "$@"' sh)
fi

for _ in $(seq "$RUNS"); do
	# shellcheck disable=SC2086 # ARGS is a list of flags
	run "fanout ping -c1${ARGS:+ $ARGS}" "grep -c '^OK -> ' $tmp/out" "$tmp/fanout" ping -c1 -q $ARGS -i "$tmp/addrs"
	run "fping -c1 -i1" "grep -c ' : \[0\], ' $tmp/out" xargs -a "$tmp/addrs" fping -c1 -i1
	# shellcheck disable=SC2086
	total=1022 run "fanout ping -c1 127.0.0.0/22${ARGS:+ $ARGS}" "grep -c '^OK -> ' $tmp/out" "$tmp/fanout" ping -c1 -q $ARGS 127.0.0.0/22
	total=1022 run "fping -c1 -i1 -g 127.0.0.0/22" "grep -c ' : \[0\], ' $tmp/out" fping -c1 -i1 -g 127.0.0.0/22
	if [ ${#netns[@]} -gt 0 ]; then
		# shellcheck disable=SC2086
		run "fanout ping -c1${ARGS:+ $ARGS} (unprivileged)" "grep -c '^OK -> ' $tmp/out" "${netns[@]}" "$tmp/fanout" ping -c1 -q $ARGS -i "$tmp/addrs"
	fi
done

echo "# medians"
# results lines: LABEL  SECONDSs  ANSWERED/N answered
sed -E 's/ +([0-9.]+)s +([0-9]+\/[0-9]+) answered$/\t\1\t\2/' "$tmp/results" | sort -t$'\t' -k1,1 -k2,2n |
	awk -F'\t' '{ n[$1]++; t[$1, n[$1]] = $2; a[$1] = a[$1] " " $3 }
	     END { for (l in n) printf "%-42s median %.3fs over %d runs (answered:%s)\n", l, t[l, int((n[l] + 1) / 2)], n[l], a[l] }'
