package probe

import (
	"bytes"
	"io"
	"mime"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/transform"
)

// MaxTitle is the longest title Title returns, in runes; a longer one is
// cut there.
const MaxTitle = 1024

// sniffLen is how much of a page the HTML standard's encoding sniffing
// reads for a <meta> charset: the first 1024 bytes.
const sniffLen = 1024

// Title reads the HTML document r until the end of its title and returns
// the title's text: entities decoded, white space collapsed to single
// spaces and trimmed, control characters dropped, cut to MaxTitle runes,
// always valid UTF-8.
//
// The title is the first <title> element in the document's head, as the
// HTML standard's tree construction (golang.org/x/net/html's parser)
// places elements: a <title> in the body, or an SVG icon's <title>, is
// not the page's title; one that follows a <textarea>, <xmp>, <iframe> or
// <noembed> starting the body (their content is text, not elements) is,
// as a browser's document.title gives it, unless a <body> tag came first. Title follows those rules token
// by token, without building the tree, and stops reading as soon as the answer is known:
// at the title's end tag, or where the head ends without one. found
// reports whether a title element was found; one whose end tag never
// comes (r ends first) is found, and holds the text read. Callers bound r
// (an io.LimitReader) to bound the work. err is a read error of r before
// the answer was known, never io.EOF.
//
// The page's encoding is taken from a byte-order mark, else contentType's
// charset parameter, else a <meta> charset in the first 1024 bytes, else
// guessed (UTF-8 when those bytes are valid UTF-8, else windows-1252), as
// golang.org/x/net/html/charset does. Pages in an encoding compatible with
// ASCII are read as bytes and only the title is decoded, so a header that
// names the charset costs nothing more; a page without one is read to its
// 1024th byte at most to settle it, and no further.
//
// When the header says UTF-8 but the title's bytes are not UTF-8 and a
// <meta> before the title names another charset, the title is decoded
// from that charset instead (servers that mislabel their pages, httpx
// #652; a browser would show mojibake, a tool should not).
func Title(r io.Reader, contentType string) (title string, found bool, err error) {
	src := &source{r: r}
	var lead [3]byte
	n, _ := io.ReadFull(src, lead[:])
	src.pending = lead[:n]
	if src.err != nil {
		return "", false, src.err
	}
	var enc encoding.Encoding
	name := ""
	switch {
	case bytes.HasPrefix(src.pending, []byte{0xef, 0xbb, 0xbf}):
		name, src.pending = "utf-8", src.pending[3:]
	case bytes.HasPrefix(src.pending, []byte{0xfe, 0xff}):
		name, src.pending = "utf-16be", src.pending[2:]
	case bytes.HasPrefix(src.pending, []byte{0xff, 0xfe}):
		name, src.pending = "utf-16le", src.pending[2:]
	default:
		if _, params, err := mime.ParseMediaType(contentType); err == nil {
			if cs := params["charset"]; cs != "" {
				enc, name = charset.Lookup(cs)
			}
		}
	}
	if name != "" && enc == nil {
		enc, _ = charset.Lookup(name)
	}
	s := scan{src: src, name: name}
	if name == "" {
		s.src.sniff = make([]byte, 0, sniffLen) // the first 1024 bytes, for the sniffing
	}
	var in io.Reader = src
	if !asciiCompatible(name) {
		// UTF-16 and stateful encodings: decode first, read tokens from
		// UTF-8 (the title then needs no decoding).
		in, s.decoded = transform.NewReader(src, enc.NewDecoder()), true
	}
	return s.run(html.NewTokenizer(in))
}

// asciiCompatible reports whether an encoding (a WHATWG name, or "" when
// not known yet) writes ASCII as ASCII and never puts an ASCII byte inside
// another character, so that tags can be read before decoding.
func asciiCompatible(name string) bool {
	switch name {
	case "utf-16be", "utf-16le", "iso-2022-jp", "replacement":
		return false
	}
	return true
}

