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
#
# Then, when nginx and wrk are installed (apt-get install nginx wrk), issue
# 27's goals: Debian's nginx with 2 workers on a loopback port of its own,
# 2,000 pages of 80 bytes, WRK_N distinct URLs (default 100,000) so that no
# answer is reused; `wrk -t2 -c64` on one page is the limit a checker can
# approach here (it shares the 2 cores with nginx as fanout does), against
# `fanout check` (one GET per URL) and `fanout check --method HEAD`, RUNS
# rounds, medians; then the peak RSS of checking 1,000,000 distinct URLs
# (goals: >= 0.6x wrk both ways; <= 60 MB). WRK=0 skips it.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-20000}
PAGES=${PAGES:-2000}
RUNS=${RUNS:-7}
tmp=$(mktemp -d)
nginx_pid=
trap 'kill $site 2>/dev/null || true; [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null; rm -rf "$tmp"' EXIT

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

command -v nginx > /dev/null && command -v wrk > /dev/null && [ "${WRK:-1}" != 0 ] || exit 0
WRK_N=${WRK_N:-100000}
chmod 755 "$tmp"
mkdir -p "$tmp/www" "$tmp/nginx"
for i in $(seq 0 1999); do printf '<!DOCTYPE html><html><head><title>Page %d</title></head><body>x</body></html>\n' "$i" | head -c 80 > "$tmp/www/page_$i.html"; done
chmod -R a+rX "$tmp/www"
port=$((20000 + RANDOM % 20000))
cat > "$tmp/nginx/nginx.conf" <<CONF
worker_processes 2;
pid $tmp/nginx/pid;
error_log $tmp/nginx/error.log;
daemon off;
events { worker_connections 4096; }
http {
	access_log off;
	client_body_temp_path $tmp/nginx; proxy_temp_path $tmp/nginx; fastcgi_temp_path $tmp/nginx; uwsgi_temp_path $tmp/nginx; scgi_temp_path $tmp/nginx;
	keepalive_requests 1000000;
	server { listen 127.0.0.1:$port; root $tmp/www; }
}
CONF
nginx -c "$tmp/nginx/nginx.conf" -e "$tmp/nginx/error.log" &
nginx_pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/page_1.html" > /dev/null && break; sleep 0.05; done
awk -v n="$WRK_N" -v p="$port" 'BEGIN { for (i = 0; i < n; i++) printf "http://127.0.0.1:%d/page_%d.html?n=%d\n", p, i % 2000, i }' > "$tmp/wrk-urls.txt"
echo "# wrk and nginx: $(nginx -v 2>&1 | cut -d' ' -f3), $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2), $WRK_N distinct URLs, $(uptime)"
: > "$tmp/rates"
rate() { awk -v l="$1" -v n="$2" -v t="$3" 'BEGIN { printf "%-36s %9.0f URLs/s\n", l, n / t; printf "%s\t%.1f\n", l, n / t >> "'"$tmp/rates"'" }'; }
timed() { local s e; s=$(date +%s.%N); "$@" > /dev/null 2>&1 || true; e=$(date +%s.%N); awk -v s="$s" -v e="$e" 'BEGIN { print e - s }'; }
for r in $(seq "$RUNS"); do
	echo "## wrk round $r"
	w=$(wrk -t2 -c64 -d5s "http://127.0.0.1:$port/page_1.html" | awk '/Requests\/sec/ { print $2 }')
	printf '%-36s %9.0f URLs/s\n' "wrk -t2 -c64 (GET)" "$w"; printf 'wrk\t%s\n' "$w" >> "$tmp/rates"
	rate "fanout check (GET)" "$WRK_N" "$(timed "$tmp/fanout" check -q -i "$tmp/wrk-urls.txt")"
	rate "fanout check --method HEAD" "$WRK_N" "$(timed "$tmp/fanout" check -q --method HEAD -i "$tmp/wrk-urls.txt")"
done
echo "## medians over $RUNS rounds (load at the end: $(cut -d' ' -f1-3 /proc/loadavg))"
sort -t$'\t' -k1,1 -k2,2n "$tmp/rates" | awk -F'\t' '
	{ v[$1] = v[$1] " " $2; n[$1]++ }
	END {
		for (l in v) { split(substr(v[l], 2), a, " "); m[l] = a[int((n[l] + 1) / 2)] }
		for (l in m) if (l != "wrk") printf "%-36s %9.0f URLs/s, %.2fx wrk (goal >= 0.6x)\n", l, m[l], m[l] / m["wrk"]
		printf "%-36s %9.0f URLs/s\n", "wrk", m["wrk"]
	}' | sort
awk -v p="$port" 'BEGIN { for (i = 0; i < 1000000; i++) printf "http://127.0.0.1:%d/page_%d.html?n=%d\n", p, i % 2000, i }' > "$tmp/wrk-urls.txt"
/usr/bin/time -f "%M %e" -o "$tmp/rss" "$tmp/fanout" check -q -i "$tmp/wrk-urls.txt" > /dev/null 2>&1 || true
awk '{ printf "fanout check, 1,000,000 distinct URLs: peak RSS %.1f MB in %ss (goal <= 60 MB)\n", $1 / 1024, $2 }' "$tmp/rss"
