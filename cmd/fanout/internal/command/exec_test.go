package command

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fanout-dev/fanout/cmd/fanout/internal/proctest"
)

// The seed tutorial builds f"ping {host}" for a shell: the input is code.
// fanout exec passes it as one argument, and with --shell as "$1": the
// same input is data either way, and PWNED is never created.
func TestExecInputIsNeverCode(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	pwned := filepath.Join(dir, "PWNED")
	inputs := []string{"x; touch " + pwned, "$(touch " + pwned + ")", "`touch " + pwned + "`", "'; touch " + pwned + "; '"}
	stdin := strings.Join(inputs, "\n") + "\n"
	for _, args := range [][]string{
		{"exec", "--ordered", "-q", "--", "echo"},
		{"exec", "--ordered", "-q", "--shell", "--", `echo "$1"`},
		{"exec", "--ordered", "-q", "--shell", "--", "echo", "{}"},
		{"exec", "--ordered", "-q", "--shell", "--", "echo", "'{}'"}, // rush #64: a quote in the input broke echo '{}'
		{"exec", "--ordered", "-q", "--shell", "--", `echo "{}"`},
	} {
		out, stderr, code := run(t, context.Background(), stdin, args...)
		if code != ExitOK || out != stdin {
			t.Errorf("%v: exit %d, printed %q (stderr %q), want the inputs verbatim", args, code, out, stderr)
		}
	}
	if _, err := os.Stat(pwned); err == nil {
		t.Fatal("an input ran as a command: PWNED exists")
	}
}

// Inputs with runs of spaces, quotes of both kinds, backslashes and leading
// dashes arrive as exactly one argument each (xargs splits them on blanks
// and chokes on quotes: "unmatched single quote", uutils/findutils #776;
// fd's users met leading dashes read as options, sharkdp/fd #760), and
// "{}" works inside a longer argument.
func TestExecArgumentsVerbatim(t *testing.T) {
	t.Parallel()
	inputs := []string{"a  b", `it's "q" \n`, "-rf", "--help", "{#}"}
	args := []string{"exec", "-q", "--ordered"}
	for _, in := range inputs {
		args = append(args, "--arg", in)
	}
	args = append(args, "--", "printf", "[%s] [%s] [%s]\n", "--name={}", "{#}", "{}")
	out, stderr, code := run(t, context.Background(), "", args...)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var want string
	for i, in := range inputs {
		want += "[--name=" + in + "] [" + strconv.Itoa(i+1) + "] [" + in + "]\n"
	}
	if out != want {
		t.Fatalf("got\n%s\nwant\n%s", out, want)
	}
}

// rush #63: rush read the command's own flags (-sn) as its own. Flags after
// COMMAND belong to it, with or without "--".
func TestExecFlagsAfterCommandAreItsOwn(t *testing.T) {
	t.Parallel()
	out, stderr, code := run(t, context.Background(), "a\nb\n", "exec", "-q", "-w", "1", "--ordered", "echo", "-n", "{}", "--json")
	if code != ExitOK || out != "a --jsonb --json" {
		t.Fatalf("exit %d, out %q, stderr %q", code, out, stderr)
	}
}

// rush #7 (lines broken and mixed between jobs) and rush #38 (which output
// belongs to which input?): each job's output is printed whole, and --tag
// names the input on every line.
func TestExecOutputNeverInterleaves(t *testing.T) {
	t.Parallel()
	var stdin strings.Builder
	for i := range 40 {
		stdin.WriteString(strconv.Itoa(i) + "\n")
	}
	// Each job writes three lines with pauses between: run together
	// unbuffered, they would interleave.
	script := `for k in 1 2 3; do echo "$1 line $k"; sleep 0.01; done; echo "$1 err" >&2`
	out, stderr, code := run(t, context.Background(), stdin.String(), "exec", "-w", "8", "--tag", "--", "sh", "-c", script, "sh")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 120 {
		t.Fatalf("%d lines, want 120", len(lines))
	}
	seen := map[string]bool{}
	for i := 0; i < len(lines); i += 3 {
		in, _, _ := strings.Cut(lines[i], "\t")
		for k := range 3 {
			if want := in + "\t" + in + " line " + strconv.Itoa(k+1); lines[i+k] != want {
				t.Fatalf("line %d = %q, want %q: a job's output was split", i+k, lines[i+k], want)
			}
		}
		seen[in] = true
	}
	if len(seen) != 40 {
		t.Fatalf("%d jobs' output, want 40", len(seen))
	}
	// Job stderr goes to stderr, tagged too, never to stdout.
	if strings.Contains(out, " err") || strings.Count(stderr, " err\n") != 40 || !strings.Contains(stderr, "7\t7 err\n") {
		t.Fatalf("stderr not kept apart: stdout has err: %v; stderr %q", strings.Contains(out, " err"), stderr)
	}
}

