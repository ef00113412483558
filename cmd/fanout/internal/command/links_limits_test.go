package command

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// A FIFO named on the command line is opened without waiting for a writer
// (open(2) on it blocks until one comes: links hung there, issue 26.6);
// with no writer it is an empty document. A pipe with a writer, as
// process substitution gives (links <(cmd)), is read: here the test's own
// pipe, named through /proc so that a child process can open it too.
func TestLinksFIFOIsNotWaitedFor(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fifo := filepath.Join(dir, "doc.md")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := run(t, context.Background(), "", "links", "--no-progress", "-v", fifo)
	if code != ExitOK || out != "" || !strings.Contains(errOut, "0 links in 1 document") {
		t.Errorf("FIFO with no writer: exit %d\n%s%s", code, out, errOut)
	}

	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	srv := newHitServer(t, map[string]string{"/ok": "ok"})
	fmt.Fprintf(w, "%s/ok %s/gone\n", srv.URL, srv.URL) // no extension: plain text, bare URLs
	w.Close()
	piped := fmt.Sprintf("/proc/%d/fd/%d", os.Getpid(), r.Fd())
	out, errOut, code = run(t, context.Background(), "", "links", "--no-progress", piped)
	if code != ExitSome || !strings.Contains(out, ":1: "+srv.URL+"/gone - does not exist") || !strings.Contains(errOut, "2 links in 1 document: 1 broken, 1 ok") {
		t.Errorf("pipe: exit %d\n%s%s", code, out, errOut)
	}
}

// A device named on the command line is read up to --max-page-size, then
// given up as unreadable: links /dev/zero grew to 790 MB (issue 26.6).
func TestLinksDeviceIsReadWithACap(t *testing.T) {
	t.Parallel()
	out, errOut, code := run(t, context.Background(), "", "links", "--no-progress", "--max-page-size", "1MiB", "/dev/zero")
	want := "/dev/zero: error: not a regular file, and larger than --max-page-size"
	if code != ExitSome || strings.TrimSpace(out) != want || !strings.Contains(errOut, "1 document unreadable") {
		t.Errorf("exit %d, want 1 and %q\n%s%s", code, want, out, errOut)
	}
}

// endlessSite serves pages that never run out: /wide/N links to 1,000 new
// pages, /chain/N to the next one. It counts the requests per path.
func endlessSite(t *testing.T) *hitServer {
	t.Helper()
	s := &hitServer{hits: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.hits[r.URL.Path]++
		s.mu.Unlock()
		w.Header().Set("Content-Type", "text/html")
		var b strings.Builder
		if n, ok := strings.CutPrefix(r.URL.Path, "/chain/"); ok {
			i, _ := strconv.Atoi(n)
			fmt.Fprintf(&b, `<a href="/chain/%d">next</a>`, i+1)
		} else {
			for i := range 1000 {
				fmt.Fprintf(&b, `<a href="%s-%d">p</a>`+"\n", r.URL.Path, i)
			}
		}
		io.WriteString(w, b.String())
	}))
	t.Cleanup(s.Close)
	return s
}

// A crawl of an endless site stops at --max-pages: the links to further
// pages are neither followed nor checked nor kept, so the run's work and
// memory (one entry per distinct target) are bounded by the pages, and the
// summary says the limit was reached (1,000 new links a page reached
// 707 MB in 25 s, issue 26.4). The default is 10,000 pages.
func TestLinksCrawlStopsAtMaxPages(t *testing.T) {
	t.Parallel()
	site := endlessSite(t)
	out, errOut, code := run(t, context.Background(), "", "links", "--crawl", "--no-progress", "--max-pages", "30", site.URL+"/wide/")
	if code != ExitOK || out != "" {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if n := site.total(); n != 30 {
		t.Errorf("%d requests, want 30: one GET per page followed, nothing else", n)
	}
	for _, want := range []string{" in 30 pages: ", "; 30 distinct targets checked (30 web, 0 files)",
		"crawl limit reached: --max-pages 30; 29971 links to further pages not checked\n"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("summary lacks %q:\n%s", want, errOut)
		}
	}
}

