package replace

import (
	"bytes"
	"errors"
	"regexp"
	"testing"
)

func TestLiteral(t *testing.T) {
	cases := []struct {
		name, src, old, new, want string
		n                         int
	}{
		{"none", "abc", "x", "y", "abc", 0},
		{"all", "old old old", "old", "new", "new new new", 3},
		{"crlf kept", "a old\r\nb old\r\n", "old", "new", "a new\r\nb new\r\n", 2},
		{"no final newline kept", "x old", "old", "new", "x new", 1},
		{"non-overlapping, left to right", "aaa", "aa", "b", "ba", 1},
		{"new contains old", "a", "a", "aa", "aa", 1},
		{"delete", "a-b-c", "-", "", "abc", 2},
		{"dollar is literal", "cost", "cost", "$1", "$1", 1},
		{"multibyte", "héllo wörld", "ö", "oe", "héllo woerld", 1},
	}
	for _, c := range cases {
		r, err := Literal(c.old, c.new)
		if err != nil {
			t.Fatal(err)
		}
		got, n := r.Replace([]byte(c.src))
		if string(got) != c.want || n != c.n {
			t.Errorf("%s: got %q, %d; want %q, %d", c.name, got, n, c.want, c.n)
		}
	}
}

func TestNoMatchReturnsInputWithoutAllocating(t *testing.T) {
	r, _ := Literal("zzz", "y")
	src := bytes.Repeat([]byte("abc "), 1000)
	allocs := testing.AllocsPerRun(10, func() {
		out, n := r.Replace(src)
		if n != 0 || &out[0] != &src[0] {
			t.Fatal("no match must return src itself")
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations for a file without a match", allocs)
	}
}

func TestRegex(t *testing.T) {
	cases := []struct {
		name, src, pat, tmpl, want string
		n                          int
	}{
		{"groups", "John Smith, Jane Doe", `(\w+) (\w+)`, "$2 $1", "Smith John, Doe Jane", 2},
		{"braces", "v1", `v(\d)`, "${1}0", "10", 1},
		{"named", "key=val", `(?P<k>\w+)=(?P<v>\w+)`, "${v}=${k}", "val=key", 1},
		{"dollar-dollar", "5", `(\d)`, "$$$1", "$5", 1},
		{"line anchors with (?m), CRLF kept", "a\r\nb\r\n", `(?m)^(\w)`, "<$1>", "<a>\r\n<b>\r\n", 2},
		{"empty matches", "ab", `x*`, "-", "-a-b-", 3},
		{"none", "abc", `\d`, "x", "abc", 0},
	}
	for _, c := range cases {
		r, err := Regex(c.pat, c.tmpl)
		if err != nil {
			t.Fatal(err)
		}
		got, n := r.Replace([]byte(c.src))
		if string(got) != c.want || n != c.n {
			t.Errorf("%s: got %q, %d; want %q, %d", c.name, got, n, c.want, c.n)
		}
		// Same result as the standard library's ReplaceAll.
		if std := regexp.MustCompile(c.pat).ReplaceAll([]byte(c.src), []byte(c.tmpl)); !bytes.Equal(std, got) {
			t.Errorf("%s: %q, regexp.ReplaceAll gives %q", c.name, got, std)
		}
	}
}

func TestEmptyAndBadPatterns(t *testing.T) {
	if _, err := Literal("", "x"); !errors.Is(err, ErrEmptyPattern) {
		t.Errorf("Literal(\"\"): %v", err)
	}
	if _, err := Regex("", "x"); !errors.Is(err, ErrEmptyPattern) {
		t.Errorf("Regex(\"\"): %v", err)
	}
	if _, err := Regex("(", "x"); err == nil {
		t.Error("Regex(\"(\") accepted")
	}
}

func TestClassify(t *testing.T) {
	big := bytes.Repeat([]byte("a"), SniffLen)
	cases := []struct {
		name    string
		content []byte
		reason  string
		bom     int
	}{
		{"text", []byte("hello\n"), "", 0},
		{"empty", nil, "", 0},
		{"utf-8 bom", []byte("\xEF\xBB\xBFhello"), "", 3},
		{"nul", []byte("ab\x00cd"), SkipBinary, 0},
		{"nul after the sniffed block, then invalid", append(append([]byte{}, big...), 0, 0xff), SkipInvalid, 0},
		{"nul after the sniffed block is text", append(append([]byte{}, big...), 0), "", 0},
		{"utf-16le", []byte("\xFF\xFEh\x00i\x00"), SkipUTF16, 0},
		{"utf-16be", []byte("\xFE\xFF\x00h\x00i"), SkipUTF16, 0},
		{"utf-32be", []byte("\x00\x00\xFE\xFF\x00\x00\x00h"), SkipUTF16, 0},
		{"latin-1", []byte("caf\xe9"), SkipInvalid, 0},
		{"truncated sequence", []byte("\xe2\x82"), SkipInvalid, 0},
	}
	for _, c := range cases {
		reason, bom := Classify(c.content)
		if reason != c.reason || bom != c.bom {
			t.Errorf("%s: got %q, %d; want %q, %d", c.name, reason, bom, c.reason, c.bom)
		}
	}
}
