// Package replace is the engine of `fanout replace`: literal or regular
// expression replacement over bytes, the checks that keep it away from
// binary files and text in other encodings, an atomic rewrite that keeps a
// file's mode, owner and symlinks. Regular expressions match line by line
// by default, as in sed and sd (Mode).
//
// Every file ends with either its old or its new content, whatever instant
// the process dies at: the new content goes to a temporary file in the same
// directory (named "." + name + digits, so hidden), is synced, and is renamed
// over the old name. Bytes outside the matches are never touched: no
// decoding, no newline normalisation.
package replace

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
)

// ErrEmptyPattern is returned for an empty OLD: it would match between every
// two bytes.
var ErrEmptyPattern = errors.New("the text to replace is empty")

// ErrNeedsLineBreak is returned in line mode for a pattern that can only
// match across a line end ("\n", "a\r\nb"): it would never match.
var ErrNeedsLineBreak = errors.New("the pattern only matches across a line end, and each line is matched on its own: match across lines (--across)")

// Mode says what text a regular expression sees.
type Mode int

const (
	// Lines matches each line on its own, without its terminator ("\n" or
	// "\r\n"), as sed and sd do: ^ and $ are the line's start and end, \s
	// and [^x] never reach into the next line, and there is no line after
	// the final terminator.
	Lines Mode = iota
	// Across matches the whole file at once, as sd -A and rg -U do: ^ and
	// $ still match at every line, and . never matches \n, but \n, \s and
	// [^x] match line ends. The one match after a final \n that only an
	// empty pattern could make is dropped (sd#318).
	Across
)

// Replacer replaces every match of one pattern in a byte slice. It is safe
// for concurrent use.
type Replacer struct {
	old, new []byte         // literal mode
	find     finder         // of old
	re       *regexp.Regexp // regex mode
	cand     *regexp.Regexp // line mode: finds the lines worth matching
	lit      finder         // regex mode: of a literal every match contains, if any
	tmpl     []piece
	across   bool
}

// Literal returns a Replacer that replaces every occurrence of old by new,
// byte for byte (new is not expanded), lines or not.
func Literal(old, new string) (*Replacer, error) {
	if old == "" {
		return nil, ErrEmptyPattern
	}
	return &Replacer{old: []byte(old), new: []byte(new), find: newFinder([]byte(old))}, nil
}

// Regex returns a Replacer for a Go regular expression (RE2 syntax). In
// template, $1 or ${1} is the first group, $name or ${name} a named
// group, $$ a $. A reference to no group of the pattern is a
// *TemplateError (Go's regexp.Expand would write nothing for it: $1x is
// the group named "1x").
func Regex(pattern, template string, mode Mode) (*Replacer, error) {
	if pattern == "" {
		return nil, ErrEmptyPattern
	}
	parsed, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return nil, fmt.Errorf("bad regular expression: %w", err)
	}
	r := &Replacer{across: mode == Across}
	if r.across {
		// (?m) first: the pattern's own flags still win.
		r.re, err = regexp.Compile("(?m)" + pattern)
	} else {
		if needsLineBreak(parsed) {
			return nil, ErrNeedsLineBreak
		}
		r.re, err = regexp.Compile(pattern)
	}
	if err != nil {
		return nil, fmt.Errorf("bad regular expression: %w", err)
	}
	if lit := requiredLiteral(parsed.Simplify()); lit != "" {
		r.lit = newFinder([]byte(lit))
	} else if !r.across {
		r.cand = candidates(parsed)
	}
	if r.tmpl, err = parseTemplate(r.re, template); err != nil {
		return nil, err
	}
	return r, nil
}

// Replace returns src with every match replaced, and the number of
// matches. When there is none it returns src itself and 0.
func (r *Replacer) Replace(src []byte) ([]byte, int) {
	switch {
	case r.re == nil:
		return r.replaceLiteral(src)
	case !r.across:
		return r.replaceLines(src)
	}
	if r.lit.needle != nil && r.lit.index(src) < 0 {
		return src, 0 // most files: no need to run the regexp at all
	}
	matches := r.re.FindAllSubmatchIndex(src, -1)
	if k := len(matches); k > 0 && matches[k-1][0] == len(src) && len(src) > 0 && src[len(src)-1] == '\n' {
		matches = matches[:k-1] // sd#318: no line after the final \n
	}
	if len(matches) == 0 {
		return src, 0
	}
	out := make([]byte, 0, len(src))
	last := 0
	for _, m := range matches {
		out = append(out, src[last:m[0]]...)
		out = expand(out, r.tmpl, src, m)
		last = m[1]
	}
	return append(out, src[last:]...), len(matches)
}

// replaceLiteral replaces without allocating when there is no match.
func (r *Replacer) replaceLiteral(src []byte) ([]byte, int) {
	i := r.find.index(src)
	if i < 0 {
		return src, 0
	}
	// One pass to count, one to copy, starting at the first match.
	n := 1 + bytes.Count(src[i+len(r.old):], r.old)
	out := make([]byte, 0, len(src)+n*(len(r.new)-len(r.old)))
	out = append(out, src[:i]...)
	for {
		out = append(out, r.new...)
		src = src[i+len(r.old):]
		if i = r.find.index(src); i < 0 {
			break
		}
		out = append(out, src[:i]...)
	}
	return append(out, src...), n
}
