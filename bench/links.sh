#!/usr/bin/env bash
# fanout links against "extract, then check" and lychee, side by side, on a
# generated docs tree whose http links point at the simulated site on
# loopback (`fanout demo serve --latency 0`).
#
# The tree (seeded, so the same every time): DOCS Markdown files (default
# 2,000) in 20 folders, each with 20 links: 16 to pages that exist
# ($base/wiki/K), 1 to a page that does not ($base/missing/K, a 404), 2
# relative links to other files of the tree (1 in 10 to a file that is not
# there) and a mailto:; plus a link in a fenced code block and one in a code
# span, which no checker should follow (they point at 404s, so one that does
# reports too many). The http links are drawn from DISTINCT targets (default
# 5,000, a tenth of them missing) and repeat across files, never within one:
# 34,000 http uses of 5,000 URLs at the defaults; the relative ones from
# DISTINCT/5 files of the tree and DISTINCT/50 missing ones, so that the
# distinct targets too are set by DISTINCT, not by DOCS.
#
# Contenders, each once per round, RUNS rounds (default 5), every time and
# the medians printed:
#   - fanout links -q DIR (default workers);
#   - fanout links -q --exclude . DIR: every link found, none checked (the
#     cost of walking and parsing, on the same code path);
#   - fanout check -q -i urls.txt: the distinct http URLs of the tree, which
#     the generator writes (it knows them; fanout's own extraction is not
#     used, so that a bug in it cannot shrink the baseline's work), checked;
#     only the check is timed, the extraction is free;
#   - lychee --no-progress -q --max-concurrency 64 DIR, when a lychee is on
#     PATH (LYCHEE=/path/to/lychee to choose one); otherwise a note says the
#     column is absent. lychee checks loopback addresses unless told
#     --exclude-loopback, and skips mailto: links (no --include-mail) and
#     code (no --include-verbatim), as fanout does;
#   - markdown-link-check -q -c CONFIG DIR (the npm package, which checks one
#     file after the other), when one is on PATH or MLC names it: mailto:
#     links ignored by its config, as fanout and lychee do. Install it
#     anywhere with `npm install markdown-link-check@3.15.0`.
# Each run's broken count is compared with what the generator wrote: a
# mismatch is printed, and the script exits 1 at the end.
#
# Then fanout links' peak RSS (GNU time's %M: the largest resident set of
# the command, not of this shell) on bigger trees, RSS_CASES of DOCS:DISTINCT
# (default "2000:5000 20000:5000 20000:50000"), RSS_RUNS runs each (default
# 3), as users run it and with GOGC=100: ten times the documents with the
# same targets, then ten times the targets too.
#
#
# REAL=DIR instead checks a real documentation tree (not committed: fetch
# one, e.g. kubernetes/community's 965 Markdown files, see
# docs/benchmarks.md), local links only, so that nothing leaves the
# machine (each command also runs in a network namespace of its own when
# `unshare -rn` works): fanout links --offline, lychee --offline and
# markdown-link-check with http(s) links ignored, and LinkChecker (when
# one is on PATH or LINKCHECKER names it) through its MarkdownCheck plugin,
# each RUNS times, the median time and the broken count printed, and
# fanout's broken links by reason, for the disagreements to be read by hand.
#
#   flock -x /tmp/fanout-quiet.lock bash bench/links.sh
#   REAL=/tmp/community RUNS=3 bash bench/links.sh
#   DOCS=20 DISTINCT=40 RUNS=1 RSS_CASES=200:100 bash bench/links.sh   # self-check, a few seconds
set -euo pipefail
cd "$(dirname "$0")/.."
DOCS=${DOCS:-2000}
DISTINCT=${DISTINCT:-5000}
RUNS=${RUNS:-5}
SEED=${SEED:-1}
RSS_CASES=${RSS_CASES-2000:5000 20000:5000 20000:50000}
RSS_RUNS=${RSS_RUNS:-3}
LYCHEE=${LYCHEE:-lychee}
MLC=${MLC:-markdown-link-check}
LINKCHECKER=${LINKCHECKER:-linkchecker}
tmp=$(mktemp -d "${BENCH_TMP:-/tmp}/links-bench.XXXXXX")
site=
trap '[ -n "$site" ] && kill "$site" 2>/dev/null; rm -rf "$tmp"' EXIT

