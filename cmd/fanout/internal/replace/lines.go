package replace

import (
	"bytes"
	"regexp"
	"regexp/syntax"
)

// Line mode runs the pattern on each line, without its terminator ("\n"
// or "\r\n"), as sed and sd do. Running the regexp line by line on every
// line is slow (a call per line), so the whole buffer is scanned first
// for the lines that can match, and only those are run line by line: the
// lines holding a literal every match contains (requiredLiteral), or,
// for patterns without one, the lines where a second regexp, the
// candidate finder, matches. The finder accepts everything the
// pattern could match within a line (a superset): it is the pattern with
// ^, $, \A and \z dropped (true everywhere) and \n taken out of every
// class and literal, so none of its matches crosses a line end. Lines it
// does not match cannot match the pattern; on the lines it does, the
// pattern itself decides. Go's regexp finds its literal prefix with a
// fast byte search, as ripgrep's literal prefilter does.

// candidates returns the finder for a parsed pattern, or nil when no part
// of the pattern can match inside a line (it needs a line break).
func candidates(re *syntax.Regexp) *regexp.Regexp {
	t := withinLine(re)
	if t.Op == syntax.OpNoMatch {
		return nil
	}
	c, err := regexp.Compile(t.String())
	if err != nil {
		// Cannot happen for a tree syntax.Parse accepted; if it did, every
		// line would be a candidate, which is slower, never wrong.
		return regexp.MustCompile(``)
	}
	return c
}

var (
	noMatch    = &syntax.Regexp{Op: syntax.OpNoMatch}
	emptyMatch = &syntax.Regexp{Op: syntax.OpEmptyMatch}
)

// withinLine returns a copy of re that can never match '\n' and has no
// line or text anchors, and whose language within one line contains re's.
func withinLine(re *syntax.Regexp) *syntax.Regexp {
	switch re.Op {
	case syntax.OpLiteral:
		for _, r := range re.Rune {
			if r == '\n' {
				return noMatch
			}
		}
		return re
	case syntax.OpCharClass:
		var out []rune
		for i := 0; i+1 < len(re.Rune); i += 2 {
			lo, hi := re.Rune[i], re.Rune[i+1]
			if lo <= '\n' && '\n' <= hi {
				if lo < '\n' {
					out = append(out, lo, '\n'-1)
				}
				if hi > '\n' {
					out = append(out, '\n'+1, hi)
				}
				continue
			}
			out = append(out, lo, hi)
		}
		if len(out) == 0 {
			return noMatch
		}
		c := *re
		c.Rune = out
		return &c
	case syntax.OpAnyChar:
		return &syntax.Regexp{Op: syntax.OpAnyCharNotNL, Flags: re.Flags}
	case syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText:
		return emptyMatch
	case syntax.OpCapture, syntax.OpStar, syntax.OpQuest, syntax.OpPlus, syntax.OpRepeat:
		sub := withinLine(re.Sub[0])
		if sub.Op == syntax.OpNoMatch {
			// Zero repetitions of what cannot match still match the
			// empty string; anything that needs one never matches.
			if re.Op == syntax.OpStar || re.Op == syntax.OpQuest || re.Op == syntax.OpRepeat && re.Min == 0 {
				return emptyMatch
			}
			return noMatch
		}
		c := *re
		c.Sub = []*syntax.Regexp{sub}
		return &c
	case syntax.OpConcat:
		c := *re
		c.Sub = make([]*syntax.Regexp, len(re.Sub))
		for i, s := range re.Sub {
			if c.Sub[i] = withinLine(s); c.Sub[i].Op == syntax.OpNoMatch {
				return noMatch
			}
		}
		return &c
	case syntax.OpAlternate:
		c := *re
		c.Sub = nil
		for _, s := range re.Sub {
			if t := withinLine(s); t.Op != syntax.OpNoMatch {
				c.Sub = append(c.Sub, t)
			}
		}
		switch len(c.Sub) {
		case 0:
			return noMatch
		case 1:
			return c.Sub[0]
		}
		return &c
	}
	// OpNoMatch, OpEmptyMatch, OpAnyCharNotNL, word boundaries: the same
	// within a line.
	return re
}

// requiredLiteral returns a literal that every match of re contains
// ("" if it finds none): the longest case-sensitive literal that is a
// required part of the pattern, like "old_name(" in `\bold_name\((\w+)`.
// Searching for it with a finder is far cheaper than running the regexp
// over text that cannot match (Go's regexp only uses a literal prefix,
// and searches for it with bytes.Index). ripgrep does the same with its
// "inner literals".
func requiredLiteral(re *syntax.Regexp) string {
	switch re.Op {
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase == 0 {
			return string(re.Rune)
		}
	case syntax.OpCapture, syntax.OpPlus:
		return requiredLiteral(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return requiredLiteral(re.Sub[0])
		}
	case syntax.OpConcat:
		best := ""
		for _, sub := range re.Sub {
			if l := requiredLiteral(sub); len(l) > len(best) {
				best = l
			}
		}
		return best
	}
	return ""
}

// replaceLines is Replace in line mode.
func (r *Replacer) replaceLines(src []byte) ([]byte, int) {
	var out []byte
	n, copied, pos := 0, 0, 0
	for pos < len(src) {
		// The next line that may match: one holding the required literal,
		// else one where the candidate finder matches.
		var at int
		if r.lit.needle != nil {
			i := r.lit.index(src[pos:])
			if i < 0 {
				break
			}
			at = pos + i
		} else {
			// pos is always a line start, so the finder sees the same ^
			// and \b context as in the whole buffer.
			loc := r.cand.FindIndex(src[pos:])
			if loc == nil {
				break
			}
			at = pos + loc[0]
		}
		start := pos + bytes.LastIndexByte(src[pos:at], '\n') + 1
		end, next := len(src), len(src)
		if i := bytes.IndexByte(src[at:], '\n'); i >= 0 {
			end, next = at+i, at+i+1
			if end > start && src[end-1] == '\r' {
				end--
			}
		} else if at == len(src) && start == len(src) {
			break // the empty "line" after the final terminator: none (sd#159)
		}
		line := src[start:end]
		matches := r.re.FindAllSubmatchIndex(line, -1)
		if len(matches) > 0 {
			if out == nil {
				out = make([]byte, 0, len(src)+len(src)/8)
			}
			out = append(out, src[copied:start]...)
			last := 0
			for _, m := range matches {
				out = append(out, line[last:m[0]]...)
				out = expand(out, r.tmpl, line, m)
				last = m[1]
			}
			out = append(out, line[last:]...)
			copied = end
			n += len(matches)
		}
		pos = next
	}
	if n == 0 {
		return src, 0
	}
	return append(out, src[copied:]...), n
}

// needsLineBreak reports whether a pattern can match nothing within a
// line, only across a line end (like "\n" or "a\nb"): in line mode it
// would silently never match (sd#336).
func needsLineBreak(re *syntax.Regexp) bool { return withinLine(re).Op == syntax.OpNoMatch }
