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
)

// GNU parallel's {.} {/} {//} {/.}: its --rpl table (`s:\.[^/.]*$::`,
// `s:.*/::`) and Perl's dirname, edge cases included. The expected values
// are what `parallel -k echo {.} {/} {//} {/.} ::: INPUT` printed
// (GNU parallel 20221122); TestExecPlaceholdersMatchParallel checks the
// binary against parallel itself.
func TestModifiers(t *testing.T) {
	for _, c := range []struct{ in, noExt, base, dir, baseNoExt string }{
		{"foo.jpg", "foo", "foo.jpg", ".", "foo"},
		{"sub.dir/foo.jpg", "sub.dir/foo", "foo.jpg", "sub.dir", "foo"}, // the man page's examples
		{"sub.dir/bar", "sub.dir/bar", "bar", "sub.dir", "bar"},
		{"a/b/", "a/b/", "", "a", ""}, // dirname(1) drops the trailing slash first
		{".bashrc", "", ".bashrc", ".", ""},
		{"a/.x", "a/", ".x", "a", ""},
		{"foo.", "foo", "foo.", ".", "foo"},
		{"foo.tar.gz", "foo.tar", "foo.tar.gz", ".", "foo.tar"},
		{"/", "/", "", "/", ""},
		{"", "", "", ".", ""},
		{"a//b", "a//b", "b", "a", "b"},
		{"//a", "//a", "a", "/", "a"},
		{"/b", "/b", "b", "/", "b"},
	} {
		got := []string{modNoExt.apply(c.in), modBase.apply(c.in), modDir.apply(c.in), modBaseNoExt.apply(c.in)}
		want := []string{c.noExt, c.base, c.dir, c.baseNoExt}
		if !slices.Equal(got, want) {
			t.Errorf("%q: {.} {/} {//} {/.} = %q, want %q", c.in, got, want)
		}
	}
}

