package command

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/fanout-dev/fanout/cmd/fanout/internal/proctest"
)

// hitServer is a loopback site whose pages are given by path, and which
// counts the requests each path gets.
type hitServer struct {
	*httptest.Server
	mu    sync.Mutex
	hits  map[string]int
	pages map[string]string // path -> HTML; any other path is a 404
}

func newHitServer(t *testing.T, pages map[string]string) *hitServer {
	t.Helper()
	s := &hitServer{hits: map[string]int{}, pages: maps.Clone(pages)}
	if s.pages == nil {
		s.pages = map[string]string{}
	}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.hits[r.URL.Path]++
		page, ok := s.pages[r.URL.Path]
		s.mu.Unlock()
		if to, moved := strings.CutPrefix(page, "REDIRECT "); moved {
			http.Redirect(w, r, to, http.StatusFound)
			return
		}
		if !ok && r.URL.Path == "/hang" {
			<-r.Context().Done()
			return
		}
		if !ok {
			http.NotFound(w, r)
			return
		}
		ctype := "text/html; charset=utf-8"
		if strings.HasSuffix(r.URL.Path, ".png") {
			ctype = "image/png"
		}
		w.Header().Set("Content-Type", ctype)
		fmt.Fprint(w, strings.ReplaceAll(page, "$BASE", "http://"+r.Host))
	}))
	t.Cleanup(s.Close)
	return s
}

// snapshot is a copy of the pages served.
func (s *hitServer) snapshot() map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.pages)
}

// set serves page at path from now on.
func (s *hitServer) set(path, page string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pages[path] = page
}

func (s *hitServer) count(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

func (s *hitServer) total() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, h := range s.hits {
		n += h
	}
	return n
}

