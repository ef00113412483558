package replace

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/aymanbagabas/go-udiff"
)

// The path "-": stdin to stdout with File's rules. What File would skip
// passes through byte for byte (a filter never loses its input, as sed
// and sd pass theirs on), and Skip says why.
func TestFilter(t *testing.T) {
	re, _ := Regex(`\s+$`, "", Lines)
	cases := []struct {
		name, in, out string
		r             *Replacer
		o             Options
		skip          string
		n             int
	}{
		{"lines, CRLF kept", "a \r\nb\t\r\n", "a\r\nb\r\n", re, Options{}, "", 2},
		{"no match", "a\nb\n", "a\nb\n", re, Options{}, "", 0},
		{"BOM kept", "\xEF\xBB\xBFold\n", "\xEF\xBB\xBFnew\n", lit(t, "old", "new"), Options{}, "", 1},
		{"binary passes through", "old\x00old", "old\x00old", lit(t, "old", "new"), Options{}, SkipBinary, 0},
		{"UTF-16 passes through", "\xFF\xFEo\x00", "\xFF\xFEo\x00", lit(t, "o", "x"), Options{}, SkipUTF16, 0},
		{"invalid UTF-8 with a match passes through", "old caf\xe9", "old caf\xe9", lit(t, "old", "new"), Options{}, SkipInvalid, 0},
		{"invalid UTF-8 without a match", "caf\xe9", "caf\xe9", lit(t, "old", "new"), Options{}, "", 0},
		{"at the limit is edited", "old", "new", lit(t, "old", "new"), Options{MaxSize: 3}, "", 1},
	}
	for _, c := range cases {
		var out bytes.Buffer
		res := c.r.Filter(&out, strings.NewReader(c.in), c.o)
		if out.String() != c.out || res.Skip != c.skip || res.Replacements != c.n || res.Err != nil || res.Path != "-" {
			t.Errorf("%s: wrote %q, %+v; want %q, skip %q, %d replacements", c.name, out.String(), res, c.out, c.skip, c.n)
		}
		if res.Changed != (c.n > 0) {
			t.Errorf("%s: Changed %v", c.name, res.Changed)
		}
	}
}

