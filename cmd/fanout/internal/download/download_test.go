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

	"github.com/fanout-dev/fanout/cmd/fanout/internal/demosite"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/demosite/sitetest"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/httpcheck"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func newDownloader(t *testing.T, timeout time.Duration, maxSize int64) *Downloader {
	t.Helper()
	d := New(Options{HTTP: httpcheck.Options{Workers: 4, Timeout: timeout}, MaxSize: maxSize})
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

// entries lists the files under dir (not the directories), relative.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	var names []string
	err := filepath.WalkDir(dir, func(path string, e os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !e.IsDir() {
			rel, _ := filepath.Rel(dir, path)
			names = append(names, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// writeFile writes a file under dir, making its directories.
func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestGetSavesThePage(t *testing.T) {
	site := sitetest.Start(t, demosite.Options{})
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
		if r.Path != filepath.Join(dir, FileName(u)) {
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
	site := sitetest.Start(t, demosite.Options{})
	u := site.URL()
	// 10 s: only /endless is meant to time out; the others have answers of
	// their own, which a loaded machine under -race must not turn into a
	// timeout (the gzip bomb's did at 2 s, once).
	cases := []struct {
		url     string
		timeout time.Duration
		max     int64
		want    string
	}{
		{u + "/reset", 10 * time.Second, 0, ""},
		{u + "/reset?after=2000", 10 * time.Second, 0, ""},
		{u + "/endless", 300 * time.Millisecond, 0, "timeout"},
		{u + "/big?size=10GB", 10 * time.Second, 1 << 20, "larger than --max-size"},        // announced too big
		{u + "/big?size=3000&send=3000", 10 * time.Second, 1000, "larger than --max-size"}, // body too big
		{u + "/gzip?bomb=1&size=10MB", 10 * time.Second, 1 << 20, "larger than --max-size"},
		{u + "/big?size=1MB&send=1KB", 10 * time.Second, 0, ""}, // cut short
		{u + "/chunked-bad", 10 * time.Second, 0, ""},
		{u + "/status/500", 10 * time.Second, 0, "HTTP 500, not saved"},
		{u + "/wiki/this_page_does_not_exist", 10 * time.Second, 0, "HTTP 404, not saved"},
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
			writeFile(t, good, "good")
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
	site := sitetest.Start(t, demosite.Options{})
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
	site := sitetest.Start(t, demosite.Options{})
	d := newDownloader(t, 5*time.Second, 0)
	dir := t.TempDir()
	u := site.WikiURL("Ocean")
	writeFile(t, filepath.Join(dir, FileName(u)), "old")
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

// checkName asserts FileName's promises for one input: a relative path
// that stays inside the directory, each name escaped.
func checkName(t *testing.T, raw string) string {
	t.Helper()
	p := FileName(raw)
	if !filepath.IsLocal(p) || filepath.IsAbs(p) || len(p) > maxPathLen+MaxNameLen {
		t.Fatalf("%q: path %q is not local", raw, p)
	}
	for _, name := range strings.Split(filepath.ToSlash(p), "/") {
		if name == "" || name == "." || name == ".." || strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".") || strings.HasSuffix(name, "@") {
			t.Fatalf("%q: name %q in %q", raw, name, p)
		}
		if strings.ContainsAny(name, `\:*?"<>|`) {
			t.Fatalf("%q: name %q has a reserved character", raw, name)
		}
		for _, r := range name {
			if r < 0x20 || r == 0x7f {
				t.Fatalf("%q: name %q has a control character", raw, name)
			}
		}
		if !utf8.ValidString(name) || len(name) > MaxNameLen {
			t.Fatalf("%q: name %q (%d bytes)", raw, name, len(name))
		}
		base, _, _ := strings.Cut(name, ".")
		if reserved[strings.ToUpper(base)] {
			t.Fatalf("%q: name %q is a Windows device", raw, name)
		}
	}
	return filepath.ToSlash(p)
}

// Readable paths that mirror the URL, as wget -x makes them (issue 14:
// "127.0.0.1%3A38521_wiki_Page%5F1~312577b07b8caf88 is hard to use").
func TestFileNameMirrorsTheURL(t *testing.T) {
	for raw, want := range map[string]string{
		"https://example.org/wiki/Ocean":     "example.org/wiki/Ocean",
		"http://127.0.0.1:38521/wiki/Page_1": "127.0.0.1_38521/wiki/Page_1",
		"https://example.org/a/b.html":       "example.org/a/b.html",
		"https://Example.ORG/caf%C3%A9":      "example.org/café",
		"https://example.org/café":           "example.org/café",
		"http://example.org:80/x":            "example.org/x",
		"https://example.org:80/x":           "example.org_80/x",
		"http://h_x:8/a":                     "h%5Fx_8/a",
		"http://[::1]:8080/x":                "%3A%3A1_8080/x",
		"https://con.example.org/x":          "%63on.example.org/x",
		"http://h":                           "h/index.html",
		"http://h/":                          "h/index.html",
		"http://h/docs/":                     "h/docs/index.html",
		"http://h/index.html":                "h/index%2Ehtml",
		"http://h/search?q=1&n=2":            "h/search@q=1&n=2",
		"http://h/search/?q=a%20b":           "h/search/index.html@q=a%2520b",
		"http://h/a//b":                      "h/a/~/b",
		"http://h/a/~/b":                     "h/a/%7E/b",
		"http://h/../../etc/passwd":          "h/%2E%2E/%2E%2E/etc/passwd",
		"http://h/%2e%2e/%2e%2e/etc/passwd":  "h/%2E%2E/%2E%2E/etc/passwd",
		"http://h/a%2Fb%5Cc":                 "h/a%2Fb%5Cc",
		"http://h/NUL":                       "h/%4EUL",
		"http://h/a.":                        "h/a%2E",
		"http://h/a:b*c|d<e>\"f":             "h/a%3Ab%2Ac%7Cd%3Ce%3E%22f",
		"http://h/%00%01%0A%7F":              "h/%00%01%0A%7F",
		"http://user:pw@h/x#frag":            "h/x",
		"\xff\xfe":                           "invalid~",
		"ftp://h/x":                          "invalid~",
	} {
		got := checkName(t, raw)
		if got != want && !(strings.HasSuffix(want, "~") && strings.HasPrefix(got, want)) {
			t.Errorf("%s: %q, want %q", raw, got, want)
		}
	}
}

func TestFileNameSafety(t *testing.T) {
	long := strings.Repeat("é", 300)
	for _, raw := range []string{
		"http://example.org/..",
		"http://example.org/.",
		"http://example.org/?a=1",
		"http://example.org/\u202etxt.exe",
		"http://example.org/" + long,
		"http://example.org/" + long + "?" + long,
		"http://example.org/" + strings.Repeat("a/", 500),
		"http://example.org/" + strings.Repeat(strings.Repeat("b", 150)+"/", 50),
		"http://nul/",
		"http://./x",
		"http://../x",
		"",
	} {
		checkName(t, raw)
	}
	// Long names are cut, and keep their extension after the hash.
	if n := FileName("https://example.org/" + long + ".html"); !strings.HasSuffix(n, ".html") || !strings.Contains(n, "~") {
		t.Errorf("long name %q", n)
	}
}

// URLs that name different pages get different paths; queries, trailing
// slashes, escaped slashes and long names that would otherwise share one
// do not.
func TestFileNameDistinct(t *testing.T) {
	groups := [][]string{
		{"http://h/p?a=1", "http://h/p?a=2", "http://h/p", "http://h/p?a%3D1", "http://h/p@a=1"},
		{"https://h/", "https://h/index.html", "https://h/index.html/"},
		{"https://h/a/b", "https://h/a%2Fb", "https://h/a_b", "https://h/a%5Fb%2F"},
		{"http://h/a//b", "http://h/a/b", "http://h/a/~/b"},
		{"https://h:8080/x", "https://h_8080/x", "https://h/x"},
		{"https://h/x." + strings.Repeat("y", 300), "https://h/x." + strings.Repeat("y", 301)},
		{"https://h/" + strings.Repeat("z", 300) + "?a", "https://h/" + strings.Repeat("z", 300) + "?b"},
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

// The same page under another spelling shares its file, as with wget.
func TestFileNameSamePage(t *testing.T) {
	for _, g := range [][]string{
		{"http://h/p", "https://h/p", "http://h/p#x", "http://h/p?", "https://H/p", "https://user:pw@h/p", "http://h:80/p"},
		{"https://h/caf%C3%A9", "https://h/café", "https://h/caf%c3%a9"},
		{"https://h/index.html", "https://h/index%2Ehtml"},
	} {
		want := checkName(t, g[0])
		for _, raw := range g[1:] {
			if got := checkName(t, raw); got != want {
				t.Errorf("%s: %q, want %q as for %s", raw, got, want, g[0])
			}
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
		"http://h/" + strings.Repeat("%C3%A9", 100), "\x00", "", "http://con/", "http://h/a.", "https://h/.x", "http://h//", "http://[::1]:1/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		checkName(t, raw)
	})
}

// A page whose path is another page's directory (/docs and /docs/intro):
// both are saved, in either order, the second under the name with "@"
// added. wget deletes the file to make the directory ("Removing %s
// because of directory danger!", in its mkalldirs), losing a page it
// reported; here neither is lost, and neither path is shared.
func TestGetFileAndDirectoryOfTheSameName(t *testing.T) {
	t.Parallel()
	site := sitetest.Start(t, demosite.Options{})
	for _, noSync := range []bool{false, true} {
		for _, order := range [][]string{{"/wiki/docs", "/wiki/docs/intro"}, {"/wiki/docs/intro", "/wiki/docs"}} {
			d := New(Options{HTTP: httpcheck.Options{Workers: 2, Timeout: 5 * time.Second}, NoSync: noSync})
			dir := t.TempDir()
			paths := map[string]bool{}
			for _, p := range order {
				r := d.Get(context.Background(), site.URL()+p, dir)
				if r.Err != nil {
					t.Fatalf("%v: %s: %v", order, p, r.Err)
				}
				got, err := os.ReadFile(r.Path)
				if err != nil || string(got) != string(fetch(t, site.URL()+p)) {
					t.Errorf("%v: %s saved as %s: %q, %v", order, p, r.Path, got, err)
				}
				paths[r.Path] = true
			}
			d.Close()
			if len(paths) != 2 || len(entries(t, dir)) != 2 {
				t.Errorf("%v: paths %v, files %v", order, paths, entries(t, dir))
			}
			second := filepath.ToSlash(order[1])
			for p := range paths {
				if strings.HasSuffix(filepath.ToSlash(p), second) && !strings.Contains(p, "docs@") {
					t.Errorf("%v: the second comer %s was saved as %s, without the '@'", order, second, p)
				}
			}
		}
	}
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