func TestExecOrdered(t *testing.T) {
	t.Parallel()
	// Later inputs finish sooner: input order must come from --ordered.
	out, _, code := run(t, context.Background(), "5\n4\n3\n2\n1\n0\n", "exec", "-q", "-w", "6", "--ordered", "--shell", "--", "sleep 0.0{}; echo {}")
	if code != ExitOK || out != "5\n4\n3\n2\n1\n0\n" {
		t.Fatalf("exit %d, out %q", code, out)
	}
}

// rush #29: the exit status must say whether any job failed; the summary
// says how many.
func TestExecExitStatusAndSummary(t *testing.T) {
	t.Parallel()
	_, stderr, code := run(t, context.Background(), "0\n3\n0\n1\n", "exec", "--", "sh", "-c", "exit $1", "sh")
	if code != ExitSome || !strings.Contains(stderr, "4 jobs: 2 succeeded, 2 failed") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	// The failed jobs are named, not only counted.
	if !strings.Contains(stderr, "fanout: exec 3: exit status 3\n") || !strings.Contains(stderr, "fanout: exec 1: exit status 1\n") {
		t.Errorf("failed jobs not named: %q", stderr)
	}
	_, stderr, code = run(t, context.Background(), "0\n0\n", "exec", "--", "sh", "-c", "exit $1", "sh")
	if code != ExitOK || !strings.Contains(stderr, "2 jobs: 2 succeeded") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}

func TestExecJSONAndCSV(t *testing.T) {
	t.Parallel()
	out, _, code := run(t, context.Background(), "a\nb\n", "exec", "--json", "--ordered", "-q", "--shell", "--",
		`printf 'out %s' {}; echo "err {}" >&2; [ {} = a ]`)
	if code != ExitSome {
		t.Fatalf("exit %d", code)
	}
	recs := jsonLines[execRecord](t, out)
	if len(recs) != 2 {
		t.Fatalf("%d records", len(recs))
	}
	a, b := recs[0], recs[1]
	if a.Input != "a" || a.Line != 1 || a.ExitCode != 0 || a.Stdout != "out a" || a.Stderr != "err a\n" || a.Attempts != 1 || a.Error != "" || a.DurationMS <= 0 {
		t.Errorf("first record %+v", a)
	}
	if b.Input != "b" || b.Line != 2 || b.ExitCode != 1 {
		t.Errorf("second record %+v", b)
	}
	// The record has the fields the spec names, by those names.
	var raw map[string]any
	json.Unmarshal([]byte(strings.SplitN(out, "\n", 2)[0]), &raw)
	for _, k := range []string{"input", "line", "exit_code", "duration_ms", "stdout", "stderr"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("JSON lacks %q: %v", k, raw)
		}
	}
	out, _, _ = run(t, context.Background(), "a\n", "exec", "--csv", "-q", "--", "printf", "x\ny,z%s")
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(rows) != 2 || rows[0][0] != "input" || rows[1][0] != "a" || rows[1][6] != "x\ny,za" {
		t.Fatalf("CSV %q: %v", out, err)
	}
}

// puppetlabs/r10k #265: more output than a pipe holds deadlocked a runner
// that waited before reading. Megabytes per job come through whole, and
// --max-output caps what is kept, saying so.
func TestExecHugeOutput(t *testing.T) {
	t.Parallel()
	const size = 3 << 20
	script := ": {}; head -c " + strconv.Itoa(size) + " /dev/zero | tr '\\0' x"
	out, stderr, code := run(t, context.Background(), "1\n2\n3\n", "exec", "-q", "-w", "3", "--shell", "--", script)
	if code != ExitOK || len(out) != 3*size || strings.Trim(out, "x") != "" {
		t.Fatalf("exit %d, %d bytes out, want %d; stderr %q", code, len(out), 3*size, stderr)
	}
	out, stderr, code = run(t, context.Background(), "1\n", "exec", "-q", "--max-output", "1KiB", "--shell", "--", script)
	if code != ExitOK || len(out) != 1024 || !strings.Contains(stderr, "stdout cut: "+strconv.Itoa(size-1024)+" bytes") {
		t.Fatalf("exit %d, %d bytes out, stderr %q", code, len(out), stderr)
	}
	out, _, _ = run(t, context.Background(), "1\n", "exec", "-q", "--json", "--max-output", "1KiB", "--shell", "--", script)
	if r := jsonLines[execRecord](t, out)[0]; len(r.Stdout) != 1024 || r.StdoutCut != size-1024 {
		t.Fatalf("JSON kept %d bytes, cut %d", len(r.Stdout), r.StdoutCut)
	}
}

