package command

import (
	"bufio"
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fanout-dev/fanout/cmd/fanout/internal/demosite"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/demosite/sitetest"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/download"
)

// The cases peers' users filed, and the flags users of httpx, lychee and
// curl type first (issue 14), end to end through the binary.

// With --method HEAD, a HEAD error is confirmed with a GET, whose answer
// wins (broken-link-checker#145, linkcheck#8, django-linkcheck#224).
func TestCheckConfirmsHeadErrorsWithGet(t *testing.T) {
	t.Parallel()
	site := sitetest.Start(t, demosite.Options{})
	out, _, code := run(t, context.Background(), "", "check", "-q", "--ordered", "--method", "HEAD",
		site.URL()+"/method/A?head=404", site.URL()+"/method/B?head=500")
	if code != ExitOK || strings.Count(out, " - exists\n") != 2 {
		t.Fatalf("exit %d, %q", code, out)
	}
	if p := site.Path("/method/A"); p.Hits != 2 || p.Last.Method != http.MethodGet {
		t.Fatalf("server saw %+v", p)
	}
}

// The tutorials' case (issue 27): 50 pages, one of them missing, each
// answered after 100 ms, checked with one request per URL, as the
// tutorials, lychee, muffet and httpx send one GET; a server whose HEAD
// is wrong is right at the first request too. Before, every failure was
// a HEAD and a GET: two round trips for the URLs that matter most.
func TestCheckOneRequestPerURL(t *testing.T) {
	t.Parallel()
	site := sitetest.Start(t, demosite.Options{Latency: 100 * time.Millisecond})
	var urls []string
	for i := range 49 {
		urls = append(urls, site.WikiURL("Tutorial_"+strconv.Itoa(i)))
	}
	urls = append(urls, site.WikiURL("this_page_does_not_exist"), site.URL()+"/method/HeadIsWrong?head=404")
	out, _, code := run(t, context.Background(), "", append([]string{"check", "-q", "-w", "64"}, urls...)...)
	if code != ExitSome || strings.Count(out, " - exists\n") != 50 || strings.Count(out, " - does not exist\n") != 1 {
		t.Fatalf("exit %d, %q", code, out)
	}
	if n := site.Stats().Requests; n != int64(len(urls)) {
		t.Fatalf("the server saw %d requests for %d URLs", n, len(urls))
	}
}

// Retry-After: 3600 (or an HTTP-date an hour ahead) is not waited: the
// record is rate-limited at once, whatever --retries says.
func TestCheckLongRetryAfterNotWaited(t *testing.T) {
	t.Parallel()
	site := sitetest.Start(t, demosite.Options{})
	date := strings.ReplaceAll(time.Now().Add(time.Hour).UTC().Format(http.TimeFormat), " ", "%20")
	start := time.Now()
	out, _, code := run(t, context.Background(), "", "check", "-q", "--retries", "2", "--timeout", "5",
		site.URL()+"/status/429?retry_after=3600", site.URL()+"/status/429?retry_after="+date)
	if el := time.Since(start); el > 4*time.Second {
		t.Fatalf("took %v", el)
	}
	if code != ExitSome || strings.Count(out, "rate-limited (HTTP 429)") != 2 {
		t.Fatalf("exit %d, %q", code, out)
	}
}

// probe returns at the end of the title, not at the timeout, when a slow
// endless body follows it.
func TestProbeSlowBodyAfterTitle(t *testing.T) {
	t.Parallel()
	site := sitetest.Start(t, demosite.Options{})
	start := time.Now()
	out, _, code := run(t, context.Background(), "", "probe", "-q", "--timeout", "30", site.URL()+"/endless?interval=1s")
	if el := time.Since(start); el > 10*time.Second {
		t.Fatalf("took %v", el)
	}
	if code != ExitOK || !regexp.MustCompile(`\[200\] \[Endless\] \[text/html\] \[>=\d+ B\]`).MatchString(out) {
		t.Fatalf("exit %d, %q", code, out)
	}
}

