// Package replace is the engine of `fanout replace`: literal or regular
// expression replacement over bytes, the checks that keep it away from
// binary files and text in other encodings, an atomic rewrite that keeps a
// file's mode, owner and symlinks, and the directory walk that finds the
// files (.gitignore and .ignore honoured, hidden files and .git/ skipped).
//
// Every file ends with either its old or its new content, whatever instant
// the process dies at: the new content goes to a temporary file in the same
// directory (named "." + name + digits, so hidden), is synced, and is renamed
// over the old name. Bytes outside the matches are never touched: no
// decoding, no line splitting, no newline normalisation.
package replace

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
)

// ErrEmptyPattern is returned for an empty OLD: it would match between every
// two bytes.
var ErrEmptyPattern = errors.New("the text to replace is empty")

// Replacer replaces every match of one pattern in a byte slice. It is safe
// for concurrent use.
type Replacer struct {
	old, new []byte
	re       *regexp.Regexp
}

// Literal returns a Replacer that replaces every occurrence of old by new,
// byte for byte (new is not expanded).
func Literal(old, new string) (*Replacer, error) {
	if old == "" {
		return nil, ErrEmptyPattern
	}
	return &Replacer{old: []byte(old), new: []byte(new)}, nil
}

// Regex returns a Replacer for a Go regular expression (RE2 syntax). In
// template, $1 or ${1} is the first group and ${name} a named group, as in
// regexp.Expand; $$ is a literal $. Note that $1x means the group named
// "1x": write ${1}x.
func Regex(pattern, template string) (*Replacer, error) {
	if pattern == "" {
		return nil, ErrEmptyPattern
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, fmt.Errorf("bad regular expression: %w", err)
	}
	return &Replacer{re: re, new: []byte(template)}, nil
}

// Replace returns src with every match replaced, and the number of
// matches. When there is none it returns src itself and 0, without
// allocating.
func (r *Replacer) Replace(src []byte) ([]byte, int) {
	if r.re == nil {
		i := bytes.Index(src, r.old)
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
			if i = bytes.Index(src, r.old); i < 0 {
				break
			}
			out = append(out, src[:i]...)
		}
		return append(out, src...), n
	}
	matches := r.re.FindAllSubmatchIndex(src, -1)
	if len(matches) == 0 {
		return src, 0
	}
	out := make([]byte, 0, len(src))
	last := 0
	for _, m := range matches {
		out = append(out, src[last:m[0]]...)
		out = r.re.Expand(out, r.new, src, m)
		last = m[1]
	}
	return append(out, src[last:]...), len(matches)
}
