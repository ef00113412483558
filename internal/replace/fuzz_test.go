package replace

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzReplace checks the engine on arbitrary input: literal replacement
// equals bytes.ReplaceAll, the count equals bytes.Count, and the bytes
// between matches come through unchanged; regex mode never panics and a
// pattern that is a quoted literal behaves as the literal does.
func FuzzReplace(f *testing.F) {
	f.Add([]byte("old old\r\nold"), "old", "new")
	f.Add([]byte("\xEF\xBB\xBFbom old"), "old", "")
	f.Add([]byte("aaaa"), "aa", "a")
	f.Add([]byte("x\x00y\xffz"), "\xff", "$1")
	f.Add([]byte("no newline"), "line", "line\n")
	f.Fuzz(func(t *testing.T, src []byte, old, new string) {
		if old == "" {
			if _, err := Literal(old, new); err == nil {
				t.Fatal("empty OLD accepted")
			}
			return
		}
		r, err := Literal(old, new)
		if err != nil {
			t.Fatal(err)
		}
		got, n := r.Replace(src)
		if want := bytes.ReplaceAll(src, []byte(old), []byte(new)); !bytes.Equal(got, want) {
			t.Fatalf("Replace = %q, bytes.ReplaceAll = %q", got, want)
		}
		if want := bytes.Count(src, []byte(old)); n != want {
			t.Fatalf("count %d, want %d", n, want)
		}
		// Outside the matches nothing changed: the pieces between matches,
		// joined by NEW, are the output.
		if want := bytes.Join(bytes.Split(src, []byte(old)), []byte(new)); !bytes.Equal(got, want) {
			t.Fatalf("pieces outside the matches changed: %q, want %q", got, want)
		}
		// Regex mode: any pattern, any template, never a panic; the quoted
		// literal matches exactly where the literal does.
		if re, err := Regex(old, new); err == nil {
			re.Replace(src)
		}
		// (Only on valid UTF-8: the regexp engine reads an invalid byte as
		// U+FFFD, and replace skips files that are not valid UTF-8.)
		if !utf8.Valid(src) || !utf8.ValidString(old) {
			return
		}
		if re, err := Regex(regexp.QuoteMeta(old), strings.ReplaceAll(new, "$", "$$")); err == nil {
			got2, n2 := re.Replace(src)
			if n2 != n || !bytes.Equal(got2, got) {
				t.Fatalf("regex of quoted literal: %q, %d; literal: %q, %d", got2, n2, got, n)
			}
		}
	})
}
