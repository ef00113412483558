package command

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fanout-dev/fanout/cmd/fanout/internal/proctest"

	"github.com/fanout-dev/fanout/cmd/fanout/internal/replace"
)

// `fanout replace -E OLD NEW -` is `sed -E 's/OLD/NEW/g'` without -i, and
// sd without files: the cases the issue found, byte for byte against sed
// where it is installed (and against the expected bytes everywhere).
func TestReplaceStdinLikeSed(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, in, pat, tmpl, sed, want string
		code                           int
	}{
		// sd#291 and sd's README example: trims, keeps every line end.
		{"trailing blanks", "a  \n\nb\t\nc", `\s+$`, "", `s/\s+$//g`, "a\n\nb\nc", ExitOK},
		// sd#159, sd's line_by_line_caret_no_phantom.
		{"prefix every line", "a\nb\n", `^`, "> ", `s/^/> /g`, "> a\n> b\n", ExitOK},
		// sd#318.
		{"(.*) once per line", "abc\n", `(.*)`, "${1}def", `s/(.*)/\1def/g`, "abcdef\n", ExitOK},
		// sd's line_by_line_stdin and line_by_line_preserves_no_trailing_newline.
		{"sd line_by_line_stdin", "foo\nbaz\nfoo\n", `foo`, "bar", `s/foo/bar/g`, "bar\nbaz\nbar\n", ExitOK},
		{"no trailing newline", "abc", `abc`, "xyz", `s/abc/xyz/g`, "xyz", ExitOK},
		{"nothing matches", "abc\n", `\d`, "x", `s/[0-9]/x/g`, "abc\n", ExitNoMatch},
	}
	for _, c := range cases {
		out, stderr, code := run(t, context.Background(), c.in, "replace", "-q", "-E", c.pat, c.tmpl, "-")
		if out != c.want || code != c.code || stderr != "" {
			t.Errorf("%s: stdout %q, exit %d, stderr %q; want %q, exit %d", c.name, out, code, stderr, c.want, c.code)
		}
		if sed, ok := proctest.SedE(t, c.sed, c.in); ok && sed != out {
			t.Errorf("%s: fanout %q, sed -E %q %q", c.name, out, c.sed, sed)
		}
	}
}

// On CRLF input the terminator is kept whole: the issue's ^(.*)$ -> ${1};
// gives abc;\r\n (ripgrep's --crlf tests, f416_crlf); sed, which sees the
// \r as text, gives abc\r; instead.
func TestReplaceStdinCRLF(t *testing.T) {
	t.Parallel()
	out, _, code := run(t, context.Background(), "abc\r\ndef \r\n", "replace", "-q", "-E", `^(.*?)\s*$`, "${1};", "-")
	if out != "abc;\r\ndef;\r\n" || code != ExitOK {
		t.Errorf("%q, exit %d", out, code)
	}
	if sed, ok := proctest.SedE(t, `s/^(.*)$/\1;/`, "abc\r\n"); ok && sed != "abc\r;\n" {
		t.Errorf("sed gives %q; the help text says it keeps the \\r as text", sed)
	}
}

// The summary goes to stderr (stdout is the text), binary input passes
// through unchanged and is reported, and --dry-run prints the diff.
func TestReplaceStdinSummaryBinaryDryRun(t *testing.T) {
	t.Parallel()
	out, stderr, code := run(t, context.Background(), "old old\n", "replace", "old", "new", "-")
	if out != "new new\n" || code != ExitOK || !strings.HasPrefix(stderr, "1 file scanned: 1 changed (2 replacements), 0 skipped, 0 errors in ") {
		t.Errorf("stdout %q, exit %d, stderr %q", out, code, stderr)
	}
	in := "old\x00\xffold"
	out, stderr, code = run(t, context.Background(), in, "replace", "old", "new", "-")
	if out != in || code != ExitNoMatch || !strings.Contains(stderr, "1 skipped (1 binary)") {
		t.Errorf("binary: stdout %q, exit %d, stderr %q; want it unchanged, exit 1, reported", out, code, stderr)
	}
	out, _, code = run(t, context.Background(), "a\nold\n", "replace", "-q", "--dry-run", "old", "new", "-")
	if !strings.Contains(out, "-old\n+new\n") || strings.Contains(out, "a\nnew") || code != ExitOK {
		t.Errorf("dry run: %q, exit %d", out, code)
	}
}

