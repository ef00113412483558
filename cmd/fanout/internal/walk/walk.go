// Package walk finds the files under the paths a user names, with
// ripgrep's rules: .gitignore, .ignore and .gitmodules honoured (by
// gocodewalker), hidden files and directories skipped, .git/ never
// entered, symlinks met in a directory not followed, -g globs applied,
// and a path named explicitly always yielded.
package walk

import (
	"context"
	"fmt"
	"io/fs"
	"iter"
	"os"
	"path/filepath"
	"sync"

	"github.com/boyter/gocodewalker"
)

// Options choose the files a walk yields.
type Options struct {
	Hidden   bool // walk hidden files and directories too (.git/ never)
	NoIgnore bool // do not honour .gitignore, .ignore and .gitmodules
	// Globs are ripgrep -g patterns, matched against the path relative to
	// the walked directory: "*.go", "src/**/*.ts", "!vendor". The last
	// pattern that matches a path decides; with any include pattern, a
	// file no pattern matches is left out. They apply to walked files
	// only, never to paths named explicitly.
	Globs []string
}

// Entry is one file, or an error met while walking.
type Entry struct {
	Path string
	// Type is fs.ModeSymlink for a symlink met while walking (not
	// followed: the consumer decides), 0 for a regular file. For a path
	// named explicitly it is the type of what the path leads to.
	Type     fs.FileMode
	Explicit bool // named by the user, not found by walking
	Err      error
}

// Files yields the files under paths. A path that is not a directory is
// yielded as is (Explicit), whatever the rules say (fastmod #30: naming a
// hidden file was the only way to edit it). A directory is walked
// concurrently; devices, FIFOs and sockets found in it are left out, as
// ripgrep does (opening one can block or have effects). Unreadable paths
// come as entries with Err. Files fails only on a bad glob (ErrBadGlob).
func Files(ctx context.Context, paths []string, o Options) (iter.Seq[Entry], error) {
	g, err := parseGlobs(o.Globs)
	if err != nil {
		return nil, err
	}
	return func(yield func(Entry) bool) {
		for _, root := range paths {
			fi, err := os.Stat(root)
			switch {
			case err != nil:
				if !yield(Entry{Path: root, Explicit: true, Err: err}) {
					return
				}
			case !fi.IsDir():
				if !yield(Entry{Path: root, Type: fi.Mode().Type(), Explicit: true}) {
					return
				}
			default:
				if !walkDir(ctx, root, o, g, yield) {
					return
				}
			}
		}
	}, nil
}

// walkDir yields the files under dir and reports whether to go on.
func walkDir(ctx context.Context, dir string, o Options, g globs, yield func(Entry) bool) bool {
	files := make(chan *gocodewalker.File, 256)
	w := gocodewalker.NewFileWalker(dir, files)
	w.IncludeHidden = o.Hidden
	w.IgnoreGitIgnore = o.NoIgnore
	w.IgnoreIgnoreFile = o.NoIgnore
	w.IgnoreGitModules = o.NoIgnore
	// .git even with --hidden (fastmod #37), and the directories an
	// exclude glob leaves out whatever comes after it.
	w.ExcludeDirectory = append([]string{".git"}, g.prunable()...)
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
	dirs := dirCache{root: dir, g: g}
	for f := range files {
		if ctx.Err() != nil {
			return stop()
		}
		d := dirs.get(filepath.Dir(f.Location))
		if d.excluded {
			continue
		}
		typ := d.types[f.Filename]
		if typ != 0 && typ != fs.ModeSymlink {
			continue // device, FIFO, socket
		}
		if len(g.list) > 0 && !g.fileKept(d.rel(f.Filename)) {
			continue
		}
		if !yield(Entry{Path: f.Location, Type: typ}) {
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

// dirInfo is what the walk knows about one directory.
type dirInfo struct {
	path     string
	relDir   string                 // slash-separated, relative to the root; "" for the root
	excluded bool                   // it or a parent is left out by a glob
	types    map[string]fs.FileMode // entries that are not regular files, by name
}

func (d *dirInfo) rel(name string) string {
	if d.relDir == "" {
		return name
	}
	return d.relDir + "/" + name
}

// dirCache remembers the last directories seen. gocodewalker yields a
// directory's files together, a few directories at a time, so a small
// cache holds them all; a directory that comes back after eviction is
// read again. gocodewalker's entries carry no type: reading each
// directory once more here (one getdents) costs far less than an lstat
// per file.
type dirCache struct {
	root string
	g    globs
	ring [64]*dirInfo
	next int
}

func (c *dirCache) get(path string) *dirInfo {
	for i := range c.ring {
		if d := c.ring[(c.next-1-i+2*len(c.ring))%len(c.ring)]; d != nil && d.path == path {
			return d
		}
	}
	d := &dirInfo{path: path}
	if rel, err := filepath.Rel(c.root, path); err == nil && rel != "." {
		d.relDir = filepath.ToSlash(rel)
	}
	if len(c.g.list) > 0 && d.relDir != "" {
		// Every directory from the root down: one left out leaves out
		// what is under it (the walker does not prune by globs itself).
		for i := 0; i <= len(d.relDir); i++ {
			if (i == len(d.relDir) || d.relDir[i] == '/') && c.g.dirExcluded(d.relDir[:i]) {
				d.excluded = true
				break
			}
		}
	}
	if !d.excluded {
		d.types = oddTypes(path)
	}
	c.ring[c.next] = d
	c.next = (c.next + 1) % len(c.ring)
	return d
}

// oddTypes returns the types of dir's entries that are neither regular
// files nor directories (nil when there are none, or dir cannot be read:
// then the consumer's own checks on opening still apply).
func oddTypes(dir string) map[string]fs.FileMode {
	f, err := os.Open(dir)
	if err != nil {
		return nil
	}
	defer f.Close()
	var odd map[string]fs.FileMode
	for {
		ents, err := f.ReadDir(1024)
		for _, e := range ents {
			if t := e.Type(); t != 0 && !t.IsDir() {
				if odd == nil {
					odd = map[string]fs.FileMode{}
				}
				odd[e.Name()] = t
			}
		}
		if err != nil {
			return odd
		}
	}
}
