package command

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fanout-dev/fanout/cmd/fanout/internal/proctest"
)

// Issue 21.7: file names and lines are bytes. `ls | fanout exec wc -c`
// refused a Latin-1 name ("not valid UTF-8") where xargs runs it: both
// now print the same bytes.
func TestExecLatin1FileNameAsXargs(t *testing.T) {
	t.Parallel()
	tools := proctest.Needs(t, "xargs", "ls", "sh")
	bin := buildFanout(t)
	dir := t.TempDir()
	for name, body := range map[string]string{"caf\xe9": "12345", "na\xefve x": "1", "plain": ""} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	shell := func(pipeline string) string {
		t.Helper()
		cmd := exec.Command(tools["sh"], "-c", pipeline)
		cmd.Dir = dir
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: %v", pipeline, err)
		}
		return string(out)
	}
	// xargs -d '\n': one name per line, spaces and all, as fanout reads.
	want := shell(tools["ls"] + ` | ` + tools["xargs"] + ` -d '\n' -n 1 wc -c`)
	got := shell(tools["ls"] + ` | ` + bin + ` exec -k -q wc -c`)
	if got != want || !strings.Contains(got, "5 caf\xe9\n") {
		t.Fatalf("fanout printed %q, xargs %q", got, want)
	}
}

// Issue 21.7: each input line reaches the command exactly as it is, minus
// its newline: leading spaces, blank lines, '#' lines, the CR of a CRLF
// line, \v and \f, as GNU parallel passes them (its testsuite: "echo |
// parallel echo empty input line" runs once). rust-parallel #11 ran the
// command with no argument for an empty line: here it is one empty
// argument, as in parallel. Cross-checked byte for byte with parallel.
func TestExecInputsAreBytesAsParallel(t *testing.T) {
	t.Parallel()
	for _, stdin := range []string{
		"   this is\n",
		"\n",
		"a\n\n   \n# note\nb",
		"x\r\ny\vz\ff\n",
		"caf\xe9\n\xff\xfe\n",
		"\x1b]0;title\x07\n",
	} {
		want := strings.ReplaceAll(stdin, "\n", "]\n[")
		want = "[" + strings.TrimSuffix(want, "[")
		if !strings.HasSuffix(want, "]\n") {
			want += "]\n"
		}
		out, stderr, code := run(t, context.Background(), stdin, "exec", "-q", "-k", "--", "printf", `[%s]\n`)
		if code != ExitOK || out != want {
			t.Errorf("input %q: exit %d, printed %q, want %q (stderr %q)", stdin, code, out, want, stderr)
		}
		if par, ok := peer(t, stdin, "parallel", parallelArgs("printf", `[%s]\n`)...); ok && par != out {
			t.Errorf("input %q: fanout printed %q, parallel %q", stdin, out, par)
		}
	}
}