// Line mode on files: every line end kept, each file as sed -E would
// leave it; --across (and ripgrep's -U) matches across lines.
func TestReplaceFilesLinesAndAcross(t *testing.T) {
	t.Parallel()
	lf := "a \n\n\tb\t\nlast "
	dir := files(t, map[string]string{"lf.txt": lf, "crlf.txt": "a \r\n\r\nb\t\r\n"})
	if _, stderr, code := run(t, context.Background(), "", "replace", "-q", "-E", `\s+$`, "", dir); code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want := "a\n\n\tb\nlast"
	if sed, ok := proctest.SedE(t, `s/\s+$//g`, lf); ok && sed != want {
		t.Errorf("sed -E gives %q, the test wants %q", sed, want)
	}
	if got := contentOf(t, filepath.Join(dir, "lf.txt")); got != want {
		t.Errorf("lf.txt: %q, want %q", got, want)
	}
	if got := contentOf(t, filepath.Join(dir, "crlf.txt")); got != "a\r\n\r\nb\r\n" {
		t.Errorf("crlf.txt: %q", got)
	}
	for _, flag := range []string{"--across", "-A", "-U", "--multiline"} {
		dir := files(t, map[string]string{"f": "key:\n  value\n"})
		if _, stderr, code := run(t, context.Background(), "", "replace", "-q", "-E", flag, `:\n\s+`, ": ", dir); code != ExitOK {
			t.Fatalf("%s: exit %d: %s", flag, code, stderr)
		}
		if got := contentOf(t, filepath.Join(dir, "f")); got != "key: value\n" {
			t.Errorf("%s: %q", flag, got)
		}
	}
}

// Mistakes in OLD or NEW are usage errors before any file is touched:
// a reference to no group (the issue's $1x and $path; sd refuses them
// too), a pattern that needs a line break in line mode (sd#336), '-'
// mixed with paths or with record formats.
func TestReplaceUsageErrorsTouchNothing(t *testing.T) {
	t.Parallel()
	dir := files(t, map[string]string{"f": "userinfo@host\n"})
	path := filepath.Join(dir, "f")
	past := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := os.Chtimes(path, past, past); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		hint string
	}{
		{[]string{"-E", `(\w+)@`, "$1x at ", dir}, "write ${1}x"},
		{[]string{"-E", `(\w+)@`, "$path", dir}, "write $$path"},
		{[]string{"-E", `(\w+)@`, "${9}", dir}, "${9}"},
		{[]string{"-E", `@\n`, "", dir}, "--across"},
		{[]string{"--across", "@", "", dir}, "--regex"},
		{[]string{"@", "", "-", dir}, "cannot be mixed"},
		{[]string{"--json", "@", "", "-"}, "--json"},
	} {
		_, stderr, code := run(t, context.Background(), "", append([]string{"replace"}, c.args...)...)
		if code != ExitUsage || !strings.Contains(stderr, c.hint) {
			t.Errorf("%q: exit %d, stderr %q; want 2 and %q", c.args, code, stderr, c.hint)
		}
	}
	if fi, _ := os.Stat(path); contentOf(t, path) != "userinfo@host\n" || !fi.ModTime().Equal(past) {
		t.Error("a usage error touched the file")
	}
	// The same template written right works: ${1}x.
	if _, _, code := run(t, context.Background(), "", "replace", "-q", "-E", `(\w+)@`, "${1}x at ", dir); code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	if got := contentOf(t, path); got != "userinfox at host\n" {
		t.Errorf("%q", got)
	}
}

// Stdin is streamed (issue 26.5): a NUL met after edited lines went out
// cannot make the whole input pass through unchanged any more; the rest
// does, and it is an error naming the byte. What must be read whole is
// refused beyond its limit, nothing written.
func TestReplaceStdinStreamedAndBounded(t *testing.T) {
	t.Parallel()
	first := replace.StreamChunk / 4 // lines of "old\n" in the first chunk
	head := strings.Repeat("old\n", first+1)
	out, stderr, code := run(t, context.Background(), head+"\x00old\n", "replace", "old", "new", "-")
	want := strings.Repeat("new\n", first) + "old\n\x00old\n"
	if out != want || code != ExitReplaceError || !strings.Contains(stderr, "-: error: binary from byte 1048576: the rest left unedited\n") {
		t.Errorf("late NUL: output as wanted %v, exit %d, stderr %q", out == want, code, stderr)
	}
	for _, args := range [][]string{
		{"replace", "-E", "-A", `a\nb`, "x", "--max-filesize", "10", "-"},
		{"replace", "--max-filesize", "10", "a", "x", "-"},
	} {
		out, stderr, code := run(t, context.Background(), strings.Repeat("a\nb\n", 5), args...)
		if out != "" || code != ExitReplaceError || !strings.Contains(stderr, "nothing written") {
			t.Errorf("%q over the limit: stdout %q, exit %d, stderr %q", args, out, code, stderr)
		}
	}
}
