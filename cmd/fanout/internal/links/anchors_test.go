package links

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

func TestGithubSlugs(t *testing.T) {
	// Heading by heading, in one document; cases after github-slugger's
	// fixtures (test/fixtures.json), which record what GitHub renders.
	var s slugger
	for _, c := range []struct{ heading, want string }{
		{"alpha", "alpha"},
		{"alpha", "alpha-1"},
		{"bravoCharlieDelta", "bravocharliedelta"},
		{"echo", "echo"},
		{"echo", "echo-1"},
		{"echo 1", "echo-1-1"},
		{"echo-1", "echo-1-2"},
		{"echo", "echo-2"},
		{"foxtrot-1", "foxtrot-1"},
		{"foxtrot", "foxtrot"},
		{"foxtrot", "foxtrot-2"},
		{"heading with a - dash", "heading-with-a---dash"},
		{"heading with an _ underscore", "heading-with-an-_-underscore"},
		{"heading with a period.txt", "heading-with-a-periodtxt"},
		{"exchange.bind_headers(exchange, routing [, bindCallback])", "exchangebind_headersexchange-routing--bindcallback"},
		{" a ", "-a-"},
		{"apostrophe’s should be trimmed", "apostrophes-should-be-trimmed"},
		{"I ♥ unicode", "i--unicode"},
		{"Привет non-latin 你好", "привет-non-latin-你好"},
		{"😄 emoji", "-emoji"},
		// lychee's test_kebab_case, where lychee agrees with GitHub.
		{"Header with 한글 characters (using unicode)", "header-with-한글-characters-using-unicode"},
		{"Underscores foo_bar_, dots . and numbers 1.7e-3", "underscores-foo_bar_-dots--and-numbers-17e-3"},
		{"Many          spaces", "many----------spaces"},
		// A tab is a control character: dropped, not a '-'.
		{"tab\there", "tabhere"},
		// Ⓐ is a symbol Unicode calls alphabetic: kept, lowercased.
		{"Ⓐ circled", "ⓐ-circled"},
	} {
		if got := s.slug(c.heading); got != c.want {
			t.Errorf("slug(%q) = %q, want %q", c.heading, got, c.want)
		}
	}
}