func TestPlaceholders(t *testing.T) {
	argv := func(words []string, arity int, j Job) []string {
		t.Helper()
		tmpl, err := New(words, false, arity)
		if err != nil {
			t.Fatal(err)
		}
		a, err := tmpl.Argv(j)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	for _, c := range []struct {
		words []string
		arity int
		job   Job
		want  []string
	}{
		{[]string{"echo", "{.}", "{/}", "{//}", "{/.}", "{#}", "{%}"}, 1, Job{Args: []string{"d/f.txt"}, Seq: 7, Slot: 3},
			[]string{"echo", "d/f", "f.txt", "d", "f", "7", "3"}},
		// Issue 21.9: {#} and {%} alone append nothing (GNU parallel
		// appends only when the command holds no replacement string).
		{[]string{"echo", "{%}"}, 1, Job{Args: []string{"x"}, Slot: 2}, []string{"echo", "2"}},
		// Several inputs: appended as they are (xargs -n 2), or "{}" words
		// repeated per input (parallel -X: pre-{}-post).
		{[]string{"echo"}, 2, Job{Args: []string{"a", "b c"}}, []string{"echo", "a", "b c"}},
		{[]string{"echo", "x{}y", "{.}.png", "-"}, 2, Job{Args: []string{"a.jpg", "b c.jpg"}},
			[]string{"echo", "xa.jpgy", "xb c.jpgy", "a.png", "b c.png", "-"}},
		// {1} {2}: the job's inputs by position, "" past the last (parallel -N).
		{[]string{"cp", "{1}", "{2/}"}, 2, Job{Args: []string{"a", "d/b"}}, []string{"cp", "a", "b"}},
		{[]string{"echo", "{1}-{2}"}, 2, Job{Args: []string{"c"}}, []string{"echo", "c-"}},
		// {n} past the arity is not a placeholder: a regex's {12} stays.
		{[]string{"grep", "-E", "a{1}b{2}"}, 1, Job{Args: []string{"f"}}, []string{"grep", "-E", "afb{2}"}},
		// One pass: what an input brings in is never expanded.
		{[]string{"echo", "{}{1}{.}"}, 1, Job{Args: []string{"{}{#}.x"}, Seq: 4}, []string{"echo", "{}{#}.x{}{#}.x{}{#}"}},
		// Unknown or unclosed braces are the command's own.
		{[]string{"echo", "{A}", "{./}", "{", "{}}"}, 1, Job{Args: []string{"i"}}, []string{"echo", "{A}", "{./}", "{", "i}"}},
	} {
		if got := argv(c.words, c.arity, c.job); !slices.Equal(got, c.want) {
			t.Errorf("%q with %q: %q, want %q", c.words, c.job.Args, got, c.want)
		}
	}
}

// With --shell, every placeholder is a positional parameter quoted for
// where it stands, in each quoting context, whatever the inputs hold
// (rush #35, #64: an input with a quote ran as code).
func TestShellPlaceholdersAreData(t *testing.T) {
	dir := t.TempDir()
	tmpl, err := New([]string{"cd", dir, "&&", `printf '[%s]' {/} "{.}" '{//}' {/.}-{%} {#}; printf '<%s>' {1} '{2}' "x{}y"`}, true, 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range hostile {
		for _, args := range [][]string{{"d/" + in + ".e"}, {"a b", in}} {
			r := tmpl.Run(context.Background(), Job{Args: args, Seq: 9, Slot: 2}, Options{})
			if !r.OK() {
				t.Fatalf("%q: %v, exit %d, stderr %q", args, r.Err, r.ExitCode, r.Stderr)
			}
			first := args[0]
			want := "[" + base(first) + "][" + noExt(first) + "][" + dirname(first) + "][" + noExt(base(first)) + "-2][9]"
			second := ""
			if len(args) > 1 {
				second = args[1]
				// Outside quotes, one word per input; inside, one word.
				want = "[" + base(first) + "][" + base(second) + "][" + noExt(first) + " " + noExt(second) + "][" + dirname(first) + " " + dirname(second) + "][" +
					noExt(base(first)) + "][" + noExt(base(second)) + "-2][9]"
			}
			want += "<" + first + "><" + second + "><x" + strings.Join(args, " ") + "y>"
			if string(r.Stdout) != want {
				t.Errorf("%q:\n got %s\nwant %s", args, r.Stdout, want)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "PWNED")); err == nil {
		t.Fatal("an input ran as shell code: PWNED exists")
	}
}

// Issue 21.10: --shell appended the input to the script as well as passing
// it as $1, so `echo "$1" | tr a-z A-Z` ran `... | tr a-z A-Z "${1}"`. The
// input is $1 (and {} in the script), never appended.
func TestShellNeverAppends(t *testing.T) {
	tmpl, err := New([]string{`echo "$1" | tr a-z A-Z`}, true, 1)
	if err != nil {
		t.Fatal(err)
	}
	r := tmpl.Run(context.Background(), Job{Args: []string{"hello"}}, Options{})
	if !r.OK() || string(r.Stdout) != "HELLO\n" {
		t.Fatalf("exit %d, %v: %q, stderr %q", r.ExitCode, r.Err, r.Stdout, r.Stderr)
	}
	argv, err := tmpl.Argv(Job{Args: []string{"hello"}, Seq: 1})
	if err != nil || argv[2] != `echo "$1" | tr a-z A-Z` {
		t.Fatalf("script %q, %v", argv, err)
	}
}

// Issue 21.12: -I R, as xargs -I: R anywhere in the words is the input,
// braces are the command's own, and nothing is appended (xargs -I {}
// with no {} in the command runs it without the input).
func TestReplacing(t *testing.T) {
	for _, c := range []struct {
		words []string
		shell bool
		want  []string
	}{
		{[]string{"echo", "%", "x%y", "{}"}, false, []string{"echo", "in put", "xin puty", "{}"}},
		{[]string{"echo", "none"}, false, []string{"echo", "none"}},
		{[]string{"echo", "'%'", "%%"}, true, []string{"sh", "-c", `echo ''"${1}"'' "${1}""${1}"`, "fanout", "in put", "1"}},
	} {
		tmpl, err := NewReplacing(c.words, c.shell, "%")
		if err != nil {
			t.Fatal(err)
		}
		got, err := tmpl.Argv(Job{Args: []string{"in put"}, Seq: 1})
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("%q: %q, %v; want %q", c.words, got, err, c.want)
		}
	}
	if _, err := NewReplacing([]string{"echo"}, false, ""); err == nil {
		t.Error("an empty replacement string was taken")
	}
}

// Issue 21.11: a pipeline written as one word failed with "executable file
// not found", no hint. fanout still does not guess a shell, but says what
// to do; the error still matches ErrNotFound.
func TestOneWordPipelineNamesShell(t *testing.T) {
	for _, w := range []string{"echo {} | tr a-z A-Z", "echo hi; ls", "fanout-no-such x"} {
		_, err := New([]string{w}, false, 1)
		if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "run it with --shell: fanout exec --shell '"+w+"'") {
			t.Errorf("%q: %v", w, err)
		}
	}
	if _, err := New([]string{"fanout-no-such"}, false, 1); err == nil || strings.Contains(err.Error(), "--shell") {
		t.Errorf("a one-word program name: %v, want no --shell hint", err)
	}
}

// An input of up to 128 KiB less its NUL reaches the command whole (Linux's
// MAX_ARG_STRLEN; xargs passes a 120 KB line); one byte more, or arguments
// that add up to more than ARG_MAX, fail the job with ErrTooLong and a
// message naming the limit, and nothing runs (fd #410, fd #1259: commands
// silently run on fewer inputs, or "Argument list too long" with no word of
// which).
func TestArgumentLimits(t *testing.T) {
	maxArg, argMax := argLimits()
	if maxArg == 0 {
		t.Skip("the limits are Linux's")
	}
	pidFile := filepath.Join(t.TempDir(), "ran")
	tmpl := mustNew(t, true, `printf %s {} | wc -c; touch "`+pidFile+`"`)
	r := tmpl.Run(context.Background(), job(strings.Repeat("x", maxArg), 1), Options{})
	if !r.OK() || strings.TrimSpace(string(r.Stdout)) != strconv.Itoa(maxArg) {
		t.Fatalf("a %d-byte input: %v, exit %d, stdout %q", maxArg, r.Err, r.ExitCode, r.Stdout)
	}
	os.Remove(pidFile)
	r = tmpl.Run(context.Background(), job(strings.Repeat("x", maxArg+1), 1), Options{Retries: 2})
	if !errors.Is(r.Err, ErrTooLong) || r.ExitCode != 126 || r.Attempts != 1 || !strings.Contains(r.Err.Error(), "MAX_ARG_STRLEN") {
		t.Fatalf("one byte more: err %v, exit %d, attempts %d", r.Err, r.ExitCode, r.Attempts)
	}
	// Arguments each within the limit, together over ARG_MAX.
	n := argMax/maxArg + 1
	args := make([]string, n)
	for i := range args {
		args[i] = strings.Repeat("y", maxArg)
	}
	tmpl, err := New([]string{"touch", pidFile}, false, n)
	if err != nil {
		t.Fatal(err)
	}
	r = tmpl.Run(context.Background(), Job{Args: args}, Options{})
	if !errors.Is(r.Err, ErrTooLong) || !strings.Contains(r.Err.Error(), "ARG_MAX") {
		t.Fatalf("%d arguments of %d bytes: err %v", n, maxArg, r.Err)
	}
	if _, err := os.Stat(pidFile); err == nil {
		t.Fatal("a command over the limits ran")
	}
}
