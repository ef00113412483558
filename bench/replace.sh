#!/usr/bin/env bash
# fanout replace against `find | xargs -P2 sed -i`, `rg -l OLD` (ripgrep
# only lists the files: the floor for reading them all) and the tutorial's
# Python program (bench/replace_tutorial.py), on 10,000 files of 10 KB in
# 100 folders: (a) every file contains OLD, (b) 1% of them do. fanout runs
# literal, and with --regex (line by line, and --across). The tree is
# regenerated (and synced to disk) before every timed run, rg's included;
# each case runs RUNS times and the median is printed, then the ratios.
# Run it alone:
#
#   flock -x /tmp/fanout-quiet.lock bash bench/replace.sh
#   RUNS=5 FILES=2000 TUTORIAL=0 bench/replace.sh   # a quick look, no Python
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
FILES=${FILES:-10000}
DIRS=${DIRS:-100}
SIZE=${SIZE:-10240}
OLD=${OLD:-old_function_name}
NEW=${NEW:-new_function_name}
TUTORIAL=${TUTORIAL:-1}
command -v rg >/dev/null || { echo "ripgrep (rg) is needed: apt-get install ripgrep" >&2; exit 1; }
tmp=$(mktemp -d "${BENCH_TMP:-/tmp}/replace-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/fanout" ./cmd/fanout
echo "# $(date -u +%FT%TZ) nproc=$(nproc) $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)" \
	"$(go version | cut -d' ' -f3) fanout=$(git rev-parse --short HEAD) fs=$(df -T "$tmp" | awk 'NR==2{print $2}')" \
	"python=$(python3 -c 'import sys; print(sys.version.split()[0])') sed=$(sed --version | awk 'NR==1{print $NF}')" \
	"rg=$(rg --version | awk 'NR==1{print $2}') load=$(cut -d' ' -f1-3 /proc/loadavg)"
echo "# $FILES files of $SIZE bytes in $DIRS folders; medians of $RUNS runs"

# gen PERCENT: a fresh tree where PERCENT% of the files contain OLD (ten
# times, on different lines), the others only text around it.
gen() {
	rm -rf "$tmp/tree"
	python3 - "$tmp/tree" "$FILES" "$DIRS" "$SIZE" "$1" "$OLD" <<'PY'
import os, sys
root, files, dirs, size, pct, old = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
line = "    result = compute(value, other_value)  # some ordinary source text\n"
every = max(1, round(100 / pct)) if pct else 0
for d in range(dirs):
    os.makedirs(os.path.join(root, f"d{d:03d}"))
for i in range(files):
    body = [line] * (size // len(line) + 1)
    if every and i % every == 0:
        for k in range(10):
            body[k * 10 + 3] = f"    x = {old}(y)  # call {k}\n"
    text = "".join(body)[:size]
    with open(os.path.join(root, f"d{i % dirs:03d}", f"f{i:05d}.py"), "w") as f:
        f.write(text)
PY
	sync
}

# timed LABEL PERCENT COMMAND...: RUNS runs on fresh trees, prints the median
# and checks the result (every OLD gone; not for rg, which only lists).
# The median is kept in median[LABEL] for the ratios.
declare -A median
timed() {
	local label=$1 pct=$2; shift 2
	local times=()
	for _ in $(seq "$RUNS"); do
		gen "$pct"
		local start end
		start=$(date +%s.%N)
		"$@" > /dev/null 2>&1 || true
		end=$(date +%s.%N)
		if [[ $label != rg* ]] && grep -rqF -- "$OLD" "$tmp/tree"; then
			echo "$label: OLD still present" >&2
			exit 1
		fi
		times+=("$(echo "$end - $start" | bc)")
	done
	local m
	m=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
	median[$label]=$m
	printf '%-44s median %7.3fs   runs: %s\n' "$label" "$m" "$(printf '%.3f ' "${times[@]}")"
}

# ratio A B: how many times B's median is A's.
ratio() { echo "scale=2; ${median[$2]} / ${median[$1]}" | bc; }

SED="find | xargs -0 -P2 sed -i"
for case in "a 100" "b 1"; do
	set -- $case
	echo "## case ($1): $2% of the files contain OLD"
	timed "fanout replace" "$2" "$tmp/fanout" replace -q "$OLD" "$NEW" "$tmp/tree"
	timed "fanout replace --no-fsync" "$2" "$tmp/fanout" replace -q --no-fsync "$OLD" "$NEW" "$tmp/tree"
	timed "fanout replace -E (line by line)" "$2" "$tmp/fanout" replace -q -E "${OLD}(\\()" "${NEW}\${1}" "$tmp/tree"
	timed "fanout replace -E --across" "$2" "$tmp/fanout" replace -q -E --across "${OLD}(\\()" "${NEW}\${1}" "$tmp/tree"
	timed "$SED" "$2" sh -c "find '$tmp/tree' -type f -print0 | xargs -0 -P2 sed -i 's/$OLD/$NEW/g'"
	timed "rg -l OLD (lists the files, writes nothing)" "$2" rg -l -- "$OLD" "$tmp/tree"
	if [ "$TUTORIAL" = 1 ]; then
		timed "python3 replace_tutorial.py (a thread/file)" "$2" python3 bench/replace_tutorial.py "$tmp/tree" "$OLD" "$NEW"
	fi
	echo "ratios: sed/fanout $(ratio "fanout replace" "$SED")x, sed/fanout -E $(ratio "fanout replace -E (line by line)" "$SED")x," \
		"fanout/rg $(ratio "rg -l OLD (lists the files, writes nothing)" "fanout replace")x," \
		"fanout -E/rg $(ratio "rg -l OLD (lists the files, writes nothing)" "fanout replace -E (line by line)")x"
done