go build -o "$tmp/fanout" ./cmd/fanout
if ! "$tmp/fanout" links --help > /dev/null 2>&1; then
	echo "this fanout has no links command" >&2
	exit 1
fi
command -v "$LYCHEE" > /dev/null 2>&1 && lychee=$(command -v "$LYCHEE") || lychee=
command -v "$MLC" > /dev/null 2>&1 && mlc=$(command -v "$MLC") || mlc=
if [ -n "${REAL:-}" ]; then
	ns=()
	unshare -rn true 2>/dev/null && ns=(unshare -rn)
	echo "# $(date -u +%FT%TZ) nproc=$(nproc) REAL=$REAL: $(find "$REAL" -name '*.md' | wc -l) Markdown files, $(find "$REAL" -type f | wc -l) files; rounds=$RUNS; netns=${ns[*]:-none}"
	median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
	timed() { # NAME OUTFILE CMD...: the median seconds of RUNS runs
		local name=$1 out=$2
		shift 2
		for _ in $(seq "$RUNS"); do
			/usr/bin/time -f %e -o "$tmp/t" "${ns[@]}" "$@" > "$out" 2>&1 || true
			tail -1 "$tmp/t"
		done | median | xargs printf "%-22s %8s s" "$name"
	}
	timed "fanout links" "$tmp/fanout.out" "$tmp/fanout" links --offline -q --no-progress "$REAL"
	echo "  $(wc -l < "$tmp/fanout.out") broken"
	if [ -n "$lychee" ]; then
		timed "lychee --offline" "$tmp/lychee.out" "$lychee" --offline --no-progress "$REAL"
		echo "  $(grep -c '^\[' "$tmp/lychee.out" || true) broken"
	fi
	if [ -n "$mlc" ]; then
		echo '{"ignorePatterns": [{"pattern": "^https?://"}, {"pattern": "^mailto:"}]}' > "$tmp/mlc.json"
		timed "markdown-link-check" "$tmp/mlc.out" sh -c 'find "$1" -name "*.md" -exec "$2" -q -c "$3" {} +' sh "$REAL" "$mlc" "$tmp/mlc.json"
		echo "  $(grep -c '\[✖\]' "$tmp/mlc.out" || true) broken"
	fi
	if command -v "$LINKCHECKER" > /dev/null 2>&1; then
		# LinkChecker reads Markdown only through its MarkdownCheck plugin,
		# which a section of its config file turns on; given the folder, it
		# walks it as a file:// URL. Without --check-extern it checks only
		# the syntax of http(s) and mailto: links. It reports each distinct
		# target once (at its first link), not each use. Run as root, it
		# drops to nobody with seteuid (so nobody must be able to read REAL),
		# which fails in `unshare -r` (nobody is not mapped there): root gets
		# a plain `unshare -n`, another user their own uid mapped. It runs
		# last, so the others keep the namespace set above.
		printf '[MarkdownCheck]\n' > "$tmp/lc.rc"
		ns=()
		if [ "$(id -u)" = 0 ]; then
			unshare -n true 2>/dev/null && ns=(unshare -n)
		else
			lcmap=(unshare -n --map-user="$(id -u)" --map-group="$(id -g)")
			"${lcmap[@]}" true 2>/dev/null && ns=("${lcmap[@]}")
		fi
		echo "# $("$LINKCHECKER" --version 2>/dev/null | awk '/^LinkChecker/ { print $1, $2; exit }'); netns=${ns[*]:-none}"
		timed "linkchecker" "$tmp/lc.out" "$LINKCHECKER" -f "$tmp/lc.rc" --no-status --no-warnings "$REAL"
		echo "  $(grep -c '^Result  *Error' "$tmp/lc.out" || true) broken (distinct targets)"
	fi
	echo "# fanout's broken links by reason:"
	sed 's/^.* - //' "$tmp/fanout.out" | sed 's/"[^"]*"/"…"/' | sort | uniq -c | sort -rn
	exit 0
fi
"$tmp/fanout" demo serve --latency 0 > "$tmp/url" 2>/dev/null &
site=$!
for _ in $(seq 100); do [ -s "$tmp/url" ] && break; sleep 0.05; done
base=$(head -1 "$tmp/url")
[ -n "$base" ] || { echo "the demo site did not start" >&2; exit 1; }

