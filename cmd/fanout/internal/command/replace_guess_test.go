package command

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/proctest"
)

// unprivileged returns the command line run by an unprivileged user, for
// the tests about permissions: as is when the tests run unprivileged; as
// root, as nobody, on a copy of the binary nobody can reach, with the
// tree under dir given to nobody (file modes mean nothing to root).
func unprivileged(t *testing.T, dir string, args ...string) *exec.Cmd {
	t.Helper()
	bin := buildFanout(t)
	if os.Geteuid() != 0 {
		return exec.Command(bin, args...)
	}
	binDir := t.TempDir()
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(binDir, "fanout"), data, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{filepath.Dir(dir), binDir, filepath.Dir(binDir)} {
		os.Chmod(p, 0o755)
	}
	filepath.WalkDir(dir, func(p string, _ fs.DirEntry, _ error) error { return os.Lchown(p, 65534, 65534) })
	cmd := exec.Command(filepath.Join(binDir, "fanout"), args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	return cmd
}

// runCmd runs cmd and returns stdout, stderr and the exit status. A
// binary just copied can be "text file busy" for a moment: a parallel
// test's fork may hold the copy's fd open until its exec. It is run
// again then.
func runCmd(t *testing.T, cmd *exec.Cmd) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	for try := 0; errors.Is(err, syscall.ETXTBSY) && try < 100; try++ {
		time.Sleep(10 * time.Millisecond)
		again := exec.Command(cmd.Path, cmd.Args[1:]...)
		again.Dir, again.Env, again.Stdin, again.SysProcAttr = cmd.Dir, cmd.Env, cmd.Stdin, cmd.SysProcAttr
		again.Stdout, again.Stderr = &out, &errb
		err = again.Run()
	}
	var ee *exec.ExitError
	switch {
	case err == nil:
		return out.String(), errb.String(), 0
	case errors.As(err, &ee):
		return out.String(), errb.String(), ee.ExitCode()
	}
	t.Fatalf("%v: %v", cmd.Args, err)
	return "", "", -1
}

