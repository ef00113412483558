package download

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/fanout-dev/fanout/internal/demosite"
	"github.com/fanout-dev/fanout/internal/httpcheck"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func startSite(t *testing.T) *demosite.Site {
	t.Helper()
	site, err := demosite.Start(demosite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { site.Close() })
	return site
}

func newDownloader(t *testing.T, timeout time.Duration, maxSize int64) *Downloader {
	t.Helper()
	d := New(httpcheck.Options{Workers: 4, Timeout: timeout})
	d.MaxSize = maxSize
	t.Cleanup(d.Close)
	return d
}

func fetch(t *testing.T, u string) []byte {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	http.DefaultClient.CloseIdleConnections()
	return b
}

// entries lists dir's file names.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func TestGetSavesThePage(t *testing.T) {
	site := startSite(t)
	d := newDownloader(t, 5*time.Second, 0)
	dir := t.TempDir()
	for _, u := range []string{site.WikiURL("Ocean"), site.URL() + "/redirect/2", site.URL() + "/gzip", site.URL() + "/big?size=100KB&send=100KB"} {
		r := d.Get(context.Background(), u, dir)
		if r.Err != nil || r.Status != 200 {
			t.Fatalf("%s: %+v", u, r)
		}
		got, err := os.ReadFile(r.Path)
		if err != nil {
			t.Fatal(err)
		}
		want := fetch(t, u)
		if string(got) != string(want) || r.Bytes != int64(len(want)) {
			t.Errorf("%s: saved %d bytes (%d reported), page has %d", u, len(got), r.Bytes, len(want))
		}
		if filepath.Dir(r.Path) != dir || filepath.Base(r.Path) != FileName(u) {
			t.Errorf("%s saved as %s", u, r.Path)
		}
	}
	if got := len(entries(t, dir)); got != 4 {
		t.Errorf("%d files, want 4: %v", got, entries(t, dir))
	}
}

// A failed download leaves no file and no temporary file, and never
// replaces a good file already there.
func TestGetFailuresLeaveNothing(t *testing.T) {
	site := startSite(t)
	u := site.URL()
	cases := []struct {
		url     string
		timeout time.Duration
		max     int64
		want    string
	}{
		{u + "/reset", 2 * time.Second, 0, ""},
		{u + "/reset?after=2000", 2 * time.Second, 0, ""},
		{u + "/endless", 300 * time.Millisecond, 0, "timeout"},
		{u + "/big?size=10GB", 2 * time.Second, 1 << 20, "larger than --max-size"},        // announced too big
		{u + "/big?size=3000&send=3000", 2 * time.Second, 1000, "larger than --max-size"}, // body too big
		{u + "/gzip?bomb=1&size=10MB", 2 * time.Second, 1 << 20, "larger than --max-size"},
		{u + "/big?size=1MB&send=1KB", 2 * time.Second, 0, ""}, // cut short
		{u + "/chunked-bad", 2 * time.Second, 0, ""},
		{u + "/status/500", 2 * time.Second, 0, "HTTP 500, not saved"},
		{u + "/wiki/this_page_does_not_exist", 2 * time.Second, 0, "HTTP 404, not saved"},
	}
	for _, c := range cases {
		t.Run(c.url[len(u):], func(t *testing.T) {
			d := newDownloader(t, c.timeout, c.max)
			dir := t.TempDir()
			r := d.Get(context.Background(), c.url, dir)
			if r.Err == nil || r.Path != "" {
				t.Fatalf("%+v: want an error and no path", r)
			}
			if reason := Reason(r.Err); !strings.Contains(reason, c.want) {
				t.Errorf("reason %q, want %q", reason, c.want)
			}
			if es := entries(t, dir); len(es) != 0 {
				t.Errorf("left behind: %v", es)
			}
			// An existing good file survives a failed re-download.
			good := filepath.Join(dir, FileName(c.url))
			if err := os.WriteFile(good, []byte("good"), 0o644); err != nil {
				t.Fatal(err)
			}
			if r := d.Get(context.Background(), c.url, dir); r.Err == nil {
				t.Fatalf("second try succeeded: %+v", r)
			}
			if b, err := os.ReadFile(good); err != nil || string(b) != "good" {
				t.Errorf("existing file now %q, %v", b, err)
			}
			if es := entries(t, dir); len(es) != 1 {
				t.Errorf("left behind: %v", es)
			}
		})
	}
}

