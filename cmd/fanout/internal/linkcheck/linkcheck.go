// Package linkcheck checks the links that package links finds in documents:
// each distinct target once per run, web pages through the same checker as
// `fanout check`, local files on disk, #fragments against the target's
// anchors, and, when asked, the pages of the start URLs' hosts crawled.
//
// A run is a stream of Items: documents to read, and the links found in
// them. Reading a document (or following a page) adds its links to the
// stream, so Items and Do feed each other: Items yields what Do queued
// before it takes the next document, which keeps the queue to the links of
// the documents in flight. What is remembered across the run is one entry
// per distinct target, never the documents.
package linkcheck

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/fanout-dev/fanout/cmd/fanout/internal/httpcheck"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/links"
)

// Options configure a Checker.
type Options struct {
	Extract links.Options // IncludeCode, RootDir; the format is chosen per document
	// Include and Exclude select links by the link as written and, for a
	// web link, its absolute URL: with Include, only links that match one
	// are checked; a link that matches Exclude is not, unless it matches
	// an Include (which wins, as in lychee).
	Include, Exclude []*regexp.Regexp
	Fragments        bool // check #fragments against the target's anchors
	// Remap rewrites web links before they are checked (lychee's
	// --remap): the first rule whose pattern matches a link's absolute URL
	// replaces the match (with $1 for a group); the result is checked, an
	// http(s) URL on the web or a file:// URL on disk, so that a production
	// URL can be checked against a local build.
	Remap []Remap
	// Offline leaves every web link out (Excluded, whatever Include says):
	// local links only, no request (lychee's --offline).
	Offline bool
	// Crawl follows the links to pages of the start URLs' hosts: each
	// page is fetched once and its links are checked in turn.
	Crawl bool
	Depth int // with Crawl, follow pages up to this many links from a start URL; negative: no limit
	// MaxPages, with Crawl, is the most pages followed (start URLs
	// included); 0: no limit. Once reached, a link on a page to a page of
	// the crawled hosts not seen yet is left out, neither followed nor
	// checked, so that an endless site cannot grow the run's memory (which
	// holds one entry per distinct target) nor its work: 1,000 new links
	// a page reached 707 MB in 25 s (issue 26.4).
	MaxPages int
	// Robots, with Crawl, does not follow the pages a start host's
	// robots.txt disallows to every robot (they are still checked);
	// Sitemap adds the pages its /sitemap.xml lists to the crawl.
	Robots, Sitemap bool
	// Accept, if set, says which HTTP statuses pass (--accept); by
	// default a 2xx does.
	Accept func(status int) bool
	// MaxPage is the most bytes of a page read for its links and anchors
	// (the rest is not read: the page itself is still checked).
	MaxPage int64
	Stdin   io.Reader // the document "-"
}

// Remap is one --remap rule.
type Remap struct {
	Pattern     *regexp.Regexp
	Replacement string
}

// remap applies the first matching rule to a web link.
func (c *Checker) remap(l links.Link) links.Link {
	if l.Kind != links.HTTP {
		return l
	}
	for _, r := range c.o.Remap {
		if !r.Pattern.MatchString(l.Target) {
			continue
		}
		to := r.Pattern.ReplaceAllString(l.Target, r.Replacement)
		if l.Fragment != "" {
			to += "#" + url.PathEscape(l.Fragment)
		}
		if u, err := url.Parse(to); err == nil && u.Scheme == "file" && u.Path != "" {
			l.Kind, l.Target, l.Fragment, l.Scheme = links.File, filepath.Clean(filepath.FromSlash(u.Path)), u.Fragment, "file"
			return l
		}
		target, frag, err := links.NormalizeURL(to)
		if err != nil {
			l.Kind, l.Err = links.Invalid, fmt.Errorf("--remap %s: %w", r.Pattern, err)
			return l
		}
		l.Target, l.Fragment = target, frag
		return l
	}
	return l
}

// Item is one piece of work: a document to read, or a link found in one.
type Item struct {
	// Doc is a local document to read ("-": stdin); "" for a link.
	Doc string
	// Err is why the walk could not yield Doc.
	Err error
	// Link is the link, for an item that is not a Doc.
	Link links.Link
	// Source is where Link was found: a path or a page's URL; "" for a
	// URL given as an argument.
	Source  string
	depth   int  // links from a start URL: 0 for the start URL itself
	follow  bool // fetch the page and take its links
	start   bool // a URL given as an argument
	counted bool // Items counts it as active until Do is done with it
	claim   bool // the first link to its target: its target is busy until Do is done with it
}

