package command

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fanout-dev/fanout/cmd/fanout/internal/demosite"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/demosite/sitetest"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/proctest"
)

// writeInputs writes n distinct URLs of site to a file, one per line.
func writeURLs(t *testing.T, n int, url func(i int) string) (string, map[string]bool) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "urls.txt")
	var b strings.Builder
	want := make(map[string]bool, n)
	for i := range n {
		u := url(i)
		want[u] = true
		b.WriteString(u + "\n")
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, want
}

// readJournal parses a --resume file strictly: every line whole JSON with
// an input. It returns how many times each input appears.
func readJournal(t *testing.T, path string) map[string]int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	seen := map[string]int{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		if n == 1 {
			checkJournalHeader(t, path, sc.Bytes())
			continue
		}
		var rec struct {
			Input  *string `json:"input"`
			Result string  `json:"result"`
		}
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil || rec.Input == nil || rec.Result == "" {
			t.Fatalf("%s line %d is not a whole record (%v): %q", path, n, err, sc.Text())
		}
		seen[*rec.Input]++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return seen
}

// The proof: a run over 100,000 inputs is SIGKILLed at random
// moments, then rerun with the same --resume file until it finishes; the
// file must then hold every input exactly once, every line whole. One
// more "kill mid-write" is made by hand (the file cut inside its last
// line), since a real kill rarely lands inside a write(2): the rerun must
// drop that torn line and redo its input.
func TestResumeAfterSIGKILL(t *testing.T) {
	t.Parallel()
	bin := buildFanout(t)
	site := sitetest.Start(t, demosite.Options{})
	n, killWithin := 20_000, 400
	if longTests() {
		n, killWithin = 100_000, 900
	}
	in, want := writeURLs(t, n, func(i int) string { return site.WikiURL(fmt.Sprintf("Page_%d", i)) })
	journal := filepath.Join(t.TempDir(), "done.jsonl")
	args := []string{"check", "-i", in, "--resume", journal, "-q", "--retries", "0", "--no-progress"}

	partial := 0 // kills that left some, but not all, of the work done
	for kill := range 6 {
		cmd := exec.Command(bin, args...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		// The kill's moment counts from the run's first records, not from
		// its start: on a loaded machine the start alone can take longer
		// than any fixed delay, and every kill then landed before the
		// journal existed (CI under -race, once).
		var before int64
		if fi, err := os.Stat(journal); err == nil {
			before = fi.Size()
		}
		started := make(chan struct{})
		go func() {
			defer close(started)
			proctest.Poll(func() bool {
				fi, err := os.Stat(journal)
				return err == nil && fi.Size() > before+200 // this run's first records
			})
		}()
		select {
		case err := <-exited:
			t.Logf("run %d finished before its kill: %v", kill, err)
		case <-started:
			select {
			case err := <-exited:
				t.Logf("run %d finished before its kill: %v", kill, err)
			case <-time.After(time.Duration(rand.IntN(killWithin)) * time.Millisecond):
				cmd.Process.Signal(syscall.SIGKILL)
				<-exited
			}
		}
		got := readJournal(t, journal)
		for in, c := range got {
			if c != 1 {
				t.Fatalf("after kill %d: %q is in the journal %d times", kill, in, c)
			}
		}
		t.Logf("after kill %d: %d of %d done", kill, len(got), n)
		if len(got) > 0 && len(got) < n {
			partial++
		}
		if len(got) == n {
			break
		}
	}
	if partial == 0 {
		t.Fatal("no kill landed in the middle of the run; the test proved nothing")
	}

	// A torn last line, as a kill inside a write leaves it.
	data, err := os.ReadFile(journal)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(journal, data[:len(data)-10], 0o644); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	_, stderr, code := run(t, ctx, "", args...)
	if code != ExitOK {
		t.Fatalf("final run: exit %d, stderr:\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "torn last line") {
		t.Errorf("the torn line was not reported; stderr:\n%s", stderr)
	}
	got := readJournal(t, journal)
	if len(got) != n {
		t.Errorf("journal holds %d inputs, want %d", len(got), n)
	}
	for in := range want {
		if got[in] != 1 {
			t.Fatalf("%q is in the journal %d times, want once", in, got[in])
		}
	}
}

// A rerun of a finished run does nothing, and says so.
func TestResumeSkipsWhatIsDone(t *testing.T) {
	t.Parallel()
	site := sitetest.Start(t, demosite.Options{})
	journal := filepath.Join(t.TempDir(), "done.jsonl")
	urls := []string{site.WikiURL("A"), site.WikiURL("this_page_does_not_exist"), "notaurl"}
	ctx := context.Background()
	out, _, code := run(t, ctx, "", append([]string{"check", "--resume", journal}, urls...)...)
	if code != ExitSome || strings.Count(out, "\n") != 3 {
		t.Fatalf("first run: exit %d, out:\n%s", code, out)
	}
	out, stderr, code := run(t, ctx, "", append([]string{"check", "--resume", journal, site.WikiURL("B")}, urls...)...)
	if code != ExitOK || out != site.WikiURL("B")+" - exists\n" {
		t.Fatalf("rerun: exit %d, out:\n%s", code, out)
	}
	if !strings.Contains(stderr, "3 skipped: already in "+journal) {
		t.Errorf("rerun stderr does not count the skipped inputs:\n%s", stderr)
	}
	if got := readJournal(t, journal); len(got) != 4 {
		t.Errorf("journal: %v, want 4 inputs once each", got)
	}

	// A file that is not a journal (say, the URL list by mistake) is refused
	// and left as it was.
	list := filepath.Join(t.TempDir(), "urls.txt")
	os.WriteFile(list, []byte(strings.Join(urls, "\n")+"\n"), 0o644)
	_, stderr, code = run(t, ctx, "", "check", "--resume", list, site.WikiURL("A"))
	if code != ExitUsage || !strings.Contains(stderr, "not a fanout resume file") {
		t.Errorf("--resume on a URL list: exit %d, stderr:\n%s", code, stderr)
	}
}

// --shard K/N for N = 1, 3 and 8, each shard its own process: together
// they take every input exactly once.
func TestShardsCoverTheInputOnce(t *testing.T) {
	t.Parallel()
	site := sitetest.Start(t, demosite.Options{})
	in, want := writeURLs(t, 3000, func(i int) string { return site.WikiURL(fmt.Sprintf("S_%d", i)) })
	for _, n := range []int{1, 3, 8} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			var mu sync.Mutex
			seen := map[string]int{}
			var wg sync.WaitGroup
			for k := 1; k <= n; k++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					out, stderr, code := run(t, context.Background(), "", "check", "-i", in, "--shard", fmt.Sprintf("%d/%d", k, n), "--json", "-q")
					if code != ExitOK {
						t.Errorf("shard %d/%d: exit %d\n%s", k, n, code, stderr)
						return
					}
					lines := strings.Split(strings.TrimSpace(out), "\n")
					if n > 1 && len(lines) > 2*len(want)/n {
						t.Errorf("shard %d/%d took %d of %d inputs", k, n, len(lines), len(want))
					}
					mu.Lock()
					defer mu.Unlock()
					for _, l := range lines {
						var rec checkRecord
						if err := json.Unmarshal([]byte(l), &rec); err != nil {
							t.Errorf("shard %d/%d: %v: %q", k, n, err, l)
							continue
						}
						seen[rec.Input]++
					}
				}()
			}
			wg.Wait()
			if len(seen) != len(want) {
				t.Errorf("the %d shards took %d distinct inputs, want %d", n, len(seen), len(want))
			}
			for u, c := range seen {
				if !want[u] || c != 1 {
					t.Fatalf("%q taken %d times (in the input: %v)", u, c, want[u])
				}
			}
		})
	}
	_, stderr, code := run(t, context.Background(), "", "check", "--shard", "0/8", site.WikiURL("A"))
	if code != ExitUsage || !strings.Contains(stderr, "$((I+1))/8") {
		t.Errorf("--shard 0/8: exit %d, stderr: %s", code, stderr)
	}
}

