package command

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Cases from lychee's CLI tests (lychee-bin/tests/cli.rs) that fanout
// failed (issue 24), each on a tree of its own and web links on loopback.

// A fragment is looked for as written, then decoded: id="tangent%3A-kustomize"
// is what href="#tangent%3A-kustomize" finds in a browser (lychee's
// fixtures/fragments/file.html, test_fragments; issue 24.3).
func TestLinksFragmentAsWritten(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeTree(t, dir, "", map[string]string{
		"file.html": `<div id="tangent%3A-kustomize"></div><div id="a:b"></div>` +
			`<a href="#tangent%3A-kustomize">x</a> <a href="#a%3Ab">y</a> <a href="#gone%3A">z</a>`,
	})
	out, errOut, code := run(t, context.Background(), "", "links", "--no-progress", "--include-fragments", dir)
	want := filepath.Join(dir, "file.html") + ":1: #gone%3A - no anchor #gone:"
	if code != ExitSome || strings.TrimSpace(out) != want {
		t.Errorf("exit %d, want 1 and %q\n%s%s", code, want, out, errOut)
	}
}

// A page whose error status --accept passes has no anchors to check:
// lychee's test_fragments_when_accept_error_status_codes (issue 24.4).
func TestLinksAcceptedErrorPageHasNoAnchorsToCheck(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		if r.URL.Path != "/page" {
			w.WriteHeader(http.StatusNotFound) // an HTML 404 page, as Wikipedia's
		}
		io.WriteString(w, `<p id="here">x</p>`)
	}))
	defer srv.Close()
	dir := t.TempDir()
	writeTree(t, dir, srv.URL, map[string]string{"a.md": "[404]($BASE/Should404#ignore-fragment) [ok]($BASE/page#here)\n"})
	out, errOut, code := run(t, context.Background(), "", "links", "--no-progress", "--accept", "200,404", "--include-fragments", dir)
	if code != ExitOK || !strings.Contains(errOut, "2 links in 1 document: 0 broken, 2 ok") {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
}

// Quarto and R Markdown files are Markdown: a URL in their code blocks is
// not checked (lychee's test_quarto_treated_as_markdown,
// test_rmarkdown_treated_as_markdown; issue 24.6). A -g glob chooses the
// files whatever their extension (test_globbed_files_are_always_checked,
// lychee-action#305; issue 24.8). A file named twice is read once
// (test_dump_inputs_does_not_include_duplicates; issue 24.5). A
// root-relative link without --root-dir names the flag (issue 24.10).
func TestLinksInputsAsLychee(t *testing.T) {
	t.Parallel()
	srv := newHitServer(t, map[string]string{"/ok": "ok"})
	dir := t.TempDir()
	code := "```{.bash}\ncurl -O $BASE/in-code\n```\n\nInline `$BASE/inline-code` too; real: <$BASE/ok>\n"
	writeTree(t, dir, srv.URL, map[string]string{
		"q/TEST_QUARTO.qmd": code, "q/TEST_RMARKDOWN.Rmd": code,
		"g/example.tsx": "const u = \"$BASE/tsx-missing\"\n", "g/example.md": "[x](/root-relative.md)\n",
	})
	out, errOut, code1 := run(t, context.Background(), "", "links", "--no-progress", filepath.Join(dir, "q"))
	if code1 != ExitOK || !strings.Contains(errOut, "2 links in 2 documents: 0 broken, 2 ok") || srv.count("/in-code")+srv.count("/inline-code") != 0 {
		t.Errorf(".qmd, .Rmd: exit %d\n%s%s", code1, out, errOut)
	}

	g := filepath.Join(dir, "g")
	out, errOut, code1 = run(t, context.Background(), "", "links", "--no-progress", "-g", "**/*.tsx", g)
	if code1 != ExitSome || !strings.Contains(out, "/tsx-missing - does not exist") || strings.Contains(out, "root-relative") {
		t.Errorf("-g '**/*.tsx': exit %d\n%s%s", code1, out, errOut)
	}

	md := filepath.Join(g, "example.md")
	out, errOut, _ = run(t, context.Background(), "", "links", "--no-progress", md, md, g)
	want := md + ":1: /root-relative.md - unresolved: pass --root-dir, the site's root on disk"
	if strings.TrimSpace(out) != want || !strings.Contains(errOut, "1 link in 1 document") {
		t.Errorf("a file named twice, and in a directory named: want once %q\n%s%s", want, out, errOut)
	}
}

