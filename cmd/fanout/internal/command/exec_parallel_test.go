package command

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// peer runs another tool (parallel, xargs, fping) when it is installed and
// returns its stdout; ok is false when it is not installed, and the test
// then checks fanout against its own expectations only (CI installs the
// peers).
func peer(t *testing.T, stdin, name string, args ...string) (string, bool) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Logf("%s is not installed: no cross-check against it", name)
		return "", false
	}
	cmd := exec.Command(name, args...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %q: %v", name, args, err)
	}
	return string(out), true
}

// parallelArgs is GNU parallel's command line for the same job: -k for
// input order, -q to pass the command's words as they are (parallel runs
// them through a shell otherwise), --will-cite to keep its notice out of
// the output.
func parallelArgs(args ...string) []string {
	return append([]string{"--will-cite", "-k", "-q"}, args...)
}

// Issue 15: {.} {/} {//} {/.} printed literally. Each now means what it
// means in GNU parallel, cross-checked against parallel itself: the same
// command line gives the same output, edge cases included (a trailing
// slash, a dotfile, "foo.", "/", "", doubled slashes; mmstick/parallel #4
// got the basename of a path with a trailing slash wrong).
func TestExecPlaceholdersMatchParallel(t *testing.T) {
	t.Parallel()
	inputs := []string{"foo.jpg", "sub.dir/foo.jpg", "sub.dir/bar", "a/b/", ".bashrc", "a/.x", "foo.", "foo.tar.gz",
		"/", "", "a//b", "//a", "with space/x y.txt", "it's/q\"uote.d"}
	cmd := []string{"printf", "%s|", "{}", "{.}", "{/}", "{//}", "{/.}", "{#};"}
	args := append(append([]string{"exec", "-k", "-q", "--"}, cmd...), ":::")
	out, stderr, code := run(t, context.Background(), "", append(args, inputs...)...)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	jobs := strings.Split(strings.TrimSuffix(out, ";|"), ";|")
	if len(jobs) != len(inputs) {
		t.Fatalf("%d jobs' output for %d inputs:\n%s", len(jobs), len(inputs), out)
	}
	// The man page's own examples.
	if jobs[1] != "sub.dir/foo.jpg|sub.dir/foo|foo.jpg|sub.dir|foo|2" || jobs[2] != "sub.dir/bar|sub.dir/bar|bar|sub.dir|bar|3" {
		t.Errorf("man page examples: %q, %q", jobs[1], jobs[2])
	}
	if want, ok := peer(t, "", "parallel", parallelArgs(append(append(cmd, ":::"), inputs...)...)...); ok && want != out {
		t.Errorf("fanout:\n%s\nparallel:\n%s", out, want)
	}
}

// Issue 15: `fanout exec -- echo {} ::: a b c` ran nothing. ::: lists
// combine as in GNU parallel (every combination, the last varying fastest,
// {1} {2} for each list's value), :::: FILE reads a list from a file, and
// a record names its inputs shell-quoted.
func TestExecInputSourcesCombineAsParallel(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "list")
	if err := os.WriteFile(file, []byte("x\ny z\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		cmd     []string
		sources []string
		want    string
	}{
		{[]string{"printf", "[%s]"}, []string{":::", "a", "b c", ""}, "[a][b c][]"},
		{[]string{"printf", "[%s]", "{1}-{2}", "{}"}, []string{":::", "a", "b", ":::", "1", "2"},
			"[a-1][a][1][a-2][a][2][b-1][b][1][b-2][b][2]"},
		{[]string{"printf", "[%s]", "{2}", "{1}", "{3}"}, []string{":::", "1", ":::", "p", "q", "::::", file},
			"[p][1][x][p][1][y z][q][1][x][q][1][y z]"},
	} {
		args := append(append([]string{"exec", "-k", "-q", "--"}, c.cmd...), c.sources...)
		out, stderr, code := run(t, context.Background(), "", args...)
		if code != ExitOK || out != c.want {
			t.Errorf("%q: exit %d, out %q, want %q; stderr %q", args, code, out, c.want, stderr)
		}
		if want, ok := peer(t, "", "parallel", parallelArgs(append(c.cmd, c.sources...)...)...); ok && want != out {
			t.Errorf("%q: fanout %q, parallel %q", args, out, want)
		}
	}
	out, _, _ := run(t, context.Background(), "", "exec", "-k", "-q", "--json", "--", "true", ":::", "a b", ":::", "c")
	if r := jsonLines[execRecord](t, out); len(r) != 1 || r[0].Input != "'a b' c" || r[0].Line != 1 {
		t.Errorf("records %+v: want the input named shell-quoted", r)
	}
}

