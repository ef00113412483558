package command

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fanout-dev/fanout/cmd/fanout/internal/demosite"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/demosite/sitetest"
	"go.uber.org/goleak"
)

// fanoutBin is the real binary, built once for the package's tests: every
// command test runs it as a user would, end to end. Set FANOUT_TEST_INPROC=1
// to run the command in process instead (faster to debug, same code).
var fanoutBin string

// buildFlags are extra flags for building it (race_test.go adds -race,
// and sets raceBuild).
var (
	buildFlags []string
	raceBuild  bool
)

func TestMain(m *testing.M) {
	// The tests mostly wait on processes and loopback servers, not on the
	// CPU: run more at once than -test.parallel's default of GOMAXPROCS,
	// unless the caller chose.
	flag.Parse()
	parallelSet := false
	flag.Visit(func(f *flag.Flag) { parallelSet = parallelSet || f.Name == "test.parallel" })
	if !parallelSet {
		flag.Set("test.parallel", "6")
	}
	dir := ""
	if os.Getenv("FANOUT_TEST_INPROC") == "" {
		var err error
		if dir, err = os.MkdirTemp("", "fanout-test"); err != nil {
			panic(err)
		}
		fanoutBin = filepath.Join(dir, "fanout")
		build := append(append([]string{"build", "-buildvcs=auto"}, buildFlags...), "-o", fanoutBin, "github.com/fanout-dev/fanout/cmd/fanout")
		if out, err := exec.Command("go", build...).CombinedOutput(); err != nil {
			os.RemoveAll(dir)
			panic(fmt.Sprintf("go build: %v\n%s", err, out))
		}
	}
	// goleak.VerifyTestMain would exit before the binary is removed.
	code := m.Run()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	if dir != "" {
		os.RemoveAll(dir)
	}
	os.Exit(code)
}

// jsonLines decodes a command's --json output, one T per line.
func jsonLines[T any](t *testing.T, out string) []T {
	t.Helper()
	var recs []T
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var r T
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("not a JSON record (%v): %q", err, line)
		}
		recs = append(recs, r)
	}
	return recs
}

// run runs the command line and returns stdout, stderr and the exit
// status. ctx ending is Ctrl-C: the process gets SIGINT.
func run(t *testing.T, ctx context.Context, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	if fanoutBin == "" {
		code := Main(ctx, nil, args, strings.NewReader(stdin), &out, &errb)
		return out.String(), errb.String(), code
	}
	cmd := exec.CommandContext(ctx, fanoutBin, args...)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGINT) }
	cmd.WaitDelay = 10 * time.Second
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code, ok := exitStatus(err)
	if !ok {
		t.Fatalf("running fanout %v: %v", args, err)
	}
	return out.String(), errb.String(), code
}

// exitStatus is a finished command's exit status: 0 when err is nil, else
// the status of an *exec.ExitError. ok is false for any other end (not
// started, killed by a signal).
func exitStatus(err error) (code int, ok bool) {
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, true
	case errors.As(err, &ee) && ee.ExitCode() >= 0:
		return ee.ExitCode(), true
	}
	return -1, false
}

func TestCheckEveryClassAndExitStatus(t *testing.T) {
	t.Parallel()
	site := sitetest.Start(t, demosite.Options{})
	u := site.URL()
	cases := map[string]string{
		u + "/wiki/Ocean":                            "exists",
		u + "/wiki/this_page_does_not_exist":         "does not exist",
		u + "/status/410":                            "does not exist",
		u + "/status/401":                            "blocked (HTTP 401)",
		u + "/status/403":                            "blocked (HTTP 403)",
		u + "/status/429":                            "rate-limited (HTTP 429)",
		u + "/status/500":                            "unknown (HTTP 500)",
		u + "/redirect/3":                            "exists", // 2xx after redirects
		u + "/method/Head_refused":                   "exists", // 405 to HEAD, then GET
		u + "/method/Head_unimplemented?head=501":    "exists",
		"ftp://example.invalid/x":                    "error: malformed URL: unsupported scheme \"ftp\" (want http or https)",
		"http://127.0.0.1:1/refused":                 "error: connection refused",
		u + "/loop":                                  "error: stopped after 10 redirects",
		u + "/redirect-scheme?to=file:///etc/passwd": "error: redirect to unsupported scheme \"file\"",
	}
	var args []string
	for in := range cases {
		args = append(args, in)
	}
	out, stderr, code := run(t, context.Background(), "", append([]string{"check"}, args...)...)
	if code != ExitSome {
		t.Errorf("exit status %d, want %d (some pages do not exist)\n%s", code, ExitSome, stderr)
	}
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		in, word, ok := strings.Cut(line, " - ")
		if !ok {
			t.Fatalf("malformed line %q", line)
		}
		got[in] = word
	}
	for in, want := range cases {
		if !strings.HasPrefix(got[in], want) {
			t.Errorf("%s: got %q, want %q", in, got[in], want)
		}
	}
	if len(got) != len(cases) {
		t.Errorf("%d lines for %d inputs", len(got), len(cases))
	}
	if !strings.Contains(stderr, "checked:") {
		t.Errorf("no summary on stderr: %q", stderr)
	}
	// One GET per URL (issue 27).
	if p := site.Path("/wiki/Ocean"); p.Last.Method != "GET" || p.Hits != 1 {
		t.Errorf("an existing page got %d requests, the last %s; want one GET", p.Hits, p.Last.Method)
	}
	if ua := site.Path("/wiki/Ocean").Last.UserAgent; !strings.HasPrefix(ua, "fanout/") {
		t.Errorf("User-Agent %q, want fanout/<version>", ua)
	}
}

