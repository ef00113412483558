package execjob

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/fanout-dev/fanout/cmd/fanout/internal/proctest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func mustNew(t *testing.T, shell bool, words ...string) *Template {
	t.Helper()
	tmpl, err := New(words, shell, 1)
	if err != nil {
		t.Fatal(err)
	}
	return tmpl
}

// job is a one-input job.
func job(in string, seq int) Job { return Job{Args: []string{in}, Seq: seq, Slot: 1} }

func TestArgv(t *testing.T) {
	for _, c := range []struct {
		words []string
		input string
		want  []string
	}{
		{[]string{"echo"}, "a b", []string{"echo", "a b"}},               // appended, one argument
		{[]string{"echo", "{}", "x"}, "in", []string{"echo", "in", "x"}}, // not appended
		{[]string{"cp", "--name={}.txt", "{#}"}, "in", []string{"cp", "--name=in.txt", "7"}},
		// Issue 21.9: {#} alone is a replacement string: nothing appended,
		// as GNU parallel (its testsuite, bug #44995: parallel -k echo {#}
		// ::: 1 2 ::: 1 2 prints 1 2 3 4).
		{[]string{"echo", "{#}"}, "in", []string{"echo", "7"}},
		// One pass: placeholders the input brings in are not expanded.
		{[]string{"echo", "{}{#}"}, "{#}{}", []string{"echo", "{#}{}7"}},
		// rush #25 and #68: braces that are not exactly {} or {#} are the
		// command's own ("{ echo", "{A}", a regex's "{12}"), left alone.
		{[]string{"grep", "-E", ".{12}", "{A}"}, "f", []string{"grep", "-E", ".{12}", "{A}", "f"}},
		// A leading dash stays an argument of the command's; fanout never
		// parses it (xargs users meet this as sharkdp/fd #760).
		{[]string{"rm", "--", "{}"}, "-rf", []string{"rm", "--", "-rf"}},
	} {
		got, err := mustNew(t, false, c.words...).Argv(job(c.input, 7))
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("Argv(%q) of %q = %q, %v; want %q", c.input, c.words, got, err, c.want)
		}
	}
}

// hostile inputs: shell syntax, quotes of both kinds, a newline-free
// command substitution, a leading dash, runs of spaces.
var hostile = []string{
	"x; touch PWNED",
	"$(touch PWNED)",
	"`touch PWNED`",
	`it's "quoted" \ back`,
	"'; touch PWNED; '",
	`"; touch PWNED; "`,
	"-n  two  spaces",
	"{}",
}

