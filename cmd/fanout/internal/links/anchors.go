package links

import (
	"bytes"
	"io"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/text"
)

// Anchors is the set of fragments a document defines: where a link's
// #fragment may point.
type Anchors struct {
	ids  map[string]struct{}
	fold bool // Markdown: a fragment also matches in lower case
	any  bool // plain text: no anchors to know, every fragment passes
}

// Has reports whether a link's fragment (percent-decoded, without '#') finds
// its target. The empty fragment and "top" always do: a browser scrolls to
// the top (lychee's fragment checker). In Markdown a fragment also matches
// lowercased, as GitHub's slugs are lower case and its anchor script
// forgives the case; in HTML an id "user-content-x" also answers "x", as
// GitHub's pages prefix ids and let links omit the prefix (github/markup#1627).
func (a Anchors) Has(fragment string) bool {
	if a.any || fragment == "" || strings.EqualFold(fragment, "top") {
		return true
	}
	if _, ok := a.ids[fragment]; ok {
		return true
	}
	if a.fold {
		if _, ok := a.ids[strings.ToLower(fragment)]; ok {
			return true
		}
	}
	// A fragment written percent-encoded in a page is decoded by the
	// browser before it looks the id up; one decoded already is kept.
	if d, err := url.PathUnescape(fragment); err == nil && d != fragment {
		return a.Has(d)
	}
	return false
}

// ReadAnchors lists the anchors of the document read from r. Markdown:
// GitHub's heading slugs (github-slugger: lowercase, punctuation and symbols
// dropped, spaces to '-', repeats suffixed -1, -2...), a trailing {#id} on
// a heading (lychee#2249, as Hugo, Pandoc and MkDocs write it), and the id
// and a[name] of raw HTML. HTML: every id and a[name]. Plain text defines
// none, so every fragment passes, as in lychee.
//
// A directory has no anchors: use the zero Anchors, which passes only "" and
// "top" (lychee's file checker).
func ReadAnchors(r io.Reader, f Format) (Anchors, error) {
	a := Anchors{ids: map[string]struct{}{}}
	add := func(id string) {
		a.ids[id] = struct{}{}
		if s, ok := strings.CutPrefix(id, "user-content-"); ok && s != "" {
			a.ids[s] = struct{}{}
		}
	}
	switch f {
	case HTML:
		if err := scanHTML(r, htmlHandler{anchor: add}); err != nil {
			return Anchors{}, err
		}
	case Markdown:
		a.fold = true
		if err := markdownAnchors(r, add); err != nil {
			return Anchors{}, err
		}
	default:
		a.any = true
	}
	return a, nil
}

// trailingID is a heading's explicit id: "## Title {#id}".
var trailingID = regexp.MustCompile(`\s*\{#([^\s{}]+)\}\s*$`)

func markdownAnchors(r io.Reader, add func(string)) error {
	src, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	doc := mdParser().Parse(text.NewReader(src))
	var slugs slugger
	return ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Heading:
			var b strings.Builder
			headingText(&b, n, src)
			t := b.String()
			add(slugs.slug(t))
			if m := trailingID.FindStringSubmatchIndex(t); m != nil {
				add(t[m[2]:m[3]])
				add(slugs.slug(t[:m[0]]))
			}
			// Raw HTML inside the heading (<a name="x">) still counts.
			return ast.WalkContinue, nil
		case *ast.RawHTML:
			markdownHTMLAnchors(src, n.Segments, nil, add)
		case *ast.HTMLBlock:
			markdownHTMLAnchors(src, n.Lines(), htmlClosure(n), add)
		case *ast.CodeBlock, *ast.FencedCodeBlock, *ast.CodeSpan:
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
}

func markdownHTMLAnchors(src []byte, segs *text.Segments, closure *text.Segment, add func(string)) {
	var buf []byte
	for i := 0; i < segs.Len(); i++ {
		s := segs.At(i)
		buf = append(buf, src[s.Start:s.Stop]...)
	}
	if closure != nil {
		buf = append(buf, src[closure.Start:closure.Stop]...)
	}
	if bytes.IndexByte(buf, '=') < 0 {
		return
	}
	_ = scanHTML(bytes.NewReader(buf), htmlHandler{anchor: add}) // reading a byte slice cannot fail
}

// headingText is the heading's text as a reader sees it (its textContent
// once rendered): text, code spans (lychee#1366), link labels, autolinks;
// not images' alt text, not the tags of raw HTML.
func headingText(b *strings.Builder, n ast.Node, src []byte) {
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		switch c := c.(type) {
		case *ast.Text:
			b.WriteString(destination(c.Segment.Value(src)))
			if c.SoftLineBreak() || c.HardLineBreak() {
				b.WriteByte('\n')
			}
		case *ast.String:
			b.Write(c.Value)
		case *ast.AutoLink:
			b.Write(c.Label(src))
		case *ast.Image, *ast.RawHTML:
		default:
			headingText(b, c, src)
		}
	}
}

// slugger gives GitHub's heading ids, as github-slugger does (lychee#2153).
type slugger map[string]int

// slug makes the id of one heading, unique in its document: a repeat gets
// "-1", "-2"..., skipping any suffix a heading already took ("foo-1" then
// "foo", "foo" gives "foo-1", "foo", "foo-2").
func (s *slugger) slug(heading string) string {
	if *s == nil {
		*s = slugger{}
	}
	base := githubSlug(heading)
	id := base
	for {
		if _, taken := (*s)[id]; !taken {
			break
		}
		(*s)[base]++
		id = base + "-" + strconv.Itoa((*s)[base])
	}
	(*s)[id] = 0
	return id
}

// githubSlug lowercases and keeps letters, marks, decimal and letter numbers,
// connector punctuation ('_'), '-' and ' ' (then '-'): github-slugger drops
// the other punctuation, symbols, separators, controls and unassigned code
// points, except those Unicode calls alphabetic.
func githubSlug(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range strings.ToLower(s) {
		switch {
		case r == ' ' || r == '-':
			b.WriteByte('-')
		case unicode.In(r, unicode.L, unicode.M, unicode.Nd, unicode.Nl, unicode.Pc, unicode.Other_Alphabetic):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Nearest is the anchor closest to a fragment that Has not found, by edit
// distance, for a report to suggest ("#mailing-list": did you mean
// "#mailing-lists"?, as linkchecker lists the anchors there are); "" when
// none is within a third of the fragment's length (at least 2 edits).
func (a Anchors) Nearest(fragment string) string {
	best, bestD := "", max(2, len(fragment)/3)+1
	for id := range a.ids {
		// bestD+1: a tie is known exactly, and the first in order wins.
		if d := editDistance(fragment, id, bestD+1); d < bestD || d == bestD && id < best {
			best, bestD = id, d
		}
	}
	return best
}

// editDistance is Levenshtein's distance between a and b in bytes, or
// limit when it is limit or more.
func editDistance(a, b string, limit int) int {
	if abs(len(a)-len(b)) >= limit {
		return limit
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		low := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			low = min(low, cur[j])
		}
		if low >= limit {
			return limit
		}
		prev, cur = cur, prev
	}
	return min(prev[len(b)], limit)
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
