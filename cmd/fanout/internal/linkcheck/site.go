package linkcheck

import (
	"bufio"
	"context"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/fanout-dev/fanout/cmd/fanout/internal/links"
)

// siteFiles reads, for a start URL of a crawl, its host's /robots.txt
// (with Robots) and /sitemap.xml (with Sitemap), before the start page's
// links are queued: the rules must be known when the first link is
// decided on, and the sitemap's pages join the crawl as links of the start
// page (muffet's --follow-robots-txt and --follow-sitemap-xml).
func (c *Checker) siteFiles(ctx context.Context, start *url.URL) {
	if c.o.Robots {
		rules := []string{}
		c.get(ctx, start, "/robots.txt", func(r io.Reader) { rules = disallowed(r) })
		c.mu.Lock()
		if c.robots == nil {
			c.robots = map[string][]string{}
		}
		c.robots[start.Host] = rules
		c.mu.Unlock()
	}
	if c.o.Sitemap {
		c.get(ctx, start, "/sitemap.xml", func(r io.Reader) {
			src := start.ResolveReference(&url.URL{Path: "/sitemap.xml"}).String()
			var its []Item
			d := xml.NewDecoder(r)
			for {
				tok, err := d.Token()
				if err != nil {
					break
				}
				if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "loc" {
					var loc string
					if d.DecodeElement(&loc, &se) != nil {
						break
					}
					loc = strings.TrimSpace(loc)
					target, frag, err := links.NormalizeURL(loc)
					if err != nil {
						continue
					}
					u, _ := url.Parse(target)
					line, col := d.InputPos()
					its = append(its, Item{Link: links.Link{Line: line, Col: col, Raw: loc, Kind: links.HTTP, Target: target, Fragment: frag, Scheme: u.Scheme},
						Source: src, depth: 1})
				}
			}
			c.push(its)
		})
	}
}

// get fetches path on start's host and passes a 200's body to read.
func (c *Checker) get(ctx context.Context, start *url.URL, path string, read func(io.Reader)) {
	resp, err := c.web.Send(ctx, http.MethodGet, start.ResolveReference(&url.URL{Path: path}).String())
	if err != nil {
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		read(io.LimitReader(resp.Body, c.o.MaxPage))
	}
}

// disallowed reads the Disallow rules of robots.txt's group for every
// robot (User-agent: *): path prefixes not to crawl. Allow lines and the
// groups for named robots are not read.
func disallowed(r io.Reader) []string {
	var rules []string
	sc := bufio.NewScanner(r)
	star, inAgents := false, false
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		k, v = strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(v)
		switch {
		case k == "user-agent":
			if !inAgents {
				star = false
			}
			inAgents = true
			star = star || v == "*"
		case k == "disallow":
			inAgents = false
			if star && v != "" {
				rules = append(rules, v)
			}
		default:
			inAgents = false
		}
	}
	return rules
}

// robotsDeny reports whether robots.txt keeps a crawl off a page; c.mu is
// held.
func (c *Checker) robotsDeny(target string) bool {
	u, err := url.Parse(target)
	if err != nil {
		return false
	}
	p := u.EscapedPath()
	if u.RawQuery != "" {
		p += "?" + u.RawQuery
	}
	for _, rule := range c.robots[u.Host] {
		if strings.HasPrefix(p, rule) {
			return true
		}
	}
	return false
}
