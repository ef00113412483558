package probe

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

func TestTitle(t *testing.T) {
	for _, c := range []struct {
		in, ct, want string
		found        bool
	}{
		{"<title>  a \n\t b  </title>", "", "a b", true},
		{"<title>A &amp; B &lt;3</title>", "", "A & B <3", true},
		{"<head><TITLE>x</TITLE>", "", "x", true},
		{"<title>unterminated", "", "unterminated", true},
		{"<title></title>", "", "", true},
		{"<p>none", "", "", false},
		{"<script>'<title>no</title>'</script><title>yes</title>", "", "yes", true},
		{"\xef\xbb\xbf<title>bom</title>", "text/html; charset=koi8-r", "bom", true},
		{"<title>\xe9t\xe9</title>", "text/html; charset=iso-8859-1", "été", true},
		{"<title>\xff\xfe</title>", "text/html; charset=utf-8", "\uFFFD\uFFFD", true},
		{"<title>a\x1b[31mb\x00</title>", "", "a[31mb\uFFFD", true}, // NUL: U+FFFD, per the HTML standard
		// httpx #652: the header says UTF-8, the page is GBK and says so in
		// its <meta>: the meta wins when the title bytes are not UTF-8.
		{"<meta charset=gbk><title>\xd6\xd0\xce\xc4 &amp; x</title>", "text/html; charset=utf-8", "中文 & x", true},
		{"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=shift_jis\"><title>\x93\xfa\x96\x7b</title>", "text/html; charset=UTF-8", "日本", true},
		{"<meta charset=gbk><title>already UTF-8: é</title>", "text/html; charset=utf-8", "already UTF-8: é", true},
		{"<title>\xd6\xd0</title><meta charset=gbk>", "text/html; charset=utf-8", "\uFFFD\uFFFD", true}, // a meta after the title is not read
		// Only the head's title, per the HTML tree construction.
		{"<html><body><svg><title>Icon</title></svg>", "", "", false},
		{"<head><svg><title>Icon</title></svg><title>Late</title>", "", "", false}, // <svg> ends the head
		{"<p>x</p><title>body</title>", "", "", false},
		{"hello<title>body</title>", "", "", false},
		{"&#32;\n<title>after white space</title>", "", "after white space", true},
		{"<!DOCTYPE html><!-- c --><html><head><meta charset=utf-8><link rel=x><script>document.write('<title>no</title>')</script><style>p{}</style><title>yes</title>", "", "yes", true},
		{"<head></head>\n<title>after head</title><body>", "", "after head", true},
		{"<head><template><title>in a template</title></template><title>real</title>", "", "real", true},
		{"<head><noscript><title>no</title></noscript><title>yes</title>", "", "yes", true},
		{"<head></head><noscript></noscript><title>too late</title>", "", "", false},
		{"</body><title>x</title>", "", "", false},
		{"</head><title>x</title>", "", "x", true},
		{"<title/>self-closed</title>", "", "self-closed", true},
		// A browser's document.title: the textarea's content is text, the
		// title after it the page's (issue 27).
		{"<textarea><title>no</title></textarea><title>yes</title>", "", "yes", true},
		{"<head></head><iframe><title>no</title></iframe>\n<title>yes</title>", "", "yes", true},
		{"<head></head><body><iframe></iframe><title>no</title>", "", "", false}, // reading stops at <body>
		{"<textarea>x</textarea><p>y</p><title>late</title>", "", "", false},
		{"<?xml version=\"1.0\"?><html xmlns=\"http://www.w3.org/1999/xhtml\"><head><title>XHTML</title>", "application/xhtml+xml", "XHTML", true},
		// The encoding: a meta after the title within the first 1024 bytes
		// still counts when nothing else says.
		{"<title>\xe9t\xe9</title><meta charset=iso-8859-15>", "text/html", "été", true},
		{"<title>caf\xc3\xa9 &amp; \xe2\x82\xac</title>", "text/html", "café & €", true},                                              // sniffed: valid UTF-8
		{"\xff\xfe<\x00t\x00i\x00t\x00l\x00e\x00>\x00h\x00\xe9\x00<\x00/\x00t\x00i\x00t\x00l\x00e\x00>\x00", "text/html", "hé", true}, // UTF-16LE BOM
		{"<title>h\x00\xe9\x00</title>", "text/html; charset=utf-16le", "", false},                                                    // tags read after decoding
	} {
		got, found, err := Title(strings.NewReader(c.in), c.ct)
		if err != nil || got != c.want || found != c.found {
			t.Errorf("Title(%q, %q) = %q, %v, %v; want %q, %v", c.in, c.ct, got, found, err, c.want, c.found)
		}
	}
}

