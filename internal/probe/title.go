package probe

import (
	"io"
	"mime"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/net/html/charset"
)

// MaxTitle is the longest title Title returns, in runes; a longer one is
// cut there.
const MaxTitle = 1024

// Title reads the HTML document r until the end of its first <title>
// element and returns the title's text: entities decoded, white space
// collapsed to single spaces and trimmed, control characters dropped, cut
// to MaxTitle runes, always valid UTF-8. The page's encoding is taken from
// a byte-order mark, else contentType's charset parameter, else a <meta>
// in the first 1024 bytes, else guessed (UTF-8 when those bytes are valid
// UTF-8, else windows-1252), as golang.org/x/net/html/charset does; a
// header that says UTF-8 is trusted without sniffing, which halves the cost.
//
// found reports whether a <title> start tag was seen; a title whose end
// tag never comes (r ends first) is found, and holds the text read. Title
// reads r only as far as the </title> end tag: callers bound r (an
// io.LimitReader) to bound the work. err is a read error of r, never
// io.EOF.
//
// When the header says UTF-8 but the title's bytes are not UTF-8 and a
// <meta> before the title names another charset, the title is decoded
// from that charset instead (servers that mislabel their pages, httpx
// #652; a browser would show mojibake, a tool should not).
func Title(r io.Reader, contentType string) (title string, found bool, err error) {
	er := &errReader{r: r}
	var dr io.Reader = er
	trusted := declaresUTF8(contentType)
	if !trusted {
		// Sniffing (a 1024-byte prescan and a decoder) costs about as much
		// as the rest of the probe's parsing: only pay it when the header
		// does not already say UTF-8. (A UTF-8 BOM is harmless text before
		// <html>; a UTF-16 page mislabelled UTF-8 is not worth the cost.)
		if dr, err = charset.NewReader(er, contentType); err != nil {
			return "", false, err
		}
	}
	z := html.NewTokenizer(dr)
	var tb titleBuilder
	inTitle := false
	// A trusted UTF-8 header can lie: a server that says UTF-8 for GBK
	// pages (httpx #652). Then the title's raw bytes are not UTF-8, and
	// the page's own <meta> charset, if any, is the better guess.
	var metaLabel string
	var raw []byte
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			// Only a read error of r is an error: at io.EOF, or a decoding
			// error, the title is what could be read.
			return retitle(tb, raw, metaLabel), inTitle, er.err
		case html.StartTagToken, html.SelfClosingTagToken:
			if inTitle {
				continue
			}
			name, hasAttr := z.TagName()
			switch a := atom.Lookup(name); {
			case a == atom.Title && tt == html.StartTagToken:
				inTitle = true
			case a == atom.Meta && trusted && hasAttr && metaLabel == "":
				metaLabel = metaCharset(z)
			}
		case html.TextToken:
			if inTitle {
				if trusted && len(raw) < 4*MaxTitle*4 {
					raw = append(raw, z.Raw()...) // before Text, which unescapes in place
				}
				tb.add(z.Text())
			}
		case html.EndTagToken:
			if name, _ := z.TagName(); inTitle && atom.Lookup(name) == atom.Title {
				return retitle(tb, raw, metaLabel), true, nil
			}
		}
	}
}

// retitle returns the title: tb's, unless the raw title bytes of a page
// whose header claimed UTF-8 are not UTF-8 and the page's <meta> names
// another charset, in which case they are decoded from that one.
func retitle(tb titleBuilder, raw []byte, metaLabel string) string {
	if metaLabel == "" || utf8.Valid(raw) {
		return tb.String()
	}
	enc, name := charset.Lookup(metaLabel)
	if enc == nil || name == "utf-8" {
		return tb.String()
	}
	decoded, err := enc.NewDecoder().Bytes(raw)
	if err != nil {
		return tb.String()
	}
	var again titleBuilder
	again.add([]byte(html.UnescapeString(string(decoded))))
	return again.String()
}

// metaCharset returns the charset a <meta charset=...> or <meta
// http-equiv="Content-Type" content="...; charset=..."> names, or "".
func metaCharset(z *html.Tokenizer) string {
	var cs, content string
	httpEquiv := false
	for {
		k, v, more := z.TagAttr()
		switch string(k) {
		case "charset":
			cs = string(v)
		case "http-equiv":
			httpEquiv = strings.EqualFold(string(v), "content-type")
		case "content":
			content = string(v)
		}
		if !more {
			break
		}
	}
	if cs == "" && httpEquiv {
		if _, params, err := mime.ParseMediaType(content); err == nil {
			cs = params["charset"]
		}
	}
	return strings.TrimSpace(cs)
}

// errReader remembers the first error of the underlying reader other than
// EOF, since the tokenizer and the decoder may report their own instead.
type errReader struct {
	r   io.Reader
	err error
}

func (e *errReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF && e.err == nil {
		e.err = err
	}
	return n, err
}

// titleBuilder collapses white space and stops at MaxTitle runes.
type titleBuilder struct {
	b     strings.Builder
	runes int
	space bool // a space is pending (only written before a later word)
}

func (t *titleBuilder) add(p []byte) {
	for len(p) > 0 && t.runes < MaxTitle {
		r, size := utf8.DecodeRune(p)
		p = p[size:]
		if r == utf8.RuneError && size <= 1 {
			r = unicode.ReplacementChar
		}
		if unicode.IsSpace(r) {
			t.space = t.runes > 0
			continue
		}
		if unicode.IsControl(r) { // no terminal escapes in a printed title
			continue
		}
		if t.space {
			if t.runes+1 >= MaxTitle { // no room for the word after the space
				t.runes = MaxTitle
				return
			}
			t.b.WriteByte(' ')
			t.runes++
			t.space = false
		}
		t.b.WriteRune(r)
		t.runes++
	}
}

func (t *titleBuilder) String() string { return t.b.String() }

// declaresUTF8 reports whether a Content-Type header names UTF-8.
func declaresUTF8(contentType string) bool {
	_, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	cs := strings.ToLower(params["charset"])
	return cs == "utf-8" || cs == "utf8"
}
