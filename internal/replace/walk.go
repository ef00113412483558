package replace

import (
	"context"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"github.com/boyter/gocodewalker"
)

// WalkOptions choose the files a directory walk yields.
type WalkOptions struct {
	Hidden   bool // walk hidden files and directories too (.git/ never)
	NoIgnore bool // do not honour .gitignore, .ignore and .gitmodules
	// Globs are ripgrep -g patterns, matched against the path relative to
	// the walked directory: "*.go", "src/**/*.ts", "!vendor" (excludes; a
	// pattern without '/' matches any file or directory name). With any
	// include pattern, only files matching one of them are yielded.
	Globs []string
}

// Entry is one path to edit, or an error met while walking.
type Entry struct {
	Path     string
	Explicit bool // named by the user, not found by walking
	Err      error
}

type glob struct {
	re       *regexp.Regexp
	baseOnly bool // no '/' in the pattern: match any path component
}

type globs struct{ include, exclude []glob }

func compileGlobs(patterns []string) (globs, error) {
	var g globs
	for _, p := range patterns {
		exclude := strings.HasPrefix(p, "!")
		p = strings.TrimPrefix(p, "!")
		p = strings.TrimSuffix(p, "/")
		baseOnly := !strings.Contains(p, "/")
		p = strings.TrimPrefix(p, "/")
		if p == "" {
			return g, fmt.Errorf("empty glob")
		}
		re, err := globRegexp(p)
		if err != nil {
			return g, fmt.Errorf("glob %q: %w", p, err)
		}
		if exclude {
			g.exclude = append(g.exclude, glob{re, baseOnly})
		} else {
			g.include = append(g.include, glob{re, baseOnly})
		}
	}
	return g, nil
}

// keep reports whether the file at rel (slash-separated, relative to the
// walked directory) passes the globs.
func (g globs) keep(rel string) bool {
	base := rel[strings.LastIndexByte(rel, '/')+1:]
	for _, x := range g.exclude {
		if x.re.MatchString(rel) {
			return false
		}
		if x.baseOnly {
			// "!vendor" excludes a directory of that name at any depth.
			for _, part := range strings.Split(rel, "/") {
				if x.re.MatchString(part) {
					return false
				}
			}
		} else {
			for i := strings.IndexByte(rel, '/'); i >= 0; i = next(rel, i) {
				if x.re.MatchString(rel[:i]) {
					return false
				}
			}
		}
	}
	if len(g.include) == 0 {
		return true
	}
	for _, x := range g.include {
		if (x.baseOnly && x.re.MatchString(base)) || x.re.MatchString(rel) {
			return true
		}
	}
	return false
}

func next(s string, i int) int {
	j := strings.IndexByte(s[i+1:], '/')
	if j < 0 {
		return -1
	}
	return i + 1 + j
}

// globRegexp translates a glob: * and ? within a name, ** across
// directories, [...] classes ([!...] negated), {a,b} alternatives, \ escapes.
func globRegexp(g string) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString("^")
	braces := 0
	for i := 0; i < len(g); i++ {
		switch c := g[i]; c {
		case '*':
			switch {
			case strings.HasPrefix(g[i:], "**/"):
				b.WriteString("(?:.*/)?")
				i += 2
			case strings.HasPrefix(g[i:], "**"):
				b.WriteString(".*")
				i++
			default:
				b.WriteString("[^/]*")
			}
		case '?':
			b.WriteString("[^/]")
		case '[':
			end := strings.IndexByte(g[i+1:], ']')
			if end < 0 {
				b.WriteString(`\[`)
				continue
			}
			class := g[i+1 : i+1+end]
			if strings.HasPrefix(class, "!") {
				class = "^" + class[1:]
			}
			b.WriteString("[" + strings.ReplaceAll(class, `\`, `\\`) + "]")
			i += 1 + end
		case '{':
			braces++
			b.WriteString("(?:")
		case '}':
			if braces == 0 {
				b.WriteString(`\}`)
				continue
			}
			braces--
			b.WriteString(")")
		case ',':
			if braces > 0 {
				b.WriteString("|")
			} else {
				b.WriteString(",")
			}
		case '\\':
			if i+1 < len(g) {
				i++
				b.WriteString(regexp.QuoteMeta(g[i : i+1]))
			}
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	if braces > 0 {
		return nil, fmt.Errorf("unclosed {")
	}
	b.WriteString("$")
	return regexp.Compile(b.String())
}

// Walk yields the files under roots: a file named in roots is yielded as
// is (Explicit); a directory is walked concurrently (gocodewalker), with
// .gitignore, .ignore and .gitmodules honoured unless NoIgnore, hidden
// files and directories skipped unless Hidden, .git/ never entered, and
// the globs applied. Unreadable paths come as entries with Err. It fails
// only on a bad glob.
func Walk(ctx context.Context, roots []string, o WalkOptions) (iter.Seq[Entry], error) {
	g, err := compileGlobs(o.Globs)
	if err != nil {
		return nil, err
	}
	var pruneDirs []*regexp.Regexp
	for _, x := range g.exclude {
		if x.baseOnly {
			pruneDirs = append(pruneDirs, x.re)
		}
	}
	return func(yield func(Entry) bool) {
		for _, root := range roots {
			fi, err := os.Stat(root)
			switch {
			case err != nil:
				if !yield(Entry{Path: root, Explicit: true, Err: err}) {
					return
				}
			case !fi.IsDir():
				if !yield(Entry{Path: root, Explicit: true}) {
					return
				}
			default:
				if !walkDir(ctx, root, o, g, pruneDirs, yield) {
					return
				}
			}
		}
	}, nil
}

// walkDir yields the files under dir and reports whether to go on.
func walkDir(ctx context.Context, dir string, o WalkOptions, g globs, prune []*regexp.Regexp, yield func(Entry) bool) bool {
	files := make(chan *gocodewalker.File, 256)
	w := gocodewalker.NewFileWalker(dir, files)
	w.IncludeHidden = o.Hidden
	w.IgnoreGitIgnore = o.NoIgnore
	w.IgnoreIgnoreFile = o.NoIgnore
	w.IgnoreGitModules = o.NoIgnore
	w.ExcludeDirectory = []string{".git"} // even with --hidden (fastmod #37)
	w.ExcludeDirectoryRegex = prune
	var mu sync.Mutex
	var walkErrs []error
	w.SetErrorHandler(func(err error) bool {
		mu.Lock()
		walkErrs = append(walkErrs, err)
		mu.Unlock()
		return true // report it, walk on
	})
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := w.Start(); err != nil && err != gocodewalker.ErrTerminateWalk {
			mu.Lock()
			walkErrs = append(walkErrs, err)
			mu.Unlock()
		}
	}()
	stop := func() bool {
		w.Terminate()
		for range files { // let the walker finish and close the channel
		}
		<-done
		return false
	}
	for f := range files {
		if ctx.Err() != nil {
			return stop()
		}
		rel, err := filepath.Rel(dir, f.Location)
		if err != nil {
			rel = f.Location
		}
		if !g.keep(filepath.ToSlash(rel)) {
			continue
		}
		if !yield(Entry{Path: f.Location}) {
			return stop()
		}
	}
	<-done
	for _, err := range walkErrs {
		path := dir
		if pe, ok := err.(*os.PathError); ok {
			path = pe.Path
		}
		if !yield(Entry{Path: path, Err: fmt.Errorf("walking: %w", err)}) {
			return false
		}
	}
	return true
}