// FuzzTitle: any bytes and content type give a valid UTF-8 title of at
// most MaxTitle runes, without a panic, surrounding space or runs of space.
func FuzzTitle(f *testing.F) {
	f.Add([]byte("<title>x</title>"), "text/html")
	f.Add([]byte("<title>\x93\x8cuvre</title>"), "text/html; charset=windows-1252")
	f.Add([]byte("<meta charset=shift_jis><title>\x93\xfa\x96\x7b</title>"), "")
	f.Add([]byte("<title>"+strings.Repeat("a ", 3000)), "text/html; charset=utf-16le")
	f.Add([]byte("\xfe\xff\x00<\x00t"), "bogus/;;charset=")
	f.Fuzz(func(t *testing.T, in []byte, ct string) {
		title, found, err := Title(bytes.NewReader(in), ct)
		if err != nil {
			t.Fatal(err)
		}
		if !utf8.ValidString(title) {
			t.Fatalf("invalid UTF-8 %q", title)
		}
		if n := utf8.RuneCountInString(title); n > MaxTitle {
			t.Fatalf("%d runes", n)
		}
		if title != strings.TrimSpace(title) || strings.Contains(title, "  ") {
			t.Fatalf("space not collapsed: %q", title)
		}
		if !found && title != "" {
			t.Fatalf("title %q not found", title)
		}
	})
}

// titleByParse is the reference: the first <title> child of the <head>
// element that golang.org/x/net/html's parser builds, its text collapsed
// the way Title collapses it.
func titleByParse(t *testing.T, in []byte) (string, bool) {
	doc, err := html.Parse(bytes.NewReader(in))
	if err != nil {
		t.Fatalf("html.Parse: %v", err)
	}
	for n := doc.FirstChild; n != nil; n = n.NextSibling {
		if n.Type != html.ElementNode || n.DataAtom != atom.Html {
			continue
		}
		for h := n.FirstChild; h != nil; h = h.NextSibling {
			if h.Type != html.ElementNode || h.DataAtom != atom.Head {
				continue
			}
			for c := h.FirstChild; c != nil; c = c.NextSibling {
				if c.Type == html.ElementNode && c.DataAtom == atom.Title && c.Namespace == "" {
					return textOf(c), true
				}
			}
			if bytes.Contains(bytes.ToLower(in), []byte("<body")) {
				return "", false // Title stops at <body>, by design
			}
			return bodyTitle(h)
		}
	}
	return "", false
}

func textOf(c *html.Node) string {
	var tb titleBuilder
	for x := c.FirstChild; x != nil; x = x.NextSibling {
		if x.Type == html.TextNode {
			tb.add([]byte(x.Data))
		}
	}
	return tb.String()
}