// Follows reports whether Do fetches the item's page to take its links: a
// start URL, or with Crawl a page of the start URLs' hosts (as decided
// when Items yielded it). A rerun (--resume) must not skip such an item,
// nor a document: its links would be lost.
func (it Item) Follows() bool { return it.follow }

// Key names an item uniquely and stably across runs, for --resume:
// "docs/a.md:12:5 https://x/" for a link, the path for a document.
func (it Item) Key() string {
	if it.Doc != "" {
		return it.Doc
	}
	return it.Source + ":" + strconv.Itoa(it.Link.Line) + ":" + strconv.Itoa(it.Link.Col) + " " + it.Link.Raw
}

// Shown is the link as a report shows it: a web link's absolute URL (what
// was requested, with its fragment), anything else as written.
func (it Item) Shown() string {
	if it.Link.Kind == links.HTTP {
		if it.Link.Fragment != "" {
			return it.Link.Target + "#" + it.Link.Fragment
		}
		return it.Link.Target
	}
	return it.Link.Raw
}

// Verdict sorts a Result.
type Verdict uint8

const (
	OK       Verdict = iota // the target is there (and so is its anchor)
	Broken                  // it is not, or cannot be reached
	Skipped                 // a scheme that is not checked: mailto, tel...
	Excluded                // left out by Include/Exclude
	Read                    // a document was read; its links follow
	Unread                  // a document could not be read
)

// Result is what Do found for an item.
type Result struct {
	Verdict Verdict
	Word    string // "exists", "does not exist", "no anchor #x", "error: reason"...
	Status  int    // the HTTP status; 0 without one
	Err     error  // why a link is broken or a document unread, when there is an error
	Links   int    // for a document: the links found in it
	// Repeat marks a use of an unresolved root-relative path reported
	// already: broken, but one line a path says all (issue 24.11: 803
	// identical errors on kubernetes/community).
	Repeat bool
}

// Stats counts the distinct targets a run checked.
type Stats struct {
	HTTP, Files int // distinct web and local targets
	Pages       int // pages followed (start URLs and crawled pages)
	// Deeper counts the distinct pages of a crawl beyond Depth: checked,
	// not followed.
	Deeper int
	// Unchecked counts the links to pages beyond MaxPages: left out.
	Unchecked int
	// NotUTF8 counts the local documents that are not valid UTF-8 (read
	// as they are: a link is ASCII, or UTF-8 where it is not); FirstNotUTF8
	// names the first.
	NotUTF8      int
	FirstNotUTF8 string
	// RootLinks counts the root-relative links (/docs/a.md) resolved from
	// a guessed root, without Extract.RootDir: the git top level of their
	// document, else the site around it (RootFromIndex: the folders
	// holding index.html); Root names the first such root.
	RootLinks     int
	Root          string
	RootFromIndex bool
	Cached        int // distinct web targets answered from the cache
	Robots        int // distinct pages robots.txt kept the crawl from following
	// Unresolved counts the root-relative links no root was found for;
	// UnresolvedTargets the distinct paths among them, each reported once.
	Unresolved, UnresolvedTargets int
}

// Checker runs one links check. It is safe for concurrent use by Do.
type Checker struct {
	o     Options
	web   *httpcheck.Checker
	hosts map[string]bool // the start URLs' hosts, for Crawl

	mu      sync.Mutex
	targets map[string]*entry    // every distinct target checked, by Link.Target
	queue   []Item               // links found, not yet yielded
	active  int                  // items yielded and not yet done: they may queue more
	parked  int                  // links held back while their target is being checked
	crawled int                  // pages to follow handed out or queued (start URLs included), for MaxPages
	pending map[string]bool      // pages counted in crawled when queued, not yet handed out
	roots   map[string]rootGuess // a document directory's guessed root, without RootDir
	unres   map[string]bool      // the unresolved root-relative paths reported
	cache   map[string]cached    // answers of earlier runs, by target (LoadCache)
	robots  map[string][]string  // with Robots: a start host's Disallow prefixes
	wake    chan struct{}        // signalled when the queue grows or an item is done
	stats   Stats
}