// The tutorial runs f"ping {host}" through a shell: any input is code. With
// --shell, fanout passes the input as $1 and quotes each {} for where it
// stands, so the same inputs are data in every quoting context (rush #35
// and #64: an input with a quote broke `echo '{}'` and ran a command).
func TestShellInputIsNeverCode(t *testing.T) {
	dir := t.TempDir()
	for _, script := range []string{
		`printf '%s\n' {}`,
		`printf '%s\n' '{}'`,
		`printf '%s\n' "{}"`,
		`printf '%s\n' "<{}>" '<{}>' \<{}\>`,
		`printf '%s\n' "$1"`, // the input is $1
	} {
		tmpl := mustNew(t, true, "cd", dir, "&&", script)
		for _, in := range hostile {
			r := tmpl.Run(context.Background(), job(in, 1), Options{})
			if !r.OK() {
				t.Fatalf("%s with %q: %v, exit %d, stderr %q", script, in, r.Err, r.ExitCode, r.Stderr)
			}
			var want string
			switch {
			case strings.Contains(script, "<{}>"):
				want = strings.Repeat("<"+in+">\n", 3)
			default:
				want = in + "\n"
			}
			if string(r.Stdout) != want {
				t.Errorf("%s with %q printed %q, want %q", script, in, r.Stdout, want)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "PWNED")); err == nil {
		t.Fatal("an input ran as shell code: PWNED exists")
	}
}

func TestShellLineNumber(t *testing.T) {
	r := mustNew(t, true, "echo", "{#}:{}").Run(context.Background(), job("a b", 42), Options{})
	if string(r.Stdout) != "42:a b\n" {
		t.Fatalf("got %q", r.Stdout)
	}
}

// Without --shell there is no shell at all: the hostile inputs reach the
// program as one argument each, byte for byte.
func TestNoShellArgumentIsVerbatim(t *testing.T) {
	tmpl := mustNew(t, false, "printf", "[%s]")
	for _, in := range hostile {
		r := tmpl.Run(context.Background(), job(in, 1), Options{})
		if !r.OK() || string(r.Stdout) != "["+in+"]" {
			t.Errorf("input %q: %v printed %q", in, r.Err, r.Stdout)
		}
	}
}

func TestNotFound(t *testing.T) {
	if _, err := New([]string{"fanout-no-such-program"}, false, 1); !errors.Is(err, ErrNotFound) {
		t.Fatalf("New: %v, want ErrNotFound", err)
	}
	// The program comes from the input: one clear error per job, status
	// 127 as in sh, and no retries (it will not appear on its own).
	tmpl := mustNew(t, false, "{}", "arg")
	r := tmpl.Run(context.Background(), job("fanout-no-such-program", 1), Options{Retries: 3})
	if !errors.Is(r.Err, ErrNotFound) || r.ExitCode != 127 || r.Attempts != 1 {
		t.Fatalf("err %v, exit %d, attempts %d", r.Err, r.ExitCode, r.Attempts)
	}
}

func TestRetries(t *testing.T) {
	count := filepath.Join(t.TempDir(), "count")
	// Fails on the first two attempts, succeeds on the third.
	tmpl := mustNew(t, true, `echo x >> "`+count+`"; [ $(wc -l < "`+count+`") -ge 3 ] || { echo fail >&2; exit 3; }; echo ok`)
	r := tmpl.Run(context.Background(), job("in", 1), Options{Retries: 5})
	if !r.OK() || r.Attempts != 3 || string(r.Stdout) != "ok\n" || len(r.Stderr) != 0 {
		t.Fatalf("attempts %d, exit %d, stdout %q, stderr %q: want the third attempt's output only", r.Attempts, r.ExitCode, r.Stdout, r.Stderr)
	}
	r = mustNew(t, false, "false").Run(context.Background(), job("in", 1), Options{Retries: 2})
	if r.OK() || r.Attempts != 3 || r.ExitCode != 1 {
		t.Fatalf("false: attempts %d exit %d", r.Attempts, r.ExitCode)
	}
	// A timeout is a failure like another, even when the command catches
	// SIGTERM and exits with a status of its own.
	r = mustNew(t, true, `: {}; trap "exit 143" TERM; sleep 30 & wait`).Run(context.Background(), job("in", 1),
		Options{Retries: 1, Timeout: 200 * time.Millisecond, Grace: 200 * time.Millisecond})
	if r.OK() || !r.TimedOut || r.Attempts != 2 || r.ExitCode != 143 {
		t.Fatalf("timeout: attempts %d, timed out %v, exit %d", r.Attempts, r.TimedOut, r.ExitCode)
	}
}

// grandchildScript starts a sleep that ignores SIGTERM (as a busy or
// careless program might) and outlives its parent unless its whole group
// is killed, writes its pid to pidFile, and waits.
func grandchildScript(pidFile string) string {
	return `: {}; trap "" TERM; sleep 300 & echo $! > "` + pidFile + `"; wait`
}

// runWithin runs tmpl and fails if it has not returned within a minute
// (a generous bound: the jobs here take under a second, or 300 s when
// broken).
func runWithin(t *testing.T, tmpl *Template, o Options) Result {
	t.Helper()
	done := make(chan Result, 1)
	go func() { done <- tmpl.Run(context.Background(), job("in", 1), o) }()
	select {
	case r := <-done:
		return r
	case <-time.After(time.Minute):
		t.Fatal("the job still runs a minute after its timeout: its process group was not killed")
		return Result{}
	}
}

// rush #66 (fixed in rush #69): a timeout killed the command but not the
// processes it started, so they ran on. Here the timeout kills the job's
// process group: SIGTERM, then SIGKILL for what ignores it.
func TestTimeoutKillsGrandchildren(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	tmpl := mustNew(t, true, grandchildScript(pidFile))
	r := runWithin(t, tmpl, Options{Timeout: 300 * time.Millisecond, Grace: 200 * time.Millisecond})
	if !r.TimedOut || r.Err == nil || r.OK() || r.Signal == "" {
		t.Fatalf("timed out %v, err %v, signal %q, exit %d", r.TimedOut, r.Err, r.Signal, r.ExitCode)
	}
	proctest.WaitGone(t, proctest.ReadPid(t, pidFile))
}

// golang/go #60309 (and its snip, tuios, docker-agent cousins): a command
// that leaves a child running in the background with the output pipe open
// made os/exec's Wait, and the job, last as long as the child. Output goes
// to files, so the job ends when its command does; the background child is
// left alone, as a shell leaves it.
func TestBackgroundChildDoesNotHoldTheJob(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	tmpl := mustNew(t, true, `: {}; sleep 300 & echo $! > "`+pidFile+`"; echo started`)
	r := runWithin(t, tmpl, Options{})
	if !r.OK() || string(r.Stdout) != "started\n" || r.TimedOut {
		t.Fatalf("exit %d, err %v, stdout %q", r.ExitCode, r.Err, r.Stdout)
	}
	if pid := proctest.ReadPid(t, pidFile); proctest.Gone(pid) {
		t.Fatal("the background child was killed: only a timeout or an interrupt kills a job's group")
	}
	// A background child writing after its job ended never lands in the
	// next job's output: files the group can still write to are not reused.
	tmpl = mustNew(t, true, `if [ {} = bg ]; then (sleep 0.3; echo late) & echo started; else sleep 1; echo next; fi`)
	if r := tmpl.Run(context.Background(), job("bg", 1), Options{}); string(r.Stdout) != "started\n" {
		t.Fatalf("first job printed %q", r.Stdout)
	}
	r = tmpl.Run(context.Background(), job("x", 2), Options{})
	if string(r.Stdout) != "next\n" {
		t.Fatalf("next job printed %q: another job's late output leaked in", r.Stdout)
	}
}

// rush #17 (Ctrl-C handling, rush #18): an interrupt must stop the jobs'
// children too. Cancelling the context is fanout's Ctrl-C.
func TestCancelKillsGrandchildren(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	tmpl := mustNew(t, true, grandchildScript(pidFile))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan Result)
	go func() { done <- tmpl.Run(ctx, job("in", 1), Options{Grace: 200 * time.Millisecond, Retries: 3}) }()
	pid := proctest.ReadPid(t, pidFile)
	cancel()
	r := <-done
	if r.Err == nil || !errors.Is(r.Err, context.Canceled) || r.Attempts != 1 {
		t.Fatalf("err %v, attempts %d: want interrupted, no retry", r.Err, r.Attempts)
	}
	proctest.WaitGone(t, pid)
}

