package links

import (
	"bytes"
	"io"
	"regexp"
	"sort"
	"sync"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// linkifyURL replaces goldmark's Linkify URL pattern, which wants a dotted
// domain and ASCII paths, with GitHub's rule (cmark-gfm's autolink
// extension): after the scheme, a host, then anything but whitespace and
// '<' (and '"', '>', which a URL cannot hold unescaped). Linkify itself
// trims trailing punctuation and unbalanced ')' as GFM says.
var linkifyURL = regexp.MustCompile(`^(?:https?|ftp)://[\p{L}\p{N}\[][^\s<>"]*`)

// mdParser is shared: goldmark's parsers keep their state in the per-parse
// context, so one parser serves concurrent documents.
var mdParser = sync.OnceValue(func() parser.Parser {
	return goldmark.New(goldmark.WithExtensions(
		extension.Table,    // links in table cells
		extension.Footnote, // [^1]: note is a footnote, not a link definition (lychee's test_single_word_footnote_is_not_detected_as_link)
		extension.NewLinkify(extension.WithLinkifyURLRegexp(linkifyURL)), // bare URLs, as GitHub renders them
	)).Parser()
})

// lineIndex turns byte offsets into 1-based lines and columns.
type lineIndex []int // offsets where lines start

func newLineIndex(src []byte) lineIndex {
	idx := make(lineIndex, 1, bytes.Count(src, []byte{'\n'})+1)
	for i, c := range src {
		if c == '\n' {
			idx = append(idx, i+1)
		}
	}
	return idx
}

func (idx lineIndex) pos(off int) (line, col int) {
	i := sort.Search(len(idx), func(i int) bool { return idx[i] > off }) - 1
	if i < 0 {
		i = 0
	}
	return i + 1, off - idx[i] + 1
}

// destination unescapes a link destination as goldmark's renderer does
// (backslash escapes, then character references), without percent-encoding.
func destination(d []byte) string {
	return string(util.ResolveEntityNames(util.ResolveNumericReferences(util.UnescapePunctuations(d))))
}

// nodePos is the source offset of an inline node. goldmark sets one on links,
// images and autolinks; should a node lack it, its first text or its
// nearest positioned ancestor stands in.
func nodePos(n ast.Node) int {
	if p := n.Pos(); p >= 0 {
		return p
	}
	for c := n.FirstChild(); c != nil; c = c.FirstChild() {
		if t, ok := c.(*ast.Text); ok {
			return t.Segment.Start
		}
	}
	for p := n.Parent(); p != nil; p = p.Parent() {
		if p.Pos() >= 0 {
			return p.Pos()
		}
	}
	return 0
}

// extractMarkdown reads the whole document (goldmark parses a byte slice) and
// walks its tree: inline links, images, autolinks (<...> and bare URLs), the
// uses of reference definitions (reported where used; a definition nobody
// uses renders to nothing and is not reported, as in lychee), and raw HTML.
// Code spans and code blocks are skipped unless opts.IncludeCode.
func extractMarkdown(r io.Reader, opts Options, emit func(raw string, line, col int) bool) error {
	src, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	doc := mdParser().Parse(text.NewReader(src))
	lines := newLineIndex(src)
	stopped := false
	at := func(raw string, off int) bool {
		line, col := lines.pos(off)
		if !emit(raw, line, col) {
			stopped = true
		}
		return !stopped
	}
	scanCode := func(seg text.Segment) bool {
		return bareURLs(src[seg.Start:seg.Stop], func(u string, off int) bool { return at(u, seg.Start+off) })
	}
	walk := func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		ok, status := true, ast.WalkContinue
		switch n := n.(type) {
		case *ast.Link:
			if inMath(n, src) {
				return ast.WalkSkipChildren, nil
			}
			ok = at(destination(n.Destination), nodePos(n))
		case *ast.Image:
			status = ast.WalkSkipChildren // the alt text
			if !inMath(n, src) {
				ok = at(destination(n.Destination), nodePos(n))
			}
		case *ast.Text:
			if !inLink(n) {
				seg := n.Segment
				for _, m := range bareMailto.FindAllIndex(src[seg.Start:seg.Stop], -1) {
					if ok = at(string(src[seg.Start+m[0]:seg.Start+m[1]]), seg.Start+m[0]); !ok {
						break
					}
				}
			}
		case *ast.AutoLink:
			ok = at(autoLinkURL(n, src), autoLinkPos(n, src))
		case *ast.CodeSpan:
			status = ast.WalkSkipChildren
			if opts.IncludeCode {
				for c := n.FirstChild(); c != nil && ok; c = c.NextSibling() {
					if t, isText := c.(*ast.Text); isText {
						ok = scanCode(t.Segment)
					}
				}
			}
		case *ast.CodeBlock, *ast.FencedCodeBlock:
			status = ast.WalkSkipChildren
			if opts.IncludeCode {
				segs := n.Lines()
				for i := 0; i < segs.Len() && ok; i++ {
					ok = scanCode(segs.At(i))
				}
			}
		case *ast.RawHTML:
			ok = markdownHTML(src, n.Segments, nil, at)
		case *ast.HTMLBlock:
			ok = markdownHTML(src, n.Lines(), htmlClosure(n), at)
		}
		if !ok {
			return ast.WalkStop, nil
		}
		return status, nil
	}
	if err := ast.Walk(doc, walk); err != nil {
		return err
	}
	if stopped {
		return errStopped
	}
	return nil
}