// entry is what is known of one target. Its lock serialises the work on
// it, so that each target is requested once however many links name it.
type entry struct {
	lock chan struct{}
	// busy (under Checker.mu) says an item will check the target or is
	// checking it: from the time Items hands out the first link to it
	// until its Do is done. Items parks the other links to the target
	// meanwhile instead of handing them to workers that would only wait (a
	// slow page linked from 20 files would hold 20 workers), and release
	// queues them again, to be answered at once.
	busy     bool
	parked   []Item
	checked  bool
	at       time.Time // when a web answer was had, for WriteCache; zero: not to be kept
	status   int
	word     string
	err      error
	ok       bool
	followed bool           // the page was fetched and its links taken
	crawl    bool           // (under Checker.mu) an item to follow it was handed out
	anchors  *links.Anchors // read when a fragment asked for them
	anchErr  error          // why the anchors could not be read
	doc      string         // a local target's document for anchors ("" for a directory)
}

// New returns a Checker that checks web links with web.
func New(web *httpcheck.Checker, o Options) *Checker {
	if o.MaxPage <= 0 {
		o.MaxPage = 16 << 20
	}
	return &Checker{o: o, web: web, hosts: map[string]bool{}, targets: map[string]*entry{}, wake: make(chan struct{}, 1)}
}

// Start is the item of a URL given as an argument: its page is checked and
// its links taken (and with Crawl, followed). ok is false when raw is not
// an absolute http(s) URL.
func (c *Checker) Start(raw string) (Item, bool) {
	target, frag, err := links.NormalizeURL(raw)
	if err != nil || !IsURL(raw) {
		return Item{}, false
	}
	u, err := url.Parse(target)
	if err != nil {
		return Item{}, false
	}
	c.mu.Lock()
	c.hosts[u.Host] = true
	e := c.targets[target]
	if e == nil {
		e = c.newEntry(target, links.HTTP)
	}
	if !e.crawl {
		e.crawl = true
		c.crawled++
	}
	c.mu.Unlock()
	return Item{Link: links.Link{Raw: raw, Kind: links.HTTP, Target: target, Fragment: frag, Scheme: u.Scheme}, follow: true, start: true}, true
}

// IsURL reports whether an argument is a web address rather than a path.
func IsURL(s string) bool {
	l := strings.ToLower(s)
	return strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://")
}

// Stats returns the counts so far.
func (c *Checker) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stats
}

// Items yields the items of starts (documents and start URLs, in order)
// and, before each next one, the links Do has found meanwhile; once starts
// are done, it waits for the items still running that may find links (the
// documents and the pages to follow), and ends when none runs and nothing
// is queued, or when ctx ends (an item yielded but never run, because the
// run was interrupted, would otherwise be waited for forever). The caller
// may drop an item that does not Follow (a rerun skips the links done),
// never one that does, nor a document.
func (c *Checker) Items(ctx context.Context, starts iter.Seq[Item]) iter.Seq[Item] {
	return func(yield func(Item) bool) {
		// mark counts an item that may find links as active.
		mark := func(it Item) Item {
			it.counted = it.Doc != "" || it.follow
			if it.counted {
				c.mu.Lock()
				c.active++
				c.mu.Unlock()
			}
			return it
		}
		drain := func() bool {
			for {
				c.mu.Lock()
				if len(c.queue) == 0 {
					c.mu.Unlock()
					return true
				}
				it := c.queue[0]
				c.queue[0] = Item{}
				c.queue = c.queue[1:]
				if k := it.Link.Kind; (k == links.HTTP || k == links.File) && c.selected(it) {
					e := c.targets[it.Link.Target]
					it.follow = c.follows(it, e)
					switch {
					case e == nil:
						e = c.newEntry(it.Link.Target, k)
						e.busy, e.crawl = true, it.follow
						it.claim = true
					case e.busy:
						e.parked = append(e.parked, it)
						c.parked++
						c.mu.Unlock()
						continue
					}
				}
				c.mu.Unlock()
				if !yield(mark(it)) {
					return false
				}
			}
		}
		for it := range starts {
			if !drain() {
				return
			}
			if !yield(mark(it)) {
				return
			}
		}
		for {
			if !drain() {
				return
			}
			c.mu.Lock()
			idle := c.active == 0 && len(c.queue) == 0 && c.parked == 0
			c.mu.Unlock()
			if idle {
				return
			}
			select {
			case <-c.wake:
			case <-ctx.Done():
				return
			}
		}
	}
}