// exec's journal keeps what --joblog keeps, not the jobs' output (which
// can be megabytes a job); a rerun skips the jobs done, failed ones
// included (GNU parallel's --resume; delete their lines to rerun them).
func TestResumeExec(t *testing.T) {
	t.Parallel()
	journal := filepath.Join(t.TempDir(), "jobs.jsonl")
	ctx := context.Background()
	out, _, code := run(t, ctx, "a\nb\nfail\n", "exec", "-q", "--resume", journal, "--shell", "--", `echo "out-{}"; [ {} != fail ]`)
	if code != ExitSome || strings.Count(out, "out-") != 3 {
		t.Fatalf("first run: exit %d, out %q", code, out)
	}
	data, err := os.ReadFile(journal)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), "out-") || strings.Count(string(data), "\n") != 1+3 { // the header, a line per job
		t.Errorf("journal holds the jobs' output, or not one line per job:\n%s", data)
	}
	out, stderr, code := run(t, ctx, "a\nb\nfail\nc\n", "exec", "--resume", journal, "--shell", "--", `echo "out-{}"`)
	if code != ExitOK || out != "out-c\n" || !strings.Contains(stderr, "3 skipped") {
		t.Errorf("rerun: exit %d, out %q, stderr %q", code, out, stderr)
	}
}