// puppetlabs/r10k #265: a command writing more than a pipe holds (64 KiB)
// deadlocks a runner that waits before reading. Output goes to files, read
// once at the end; past MaxOutput it is counted, not kept.
func TestHugeOutputNoDeadlockAndCap(t *testing.T) {
	const size = 4 << 20
	tmpl := mustNew(t, true, ": {}; head -c "+strconv.Itoa(size)+" /dev/zero; head -c "+strconv.Itoa(size)+" /dev/zero >&2")
	r := tmpl.Run(context.Background(), job("", 1), Options{MaxOutput: 100 << 10})
	if !r.OK() || len(r.Stdout) != 100<<10 || r.StdoutCut != size-100<<10 || len(r.Stderr) != 100<<10 || r.StderrCut != size-100<<10 {
		t.Fatalf("exit %d: stdout %d kept %d cut, stderr %d kept %d cut", r.ExitCode, len(r.Stdout), r.StdoutCut, len(r.Stderr), r.StderrCut)
	}
	// The same files, reused, start empty for the next job.
	r = tmpl.Run(context.Background(), job("", 1), Options{})
	if len(r.Stdout) != size || r.StdoutCut != 0 || len(r.Stderr) != size {
		t.Fatalf("no limit: kept %d, cut %d", len(r.Stdout), r.StdoutCut)
	}
	r = mustNew(t, true, ": {}; echo small").Run(context.Background(), job("", 1), Options{})
	if string(r.Stdout) != "small\n" {
		t.Fatalf("after a huge job: %q", r.Stdout)
	}
}