// source is the body as the tokenizer reads it: the bytes read ahead for
// the byte-order mark first, the first read error remembered (the
// tokenizer and a decoder may report their own), and the first 1024 bytes
// kept when the encoding must be sniffed.
type source struct {
	r       io.Reader
	pending []byte
	err     error // first read error other than io.EOF
	eof     bool
	sniff   []byte // nil, or up to sniffLen first bytes
}

func (s *source) Read(p []byte) (int, error) {
	if len(s.pending) > 0 {
		n := copy(p, s.pending)
		s.pending = s.pending[n:]
		s.keep(p[:n])
		return n, nil
	}
	n, err := s.r.Read(p)
	s.keep(p[:n])
	switch {
	case err == io.EOF:
		s.eof = true
	case err != nil && s.err == nil:
		s.err = err
	}
	return n, err
}

func (s *source) keep(p []byte) {
	if s.sniff != nil && len(s.sniff) < sniffLen {
		s.sniff = append(s.sniff, p[:min(len(p), sniffLen-len(s.sniff))]...)
	}
}

// fillSniff reads on until the first 1024 bytes are known, or the body
// ended, or failed: what the sniffing needs, and no more.
func (s *source) fillSniff() {
	var buf [512]byte
	for len(s.sniff) < sniffLen && !s.eof && s.err == nil {
		if _, err := s.Read(buf[:min(len(buf), sniffLen-len(s.sniff))]); err != nil && err != io.EOF {
			return
		}
	}
}

// Insertion modes of the HTML tree construction before the body, as far
// as the head's title is concerned: before the head (the initial, "before
// html" and "before head" modes behave alike for it), in it, after it.
const (
	beforeHead = iota
	inHead
	afterHead
	inBody // past a <textarea>, <xmp>, <iframe> or <noembed> that started the body
)

// scan reads one document's tokens.
type scan struct {
	src     *source
	name    string // the encoding's WHATWG name when certain (BOM, header); "" when it must be sniffed
	decoded bool   // tokens come decoded to UTF-8
	meta    string // the first <meta> charset before the title, within the first 1024 bytes
	offset  int    // of the next token, in bytes from the start (undecoded input only)
}

