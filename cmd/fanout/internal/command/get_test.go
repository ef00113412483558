package command

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/fanout-dev/fanout/cmd/fanout/internal/demosite"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/demosite/sitetest"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/download"
)

func TestGetSavesPagesAndCreatesDir(t *testing.T) {
	t.Parallel()
	site := sitetest.Start(t, demosite.Options{})
	dir := filepath.Join(t.TempDir(), "new", "pages") // created by get
	a, b := site.WikiURL("Ocean"), site.WikiURL("Sea")
	out, stderr, code := run(t, context.Background(), "", "get", "--dir", dir, "--ordered", a, b)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	line := regexp.MustCompile(`^(\S+) -> (\S+) \((\d+) bytes, \d+(\.\d)?ms\)$`)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("output %q", out)
	}
	for i, want := range []string{a, b} {
		m := line.FindStringSubmatch(lines[i])
		if m == nil || m[1] != want || m[2] != filepath.Join(dir, download.FileName(want)) {
			t.Fatalf("line %q", lines[i])
		}
		data, err := os.ReadFile(m[2])
		if err != nil || !strings.Contains(string(data), "<title>") || m[3] != strconv.Itoa(len(data)) {
			t.Errorf("%s: %d bytes on disk, %s reported, %v", m[2], len(data), m[3], err)
		}
	}
	if !strings.Contains(stderr, "2 saved (") || !strings.Contains(stderr, "0 errors") {
		t.Errorf("summary %q", stderr)
	}
}

func TestGetJSONAndErrorsExitOne(t *testing.T) {
	t.Parallel()
	site := sitetest.Start(t, demosite.Options{})
	dir := t.TempDir()
	stdin := site.WikiURL("Ocean") + "\n" + site.URL() + "/status/500\n" + site.URL() + "/big?size=10GB\nnot a url\n"
	out, stderr, code := run(t, context.Background(), stdin, "get", "--dir", dir, "--json", "--ordered", "--max-size", "1MB", "--timeout", "2s")
	if code != ExitSome {
		t.Fatalf("exit %d, want 1\n%s", code, stderr)
	}
	recs := jsonLines[map[string]any](t, out)
	if len(recs) != 4 {
		t.Fatalf("%d records: %s", len(recs), out)
	}
	if recs[0]["path"] == nil || recs[0]["bytes"].(float64) <= 0 || recs[0]["status"].(float64) != 200 || recs[0]["error"] != nil || recs[0]["line"].(float64) != 1 {
		t.Errorf("first record %v", recs[0])
	}
	for _, k := range []string{"input", "line", "bytes", "elapsed_ms"} {
		if _, ok := recs[0][k]; !ok {
			t.Errorf("no %s field: %v", k, recs[0])
		}
	}
	for i, want := range []string{"HTTP 500, not saved", "larger than --max-size", "malformed URL"} {
		r := recs[i+1]
		if e, _ := r["error"].(string); !strings.Contains(e, want) || r["path"] != nil {
			t.Errorf("record %d: %v, want error %q", i+1, r, want)
		}
	}
	if files := filesUnder(t, dir); len(files) != 1 {
		t.Errorf("files in dir: %v, want only the saved page", files)
	}
	if !strings.Contains(stderr, "1 saved") || !strings.Contains(stderr, "3 errors") {
		t.Errorf("summary %q", stderr)
	}
}

func TestGetTextErrorAndCSV(t *testing.T) {
	t.Parallel()
	site := sitetest.Start(t, demosite.Options{})
	dir := t.TempDir()
	u := site.URL() + "/wiki/this_page_does_not_exist"
	out, _, code := run(t, context.Background(), "", "get", "-q", "--dir", dir, u)
	if code != ExitSome || out != u+" - error: HTTP 404, not saved\n" {
		t.Fatalf("exit %d, output %q", code, out)
	}
	out, _, code = run(t, context.Background(), "", "get", "-q", "--csv", "--dir", dir, site.WikiURL("A"))
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if code != ExitOK || err != nil || len(rows) != 2 || rows[0][2] != "path" || rows[1][0] != site.WikiURL("A") || rows[1][4] != "200" {
		t.Fatalf("exit %d, rows %v, %v", code, rows, err)
	}
}

func TestGetUsageErrors(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"get", "--dir", "", "http://x"},
		{"get", "--dir", t.TempDir(), "--max-size", "lots", "http://x"},
		{"get", "--dir", t.TempDir(), "--json", "--csv", "http://x"},
		{"get", "--dir", filepath.Join(file, "sub"), "http://x"}, // cannot be created
	} {
		_, stderr, code := run(t, context.Background(), "", args...)
		if code != ExitUsage || stderr == "" {
			t.Errorf("%v: exit %d, stderr %q; want 2 and a message", args, code, stderr)
		}
	}
}