rev=$(git rev-parse --short HEAD 2>/dev/null || echo ?)
[ -n "$(git status --porcelain 2>/dev/null)" ] && rev="$rev+changes"
echo "# $(date -u +%FT%TZ) nproc=$(nproc) $(go version | cut -d' ' -f3) fanout=$rev DOCS=$DOCS DISTINCT=$DISTINCT rounds=$RUNS load=$(cut -d' ' -f1-3 /proc/loadavg)"
if [ -n "$lychee" ]; then
	echo "# $("$lychee" --version 2>&1 | head -1) ($lychee); fs=$(df -T "$tmp" | awk 'NR==2 {print $2}')"
else
	echo "# lychee: not found (LYCHEE=$LYCHEE), its column is absent; fs=$(df -T "$tmp" | awk 'NR==2 {print $2}')"
fi
if [ -n "$mlc" ]; then
	echo "# markdown-link-check $("$mlc" --version 2>&1 | head -1) ($mlc), node $(node --version)"
	echo '{"ignorePatterns": [{"pattern": "^mailto:"}]}' > "$tmp/mlc.json"
else
	echo "# markdown-link-check: not found (MLC=$MLC), its column is absent"
fi

# gen DIR DOCS DISTINCT: the tree in DIR; DIR.urls, the distinct http URLs
# linked (code excluded); DIR.meta, the counts a checker should find.
gen() {
	python3 - "$1" "$2" "$3" "$base" "$SEED" <<'PY'
import os, random, sys
root, docs, distinct, base, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
rng = random.Random(seed)
DIRS, WIKI, REL = 20, 16, 2
missing = max(1, distinct // 10)   # distinct http targets that 404
wiki = max(1, distinct - missing)  # distinct http targets that exist
# Relative links go to the first `popular` files and to `gone` files that do
# not exist: the distinct file targets too are set by DISTINCT, not DOCS.
popular, gone = max(1, min(docs, distinct // 5)), max(1, distinct // 50)
files = set()
for d in range(DIRS):
    os.makedirs(os.path.join(root, f"d{d:02d}"), exist_ok=True)
name = lambda i: f"d{i % DIRS:02d}/f{i:05d}.md"
slot = 0              # wiki links handed out so far: the first `wiki` cover the pool
urls, seen = [], set()
uses = http_uses = broken_http_uses = rel_uses = rel_broken = 0
words = "the of a to in is that for it as with on by this be are from at or an".split()
text = lambda n: " ".join(rng.choice(words) for _ in range(n))
for i in range(docs):
    ks = []
    while len(ks) < WIKI:
        k = slot if slot < wiki else rng.randrange(wiki)
        slot += 1
        if k not in ks:   # never the same URL twice in one file
            ks.append(k)
    links = [f"{base}/wiki/{k}" for k in ks]
    links.insert(rng.randrange(len(links) + 1), f"{base}/missing/{i % missing}")
    for u in links:
        if u not in seen:
            seen.add(u)
            urls.append(u)
    http_uses += len(links)
    broken_http_uses += 1
    rels = []
    for _ in range(REL):
        if rng.random() < 0.1:
            k = rng.randrange(gone)
            rels.append(f"../d{k % DIRS:02d}/gone{k:05d}.md")
            rel_broken += 1
        else:
            rels.append("../" + name(rng.randrange(popular)))
        rel_uses += 1
        files.add(rels[-1].split("/", 1)[1])
    out = [f"# Page {i}\n\n{text(12)}.\n"]
    for n, u in enumerate(links):
        out.append(f"\n{text(8)} [page {n}]({u}) {text(6)}.\n")
        if n == 5:
            out.append(f"\n```sh\ncurl {base}/missing/code-{i}\n```\n")
        if n == 10:
            out.append(f"\nIn code: `[not a link]({base}/missing/span-{i})`, {text(4)}.\n")
    for n, r in enumerate(rels):
        out.append(f"\nSee [file {n}]({r}) {text(5)}.\n")
    out.append(f"\nWrite to [the editors](mailto:editors{i % 7}@example.org).\n")
    with open(os.path.join(root, name(i)), "w") as f:
        f.write("".join(out))
with open(root + ".urls", "w") as f:
    f.write("\n".join(urls) + "\n")
broken_http = sum(1 for u in urls if "/missing/" in u)
# docs, link uses (http + relative + mailto), http uses, distinct http,
# distinct http that 404, broken uses (http + relative), distinct files.
with open(root + ".meta", "w") as f:
    f.write(f"{docs} {http_uses + rel_uses + docs} {http_uses} {len(urls)} {broken_http} {broken_http_uses + rel_broken} {len(files)}\n")
PY
}

gen "$tmp/docs" "$DOCS" "$DISTINCT"
read -r m_docs m_uses m_http m_distinct m_distinct_broken m_broken m_files < "$tmp/docs.meta"
echo "# tree: $m_docs files, $(du -sk "$tmp/docs" | cut -f1) KB, $m_uses links ($m_http http uses of $m_distinct distinct URLs;" \
	"$m_distinct_broken of them 404; $m_files distinct files), $m_broken broken link uses; the baseline's urls.txt: the generator's list"
fail=0
# The baseline's list against fanout's own extraction (untimed): the same
# distinct http URLs, and the same number of links (code excluded).
"$tmp/fanout" links -q -v --json "$tmp/docs" > "$tmp/all.json" 2>/dev/null || true
agree=$(python3 - "$tmp/all.json" "$tmp/docs.urls" "$m_uses" <<'PY'
import json, sys
uses, http = 0, set()
for line in open(sys.argv[1]):
    uses += 1
    u = json.loads(line).get("url", "")
    if u.startswith("http"):
        http.add(u)
want = set(open(sys.argv[2]).read().split())
if http == want and uses == int(sys.argv[3]):
    print("agrees")
else:
    print(f"MISMATCH: {uses} links, {len(http)} distinct http URLs; {len(http - want)} not in the list, {len(want - http)} missed")
PY
)
echo "# fanout links --json -v against the generator: $agree"
[ "$agree" = agrees ] || fail=1
sync

# once LABEL WANT COUNTER COMMAND...: one timed run; COUNTER (a shell
# function) reads its output ($tmp/out) and prints the broken links it
# found, compared with WANT. Appends "LABEL seconds" to $tmp/times.
once() {
	local label=$1 want=$2 counter=$3; shift 3
	local s e got note=""
	s=$(date +%s.%N)
	"$@" > "$tmp/out" 2> "$tmp/err" || true
	e=$(date +%s.%N)
	got=$($counter)
	if [ "$got" != "$want" ]; then
		note="  MISMATCH: $got broken, $want expected"
		fail=1
	fi
	awk -v l="$label" -v s="$s" -v e="$e" -v g="$got" -v n="$note" 'BEGIN { printf "%-48s %7.3fs  (%s broken)%s\n", l, e-s, g, n }'
	awk -v l="$label" -v s="$s" -v e="$e" 'BEGIN { printf "%s\t%.4f\n", l, e-s }' >> "$tmp/times"
}
# fanout links prints one line per broken link.
lines() { wc -l < "$tmp/out" | tr -d ' '; }
# fanout check prints one line per URL.
notfound() { grep -c -- ' - does not exist$' "$tmp/out" || true; }
# lychee's JSON report: the failures per input file (fail_map, error_map in
# newer versions), each a link that did not pass.
lycheefails() {
	python3 - "$tmp/lychee.json" <<'PY'
import json, sys
try:
    r = json.load(open(sys.argv[1]))
except (OSError, ValueError):
    print("no report"); sys.exit()
m = r.get("error_map") or r.get("fail_map") or {}
print(sum(len(v) for v in m.values()))
PY
}
# markdown-link-check marks each dead link with [✖].
crosses() { grep -c -- '\[✖\]' "$tmp/out" || true; }

for r in $(seq "$RUNS"); do
	echo "## round $r"
	once "fanout links -q ($m_docs files)" "$m_broken" lines "$tmp/fanout" links -q "$tmp/docs"
	once "fanout links -q --exclude . (extraction only)" 0 lines "$tmp/fanout" links -q --exclude . "$tmp/docs"
	once "fanout check -q -i urls.txt ($m_distinct URLs)" "$m_distinct_broken" notfound "$tmp/fanout" check -q -i "$tmp/docs.urls"
	if [ -n "$lychee" ]; then
		# From $tmp, so that no lychee.toml or .lycheecache of the repo applies.
		rm -f "$tmp/lychee.json"
		once "lychee --max-concurrency 64 ($m_docs files)" "$m_broken" lycheefails \
			sh -c 'cd "$1" && shift && exec "$@"' sh "$tmp" "$lychee" --no-progress -q --max-concurrency 64 \
			--format json --output "$tmp/lychee.json" "$tmp/docs"
	fi
	if [ -n "$mlc" ]; then
		once "markdown-link-check -q ($m_docs files)" "$m_broken" crosses "$mlc" -q -c "$tmp/mlc.json" "$tmp/docs"
	fi
done

echo "## medians over $RUNS rounds (load at the end: $(cut -d' ' -f1-3 /proc/loadavg))"
# The median of each label's times, one "LABEL\tseconds" a line.
sort -t$'\t' -k1,1 -k2,2n "$tmp/times" | awk -F'\t' '
	{ v[$1] = v[$1] " " $2; n[$1]++ }
	END { for (l in v) { split(substr(v[l], 2), a, " "); printf "%s\t%s\n", l, a[int((n[l] + 1) / 2)] } }' | sort > "$tmp/medians"
awk -F'\t' '{ printf "%-48s %7.3fs\n", $1, $2 }' "$tmp/medians"
awk -F'\t' '
	$1 ~ /^fanout links -q \(/ { links = $2 } $1 ~ /extraction only/ { extract = $2 } $1 ~ /^fanout check/ { check = $2 } $1 ~ /^lychee/ { ly = $2 } $1 ~ /^markdown-link-check/ { mlc = $2 }
	END {
		printf "links vs extract-then-check: %.2fx its time; extraction + check = %.3fs\n", links / check, extract + check
		if (ly) printf "links vs lychee: %.2fx its speed\n", ly / links
		if (mlc) printf "links vs markdown-link-check: %.2fx its speed\n", mlc / links
	}' "$tmp/medians"

if [ -n "$RSS_CASES" ]; then
	echo "## fanout links: peak RSS (GNU time %M; /usr/bin/time alone: $(/usr/bin/time -f %M true 2>&1) KB)"
	for c in $RSS_CASES; do
		rm -rf "$tmp/big" "$tmp"/big.*
		gen "$tmp/big" "${c%%:*}" "${c#*:}"
		read -r b_docs b_uses _ b_distinct _ b_broken b_files < "$tmp/big.meta"
		sync
		echo "$b_docs files ($(du -sk "$tmp/big" | cut -f1) KB), $b_uses links, $((b_distinct + b_files)) distinct targets ($b_distinct URLs, $b_files files):"
		# As users run it (fanout sets GOGC=400 under a 256 MiB soft limit
		# when neither GOGC nor GOMEMLIMIT is set), then with GOGC=100.
		for gogc in "" 100; do
			rss=() secs=() counts=() label=default:
			[ -z "$gogc" ] || label="GOGC=$gogc:"
			for _ in $(seq "$RSS_RUNS"); do
				env ${gogc:+GOGC=$gogc} /usr/bin/time -f '%e %M' -o "$tmp/rss" "$tmp/fanout" links -q "$tmp/big" > "$tmp/out" 2>/dev/null || true
				# (GNU time says first when the command exited non-zero, as
				# it does when it finds a broken link.)
				read -r t kb < <(tail -1 "$tmp/rss")
				rss+=("$(awk -v k="$kb" 'BEGIN { printf "%.1f", k / 1024 }')") secs+=("$t")
				counts+=("$(lines)")
			done
			got=$(printf '%s\n' "${counts[@]}" | sort -u | paste -sd/)
			note=""; if [ "$got" != "$b_broken" ]; then note="  MISMATCH: $got broken, $b_broken expected"; fail=1; fi
			printf '  %-9s peak RSS median %6.1f MB (runs: %s MB; %s s), %s broken%s\n' "$label" \
				"$(printf '%s\n' "${rss[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')" \
				"${rss[*]}" "${secs[*]}" "$got" "$note"
		done
	done
fi
exit $fail
