package links

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// want is one expected link. Its column is not written down but found in the
// fixture: the 1-based index of at in the link's line, so a fixture edit
// that moves a link fails the test only if the extractor is wrong.
type want struct {
	line   int
	at     string // where the link starts on its line
	raw    string
	kind   Kind
	target string // File: relative to testdata/tree; HTTP: the URL
	frag   string
	scheme string // Skipped: the scheme
}

func treePath(t testing.TB, rel string) string {
	t.Helper()
	abs, err := filepath.Abs(filepath.Join("testdata", "tree", filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

func extractFile(t testing.TB, rel string, opts Options) []Link {
	t.Helper()
	path := filepath.Join("testdata", "tree", filepath.FromSlash(rel))
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var got []Link
	for l, err := range Extract(f, Source{Path: path}, opts) {
		if err != nil {
			t.Fatalf("Extract(%s): %v", rel, err)
		}
		got = append(got, l)
	}
	return got
}

func checkLinks(t *testing.T, rel string, got []Link, wants []want) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "tree", filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	for i := 0; i < max(len(got), len(wants)); i++ {
		if i >= len(got) {
			t.Errorf("%s: missing link %d: %+v", rel, i, wants[i])
			continue
		}
		g := got[i]
		if i >= len(wants) {
			t.Errorf("%s: unexpected link %d: %+v", rel, i, g)
			continue
		}
		w := wants[i]
		col := strings.Index(lines[w.line-1], w.at) + 1
		if col == 0 {
			t.Fatalf("fixture %s line %d has no %q", rel, w.line, w.at)
		}
		target := w.target
		if w.kind == File {
			target = treePath(t, w.target)
		}
		if g.Line != w.line || g.Col != col || g.Raw != w.raw || g.Kind != w.kind || g.Target != target || g.Fragment != w.frag {
			t.Errorf("%s: link %d\n got %d:%d %q %v %q #%q (err %v)\nwant %d:%d %q %v %q #%q",
				rel, i, g.Line, g.Col, g.Raw, g.Kind, g.Target, g.Fragment, g.Err,
				w.line, col, w.raw, w.kind, target, w.frag)
		}
		if w.scheme != "" && g.Scheme != w.scheme {
			t.Errorf("%s: link %d %q: scheme %q, want %q", rel, i, g.Raw, g.Scheme, w.scheme)
		}
	}
}

// guideWants are the links of docs/guide.md without IncludeCode.
var guideWants = []want{
	{3, "[inline", "https://example.com/inline", HTTP, "https://example.com/inline", "", ""},
	{3, "![image]", "img/logo.png", File, "docs/img/logo.png", "", ""},
	// An autolink is one link, its text is not taken again (lychee#2150).
	{4, "<https://example.com/auto>", "https://example.com/auto", HTTP, "https://example.com/auto", "", ""},
	// A bare URL ends before trailing punctuation, as GitHub renders it.
	{4, "https://example.com/bare", "https://example.com/bare", HTTP, "https://example.com/bare", "", ""},
	{4, "www.example.org", "http://www.example.org", HTTP, "http://www.example.org/", "", ""},
	// References are reported where they are used, once per use
	// (lychee's test_reference_links_extraction: full, collapsed, shortcut).
	{5, "[full", "https://example.com/ref", HTTP, "https://example.com/ref", "", ""},
	{5, "[collapsed]", "./collapsed.md", File, "docs/collapsed.md", "", ""},
	{5, "[shortcut]", "shortcut file.md", File, "docs/shortcut file.md", "", ""},
	{5, "[ref].", "https://example.com/ref", HTTP, "https://example.com/ref", "", ""},
	// \[ is no link; a destination in <> may hold spaces, and its
	// percent-encoded spelling is the same file (lychee#1503).
	{6, "[spaced]", "a b.md", File, "docs/a b.md", "", ""},
	{6, "[encoded]", "a%20b.md", File, "docs/a b.md", "", ""},
	// Line 7 (code spans), 9-11 (fenced) and 13 (indented) give nothing
	// (lychee#521, lychee#618).
	{15, "[item]", "./a.md", File, "docs/a.md", "", ""},
	{16, "![pic]", "../img/pic.png", File, "img/pic.png", "", ""},
	{18, "[quoted]", "../b/c.md#section", File, "b/c.md", "section", ""},
	// A label over two lines of a quote: the link is where its '[' is.
	{19, "[two", "quoted2.md", File, "docs/quoted2.md", "", ""},
	{24, "[cell]", "https://example.com/table", HTTP, "https://example.com/table", "", ""},
	{27, "[late]", "https://example.com/late", HTTP, "https://example.com/late", "", ""},
	// Raw HTML in Markdown: positioned at each attribute's value.
	{31, "https://example.com/html-block", "https://example.com/html-block", HTTP, "https://example.com/html-block", "", ""},
	{31, "img/banner.png", "img/banner.png", File, "docs/img/banner.png", "", ""},
	{31, "img/b-1x.png 1x", "img/b-1x.png", File, "docs/img/b-1x.png", "", ""},
	{31, "img/b-1x.png 1x", "img/b-2x.png", File, "docs/img/b-2x.png", "", ""},
	{34, "inline.html", "inline.html", File, "docs/inline.html", "", ""},
	{34, "[root]", "/root.md", Invalid, "", "", ""},
	{34, "[self]", "#guide", File, "docs/guide.md", "guide", ""},
	{34, "[mail]", "mailto:me@example.com", Skipped, "", "", "mailto"},
	{34, "[tel]", "tel:+123", Skipped, "", "", "tel"},
	{34, "[js]", "javascript:void(0)", Skipped, "", "", "javascript"},
	// Same target as line 3 once normalised; the fragment is kept apart.
	{35, "[again]", "https://EXAMPLE.com:443/inline#top", HTTP, "https://example.com/inline", "top", ""},
	// The footnote is no link; an email autolink is a mailto: link.
	{35, "<me@example.com>", "mailto:me@example.com", Skipped, "", "", "mailto"},
	// Definitions (37-41) are not links: the used ones were reported where
	// used, the unused one renders to nothing (lychee reports none either),
	// and [^1]: is a footnote.
}

func TestExtractMarkdownFixture(t *testing.T) {
	got := extractFile(t, "docs/guide.md", Options{Format: Markdown})
	checkLinks(t, "docs/guide.md", got, guideWants)
	// Duplicates: spelled differently, one target each, so the command
	// checks each once (the issue's "no duplicate requests").
	uses := map[string]int{}
	for _, l := range got {
		if l.Kind == HTTP || l.Kind == File {
			uses[l.Target]++
		}
	}
	for target, n := range map[string]int{
		"https://example.com/inline":       2, // https://EXAMPLE.com:443/inline#top
		"https://example.com/ref":          2, // [full reference][ref] and [ref]
		treePath(t, "docs/a b.md"):         2, // <a b.md> and a%20b.md
		treePath(t, "docs/img/banner.png"): 1,
	} {
		if uses[target] != n {
			t.Errorf("%s used %d times, want %d", target, uses[target], n)
		}
	}
	if len(uses) != 21 { // 24 uses, three of them repeats
		t.Errorf("%d distinct targets, want 21: %v", len(uses), uses)
	}
	for _, l := range got {
		if l.Raw == "/root.md" && !errors.Is(l.Err, ErrRootRelative) {
			t.Errorf("/root.md without a root dir: err %v, want ErrRootRelative", l.Err)
		}
	}
}

func TestExtractMarkdownRootDir(t *testing.T) {
	got := extractFile(t, "docs/guide.md", Options{Format: Markdown, RootDir: filepath.Join("testdata", "tree")})
	for _, l := range got {
		if l.Raw == "/root.md" {
			if l.Kind != File || l.Target != treePath(t, "root.md") {
				t.Errorf("/root.md with a root dir: %v %q", l.Kind, l.Target)
			}
			return
		}
	}
	t.Error("no /root.md link")
}

func TestExtractMarkdownIncludeCode(t *testing.T) {
	got := extractFile(t, "docs/guide.md", Options{Format: Markdown, IncludeCode: true})
	var wants []want
	for _, w := range guideWants {
		if w.line == 15 {
			// Only bare URLs are taken from code: `[x](code.md)` stays text.
			wants = append(wants,
				want{7, "https://example.com/code-span", "https://example.com/code-span", HTTP, "https://example.com/code-span", "", ""},
				want{10, "https://example.com/fenced", "https://example.com/fenced", HTTP, "https://example.com/fenced", "", ""},
				want{13, "https://example.com/indented", "https://example.com/indented", HTTP, "https://example.com/indented", "", ""},
			)
		}
		wants = append(wants, w)
	}
	checkLinks(t, "docs/guide.md", got, wants)
}

func TestExtractHTMLFixture(t *testing.T) {
	const v2 = "https://docs.example.com/v2/"
	wants := []want{
		// The first <base> rules (muffet#30); the second is ignored.
		{6, "style.css", "style.css", HTTP, v2 + "style.css", "", ""},
		// <link rel=preconnect> names an origin, not a resource (muffet#391).
		{8, "/js/app.js", "/js/app.js", HTTP, "https://docs.example.com/js/app.js", "", ""},
		// og:image is an image the page wants fetched (muffet's TestLinkFinderFindMetaTags).
		{9, "og.png", "og.png", HTTP, v2 + "og.png", "", ""},
		{13, "guide.html", "guide.html#install", HTTP, v2 + "guide.html", "install", ""},
		{14, "../v1/old.html", "../v1/old.html", HTTP, "https://docs.example.com/v1/old.html", "", ""},
		{16, "logo.png", "logo.png", HTTP, v2 + "logo.png", "", ""},
		// A srcset on its own line; commas inside URLs (lychee#1160) do not
		// split them, descriptors are dropped (lychee#390, muffet#196).
		{17, "/cdn-cgi", "/cdn-cgi/image/format=webp,width=640/hero.jpg", HTTP, "https://docs.example.com/cdn-cgi/image/format=webp,width=640/hero.jpg", "", ""},
		{17, "/cdn-cgi", "/cdn-cgi/image/format=webp,width=750/hero.jpg", HTTP, "https://docs.example.com/cdn-cgi/image/format=webp,width=750/hero.jpg", "", ""},
		// No space after the comma (lychee#1890).
		{18, "a.webp", "a.webp", HTTP, v2 + "a.webp", "", ""},
		{18, "a.webp", "b.webp", HTTP, v2 + "b.webp", "", ""},
		{19, "https://video", "https://video.example.com/embed", HTTP, "https://video.example.com/embed", "", ""},
		{20, "map.html", "map.html", HTTP, v2 + "map.html", "", ""},
		{20, "movie.mp4", "movie.mp4", HTTP, v2 + "movie.mp4", "", ""},
		{20, "poster.jpg", "poster.jpg", HTTP, v2 + "poster.jpg", "", ""},
		{20, "sound.ogg", "sound.ogg", HTTP, v2 + "sound.ogg", "", ""},
		{21, "doc.pdf", "doc.pdf", HTTP, v2 + "doc.pdf", "", ""},
		{21, "/search", "/search", HTTP, "https://docs.example.com/search", "", ""},
		// href="" is the page itself, no link (muffet's link_finder_test);
		// "#x" resolves against the base, as browsers do.
		{22, "mailto:", "mailto:me@example.com", Skipped, "", "", "mailto"},
		{22, "#top-title", "#top-title", HTTP, v2, "top-title", ""},
		// A link in <pre> is a link a reader can follow: kept (lychee skips
		// it unless --include-verbatim).
		{23, "in-pre.html", "in-pre.html", HTTP, v2 + "in-pre.html", "", ""},
		// Comments and script text give nothing (muffet's link_finder_test,
		// lychee's test_exclude_script_tags).
		{26, "data:text", "data:text/plain,hi", Skipped, "", "", "data"},
		// A data: URL in a srcset, with its commas (muffet's
		// TestLinkFinderFindEmbeddedImageInSrcSet).
		{26, "data:image", "data:image/gif;base64,R0lGOD", Skipped, "", "", "data"},
		{26, "data:image", "real.png", HTTP, v2 + "real.png", "", ""},
	}
	checkLinks(t, "docs/page.html", extractFile(t, "docs/page.html", Options{Format: HTML}), wants)
}

func TestExtractHTMLRelativeBase(t *testing.T) {
	// A relative <base> in a local file moves relative links, root-relative
	// ones go to the root dir, and fragments stay fragments, not part of
	// the file name (lychee#1577, lychee#1896).
	got := extractFile(t, "site/index.html", Options{Format: HTML, RootDir: filepath.Join("testdata", "tree")})
	checkLinks(t, "site/index.html", got, []want{
		{3, "page.html", "page.html", File, "site/sub/page.html", "", ""},
		{4, "/root.md", "/root.md", File, "root.md", "", ""},
		{5, "../../b/c.md", "../../b/c.md#section", File, "b/c.md", "section", ""},
	})
}

func TestExtractTextFixture(t *testing.T) {
	checkLinks(t, "docs/notes.txt", extractFile(t, "docs/notes.txt", Options{Format: Text}), []want{
		{1, "https://example.com/text", "https://example.com/text", HTTP, "https://example.com/text", "", ""},
		{1, "https://example.com/paren", "https://example.com/paren", HTTP, "https://example.com/paren", "", ""},
		// Strict: "example.com" alone (line 2) is prose, not a link.
		{3, "ftp://", "ftp://files.example.com/pub", Skipped, "", "", "ftp"},
		{3, "mailto:", "mailto:me@example.com", Skipped, "", "", "mailto"},
	})
}

// extractString is Extract over a string, from a file docs/x.md in the tree.
func extractString(t *testing.T, doc string, opts Options) []Link {
	t.Helper()
	var got []Link
	for l, err := range Extract(strings.NewReader(doc), Source{Path: filepath.Join("testdata", "tree", "docs", "x.md")}, opts) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, l)
	}
	return got
}