// An endless chain of pages stops at the default --depth, 10 (wget -r's
// is 5): the page one link beyond is checked, not followed, and the
// summary says so (a chain gave 8,438 pages in 8 s, issue 26.4).
func TestLinksCrawlStopsAtDefaultDepth(t *testing.T) {
	t.Parallel()
	site := endlessSite(t)
	out, errOut, code := run(t, context.Background(), "", "links", "--crawl", "--no-progress", site.URL+"/chain/0")
	if code != ExitOK || out != "" {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if site.count("/chain/10") != 1 || site.count("/chain/11") != 1 || site.count("/chain/12") != 0 {
		t.Errorf("requests: /chain/10 %d, /chain/11 %d, /chain/12 %d; want 1, 1 (checked), 0", site.count("/chain/10"), site.count("/chain/11"), site.count("/chain/12"))
	}
	if !strings.Contains(errOut, " in 11 pages: ") || !strings.Contains(errOut, "crawl limit reached: --depth 10; 1 page beyond it checked, not followed\n") {
		t.Errorf("summary:\n%s", errOut)
	}
	// -1 lifts the bound, which --max-pages then keeps.
	out, errOut, code = run(t, context.Background(), "", "links", "--crawl", "--no-progress", "--depth", "-1", "--max-pages", "25", site.URL+"/chain/0")
	if code != ExitOK || !strings.Contains(errOut, " in 25 pages: ") || !strings.Contains(errOut, "--max-pages 25; 1 link to further pages") {
		t.Errorf("--depth -1: exit %d\n%s%s", code, out, errOut)
	}
}

// Links to one host are checked at most 6 at once unless --per-host says
// otherwise, as browsers do: a crawl of Python's http.server at the
// default 64 took 2.6-11.3 s, 0.12 s at --per-host 4 (issue 24.15). lychee
// sent everything at once to one host too, and got 429s (lychee#1605); its
// per-host concurrency came in lychee#1929 (--default-host-concurrency).
func TestLinksPerHostDefault(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var now, most int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		now++
		most = max(most, now)
		mu.Unlock()
		time.Sleep(20 * time.Millisecond) // long enough for the others to arrive, if they may
		mu.Lock()
		now--
		mu.Unlock()
	}))
	defer srv.Close()
	var b strings.Builder
	for i := range 60 {
		fmt.Fprintf(&b, "%s/%d\n", srv.URL, i)
	}
	dir := t.TempDir()
	writeTree(t, dir, "", map[string]string{"a.txt": b.String()})
	for _, c := range []struct {
		args []string
		want func(int) bool
	}{
		{nil, func(n int) bool { return n > 1 && n <= 6 }},
		{[]string{"--per-host", "0"}, func(n int) bool { return n > 6 }}, // 0 asked for: no limit
	} {
		mu.Lock()
		most = 0
		mu.Unlock()
		args := append([]string{"links", "-q", "-w", "32", dir}, c.args...)
		if out, errOut, code := run(t, context.Background(), "", args...); code != ExitOK {
			t.Fatalf("%v: exit %d\n%s%s", args, code, out, errOut)
		}
		mu.Lock()
		if !c.want(most) {
			t.Errorf("%v: %d requests at once", c.args, most)
		}
		mu.Unlock()
	}
}

// --robots keeps a crawl off the pages robots.txt disallows to every robot
// (checked, not followed), and --sitemap adds the pages /sitemap.xml lists,
// linked from nowhere else (muffet#32 asked for both; muffet#316: its
// sitemap was an allowlist, where users expected the orphan page checked;
// issue 24's CI list).
func TestLinksCrawlRobotsAndSitemap(t *testing.T) {
	t.Parallel()
	pages := map[string]string{
		"/":             `<a href="/private/page">p</a>`,
		"/private/page": `<a href="/private-broken">x</a>`,
		"/orphan":       `<a href="/orphan-broken">y</a>`,
		"/robots.txt":   "User-agent: googlebot\nDisallow: /\n\nUser-agent: *\nDisallow: /private # not crawled\n",
		"/sitemap.xml":  `<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>$BASE/orphan</loc></url></urlset>`,
	}
	site := newHitServer(t, pages)
	out, errOut, code := run(t, context.Background(), "", "links", "--crawl", "--no-progress", "--robots", "--sitemap", site.URL+"/")
	if code != ExitSome || strings.TrimSpace(out) != site.URL+"/orphan:1: "+site.URL+"/orphan-broken - does not exist (HTTP 404)" ||
		!strings.Contains(errOut, "robots.txt: 1 page checked, not followed\n") || site.count("/private-broken") != 0 {
		t.Errorf("--robots --sitemap: exit %d\n%s%s", code, out, errOut)
	}
	plain := newHitServer(t, pages)
	out, _, _ = run(t, context.Background(), "", "links", "--crawl", "-q", plain.URL+"/")
	if !strings.Contains(out, "/private-broken") || plain.count("/orphan") != 0 || plain.count("/robots.txt")+plain.count("/sitemap.xml") != 0 {
		t.Errorf("without the flags, robots.txt and the sitemap are not read:\n%s", out)
	}
	if _, _, code := run(t, context.Background(), "", "links", "--sitemap", plain.URL+"/"); code != ExitUsage {
		t.Errorf("--sitemap without --crawl: exit %d, want 2", code)
	}
}