// signal wakes Items if it waits.
func (c *Checker) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// push queues the links of a document or page, but those MaxPages leaves
// out: an endless site's links are not even queued.
func (c *Checker) push(its []Item) {
	if len(its) == 0 {
		return
	}
	c.mu.Lock()
	for _, it := range its {
		if c.admit(it) {
			c.queue = append(c.queue, it)
		}
	}
	c.mu.Unlock()
	c.signal()
}

// Do reads a document or checks a link. Every item Items yields must be
// passed to Do once.
func (c *Checker) Do(ctx context.Context, it Item) Result {
	if it.counted {
		defer func() {
			c.mu.Lock()
			c.active--
			c.mu.Unlock()
			c.signal()
		}()
	}
	if it.Doc != "" {
		return c.read(ctx, it)
	}
	l := it.Link
	switch {
	case l.Kind == links.Skipped && !c.match(it, c.o.Include) && c.match(it, c.o.Exclude):
		// An excluded ftp: link is excluded, as asked, not skipped
		// (issue 24.14); a skipped one is not left out by --include.
		return Result{Verdict: Excluded, Word: "excluded"}
	case l.Kind == links.Skipped:
		return Result{Verdict: Skipped, Word: "skipped (" + l.Scheme + ")"}
	case l.Kind == links.Invalid && errors.Is(l.Err, links.ErrRootRelative):
		// The fix, named (issue 24.10), once a path (issue 24.11).
		path, _, _ := strings.Cut(l.Raw, "#")
		path, _, _ = strings.Cut(path, "?")
		c.mu.Lock()
		if c.unres == nil {
			c.unres = map[string]bool{}
		}
		repeat := c.unres[path]
		c.unres[path] = true
		c.stats.Unresolved++
		if !repeat {
			c.stats.UnresolvedTargets++
		}
		c.mu.Unlock()
		return Result{Verdict: Broken, Word: "unresolved: pass --root-dir, the site's root on disk", Err: l.Err, Repeat: repeat}
	case l.Kind == links.Invalid:
		return Result{Verdict: Broken, Word: "error: " + l.Err.Error(), Err: l.Err}
	case !c.selected(it):
		return Result{Verdict: Excluded, Word: "excluded"}
	case l.Kind == links.File:
		return c.file(ctx, it)
	}
	return c.web1(ctx, it)
}

// selected applies Include and Exclude.
func (c *Checker) selected(it Item) bool {
	if c.o.Offline && it.Link.Kind == links.HTTP {
		return false
	}
	if c.match(it, c.o.Include) {
		return true
	}
	return len(c.o.Include) == 0 && !c.match(it, c.o.Exclude)
}

// match reports whether one of res matches the link as written or, for a
// web link, its absolute URL.
func (c *Checker) match(it Item, res []*regexp.Regexp) bool {
	for _, re := range res {
		if re.MatchString(it.Link.Raw) || (it.Link.Kind == links.HTTP && re.MatchString(it.Shown())) {
			return true
		}
	}
	return false
}

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

// acquire returns the entry of target, locked, or nil when ctx ended
// while another item worked on it.
func (c *Checker) acquire(ctx context.Context, target string, kind links.Kind) *entry {
	c.mu.Lock()
	e, ok := c.targets[target]
	if !ok {
		e = c.newEntry(target, kind)
	}
	c.mu.Unlock()
	select {
	case e.lock <- struct{}{}:
		c.mu.Lock()
		e.busy = true
		c.mu.Unlock()
		return e
	case <-ctx.Done():
		return nil
	}
}

// newEntry records a distinct target; c.mu is held.
func (c *Checker) newEntry(target string, kind links.Kind) *entry {
	e := &entry{lock: make(chan struct{}, 1)}
	c.targets[target] = e
	if kind == links.HTTP {
		c.stats.HTTP++
	} else {
		c.stats.Files++
	}
	return e
}

