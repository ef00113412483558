package replace

import (
	"regexp"
	"strings"
	"testing"
)

// Line mode against the two obvious ways: running the regexp on every
// line (naiveLines), and on the whole buffer (--across), on the text of
// bench/replace.sh's files (10 KB, one match in ten lines or none).
//
//	go test -run '^$' -bench RegexModes ./internal/replace/
func BenchmarkRegexModes(b *testing.B) {
	line := "    result = compute(value, other_value)  # some ordinary source text\n"
	plain := strings.Repeat(line, 150)
	matching := strings.Replace(plain, "compute(", "old_function_name(", 15)
	for _, c := range []struct{ name, pat, text string }{
		{"literal prefix, no match", `old_function_name\(`, plain},
		{"literal prefix, 15 matches", `old_function_name\(`, matching},
		{"anchored, every line", `^\s+(\w+) =`, plain},
		{"trailing blanks, no match", `[ \t]+$`, plain},
		{"\\s+$, every line a candidate", `\s+$`, plain},
	} {
		src := []byte(c.text)
		b.Run(c.name+"/lines", func(b *testing.B) {
			r, _ := Regex(c.pat, "x", Lines)
			b.SetBytes(int64(len(src)))
			for b.Loop() {
				r.Replace(src)
			}
		})
		b.Run(c.name+"/every line", func(b *testing.B) {
			re := regexp.MustCompile(c.pat)
			b.SetBytes(int64(len(src)))
			for b.Loop() {
				naiveLines(re, "x", src)
			}
		})
		b.Run(c.name+"/across", func(b *testing.B) {
			r, _ := Regex(c.pat, "x", Across)
			b.SetBytes(int64(len(src)))
			for b.Loop() {
				r.Replace(src)
			}
		})
	}
}