func TestCapWriter(t *testing.T) {
	w := &capWriter{max: 5}
	for _, s := range []string{"ab", "cdef", "gh"} {
		if n, err := w.Write([]byte(s)); n != len(s) || err != nil {
			t.Fatalf("Write: %d, %v", n, err)
		}
	}
	if string(w.buf) != "abcde" || w.dropped != 3 {
		t.Fatalf("kept %q, dropped %d", w.buf, w.dropped)
	}
	w = &capWriter{max: 5}
	if n, err := w.ReadFrom(strings.NewReader("abcdefgh")); n != 8 || err != nil || string(w.buf) != "abcde" || w.dropped != 3 {
		t.Fatalf("ReadFrom: %d, %v, kept %q, dropped %d", n, err, w.buf, w.dropped)
	}
}

// A job's stdin is /dev/null: `cat` ends at once instead of reading the
// input list fanout itself reads from its stdin.
func TestStdinIsDevNull(t *testing.T) {
	r := mustNew(t, true, ": {}; cat; echo done").Run(context.Background(), job("", 1), Options{Timeout: 10 * time.Second})
	if !r.OK() || string(r.Stdout) != "done\n" {
		t.Fatalf("%v %q", r.Err, r.Stdout)
	}
}

func TestKilledBySignal(t *testing.T) {
	r := mustNew(t, true, "kill -KILL $$").Run(context.Background(), job("", 1), Options{})
	if r.OK() || r.Signal != "SIGKILL" || r.ExitCode != -1 || r.Err != nil {
		t.Fatalf("signal %q exit %d err %v", r.Signal, r.ExitCode, r.Err)
	}
}

// An exit status of the command's own is reported as it is, not as an error.
func TestExitStatus(t *testing.T) {
	r := mustNew(t, true, "echo out; echo err >&2; exit 3").Run(context.Background(), job("", 1), Options{})
	if r.ExitCode != 3 || r.Err != nil || string(r.Stdout) != "out\n" || string(r.Stderr) != "err\n" || r.Attempts != 1 {
		t.Fatalf("%+v", r)
	}
}

// Without a usable $TMPDIR, output goes through pipes: same results, cap
// included, and still no deadlock on output larger than a pipe holds.
func TestPipesFallback(t *testing.T) {
	t.Setenv("TMPDIR", filepath.Join(t.TempDir(), "missing"))
	tmpl := mustNew(t, true, ": {}; head -c 1000000 /dev/zero; echo err >&2; exit 4")
	r := tmpl.Run(context.Background(), job("", 1), Options{MaxOutput: 1000})
	if r.ExitCode != 4 || len(r.Stdout) != 1000 || r.StdoutCut != 999000 || string(r.Stderr) != "err\n" {
		t.Fatalf("exit %d, stdout %d kept %d cut, stderr %q", r.ExitCode, len(r.Stdout), r.StdoutCut, r.Stderr)
	}
	if !tmpl.files.failed {
		t.Fatal("temporary files were used: the test did not test pipes")
	}
}
