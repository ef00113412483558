package replace

import (
	"bytes"
	"errors"
	"strings"
	"testing"
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
		{"too large passes through whole", strings.Repeat("old ", 100), strings.Repeat("old ", 100), lit(t, "old", "new"), Options{MaxSize: 10}, SkipTooLarge, 0},
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
