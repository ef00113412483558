package links

import (
	"errors"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestResolveLocal(t *testing.T) {
	root := treePath(t, "")
	docs := treePath(t, "docs")
	for _, c := range []struct {
		raw     string
		rootDir string
		kind    Kind
		target  string // File: absolute; HTTP: URL
		frag    string
		scheme  string
	}{
		{"./a.md", "", File, filepath.Join(docs, "a.md"), "", ""},
		{"a.md", "", File, filepath.Join(docs, "a.md"), "", ""},
		{"../b/c.md#x", "", File, filepath.Join(root, "b", "c.md"), "x", ""},
		// A fragment is no part of the file name (lychee#1896, lychee#1577).
		{"b.html#a", "", File, filepath.Join(docs, "b.html"), "a", ""},
		{"/b.html#a", root, File, filepath.Join(root, "b.html"), "a", ""},
		// Percent-decoded, and spelled with a space it is the same file
		// (lychee#1503).
		{"a%20b.md", "", File, filepath.Join(docs, "a b.md"), "", ""},
		{"a b.md", "", File, filepath.Join(docs, "a b.md"), "", ""},
		{"%E2%9C%93.md", "", File, filepath.Join(docs, "✓.md"), "", ""},
		// A '%' that starts no escape is a literal '%', as in a browser.
		{"100%.md", "", File, filepath.Join(docs, "100%.md"), "", ""},
		// The query means nothing on disk (GitHub's ?plain=1).
		{"x.md?plain=1#L3", "", File, filepath.Join(docs, "x.md"), "L3", ""},
		// Root-relative links go under the root dir and cannot climb above
		// it, as "/.." on a site is "/" (lychee#1265 --root-dir).
		{"/root.md", root, File, filepath.Join(root, "root.md"), "", ""},
		{"/../../etc/passwd", root, File, filepath.Join(root, "etc", "passwd"), "", ""},
		{strings.Repeat("../", 40) + "x", "", File, "/x", "", ""}, // above / from any test directory
		// Directories.
		{".", "", File, docs, "", ""},
		{"../img/", "", File, filepath.Join(root, "img"), "", ""},
		// Same document.
		{"#guide", "", File, filepath.Join(docs, "x.md"), "guide", ""},
		{"#caf%C3%A9", "", File, filepath.Join(docs, "x.md"), "café", ""},
		// file: URLs in a local document are local files.
		{"file:///etc/hosts", "", File, "/etc/hosts", "", "file"},
		{"FILE://localhost/etc/hosts", "", File, "/etc/hosts", "", "file"},
		// Protocol-relative links from a local document: the web, https.
		{"//cdn.example.com/x.js", "", HTTP, "https://cdn.example.com/x.js", "", "https"},
		// Whitespace around a destination is dropped (muffet's
		// TestLinkFinderFindLinkWithLeadingAndTrailingSpaces); a tab or
		// newline inside is dropped too, as the URL standard says.
		{"  ./a.md\t", "", File, filepath.Join(docs, "a.md"), "", ""},
		{"https://exa\nmple.com/", "", HTTP, "https://example.com/", "", "https"},
	} {
		t.Run(c.raw, func(t *testing.T) {
			r, err := newResolver(Source{Path: filepath.Join("testdata", "tree", "docs", "x.md")}, c.rootDir)
			if err != nil {
				t.Fatal(err)
			}
			l, ok := r.resolve(c.raw)
			if !ok {
				t.Fatal("no link")
			}
			if l.Kind != c.kind || l.Target != c.target || l.Fragment != c.frag || l.Scheme != c.scheme || l.Err != nil {
				t.Errorf("got %v %q #%q scheme %q err %v; want %v %q #%q scheme %q",
					l.Kind, l.Target, l.Fragment, l.Scheme, l.Err, c.kind, c.target, c.frag, c.scheme)
			}
		})
	}
}

func TestResolvePage(t *testing.T) {
	page, _ := url.Parse("https://example.com/docs/page.html?v=1#here")
	for _, c := range []struct {
		raw, target, frag string
	}{
		// Relative links on a fetched page resolve against it (lychee#1654).
		{"x.html", "https://example.com/docs/x.html", ""},
		{"/x", "https://example.com/x", ""},
		{"../x", "https://example.com/x", ""},
		{"#f", "https://example.com/docs/page.html?v=1", "f"},
		{"?q=1", "https://example.com/docs/page.html?q=1", ""},
		{"//Other.EXAMPLE.com", "https://other.example.com/", ""},
		// Normalisation: case of scheme and host, default ports, empty path.
		{"HTTP://Example.COM", "http://example.com/", ""},
		{"http://example.com:80/a", "http://example.com/a", ""},
		{"https://example.com:443/a", "https://example.com/a", ""},
		{"https://example.com:8443/a", "https://example.com:8443/a", ""},
		{"http://example.com:/a", "http://example.com/a", ""},
		{"http://[::1]:80/", "http://[::1]/", ""},
		{"http://[::1]:8080/", "http://[::1]:8080/", ""},
		{"http://user@example.com/", "http://user@example.com/", ""},
		// The path's case and escapes are the server's business: kept.
		{"https://example.com/A%2fB?X=Y#Frag", "https://example.com/A%2fB?X=Y", "Frag"},
		// muffet's TestLinkFinderFindLinkWithoutEncodedSpaces.
		{"http://foo.com/a%20b", "http://foo.com/a%20b", ""},
	} {
		r, err := newResolver(Source{URL: page}, "")
		if err != nil {
			t.Fatal(err)
		}
		l, ok := r.resolve(c.raw)
		if !ok || l.Kind != HTTP || l.Target != c.target || l.Fragment != c.frag {
			t.Errorf("%q: got %v %q #%q (err %v), want %q #%q", c.raw, l.Kind, l.Target, l.Fragment, l.Err, c.target, c.frag)
		}
	}
}

func TestResolveSkippedAndInvalid(t *testing.T) {
	page, _ := url.Parse("https://example.com/")
	for _, src := range []Source{{Path: "docs/x.md"}, {URL: page}} {
		r, err := newResolver(src, "")
		if err != nil {
			t.Fatal(err)
		}
		for raw, scheme := range map[string]string{
			"mailto:me@example.com":            "mailto",
			"MailTo:me@example.com":            "mailto",
			"tel:+1-555":                       "tel",
			"javascript:void(0)":               "javascript",
			"javascript:alert('100%')":         "javascript", // unparsable, still only skipped
			"data:text/plain, Hello,%20world!": "data",       // muffet's TestLinkFinderFindDataSchemeLinkWithSpaces
			"ftp://ftp.example.com/":           "ftp",
			"irc://irc.example.net/#go":        "irc",
		} {
			l, ok := r.resolve(raw)
			if !ok || l.Kind != Skipped || l.Scheme != scheme {
				t.Errorf("%v %q: %v scheme %q, want skipped %q", src, raw, l.Kind, l.Scheme, scheme)
			}
		}
		for _, raw := range []string{
			":",              // muffet's TestLinkFinderFailWithInvalidURL
			"http:no-host",   // an http URL needs a host
			"http://a b/",    // a space in a host
			"https://[::1/x", // an unclosed IPv6 literal
		} {
			l, ok := r.resolve(raw)
			if !ok || l.Kind != Invalid || l.Err == nil || l.Target != "" {
				t.Errorf("%v %q: %v %q err %v, want invalid", src, raw, l.Kind, l.Target, l.Err)
			}
		}
		for _, raw := range []string{"", "   ", "\t\n"} {
			if l, ok := r.resolve(raw); ok {
				t.Errorf("%v %q: %+v, want no link", src, raw, l)
			}
		}
	}
	// A page cannot send its reader to a file on our disk: skipped.
	r, _ := newResolver(Source{URL: page}, "")
	if l, _ := r.resolve("file:///etc/passwd"); l.Kind != Skipped || l.Scheme != "file" {
		t.Errorf("file: link on a page: %v %q", l.Kind, l.Scheme)
	}
	// A root-relative link in a local file with no root dir.
	r, _ = newResolver(Source{Path: "docs/x.md"}, "")
	// file: URLs in a local document must name an absolute local path.
	for _, raw := range []string{"file:relative.md", "file://server/share/x"} {
		if l, _ := r.resolve(raw); l.Kind != Invalid || l.Err == nil {
			t.Errorf("%q: %v %q, want invalid", raw, l.Kind, l.Target)
		}
	}
	// Go's URL parser's words are replaced by what is wrong (issue 24.12:
	// `[k-dev]: (https://…)` on kubernetes/community, a URL after U+200B).
	for raw, want := range map[string]string{
		"(https://x.example/a":     `not a URL: "(https" before the first ':' is no scheme`,
		"\u200bhttps://x.example/": `not a URL: "\u200bhttps" before the first ':' is no scheme`,
	} {
		if l, _ := r.resolve(raw); l.Kind != Invalid || l.Err == nil || !strings.HasPrefix(l.Err.Error(), want) {
			t.Errorf("%q: %v %v, want %s", raw, l.Kind, l.Err, want)
		}
	}
	if l, _ := r.resolve("/docs/a.md#x"); l.Kind != Invalid || !errors.Is(l.Err, ErrRootRelative) {
		t.Errorf("root-relative without root: %v %v", l.Kind, l.Err)
	}
}

func TestResolveBase(t *testing.T) {
	docs := treePath(t, "docs")
	for _, c := range []struct {
		name  string
		src   Source
		bases []string
		raw   string
		kind  Kind
		want  string
	}{
		{"page, absolute base", Source{URL: mustURL(t, "https://a.example/x/y.html")}, []string{"https://b.example/v2/"}, "z.html", HTTP, "https://b.example/v2/z.html"},
		// muffet#30: a root-relative base.
		{"page, root-relative base", Source{URL: mustURL(t, "http://files.example/.temp/sub1")}, []string{"/.temp/"}, "sub1/sub2", HTTP, "http://files.example/.temp/sub1/sub2"},
		{"first base wins", Source{URL: mustURL(t, "https://a.example/")}, []string{"/one/", "/two/"}, "z", HTTP, "https://a.example/one/z"},
		{"file, relative base", Source{Path: "testdata/tree/docs/x.html"}, []string{"sub/"}, "z.html", File, filepath.Join(docs, "sub", "z.html")},
		{"file, web base", Source{Path: "testdata/tree/docs/x.html"}, []string{"https://docs.example/"}, "z.html", HTTP, "https://docs.example/z.html"},
		// A base that does not parse is ignored, as browsers ignore it.
		{"bad base", Source{URL: mustURL(t, "https://a.example/x/")}, []string{"http://[bad"}, "z", HTTP, "https://a.example/x/z"},
		// A root-relative base in a local file with no root dir: ignored.
		{"file, rooted base, no root", Source{Path: "testdata/tree/docs/x.html"}, []string{"/site/"}, "z.html", File, filepath.Join(docs, "z.html")},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, err := newResolver(c.src, "")
			if err != nil {
				t.Fatal(err)
			}
			for _, b := range c.bases {
				r.setBase(b)
			}
			l, _ := r.resolve(c.raw)
			if l.Kind != c.kind || l.Target != c.want {
				t.Errorf("got %v %q (err %v), want %v %q", l.Kind, l.Target, l.Err, c.kind, c.want)
			}
		})
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestNormalizeURL(t *testing.T) {
	// A URL named on the command line and the same URL found in a page are
	// one target.
	page := mustURL(t, "https://example.com/")
	r, _ := newResolver(Source{URL: page}, "")
	for _, raw := range []string{"HTTPS://Example.com:443", "https://example.com/#frag", " https://EXAMPLE.com/ "} {
		target, _, err := NormalizeURL(raw)
		l, _ := r.resolve(raw)
		if err != nil || target != "https://example.com/" || target != l.Target {
			t.Errorf("NormalizeURL(%q) = %q, %v; resolve gives %q", raw, target, err, l.Target)
		}
	}
	if _, frag, _ := NormalizeURL("https://example.com/a#b%20c"); frag != "b c" {
		t.Errorf("fragment %q, want decoded %q", frag, "b c")
	}
	for _, raw := range []string{"mailto:x@example.com", "/relative", "http://", "http://a b"} {
		if _, _, err := NormalizeURL(raw); err == nil {
			t.Errorf("NormalizeURL(%q): no error", raw)
		}
	}
}

func TestFixPercent(t *testing.T) {
	for in, want := range map[string]string{
		"":          "",
		"a%20b":     "a%20b",
		"100%":      "100%25",
		"100%.md":   "100%25.md",
		"%%41":      "%25%41",
		"%zz%2":     "%25zz%252",
		"%E2%9C%93": "%E2%9C%93",
	} {
		if got := fixPercent(in); got != want {
			t.Errorf("fixPercent(%q) = %q, want %q", in, got, want)
		}
	}
}

// Options.BaseURL: a local file's root-relative links resolve against the
// site it is served from, as a browser there would (the base's path goes:
// lychee's test_root_relative_with_remote_base_url_and_root_dir), over
// RootDir; its relative links stay beside it on disk; a page's links are
// the page's business (lychee#1964: root options apply to local files).
func TestExtractBaseURL(t *testing.T) {
	base, _ := url.Parse("https://example.com/docs/")
	page, _ := url.Parse("https://other.example/a/b.html")
	doc := "[a](/page#f) [b](c.md) [c](//cdn.example/x)\n"
	for _, c := range []struct {
		src  Source
		want []string
	}{
		{Source{Path: filepath.Join("docs", "x.md")}, []string{"https://example.com/page#f", "file:" + filepath.Join(mustAbs(t, "docs"), "c.md"), "https://cdn.example/x"}},
		{Source{URL: page}, []string{"https://other.example/page#f", "https://other.example/a/c.md", "https://cdn.example/x"}},
	} {
		var got []string
		for l, err := range Extract(strings.NewReader(doc), c.src, Options{Format: Markdown, RootDir: "/srv", BaseURL: base}) {
			if err != nil {
				t.Fatal(err)
			}
			s := l.Target
			if l.Kind == File {
				s = "file:" + s
			}
			if l.Fragment != "" {
				s += "#" + l.Fragment
			}
			got = append(got, s)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%v: got %q, want %q", c.src, got, c.want)
		}
	}
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	abs, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}
