package replace

import (
	"bytes"
	"errors"
	"regexp"
	"regexp/syntax"
	"strings"
	"testing"

	"github.com/fanout-dev/fanout/cmd/fanout/internal/proctest"
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

// naiveLines is line mode done the slow, obvious way, to check the fast
// one against: split into lines, take each terminator off, run the
// regexp on each line alone (Go's own Expand for the template).
func naiveLines(re *regexp.Regexp, tmpl string, src []byte) ([]byte, int) {
	var out []byte
	n := 0
	for len(src) > 0 {
		line, rest, found := bytes.Cut(src, []byte("\n"))
		term := []byte(nil)
		if found {
			term = []byte("\n")
			if bytes.HasSuffix(line, []byte("\r")) {
				line, term = line[:len(line)-1], []byte("\r\n")
			}
		}
		last := 0
		for _, m := range re.FindAllSubmatchIndex(line, -1) {
			out = append(out, line[last:m[0]]...)
			out = re.Expand(out, []byte(tmpl), line, m)
			last = m[1]
			n++
		}
		out = append(append(out, line[last:]...), term...)
		src = rest
	}
	return out, n
}

type regexCase struct {
	name, src, pat, tmpl, want string
	n                          int
	sed                        string // the same as a sed -E script, for LF input
}

// Line mode, pinned with sed's result: each case's want is what
// `sed -E SCRIPT` prints for the same input, and where sed is installed
// the test runs it and compares the bytes.
func TestRegexLinesLikeSed(t *testing.T) {
	cases := []regexCase{
		// sd#291 and the issue: \s+$ removed final newlines and blank lines.
		{"trailing blanks, blank line kept", "test\n\ntest\n", `\s+$`, "", "test\n\ntest\n", 0, `s/\s+$//g`},
		{"trailing blanks trimmed, line ends kept", "a  \nb\t\n  \nc", `\s+$`, "", "a\nb\n\nc", 3, `s/\s+$//g`},
		// sd's line_by_line_whitespace_trim.
		{"sd line_by_line_whitespace_trim", "a \nb \n", `\s+$`, "", "a\nb\n", 2, `s/\s+$//g`},
		{"(?m) changes nothing", "a \n\n b \n", `(?m)\s+$`, "", "a\n\n b\n", 2, `s/\s+$//g`},
		// sd#159, sd's line_by_line_caret_no_phantom: no match after the
		// final newline.
		{"^ on every line, none after the last", "1\n2\n3\n", `^`, "p-", "p-1\np-2\np-3\n", 3, `s/^/p-/g`},
		{"(?m)^ quote", "a\nb\n", `(?m)^`, "> ", "> a\n> b\n", 2, `s/^/> /g`},
		{"$ on every line, no final newline", "a\nb", `$`, ";", "a;\nb;", 2, `s/$/;/g`},
		{"$ on every line, final newline", "a\nb\n", `$`, ";", "a;\nb;\n", 2, `s/$/;/g`},
		// sd#318: (.*) matched again after the newline.
		{"sd#318 (.*) once per line", "abc\n", `(.*)`, "${1}def", "abcdef\n", 1, `s/(.*)/\1def/g`},
		{"^(.*)$", "abc\ndef\n", `^(.*)$`, "${1};", "abc;\ndef;\n", 2, `s/^(.*)$/\1;/g`},
		{". never matches a line end", "a\nb\n", `(?s)a.b`, "X", "a\nb\n", 0, `s/a.b/X/g`},
		{"a class never reaches the next line", "ab\ncd\n", `[^x]+`, "Y", "Y\nY\n", 2, `s/[^x]+/Y/g`},
		{"empty matches", "ab\n\n", `x*`, "-", "-a-b-\n-\n", 4, `s/x*/-/g`},
		{"empty match after a match is dropped", "abc\n", `b*`, "-", "-a-c-\n", 3, `s/b*/-/g`},
		{"word boundary at line edges", "foo\nfoo bar\nxfoo\n", `\bfoo\b`, "X", "X\nX bar\nxfoo\n", 2, `s/\bfoo\b/X/g`},
		{"^$ is an empty line", "a\n\nb\n", `^$`, "EMPTY", "a\nEMPTY\nb\n", 1, `s/^$/EMPTY/g`},
		{"groups", "userinfo@host\n", `(\w+)@`, "${1}x at ", "userinfox at host\n", 1, `s/(\w+)@/\1x at /g`},
		{"multibyte", "café\nééé\n", `é+`, "e", "cafe\ne\n", 2, `s/é+/e/g`},
		{"last line without newline", "foo\nbar\nzoo", `o$`, "0", "fo0\nbar\nzo0", 2, `s/o$/0/g`},
		{"anchored alternation", "ab\nba\n", `^a|b$`, "X", "XX\nba\n", 2, `s/^a|b$/X/g`},
		{"a lone \\r is text", "a\rb\n", `\r`, "R", "aRb\n", 1, `s/\r/R/g`},
		{"no match", "abc\n", `\d`, "x", "abc\n", 0, `s/[0-9]/x/g`},
		{"empty input", "", `^`, "x", "", 0, `s/^/x/g`},
		{"only a newline", "\n", `^`, "x", "x\n", 1, `s/^/x/g`},
	}
	for _, c := range cases {
		checkRegex(t, c, Lines)
		if got, ok := proctest.SedE(t, c.sed, c.src); ok && got != c.want {
			t.Errorf("%s: sed -E %q gives %q, the test wants %q", c.name, c.sed, got, c.want)
		}
	}
}

func checkRegex(t *testing.T, c regexCase, mode Mode) {
	t.Helper()
	r, err := Regex(c.pat, c.tmpl, mode)
	if err != nil {
		t.Fatalf("%s: %v", c.name, err)
	}
	got, n := r.Replace([]byte(c.src))
	if string(got) != c.want || n != c.n {
		t.Errorf("%s: got %q, %d; want %q, %d", c.name, got, n, c.want, c.n)
	}
	if mode == Lines {
		if naive, nn := naiveLines(regexp.MustCompile(c.pat), c.tmpl, []byte(c.src)); string(naive) != string(got) || nn != n {
			t.Errorf("%s: %q, %d; line by line it is %q, %d", c.name, got, n, naive, nn)
		}
	}
}

// CRLF: the terminator is "\r\n", not part of the line, so it survives
// whatever the pattern (the cases; ripgrep's --crlf tests
// f416_crlf and r1095_missing_crlf: "Sherlock$" matches before "\r\n" and
// the "\r\n" stays). sed differs on purpose here: it sees the \r as text,
// so `sed -E 's/\s+$//'` turns CRLF into LF.
func TestRegexLinesCRLF(t *testing.T) {
	for _, c := range []regexCase{
		{"the issue's ^(.*)$", "abc\r\ndef\r\n", `^(.*)$`, "${1};", "abc;\r\ndef;\r\n", 2, ""},
		{"\\s+$ keeps CRLF", "a \r\nb\t\r\n\r\n", `\s+$`, "", "a\r\nb\r\n\r\n", 2, ""},
		{"rg f416_crlf", "as opposed to the Sherlock\r\nHolmeses\r\n", `Sherlock$`, "S.", "as opposed to the S.\r\nHolmeses\r\n", 1, ""},
		{". stops before \\r\\n", "ab\r\n\r\ncd", `.+`, "X", "X\r\n\r\nX", 2, ""},
		{"mixed endings; a final lone \\r is text", "a\r\nb\nc\r", `$`, ";", "a;\r\nb;\nc\r;", 3, ""},
		{"\\r$ never sees the terminator", "a\r\n", `\r$`, "", "a\r\n", 0, ""},
	} {
		checkRegex(t, c, Lines)
	}
	if got, ok := proctest.SedE(t, `s/\s+$//g`, "a \r\n"); ok && got != "a\n" {
		t.Errorf("sed -E 's/\\s+$//' on CRLF gives %q; the help says it turns CRLF into LF", got)
	}
}

// --across: the whole file at once, as sd -A and rg -U.
func TestRegexAcross(t *testing.T) {
	for _, c := range []regexCase{
		// ripgrep's multiline test overlap1.
		{"rg overlap1", "xxx\nabc\ndefxxxabc\ndefxxx\nxxx", `abc\ndef`, "X", "xxx\nXxxxXxxx\nxxx", 2, ""},
		// ripgrep's dot_no_newline and dot_all.
		{"rg dot_no_newline", "of this world, as\nHolmeses, detective", `world.+detective`, "X", "of this world, as\nHolmeses, detective", 0, ""},
		{"rg dot_all", "of this world, as\nHolmeses, detective", `(?s)world.+detective`, "X", "of this X", 1, ""},
		// sd#336: joining lines needs -A.
		{"sd#336 \\n to space", "a\nb\nc\n", `\n`, " ", "a b c ", 3, ""},
		// sd#318, sd#159 fixed in this mode too (sd#352): no match after
		// the final newline.
		{"sd#318 across", "abc\n", `(.*)`, "${1}def", "abcdef\n", 1, ""},
		{"sd#159 across", "1\n2\n", `^`, "p-", "p-1\np-2\n", 2, ""},
		{"$ across", "a\n", `$`, ";", "a;\n", 1, ""},
		{"empty line kept matchable", "a\n\n", `^$`, "E", "a\nE\n", 1, ""},
		// What sd#291 reported, and the reason line mode is the default.
		{"sd#291 across eats line ends", "a \n\nb\n", `\s+$`, "", "a\nb", 2, ""},
		// A \r before \n is text across lines (rg -U without --crlf).
		{"\\r is text across", "abc\r\n", `c$`, "C", "abc\r\n", 0, ""},
	} {
		checkRegex(t, c, Across)
	}
}

// A pattern that needs a line break never matches a line: refused in line
// mode with the way out (sd#336), accepted across lines.
func TestNeedsLineBreak(t *testing.T) {
	for _, pat := range []string{`\n`, `a\r\nb`, `[\n]`, `x(\n)+`, `a\n{2}|b\n`} {
		if _, err := Regex(pat, "", Lines); !errors.Is(err, ErrNeedsLineBreak) {
			t.Errorf("%q: %v, want ErrNeedsLineBreak", pat, err)
		}
		if _, err := Regex(pat, "", Across); err != nil {
			t.Errorf("%q across: %v", pat, err)
		}
	}
	for _, pat := range []string{`a|\n`, `\n?a`, `[\s\S]`, `(\n)*x`, `x\n{0}`} {
		if _, err := Regex(pat, "", Lines); err != nil {
			t.Errorf("%q: %v (it can match within a line)", pat, err)
		}
	}
}

// Templates: a reference to no group is an error with a hint, never an
// empty insertion (the issue: '$1x at ' turned 'userinfo@' into ' at ').
func TestTemplate(t *testing.T) {
	bad := []struct{ pat, tmpl, ref, hint string }{
		{`(\w+)@`, "$1x at ", "$1x", "write ${1}x"},
		// sd's ambiguous_replace_issue_44.
		{`(a)(b)(c)(d)(e)(f)`, "$1Call $2($5, GetFM20ReturnKey(), $6)", "$1Call", "write ${1}Call"},
		{`(\w+)@`, "$path", "$path", "write $$path"},
		{`(\w+)@`, "${9}", "${9}", "$0 (the whole match), $1"},
		{`x`, "$1", "$1", "no group"},
		{`(?P<user>\w+)@`, "$users", "$users", "write ${user}s"},
		{`(?P<user>\w+)@`, "${HOME}", "${HOME}", "write $${HOME}"},
		{`(\w+)`, "${1", "${1", "not closed"},
		{`(\w+)`, "${a-b}", "${a-b}", "$$ for a $"},
	}
	for _, c := range bad {
		_, err := Regex(c.pat, c.tmpl, Lines)
		var te *TemplateError
		if !errors.As(err, &te) || te.Ref != c.ref || !strings.Contains(te.Hint, c.hint) {
			t.Errorf("%q with %q: %v, want a TemplateError for %q hinting %q", c.tmpl, c.pat, err, c.ref, c.hint)
		}
	}
	good := []regexCase{
		{"braces", "v1", `v(\d)`, "${1}0", "10", 1, ""},
		{"named", "key=val", `(?P<k>\w+)=(?P<v>\w+)`, "${v}=$k", "val=key", 1, ""},
		{"dollar-dollar", "5", `(\d)`, "$$$1", "$5", 1, ""},
		{"dollar-dollar-digit", "5", `(\d)`, "$$1", "$1", 1, ""},
		{"a $ before no name", "5", `(\d)`, "$ $1 $-$", "$ 5 $-$", 1, ""},
		{"$0", "ab", `b`, "[$0]", "a[b]", 1, ""},
		{"unmatched group is empty", "a", `(a)|(b)`, "<$2>", "<>", 1, ""},
		{"(?m) prefix does not shift groups across", "ab", `(a)(b)`, "$2$1", "ba", 1, ""},
	}
	for _, c := range good {
		checkRegex(t, c, Lines)
		checkRegex(t, c, Across)
	}
	// sd's fixed_strings_ambiguous_replace_is_fine: literal NEW is literal.
	r, _ := Literal("foo", "$1fine")
	if got, _ := r.Replace([]byte("foo")); string(got) != "$1fine" {
		t.Errorf("literal: %q", got)
	}
}

func TestEmptyAndBadPatterns(t *testing.T) {
	if _, err := Literal("", "x"); !errors.Is(err, ErrEmptyPattern) {
		t.Errorf("Literal(\"\"): %v", err)
	}
	for _, mode := range []Mode{Lines, Across} {
		if _, err := Regex("", "x", mode); !errors.Is(err, ErrEmptyPattern) {
			t.Errorf("Regex(\"\"): %v", err)
		}
		if _, err := Regex("(", "x", mode); err == nil {
			t.Error("Regex(\"(\") accepted")
		}
	}
}

// The candidate finder only skips lines; it must never skip one the
// pattern matches. Patterns chosen for what the finder rewrites: anchors
// dropped, \n taken out of classes, (?s). against \r\n, and \b at line
// ends.
func TestLinesFinderNeverSkipsALine(t *testing.T) {
	src := []byte("foo\r\n\r\n bar \n\tbaz\r\nx\ry\nfoo bar\n\n\r\r\nend")
	for _, pat := range []string{
		`^`, `$`, `^$`, `$^`, `\A`, `\z`, `foo$`, `^\s*$`, `\s+`, `[^a-z]+`, `(?s).$`, `\bbar\b`, `r\b`, `\B`,
		`\r`, `\r$`, `y$`, `(?i)BA[RZ]$`, `x\ry`, `(?m)^\w+$`, `a*`, `(?:foo|end)$`, `[\s\S]{2}$`, `\n?bar`,
	} {
		r, err := Regex(pat, "<$0>", Lines)
		if err != nil {
			t.Fatalf("%q: %v", pat, err)
		}
		want, wn := naiveLines(regexp.MustCompile(pat), "<$0>", src)
		// The literal prefilter where the pattern has a literal, and the
		// candidate regexp alone for every pattern.
		parsed, _ := syntax.Parse(pat, syntax.Perl)
		byRegexp := *r
		byRegexp.lit, byRegexp.cand = finder{}, candidates(parsed)
		for _, r := range []*Replacer{r, &byRegexp} {
			got, n := r.Replace(src)
			if !bytes.Equal(got, want) || n != wn {
				t.Errorf("%q (literal %q): %q, %d; line by line %q, %d", pat, r.lit.needle, got, n, want, wn)
			}
		}
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

// The literal the line finder searches for must be in every match:
// never from an optional part, an alternative or a case-folded literal.
func TestRequiredLiteral(t *testing.T) {
	for pat, want := range map[string]string{
		`old_function_name\(`:    "old_function_name(",
		`\bold_name\((\w+)`:      "old_name(",
		`^\s+(\w+) =`:            " =",
		`(?:foo|bar)baz`:         "baz",
		`(?:foo|bar)`:            "",
		`(ab)+c`:                 "ab",
		`(?i)foo`:                "",
		`x?longer`:               "longer",
		`(?:abc){0,2}d`:          "d",
		`(?:abc){2}d`:            "abc",
		`é+`:                     "é",
		`\s+$`:                   "",
		`a.*bcd`:                 "bcd",
		`(?s)head(?:.*)\btail\b`: "head",
	} {
		re, err := syntax.Parse(pat, syntax.Perl)
		if err != nil {
			t.Fatal(err)
		}
		if got := requiredLiteral(re.Simplify()); got != want {
			t.Errorf("%q: %q, want %q", pat, got, want)
		}
	}
}

// Issue 21.5: sd unescapes NEW in regex mode (sd/src/unescape.rs: \n, \r,
// \t, \', \", \\, \xHH, \uHHHH; any other backslash stays), so that its
// README's `sd '\s+' '\n'` works; fanout wrote the backslash. Literal mode
// stays literal, as sd -F does.
func TestTemplateEscapesLikeSd(t *testing.T) {
	for _, c := range []struct {
		pattern, tmpl, in, want string
	}{
		{`\s+`, `\n`, "a  b\n", "a\nb\n"},
		{`,`, `\t`, "a,b", "a\tb"},
		{`x`, `\r\n`, "axb", "a\r\nb"},
		{`x`, `\\`, "axb", `a\b`},          // the way to write one backslash
		{`x`, `\\n`, "axb", `a\nb`},        // and a backslash before n
		{`x`, `\d\`, "axb", `a\d\b`},       // no escape: kept as written (a trailing one too)
		{`x`, `\x41\u00e9`, "axb", "aAéb"}, // exactly two and four digits
		{`x`, `\x4`, "axb", `a\x4b`},       // too short: kept
		{`(x)`, `\x241`, "axb", "a$1b"},    // an escaped $ is text, not a group
		{`(x)`, `\"$1\'`, "axb", `a"x'b`},
	} {
		r, err := Regex(c.pattern, c.tmpl, Lines)
		if err != nil {
			t.Fatalf("Regex(%q, %q): %v", c.pattern, c.tmpl, err)
		}
		if got, _ := r.Replace([]byte(c.in)); string(got) != c.want {
			t.Errorf("%q -> %q on %q: %q, want %q", c.pattern, c.tmpl, c.in, got, c.want)
		}
	}
	r, err := Literal("x", `\n`)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := r.Replace([]byte("axb")); string(got) != `a\nb` {
		t.Errorf("literal mode unescaped: %q", got)
	}
}
