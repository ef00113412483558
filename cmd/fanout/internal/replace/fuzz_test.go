package replace

import (
	"bytes"
	"regexp"
	"regexp/syntax"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzReplace checks the engine on arbitrary input, with OLD as a literal
// and as a regular expression in both modes:
//   - literal: equals bytes.ReplaceAll, the count bytes.Count, the bytes
//     between matches come through unchanged;
//   - line mode (the default for --regex): equals running the regexp on
//     each line alone, so bytes outside the matches are unchanged, and
//     every line terminator survives (as many \n as before, none of the
//     \r\n lost) when NEW holds no line break of its own;
//   - across lines: equals the regexp's own matches on the whole input,
//     less an empty one after a final \n (sd#318); a quoted literal
//     replaces exactly as the literal does.
//
// Any pattern, any template: never a panic.
func FuzzReplace(f *testing.F) {
	f.Add([]byte("old old\r\nold"), "old", "new")
	f.Add([]byte("\xEF\xBB\xBFbom old"), "old", "")
	f.Add([]byte("aaaa"), "aa", "a")
	f.Add([]byte("x\x00y\xffz"), "\xff", "$1")
	f.Add([]byte("no newline"), "line", "line\n")
	f.Add([]byte("a \n\nb\t\r\n"), `\s+$`, "")
	f.Add([]byte("1\n2\n3\n"), `^`, "p-")
	f.Add([]byte("abc\n"), `(.*)`, "${1}def")
	f.Add([]byte("abc\r\ndef\r\n"), `^(.*)$`, "${1};")
	f.Add([]byte("userinfo@host\n"), `(\w+)@`, "$1x at ")
	f.Add([]byte("foo\r\n\r\nbar \n"), `(?s)\b.$`, "<$0>")
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

		// Regex mode: any pattern, any template, never a panic.
		for _, mode := range []Mode{Lines, Across} {
			if re, err := Regex(old, new, mode); err == nil {
				re.Replace(src)
			}
		}
		// With NEW quoted, the expansion is NEW itself in both the engine
		// and Go's Expand, so the results can be compared.
		// (Go's Expand knows no backslash escapes; the engine takes sd's,
		// so its NEW has each backslash doubled too.)
		quoted := strings.ReplaceAll(new, "$", "$$")
		ours := strings.ReplaceAll(strings.ReplaceAll(new, `\`, `\\`), "$", "$$")
		std, err := regexp.Compile(old)
		if err != nil {
			return
		}
		if lr, err := Regex(old, ours, Lines); err == nil {
			want, wn := naiveLines(std, quoted, src)
			// Both ways of finding candidate lines: the required literal
			// (when the pattern has one) and the candidate regexp.
			parsed, _ := syntax.Parse(old, syntax.Perl)
			byRegexp := *lr
			byRegexp.lit, byRegexp.cand = finder{}, candidates(parsed)
			for _, r := range []*Replacer{lr, &byRegexp} {
				got, n := r.Replace(src)
				if !bytes.Equal(got, want) || n != wn {
					t.Fatalf("line mode (literal %q) %q, %d; line by line %q, %d", r.lit.needle, got, n, want, wn)
				}
				if !strings.ContainsAny(new, "\r\n") {
					if bytes.Count(got, []byte("\n")) != bytes.Count(src, []byte("\n")) ||
						bytes.Count(got, []byte("\r\n")) < bytes.Count(src, []byte("\r\n")) {
						t.Fatalf("a line terminator was lost: %q became %q", src, got)
					}
				}
			}
		}
		if ar, err := Regex(old, ours, Across); err == nil {
			got, n := ar.Replace(src)
			ms := regexp.MustCompile("(?m)"+old).FindAllIndex(src, -1)
			if k := len(ms); k > 0 && ms[k-1][0] == len(src) && bytes.HasSuffix(src, []byte("\n")) {
				ms = ms[:k-1]
			}
			var want []byte
			last := 0
			for _, m := range ms {
				want = append(append(want, src[last:m[0]]...), new...)
				last = m[1]
			}
			want = append(want, src[last:]...)
			if !bytes.Equal(got, want) || n != len(ms) {
				t.Fatalf("across %q, %d; the regexp's matches give %q, %d", got, n, want, len(ms))
			}
		}
		// (Only on valid UTF-8: the regexp engine reads an invalid byte as
		// U+FFFD, and replace skips files that are not valid UTF-8.)
		if !utf8.Valid(src) || !utf8.ValidString(old) {
			return
		}
		if re, err := Regex(regexp.QuoteMeta(old), ours, Across); err == nil {
			got2, n2 := re.Replace(src)
			if n2 != n || !bytes.Equal(got2, got) {
				t.Fatalf("regex of quoted literal: %q, %d; literal: %q, %d", got2, n2, got, n)
			}
		}
	})
}
