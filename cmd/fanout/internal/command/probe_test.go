package command

import (
	"context"
	"encoding/csv"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/fanout-dev/fanout/cmd/fanout/internal/demosite"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/demosite/sitetest"
)

func TestProbeText(t *testing.T) {
	t.Parallel()
	site := sitetest.Start(t, demosite.Options{})
	u := site.URL()
	out, stderr, code := run(t, context.Background(), "", "probe", site.WikiURL("Ocean"), u+"/redirect/2", u+"/notitle", u+"/charset/koi8-r?via=meta")
	if code != ExitOK {
		t.Fatalf("exit %d, want 0\n%s%s", code, out, stderr)
	}
	lines := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		in, rest, _ := strings.Cut(l, " ")
		lines[in] = rest
	}
	want := map[string]*regexp.Regexp{
		site.WikiURL("Ocean"):          regexp.MustCompile(`^\[200\] \[Ocean - Wikipedia\] \[text/html\] \[\d+ B\] \[[\d.]+ms\]$`),
		u + "/redirect/2":              regexp.MustCompile(`^\[200\] \[Redirected - Wikipedia\] \[text/html\] \[\d+ B\] \[[\d.]+ms\] \[-> ` + regexp.QuoteMeta(site.WikiURL("Redirected")) + `\]$`),
		u + "/notitle":                 regexp.MustCompile(`^\[200\] \[-\] \[text/html\] \[\d+ B\] \[[\d.]+ms\]$`),
		u + "/charset/koi8-r?via=meta": regexp.MustCompile(`^\[200\] \[Москва\] \[text/html\] `),
	}
	for in, re := range want {
		if !re.MatchString(lines[in]) {
			t.Errorf("%s: line %q, want %s", in, lines[in], re)
		}
	}
	if len(lines) != len(want) {
		t.Errorf("%d lines: %s", len(lines), out)
	}
	if !strings.Contains(stderr, "4 probed: 4 2xx") {
		t.Errorf("summary %q", stderr)
	}
}

func TestProbeJSONAndExitStatus(t *testing.T) {
	t.Parallel()
	site := sitetest.Start(t, demosite.Options{})
	u := site.URL()
	stdin := site.WikiURL("A") + "\n" + u + "/status/404\nnot a url\nhttp://127.0.0.1:1/\n" + u + "/gzip?bomb=1\n"
	out, _, code := run(t, context.Background(), stdin, "probe", "--json", "--ordered", "--max-body", "64KiB", "-q")
	if code != ExitSome {
		t.Fatalf("exit %d, want 1", code)
	}
	recs := jsonLines[map[string]any](t, out)
	if len(recs) != 5 {
		t.Fatalf("%d records: %s", len(recs), out)
	}
	if r := recs[0]; r["input"] != site.WikiURL("A") || r["line"] != 1.0 || r["status"] != 200.0 || r["title"] != "A - Wikipedia" ||
		!strings.HasPrefix(r["content_type"].(string), "text/html") || r["content_length"].(float64) <= 0 || r["final_url"] != site.WikiURL("A") {
		t.Errorf("record 0: %v", r)
	}
	if _, ok := recs[0]["elapsed_ms"]; !ok {
		t.Errorf("no elapsed_ms: %v", recs[0])
	}
	if r := recs[1]; r["status"] != 404.0 || r["line"] != 2.0 {
		t.Errorf("record 1: %v", r)
	}
	if r := recs[2]; !strings.HasPrefix(r["error"].(string), "malformed URL") || r["status"] != nil {
		t.Errorf("record 2: %v", r)
	}
	if r := recs[3]; r["error"] != "connection refused" {
		t.Errorf("record 3: %v", r)
	}
	if r := recs[4]; r["status"] != 200.0 || r["title"] != "" || r["content_length"] != 65536.0 {
		t.Errorf("record 4 (gzip bomb): %v", r)
	}

	// All 2xx: 0.
	if _, _, code := run(t, context.Background(), "", "probe", "-q", site.WikiURL("A"), u+"/gzip"); code != ExitOK {
		t.Errorf("exit %d, want 0", code)
	}
	// A redirect not followed is a 3xx: 1.
	if _, _, code := run(t, context.Background(), "", "probe", "-q", "--max-redirects", "0", u+"/redirect/1"); code != ExitSome {
		t.Errorf("exit %d, want 1", code)
	}
}