// --resume and --shard come from the shared pipeline, so probe and get
// have them too: a rerun redoes nothing.
func TestResumeProbeAndGet(t *testing.T) {
	t.Parallel()
	site := sitetest.Start(t, demosite.Options{})
	ctx := context.Background()
	urls := []string{site.WikiURL("A"), site.WikiURL("B")}
	for _, args := range [][]string{{"probe"}, {"get", "--dir", t.TempDir()}} {
		journal := filepath.Join(t.TempDir(), "done.jsonl")
		args = append(args, "--resume", journal)
		out, _, code := run(t, ctx, "", append(args, urls...)...)
		if code != ExitOK || strings.Count(out, "\n") != 2 {
			t.Fatalf("%s: exit %d, out %q", args[0], code, out)
		}
		out, stderr, code := run(t, ctx, "", append(args, urls...)...)
		if code != ExitOK || out != "" || !strings.Contains(stderr, "2 skipped") {
			t.Errorf("%s rerun: exit %d, out %q, stderr %q", args[0], code, out, stderr)
		}
		if got := readJournalInputs(t, journal); len(got) != 2 {
			t.Errorf("%s journal: %v", args[0], got)
		}
	}
}

// readJournalInputs counts the inputs of a journal of any command.
func readJournalInputs(t *testing.T, path string) map[string]int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	checkJournalHeader(t, path, []byte(lines[0]))
	for _, l := range lines[1:] {
		var rec struct {
			Input string `json:"input"`
		}
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("%s: %v: %q", path, err, l)
		}
		seen[rec.Input]++
	}
	return seen
}

// --retry-failed: a rerun does again the inputs whose record did not
// pass (a 404 here), and skips the rest; without --resume it is a usage
// error.
func TestResumeRetryFailed(t *testing.T) {
	t.Parallel()
	site := sitetest.Start(t, demosite.Options{})
	journal := filepath.Join(t.TempDir(), "done.jsonl")
	ctx := context.Background()
	good, bad := site.WikiURL("A"), site.WikiURL("this_page_does_not_exist")
	if _, _, code := run(t, ctx, "", "check", "-q", "--resume", journal, good, bad); code != ExitSome {
		t.Fatalf("first run: exit %d", code)
	}
	out, stderr, code := run(t, ctx, "", "check", "--resume", journal, "--retry-failed", good, bad)
	if code != ExitSome || out != bad+" - does not exist\n" || !strings.Contains(stderr, "1 skipped") {
		t.Errorf("rerun: exit %d, out %q, stderr %q", code, out, stderr)
	}
	if got := readJournalInputs(t, journal); got[good] != 1 || got[bad] != 2 {
		t.Errorf("journal: %v, want the good input once and the failed one twice", got)
	}
	if _, stderr, code := run(t, ctx, "", "check", "--retry-failed", good); code != ExitUsage || !strings.Contains(stderr, "needs --resume") {
		t.Errorf("--retry-failed alone: exit %d, %s", code, stderr)
	}
}