func TestCheckAllExistExitsZero(t *testing.T) {
	t.Parallel()
	site := sitetest.Start(t, demosite.Options{})
	_, _, code := run(t, context.Background(), "", "check", "-q", site.WikiURL("A"), site.WikiURL("B"))
	if code != ExitOK {
		t.Fatalf("exit status %d, want 0", code)
	}
}

func TestCheckStdinSkipsBlanksAndCommentsAndReportsBadLines(t *testing.T) {
	t.Parallel()
	site := sitetest.Start(t, demosite.Options{})
	stdin := "# a comment\n\n  " + site.WikiURL("A") + "  \r\nnot a url at all\n" + string([]byte{0xff, 0xfe}) + "\n" + site.WikiURL("B") + "\n"
	out, _, _ := run(t, context.Background(), stdin, "check", "--json", "--ordered")
	recs := jsonLines[checkRecord](t, out)
	if len(recs) != 4 {
		t.Fatalf("%d records, want 4 (one per non-blank, non-comment line): %s", len(recs), out)
	}
	want := []struct {
		line   int
		result string
	}{{3, "exists"}, {4, "error: malformed URL"}, {5, "error: line 5 is not valid UTF-8"}, {6, "exists"}}
	for i, w := range want {
		if recs[i].Line != w.line || !strings.HasPrefix(recs[i].Result, w.result) {
			t.Errorf("record %d = line %d %q, want line %d %q", i, recs[i].Line, recs[i].Result, w.line, w.result)
		}
		if strings.HasPrefix(w.result, "error") && recs[i].Error == "" {
			t.Errorf("record %d: an error record has no error field", i)
		}
	}
	if recs[0].Status != 200 || recs[0].Input != site.WikiURL("A") {
		t.Errorf("first record %+v", recs[0])
	}
}