func TestProbeOrderedCSV(t *testing.T) {
	t.Parallel()
	site := sitetest.Start(t, demosite.Options{})
	var list []string
	for i := range 20 {
		// Later pages answer sooner, so input order must come from --ordered.
		list = append(list, site.WikiURL("P"+strconv.Itoa(i))+"?latency="+strconv.Itoa(20-i)+"ms")
	}
	out, _, code := run(t, context.Background(), strings.Join(list, "\n"), "probe", "--ordered", "--csv")
	if code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	header := "input line status title content_type content_length elapsed_ms final_url error location"
	if len(rows) != 21 || strings.Join(rows[0], " ") != header {
		t.Fatalf("%d rows, header %v", len(rows), rows[0])
	}
	for i, row := range rows[1:] {
		if row[0] != list[i] || row[1] != strconv.Itoa(i+1) || row[2] != "200" || row[3] != "P"+strconv.Itoa(i)+" - Wikipedia" || row[7] != list[i] || row[8] != "" {
			t.Fatalf("row %d = %v", i, row)
		}
	}
}

func TestProbeUsageAndInterrupt(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"probe", "--json", "--csv", "http://x"},
		{"probe", "--max-body", "0", "http://x"},
		{"probe", "--max-body", "lots", "http://x"},
		{"probe", "--retries", "-1", "http://x"},
		{"probe", "-w", "0", "http://x"},
	} {
		if _, stderr, code := run(t, context.Background(), "", args...); code != ExitUsage || stderr == "" {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
		}
	}
	site := sitetest.Start(t, demosite.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancelOnceServed(t, cancel, site, "/wiki/fast", "/hang")
	out, stderr, code := run(t, ctx, site.WikiURL("fast")+"\n"+site.URL()+"/hang\n"+site.URL()+"/hang\n", "probe")
	if code != ExitInterrupted {
		t.Fatalf("exit %d, want 130", code)
	}
	if !strings.HasPrefix(out, site.WikiURL("fast")+" [200] [fast - Wikipedia]") || strings.Count(out, "\n") != 1 {
		t.Fatalf("output %q", out)
	}
	if !strings.Contains(stderr, "probed") {
		t.Fatalf("no summary: %q", stderr)
	}
}

// Every non-UTF-8 title the simulated site serves, declared in the header
// or in a <meta>, comes out of the binary decoded. httpx users filed these:
// #178 (GBK and GB2312 titles printed as ??????), #2201 (Big5 titles
// garbled), #1546 (gb2312 declared in a meta http-equiv, not decoded).
func TestProbeTitleCharsetsEndToEnd(t *testing.T) {
	t.Parallel()
	site := sitetest.Start(t, demosite.Options{})
	var args []string
	want := map[string]string{}
	for _, cs := range demosite.Charsets() {
		for _, via := range []string{"header", "meta"} {
			u := site.URL() + "/charset/" + cs.Name + "?via=" + via
			args = append(args, u)
			want[u] = cs.Title
		}
	}
	out, _, code := run(t, context.Background(), "", append([]string{"probe", "-q", "--json"}, args...)...)
	if code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	got := map[string]string{}
	for _, r := range jsonLines[struct{ Input, Title string }](t, out) {
		got[r.Input] = r.Title
	}
	for u, title := range want {
		if !strings.Contains(got[u], title) {
			t.Errorf("%s: title %q, want %q", u, got[u], title)
		}
	}
}