// A job's stdin is /dev/null, not fanout's: `cat` in a job cannot swallow
// the rest of the input list.
func TestExecJobsDoNotReadTheInputList(t *testing.T) {
	t.Parallel()
	out, _, code := run(t, context.Background(), "a\nb\nc\n", "exec", "-q", "-w", "1", "--ordered", "--shell", "--", "cat; echo {}")
	if code != ExitOK || out != "a\nb\nc\n" {
		t.Fatalf("exit %d, out %q", code, out)
	}
}

// COMMAND not in PATH is one usage error before anything runs (each job
// would fail the same way); a program named by the input is one error per
// job, status 127 as in the shell.
func TestExecCommandNotFound(t *testing.T) {
	t.Parallel()
	out, stderr, code := run(t, context.Background(), "a\nb\n", "exec", "--", "fanout-no-such-command", "{}")
	if code != ExitUsage || out != "" || strings.Count(stderr, "fanout-no-such-command") != 1 {
		t.Fatalf("exit %d, out %q, stderr %q", code, out, stderr)
	}
	out, stderr, code = run(t, context.Background(), "fanout-no-such-a\nfanout-no-such-b\n", "exec", "--json", "--", "{}", "x")
	if code != ExitSome {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, r := range jsonLines[execRecord](t, out) {
		if r.ExitCode != 127 || !strings.Contains(r.Error, "not found") {
			t.Errorf("record %+v: want status 127 and a not-found error", r)
		}
	}
	_, stderr, code = run(t, context.Background(), "fanout-no-such-a\n", "exec", "--", "{}")
	if code != ExitSome || !strings.Contains(stderr, "fanout: exec fanout-no-such-a: ") || !strings.Contains(stderr, "not found") {
		t.Fatalf("text: exit %d, stderr %q", code, stderr)
	}
}

func TestExecUsageErrors(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"exec"},
		{"exec", "--"},
		{"exec", "-w", "0", "true"},
		{"exec", "--retries", "-1", "true"},
		{"exec", "--max-output", "lots", "true"},
		{"exec", "--json", "--csv", "true"},
		{"exec", "--joblog", "/no/such/dir/log", "true"},
		{"exec", "--bogus", "true"},
		{"exec", "-j", "-1", "true"},
		{"exec", "-n", "0", "true"},
		{"exec", "-n", "2", "true", ":::", "a", ":::", "b"}, // -n takes one list
		{"exec", "--arg", "x", "true", ":::", "a"},          // two kinds of inputs
		{"exec", "true", ":::"},                             // an empty list
		{"exec", ":::", "a"},                                // no command
		{"exec", "true", "::::", "/no/such/file"},
		{"exec", "true", "::::", "-", "::::", "-"},
		{"exec", "--dry-run", "--json", "true", ":::", "a"},
	} {
		_, stderr, code := run(t, context.Background(), "a\n", args...)
		if code != ExitUsage || stderr == "" {
			t.Errorf("%v: exit %d, stderr %q; want 2 and a message", args, code, stderr)
		}
	}
}

func TestExecRetriesAndJoblog(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	log := filepath.Join(dir, "jobs.jsonl")
	// Input "ok" succeeds; "flaky" fails twice, then succeeds; "bad" always fails.
	script := `n=$(cat "` + dir + `/$1" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "` + dir + `/$1"
case $1 in ok) exit 0;; flaky) [ $n -ge 3 ];; *) exit 5;; esac`
	_, stderr, code := run(t, context.Background(), "ok\nflaky\nbad\n", "exec", "--retries", "2", "--joblog", log, "--", "sh", "-c", script, "sh")
	if code != ExitSome || !strings.Contains(stderr, "1 failed") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	// A second run appends.
	run(t, context.Background(), "again\n", "exec", "--joblog", log, "--", "true")
	f, err := os.Open(log)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got := map[string]joblogLine{}
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		n++
		var l joblogLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("joblog line %q: %v", sc.Text(), err)
		}
		if _, err := time.Parse(time.RFC3339Nano, l.Start); err != nil {
			t.Errorf("start %q: %v", l.Start, err)
		}
		got[l.Input] = l
	}
	if n != 4 {
		t.Fatalf("%d joblog lines, want 4 (3 jobs, then 1 appended)", n)
	}
	want := map[string][2]int{"ok": {0, 1}, "flaky": {0, 3}, "bad": {5, 3}, "again": {0, 1}}
	for in, w := range want {
		if l := got[in]; l.ExitCode != w[0] || l.Attempts != w[1] || l.Line == 0 {
			t.Errorf("%s: %+v, want exit %d after %d attempts", in, l, w[0], w[1])
		}
	}
}