// -n N: up to N inputs per command. Without {} they are appended, as
// xargs -n N does (same output); an argument holding {} is repeated per
// input, as GNU parallel's -X does (same output; parallel's bare -n acts
// as -m there). rust-parallel #84 asked for exactly this.
func TestExecMaxArgsMatchesXargsAndParallelX(t *testing.T) {
	t.Parallel()
	stdin := "a\nb c\nd\ne\nf\n"
	count := []string{"sh", "-c", `printf "%s:" "$#"; printf "[%s]" "$@"; echo`, "sh"}
	out, stderr, code := run(t, context.Background(), stdin, append([]string{"exec", "-k", "-q", "-n", "2", "--"}, count...)...)
	if code != ExitOK || out != "2:[a][b c]\n2:[d][e]\n1:[f]\n" {
		t.Fatalf("appended: exit %d, out %q: %s", code, out, stderr)
	}
	if got, ok := peer(t, stdin, "xargs", append([]string{"-d", `\n`, "-n", "2"}, count...)...); ok && got != out {
		t.Errorf("fanout %q, xargs -n 2 %q", out, got)
	}
	cmd := []string{"printf", "[%s]", "x{}y", "{.}.png"}
	inputs := []string{":::", "a.jpg", "b c.jpg", "d"}
	out, _, _ = run(t, context.Background(), "", append(append([]string{"exec", "-k", "-q", "-n", "2", "--"}, cmd...), inputs...)...)
	if want := "[xa.jpgy][xb c.jpgy][a.png][b c.png][xdy][d.png]"; out != want {
		t.Errorf("-X: %q, want %q", out, want)
	}
	if got, ok := peer(t, "", "parallel", parallelArgs(append(append([]string{"-j1", "-X", "-n", "2"}, cmd...), inputs...)...)...); ok && got != out {
		t.Errorf("fanout %q, parallel -X %q", out, got)
	}
	// {1} {2}: the inputs by position, empty past the last (parallel -N).
	out, _, _ = run(t, context.Background(), "", "exec", "-k", "-q", "-n", "2", "--", "printf", "[%s]", "{2}-{1}", ":::", "a", "b", "c")
	if out != "[b-a][-c]" {
		t.Errorf("{1} {2}: %q", out)
	}
}

// {%} is the job slot: 1..-j, never shared by two running jobs; -j 0 runs
// as many jobs at once as there are inputs (GNU parallel's -j 0).
func TestExecJobSlots(t *testing.T) {
	t.Parallel()
	slots := func(args ...string) []int {
		t.Helper()
		args = append([]string{"exec", "-q", "--shell"}, args...)
		out, stderr, code := run(t, context.Background(), "", args...)
		if code != ExitOK {
			t.Fatalf("%q: exit %d: %s", args, code, stderr)
		}
		var got []int
		for _, f := range strings.Fields(out) {
			n, err := strconv.Atoi(f)
			if err != nil {
				t.Fatalf("%q printed %q", args, out)
			}
			got = append(got, n)
		}
		slices.Sort(got)
		return got
	}
	// Every job waits until all five have started: only five slots at
	// once can let them all through.
	dir := t.TempDir()
	script := `touch "` + dir + `/{}"; while [ $(ls "` + dir + `" | wc -l) -lt 5 ]; do sleep 0.01; done; echo {%}`
	if got := slots("-j", "0", "--timeout", "60", "--", script, ":::", "a", "b", "c", "d", "e"); !slices.Equal(got, []int{1, 2, 3, 4, 5}) {
		t.Errorf("-j 0 with 5 inputs: slots %v, want 1..5 once each", got)
	}
	got := slots("-j", "2", "--", ": {}; echo {%}", ":::", "a", "b", "c", "d", "e", "f")
	if len(got) != 6 || got[0] != 1 || got[5] != 2 {
		t.Errorf("-j 2: slots %v, want only 1 and 2", got)
	}
}

// -k is --ordered (GNU parallel's --keep-order).
func TestExecKeepOrder(t *testing.T) {
	t.Parallel()
	out, _, code := run(t, context.Background(), "", "exec", "-q", "-w", "4", "-k", "--shell", "--", "sleep 0.0{}; echo {}", ":::", "4", "3", "2", "1")
	if code != ExitOK || out != "4\n3\n2\n1\n" {
		t.Fatalf("exit %d, out %q", code, out)
	}
}