// probe: only the head's title, only of HTML (an SVG icon's title was
// taken as the page's; so was a "<title>" in a JSON body).
func TestProbeTitleOnlyFromTheHead(t *testing.T) {
	t.Parallel()
	site := sitetest.Start(t, demosite.Options{})
	out, _, _ := run(t, context.Background(), "", "probe", "-q", "--ordered", "--json",
		site.URL()+"/doc/svg-title", site.URL()+"/doc/json", site.URL()+"/doc/xhtml")
	recs := jsonLines[map[string]any](t, out)
	if len(recs) != 3 || recs[0]["title"] != "" || recs[1]["title"] != "" || recs[2]["title"] != "XHTML page" {
		t.Fatalf("%s", out)
	}
}

// -H "Host: name" reaches a virtual host, as with curl -H: check, probe
// and get.
func TestHostHeaderOnEveryCommand(t *testing.T) {
	t.Parallel()
	site := sitetest.Start(t, demosite.Options{})
	u := site.URL() + "/vhost/docs.example"
	if out, _, code := run(t, context.Background(), "", "check", "-q", u); code != ExitSome || !strings.HasSuffix(out, " - does not exist\n") {
		t.Fatalf("without -H: exit %d, %q", code, out)
	}
	out, _, code := run(t, context.Background(), "", "check", "-q", "-H", "Host: docs.example", u)
	if code != ExitOK || out != u+" - exists\n" {
		t.Fatalf("check: exit %d, %q", code, out)
	}
	out, _, code = run(t, context.Background(), "", "probe", "-q", "-H", "Host: docs.example", u)
	if code != ExitOK || !strings.Contains(out, "[200] [docs.example (virtual host)]") {
		t.Fatalf("probe: exit %d, %q", code, out)
	}
	dir := t.TempDir()
	out, _, code = run(t, context.Background(), "", "get", "-q", "--dir", dir, "-H", "Host: docs.example", u)
	if code != ExitOK || !strings.Contains(out, " -> ") {
		t.Fatalf("get: exit %d, %q", code, out)
	}
	if b, err := os.ReadFile(filepath.Join(dir, download.FileName(u))); err != nil || !strings.Contains(string(b), "docs.example (virtual host)") {
		t.Fatalf("saved %q, %v", b, err)
	}
}

// --max-redirects 0: the 3xx and its Location, in the line and the
// record, as httpx shows them (issue 14, item 6).
func TestRedirectsOffShowTheLocation(t *testing.T) {
	t.Parallel()
	site := sitetest.Start(t, demosite.Options{})
	u := site.URL() + "/redirect/1"
	to := site.WikiURL("Redirected")
	out, _, code := run(t, context.Background(), "", "check", "-q", "--max-redirects", "0", u)
	if code != ExitSome || out != u+" - redirect (HTTP 302 -> "+to+")\n" {
		t.Fatalf("check: exit %d, %q", code, out)
	}
	out, _, _ = run(t, context.Background(), "", "check", "-q", "--max-redirects", "0", "--json", u)
	if r := jsonLines[map[string]any](t, out)[0]; r["status"] != 302.0 || r["location"] != to {
		t.Fatalf("check --json: %v", r)
	}
	out, _, code = run(t, context.Background(), "", "probe", "-q", "--max-redirects", "0", u)
	if code != ExitSome || !strings.HasPrefix(out, u+" [302] ") || !strings.HasSuffix(out, " [Location: "+to+"]\n") {
		t.Fatalf("probe: exit %d, %q", code, out)
	}
	out, _, code = run(t, context.Background(), "", "get", "-q", "--max-redirects", "0", "--dir", t.TempDir(), u)
	if code != ExitSome || out != u+" - error: HTTP 302 -> "+to+", not saved\n" {
		t.Fatalf("get: exit %d, %q", code, out)
	}
}

