package replace

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// TemplateError is a reference in NEW to no group of the pattern. Go's
// regexp.Expand writes nothing for it, silently: "$1x" is read as a group
// named "1x" (sd refuses it: "ambiguous capture group", sd#44's case).
type TemplateError struct {
	Ref  string // as written: "$1x", "${9}", "$name"
	Hint string // what to write instead
}

func (e *TemplateError) Error() string {
	return fmt.Sprintf("NEW refers to %s, which is no group of the pattern: %s", e.Ref, e.Hint)
}

// piece is a run of literal text or a group of the match.
type piece struct {
	text  []byte
	group int // -1 for text
}

// parseTemplate reads NEW as regexp.Expand does ($1, ${1}, $name,
// ${name}, $$ for a $; a name is letters, digits and underscores), but
// every reference must name a group of re. A $ followed by anything else
// is a $, as in Expand. Backslash escapes are sd's (sd/src/unescape.rs):
// \n, \r, \t, \', \", \\, \xHH and \uHHHH are the characters (text:
// \x24 is a $, never a group); any other backslash is kept as written.
func parseTemplate(re *regexp.Regexp, tmpl string) ([]piece, error) {
	var pieces []piece
	var text []byte
	flush := func() {
		if len(text) > 0 {
			pieces = append(pieces, piece{text: text, group: -1})
			text = nil
		}
	}
	for i := 0; i < len(tmpl); {
		c := tmpl[i]
		if c == '\\' {
			r, n := unescape(tmpl[i:])
			text = utf8.AppendRune(text, r)
			i += n
			continue
		}
		if c != '$' || i+1 == len(tmpl) {
			text = append(text, c)
			i++
			continue
		}
		switch next := tmpl[i+1]; {
		case next == '$':
			text = append(text, '$')
			i += 2
		case next == '{':
			end := strings.IndexByte(tmpl[i+2:], '}')
			if end < 0 {
				return nil, &TemplateError{Ref: tmpl[i:], Hint: "the ${ is not closed: write ${1} or ${name} for a group, $$ for a $"}
			}
			if !isName(tmpl[i+2 : i+2+end]) {
				return nil, &TemplateError{Ref: tmpl[i : i+2+end+1], Hint: "a group is ${1} or ${name} (letters, digits, _): write $$ for a $"}
			}
			name := tmpl[i+2 : i+2+end]
			g := groupIndex(re, name)
			if g < 0 {
				return nil, &TemplateError{Ref: "${" + name + "}", Hint: noGroupHint(re, "${"+name+"}")}
			}
			flush()
			pieces = append(pieces, piece{group: g})
			i += 2 + end + 1
		case isNameByte(next):
			j := i + 1
			for j < len(tmpl) && isNameByte(tmpl[j]) {
				j++
			}
			name := tmpl[i+1 : j]
			g := groupIndex(re, name)
			if g < 0 {
				return nil, &TemplateError{Ref: "$" + name, Hint: nameHint(re, name)}
			}
			flush()
			pieces = append(pieces, piece{group: g})
			i = j
		default:
			text = append(text, '$')
			i++
		}
	}
	flush()
	return pieces, nil
}

// unescape reads the escape at the start of s (which starts with a
// backslash): the character it stands for and its length; a backslash
// alone when it is none of sd's. Unlike sd, \xHH takes exactly its two
// digits (sd's escape_n_chars consumes one character more).
func unescape(s string) (rune, int) {
	if len(s) < 2 {
		return '\\', 1
	}
	switch s[1] {
	case 'n':
		return '\n', 2
	case 'r':
		return '\r', 2
	case 't':
		return '\t', 2
	case '\'', '"', '\\':
		return rune(s[1]), 2
	case 'x', 'u':
		digits := 2
		if s[1] == 'u' {
			digits = 4
		}
		if len(s) >= 2+digits {
			if v, err := strconv.ParseUint(s[2:2+digits], 16, 32); err == nil && utf8.ValidRune(rune(v)) {
				return rune(v), 2 + digits
			}
		}
	}
	return '\\', 1
}

// groupIndex returns the group a name refers to, or -1.
func groupIndex(re *regexp.Regexp, name string) int {
	if n, err := strconv.Atoi(name); err == nil && name[0] >= '0' && name[0] <= '9' {
		if n <= re.NumSubexp() {
			return n
		}
		return -1
	}
	if name != "" {
		return re.SubexpIndex(name)
	}
	return -1
}

// nameHint explains "$1x": the longest leading part that is a group,
// braced ("write ${1}x"), else what the groups are.
func nameHint(re *regexp.Regexp, name string) string {
	for k := len(name) - 1; k > 0; k-- {
		if groupIndex(re, name[:k]) >= 0 {
			return fmt.Sprintf("write ${%s}%s (a name runs on through letters, digits and _), or $$ for a $", name[:k], name[k:])
		}
	}
	return noGroupHint(re, "$"+name)
}

func noGroupHint(re *regexp.Regexp, ref string) string {
	var groups []string
	for i, n := range re.SubexpNames() {
		switch {
		case i == 0:
		case n != "":
			groups = append(groups, "$"+strconv.Itoa(i)+" or ${"+n+"}")
		default:
			groups = append(groups, "$"+strconv.Itoa(i))
		}
	}
	have := "the pattern has no group, only $0 (the whole match)"
	if len(groups) > 0 {
		have = "the pattern has $0 (the whole match), " + strings.Join(groups, ", ")
	}
	return have + "; write $" + ref + " for the text " + ref
}

func isName(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isNameByte(s[i]) {
			return false
		}
	}
	return s != ""
}

func isNameByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// expand appends the template for match m of src.
func expand(dst []byte, pieces []piece, src []byte, m []int) []byte {
	for _, p := range pieces {
		if p.group < 0 {
			dst = append(dst, p.text...)
		} else if m[2*p.group] >= 0 {
			dst = append(dst, src[m[2*p.group]:m[2*p.group+1]]...)
		}
	}
	return dst
}