// The inputs are shown escaped, never as they are, wherever fanout itself
// names them: the failure message, JSON, CSV. JSON would otherwise turn a
// Latin-1 byte into U+FFFD, and two inputs would look the same.
func TestExecShowsRawInputsEscaped(t *testing.T) {
	t.Parallel()
	stdin := "caf\xe9\n\x1b[2J\n\"q\"\n\n"
	_, stderr, code := run(t, context.Background(), stdin, "exec", "-k", "--", "false")
	if code != ExitSome {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{`fanout: exec "caf\xe9": exit status 1`, `fanout: exec "\x1b[2J": exit status 1`, `fanout: exec "\"q\"": exit status 1`, `fanout: exec "": exit status 1`} {
		if !strings.Contains(stderr, want+"\n") {
			t.Errorf("stderr %q: no %q", stderr, want)
		}
	}
	if strings.Contains(stderr, "\x1b") || strings.Contains(stderr, "\xe9") {
		t.Errorf("stderr holds the raw bytes: %q", stderr)
	}
	out, _, _ := run(t, context.Background(), stdin, "exec", "-k", "--json", "--", "true")
	var inputs []string
	for _, r := range jsonLines[execRecord](t, out) {
		inputs = append(inputs, r.Input)
	}
	if got := strings.Join(inputs, "|"); got != `"caf\xe9"|"\x1b[2J"|"\"q\""|""` {
		t.Errorf("JSON inputs %s", got)
	}
	out, _, _ = run(t, context.Background(), stdin, "exec", "-k", "--csv", "--", "true")
	if strings.Contains(out, "\x1b") || strings.Contains(out, "\xe9") || !strings.Contains(out, `"""caf\xe9"""`) {
		t.Errorf("CSV %q", out)
	}
}

// A NUL cannot be in an argument (execve takes C strings): xargs warns
// and cuts the input at it, GNU parallel cuts it silently (its testsuite,
// bug #47290: "foo\0not printed"). fanout cuts nothing: that one job fails
// and says why; -0 is the way to give such inputs.
func TestExecNULInLineFailsThatJob(t *testing.T) {
	t.Parallel()
	out, stderr, code := run(t, context.Background(), "a\nfoo\x00not printed\nb\n", "exec", "-k", "--", "echo")
	if code != ExitSome || out != "a\nb\n" || !strings.Contains(stderr, `fanout: exec "foo\x00not printed": argument 1 holds a NUL byte`) {
		t.Fatalf("exit %d, out %q, stderr %q", code, out, stderr)
	}
}

// Issue 21.8: -0 / --null, as find -print0 | xargs -0 and parallel -0:
// a newline is part of an input, NUL ends it.
func TestExecNullSeparatedAsXargs(t *testing.T) {
	t.Parallel()
	stdin := "a b\x00c\nd\x00\x00caf\xe9\x00last"
	want := "[a b]\n[c\nd]\n[]\n[caf\xe9]\n[last]\n"
	for _, flag := range []string{"-0", "--null"} {
		out, stderr, code := run(t, context.Background(), stdin, "exec", "-q", "-k", flag, "--", "printf", `[%s]\n`)
		if code != ExitOK || out != want {
			t.Errorf("%s: exit %d, printed %q, want %q (stderr %q)", flag, code, out, want, stderr)
		}
	}
	if x, ok := peer(t, stdin, "xargs", "-0", "-n", "1", "printf", `[%s]\n`); ok && x != want {
		t.Errorf("xargs -0 printed %q, want %q", x, want)
	}
	if par, ok := peer(t, stdin, "parallel", parallelArgs("-0", "printf", `[%s]\n`)...); ok && par != want {
		t.Errorf("parallel -0 printed %q, want %q", par, want)
	}
}

// Issue 21.9: {#} or {%} alone appended the input ("exec -j 3 -- echo {%}
// ::: a b c" printed "1 a"). GNU parallel appends only when the command
// holds no replacement string at all (its testsuite, bug #44995).
func TestExecSeqAloneAppendsNothingAsParallel(t *testing.T) {
	t.Parallel()
	out, stderr, code := run(t, context.Background(), "", "exec", "-q", "-k", "--", "echo", "{#}", ":::", "1", "2", ":::", "1", "2")
	if code != ExitOK || out != "1\n2\n3\n4\n" {
		t.Fatalf("exit %d, out %q, stderr %q", code, out, stderr)
	}
	if par, ok := peer(t, "", "parallel", parallelArgs("echo", "{#}", ":::", "1", "2", ":::", "1", "2")...); ok && par != out {
		t.Errorf("parallel printed %q, fanout %q", par, out)
	}
	out, _, code = run(t, context.Background(), "", "exec", "-q", "-j", "1", "--", "echo", "{%}", ":::", "a", "b")
	if code != ExitOK || out != "1\n1\n" {
		t.Fatalf("{%%}: exit %d, out %q", code, out)
	}
}

// Issue 21.10: with --shell the input is $1, never appended to the script.
func TestExecShellDollarOne(t *testing.T) {
	t.Parallel()
	out, stderr, code := run(t, context.Background(), "", "exec", "-q", "--shell", `echo "$1" | tr a-z A-Z`, ":::", "hello")
	if code != ExitOK || out != "HELLO\n" {
		t.Fatalf("exit %d, out %q, stderr %q", code, out, stderr)
	}
}

// Issue 21.11: a pipeline in one word is refused before anything runs, and
// the message says --shell.
func TestExecOneWordPipelineNamesShell(t *testing.T) {
	t.Parallel()
	out, stderr, code := run(t, context.Background(), "", "exec", "echo {} | tr a-z A-Z", ":::", "hi")
	if code != ExitUsage || out != "" || !strings.Contains(stderr, `run it with --shell: fanout exec --shell 'echo {} | tr a-z A-Z'`) {
		t.Fatalf("exit %d, out %q, stderr %q", code, out, stderr)
	}
}

// Issue 21.12: xargs users type -P N and -I R. -P is -j; -I R puts the
// input where R stands, one input per command, as xargs -I does (compared
// with xargs itself).
func TestExecXargsFlags(t *testing.T) {
	t.Parallel()
	stdin := "a b\nc\n"
	out, stderr, code := run(t, context.Background(), stdin, "exec", "-q", "-k", "-P", "2", "-I", "@@", "--", "printf", `<%s|%s>\n`, "@@", "x@@y")
	want := "<a b|xa by>\n<c|xcy>\n"
	if code != ExitOK || out != want {
		t.Fatalf("exit %d, out %q, stderr %q", code, out, stderr)
	}
	if x, ok := peer(t, stdin, "xargs", "-P", "1", "-I", "@@", "printf", `<%s|%s>\n`, "@@", "x@@y"); ok && x != want {
		t.Errorf("xargs printed %q, want %q", x, want)
	}
	// -P 0 is -j 0: as many as there are inputs.
	out, _, code = run(t, context.Background(), "", "exec", "-q", "-P", "0", "--", "echo", "{%}", ":::", "a", "b", "c")
	if code != ExitOK || len(strings.Fields(out)) != 3 {
		t.Fatalf("-P 0: exit %d, out %q", code, out)
	}
	for _, args := range [][]string{
		{"exec", "-I", "%", "-n", "2", "echo", ":::", "a"},
		{"exec", "-I", "", "echo", ":::", "a"},
	} {
		if _, stderr, code := run(t, context.Background(), "", args...); code != ExitUsage || !strings.Contains(stderr, "-I") {
			t.Errorf("%q: exit %d, stderr %q", args, code, stderr)
		}
	}
}