// The package's tests expect plain lines, in GitHub Actions too, where
// links would write annotations by default.
func init() { os.Unsetenv("GITHUB_ACTIONS") }

// --offline checks the local links only: web links are excluded, nothing
// is requested, whatever --include says (lychee's --offline; issue 23).
func TestLinksOffline(t *testing.T) {
	t.Parallel()
	srv := newHitServer(t, map[string]string{"/ok": "ok"})
	dir := t.TempDir()
	writeTree(t, dir, srv.URL, map[string]string{"a.md": "[w]($BASE/ok) <$BASE/gone> [f](gone.md) [g](a.md)\n"})
	out, errOut, code := run(t, context.Background(), "", "links", "--no-progress", "--offline", "--include", "gone", dir)
	if code != ExitSome || strings.TrimSpace(out) != filepath.Join(dir, "a.md")+":1: gone.md - does not exist" ||
		!strings.Contains(errOut, "4 links in 1 document: 1 broken, 0 ok, 3 excluded; 1 distinct target checked (0 web, 1 file)") {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
	if n := srv.total(); n != 0 {
		t.Errorf("%d requests with --offline", n)
	}
	if _, _, code := run(t, context.Background(), "", "links", "--offline", srv.URL); code != ExitUsage {
		t.Errorf("--offline URL: exit %d, want 2", code)
	}
}

// --format markdown writes a table a CI job summary shows (lychee's
// --format markdown); --format github, the default when GITHUB_ACTIONS is
// true, writes ::error annotations with the file and line, its values
// escaped as the workflow commands want (% , : and line breaks); --format
// json is --json (issue 23, issue 24's CI list).
func TestLinksFormats(t *testing.T) {
	srv := newHitServer(t, nil)
	dir := t.TempDir()
	writeTree(t, dir, srv.URL, map[string]string{"a,b:c.md": "x\n[w]($BASE/gone) [f](no|pe.md)\n"})
	file := filepath.Join(dir, "a,b:c.md")
	out, _, code := run(t, context.Background(), "", "links", "-q", "--format", "markdown", dir)
	lines := sortedLines(out)
	want := []string{
		"| " + file + ":2 | " + srv.URL + "/gone | does not exist (HTTP 404) |",
		"| " + file + ":2 | no\\|pe.md | does not exist |",
		"| --- | --- | --- |",
		"| Where | Link | Result |",
	}
	slices.Sort(want)
	if code != ExitSome || !slices.Equal(lines, want) || !strings.HasPrefix(out, "| Where | Link | Result |\n| --- | --- | --- |\n") {
		t.Errorf("markdown: exit %d\n%s\nwant (sorted):\n%s", code, out, strings.Join(want, "\n"))
	}

	prop := strings.NewReplacer(",", "%2C", ":", "%3A").Replace(file)
	wantGH := []string{
		"::error file=" + prop + ",line=2,col=1::" + srv.URL + "/gone - does not exist (HTTP 404)",
		"::error file=" + prop + ",line=2,col=" + strconv.Itoa(len("[w]("+srv.URL+"/gone) ")+1) + "::no|pe.md - does not exist",
	}
	slices.Sort(wantGH)
	out, _, _ = run(t, context.Background(), "", "links", "-q", "--format", "github", dir)
	if got := sortedLines(out); !slices.Equal(got, wantGH) {
		t.Errorf("github:\n%s\nwant:\n%s", out, strings.Join(wantGH, "\n"))
	}
	t.Setenv("GITHUB_ACTIONS", "true")
	out2, _, _ := run(t, context.Background(), "", "links", "-q", dir)
	if got := sortedLines(out2); !slices.Equal(got, wantGH) { // in completion order, as --format github
		t.Errorf("GITHUB_ACTIONS=true without --format:\n%s\nwant the annotations:\n%s", out2, strings.Join(wantGH, "\n"))
	}
	out, _, _ = run(t, context.Background(), "", "links", "-q", "--format", "json", dir)
	if recs := jsonLines[linkJSON](t, out); len(recs) != 2 || recs[0].Source != file {
		t.Errorf("--format json:\n%s", out)
	}
	for _, args := range [][]string{{"--format", "xml"}, {"--format", "markdown", "--json"}, {"--format", "json", "--csv"}} {
		if _, _, code := run(t, context.Background(), "", append([]string{"links", "-q", dir}, args...)...); code != ExitUsage {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}

// A .lycheeignore in the working folder excludes as --exclude does: one
// regular expression a line, # comments (lychee's test_lycheeignore_file,
// its fixture with loopback URLs; a bare file:// URL is no link in
// Markdown, as on GitHub); a bad pattern is a usage error naming
// its line.
func TestLinksLycheeIgnore(t *testing.T) {
	srv := newHitServer(t, nil)
	dir := t.TempDir()
	writeTree(t, dir, srv.URL, map[string]string{
		".lycheeignore": ".*/ignored/.*\n\n# This is just a comment.\n# The following line should be ignored,\n# so the URL still gets checked.\n#.*/kept\n^file.*\n@\n",
		"TEST.md":       "$BASE/kept\n$BASE/ignored/x\nfile:///path/to/file\nmail@example.com\n",
	})
	t.Chdir(dir)
	out, errOut, code := run(t, context.Background(), "", "links", "--no-progress", "TEST.md")
	if code != ExitSome || strings.TrimSpace(out) != "TEST.md:1: "+srv.URL+"/kept - does not exist (HTTP 404)" ||
		!strings.Contains(errOut, "3 links in 1 document: 1 broken, 0 ok, 2 excluded") || srv.count("/ignored/x") != 0 {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
	writeTree(t, dir, "", map[string]string{".lycheeignore": "ok\n(\n"})
	if _, errOut, code := run(t, context.Background(), "", "links", "TEST.md"); code != ExitUsage || !strings.Contains(errOut, ".lycheeignore:2: ") {
		t.Errorf("bad pattern: exit %d, %s", code, errOut)
	}
}

// Reports say what is wrong and the fix (issue 24.12): a missing anchor
// names the nearest there is, a bare address in href suggests mailto:, a
// link in parentheses is no URL for a reason said in words.
func TestLinksMessagesSayTheFix(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeTree(t, dir, "", map[string]string{
		"a.md":   "# Mailing lists\n\n[x](#mailing-list) [y](b.html#tpo) [z](foo@bar.com)\n\n[k-dev]: (https://x.example/k)\n\n[k][k-dev]\n",
		"b.html": `<p id="top-of-page">`,
	})
	out, _, _ := run(t, context.Background(), "", "links", "-q", "--include-fragments", dir)
	a := filepath.Join(dir, "a.md")
	for _, want := range []string{
		a + ":3: #mailing-list - no anchor #mailing-list (nearest: #mailing-lists)\n",
		a + ":3: foo@bar.com - does not exist (an e-mail address? write mailto:foo@bar.com)\n",
		a + `:7: (https://x.example/k) - error: not a URL: "(https" before the first ':' is no scheme`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// A document that is not UTF-8 is read (its ASCII links found) and named
// in the summary; lychee skips it, naming it (test_skip_binary_input,
// fixtures/invalid_utf8; issue 24.7). A rune split across two reads of a
// valid document is no error.
func TestLinksNotUTF8IsNamed(t *testing.T) {
	t.Parallel()
	srv := newHitServer(t, map[string]string{"/ok": "ok"})
	dir := t.TempDir()
	writeTree(t, dir, srv.URL, map[string]string{
		"bad/invalid_utf8.txt": "caf\xe9 \xff\xfe $BASE/ok\n",
		"good/long.txt":        strings.Repeat("é€😀", 40000) + " $BASE/ok\n",
	})
	out, errOut, code := run(t, context.Background(), "", "links", "--no-progress", filepath.Join(dir, "bad"), filepath.Join(dir, "good"))
	want := "1 document not UTF-8, read as far as it decodes: " + filepath.Join(dir, "bad/invalid_utf8.txt") + "\n"
	if code != ExitOK || !strings.Contains(errOut, "2 links in 2 documents: 0 broken, 2 ok") || !strings.Contains(errOut, want) {
		t.Errorf("exit %d, want 0 and %q\n%s%s", code, want, out, errOut)
	}
}

// Without --root-dir, a root-relative link in a file of a git working
// tree starts at its top level, as GitHub resolves it, and the summary says
// so (issue 24.11: 803 identical errors on kubernetes/community), even
// where a folder holds an index.html (TestLinksRootGuessedFromSite);
// --root-dir chooses (lychee's test_resolve_paths_from_root_dir).
func TestLinksRootGuessedFromGit(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeTree(t, dir, "", map[string]string{
		".git/HEAD": "ref: refs/heads/main\n", "README.md": "top\n", "site/README.md": "site\n", "docs/index.html": "docs\n",
		"docs/a.md": "[1](/README.md) [2](/missing.md) [3](../README.md)\n",
	})
	a := filepath.Join(dir, "docs/a.md")
	out, errOut, code := run(t, context.Background(), "", "links", "--no-progress", filepath.Join(dir, "docs"))
	if code != ExitSome || strings.TrimSpace(out) != a+":1: /missing.md - does not exist" ||
		!strings.Contains(errOut, "2 root-relative links resolved from the git top level "+dir+" (--root-dir to choose another)\n") {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
	out, errOut, _ = run(t, context.Background(), "", "links", "--no-progress", "--root-dir", filepath.Join(dir, "site"), filepath.Join(dir, "docs"))
	if strings.TrimSpace(out) != a+":1: /missing.md - does not exist" || strings.Contains(errOut, "git top level") {
		t.Errorf("--root-dir:\n%s%s", out, errOut)
	}
}

// --remap checks a production URL at a local build: on disk (file://), or
// at another server (lychee's test_remap_uri, test_remap_capture). The production
// host here is loopback too, on a port nothing serves: a link not remapped
// would fail. With --offline nothing can leave for the web at all.
func TestLinksRemap(t *testing.T) {
	t.Parallel()
	build := t.TempDir()
	writeTree(t, build, "", map[string]string{"guide/a.html": `<h2 id="intro">x</h2>`})
	srv := newHitServer(t, map[string]string{"/api/v1": "ok"})
	dir := t.TempDir()
	writeTree(t, dir, "", map[string]string{"a.md": "[a](http://127.0.0.1:1/guide/a.html#intro) [b](http://127.0.0.1:1/guide/b.html)\n" +
		"[api](http://127.0.0.1:1/api/v1)\n"})
	a := filepath.Join(dir, "a.md")
	out, errOut, code := run(t, context.Background(), "", "links", "--no-progress", "--include-fragments",
		"--remap", `^http://127\.0\.0\.1:1/guide/(.*) file://`+filepath.ToSlash(build)+"/guide/$1",
		"--remap", `^http://127\.0\.0\.1:1/ `+srv.URL+"/", dir)
	if code != ExitSome || strings.TrimSpace(out) != a+":1: http://127.0.0.1:1/guide/b.html - does not exist" ||
		!strings.Contains(errOut, "3 links in 1 document: 1 broken, 2 ok; 3 distinct targets checked (1 web, 2 files)") || srv.count("/api/v1") != 1 {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
	out, errOut, _ = run(t, context.Background(), "", "links", "--no-progress", "--offline",
		"--remap", `^http://127\.0\.0\.1:1/guide/(.*) file://`+filepath.ToSlash(build)+"/guide/$1", dir)
	if !strings.Contains(errOut, "3 links in 1 document: 1 broken, 1 ok, 1 excluded") {
		t.Errorf("--offline --remap:\n%s%s", out, errOut)
	}
	if _, _, code := run(t, context.Background(), "", "links", "--remap", "only-one", dir); code != ExitUsage {
		t.Errorf("--remap with one field: exit %d, want 2", code)
	}
}

// --cache keeps the web answers across runs (lychee's .lycheecache,
// test_lycheecache_file): a rerun asks nothing it knows younger than
// --max-cache-age, with the same report; an older answer is asked again;
// local files and errors are never kept.
func TestLinksCache(t *testing.T) {
	t.Parallel()
	srv := newHitServer(t, map[string]string{"/ok": "ok"})
	dir := t.TempDir()
	writeTree(t, dir, srv.URL, map[string]string{"a.md": "[ok]($BASE/ok) [gone]($BASE/gone) [f](a.md) [refused](http://127.0.0.1:1/)\n"})
	cache := filepath.Join(t.TempDir(), "links.cache")
	out1, _, code := run(t, context.Background(), "", "links", "-q", "--cache", cache, dir)
	if code != ExitSome {
		t.Fatalf("exit %d\n%s", code, out1)
	}
	data, err := os.ReadFile(cache)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(data), "\n"); n != 2 || strings.Contains(string(data), "a.md") || strings.Contains(string(data), ":1/") {
		t.Errorf("cache holds %d answers, want the 2 web statuses only:\n%s", n, data)
	}
	hits := srv.total()
	out2, errOut, _ := run(t, context.Background(), "", "links", "--no-progress", "--cache", cache, dir)
	if srv.total() != hits || out2 != out1 || !strings.Contains(errOut, "2 web targets answered from --cache") {
		t.Errorf("rerun: %d requests, want none; output\n%s\nwant\n%s%s", srv.total()-hits, out2, out1, errOut)
	}
	// Aged out: asked again.
	old := strings.ReplaceAll(string(data), `"at":"`+time.Now().UTC().Format("2006"), `"at":"2001`)
	if err := os.WriteFile(cache, []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, context.Background(), "", "links", "-q", "--cache", cache, "--max-cache-age", "1d", dir)
	if srv.total() == hits {
		t.Errorf("an answer older than --max-cache-age was reused")
	}
	if _, _, code := run(t, context.Background(), "", "links", "-q", "--max-cache-age", "2h", dir); code != ExitUsage {
		t.Errorf("--max-cache-age without --cache: exit %d, want 2", code)
	}
}

// A broken web link's line gives its status as `fanout check` words one it
// leaves out (blocked (HTTP 403)): a 404 and a 410 are told apart, on a
// page as in a file, PAGE:LINE: as FILE:LINE: (issue 24.13; lychee's
// test_failure_404_link, whose report is "[404] URL"). A file link has no
// status to give.
func TestLinksStatusInText(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		switch r.URL.Path {
		case "/page":
			io.WriteString(w, "<p>\n<a href=\"/gone\">g</a> <a href=\"/missing\">m</a> <a href=\"/private\">p</a></p>")
		case "/gone":
			w.WriteHeader(http.StatusGone)
		case "/private":
			w.WriteHeader(http.StatusForbidden)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	out, errOut, code := run(t, context.Background(), "", "links", "--no-progress", srv.URL+"/page")
	got := strings.Split(strings.TrimSpace(out), "\n")
	slices.Sort(got)
	want := []string{
		srv.URL + "/page:2: " + srv.URL + "/gone - does not exist (HTTP 410)",
		srv.URL + "/page:2: " + srv.URL + "/missing - does not exist (HTTP 404)",
		srv.URL + "/page:2: " + srv.URL + "/private - blocked (HTTP 403)",
	}
	if code != ExitSome || !slices.Equal(got, want) {
		t.Errorf("exit %d\n%s\nwant\n%s\n%s", code, out, strings.Join(want, "\n"), errOut)
	}
}

// Outside a git tree, root-relative links start at the built site around
// the file: the nearest folder holding index.html and those above it that
// hold one too (a section's own index.html is not the site's root), and
// the summary names it (issue 24.11; lychee#1265: lychee leaves them
// unchecked without --root-dir).
func TestLinksRootGuessedFromSite(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeTree(t, dir, "", map[string]string{
		"site/index.html": "home", "site/docs/index.html": "docs", "site/docs/intro.html": "intro",
		"site/docs/api/page.html": `<a href="/docs/intro.html">1</a> <a href="/missing.html">2</a> <a href="../index.html">3</a>`,
	})
	site := filepath.Join(dir, "site")
	out, errOut, code := run(t, context.Background(), "", "links", "--no-progress", filepath.Join(site, "docs/api"))
	want := filepath.Join(site, "docs/api/page.html") + ":1: /missing.html - does not exist"
	if code != ExitSome || strings.TrimSpace(out) != want ||
		!strings.Contains(errOut, "2 root-relative links resolved from "+site+", the site's top folder holding index.html (--root-dir to choose another)\n") {
		t.Errorf("exit %d, want 1 and %q\n%s%s", code, want, out, errOut)
	}
}

// With no root to be found (no --root-dir, no git top level, no
// index.html above), each unresolved root-relative path is reported once,
// not at every use (issue 24.11: 803 identical errors on
// kubernetes/community); the summary counts the uses and names the fix,
// as lychee's hint does since lychee#2197 (lychee#2195). -v lists every
// use; the run fails either way.
func TestLinksUnresolvedOncePerPath(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	page := "[g](/guide.md) [g again](/guide.md#intro) [o](/other.md)\n"
	writeTree(t, dir, "", map[string]string{"notes/a.md": page, "notes/b.md": page, "notes/c.md": page})
	out, errOut, code := run(t, context.Background(), "", "links", "--no-progress", "-w", "1", filepath.Join(dir, "notes"))
	got := strings.Split(strings.TrimSpace(out), "\n")
	if code != ExitSome || len(got) != 2 || !strings.HasSuffix(got[0], " /guide.md - unresolved: pass --root-dir, the site's root on disk") ||
		!strings.HasSuffix(got[1], " /other.md - unresolved: pass --root-dir, the site's root on disk") ||
		!strings.Contains(errOut, "9 links in 3 documents: 9 broken, 0 ok") ||
		!strings.Contains(errOut, "9 root-relative links unresolved, 2 distinct paths, each shown once: no git top level nor index.html above; pass --root-dir") {
		t.Errorf("exit %d, want 1 and 2 lines\n%s%s", code, out, errOut)
	}
	out, _, _ = run(t, context.Background(), "", "links", "--no-progress", "-v", filepath.Join(dir, "notes"))
	if n := strings.Count(out, "unresolved"); n != 9 {
		t.Errorf("-v: %d uses listed, want 9\n%s", n, out)
	}
}

// --base-url says where the files are served: a root-relative link in a
// file resolves against it as a browser there would (/ok drops the base's
// path) and is checked on the web, whatever --root-dir says, from stdin
// too (lychee's test_base_url_applies_to_local,
// test_root_relative_with_remote_base_url_and_root_dir). A relative link
// stays on disk, beside its file, where lychee takes it to the base too.
func TestLinksBaseURL(t *testing.T) {
	t.Parallel()
	srv := newHitServer(t, map[string]string{"/ok": "ok", "/docs/": "docs"})
	dir := t.TempDir()
	writeTree(t, dir, "", map[string]string{
		"site/index.html":      "home",
		"site/docs/guide.html": `<a href="/ok">1</a> <a href="/gone#x">2</a> <a href="intro.html">3</a> <a href="missing.html">4</a>`,
		"site/docs/intro.html": "intro",
	})
	guide := filepath.Join(dir, "site/docs/guide.html")
	for _, root := range []string{"", filepath.Join(dir, "site")} {
		args := []string{"links", "--no-progress", "--base-url", srv.URL + "/docs/"}
		if root != "" {
			args = append(args, "--root-dir", root)
		}
		out, errOut, code := run(t, context.Background(), "", append(args, filepath.Join(dir, "site/docs"))...)
		got := strings.Split(strings.TrimSpace(out), "\n")
		slices.Sort(got)
		want := []string{guide + ":1: " + srv.URL + "/gone#x - does not exist (HTTP 404)", guide + ":1: missing.html - does not exist"}
		if code != ExitSome || !slices.Equal(got, want) || strings.Contains(errOut, "root-relative links resolved") ||
			!strings.Contains(errOut, "4 links in 2 documents: 2 broken, 2 ok; 4 distinct targets checked (2 web, 2 files)") {
			t.Errorf("--root-dir %q: exit %d\n%s\nwant\n%s\n%s", root, code, out, strings.Join(want, "\n"), errOut)
		}
	}
	if srv.count("/ok") != 2 {
		t.Errorf("/ok asked %d times, want once a run", srv.count("/ok"))
	}
	out, errOut, code := run(t, context.Background(), "[a](/ok)\n", "links", "--no-progress", "-v", "--base-url", srv.URL+"/docs/", "-")
	if code != ExitOK || !strings.Contains(out, srv.URL+"/ok - exists") {
		t.Errorf("stdin: exit %d\n%s%s", code, out, errOut)
	}
	for _, bad := range []string{"/srv/site", "docs/", "ftp://example.com/", "https://"} {
		if _, _, code := run(t, context.Background(), "", "links", "--base-url", bad, dir); code != ExitUsage {
			t.Errorf("--base-url %q: exit %d, want 2", bad, code)
		}
	}
}