// release unlocks e and queues the links parked on it.
func (c *Checker) release(e *entry) {
	c.unbusy(e)
	<-e.lock
}

// unbusy ends e's busy time and queues the links parked on it.
func (c *Checker) unbusy(e *entry) {
	c.mu.Lock()
	e.busy = false
	parked := e.parked
	e.parked = nil
	c.parked -= len(parked)
	c.queue = append(c.queue, parked...)
	c.mu.Unlock()
	if len(parked) > 0 {
		c.signal()
	}
}

// Dropped tells the Checker that an item Items yielded will not be passed
// to Do (a rerun skips the links it has done): the links to its target
// that waited for it are handed out again.
func (c *Checker) Dropped(it Item) {
	if !it.claim {
		return
	}
	c.mu.Lock()
	e := c.targets[it.Link.Target]
	c.mu.Unlock()
	c.unbusy(e)
}

var errCut = errors.New("cut short")

// file checks a local target on disk, and its fragment.
func (c *Checker) file(ctx context.Context, it Item) Result {
	e := c.acquire(ctx, it.Link.Target, links.File)
	if e == nil {
		return Result{Verdict: Broken, Word: "error: " + errCut.Error(), Err: errCut}
	}
	defer c.release(e)
	if !e.checked {
		doc, err := links.Exists(it.Link.Target, nil)
		e.checked, e.doc, e.err, e.ok = true, doc, err, err == nil
		e.word = "exists"
		if err != nil {
			e.word = "does not exist"
			if !errors.Is(err, fs.ErrNotExist) {
				e.word = "error: " + reason(err)
			}
		}
	}
	if !e.ok {
		word := e.word
		if errors.Is(e.err, fs.ErrNotExist) && emailLike.MatchString(it.Link.Raw) {
			// href="foo@bar.com" is a relative file to a browser; the
			// author meant mail (issue 24.12).
			word += " (an e-mail address? write mailto:" + it.Link.Raw + ")"
		}
		return Result{Verdict: Broken, Word: word, Err: e.err}
	}
	if it.Link.Fragment == "" || !c.o.Fragments {
		return Result{Verdict: OK, Word: e.word}
	}
	if e.anchors == nil && e.anchErr == nil {
		e.anchors, e.anchErr = fileAnchors(it.Link.Target, e.doc)
	}
	return c.anchored(it, e)
}

var emailLike = regexp.MustCompile(`^[^/@:?#]+@[^/@:?#]+\.[A-Za-z]{2,}$`)

// indexFiles are where a link to a directory finds its anchors.
var indexFiles = []string{"index.html", "index.htm", "README.md", "index.md"}

func fileAnchors(target, doc string) (*links.Anchors, error) {
	if doc == "" { // a directory: its index, if it has one
		if d, err := links.Exists(target, indexFiles); err == nil {
			doc = d
		}
	}
	if doc == "" {
		return &links.Anchors{}, nil
	}
	f, err := os.Open(doc)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	a, err := links.ReadAnchors(f, links.FormatOf(doc))
	return &a, err
}

// isAnchor reports whether a fragment names an anchor to look for. A text
// fragment (#:~:text=words) names words; a hash route (#/docs/intro,
// #!/page) is read by a single-page application's script, and so are a
// code host's line numbers (#L20, #L10-L20, #L3C5: GitHub, GitLab and
// Gitea make them in the browser): a page's HTML cannot say whether they
// exist (muffet's "id #L20 not found" for GitHub blobs, in lychee#1457;
// lychee#1729, lychee#2179).
func isAnchor(frag string) bool {
	return !strings.HasPrefix(frag, ":~:") && !strings.HasPrefix(frag, "/") && !strings.HasPrefix(frag, "!") &&
		!lineAnchor.MatchString(frag)
}

// rawFragment is the fragment of a link as written, not decoded.
func rawFragment(raw string) string {
	_, frag, _ := strings.Cut(raw, "#")
	return frag
}

var lineAnchor = regexp.MustCompile(`^L\d+(C\d+)?(-L?\d+(C\d+)?)?$`)