// An interrupt stops the run with 130, and downloads in flight leave no
// temporary file behind.
func TestGetInterrupted(t *testing.T) {
	t.Parallel()
	site := sitetest.Start(t, demosite.Options{})
	dir := t.TempDir()
	list := []string{site.WikiURL("fast"), site.URL() + "/endless", site.URL() + "/endless", site.URL() + "/hang"}
	ctx, cancel := context.WithCancel(context.Background())
	cancelOnceServed(t, cancel, site, "/wiki/fast", "/hang", "/endless")
	out, stderr, code := run(t, ctx, strings.Join(list, "\n"), "get", "--dir", dir)
	if code != ExitInterrupted {
		t.Fatalf("exit %d, want 130", code)
	}
	if !strings.HasPrefix(out, site.WikiURL("fast")+" -> ") || strings.Count(out, "\n") != 1 {
		t.Fatalf("output %q: want the finished record, whole", out)
	}
	if !strings.Contains(stderr, "1 saved") {
		t.Fatalf("summary %q", stderr)
	}
	if files := filesUnder(t, dir); len(files) != 1 || files[0] != download.FileName(site.WikiURL("fast")) {
		t.Fatalf("dir holds %v, want only the finished page", files)
	}
}

// filesUnder lists the files under dir (not directories), relative.
func filesUnder(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(path string, e os.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			rel, _ := filepath.Rel(dir, path)
			files = append(files, rel)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// Issue 23: `fanout get URL` said "--dir is required". Without --dir,
// pages go under the current directory, in wget -x's layout, as wget and
// curl -O save into the current directory.
func TestGetWithoutDirSavesHere(t *testing.T) {
	t.Parallel()
	site := sitetest.Start(t, demosite.Options{})
	here := t.TempDir()
	u := site.WikiURL("Ocean")
	cmd := exec.Command(buildFanout(t), "get", "-q", u)
	cmd.Dir = here
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v; stdout %q", err, out)
	}
	want := download.FileName(u)
	if !strings.HasPrefix(string(out), u+" -> "+want+" (") {
		t.Errorf("stdout %q, want the page saved as %s", out, want)
	}
	if data, err := os.ReadFile(filepath.Join(here, want)); err != nil || !strings.Contains(string(data), "<title>Ocean") {
		t.Errorf("%s in the current directory: %v", want, err)
	}
}

// A gzip bomb: a 1 MB answer that decodes to more than 1 GiB used to be
// saved whole (200 MB in 0.24 s, and on). get saves pages decoded, so its
// default --max-size counts decoded bytes, as curl's --max-filesize does
// since 8.20 (curl#21581; ffuf#897 is the same hole behind Go's
// transparent gzip). The partial file is never left behind.
func TestGetDefaultMaxSizeStopsAGzipBomb(t *testing.T) {
	t.Parallel()
	// 1 MiB of zeros compresses to about 1 KB; a gzip stream may be many
	// members, decoded as one: 1,025 of them are 1 GiB + 1 MiB.
	var member bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&member, gzip.BestCompression)
	zw.Write(make([]byte, 1<<20))
	zw.Close()
	const members = 1<<10 + 1
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Content-Encoding", "gzip")
		n := members
		if r.URL.Path == "/small" {
			n = 2
		}
		for range n {
			if _, err := w.Write(member.Bytes()); err != nil {
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	t.Logf("%d bytes sent for %d decoded", members*member.Len(), members<<20)

	dir := t.TempDir()
	out, stderr, code := run(t, context.Background(), "", "get", "--dir", dir, "--ordered", "--timeout", "60s", srv.URL+"/bomb", srv.URL+"/small")
	want := srv.URL + "/bomb - error: body larger than --max-size (1073741824)\n"
	if code != ExitSome || !strings.HasPrefix(out, want) {
		t.Fatalf("exit %d, out %q, want %q first\n%s", code, out, want, stderr)
	}
	if files := filesUnder(t, dir); len(files) != 1 || !strings.HasSuffix(files[0], "small") {
		t.Errorf("files in dir: %v, want only the small page", files)
	}
	if fi, err := os.Stat(filepath.Join(dir, download.FileName(srv.URL+"/small"))); err != nil || fi.Size() != 2<<20 {
		t.Errorf("the small page, decoded: %v %v", fi, err)
	}
}