// bareMailto is a bare mailto: address, which GitHub links (GFM's extended
// autolinks take the mailto: and xmpp: protocols) and goldmark's Linkify
// does not: GFM's email address after the scheme, its domain ending in a
// letter or digit.
var bareMailto = regexp.MustCompile(`(?i)\bmailto:[a-z0-9.+_-]+@[a-z0-9_-]+(?:\.[a-z0-9_-]*[a-z0-9])+`)

// inLink reports whether a text node is (in) a link's label or an
// autolink's: its URL is taken from the link.
func inLink(n ast.Node) bool {
	for p := n.Parent(); p != nil; p = p.Parent() {
		switch p.(type) {
		case *ast.Link, *ast.AutoLink, *ast.Image:
			return true
		}
	}
	return false
}

// inMath reports whether an inline node lies in display math ($$ ... $$)
// in its paragraph: GitHub renders it as math, so [\psi](\mathbf{L})
// there is no link. It counts the $$ of the paragraph before the node.
func inMath(n ast.Node, src []byte) bool {
	p := n.Parent()
	for p != nil && p.Type() != ast.TypeBlock {
		p = p.Parent()
	}
	if p == nil || p.Lines().Len() == 0 {
		return false
	}
	start, pos := p.Lines().At(0).Start, nodePos(n)
	return pos > start && bytes.Count(src[start:pos], []byte("$$"))%2 == 1
}

func autoLinkURL(n *ast.AutoLink, src []byte) string {
	u := string(n.URL(src))
	if n.AutoLinkType == ast.AutoLinkEmail && !bytes.HasPrefix(n.URL(src), []byte("mailto:")) {
		u = "mailto:" + u
	}
	return u
}

// autoLinkPos: goldmark positions a bare URL found by Linkify at the space
// or punctuation that triggered it; the link starts at its label.
func autoLinkPos(n *ast.AutoLink, src []byte) int {
	p := nodePos(n)
	if p >= len(src) || src[p] == '<' {
		return p
	}
	label := n.Label(src)
	end := min(len(src), p+len(label)+1)
	if i := bytes.Index(src[p:end], label); i >= 0 {
		p += i
	}
	return p
}

func htmlClosure(n *ast.HTMLBlock) *text.Segment {
	if !n.HasClosure() {
		return nil
	}
	s := n.ClosureLine
	return &s
}

// markdownHTML scans raw HTML inside Markdown (an HTML block's lines, or one
// inline tag) for link attributes, reporting each at its offset in src. The
// lines of a block inside a list or quote are not contiguous in src, so the
// scanned buffer keeps a map back to the source.
func markdownHTML(src []byte, segs *text.Segments, closure *text.Segment, at func(raw string, off int) bool) bool {
	n := segs.Len()
	if n == 0 && closure == nil {
		return true
	}
	all := make([]text.Segment, 0, n+1)
	for i := 0; i < n; i++ {
		all = append(all, segs.At(i))
	}
	if closure != nil {
		all = append(all, *closure)
	}
	// Most inline HTML is a closing tag, a comment, or a tag without
	// attributes: nothing to find, no tokenizer to allocate.
	hasValue := false
	for _, s := range all {
		if bytes.IndexByte(src[s.Start:s.Stop], '=') >= 0 {
			hasValue = true
			break
		}
	}
	if !hasValue {
		return true
	}
	var buf []byte
	starts := make([]int, len(all)) // offset in buf of each segment
	if len(all) == 1 {
		buf = src[all[0].Start:all[0].Stop]
	} else {
		for i, s := range all {
			starts[i] = len(buf)
			buf = append(buf, src[s.Start:s.Stop]...)
		}
	}
	toSrc := func(off int) int {
		i := sort.Search(len(starts), func(i int) bool { return starts[i] > off }) - 1
		if i < 0 {
			i = 0
		}
		return all[i].Start + off - starts[i]
	}
	err := scanHTML(bytes.NewReader(buf), htmlHandler{
		link: func(raw string, off, _, _ int) bool { return at(raw, toSrc(off)) },
	})
	return err != errStopped
}