// anchored is the verdict on a link with a fragment to a target that
// exists, once its anchors are known.
func (c *Checker) anchored(it Item, e *entry) Result {
	frag := it.Link.Fragment
	switch {
	case e.anchErr != nil:
		return Result{Verdict: Broken, Status: e.status, Word: "error: anchors: " + reason(e.anchErr), Err: e.anchErr}
	case !isAnchor(frag):
		return Result{Verdict: OK, Status: e.status, Word: e.word}
	case e.anchors.Has(frag), e.anchors.Has(rawFragment(it.Link.Raw)):
		// As written first, then decoded: a browser looks for
		// id="a%3Ab" before id="a:b" (HTML's "find a potential
		// indicated element"; lychee's fragments/file.html).
		return Result{Verdict: OK, Status: e.status, Word: e.word}
	}
	word := "no anchor #" + frag
	if near := e.anchors.Nearest(frag); near != "" {
		word += " (nearest: #" + near + ")" // issue 24.12
	}
	return Result{Verdict: Broken, Status: e.status, Word: word}
}

// web1 checks a web target once: followed (fetched whole, its links taken)
// when it is a start URL or a page of a crawled host within the depth,
// else checked as `fanout check` does.
func (c *Checker) web1(ctx context.Context, it Item) Result {
	follow := it.follow
	e := c.acquire(ctx, it.Link.Target, links.HTTP)
	if e == nil {
		return Result{Verdict: Broken, Word: "error: " + errCut.Error(), Err: errCut}
	}
	defer c.release(e)
	wantAnchors := c.o.Fragments && it.Link.Fragment != "" && isAnchor(it.Link.Fragment)
	switch {
	case follow && !e.followed, wantAnchors && e.anchors == nil && e.anchErr == nil && (!e.checked || e.ok):
		// Fetched whole: for its links, its anchors, or both.
		c.fetch(ctx, it, e, follow)
	case !e.checked && !c.fromCache(e, it.Link.Target):
		r := c.web.Check(ctx, it.Link.Target)
		c.settle(ctx, e, r.Status, r.Class, r.Err, r.Location)
	}
	if !e.checked { // cut short by ctx: nothing was kept
		return Result{Verdict: Broken, Status: e.status, Word: e.word, Err: e.err}
	}
	if !e.ok {
		return Result{Verdict: Broken, Status: e.status, Word: e.word, Err: e.err}
	}
	if !wantAnchors || e.status/100 != 2 && e.status != 0 {
		// A status passed by --accept (a 404, a 429) is no page whose
		// anchors say anything (lychee's
		// test_fragments_when_accept_error_status_codes).
		return Result{Verdict: OK, Status: e.status, Word: e.word}
	}
	return c.anchored(it, e)
}

// page reports whether a link found on a page is to a page of a crawled
// host; c.mu is held.
func (c *Checker) page(it Item) bool {
	if !c.o.Crawl || it.Doc != "" || it.Link.Kind != links.HTTP || !isPageSource(it.Source) {
		return false
	}
	u, err := url.Parse(it.Link.Target)
	return err == nil && c.hosts[u.Host]
}

// admit decides, as a link is queued, whether MaxPages leaves room for
// it: a page of a crawled host not seen yet is counted now, not when it is
// handed out, so that the queue never holds more pages than the limit
// (1,000 pages of 1,000 new links each queued a million links before the
// limit was seen); past the limit it is left out. c.mu is held.
func (c *Checker) admit(it Item) bool {
	if c.o.MaxPages <= 0 || !c.page(it) || c.deep(it) || c.targets[it.Link.Target] != nil || c.pending[it.Link.Target] {
		return true
	}
	if c.crawled >= c.o.MaxPages {
		c.stats.Unchecked++
		return false
	}
	c.crawled++
	if c.pending == nil {
		c.pending = map[string]bool{}
	}
	c.pending[it.Link.Target] = true
	return true
}

func (c *Checker) deep(it Item) bool { return c.o.Depth >= 0 && it.depth > c.o.Depth }

// follows decides whether a link (to the target of entry e, nil if new)
// is a page to follow, and counts it against MaxPages; c.mu is held. A
// page met again is followed again only if it was not (a link to it from a
// file, or from beyond Depth, came first), as long as MaxPages allows.
func (c *Checker) follows(it Item, e *entry) bool {
	switch {
	case !c.page(it):
		return false
	case e != nil && e.crawl:
		return true
	case c.deep(it):
		if e == nil {
			c.stats.Deeper++
		}
		return false
	case c.o.Robots && c.robotsDeny(it.Link.Target):
		if e == nil {
			c.stats.Robots++
		}
		return false
	case c.pending[it.Link.Target]:
		delete(c.pending, it.Link.Target) // counted when queued
		return true
	case c.o.MaxPages > 0 && c.crawled >= c.o.MaxPages:
		return false
	}
	c.crawled++
	if e != nil {
		e.crawl = true
	}
	return true
}

