package command

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/demosite"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/demosite/sitetest"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/proctest"
)

// cancelOnceServed cancels ctx (which run turns into a SIGINT) once the site
// has been asked for each of paths, as many times as it is named, and
// 100 ms later: the binary is then past its signal set-up and the quick
// pages have been answered, whatever the machine's load. (A fixed 300 ms
// could land before the binary had installed its handler, killing it, on a
// loaded machine.)
func cancelOnceServed(t *testing.T, cancel context.CancelFunc, site *demosite.Site, paths ...string) {
	t.Helper()
	want := map[string]int{}
	for _, p := range paths {
		want[p]++
	}
	// The test may end first (its run was not interrupted): it then waits
	// for this goroutine, which must not report to it any more.
	stop, done := make(chan struct{}), make(chan struct{})
	t.Cleanup(func() { close(stop); <-done })
	go func() {
		defer close(done)
		defer cancel()
		served := proctest.Poll(func() bool {
			select {
			case <-stop:
				return true
			default:
			}
			for p, n := range want {
				if site.Hits(p) < n {
					return false
				}
			}
			return true
		})
		if !served {
			t.Errorf("the site was not asked for %v within %v", paths, proctest.Deadline)
			return
		}
		time.Sleep(100 * time.Millisecond)
	}()
}

// Ctrl-C with --ordered while the first input hangs: the two after it had
// finished, and an interrupted run must keep them, printed in input order
// and journalled, so a rerun does only the hanging one. (Before, the
// ordered loop gave up at the interrupt and lost both.)
func TestInterruptOrderedKeepsFinished(t *testing.T) {
	t.Parallel()
	site := sitetest.Start(t, demosite.Options{})
	journal := filepath.Join(t.TempDir(), "j.jsonl")
	hang, a, b := site.URL()+"/hang", site.WikiURL("A"), site.WikiURL("B")
	cmd := exec.Command(fanoutBin, "check", "--ordered", "--retries", "0", "--progress", "--resume", journal, hang, a, b)
	var out bytes.Buffer
	errb := new(proctest.Buffer)
	cmd.Stdout, cmd.Stderr = &out, errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The forced bar says so once A and B are done (the total is not
	// known ahead with --resume).
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("stderr: %q", errb.String())
		}
	})
	proctest.WaitFor(t, "A and B to finish", func() bool { return strings.Contains(errb.String(), "checking 2 done, 1 running") })
	cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != ExitInterrupted {
		t.Fatalf("exit %v, want 130; stderr %q", err, errb.String())
	}
	if want := a + " - exists\n" + b + " - exists\n"; out.String() != want {
		t.Errorf("stdout %q, want %q (the finished records, in input order)", out.String(), want)
	}
	data, _ := os.ReadFile(journal)
	if got := string(data); strings.Count(got, "\n") != 1+2 /* the header, A and B */ || !strings.Contains(got, a) || !strings.Contains(got, b) || strings.Contains(got, hang) {
		t.Errorf("journal %q: want A and B, not the hanging input", got)
	}
	if !regexp.MustCompile(`(?m)^interrupted: 2 done, 1 cut short, 0 not started$`).MatchString(errb.String()) {
		t.Errorf("no interrupted line in %q", errb.String())
	}
	// The rerun skips A and B.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	site.ResetStats()
	cancelOnceServed(t, cancel, site, "/hang") // the rerun is past its set-up
	_, stderr, _ := run(t, ctx, "", "check", "--retries", "0", "--resume", journal, hang, a, b)
	if !strings.Contains(stderr, "2 skipped: already in") {
		t.Errorf("rerun did not skip the journalled inputs: %q", stderr)
	}
}

// ctxOnceServed is a context that ends (a SIGINT for run) as
// cancelOnceServed says.
func ctxOnceServed(t *testing.T, site *demosite.Site, paths ...string) context.Context {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	cancelOnceServed(t, cancel, site, paths...)
	return ctx
}

// The summary of an interrupted run says so, and counts what was not
// run, even with -q (the records alone would look like a complete run).
func TestInterruptedSummary(t *testing.T) {
	t.Parallel()
	site := sitetest.Start(t, demosite.Options{})
	args := []string{"check", "-q", "--retries", "0", site.WikiURL("A")}
	for range 5 {
		args = append(args, site.URL()+"/hang")
	}
	out, stderr, code := run(t, ctxOnceServed(t, site, "/wiki/A", "/hang"), "", args...)
	if code != ExitInterrupted || out != site.WikiURL("A")+" - exists\n" {
		t.Fatalf("exit %d, stdout %q", code, out)
	}
	if !regexp.MustCompile(`^interrupted: 1 done, 5 cut short, 0 not started\n$`).MatchString(stderr) {
		t.Errorf("stderr %q: want only the interrupted line, with 1 done and 5 not finished", stderr)
	}
}