func raws(links []Link) []string {
	var s []string
	for _, l := range links {
		s = append(s, l.Raw)
	}
	return s
}

func TestExtractMarkdownPeerCases(t *testing.T) {
	for _, c := range []struct {
		name, doc string
		want      []string
	}{
		// lychee's test_link_text_not_checked: a URL in a label is text.
		{"link text", "[https://lycheerepublic.gov/notexist (archive.org link)](https://example.com)",
			[]string{"https://example.com"}},
		// A README badge: the image inside the link, then... the link first.
		{"badge", "[![CI](https://ci.example.com/badge.svg)](https://ci.example.com/)",
			[]string{"https://ci.example.com/", "https://ci.example.com/badge.svg"}},
		// lychee's test_underscore_in_urls_middle and _end. The end differs
		// on purpose: GFM drops a trailing '_' from a bare URL (its
		// extended autolink rule), so GitHub links https://example.com/.
		{"underscores", "https://example.com/_/foo and https://example.com/_",
			[]string{"https://example.com/_/foo", "https://example.com/"}},
		// lychee#471: an email-like word in a code block is no mail link.
		{"email in code", "```\ngo install github.com/golangci/golangci-lint/cmd/golangci-lint@v1.43.0\n```\n", nil},
		// lychee's test_skip_verbatim_html: URLs in the text of <pre>/<code>.
		{"html pre text", "<code>\nhttp://link.com\n</code>\n<pre>\nSome pre-formatted http://pre.com\n</pre>", nil},
		// lychee's test_markdown_inside_html_block: Markdown between HTML blocks.
		{"markdown between html", "<div>\n\n[markdown link](https://example.com/markdown)\n\n</div>\n\n<span>[another link](https://example.com/another)</span>",
			[]string{"https://example.com/markdown", "https://example.com/another"}},
		// lychee's test_mdx_multiline_jsx and test_nested_html: href on any
		// element, over several lines.
		{"mdx", "<CardGroup cols={1}>\n  <Card\n    title=\"Example\"\n    href=\"https://example.com\"\n  >\n    Some text\n  </Card>\n</CardGroup>",
			[]string{"https://example.com"}},
		// Backslash escapes and entities in destinations are undone.
		{"escapes", `[a](a\_b.md) [b](x&amp;y.md) [c](&#x41;.md)`, []string{"a_b.md", "x&y.md", "A.md"}},
		// An empty destination is the document itself: no link.
		{"empty", "[a]() [b](<>)", nil},
		// Trailing punctuation and an unbalanced ')' end a bare URL (GFM).
		{"bare punctuation", "(see https://example.com/a_(b)), or https://example.com/q?x=1.",
			[]string{"https://example.com/a_(b)", "https://example.com/q?x=1"}},
		// lychee#949: parentheses and underscores inside a bare URL.
		{"parens in bare URL", "No link URL: " + issue949URL + "\n", []string{issue949URL}},
		// An HTML comment hides what it holds, Markdown included.
		{"comment", "<!-- [x](y.md) https://example.com/z -->\n\ntext <!-- <a href=\"c.html\"> --> end", nil},
		// A bare URL on a host without a dot, as GitHub links it.
		{"localhost", "run it at http://localhost:8080/ui then", []string{"http://localhost:8080/ui"}},
		// lychee's fixtures/TEST.md (test_markdown: 12 links): a bare
		// mailto: is autolinked by GitHub (GFM's extended protocols), beside
		// a bare address.
		{"bare mailto", "test@example.com\nmailto:test2@example.com\n", []string{"mailto:test@example.com", "mailto:test2@example.com"}},
		// Display math: GitHub renders $$...$$ as math, not a link (lychee's
		// test_markdown_math in lychee-lib/src/extract/markdown.rs; issue 24.2).
		{"display math", "$$\n[\\psi](\\mathbf{L})\n$$\n\nand $$ [\\psi](\\mathbf{L}) $$ inline\n", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := raws(extractString(t, c.doc, Options{Format: Markdown}))
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

const issue949URL = "https://raw.githubusercontent.com/ruzickap/ruzickap.github.io/70de7d813c51bbe21762a340c3fa76ced79dedb0/assets/img/posts/2022/2022-09-02-my-sony-a7-iv-settings/Sony_A7_IV_(ILCE-7M4)_-_by_Henry_S%C3%B6derlund_(51739988735).avif"

func TestExtractTextParens(t *testing.T) {
	// lychee#949 in plain text.
	got := raws(extractString(t, "No link URL: "+issue949URL+"\n", Options{Format: Text}))
	if len(got) != 1 || got[0] != issue949URL {
		t.Errorf("got %q", got)
	}
}

func TestExtractMarkdownPositions(t *testing.T) {
	// Positions inside the containers where goldmark's segments are not
	// contiguous: list items, quotes, tables, an HTML block in a quote.
	doc := "intro\n" +
		"1. first\n" +
		"2. second [x](x.md)\n" +
		"   continued [y](y.md)\n" +
		"> > deep [z](z.md)\n" +
		"> <a\n" +
		">   href=\"q.html\">q</a>\n" +
		"\n" +
		"| a | b |\n" +
		"| - | - |\n" +
		"| 1 | [t](t.md) |\n" +
		"\n" +
		"text <img\nsrc=\"multi.png\"> end\n"
	want := map[string][2]int{"x.md": {3, 11}, "y.md": {4, 14}, "z.md": {5, 10}, "q.html": {7, 11}, "t.md": {11, 7}, "multi.png": {14, 6}}
	got := extractString(t, doc, Options{Format: Markdown})
	if len(got) != len(want) {
		t.Fatalf("got %d links %q, want %d", len(got), raws(got), len(want))
	}
	for _, l := range got {
		if w := want[l.Raw]; l.Line != w[0] || l.Col != w[1] {
			t.Errorf("%s at %d:%d, want %d:%d", l.Raw, l.Line, l.Col, w[0], w[1])
		}
	}
}

func TestExtractHTMLPeerCases(t *testing.T) {
	for _, c := range []struct {
		name, doc string
		want      []string
	}{
		// muffet's TestLinkFinderFindLinkWithLeadingAndTrailingSpaces.
		{"spaces", `<a href=" http://foo.com ">`, []string{"http://foo.com/"}},
		// muffet's TestLinkFinderFindLinkWithoutSpacesNotEncoded.
		{"inner space", `<a href="http://foo.com/a b">`, []string{"http://foo.com/a%20b"}},
		// muffet's TestLinkFinderFindLinksInMultilineSrcSet.
		{"multiline srcset", "<source srcset=\"foo.png 100w,\n\t\t\tbar.png 200w\">", []string{"https://h.example/dir/foo.png", "https://h.example/dir/bar.png"}},
		// lychee's test_exclude_nofollow is not followed: rel=nofollow is an
		// SEO hint, the link still works or not (muffet checks it too).
		{"nofollow", `<a rel="nofollow" href="https://foo.com">`, []string{"https://foo.com/"}},
		// lychee's test_skip_preconnect_reverse_order / dns-prefetch.
		{"preconnect after href", `<link href="https://example.com" rel="preconnect"><link href="https://example.com" rel="dns-prefetch">`, nil},
		// muffet's TestLinkFinderIgnoreMetaTags: og:title is no URL.
		{"og:title", `<meta property="og:title" content="title">`, nil},
		// Entities in attribute values are decoded.
		{"entity", `<a href="/q?a=1&amp;b=2">`, []string{"https://h.example/q?a=1&b=2"}},
		// Unquoted values, upper-case names, self-closing tags.
		{"unquoted", `<A HREF=/x><IMG SRC=y.png /><svg><use xlink:href="#icon"/></svg>`,
			[]string{"https://h.example/x", "https://h.example/dir/y.png", "https://h.example/dir/page.html"}},
		// lychee's test_extract_html5_custom_elements (its TEST_HTML5_CUSTOM_ELEMENTS.html):
		// cite, href, src, srcset, data, poster wherever they appear.
		{"custom element", `<blog-post cite="https://a.example/"></blog-post><x-img src="b.png" poster="c.png" data="d.svg"></x-img>`,
			[]string{"https://a.example/", "https://h.example/dir/b.png", "https://h.example/dir/c.png", "https://h.example/dir/d.svg"}},
		// Template placeholders in an HTML template are no links (issue 24.14).
		{"template", `<a href="{{.URL}}">x</a><a href="${url}">y</a><img src="{{ site.logo }}"><a href="{% url 'home' %}">z</a>`, nil},
		// Only the first of repeated attributes counts, as in browsers.
		{"repeated attribute", `<a href="first.html" href="second.html">`, []string{"https://h.example/dir/first.html"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			page, _ := url.Parse("https://h.example/dir/page.html")
			var got []string
			for l, err := range Extract(strings.NewReader(c.doc), Source{URL: page}, Options{Format: HTML}) {
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, l.Target)
			}
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

func TestExtractHTMLPositions(t *testing.T) {
	doc := "<p>\r\n<a title=\"x\ny\"\n   href='a.html'>a</a> <img alt=z src=b.png>\n<!-- <a href=c.html>\n --><a\thref=\"d.html\">"
	want := map[string][2]int{"a.html": {4, 10}, "b.png": {4, 39}, "d.html": {6, 14}}
	page, _ := url.Parse("https://h.example/")
	n := 0
	for l, err := range Extract(strings.NewReader(doc), Source{URL: page}, Options{Format: HTML}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
		if w, ok := want[l.Raw]; !ok || l.Line != w[0] || l.Col != w[1] {
			t.Errorf("%s at %d:%d, want %v", l.Raw, l.Line, l.Col, w)
		}
	}
	if n != len(want) {
		t.Errorf("%d links, want %d", n, len(want))
	}
}

func TestExtractStopsEarly(t *testing.T) {
	for _, f := range []Format{Markdown, HTML, Text} {
		doc := strings.Repeat("https://example.com/a <a href=\"https://example.com/b\">b</a>\n\n", 100)
		n := 0
		for range Extract(strings.NewReader(doc), Source{Path: "x"}, Options{Format: f}) {
			n++
			if n == 3 {
				break
			}
		}
		if n != 3 {
			t.Errorf("%v: %d links before break, want 3", f, n)
		}
	}
}

type failingReader struct {
	data string
	err  error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if r.data == "" {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func TestExtractReadError(t *testing.T) {
	boom := errors.New("disk on fire")
	for _, f := range []Format{Markdown, HTML, Text} {
		r := &failingReader{data: "<a href=\"https://example.com/\">x</a> https://example.com/\n", err: boom}
		var errs []error
		for _, err := range Extract(r, Source{Path: "x"}, Options{Format: f}) {
			if err != nil {
				errs = append(errs, err)
			}
		}
		if len(errs) != 1 || !errors.Is(errs[0], boom) {
			t.Errorf("%v: errors %v, want one %v", f, errs, boom)
		}
	}
	// A Source with neither Path nor URL is a caller's mistake, said once.
	var errs []error
	for _, err := range Extract(strings.NewReader(""), Source{}, Options{}) {
		errs = append(errs, err)
	}
	if len(errs) != 1 || errs[0] == nil {
		t.Errorf("empty Source: %v", errs)
	}
}

func TestExtractTextLongLine(t *testing.T) {
	// A line longer than the reader's buffer is read whole, and a URL at
	// its end is found at the right column.
	pad := strings.Repeat("x", 200<<10)
	doc := "first https://example.com/1\n" + pad + " https://example.com/2\nhttps://example.com/3"
	got := extractString(t, doc, Options{Format: Text})
	want := [][2]int{{1, 7}, {2, len(pad) + 2}, {3, 1}}
	if len(got) != len(want) {
		t.Fatalf("got %q", raws(got))
	}
	for i, l := range got {
		if l.Line != want[i][0] || l.Col != want[i][1] {
			t.Errorf("%s at %d:%d, want %v", l.Raw, l.Line, l.Col, want[i])
		}
	}
}

func TestExtractConcurrent(t *testing.T) {
	// The Markdown parser is shared: documents extracted at once must not
	// interfere (run with -race).
	data, err := os.ReadFile(filepath.Join("testdata", "tree", "docs", "guide.md"))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	counts := make([]int, 8)
	for i := range counts {
		wg.Go(func() {
			for range 20 {
				n := 0
				for range Extract(strings.NewReader(string(data)), Source{Path: "docs/guide.md"}, Options{Format: Markdown}) {
					n++
				}
				counts[i] = n
			}
		})
	}
	wg.Wait()
	for i, n := range counts {
		if n != len(guideWants) {
			t.Errorf("goroutine %d: %d links, want %d", i, n, len(guideWants))
		}
	}
}

func TestFormatOf(t *testing.T) {
	for name, want := range map[string]Format{
		"README.md": Markdown, "a.MARKDOWN": Markdown, "x.mdx": Markdown,
		// lychee's test_quarto_treated_as_markdown, test_rmarkdown_treated_as_markdown.
		"a.qmd": Markdown, "b.Rmd": Markdown, "c.mkdn": Markdown,
		"i.html": HTML, "i.HTM": HTML, "i.xhtml": HTML,
		"notes.txt": Text, "Makefile": Text, "a.rst": Text,
	} {
		if got := FormatOf(name); got != want {
			t.Errorf("FormatOf(%q) = %v, want %v", name, got, want)
		}
	}
	for ct, want := range map[string]struct {
		f  Format
		ok bool
	}{
		"text/html; charset=utf-8": {HTML, true}, "TEXT/HTML": {HTML, true}, "application/xhtml+xml": {HTML, true},
		"text/markdown": {Markdown, true}, "text/plain": {Text, true},
		"image/png": {Text, false}, "application/json": {Text, false}, "": {Text, false}, "text/html;;bad": {HTML, true},
	} {
		if f, ok := FormatOfContentType(ct); f != want.f || ok != want.ok {
			t.Errorf("FormatOfContentType(%q) = %v, %v; want %v, %v", ct, f, ok, want.f, want.ok)
		}
	}
}

var _ io.Reader = (*failingReader)(nil)