// writeTree writes files (path -> content) under dir, with $BASE replaced.
func writeTree(t *testing.T, dir, base string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(strings.ReplaceAll(content, "$BASE", base)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

type linkJSON struct {
	Source string `json:"source"`
	Line   int    `json:"line"`
	Col    int    `json:"col"`
	URL    string `json:"url"`
	Target string `json:"target"`
	Result string `json:"result"`
	Status int    `json:"status"`
	Error  string `json:"error"`
}

// Every link form of Markdown and HTML, relative links on disk, code left
// out, each broken use reported where it is, with the exit status 1.
func TestLinksTreeEveryForm(t *testing.T) {
	t.Parallel()
	srv := newHitServer(t, map[string]string{"/ok": "<p>ok</p>", "/img.png": "x", "/base/rel": "x"})
	dir := t.TempDir()
	writeTree(t, dir, srv.URL, map[string]string{
		"docs/a.md": "# Title\n\n" +
			"[inline]($BASE/ok) ![image]($BASE/img.png) <$BASE/auto-missing>\n" + // line 3
			"bare $BASE/bare-missing in text\n" + // 4
			"[ref]\n\n" + // 5: a reference is reported where it is used
			"[ref]: $BASE/ref-missing\n\n" + // 7
			"`$BASE/in-code-span`\n\n" + // 9: code, not checked (lychee#521)
			"```\n$BASE/in-code-block\n```\n\n" + // 11-13
			"[here](b.md) [gone](nothere.md) [dir](../docs/) [up](../README.txt)\n" + // 15
			"[mail](mailto:a@b.c) [phone](tel:+1234)\n", // 16
		"docs/b.md":        "see [a](a.md#title)\n",
		"README.txt":       "plain text with $BASE/txt-missing\n",
		"site/index.html":  "<html><head><base href=\"$BASE/base/\"></head>\n<body><a href=\"rel\">r</a>\n<img src=\"gone.png\"></body></html>\n",
		"docs/ignored.rst": "$BASE/not-read\n", // not a document extension: a walk leaves it
	})
	out, errOut, code := run(t, context.Background(), "", "links", "--no-progress", dir)
	if code != ExitSome {
		t.Fatalf("exit %d, want 1\n%s%s", code, out, errOut)
	}
	a, readme, html := filepath.Join(dir, "docs/a.md"), filepath.Join(dir, "README.txt"), filepath.Join(dir, "site/index.html")
	want := []string{
		a + ":3: " + srv.URL + "/auto-missing - does not exist (HTTP 404)",
		a + ":4: " + srv.URL + "/bare-missing - does not exist (HTTP 404)",
		a + ":5: " + srv.URL + "/ref-missing - does not exist (HTTP 404)",
		a + ":15: nothere.md - does not exist",
		readme + ":1: " + srv.URL + "/txt-missing - does not exist (HTTP 404)",
		html + ":3: " + srv.URL + "/base/gone.png - does not exist (HTTP 404)", // <base href> honoured
	}
	slices.Sort(want)
	if got := sortedLines(out); !slices.Equal(got, want) {
		t.Errorf("broken links:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, p := range []string{"/in-code-span", "/in-code-block", "/not-read"} {
		if n := srv.count(p); n != 0 {
			t.Errorf("%s requested %d times, want never", p, n)
		}
	}
	// 3+1+1 web links in a.md's text, 4 file links, 2 skipped, 1 in b.md,
	// 1 in README.txt, 2 in index.html: 15.
	if !strings.Contains(errOut, "15 links in 4 documents: 6 broken, 7 ok, 2 skipped (1 mailto, 1 tel)") {
		t.Errorf("summary: %s", errOut)
	}

	// -v --json: every link, with its place and what was checked.
	out, _, _ = run(t, context.Background(), "", "links", "-q", "-v", "--json", dir)
	recs := jsonLines[linkJSON](t, out)
	if len(recs) != 15 {
		t.Fatalf("-v --json: %d records, want 15:\n%s", len(recs), out)
	}
	for _, r := range recs {
		col := len("[inline]("+srv.URL+"/ok) ") + 1
		if r.URL == srv.URL+"/img.png" && (r.Source != a || r.Line != 3 || r.Col != col || r.Result != "exists" || r.Status != 200) {
			t.Errorf("image record: %+v", r)
		}
		if r.URL == "b.md" && r.Target != filepath.Join(dir, "docs/b.md") {
			t.Errorf("relative link's target: %+v", r)
		}
	}
}

// 40 documents naming the same targets 3 times each make one request per
// distinct target (lychee's test_no_duplicate_requests; muffet#38), and
// every use is still reported where it is.
func TestLinksOneRequestPerDistinctTarget(t *testing.T) {
	t.Parallel()
	srv := newHitServer(t, map[string]string{"/shared": "ok"})
	dir := t.TempDir()
	files := map[string]string{}
	for i := range 40 {
		files[fmt.Sprintf("d%02d.md", i)] = "[s]($BASE/shared) [s again]($BASE/shared#x) [m]($BASE/missing)\n" +
			"<$BASE/shared>\n"
	}
	writeTree(t, dir, srv.URL, files)
	out, errOut, code := run(t, context.Background(), "", "links", "--no-progress", dir)
	if code != ExitSome {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	if n := strings.Count(out, " - does not exist (HTTP 404)\n"); n != 40 {
		t.Errorf("%d broken uses reported, want 40", n)
	}
	if n := srv.count("/shared"); n != 1 {
		t.Errorf("/shared requested %d times for 120 uses, want 1", n)
	}
	// One GET (check's rule, issue 27), once for all 40 uses.
	if n := srv.count("/missing"); n != 1 {
		t.Errorf("/missing requested %d times for 40 uses, want 1", n)
	}
	if !strings.Contains(errOut, "160 links in 40 documents: 40 broken, 120 ok; 2 distinct targets checked (2 web, 0 files)") {
		t.Errorf("summary: %s", errOut)
	}
}

// A crawl follows the pages of the start URL's host, each fetched once
// however many pages link to it, finds a broken link two pages deep, and
// checks a link to a second host without following it (muffet's job;
// muffet#379). --depth stops the following.
func TestLinksCrawl(t *testing.T) {
	t.Parallel()
	other := newHitServer(t, map[string]string{"/elsewhere": `<a href="/never-crawled">x</a>`})
	site := newHitServer(t, map[string]string{
		"/":         `<a href="/a">a</a> <a href="/b">b</a> <a href="` + other.URL + `/elsewhere">other host</a> <a href="mailto:x@y.z">m</a>`,
		"/a":        `<a href="/b">b</a> <a href="/">home</a> <img src="/logo.png">`,
		"/b":        `<a href="/deep">deep</a> <a href="/a#sec">a</a>`,
		"/deep":     `<p id="x">bottom</p> <a href="/broken">broken, three links down</a> <a href="#x">self</a> <a href="/away">moved</a>`,
		"/logo.png": "png",
	})
	// A page that redirects to the second host is checked there, and
	// that host's page is not read: the crawl stays on its host.
	site.set("/away", "REDIRECT "+other.URL+"/elsewhere")
	out, errOut, code := run(t, context.Background(), "", "links", "--crawl", "--no-progress", site.URL+"/")
	if code != ExitSome {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	// PAGE:LINE:, as for a file (issue 24.13).
	want := site.URL + "/deep:1: " + site.URL + "/broken - does not exist (HTTP 404)"
	if strings.TrimSpace(out) != want {
		t.Errorf("crawl output:\n%s\nwant:\n%s", out, want)
	}
	for _, p := range []string{"/", "/a", "/b", "/deep"} {
		if n := site.count(p); n != 1 {
			t.Errorf("page %s fetched %d times, want once", p, n)
		}
	}
	if n := other.count("/elsewhere"); n != 2 {
		t.Errorf("second host's page requested %d times, want 2 (checked, and reached by /away)", n)
	}
	if n := other.count("/never-crawled"); n != 0 {
		t.Errorf("second host crawled: /never-crawled requested %d times", n)
	}
	if !strings.Contains(errOut, "in 4 pages: 1 broken") || !strings.Contains(errOut, "1 skipped (1 mailto)") {
		t.Errorf("summary: %s", errOut)
	}

	// One worker: a page's links wait for the page, never the reverse.
	siteW := newHitServer(t, site.snapshot())
	if out, _, code := run(t, context.Background(), "", "links", "--crawl", "-q", "-w", "1", siteW.URL+"/"); code != ExitSome || !strings.Contains(out, "/broken") {
		t.Errorf("-w 1: exit %d\n%s", code, out)
	}

	// --depth 1: / and the pages it links to are read; /deep, two links
	// away, is checked but not read, so /broken is never seen.
	site2 := newHitServer(t, site.snapshot())
	out, errOut, code = run(t, context.Background(), "", "links", "--crawl", "--depth", "1", "-q", site2.URL+"/")
	if code != ExitOK || out != "" {
		t.Errorf("--depth 1: exit %d, output %q, %s", code, out, errOut)
	}
	if site2.count("/deep") != 1 || site2.count("/broken") != 0 {
		t.Errorf("--depth 1: /deep %d requests, /broken %d; want 1 and 0", site2.count("/deep"), site2.count("/broken"))
	}

	// Without --crawl, only the start page's links are checked.
	site3 := newHitServer(t, site.snapshot())
	run(t, context.Background(), "", "links", "-q", site3.URL+"/")
	if n := site3.count("/deep"); n != 0 {
		t.Errorf("without --crawl: /deep requested %d times", n)
	}
}

// --include-fragments checks #anchors: ids in HTML pages, GitHub's
// heading slugs in Markdown files (lychee's fragment checker). A page is
// fetched once even when checked without and then with a fragment.
func TestLinksFragments(t *testing.T) {
	t.Parallel()
	srv := newHitServer(t, map[string]string{"/page": `<h2 id="usage">Usage</h2><a name="old">x</a>`})
	dir := t.TempDir()
	writeTree(t, dir, srv.URL, map[string]string{
		"a.md": "## Getting Started\n\n" +
			"[1](#getting-started) [2](#nope) [3](b.md#install) [4](b.md#missing)\n" +
			"[5]($BASE/page#usage) [6]($BASE/page#old) [7]($BASE/page#gone) [8]($BASE/page#:~:text=Usage)\n" +
			"[9]($BASE/page#/route) [10]($BASE/page#!/route)\n", // hash routes: a script's, not anchors
		"b.md": "# Install\n",
	})
	out, _, code := run(t, context.Background(), "", "links", "-q", "--include-fragments", dir)
	if code != ExitSome {
		t.Fatalf("exit %d\n%s", code, out)
	}
	a := filepath.Join(dir, "a.md")
	want := []string{
		a + ":3: #nope - no anchor #nope",
		a + ":3: b.md#missing - no anchor #missing",
		a + ":4: " + srv.URL + "/page#gone - no anchor #gone",
	}
	if got := sortedLines(out); !slices.Equal(got, want) {
		t.Errorf("fragments:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if n := srv.count("/page"); n != 1 {
		t.Errorf("/page requested %d times, want 1 (a GET for its anchors)", n)
	}
	// Without the flag, fragments are not checked.
	if out, _, code := run(t, context.Background(), "", "links", "-q", dir); code != ExitOK {
		t.Errorf("without --include-fragments: exit %d\n%s", code, out)
	}
}

// --include and --exclude, skipped schemes, and a clean tree exiting 0.
func TestLinksSelection(t *testing.T) {
	t.Parallel()
	srv := newHitServer(t, map[string]string{"/ok": "ok"})
	dir := t.TempDir()
	writeTree(t, dir, srv.URL, map[string]string{
		"a.md": "[1]($BASE/ok) [2]($BASE/private/x) [3]($BASE/private/keep) [4](mailto:a@b.c) [5](ftp://private/f)\n",
	})
	out, errOut, code := run(t, context.Background(), "", "links", "--no-progress", "--exclude", "/private/", "--include", "keep$", "--include", "/ok$", dir)
	if code != ExitSome || !strings.Contains(out, "/private/keep - does not exist") || strings.Contains(out, "/private/x") {
		t.Errorf("exit %d\n%s", code, out)
	}
	if srv.count("/private/x") != 0 {
		t.Errorf("an excluded link was requested")
	}
	// An excluded ftp: link is excluded, not skipped (issue 24.14).
	if !strings.Contains(errOut, "1 skipped (1 mailto), 2 excluded") {
		t.Errorf("summary: %s", errOut)
	}
	out, _, code = run(t, context.Background(), "", "links", "-q", "--exclude", "/private/", dir)
	if code != ExitOK || out != "" {
		t.Errorf("nothing broken: exit %d, %q", code, out)
	}
}

// - reads a Markdown document from stdin; usage errors exit 2 before
// anything is requested.
func TestLinksStdinAndUsage(t *testing.T) {
	t.Parallel()
	srv := newHitServer(t, nil)
	out, _, code := run(t, context.Background(), "see "+srv.URL+"/x and [y]("+srv.URL+"/y)\n", "links", "-q", "-")
	if code != ExitSome || len(sortedLines(out)) != 2 || !strings.HasPrefix(out, "-:1: ") {
		t.Errorf("stdin: exit %d\n%s", code, out)
	}
	for _, args := range [][]string{
		{"links", "--crawl", "."},
		{"links", "--depth", "2", srv.URL},
		{"links", "--exclude", "(", "."},
	} {
		if _, errOut, code := run(t, context.Background(), "", args...); code != ExitUsage {
			t.Errorf("%v: exit %d, want 2\n%s", args, code, errOut)
		}
	}
	// The run flags links does not take are not registered (issue 23: no
	// register-then-hide), and their usage error says why.
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"links", "--compare", "."}, "--compare does not apply to fanout links: its second run"},
		{[]string{"links", "--shard", "1/2", "."}, "--shard does not apply to fanout links: name a part"},
		{[]string{"links", "--scheme", "http", "."}, "--scheme does not apply to fanout links: links are read with their scheme"},
		{[]string{"links", "-i", "list.txt"}, "-i does not apply to fanout links: name the documents as arguments"},
		{[]string{"links", "--input=list.txt"}, "--input does not apply to fanout links"},
	} {
		if _, errOut, code := run(t, context.Background(), "", c.args...); code != ExitUsage || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, want 2 and %q\n%s", c.args, code, c.want, errOut)
		}
	}
	if n := srv.total(); n != 2 {
		t.Errorf("%d requests, want 2 (the stdin document's two 404s, one GET each)", n)
	}
}

// Ctrl-C keeps every finished record, and --resume then checks only the
// links not done: a link to a page that hangs is cut short, the others
// are journalled and not requested again.
func TestLinksInterruptAndResume(t *testing.T) {
	t.Parallel()
	srv := newHitServer(t, map[string]string{"/ok": "ok"})
	dir := t.TempDir()
	writeTree(t, dir, srv.URL, map[string]string{"a.md": "[ok]($BASE/ok) [gone]($BASE/gone) [hang]($BASE/hang)\n"})
	journal := filepath.Join(t.TempDir(), "j.jsonl")
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		defer cancel()
		proctest.Poll(func() bool { // /hang asked for, and the header and the 2 finished links journalled
			data, _ := os.ReadFile(journal)
			return srv.count("/hang") > 0 && strings.Count(string(data), "\n") == 3
		})
	}()
	out, errOut, code := run(t, ctx, "", "links", "--no-progress", "--resume", journal, dir)
	if code != ExitInterrupted || !strings.Contains(out, "/gone - does not exist") || !strings.Contains(errOut, "interrupted: 3 done, 1 cut short") /* the document and 2 links */ {
		t.Fatalf("interrupted run: exit %d\n%s%s", code, out, errOut)
	}
	data, err := os.ReadFile(journal)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(data), "\n") - 1; n != 2 { // after the header
		t.Errorf("journal holds %d records, want the 2 links done (documents are not journalled):\n%s", n, data)
	}
	okHits, goneHits := srv.count("/ok"), srv.count("/gone")
	srv.set("/hang", "now it answers")
	// A new link to a target whose first link is skipped as done: it is
	// checked, not left waiting for the skipped one (which never runs).
	writeTree(t, dir, srv.URL, map[string]string{"a.md": "[ok]($BASE/ok) [gone]($BASE/gone) [hang]($BASE/hang)\n[new]($BASE/ok)\n"})
	out, errOut, code = run(t, context.Background(), "", "links", "--no-progress", "--resume", journal, dir)
	if code != ExitOK || out != "" || !strings.Contains(errOut, "2 skipped: already in") {
		t.Errorf("resumed run: exit %d\n%s%s", code, out, errOut)
	}
	if srv.count("/ok") != okHits+1 || srv.count("/gone") != goneHits {
		t.Errorf("the resumed run made %d requests to /ok and %d to /gone, want %d and %d: only the new link's", srv.count("/ok"), srv.count("/gone"), okHits+1, goneHits)
	}
}