func (s *scan) run(z *html.Tokenizer) (string, bool, error) {
	mode, template, rawText := beforeHead, 0, false
	for {
		tt := z.Next()
		offset := s.offset
		s.offset += len(z.Raw())
		switch tt {
		case html.ErrorToken:
			return "", false, s.src.err
		case html.TextToken:
			if rawText || template > 0 {
				continue
			}
			// Text other than white space starts the body.
			if len(bytes.TrimLeft(z.Text(), " \t\r\n\f")) > 0 {
				return "", false, nil
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			tag, hasAttr := z.TagName()
			a := atom.Lookup(tag)
			if template > 0 { // a template's content is not the document's
				if a == atom.Template {
					template++
				}
				continue
			}
			switch a {
			case atom.Html:
			case atom.Head:
				mode = max(mode, inHead)
			case atom.Base, atom.Basefont, atom.Bgsound, atom.Link:
				mode = max(mode, inHead)
			case atom.Meta:
				mode = max(mode, inHead)
				// A meta charset matters when sniffing, and when the header
				// says UTF-8 (it may lie: httpx #652).
				if hasAttr && s.meta == "" && (s.name == "utf-8" || s.name == "" && offset < sniffLen) {
					s.meta = metaCharset(z)
				}
			case atom.Script, atom.Style, atom.Noframes:
				mode = max(mode, inHead)
				rawText = true // the tokenizer reads their content as text
			case atom.Textarea, atom.Xmp, atom.Iframe, atom.Noembed:
				// They start the body, but their content is text, and a
				// browser's document.title is the first title element
				// anywhere: a title right after one is the page's
				// (<textarea><title>no</title></textarea><title>yes</title>
				// is "yes", issue 27).
				mode, rawText = inBody, true
			case atom.Noscript:
				if mode >= afterHead { // not allowed after the head: the body starts
					return "", false, nil
				}
				mode, rawText = inHead, true
			case atom.Template:
				mode = max(mode, inHead)
				template++
			case atom.Title:
				return s.title(z)
			default: // the body (or a frameset) starts
				return "", false, nil
			}
		case html.EndTagToken:
			tag, _ := z.TagName()
			a := atom.Lookup(tag)
			rawText = false
			if template > 0 {
				if a == atom.Template {
					template--
				}
				continue
			}
			switch a {
			case atom.Head:
				mode = max(mode, afterHead)
			case atom.Body, atom.Html, atom.Br:
				return "", false, nil
			}
		}
	}
}

// title reads the text of the title element whose start tag was just
// read, up to its end tag (or the end of the input), and decodes it.
func (s *scan) title(z *html.Tokenizer) (string, bool, error) {
	var tb titleBuilder
	var raw []byte
	for {
		tt := z.Next()
		if tt == html.TextToken {
			if !s.decoded && len(raw) < maxRawTitle {
				raw = append(raw, z.Raw()...) // before Text, which unescapes in place
			}
			if s.decoded || s.name == "utf-8" {
				tb.add(z.Text())
			}
			continue
		}
		if tt == html.ErrorToken && s.src.err != nil {
			return "", true, s.src.err
		}
		break // the end tag, or the end of the input
	}
	switch {
	case s.decoded:
		return tb.String(), true, nil
	case s.name == "utf-8":
		return retitle(tb, raw, s.meta), true, nil
	}
	name := s.name
	if name == "" {
		name = s.settle()
	}
	if name == "utf-8" {
		tb.add(rcdata(raw))
		return tb.String(), true, nil
	}
	return decodeTitle(raw, name), true, nil
}

// maxRawTitle bounds the raw title bytes kept for decoding: enough for
// MaxTitle runes in any encoding, entities included.
const maxRawTitle = 64 << 10

// settle returns the encoding of a page whose header and BOM named none:
// the first <meta> charset if one came before the title within the first
// 1024 bytes, else what those bytes tell (a later <meta>, or a guess),
// reading on to the 1024th byte if the title ended sooner.
func (s *scan) settle() string {
	if s.meta != "" {
		if _, name := charset.Lookup(s.meta); name != "" {
			if strings.HasPrefix(name, "utf-16") {
				return "utf-8" // a page that names UTF-16 in its own bytes is not
			}
			return name
		}
	}
	s.src.fillSniff()
	_, name, _ := charset.DetermineEncoding(s.src.sniff, "")
	return name
}

// decodeTitle returns the title whose raw bytes (entities not decoded)
// are in the encoding called name.
func decodeTitle(raw []byte, name string) string {
	var tb titleBuilder
	if enc, _ := charset.Lookup(name); enc != nil {
		if d, err := enc.NewDecoder().Bytes(raw); err == nil {
			raw = d
		}
	}
	tb.add(rcdata(raw))
	return tb.String()
}

// rcdata decodes the entities (and NULs) of a title's text, as the
// tokenizer does inside <title>.
func rcdata(raw []byte) []byte {
	if bytes.IndexByte(raw, '&') < 0 && bytes.IndexByte(raw, 0) < 0 {
		return raw
	}
	z := html.NewTokenizerFragment(bytes.NewReader(raw), "title")
	var out []byte
	for z.Next() == html.TextToken {
		out = append(out, z.Text()...)
	}
	return out
}

// retitle returns the title: tb's, unless the raw title bytes of a page
// whose header claimed UTF-8 are not UTF-8 and the page's <meta> names
// another charset, in which case they are decoded from that one.
func retitle(tb titleBuilder, raw []byte, metaLabel string) string {
	if metaLabel == "" || utf8.Valid(raw) {
		return tb.String()
	}
	_, name := charset.Lookup(metaLabel)
	if name == "" || name == "utf-8" || !asciiCompatible(name) {
		return tb.String()
	}
	return decodeTitle(raw, name)
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

// isHTML reports whether a Content-Type names an HTML or XHTML document,
// the only kinds whose title is read. A missing one counts: browsers sniff
// such a body, and one that is not HTML has no <title> in its head anyway.
func isHTML(contentType string) bool {
	if strings.TrimSpace(contentType) == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		mt, _, _ = strings.Cut(strings.ToLower(contentType), ";")
		mt = strings.TrimSpace(mt)
	}
	return mt == "text/html" || mt == "application/xhtml+xml"
}