// --dry-run prints each command, quoted for sh, in input order, and runs
// nothing; each printed line, run by sh, does what the job would.
func TestExecDryRun(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	inputs := []string{"a b", "it's", "$(touch " + filepath.Join(dir, "PWNED") + ")", "-n"}
	args := []string{"exec", "--dry-run", "-w", "4", "--", "printf", "[%s]", "{}", "{.}", filepath.Join(dir, "{#}"), ":::"}
	out, stderr, code := run(t, context.Background(), "", append(args, inputs...)...)
	if code != ExitOK || !strings.Contains(stderr, "4 commands printed") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != len(inputs) {
		t.Fatalf("%d lines: %q", len(lines), out)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("--dry-run ran something: %v", entries)
	}
	for i, line := range lines {
		got, err := exec.Command("sh", "-c", line).Output()
		want := "[" + inputs[i] + "][" + inputs[i] + "][" + filepath.Join(dir, strconv.Itoa(i+1)) + "]"
		if i == 0 {
			want = "[a b][a b][" + filepath.Join(dir, "1") + "]"
		}
		if err != nil || string(got) != want {
			t.Errorf("line %q run by sh: %q, %v; want %q", line, got, err, want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "PWNED")); err == nil {
		t.Fatal("the quoted command ran an input as code")
	}
	if _, _, code := run(t, context.Background(), "", "exec", "--dry-run", "--resume", filepath.Join(dir, "j"), "--", "true", ":::", "a"); code != ExitUsage {
		t.Errorf("--dry-run --resume: exit %d, want 2", code)
	}
}

// Issue 15: an input over 64 KiB was refused, even from --arg, though
// Linux takes 128 KiB per argument and xargs passes a 120 KB line. Up to
// 131071 bytes reach the job whole, from stdin and --arg alike; one byte
// more is an error record naming MAX_ARG_STRLEN, and the job never runs
// (nothing is cut); a command line over ARG_MAX (here with the stack limit
// lowered to 512 KiB, so 128 KiB) fails its job naming ARG_MAX (fd #410).
func TestExecLongArguments(t *testing.T) {
	t.Parallel()
	const maxArg = 128<<10 - 1
	long := strings.Repeat("x", 120000)
	count := []string{"--", "sh", "-c", `printf %s "$1" | wc -c`, "sh"}
	out, stderr, code := run(t, context.Background(), long+"\n", append([]string{"exec", "-q"}, count...)...)
	if code != ExitOK || strings.TrimSpace(out) != "120000" {
		t.Fatalf("120 KB on stdin: exit %d, out %q, stderr %.200s", code, out, stderr)
	}
	if got, ok := peer(t, long+"\n", "xargs", "-d", `\n`, "-n", "1", "sh", "-c", `printf %s "$1" | wc -c`, "sh"); ok && got != out {
		t.Errorf("fanout %q, xargs %q", out, got)
	}
	out, _, code = run(t, context.Background(), "", append([]string{"exec", "-q", "--arg", strings.Repeat("y", maxArg)}, count...)...)
	if code != ExitOK || strings.TrimSpace(out) != strconv.Itoa(maxArg) {
		t.Fatalf("--arg of %d bytes: exit %d, out %q", maxArg, code, out)
	}
	dir := t.TempDir()
	stdin := strings.Repeat("z", maxArg+1) + "\nshort\n"
	out, stderr, code = run(t, context.Background(), stdin, "exec", "-k", "--json", "--", "sh", "-c", `touch "`+dir+`/$1.ran"; echo ran`, "sh")
	recs := jsonLines[execRecord](t, out)
	if code != ExitSome || len(recs) != 2 || !strings.Contains(recs[0].Error, "longer than 131071 bytes") ||
		!strings.Contains(recs[0].Error, "MAX_ARG_STRLEN") || recs[1].Stdout != "ran\n" {
		t.Fatalf("exit %d, records %+v, stderr %q", code, recs, stderr)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("files %v: want only short.ran", entries)
	}

	// ARG_MAX: two inputs of 100 KB in one command, the stack limit at
	// 512 KiB (ARG_MAX 128 KiB); fanout's own command line stays small.
	file := filepath.Join(dir, "two")
	os.WriteFile(file, []byte(strings.Repeat("a", 100000)+"\n"+strings.Repeat("b", 100000)+"\n"), 0o644)
	cmd := exec.Command("sh", "-c", `ulimit -s 512 && exec "$0" "$@"`, buildFanout(t), "exec", "-n", "2", "--json", "--", "true", "::::", file)
	b, err := cmd.Output()
	recs = jsonLines[execRecord](t, string(b))
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != ExitSome || len(recs) != 1 || !strings.Contains(recs[0].Error, "ARG_MAX") || recs[0].ExitCode != 126 {
		t.Fatalf("over ARG_MAX: %v, records %+v", err, recs)
	}
}

// Issue 11: `exec --timeout 0.5s -- sh -c 'sleep 100; echo'` took 2 s,
// waiting for PID 1 to reap the killed sleep. The job now ends when its
// processes do, far within --kill-grace.
func TestExecTimeoutEndsOnTime(t *testing.T) {
	t.Parallel()
	start := time.Now()
	out, stderr, code := run(t, context.Background(), "x\n", "exec", "--json", "--timeout", "0.5", "--kill-grace", "30", "--", "sh", "-c", "sleep 100; echo")
	if code != ExitSome {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	r := jsonLines[execRecord](t, out)[0]
	if !r.TimedOut || r.Signal != "SIGTERM" || time.Since(start) > 15*time.Second {
		t.Fatalf("record %+v after %v: want timed out, ended long before the 30 s grace", r, time.Since(start))
	}
}
