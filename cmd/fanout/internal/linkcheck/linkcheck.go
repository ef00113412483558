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
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

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
