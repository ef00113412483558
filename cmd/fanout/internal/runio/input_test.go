package runio

import (
	"context"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func collect(t *testing.T, in string) []Line {
	t.Helper()
	var out []Line
	for l := range Lines(context.Background(), strings.NewReader(in)) {
		out = append(out, l)
	}
	return out
}

func TestLines(t *testing.T) {
	long := strings.Repeat("x", MaxLine+10)
	got := collect(t, "a\n\n# c\r\n  b  \r\n"+long+"\nc")
	if len(got) != 4 {
		t.Fatalf("%d lines: %+v", len(got), got)
	}
	if got[0].Text != "a" || got[0].N != 1 || got[1].Text != "b" || got[1].N != 4 || got[3].Text != "c" || got[3].N != 6 {
		t.Fatalf("lines %+v", got)
	}
	// A line over the limit is one error record, and the next line is intact
	// (a 1 MB line must not swallow or split its neighbours).
	if got[2].Err == nil || got[2].N != 5 || len(got[2].Text) > 100 {
		t.Fatalf("long line: %+v", got[2])
	}
}

// Hostile lines (issue 4): binary garbage, invalid UTF-8 and terminal
// escape sequences become error records whose text is escaped, so echoing
// the input cannot clear the screen or retitle the terminal.
func TestLinesEscapesHostileText(t *testing.T) {
	got := collect(t, "\x1b]0;pwned\x07http://a/\nhttp://b/\xff\xfe\n\x00\x01bin\nok\tfield\n")
	want := []struct{ text, err string }{
		{`\x1b]0;pwned\ahttp://a/`, "control characters"},
		{`http://b/\xff\xfe`, "not valid UTF-8"},
		{`\x00\x01bin`, "control characters"},
		{"ok\tfield", ""},
	}
	if len(got) != len(want) {
		t.Fatalf("%d lines: %+v", len(got), got)
	}
	for i, w := range want {
		if got[i].Text != w.text || (w.err == "") != (got[i].Err == nil) || (got[i].Err != nil && !strings.Contains(got[i].Err.Error(), w.err)) {
			t.Errorf("line %d = %q, %v; want %q, %q", i+1, got[i].Text, got[i].Err, w.text, w.err)
		}
	}
}

// Arguments are inputs as the user typed them: not trimmed, and neither an
// empty one nor one starting with '#' is dropped (exec --arg '#x' once
// vanished silently).
func TestArgsAreVerbatim(t *testing.T) {
	var got []Line
	for l := range Args([]string{"#x", "", " a b ", "\x1b[2J"}) {
		got = append(got, l)
	}
	if len(got) != 4 || got[0].Text != "#x" || got[1].Text != "" || got[2].Text != " a b " || got[0].N != 1 || got[3].N != 4 {
		t.Fatalf("Args = %+v", got)
	}
	for _, l := range got[:3] {
		if l.Err != nil {
			t.Errorf("%q: %v", l.Text, l.Err)
		}
	}
	if got[3].Err == nil || got[3].Text != `\x1b[2J` {
		t.Errorf("control characters in an argument: %+v", got[3])
	}
}

func TestLinesStopsWhenAsked(t *testing.T) {
	n := 0
	for range Lines(context.Background(), strings.NewReader("a\nb\nc\n")) {
		n++
		break
	}
	if n != 1 {
		t.Fatal(n)
	}
}

// FuzzLines: any input yields lines that are valid UTF-8 (or carry an
// error), trimmed, not comments, never longer than the limit, numbered in
// increasing order, and never more lines than newlines + 1.
func FuzzLines(f *testing.F) {
	for _, s := range []string{"", "\n", "a\nb", "# x\n y \r\n", "\xff\xfe\n", strings.Repeat("z", MaxLine+1) + "\nq"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		last := 0
		count := 0
		for l := range Lines(context.Background(), strings.NewReader(in)) {
			count++
			if l.N <= last {
				t.Fatalf("line numbers not increasing: %d after %d", l.N, last)
			}
			last = l.N
			// Every line is safe to print, an error line included: no
			// control character but tab reaches the terminal.
			if !utf8.ValidString(l.Text) || strings.ContainsFunc(l.Text, func(r rune) bool { return r != '\t' && unicode.IsControl(r) }) {
				t.Fatalf("unsafe text %q", l.Text)
			}
			if l.Err == nil {
				if !utf8.ValidString(l.Text) || l.Text != strings.TrimSpace(l.Text) || l.Text == "" || l.Text[0] == '#' || len(l.Text) > MaxLine {
					t.Fatalf("bad line %q", l.Text)
				}
			}
		}
		if count > strings.Count(in, "\n")+1 {
			t.Fatalf("%d lines from %d newlines", count, strings.Count(in, "\n"))
		}
	})
}

// Raw mode (exec): every line as it is, minus its separator; Text shows
// it printable, and two raw inputs never show the same.
func TestReadRaw(t *testing.T) {
	for _, tc := range []struct {
		in   string
		m    Mode
		want []string
	}{
		{"  a \r\n\n#c\n\xe9\x00\n", Mode{Raw: true}, []string{"  a \r", "", "#c", "\xe9\x00"}},
		{"a b\x00c\nd\x00\x00", Mode{Raw: true, Null: true}, []string{"a b", "c\nd", ""}},
		{"x", Mode{Raw: true, Null: true}, []string{"x"}},
	} {
		var got []string
		for l := range Read(context.Background(), strings.NewReader(tc.in), tc.m) {
			if l.Err != nil || l.Text != Printable(l.Raw) {
				t.Errorf("%q: line %+v", tc.in, l)
			}
			got = append(got, l.Raw)
		}
		if strings.Join(got, "|") != strings.Join(tc.want, "|") || len(got) != len(tc.want) {
			t.Errorf("%q: %q, want %q", tc.in, got, tc.want)
		}
	}
	shown := map[string]string{}
	for _, s := range []string{"", `""`, `"a"`, "a", "a\x00", `a\x00`, "\xe9", `\xe9`, "a\tb", "a b", "\u202e", "é"} {
		p := Printable(s)
		if other, ok := shown[p]; ok {
			t.Errorf("%q and %q both show as %q", s, other, p)
		}
		shown[p] = s
		if strings.ContainsFunc(p, func(r rune) bool { return r != ' ' && !unicode.IsGraphic(r) }) || !utf8.ValidString(p) {
			t.Errorf("Printable(%q) = %q", s, p)
		}
	}
}