func TestGetCancelledLeavesNothing(t *testing.T) {
	site := startSite(t)
	d := newDownloader(t, 0, 0)
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	r := d.Get(ctx, site.URL()+"/endless", dir)
	if r.Err == nil || !errors.Is(r.Err, context.DeadlineExceeded) && Reason(r.Err) != "timeout" {
		t.Fatalf("%+v", r)
	}
	if es := entries(t, dir); len(es) != 0 {
		t.Errorf("left behind: %v", es)
	}
}

func TestGetReplacesWithCompleteFile(t *testing.T) {
	site := startSite(t)
	d := newDownloader(t, 5*time.Second, 0)
	dir := t.TempDir()
	u := site.WikiURL("Ocean")
	if err := os.WriteFile(filepath.Join(dir, FileName(u)), []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := d.Get(context.Background(), u, dir)
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	if b, _ := os.ReadFile(r.Path); string(b) != string(fetch(t, u)) {
		t.Fatalf("not replaced: %q", b)
	}
}

func TestGetMalformed(t *testing.T) {
	d := newDownloader(t, time.Second, 0)
	dir := t.TempDir()
	for _, u := range []string{"ftp://x/y", "not a url", "http://", "http://127.0.0.1:1/refused"} {
		if r := d.Get(context.Background(), u, dir); r.Err == nil {
			t.Errorf("%s: no error", u)
		}
	}
	if es := entries(t, dir); len(es) != 0 {
		t.Errorf("left behind: %v", es)
	}
}

// checkName asserts FileName's promises for one input.
func checkName(t *testing.T, raw string) string {
	t.Helper()
	name := FileName(raw)
	if name == "" || name == "." || name == ".." || strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".") {
		t.Fatalf("%q: name %q", raw, name)
	}
	if strings.ContainsAny(name, `/\:*?"<>|`) || strings.ContainsRune(name, filepath.Separator) {
		t.Fatalf("%q: name %q has a separator or reserved character", raw, name)
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			t.Fatalf("%q: name %q has a control character", raw, name)
		}
	}
	if !utf8.ValidString(name) || len(name) > MaxNameLen {
		t.Fatalf("%q: name %q (%d bytes)", raw, name, len(name))
	}
	dir := filepath.Join("base", "dir")
	p := filepath.Join(dir, name)
	if filepath.Dir(p) != dir || !filepath.IsLocal(name) {
		t.Fatalf("%q: %s escapes %s", raw, p, dir)
	}
	return name
}

func TestFileNameSafety(t *testing.T) {
	long := strings.Repeat("é", 300)
	cases := map[string]string{
		"https://example.org/wiki/Ocean":  "example.org_wiki_Ocean",
		"https://example.org/a/b.html":    "example.org_a_b.html",
		"https://example.org/under_score": "example.org_under%5Fscore",
		"https://example.org/caf%C3%A9":   "example.org_café",
		"https://example.org/café":        "example.org_café~89476344a3b59069", // not the canonical spelling
		"https://con.example.org/x":       "%63on.example.org_x",
	}
	for raw, want := range cases {
		got := checkName(t, raw)
		if want != "" && got != want {
			t.Errorf("%s: %q, want %q", raw, got, want)
		}
	}
	for _, raw := range []string{
		"https://example.org/../../etc/passwd",
		"https://example.org/%2e%2e/%2e%2e/etc/passwd",
		"https://example.org/a%2Fb%5Cc",
		"http://example.org/..",
		"http://example.org/.",
		"http://example.org/",
		"http://example.org",
		"http://example.org/?a=1",
		"http://example.org/a:b*c?d|e<f>\"g",
		"http://example.org/%00%01%0A%7F",
		"http://example.org/\u202etxt.exe",
		"http://example.org/" + long,
		"http://example.org/" + strings.Repeat("a/", 500),
		"http://[::1]:8080/x",
		"http://user:pass@example.org/x",
		"http://example.org/x#frag",
		"http://example.org/NUL",
		"http://nul/",
		"http://./x",
		"\xff\xfe",
		"",
	} {
		name := checkName(t, raw)
		if strings.Contains(name, "..") && !strings.Contains(name, "_") {
			t.Errorf("%q: %q", raw, name)
		}
	}
	// Long names are cut, and keep their extension after the hash.
	if n := FileName("https://example.org/" + long + ".html"); len(n) > MaxNameLen || !strings.HasSuffix(n, ".html") || !strings.Contains(n, "~") {
		t.Errorf("long name %q", n)
	}
}