// Bare hosts, as users of httpx type them, are never "malformed URL":
// https first, then http; --scheme fixes one.
func TestBareHosts(t *testing.T) {
	t.Parallel()
	site := sitetest.Start(t, demosite.Options{})
	bare := site.Addr() + "/wiki/Bare"
	out, _, code := run(t, context.Background(), "", "check", "-q", "--json", bare)
	if r := jsonLines[map[string]any](t, out)[0]; code != ExitOK || r["result"] != "exists" || r["url"] != "http://"+bare {
		t.Fatalf("check: exit %d, %v", code, r)
	}
	out, _, code = run(t, context.Background(), "", "probe", "-q", "--scheme", "http", bare)
	if code != ExitOK || !strings.HasPrefix(out, bare+" [200] [Bare - Wikipedia]") {
		t.Fatalf("probe: exit %d, %q", code, out)
	}
	dir := t.TempDir()
	out, _, code = run(t, context.Background(), "", "get", "-q", "--dir", dir, bare)
	if want := filepath.Join(dir, download.FileName("http://"+bare)); code != ExitOK || !strings.Contains(out, " -> "+want+" ") {
		t.Fatalf("get: exit %d, %q, want %s", code, out, want)
	}
	if _, stderr, code := run(t, context.Background(), "", "check", "--scheme", "ftp", bare); code != ExitUsage {
		t.Fatalf("--scheme ftp: exit %d, %q", code, stderr)
	}
}

// --match-code and --filter-code choose the records printed (httpx's -mc
// and -fc, httpx discussion #932); --accept the statuses that pass
// (lychee's --accept, e.g. 200,403,429, and its ranges); --failures
// prints only the records that did not pass, and every record is still
// counted.
func TestStatusFlags(t *testing.T) {
	t.Parallel()
	site := sitetest.Start(t, demosite.Options{})
	u := site.URL()
	urls := []string{u + "/wiki/A", u + "/status/403", u + "/status/429", u + "/wiki/this_page_does_not_exist", "http://127.0.0.1:1/x"}
	printed := func(args ...string) (string, string, int) {
		out, stderr, code := run(t, context.Background(), "", append(append([]string{"check", "--ordered", "--retries", "0"}, args...), urls...)...)
		var ins []string
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			if in, _, ok := strings.Cut(l, " - "); ok {
				ins = append(ins, strings.TrimPrefix(in, u))
			}
		}
		return strings.Join(ins, " "), stderr, code
	}
	for _, c := range []struct {
		args []string
		want string
		code int
	}{
		{[]string{"--match-code", "200,403"}, "/wiki/A /status/403", ExitSome},
		{[]string{"--filter-code", "400..500"}, "/wiki/A http://127.0.0.1:1/x", ExitSome},
		{[]string{"--accept", "200,403,429"}, "/wiki/A /status/403 /status/429 /wiki/this_page_does_not_exist http://127.0.0.1:1/x", ExitSome},
		{[]string{"--failures"}, "/status/403 /status/429 /wiki/this_page_does_not_exist http://127.0.0.1:1/x", ExitSome},
		{[]string{"--failures", "--accept", "200..=499"}, "http://127.0.0.1:1/x", ExitSome},
	} {
		got, stderr, code := printed(c.args...)
		if got != c.want || code != c.code {
			t.Errorf("%v: printed %q (exit %d), want %q (exit %d)", c.args, got, code, c.want, c.code)
		}
		if !strings.Contains(stderr, "5 checked") {
			t.Errorf("%v: summary %q", c.args, stderr)
		}
	}
	// Everything accepted: exit 0.
	if _, _, code := run(t, context.Background(), "", "check", "-q", "--accept", "200,403", u+"/wiki/A", u+"/status/403"); code != ExitOK {
		t.Errorf("--accept 200,403: exit %d", code)
	}
	if _, _, code := run(t, context.Background(), "", "probe", "-q", "--accept", "404", u+"/wiki/this_page_does_not_exist"); code != ExitOK {
		t.Errorf("probe --accept 404: exit %d", code)
	}
	if _, _, code := run(t, context.Background(), "", "check", "--accept", "2000", u); code != ExitUsage {
		t.Errorf("--accept 2000: exit %d", code)
	}
}

// 100 identical lines: one request, 100 records (lychee's
// test_no_duplicate_requests), for check, probe and get.
func TestOneRequestPerDistinctURL(t *testing.T) {
	t.Parallel()
	site := sitetest.Start(t, demosite.Options{})
	for _, cmd := range []string{"check", "probe", "get"} {
		u := site.WikiURL("Dup_" + cmd)
		args := []string{cmd, "-q"}
		if cmd == "get" {
			args = append(args, "--dir", t.TempDir())
		}
		out, _, code := run(t, context.Background(), strings.Repeat(u+"\n", 100), args...)
		if code != ExitOK || strings.Count(out, "\n") != 100 {
			t.Errorf("%s: exit %d, %d records", cmd, code, strings.Count(out, "\n"))
		}
		if n := site.Hits("/wiki/Dup_" + cmd); n != 1 {
			t.Errorf("%s: %d requests for 100 identical lines, want 1", cmd, n)
		}
	}
}