// --halt stops at the first failure: its record is the last, a job already
// running is killed (its record dropped), and nothing else starts.
func TestExecHalt(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// 1 succeeds, 2 fails, 3 would finish (and leave 3.done) after 30 s.
	out, _, code := run(t, context.Background(), "1\n2\n3\n4\n", "exec", "-q", "-w", "1", "--halt", "--kill-grace", "200ms", "--shell", "--",
		`touch "`+dir+`/{}"; echo {}; [ {} = 2 ] && exit 1; [ {} = 1 ] || { sleep 30; touch "`+dir+`/{}.done"; }`)
	if code != ExitSome || out != "1\n2\n" {
		t.Fatalf("exit %d, out %q", code, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "3.done")); err == nil {
		t.Error("the job running at the failure was not killed")
	}
	// With one worker, the failure is known before 3 would start: no
	// input is started after a failure, not even by a worker that was
	// already free (runJob's halted flag).
	for _, n := range []string{"3", "4"} {
		if _, err := os.Stat(filepath.Join(dir, n)); err == nil {
			t.Errorf("job %s started after the failure", n)
		}
	}
}

// grandchild is a job that starts a `sleep` ignoring SIGTERM, records its
// pid, and waits: killing only the job's own process would leave the sleep
// running (and holding the output pipe).
func grandchild(pidFile string) string {
	return `trap "" TERM; sleep 300 & echo $! > "` + pidFile + `"; wait`
}

// rush #66 / rush #69: a timeout left the command's children running.
// --timeout kills the job's whole process group, SIGTERM then SIGKILL.
func TestExecTimeoutKillsProcessGroup(t *testing.T) {
	t.Parallel()
	pidFile := filepath.Join(t.TempDir(), "pid")
	out, stderr, code := run(t, context.Background(), "slow\n", "exec", "--json", "--timeout", "500ms", "--kill-grace", "300ms",
		"--", "sh", "-c", grandchild(pidFile), "sh")
	if code != ExitSome {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	r := jsonLines[execRecord](t, out)[0]
	if !r.TimedOut || r.Signal == "" || !strings.Contains(r.Error, "timed out") {
		t.Fatalf("record %+v: want timed out and killed", r)
	}
	proctest.WaitGone(t, proctest.ReadPid(t, pidFile))
}

// rush #17 (fixed by rush #18): Ctrl-C must stop what the jobs started too.
// Jobs run in process groups of their own, so the terminal's SIGINT does not
// reach them: fanout kills each group itself, and exits 130.
func TestExecInterruptKillsProcessGroups(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pids := make(chan []int, 1)
	go func() {
		pids <- []int{proctest.ReadPid(t, filepath.Join(dir, "a")), proctest.ReadPid(t, filepath.Join(dir, "b"))}
		cancel() // SIGINT to fanout, as Ctrl-C
	}()
	_, stderr, code := run(t, ctx, "a\nb\n", "exec", "-w", "2", "--kill-grace", "300ms", "--shell", "--",
		`trap "" TERM; sleep 300 & echo $! > "`+dir+`/{}"; wait`)
	if code != ExitInterrupted {
		t.Fatalf("exit %d, want 130; stderr %q", code, stderr)
	}
	for _, pid := range <-pids {
		proctest.WaitGone(t, pid)
	}
}

func TestExecArgsAndInputFile(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "in.txt")
	os.WriteFile(file, []byte("x\ny\n"), 0o644)
	out, _, code := run(t, context.Background(), "", "exec", "-q", "-i", file, "--", "echo")
	got := strings.Split(strings.TrimSpace(out), "\n")
	slices.Sort(got)
	if code != ExitOK || !slices.Equal(got, []string{"x", "y"}) {
		t.Fatalf("exit %d, out %q", code, out)
	}
	_, stderr, code := run(t, context.Background(), "", "exec", "-i", file, "--arg", "z", "--", "echo")
	if code != ExitUsage {
		t.Fatalf("-i with --arg: exit %d, %q", code, stderr)
	}
}