// bodyTitle is the reference past the head: a title in the body that a
// textarea, xmp, iframe or noembed (white space and head elements aside)
// leads to, as a browser's document.title finds it.
func bodyTitle(head *html.Node) (string, bool) {
	var body *html.Node
	for n := head.NextSibling; n != nil; n = n.NextSibling {
		if n.Type == html.ElementNode && n.DataAtom == atom.Body {
			body = n
		}
	}
	if body == nil {
		return "", false
	}
	opened := false // a textarea, xmp, iframe or noembed came
	for c := body.FirstChild; c != nil; c = c.NextSibling {
		switch {
		case c.Type == html.TextNode && strings.Trim(c.Data, " \t\r\n\f") == "", c.Type == html.CommentNode:
		case c.Type != html.ElementNode || c.Namespace != "":
			return "", false
		case c.DataAtom == atom.Textarea || c.DataAtom == atom.Xmp || c.DataAtom == atom.Iframe || c.DataAtom == atom.Noembed:
			opened = true
		case c.DataAtom == atom.Title:
			if !opened {
				return "", false
			}
			return textOf(c), true
		case c.DataAtom == atom.Script || c.DataAtom == atom.Style || c.DataAtom == atom.Meta || c.DataAtom == atom.Link ||
			c.DataAtom == atom.Base || c.DataAtom == atom.Basefont || c.DataAtom == atom.Bgsound || c.DataAtom == atom.Noframes || c.DataAtom == atom.Template:
		default:
			return "", false
		}
	}
	return "", false
}

// FuzzTitleMatchesParse: on any UTF-8 document, Title finds the title
// html.Parse puts in the head, and only that one.
func FuzzTitleMatchesParse(f *testing.F) {
	for _, s := range []string{
		"<title>x</title>", "<html><body><svg><title>Icon</title></svg>", "<head></head><title>a</title>",
		"<head><template><title>t</title></template><title>r</title>", "x<title>y</title>", "<meta charset=utf-8><title>a &amp; b</title>",
		"<noscript><title>n</title></noscript><title>y</title>", "</br><title>z</title>", "<title/>q", "<frameset><title>f</title>",
		"<!DOCTYPE html>\n<html>\n<head>\n<title>\n a \n</title>", "<head><noframes><title>no</title></noframes><title>t</title>",
		"<textarea><title>no</title></textarea><title>yes</title>", "<iframe></iframe><script></script><title>i</title>",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if !utf8.Valid(in) || bytes.HasPrefix(in, []byte("\xef\xbb\xbf")) {
			return
		}
		got, found, err := Title(bytes.NewReader(in), "text/html; charset=utf-8")
		if err != nil {
			t.Fatal(err)
		}
		want, wantFound := titleByParse(t, in)
		if got != want || found != wantFound {
			t.Fatalf("Title = %q, %v; html.Parse's head title = %q, %v", got, found, want, wantFound)
		}
	})
}

// stopReader serves a prefix, then fails the test if read again: Title
// must not read past what it needs.
type stopReader struct {
	t      *testing.T
	prefix *strings.Reader
	what   string
}

func (r *stopReader) Read(p []byte) (int, error) {
	if r.prefix.Len() > 0 {
		return r.prefix.Read(p)
	}
	r.t.Errorf("read past %s", r.what)
	return 0, errors.New("read past the end of what Title needs")
}

// Title stops reading at the end of the title when the charset is
// settled, and where the head ends without a title (issue 14, item 4);
// without a declared charset it reads on to the 1024th byte, no further.
func TestTitleReadsNoFurther(t *testing.T) {
	for _, c := range []struct{ in, ct, want string }{
		{"<html><head><title>Known</title>", "text/html; charset=utf-8", "Known"},
		{"<html><head><title>Known</title>", "text/html; charset=koi8-r", "Known"},
		{"<html><head><meta charset=utf-8><title>Known</title>", "text/html", "Known"},
		{"<html><head></head><body>", "text/html; charset=utf-8", ""},
		{"<html><head><title>Known</title>" + strings.Repeat(" ", 1024), "text/html", "Known"},
	} {
		got, _, err := Title(&stopReader{t: t, prefix: strings.NewReader(c.in), what: c.in}, c.ct)
		if err != nil || got != c.want {
			t.Errorf("%q: %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}