func TestCheckOrderedAndCSV(t *testing.T) {
	t.Parallel()
	site := sitetest.Start(t, demosite.Options{})
	dir := t.TempDir()
	var list []string
	for i := range 30 {
		// Later pages answer sooner, so input order must come from --ordered.
		list = append(list, site.WikiURL("P"+string(rune('a'+i)))+"?latency="+strconv.Itoa(30-i)+"ms")
	}
	file := filepath.Join(dir, "urls.txt")
	if err := os.WriteFile(file, []byte(strings.Join(list, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, code := run(t, context.Background(), "", "check", "-i", file, "--ordered", "--csv")
	if code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 31 || rows[0][0] != "input" {
		t.Fatalf("%d rows, header %v", len(rows), rows[0])
	}
	for i, row := range rows[1:] {
		if row[0] != list[i] || row[2] != "exists" || row[3] != "200" {
			t.Fatalf("row %d = %v, want %s exists 200 in input order", i, row, list[i])
		}
	}
}

func TestUsageErrorsExitTwo(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"check", "--bogus"},
		{"check", "--json", "--csv", "http://x"},
		{"check", "-w", "0", "http://x"},
		{"check", "-H", "no colon", "http://x"},
		{"check", "-i", "/no/such/file"},
		{"nonsense"},
	} {
		_, stderr, code := run(t, context.Background(), "", args...)
		if code != ExitUsage || stderr == "" {
			t.Errorf("%v: exit %d, stderr %q; want 2 and a message", args, code, stderr)
		}
	}
}

// An interrupt (Ctrl-C cancels the context) stops the run: finished records
// are kept whole, the summary is printed, and the status is 130.
func TestCheckInterrupted(t *testing.T) {
	t.Parallel()
	site := sitetest.Start(t, demosite.Options{})
	var list []string
	list = append(list, site.WikiURL("fast"))
	for range 5 {
		list = append(list, site.URL()+"/hang")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancelOnceServed(t, cancel, site, "/wiki/fast", "/hang")
	out, stderr, code := run(t, ctx, strings.Join(list, "\n"), "check")
	if code != ExitInterrupted {
		t.Fatalf("exit %d, want 130", code)
	}
	if out != site.WikiURL("fast")+" - exists\n" {
		t.Fatalf("output %q: want the finished record, whole", out)
	}
	if !strings.Contains(stderr, "checked") {
		t.Fatalf("no summary after the interrupt: %q", stderr)
	}
}

func TestDemo(t *testing.T) {
	t.Parallel()
	out, _, code := run(t, context.Background(), "", "demo", "--latency", "20ms", "--pages", "10")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, out)
	}
	for _, want := range []string{"One at a time (1 worker):", "Concurrently (64 workers):", "Without concurrency:", "With concurrency:", "x faster", "/wiki/0 - exists", "this_page_does_not_exist - does not exist"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, " - exists"); n != 18 {
		t.Errorf("%d 'exists' lines, want 9 per half", n)
	}
}

// The bar shows only on a terminal, unless forced; never in the records.
func TestCheckProgressBar(t *testing.T) {
	t.Parallel()
	// Pages that take a while: a run over before the bar's first frame
	// (two loopback GETs, on a loaded machine) draws none, rightly.
	site := sitetest.Start(t, demosite.Options{Latency: 300 * time.Millisecond})
	a, b := site.WikiURL("A"), site.WikiURL("B")
	out, stderr, _ := run(t, context.Background(), "", "check", "--progress", a, b)
	if !strings.Contains(stderr, "checking") || !strings.Contains(stderr, "/2") {
		t.Errorf("--progress drew no bar with a total: %q", stderr)
	}
	if strings.Contains(out, "checking") {
		t.Errorf("the bar leaked into stdout: %q", out)
	}
	_, stderr, _ = run(t, context.Background(), "", "check", a, b)
	if strings.Contains(stderr, "checking") {
		t.Errorf("a bar was drawn into a non-terminal: %q", stderr)
	}
	_, stderr, _ = run(t, context.Background(), "", "check", "-q", "--progress", a)
	if stderr != "" {
		t.Errorf("--quiet still wrote %q", stderr)
	}
}

// --compare: the seeds' "with and without threads", on the user's inputs.
func TestCheckCompare(t *testing.T) {
	t.Parallel()
	site := sitetest.Start(t, demosite.Options{Latency: 20 * time.Millisecond})
	var urls []string
	for i := range 10 {
		urls = append(urls, site.WikiURL("C"+strconv.Itoa(i)))
	}
	out, stderr, code := run(t, context.Background(), strings.Join(urls, "\n"), "check", "--compare", "-w", "10")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if n := strings.Count(out, " - exists"); n != 10 {
		t.Errorf("%d records printed, want 10 (the one-worker run prints none)", n)
	}
	if !strings.Contains(stderr, "1 worker: ") || !strings.Contains(stderr, "10 workers: ") || !strings.Contains(stderr, "x faster") {
		t.Errorf("no comparison line: %q", stderr)
	}
	// Each page was checked twice: once per run.
	if n := site.Hits("/wiki/C0"); n != 2 {
		t.Errorf("page checked %d times, want 2", n)
	}
}

// --compare is shared machinery: probe and get have it too.
func TestCompareOnEveryCommand(t *testing.T) {
	t.Parallel()
	site := sitetest.Start(t, demosite.Options{})
	for _, args := range [][]string{
		{"probe", "--compare", site.WikiURL("X")},
		{"get", "--compare", "--dir", t.TempDir(), site.WikiURL("Y")},
	} {
		_, stderr, code := run(t, context.Background(), "", args...)
		if code != ExitOK || !strings.Contains(stderr, "1 worker: ") {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
		}
	}
}
