package linkcheck

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/fanout-dev/fanout/cmd/fanout/internal/httpcheck"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/links"
)

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