// A slow target linked from many documents holds one worker, not one per
// link: its other links wait aside until it is answered, while the
// workers check the rest (found by bench/links.sh: a 500 ms page linked
// from 20 files each made links 1.6x slower than check at -w 64). Here
// /hold answers only once every other target has been requested; were
// each link to /hold to take a worker, the 4 workers would all wait on it.
func TestLinksSlowTargetHoldsNoWorkers(t *testing.T) {
	t.Parallel()
	const docs = 30
	var mu sync.Mutex
	fast := map[string]bool{}
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/hold" {
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		mu.Lock()
		fast[r.URL.Path] = true
		if len(fast) == docs {
			close(release)
		}
		mu.Unlock()
	}))
	defer srv.Close()
	dir := t.TempDir()
	files := map[string]string{}
	for i := range docs {
		files[fmt.Sprintf("d%02d.md", i)] = fmt.Sprintf("[h]($BASE/hold) [f]($BASE/fast/%d)\n", i)
	}
	writeTree(t, dir, srv.URL, files)
	out, errOut, code := run(t, context.Background(), "", "links", "--no-progress", "-w", "4", "--timeout", "20s", dir)
	if code != ExitOK {
		t.Fatalf("exit %d (the fast targets were not all checked while /hold was pending)\n%s%s", code, out, errOut)
	}
}