// ptyRun runs fanout with stdin, stdout and stderr on a terminal, as a
// user at a shell does, and returns everything the terminal received.
// stop, if not nil, is called once the output satisfies it, then the
// process gets SIGINT.
func ptyRun(t *testing.T, stop func(string) bool, args ...string) string {
	t.Helper()
	cmd := exec.Command(fanoutBin, args...)
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 120})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var all proctest.Buffer
	read := make(chan struct{})
	go func() {
		defer close(read)
		br := bufio.NewReader(f)
		buf := make([]byte, 4096)
		for {
			n, err := br.Read(buf)
			all.Write(buf[:n])
			if err != nil { // EIO once the process is gone
				return
			}
		}
	}()
	if stop != nil {
		if !proctest.Poll(func() bool { return stop(all.String()) }) {
			cmd.Process.Kill()
		} else {
			cmd.Process.Signal(syscall.SIGINT)
		}
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("fanout %v did not end; terminal: %q", args, all.String())
	}
	f.Close()
	<-read
	return all.String()
}

// Records and the progress bar share the terminal without a torn line:
// every record stands whole on its own line, never glued to the bar (the
// issue saw about 1 line in 40 torn). What the terminal received is cut at
// each "clear line" the bar writes: a piece is either a bar (no newline)
// or whole record lines.
func TestTerminalNeverTorn(t *testing.T) {
	t.Parallel()
	site := sitetest.Start(t, demosite.Options{Latency: time.Millisecond})
	var urls []string
	for i := range 400 {
		urls = append(urls, site.WikiURL("Page_"+strings.Repeat("x", i%7)+strconv.Itoa(i)))
	}
	screen := ptyRun(t, nil, append([]string{"check", "-w", "8"}, urls...)...)
	record := regexp.MustCompile(`^http://127\.0\.0\.1:\d+/wiki/\S+ - exists$`)
	seen := map[string]int{}
	bars := 0
	for _, piece := range strings.Split(screen, "\r\x1b[K") {
		if piece == "" {
			continue
		}
		if !strings.Contains(piece, "\n") {
			if !strings.HasPrefix(piece, "checking ") {
				t.Errorf("a piece without a newline that is not the bar: %q", piece)
			}
			bars++
			continue
		}
		lines := strings.Split(strings.TrimSuffix(piece, "\r\n"), "\r\n")
		for _, l := range lines {
			switch {
			case record.MatchString(l):
				seen[l]++
			case strings.HasPrefix(l, "400 checked: 400 exists"):
			default:
				t.Errorf("torn or stray line %q", l)
			}
		}
	}
	if len(seen) != 400 {
		t.Errorf("%d distinct records on the terminal, want 400", len(seen))
	}
	for l, n := range seen {
		if n != 1 {
			t.Errorf("%q shown %d times", l, n)
		}
	}
	if bars == 0 {
		t.Error("no bar was drawn on the terminal")
	}
}

// The bar moves while nothing finishes: it redraws on a clock, the
// elapsed time goes on, and no rate is made up from a single sample (the
// issue saw "(1/3, 348918 inputs/s) [0s:0s]" frozen for 6 s).
func TestTerminalBarMovesWhileWaiting(t *testing.T) {
	t.Parallel()
	site := sitetest.Start(t, demosite.Options{})
	elapsed2 := regexp.MustCompile(`· 0:02( · ETA [^\r]*)?\r`)
	screen := ptyRun(t, elapsed2.MatchString,
		"check", "--retries", "0", site.WikiURL("A"), site.URL()+"/hang", site.URL()+"/hang")
	var draws []string
	for _, piece := range strings.Split(screen, "\r\x1b[K") {
		if strings.HasPrefix(piece, "checking ") && !strings.Contains(piece, "\n") {
			draws = append(draws, piece)
		}
	}
	if len(draws) < 8 { // 2 s at 5 draws a second
		t.Fatalf("%d bar draws in 2 s: %q", len(draws), draws)
	}
	last := draws[len(draws)-1]
	for _, want := range []string{" 1/3 ", "2 running", "· 0:02"} {
		if !strings.Contains(last, want) {
			t.Errorf("last bar %q lacks %q", last, want)
		}
	}
	for _, d := range draws {
		if m := regexp.MustCompile(`· ([\d.]+)/s`).FindStringSubmatch(d); m != nil && len(m[1]) > 4 {
			t.Errorf("absurd rate in %q", d)
		}
	}
	if !strings.Contains(screen, "interrupted: 1 done") {
		t.Errorf("no interrupted summary on the terminal: %q", screen)
	}
}

// With more inputs than workers, Ctrl-C tells the two apart: those that
// were running are cut short, the queued ones never started. (Before, the
// unordered loop stopped at the first canceled input and lost the running
// ones: "0 done, 4 not started".)
func TestInterruptCountsRunningAndQueued(t *testing.T) {
	t.Parallel()
	site := sitetest.Start(t, demosite.Options{})
	var args []string
	for i := range 4 {
		args = append(args, site.URL()+"/hang?n="+strconv.Itoa(i))
	}
	for _, ordered := range []string{"--ordered=false", "--ordered=true"} {
		site.ResetStats()
		_, stderr, code := run(t, ctxOnceServed(t, site, "/hang", "/hang"), "", append([]string{"check", "-q", "-w", "2", "--retries", "0", ordered}, args...)...)
		if code != ExitInterrupted || stderr != "interrupted: 0 done, 2 cut short, 2 not started\n" {
			t.Errorf("%s: exit %d, stderr %q", ordered, code, stderr)
		}
	}
}