func TestFilterDryRunWritesTheDiff(t *testing.T) {
	var out bytes.Buffer
	res := lit(t, "old", "new").Filter(&out, strings.NewReader("a\nold\n"), Options{DryRun: true})
	if !res.Changed || !strings.Contains(out.String(), "-old\n+new\n") || strings.Contains(out.String(), "a\nnew") {
		t.Errorf("%+v wrote %q", res, out.String())
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

type failReader struct{ done bool }

func (r *failReader) Read(p []byte) (int, error) {
	if r.done {
		return 0, errors.New("input gone")
	}
	r.done = true
	return copy(p, "old partial"), nil
}

func TestFilterErrors(t *testing.T) {
	if res := lit(t, "old", "new").Filter(failWriter{}, strings.NewReader("old"), Options{}); res.Err == nil || res.Changed {
		t.Errorf("write error: %+v", res)
	}
	// What was read before the error goes out unchanged.
	var out bytes.Buffer
	if res := lit(t, "old", "new").Filter(&out, &failReader{}, Options{}); res.Err == nil || out.String() != "old partial" {
		t.Errorf("read error: %+v, wrote %q", res, out.String())
	}
}

// A NUL past the sniffed start makes stdin binary too, as a file streamed
// by File is: passed through unchanged.
func TestFilterLateNULIsBinary(t *testing.T) {
	in := "old\n" + strings.Repeat("a", 2*SniffLen) + "\x00old\n"
	var out bytes.Buffer
	res := lit(t, "old", "new").Filter(&out, strings.NewReader(in), Options{})
	if res.Skip != SkipBinary || out.String() != in || res.Replacements != 0 {
		t.Errorf("%+v, output changed: %v", res, out.String() != in)
	}
}

// Issue 21.4: what could not be written is not counted as replaced.
func TestFilterWriteErrorCountsNothing(t *testing.T) {
	res := lit(t, "old", "new").Filter(failWriter{}, strings.NewReader("old old\n"), Options{})
	if res.Err == nil || res.Replacements != 0 || res.Changed {
		t.Errorf("%+v: want an error and nothing counted", res)
	}
}

// lineSource yields lines of 4 bytes, "old\n" every 1024th, up to max
// bytes, and fails the test if it is read past 3*StreamChunk before
// anything reached out: a filter in line mode writes as it goes, as sed
// does (issue 26.5), rather than holding its whole input as sd does
// (sd#96, sd#286).
type lineSource struct {
	t         *testing.T
	out       *bytes.Buffer
	read, max int
}

func (s *lineSource) Read(p []byte) (int, error) {
	if s.read >= s.max {
		return 0, io.EOF
	}
	if s.read > 3*StreamChunk && s.out.Len() == 0 {
		s.t.Fatalf("read %d bytes of stdin and wrote nothing yet", s.read)
	}
	n := min(len(p), s.max-s.read) &^ 3 // whole lines
	for i := 0; i < n; i += 4 {
		line := "abc\n"
		if (s.read+i)%4096 == 0 {
			line = "old\n"
		}
		copy(p[i:], line)
	}
	s.read += n
	return n, nil
}

func TestFilterStreamsLines(t *testing.T) {
	re, _ := Regex(`o(l)d`, "ne${1}", Lines)
	for _, r := range []*Replacer{lit(t, "old", "nel"), re} {
		for _, dry := range []bool{false, true} {
			var out bytes.Buffer
			src := &lineSource{t: t, out: &out, max: 4 * StreamChunk}
			res := r.Filter(&out, src, Options{DryRun: dry})
			if want := StreamChunk / 1024; res.Err != nil || res.Replacements != want || !res.Changed {
				t.Fatalf("dry run %v: %+v, want %d replacements", dry, res, want)
			}
			if want := strings.Repeat("nel\n"+strings.Repeat("abc\n", 1023), StreamChunk/1024); !dry && out.String() != want {
				t.Errorf("output is not every old replaced")
			}
		}
	}
}

// Streamed, the diff is the one the whole input would give: each chunk's
// hunks are numbered from the chunk's first line in the whole input.
func TestFilterStreamedDiffIsTheWholeOne(t *testing.T) {
	lines := make([]string, 3*StreamChunk/2)
	for i := range lines {
		lines[i] = "x"
	}
	lines[0], lines[len(lines)/2+StreamChunk/8], lines[len(lines)-1] = "old", "old old", "old"
	in := strings.Join(lines, "\n") // no final newline
	var out bytes.Buffer
	res := lit(t, "old", "new").Filter(&out, strings.NewReader("\xEF\xBB\xBF"+in), Options{DryRun: true})
	want := udiff.Unified("-", "-", "\xEF\xBB\xBF"+in, "\xEF\xBB\xBF"+strings.ReplaceAll(in, "old", "new"))
	if res.Replacements != 4 || out.String() != want {
		t.Errorf("%+v\ngot  %q\nwant %q", res, out.String(), want)
	}
}

// Once edited text is out, a NUL byte (or, with a match, text that is not
// UTF-8) can no longer make the whole input pass through unchanged: the
// rest does, and the error says from where. sed edits on through a NUL
// (printf 'a\0foo\n' | sed s/foo/bar/ gives a\0bar); ripgrep stops at the
// first NUL of stdin, silently until 0.10 (ripgrep#1117, #1299), since
// with "binary file matches (found "\0" byte around offset N)" and exit 0;
// we do neither: nothing past it is edited, nothing is lost, exit 2.
func TestFilterLateNonTextPassesTheRestOn(t *testing.T) {
	head := strings.Repeat("old\n", StreamChunk/4+1) // past the first chunk
	for _, c := range []struct{ tail, skip string }{
		{"a\x00old\nold\n", SkipBinary},
		{"caf\xe9 old\nold\n", SkipInvalid},
	} {
		var out bytes.Buffer
		res := lit(t, "old", "new").Filter(&out, strings.NewReader(head+c.tail), Options{})
		first := StreamChunk / 4 // the lines of the first chunk
		want := strings.Repeat("new\n", first) + head[4*first:] + c.tail
		wantErr := fmt.Sprintf("%s from byte %d: %v", c.skip, 4*first, ErrPassedOn)
		if !errors.Is(res.Err, ErrPassedOn) || res.Err.Error() != wantErr || out.String() != want || res.Replacements != first {
			t.Errorf("%q: %+v, output as wanted: %v", c.tail, res, out.String() == want)
		}
	}
}

// What must be read whole is bounded as for files, and a larger input is
// refused with nothing written (a filter cannot skip it after the fact).
func TestFilterWholeInputOverTheLimitIsRefused(t *testing.T) {
	across, _ := Regex(`a\nb`, "x", Across)
	in := strings.Repeat("a\nb\n", 10)
	for _, c := range []struct {
		r *Replacer
		o Options
	}{
		{across, Options{MaxSize: 39}},
		{lit(t, "a\nb", "x"), Options{MaxSize: 39}},
		{lit(t, "a", "x"), Options{MaxSize: 39, DryRun: true}},
	} {
		var out bytes.Buffer
		if res := c.r.Filter(&out, strings.NewReader(in), c.o); !errors.Is(res.Err, ErrTooLarge) || out.Len() != 0 || res.Changed {
			t.Errorf("%+v wrote %q; want ErrTooLarge and nothing", res, out.String())
		}
		c.o.MaxSize = 40
		if res := c.r.Filter(&out, strings.NewReader(in), c.o); res.Err != nil || res.Replacements != 10 {
			t.Errorf("at the limit: %+v", res)
		}
	}
}