func anchorsOf(t *testing.T, doc string, f Format) Anchors {
	t.Helper()
	a, err := ReadAnchors(strings.NewReader(doc), f)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func sortedIDs(a Anchors) []string {
	var ids []string
	for id := range a.ids {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

func TestMarkdownAnchors(t *testing.T) {
	// lychee's test_extract_fragments (markdown.rs): repeated headings, a
	// {#id}, code in a heading (lychee#1366), an id in raw HTML, and a URL
	// in a code block that defines nothing.
	doc := "\n# A Test\n\nSome link in text [here](https://foo.com)\n\n## A test {#well-still-the-same-test}\n\nCode:\n\n" +
		"```bash\nhttps://bar.com/123\n```\n\nor inline like `https://bar.org` for instance.\n\n" +
		"### Some `code` in a heading.\n\n[example](http://example.com)\n\n<span id=\"the-end\">The End</span>\n"
	a := anchorsOf(t, doc, Markdown)
	for _, id := range []string{"a-test", "a-test-1", "well-still-the-same-test", "some-code-in-a-heading", "the-end",
		// GitHub itself ignores {#id} and slugs the whole text.
		"a-test-well-still-the-same-test"} {
		if !a.Has(id) {
			t.Errorf("missing %q in %q", id, sortedIDs(a))
		}
	}
	if len(a.ids) != 6 {
		t.Errorf("anchors %q, want 6", sortedIDs(a))
	}
}

func TestMarkdownAnchorsHeadingText(t *testing.T) {
	doc := "# [Linked](x.md) *emphasis* and ![alt text](i.png) <b>bold</b> &amp; \\* <https://e.example>\n" +
		"Setext heading\nover two lines\n===\n" +
		"# <a name=\"S-introduction\"></a>In: Introduction\n" +
		"- # In a list\n> ## In a quote\n" +
		"```\n# not a heading\n```\n"
	a := anchorsOf(t, doc, Markdown)
	want := []string{
		// The image's alt is not text; the raw HTML tags are not either;
		// entities and escapes are decoded, then dropped as punctuation.
		"linked-emphasis-and--bold---httpseexample",
		"setext-headingover-two-lines",
		// An <a name> in a heading: its name and the heading's slug
		// (github/markup#1627).
		"S-introduction", "in-introduction",
		"in-a-list", "in-a-quote",
	}
	sort.Strings(want)
	if got := sortedIDs(a); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("anchors\n got %q\nwant %q", got, want)
	}
}

func TestHTMLAnchors(t *testing.T) {
	// lychee's test_extract_fragments_with_name_attributes (JavaDoc's
	// <a name>) and its html5gum test_extract_fragments (ids in code, body).
	doc := `<html><body id="content">
<h1 id="title">Title</h1>
<a name="skip.navbar.top"></a><a name="method.summary"></a>
<div><a name="clear--"></a><h2 id="section">Section</h2></div>
<code id="inline-code">https://example.com</code>
<form><input name="q"><a id="">empty</a></form>
<h2 id="user-content-usage">Usage</h2>
<script>document.write('<a id="scripted">')</script>
</body></html>`
	a := anchorsOf(t, doc, HTML)
	want := []string{"clear--", "content", "inline-code", "method.summary", "section", "skip.navbar.top", "title", "usage", "user-content-usage"}
	if got := sortedIDs(a); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("anchors\n got %q\nwant %q", got, want)
	}
	// HTML ids are case-sensitive.
	if a.Has("Title") {
		t.Error("HTML anchor matched in another case")
	}
}

func TestAnchorsHas(t *testing.T) {
	md := anchorsOf(t, "# Café Menu\n\n<a id=\"Mixed\"></a>\n", Markdown)
	html := anchorsOf(t, `<p id="a b">`, HTML)
	text := anchorsOf(t, "no anchors here", Text)
	var dir Anchors // a directory
	for _, c := range []struct {
		name string
		a    Anchors
		frag string
		want bool
	}{
		{"empty fragment", dir, "", true},
		{"top", dir, "top", true},
		{"TOP", dir, "TOP", true},
		{"directory has no anchors", dir, "x", false},
		{"plain text passes all", text, "anything", true},
		{"markdown slug", md, "café-menu", true},
		// GitHub's heading links forgive case (lychee lowercases them too).
		{"markdown slug, other case", md, "Café-Menu", true},
		{"markdown raw id", md, "Mixed", true},
		{"markdown missing", md, "menu", false},
		{"html percent-encoded", html, "a%20b", true},
		{"html decoded", html, "a b", true},
		{"html missing", html, "a", false},
	} {
		if got := c.a.Has(c.frag); got != c.want {
			t.Errorf("%s: Has(%q) = %v, want %v", c.name, c.frag, got, c.want)
		}
	}
}

func TestAnchorsFixture(t *testing.T) {
	// The fixture's own links: #guide in guide.md, #section in b/c.md,
	// #install in page.html (missing: the page defines top-title, legacy).
	for _, c := range []struct {
		file, frag string
		want       bool
	}{
		{"docs/guide.md", "guide", true},
		{"b/c.md", "section", true},
		{"b/c.md", "c", true},
		{"b/c.md", "sections", false},
		{"docs/page.html", "top-title", true},
		{"docs/page.html", "legacy", true},
		{"docs/page.html", "install", false},
		{"docs/notes.txt", "anything", true},
	} {
		f, err := os.Open(treePath(t, c.file))
		if err != nil {
			t.Fatal(err)
		}
		a, err := ReadAnchors(f, FormatOf(c.file))
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if got := a.Has(c.frag); got != c.want {
			t.Errorf("%s#%s: %v, want %v", c.file, c.frag, got, c.want)
		}
	}
}

func TestReadAnchorsError(t *testing.T) {
	boom := errors.New("boom")
	for _, f := range []Format{Markdown, HTML} {
		if _, err := ReadAnchors(&failingReader{data: "<a id=x>", err: boom}, f); !errors.Is(err, boom) {
			t.Errorf("%v: err %v, want %v", f, err, boom)
		}
	}
}

func TestExists(t *testing.T) {
	index := []string{"index.html", "README.md"}
	for _, c := range []struct {
		name, target string
		index        []string
		doc          string // relative to the tree; "" for none
		err          error
	}{
		{"file", "docs/a.md", nil, "docs/a.md", nil},
		{"file with index names", "docs/a.md", index, "docs/a.md", nil},
		{"missing file", "docs/missing.md", nil, "", fs.ErrNotExist},
		{"file as a directory", "docs/a.md/x", nil, "", fs.ErrNotExist},
		// lychee's default: a directory is fine as it is, and has no anchors.
		{"directory", "docs", nil, "", nil},
		// With index files (lychee's --index-files), one must be there.
		{"directory with index", "site", index, "site/index.html", nil},
		{"directory without index", "docs", index, "", ErrNoIndex},
		{"missing directory", "nowhere/", index, "", fs.ErrNotExist},
	} {
		t.Run(c.name, func(t *testing.T) {
			doc, err := Exists(treePath(t, c.target), c.index)
			if !errors.Is(err, c.err) || (c.err == nil) != (err == nil) {
				t.Fatalf("err %v, want %v", err, c.err)
			}
			want := ""
			if c.doc != "" {
				want = treePath(t, c.doc)
			}
			if doc != want {
				t.Errorf("doc %q, want %q", doc, want)
			}
		})
	}
	// An index name that is a directory does not count.
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "index.html"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := Exists(dir, index); !errors.Is(err, ErrNoIndex) {
		t.Errorf("index.html directory: err %v, want ErrNoIndex", err)
	}
}

// A missing anchor's report names the nearest one there is, as linkchecker
// lists the anchors of the page (issue 24.12: #mailing-list for
// #mailing-lists on kubernetes/community); none when all are far.
func TestAnchorsNearest(t *testing.T) {
	a, err := ReadAnchors(strings.NewReader("# Mailing lists\n\n## Slack\n\n## Meetings\n"), Markdown)
	if err != nil {
		t.Fatal(err)
	}
	for frag, want := range map[string]string{"mailing-list": "mailing-lists", "metings": "meetings", "slak": "slack", "zoom": "", "governance": ""} {
		if got := a.Nearest(frag); got != want {
			t.Errorf("Nearest(%q) = %q, want %q", frag, got, want)
		}
	}
}
