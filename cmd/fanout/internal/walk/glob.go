package walk

import (
	"errors"
	"fmt"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// ErrBadGlob is wrapped by the error for a glob that cannot be parsed.
var ErrBadGlob = errors.New("bad glob")

// glob is one -g pattern, read as ripgrep reads it (gitignore rules).
type glob struct {
	pattern string // for doublestar, relative to the walked directory
	exclude bool   // "!" prefix
	base    bool   // no '/' but a trailing one: matches a name at any depth
	dirOnly bool   // trailing '/': matches directories only
}

// globs are the -g patterns in the order given: for a path, the last one
// that matches decides (ripgrep's rule, rg#689, rg#1478).
type globs struct {
	list      []glob
	whitelist bool // some pattern includes: a file no pattern matches is left out
}

// parseGlobs reads ripgrep -g patterns: "!" excludes; a pattern without
// '/' (but a trailing one) matches a file or directory name at any depth;
// one with '/' is anchored at the walked directory ("/x" too); a trailing
// '/' matches directories only; "dir/**" matches what is inside dir, not
// dir itself. The syntax is doublestar's: * and ? within a name, ** across
// directories, [...] and [!...] classes, {a,b} alternatives, \ escapes.
func parseGlobs(patterns []string) (globs, error) {
	var g globs
	for _, raw := range patterns {
		p := raw
		var x glob
		if strings.HasPrefix(p, "!") {
			x.exclude, p = true, p[1:]
		}
		if strings.HasSuffix(p, "/") {
			x.dirOnly, p = true, strings.TrimRight(p, "/")
		}
		x.base = !strings.Contains(p, "/")
		p = strings.TrimPrefix(p, "/")
		// gitignore's "dir/**" needs at least one more path element;
		// doublestar's also matches dir itself (rg's overrides test
		// "gitignore": baz/** does not match baz).
		if strings.HasSuffix(p, "/**") {
			p += "/*"
		}
		if p == "" {
			return g, fmt.Errorf("%w %q: empty", ErrBadGlob, raw)
		}
		if !doublestar.ValidatePattern(p) {
			return g, fmt.Errorf("%w %q: unclosed [ or {, or a trailing \\", ErrBadGlob, raw)
		}
		x.pattern = p
		g.list = append(g.list, x)
		g.whitelist = g.whitelist || !x.exclude
	}
	return g, nil
}

// decide returns the last glob matching rel (slash-separated, relative to
// the walked directory), or nil.
func (g globs) decide(rel string, isDir bool) *glob {
	base := rel[strings.LastIndexByte(rel, '/')+1:]
	for i := len(g.list) - 1; i >= 0; i-- {
		x := &g.list[i]
		if x.dirOnly && !isDir {
			continue
		}
		name := rel
		if x.base {
			name = base
		}
		if ok, _ := doublestar.Match(x.pattern, name); ok {
			return x
		}
	}
	return nil
}

// dirExcluded reports whether a directory is left out: the last glob
// matching it excludes. Include globs never leave out a directory, as in
// ripgrep ("*.rs" does not stop the walk entering src/).
func (g globs) dirExcluded(rel string) bool {
	x := g.decide(rel, true)
	return x != nil && x.exclude
}

// fileKept reports whether a file passes: the last glob matching it
// includes, or none matches and there is no include glob.
func (g globs) fileKept(rel string) bool {
	if x := g.decide(rel, false); x != nil {
		return !x.exclude
	}
	return !g.whitelist
}

// prunable returns the directory names the walker may skip without
// listing them: "!name" with a plain name, when no later glob could match
// a directory of that name again.
func (g globs) prunable() []string {
	var names []string
	for i, x := range g.list {
		if !x.exclude || !x.base || strings.ContainsAny(x.pattern, `*?[{\`) {
			continue
		}
		safe := true
		for _, later := range g.list[i+1:] {
			if later.exclude {
				continue // cannot take the directory back
			}
			if !later.base {
				safe = false // could match some/path/name: decide path by path
				break
			}
			if ok, _ := doublestar.Match(later.pattern, x.pattern); ok {
				safe = false
				break
			}
		}
		if safe {
			names = append(names, x.pattern)
		}
	}
	return names
}
