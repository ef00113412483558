package linkcheck

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/fanout-dev/fanout/cmd/fanout/internal/links"
)

// read extracts the links of a local document and queues them.
func (c *Checker) read(ctx context.Context, it Item) Result {
	if it.Err != nil {
		return Result{Verdict: Unread, Word: "error: " + reason(it.Err), Err: it.Err}
	}
	var r io.Reader
	format := links.FormatOf(it.Doc)
	if it.Doc == "-" {
		r, format = c.o.Stdin, links.Markdown // Markdown finds bare URLs too
	} else {
		f, err := openDoc(ctx, it.Doc, c.o.MaxPage)
		if err != nil {
			return Result{Verdict: Unread, Word: "error: " + reason(err), Err: err}
		}
		defer func() { _ = f.Close() }() // only read: a close error changes nothing
		r = f
	}
	opts := c.o.Extract
	opts.Format = format
	var guess rootGuess
	if opts.RootDir == "" && opts.BaseURL == nil && it.Doc != "-" {
		guess = c.guessRoot(it.Doc)
		opts.RootDir = guess.dir
	}
	u := &utf8Reader{r: r}
	n, err := c.extract(u, links.Source{Path: it.Doc}, opts, it.Doc, 0, guess)
	if u.bad || len(u.carry) > 0 {
		// lychee skips such a file, naming it; it is read, and named
		// (issue 24.7).
		c.mu.Lock()
		if c.stats.NotUTF8++; c.stats.FirstNotUTF8 == "" {
			c.stats.FirstNotUTF8 = it.Doc
		}
		c.mu.Unlock()
	}
	if err != nil {
		return Result{Verdict: Unread, Word: "error: " + reason(err), Err: err, Links: n}
	}
	return Result{Verdict: Read, Word: "read", Links: n}
}

// utf8Reader passes a document through and notes whether it is valid
// UTF-8; a rune split across reads is carried to the next.
type utf8Reader struct {
	r     io.Reader
	carry []byte // the start of a rune the last read cut
	bad   bool
}

func (u *utf8Reader) Read(p []byte) (int, error) {
	n, err := u.r.Read(p)
	if u.bad || n == 0 {
		return n, err
	}
	b := p[:n]
	if len(u.carry) > 0 {
		b = append(u.carry, b...)
		u.carry = u.carry[:0]
	}
	// An incomplete rune at the end waits for the next read.
	cut := len(b)
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				cut = i
			}
			break
		}
	}
	u.bad = !utf8.Valid(b[:cut])
	// b may share carry's array: checked first, then carried.
	u.carry = append(u.carry, b[cut:]...)
	return n, err
}

// rootGuess is where root-relative links in a local document start
// without --root-dir; dir "" for nowhere.
type rootGuess struct {
	dir       string
	fromIndex bool // a site's folder holding index.html, not a git top level
}

// guessRoot guesses where root-relative links in a local document start
// without --root-dir (issue 24.11: 803 identical errors on
// kubernetes/community). First the git top level of its directory, as
// GitHub resolves /docs/a.md in a repository's Markdown from the
// repository's root; else a built site's root: the nearest folder above
// holding index.html and, as a site's sections have their own index.html,
// the folders above it as long as they hold one too. Each directory is
// looked up once.
func (c *Checker) guessRoot(doc string) rootGuess {
	dir, err := filepath.Abs(filepath.Dir(doc))
	if err != nil {
		return rootGuess{}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if g, ok := c.roots[dir]; ok {
		return g
	}
	if c.roots == nil {
		c.roots = map[string]rootGuess{}
	}
	g := rootGuess{dir: upward(dir, ".git", false)}
	if g.dir == "" {
		g = rootGuess{dir: upward(dir, "index.html", true), fromIndex: true}
	}
	c.roots[dir] = g
	return g
}

// upward is the nearest of dir and the folders above it that holds name;
// with chain, the highest of an unbroken run of such folders from there;
// "" for none.
func upward(dir, name string, chain bool) string {
	found := ""
	for {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			found = dir
		} else if found != "" {
			return found
		}
		if found != "" && !chain {
			return found
		}
		up := filepath.Dir(dir)
		if up == dir {
			return found
		}
		dir = up
	}
}

// ErrTooLarge is the error of a document that is not a regular file (a
// device, a FIFO) and holds more than MaxPage bytes: /dev/zero never ends.
var ErrTooLarge = errors.New("not a regular file, and larger than --max-page-size")

// doc is an open document: a regular file read whole, anything else (only
// ever opened when named: a walk leaves devices and FIFOs out) read up to
// a cap, and given up when ctx ends.
type doc struct {
	*os.File
	left int64 // for a file that is not regular: bytes it may still yield; -1: no cap
	stop func() bool
}

// openDoc opens path without blocking: open(2) on a FIFO with no writer
// would wait for one forever (issue 26.6). O_NONBLOCK has no effect on a
// regular file; a FIFO's reads then wait in Go's poller, where ctx can end
// them.
func openDoc(ctx context.Context, path string, limit int64) (*doc, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	d := &doc{File: f, left: -1, stop: func() bool { return false }}
	if !fi.Mode().IsRegular() {
		d.left = limit
		d.stop = context.AfterFunc(ctx, func() { _ = f.SetReadDeadline(time.Now()) }) // fails only once f is closed
	}
	return d, nil
}

func (d *doc) Read(p []byte) (int, error) {
	if d.left < 0 {
		return d.File.Read(p)
	}
	if d.left == 0 {
		// One byte more tells a document of exactly the cap from a longer one.
		var b [1]byte
		if n, err := d.File.Read(b[:]); n == 0 {
			return 0, err
		}
		return 0, &fs.PathError{Op: "read", Path: d.Name(), Err: ErrTooLarge}
	}
	if int64(len(p)) > d.left {
		p = p[:d.left]
	}
	n, err := d.File.Read(p)
	d.left -= int64(n)
	return n, err
}

func (d *doc) Close() error {
	d.stop()
	return d.File.Close()
}

// extract queues the links of one document, found at depth (of the page
// they are on), in batches so that a large document does not wait for its
// end to start being checked. guess is what opts.RootDir was guessed
// from, if it was.
func (c *Checker) extract(r io.Reader, src links.Source, opts links.Options, source string, depth int, guess rootGuess) (int, error) {
	const batch = 256
	var its []Item
	n := 0
	for l, err := range links.Extract(r, src, opts) {
		if err != nil {
			c.push(its)
			return n, err
		}
		n++
		l = c.remap(l)
		if guess.dir != "" && strings.HasPrefix(l.Raw, "/") && !strings.HasPrefix(l.Raw, "//") {
			c.mu.Lock()
			if c.stats.RootLinks++; c.stats.Root == "" {
				c.stats.Root, c.stats.RootFromIndex = guess.dir, guess.fromIndex
			}
			c.mu.Unlock()
		}
		its = append(its, Item{Link: l, Source: source, depth: depth + 1})
		if len(its) == batch {
			c.push(its)
			its = nil
		}
	}
	c.push(its)
	return n, nil
}