// Issue 21.1: `echo 'foo here' | fanout replace foo bar` rewrote every
// file of the current directory. With no PATH, ripgrep's rule decides
// (grep-cli's is_readable_stdin): stdin is the input when it is a pipe or
// a regular file, and is filtered to stdout; the current directory is
// walked when stdin is a terminal, /dev/null or closed.
func TestReplaceNoPathStdinLikeRipgrep(t *testing.T) {
	t.Parallel()
	bin := buildFanout(t)
	dir := files(t, map[string]string{"a.txt": "foo in a file\n", "in.txt": "foo from a file\n"})
	// rg decides the same way, when it is installed: `rg -c foo` prints a
	// bare count for stdin, PATH:count for the files it walked.
	rg, _ := exec.LookPath("rg")
	replaceIn := func(stdin func(*exec.Cmd)) (string, int) {
		t.Helper()
		if rg != "" {
			cmd := exec.Command(rg, "-c", "foo")
			cmd.Dir = dir
			stdin(cmd)
			out, _, _ := runCmd(t, cmd)
			walked := strings.Contains(out, ":")
			defer func() {
				if s := contentOf(t, filepath.Join(dir, "a.txt")); walked != (s != "foo in a file\n") {
					t.Errorf("rg walked: %v (%q); fanout walked: %v", walked, out, !walked)
				}
			}()
		}
		cmd := exec.Command(bin, "replace", "-q", "foo", "bar")
		cmd.Dir = dir
		stdin(cmd)
		out, stderr, code := runCmd(t, cmd)
		if stderr != "" {
			t.Errorf("stderr %q", stderr)
		}
		return out, code
	}
	for name, stdin := range map[string]func(*exec.Cmd){
		"pipe": func(c *exec.Cmd) { c.Stdin = strings.NewReader("foo here\n") },
		"regular file": func(c *exec.Cmd) {
			f, err := os.Open(filepath.Join(dir, "in.txt"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { f.Close() })
			c.Stdin = f
		},
	} {
		out, code := replaceIn(stdin)
		want := map[string]string{"pipe": "bar here\n", "regular file": "bar from a file\n"}[name]
		if out != want || code != ExitOK {
			t.Errorf("%s: stdout %q, exit %d; want %q, 0", name, out, code, want)
		}
		if contentOf(t, filepath.Join(dir, "a.txt")) != "foo in a file\n" || contentOf(t, filepath.Join(dir, "in.txt")) != "foo from a file\n" {
			t.Fatalf("%s on stdin: the current directory was edited", name)
		}
	}

	// A terminal: the current directory.
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer ptmx.Close()
	defer tty.Close()
	out, code := replaceIn(func(c *exec.Cmd) { c.Stdin = tty })
	if code != ExitOK || !strings.Contains(out, "a.txt: 1 replacement") || contentOf(t, filepath.Join(dir, "a.txt")) != "bar in a file\n" {
		t.Errorf("terminal: stdout %q, exit %d, a.txt %q", out, code, contentOf(t, filepath.Join(dir, "a.txt")))
	}
	// /dev/null (exec's default, as in CI): the current directory too.
	os.WriteFile(filepath.Join(dir, "in.txt"), []byte("foo from a file\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "a.txt"), []byte("foo in a file\n"), 0o644)
	out, code = replaceIn(func(c *exec.Cmd) { c.Stdin = nil })
	if code != ExitOK || !strings.Contains(out, "in.txt: 1 replacement") || contentOf(t, filepath.Join(dir, "in.txt")) != "bar from a file\n" {
		t.Errorf("/dev/null: stdout %q, exit %d", out, code)
	}
	if rg == "" {
		proctest.Unmet(t, "needs rg to compare with (.ci/run installs it)")
	}
}

// Issue 21.2: `fanout replace 's/foo/bar/g' a.txt` took a.txt for NEW and
// walked the current directory. A sed script as OLD is a usage error that
// writes nothing and shows the fanout command line; -F, or -- before OLD,
// says the text is meant.
func TestReplaceSedScriptRefused(t *testing.T) {
	t.Parallel()
	bin := buildFanout(t)
	dir := files(t, map[string]string{"a.txt": "foo s/foo/bar/g\n", "b.txt": "foo\n"})
	for _, args := range [][]string{
		{"s/foo/bar/g", "a.txt"},
		{"-E", "s|f(o+)|b\\1|", "x", "a.txt"},
		{"s/foo/bar/", "x", "--", "a.txt"},
	} {
		cmd := exec.Command(bin, append([]string{"replace"}, args...)...)
		cmd.Dir = dir
		_, stderr, code := runCmd(t, cmd)
		if code != ExitUsage || !strings.Contains(stderr, "is a sed script") || !strings.Contains(stderr, "write -F or -- before it") {
			t.Errorf("%q: exit %d, stderr %q; want 2 and the fanout form", args, code, stderr)
		}
		if contentOf(t, filepath.Join(dir, "a.txt")) != "foo s/foo/bar/g\n" || contentOf(t, filepath.Join(dir, "b.txt")) != "foo\n" {
			t.Fatalf("%q: a file was written", args)
		}
	}
	cmd := exec.Command(bin, "replace", "s/foo/bar/g", "a.txt")
	cmd.Dir = dir
	if _, stderr, _ := runCmd(t, cmd); !strings.Contains(stderr, "\n  fanout replace -E foo bar a.txt\n") {
		t.Errorf("the fanout form is missing: %q", stderr)
	}
	// The two escapes replace the text itself, in the named file only.
	for _, args := range [][]string{{"-F", "s/foo/bar/g", "X", "a.txt"}, {"--", "s/foo/bar/g", "X", "a.txt"}} {
		os.WriteFile(filepath.Join(dir, "a.txt"), []byte("foo s/foo/bar/g\n"), 0o644)
		cmd := exec.Command(bin, append([]string{"replace", "-q"}, args...)...)
		cmd.Dir = dir
		if _, stderr, code := runCmd(t, cmd); code != ExitOK || contentOf(t, filepath.Join(dir, "a.txt")) != "foo X\n" {
			t.Errorf("%q: exit %d (%s), a.txt %q", args, code, stderr, contentOf(t, filepath.Join(dir, "a.txt")))
		}
		if contentOf(t, filepath.Join(dir, "b.txt")) != "foo\n" {
			t.Fatalf("%q: b.txt was written", args)
		}
	}
}

func TestSedScript(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in, re, repl, flags string
		ok                  bool
	}{
		{"s/foo/bar/g", "foo", "bar", "g", true},
		{"s/foo/bar/", "foo", "bar", "", true},
		{`s/a\/b/c/2`, "a/b", "c", "2", true},
		{"s|x|y|gI", "x", "y", "gI", true},
		{`s/\(a\)/\1/`, `\(a\)`, `\1`, "", true},
		{"s/foo/bar", "", "", "", false},      // sed: unterminated `s' command
		{"s/a/b/c/d", "", "", "", false},      // flags would hold a delimiter
		{"s/a/b/w f", "", "", "", false},      // w FILE: not a flag we know, left as text
		{"sa/b/c/", "", "", "", false},        // a letter is no delimiter
		{"s foo bar ", "", "", "", false},     // nor a blank
		{"status/code/x/", "", "", "", false}, // text that happens to start with s
	} {
		re, repl, flags, ok := sedScript(c.in)
		if re != c.re || repl != c.repl || flags != c.flags || ok != c.ok {
			t.Errorf("sedScript(%q) = %q, %q, %q, %v; want %q, %q, %q, %v", c.in, re, repl, flags, ok, c.re, c.repl, c.flags, c.ok)
		}
	}
	if got := sedTemplate(`<\1>&\&$`); got != "<${1}>${0}&$$" {
		t.Errorf("sedTemplate: %q", got)
	}
}

// Issue 21.3: `replace foo bar a.txt missing.txt b.txt` rewrote a.txt and
// b.txt, then reported missing.txt. Every named path is checked first, as
// sd does (its tests correctly_fails_on_missing_file and
// correctly_fails_on_unreadable_file): nothing is written, exit 2.
// Unreadable and read-only files are checked as an unprivileged user.
func TestReplaceNamedPathsCheckedFirst(t *testing.T) {
	t.Parallel()
	dir := files(t, map[string]string{"a.txt": "foo", "b.txt": "foo", "sub/c.txt": "foo", "secret.txt": "foo", "ro.txt": "foo", "rodir/d.txt": "foo"})
	p := func(name string) string { return filepath.Join(dir, name) }
	untouched := func(what string) {
		t.Helper()
		for _, name := range []string{"a.txt", "b.txt", "sub/c.txt", "ro.txt", "rodir/d.txt"} {
			if contentOf(t, p(name)) != "foo" {
				t.Fatalf("%s: %s was written", what, name)
			}
		}
	}
	_, stderr, code := run(t, context.Background(), "", "replace", "foo", "bar", p("a.txt"), p("missing.txt"), p("sub"), p("b.txt"))
	if code != ExitReplaceError || !strings.Contains(stderr, "fanout: "+p("missing.txt")+": no such file or directory\n") ||
		!strings.Contains(stderr, "nothing written") {
		t.Errorf("missing: exit %d, stderr %q", code, stderr)
	}
	untouched("missing")

	// The modes are set after unprivileged gives the tree away.
	cmdFor := func(args ...string) *exec.Cmd {
		cmd := unprivileged(t, dir, append([]string{"replace"}, args...)...)
		os.Chmod(p("secret.txt"), 0)
		os.Chmod(p("ro.txt"), 0o444)
		os.Chmod(p("rodir"), 0o555)
		return cmd
	}
	t.Cleanup(func() { os.Chmod(p("rodir"), 0o755) })
	for _, c := range []struct {
		path, why string
	}{
		{"secret.txt", "not readable: permission denied"},
		{"ro.txt", "file is not writable: "},
		{"rodir/d.txt", "its directory is not writable: permission denied"},
	} {
		_, stderr, code := runCmd(t, cmdFor("foo", "bar", p("a.txt"), p(c.path), p("b.txt")))
		if code != ExitReplaceError || !strings.Contains(stderr, "fanout: "+p(c.path)+": "+c.why) {
			t.Errorf("%s: exit %d, stderr %q; want 2 and %q", c.path, code, stderr, c.why)
		}
		untouched(c.path)
	}
	// --dry-run writes nothing: a read-only file is no obstacle to it.
	out, stderr, code := runCmd(t, cmdFor("--dry-run", "foo", "bar", p("ro.txt"), p("rodir/d.txt")))
	if code != ExitOK || !strings.Contains(out, p("ro.txt")+": 1 replacement (dry run)") {
		t.Errorf("--dry-run: exit %d\n%s%s", code, out, stderr)
	}
	untouched("--dry-run")
}

// Issue 21.6: sd users type -F (fixed strings: fanout's default) and -p
// (preview: --dry-run); -F with -E is a contradiction.
func TestReplaceSdFlags(t *testing.T) {
	t.Parallel()
	dir := files(t, map[string]string{"a.txt": "a.c abc\n"})
	path := filepath.Join(dir, "a.txt")
	out, stderr, code := run(t, context.Background(), "", "replace", "-p", "a.c", "X", path)
	if code != ExitOK || !strings.Contains(out, "+X abc") || contentOf(t, path) != "a.c abc\n" {
		t.Errorf("-p: exit %d, content %q\n%s%s", code, contentOf(t, path), out, stderr)
	}
	if _, stderr, code := run(t, context.Background(), "", "replace", "-q", "-F", "a.c", "X", path); code != ExitOK || contentOf(t, path) != "X abc\n" {
		t.Errorf("-F: exit %d, content %q (%s)", code, contentOf(t, path), stderr)
	}
	if _, stderr, code := run(t, context.Background(), "", "replace", "-F", "-E", "a", "b", path); code != ExitUsage || !strings.Contains(stderr, "exclude each other") {
		t.Errorf("-F -E: exit %d, %q", code, stderr)
	}
	// sd's escapes with -E; -F keeps the text.
	os.WriteFile(path, []byte("a b\n"), 0o644)
	if _, stderr, code := run(t, context.Background(), "", "replace", "-q", "-E", `\s+`, `\n`, path); code != ExitOK || contentOf(t, path) != "a\nb\n" {
		t.Errorf(`-E '\s+' '\n': exit %d, content %q (%s)`, code, contentOf(t, path), stderr)
	}
	if _, _, code := run(t, context.Background(), "", "replace", "-q", "-F", "b", `\t`, path); code != ExitOK || contentOf(t, path) != "a\n\\t\n" {
		t.Errorf(`-F b '\t': exit %d, content %q`, code, contentOf(t, path))
	}
}