// isPageSource reports whether a link was found on a web page (not in a
// local file: a file's links to a host are checked, never crawled).
func isPageSource(s string) bool { return IsURL(s) }

// settle records a check's answer on e; an answer cut short by the run's
// end is not kept, so the next link to the target asks again.
func (c *Checker) settle(ctx context.Context, e *entry, status int, class httpcheck.Class, err error, location string) {
	r := httpcheck.Result{Status: status, Class: class, Err: err, Location: location}
	e.status, e.err, e.word = status, err, webWord(r)
	if c.o.Accept != nil && status != 0 {
		e.ok = c.o.Accept(status)
	} else {
		e.ok = class == httpcheck.Exists
	}
	e.checked = ctx.Err() == nil
	if e.checked && err == nil && status != 0 {
		e.at = time.Now()
	}
}

// webWord is a web answer in `fanout check`'s words, with the status in
// its form where check leaves it out: "does not exist (HTTP 410)", as
// "blocked (HTTP 403)" (issue 24.13: a 404 and a 410 are told apart, and
// the status is in the line a reader sees, as lychee's "[404] URL").
func webWord(r httpcheck.Result) string {
	if r.Class == httpcheck.NotExists && r.Status != 0 {
		return fmt.Sprintf("%s (HTTP %d)", r.Class, r.Status)
	}
	return r.Word()
}

// fetch GETs a page whole (up to MaxPage), settles its check, and takes
// its links (follow) and anchors (Fragments) from the body.
func (c *Checker) fetch(ctx context.Context, it Item, e *entry, follow bool) {
	resp, err := c.web.Send(ctx, http.MethodGet, it.Link.Target)
	if err != nil {
		c.settle(ctx, e, 0, httpcheck.Error, err, "")
		if ctx.Err() == nil {
			e.followed = follow
		}
		return
	}
	defer resp.Body.Close()
	loc := ""
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		if l, err := resp.Location(); err == nil {
			loc = l.String()
		}
	}
	c.settle(ctx, e, resp.StatusCode, httpcheck.Classify(resp.StatusCode), nil, loc)
	format, isDoc := links.FormatOfContentType(resp.Header.Get("Content-Type"))
	if !e.ok || !isDoc {
		e.followed = follow
		if e.anchors == nil {
			// An image or a PDF has no anchors to check a fragment
			// against (#page=2 is the viewer's): any passes, as in lychee.
			a, _ := links.ReadAnchors(strings.NewReader(""), links.Text)
			e.anchors = &a
		}
		return
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.o.MaxPage))
	if err != nil && ctx.Err() != nil {
		e.checked = false // cut short: ask again next time
		return
	}
	if err != nil {
		e.anchErr = err
	}
	if e.anchors == nil && e.anchErr == nil {
		a, err := links.ReadAnchors(bytes.NewReader(body), format)
		e.anchors, e.anchErr = &a, err
	}
	if follow && !e.followed {
		e.followed = true
		// A redirect to another host ends a crawl there; a start URL is
		// read wherever it led.
		final := resp.Request.URL
		if !it.start {
			c.mu.Lock()
			same := c.hosts[final.Host]
			c.mu.Unlock()
			if !same {
				return
			}
		}
		c.mu.Lock()
		c.stats.Pages++
		c.mu.Unlock()
		if it.start && c.o.Crawl {
			c.siteFiles(ctx, final)
		}
		opts := c.o.Extract
		opts.Format = format
		opts.RootDir = ""
		// Extract fails only on a read error or a Source with neither Path
		// nor URL: neither can happen for a body in memory with its URL.
		_, _ = c.extract(bytes.NewReader(body), links.Source{URL: final}, opts, final.String(), it.depth, rootGuess{})
	}
}

// reason is an error without the path the record names already.
func reason(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return httpcheck.Reason(err)
}