// get reports a file only once it is in place: each path printed exists
// when its line is read, whole (group commit, issue 14, item 11).
func TestGetReportsOnlyFilesInPlace(t *testing.T) {
	t.Parallel()
	site := sitetest.Start(t, demosite.Options{})
	dir := t.TempDir()
	var in strings.Builder
	for i := range 300 {
		in.WriteString(site.WikiURL("Page_"+strconv.Itoa(i)) + "\n")
	}
	cmd := exec.Command(buildFanout(t), "get", "-q", "--dir", dir)
	cmd.Stdin = strings.NewReader(in.String())
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line := regexp.MustCompile(`^(\S+) -> (\S+) \((\d+) bytes, `)
	n := 0
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		m := line.FindStringSubmatch(sc.Text())
		if m == nil {
			t.Fatalf("line %q", sc.Text())
		}
		b, err := os.ReadFile(m[2])
		if err != nil || strconv.Itoa(len(b)) != m[3] || !strings.Contains(string(b), "</html>") {
			t.Fatalf("%s reported, on disk %d bytes, %v", m[2], len(b), err)
		}
		if m[2] != filepath.Join(dir, download.FileName(m[1])) {
			t.Fatalf("%s saved as %s", m[1], m[2])
		}
		n++
	}
	if err := cmd.Wait(); err != nil || n != 300 {
		t.Fatalf("%v, %d records", err, n)
	}
	if files := filesUnder(t, dir); len(files) != 300 {
		t.Fatalf("%d files", len(files))
	}
}

// A get killed outright (SIGKILL) at any moment leaves each file with its
// old content or the new, whole, and at most temporary files, which the
// next run removes.
func TestGetKilledLeavesOldOrNew(t *testing.T) {
	t.Parallel()
	site := sitetest.Start(t, demosite.Options{})
	bin := buildFanout(t)
	dir := t.TempDir()
	var urls []string
	var in strings.Builder
	for i := range 400 {
		u := site.WikiURL("K" + strconv.Itoa(i))
		urls = append(urls, u)
		in.WriteString(u + "\n")
		writeFileAll(t, filepath.Join(dir, download.FileName(u)), "old")
	}
	for _, after := range []time.Duration{20 * time.Millisecond, 60 * time.Millisecond, 150 * time.Millisecond} {
		cmd := exec.Command(bin, "get", "-q", "--dir", dir)
		cmd.Stdin = strings.NewReader(in.String())
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(after)
		cmd.Process.Kill()
		cmd.Wait()
		for _, u := range urls {
			b, err := os.ReadFile(filepath.Join(dir, download.FileName(u)))
			if err != nil || (string(b) != "old" && !strings.HasSuffix(string(b), "</html>\n")) {
				t.Fatalf("after a kill at %v: %s holds %q, %v", after, u, b, err)
			}
		}
	}
	out, stderr, code := run(t, context.Background(), in.String(), "get", "--dir", dir)
	if code != ExitOK || strings.Count(out, "\n") != 400 {
		t.Fatalf("rerun: exit %d: %s", code, stderr)
	}
	for _, f := range filesUnder(t, dir) {
		if strings.HasPrefix(filepath.Base(f), ".fanout-") {
			t.Errorf("temporary file left after the rerun: %s", f)
		}
	}
}

func writeFileAll(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// --no-fsync, as replace has it: the same files, whole.
func TestGetNoFsync(t *testing.T) {
	t.Parallel()
	site := sitetest.Start(t, demosite.Options{})
	dir := t.TempDir()
	out, _, code := run(t, context.Background(), "", "get", "-q", "--no-fsync", "--dir", dir, site.WikiURL("NF"), site.URL()+"/wiki/NF/sub")
	if code != ExitOK || strings.Count(out, " -> ") != 2 || len(filesUnder(t, dir)) != 2 {
		t.Fatalf("exit %d, %q, %v", code, out, filesUnder(t, dir))
	}
}