// Queries, schemes, trailing slashes and spellings that would otherwise
// share a readable name get distinct names.
func TestFileNameDistinct(t *testing.T) {
	groups := [][]string{
		{"http://h/p?a=1", "http://h/p?a=2", "http://h/p?", "http://h/p", "https://h/p", "http://h/p#x"},
		{"https://h/", "https://h/index.html", "https://h", "https://h/index.html/"},
		{"https://h/a/b", "https://h/a%2Fb", "https://h/a_b", "https://h/a%5Fb"},
		{"https://h/Ocean", "https://h/%4Fcean", "https://H/Ocean"},
		{"https://h/x." + strings.Repeat("y", 300), "https://h/x." + strings.Repeat("y", 301)},
	}
	for _, g := range groups {
		seen := map[string]string{}
		for _, raw := range g {
			n := checkName(t, raw)
			if prev, ok := seen[n]; ok {
				t.Errorf("%q and %q both map to %q", prev, raw, n)
			}
			seen[n] = raw
		}
	}
}

func TestFileNameNoCollisions(t *testing.T) {
	seen := map[string]string{}
	for i := range 1000 {
		var raw string
		switch i % 5 {
		case 0:
			raw = fmt.Sprintf("https://example.org/wiki/P%d", i)
		case 1:
			raw = fmt.Sprintf("http://example.org/search?q=%d", i)
		case 2:
			raw = fmt.Sprintf("https://example.org/%s/%d", strings.Repeat("long", 60), i)
		case 3:
			raw = fmt.Sprintf("https://example.org/a_%d/b", i)
		default:
			raw = fmt.Sprintf("https://example.org/a/%d_b/", i)
		}
		n := checkName(t, raw)
		if prev, ok := seen[n]; ok {
			t.Fatalf("%q and %q both map to %q", prev, raw, n)
		}
		seen[n] = raw
	}
}

func FuzzFileName(f *testing.F) {
	for _, s := range []string{"https://example.org/wiki/Ocean", "http://h/../..", "http://h/%2e%2e", "http://h/?a=1",
		"http://h/" + strings.Repeat("%C3%A9", 100), "\x00", "", "http://con/", "http://h/a.", "https://h/.x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		checkName(t, raw)
	})
}

// A run killed outright leaves its temporary files; SweepTemp removes
// those of dead processes only.
func TestSweepTemp(t *testing.T) {
	dir := t.TempDir()
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	files := map[string]bool{ // name: swept
		fmt.Sprintf(".fanout-%d-123.tmp", dead.Process.Pid): true,
		fmt.Sprintf(".fanout-%d-456.tmp", os.Getpid()):      false, // a live run's
		".fanout-notapid-1.tmp":                             false,
		"page.html":                                         false,
		fmt.Sprintf(".fanout-%d-789.txt", dead.Process.Pid): false,
	}
	for name := range files {
		os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o644)
	}
	n, err := SweepTemp(dir)
	if err != nil || n != 1 {
		t.Fatalf("SweepTemp = %d, %v; want 1", n, err)
	}
	for name, swept := range files {
		_, err := os.Stat(filepath.Join(dir, name))
		if exists := err == nil; exists == swept {
			t.Errorf("%s: exists %v after the sweep", name, exists)
		}
	}
}
