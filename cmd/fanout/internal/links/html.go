package links

import (
	"bytes"
	"io"
	"strings"

	"golang.org/x/net/html"
)

// htmlHandler receives what scanHTML finds. A nil field is not wanted.
type htmlHandler struct {
	// link gets each URL in a link attribute, with the position of the
	// attribute's value: byte offset in the input, and 1-based line and
	// byte column. Returning false stops the scan.
	link func(raw string, off, line, col int) bool
	// anchor gets each fragment target: every id, and a[name].
	anchor func(id string)
	// base gets the href of each <base> (the resolver keeps the first).
	base func(href string)
}

type tagAttr struct {
	key, val  []byte // from the tokenizer: key lowercased, value unescaped
	off       int    // value's offset in the raw tag, -1 if not found
	line, col int    // value's line offset from the tag's line, and its column if that is > 0
}

// scanHTML tokenizes HTML from r (streaming, not building a tree) and reports
// link attributes, anchors and <base>. It returns errStopped if h.link asked
// to stop, the reader's error, or nil at EOF.
func scanHTML(r io.Reader, h htmlHandler) error {
	z := html.NewTokenizer(r)
	off, line, col := 0, 1, 1 // of the current token's first byte
	var pos, attrs []tagAttr
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			if err := z.Err(); err != io.EOF {
				return err
			}
			return nil
		}
		raw := z.Raw()
		tokOff, tokLine, tokCol := off, line, col
		off += len(raw)
		if k := bytes.Count(raw, []byte{'\n'}); k > 0 {
			line += k
			col = len(raw) - bytes.LastIndexByte(raw, '\n')
		} else {
			col += len(raw)
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		// Positions first: TagAttr unescapes values in place, in the
		// buffer raw points into.
		pos = attrPositions(raw, pos[:0])
		name, more := z.TagName()
		attrs = attrs[:0]
		for more {
			var k, v []byte
			k, v, more = z.TagAttr()
			a := tagAttr{key: k, val: v, off: -1}
			// The tokenizer drops empty and repeated keys, as attrPositions
			// does, so the nth attribute has the nth position; check anyway.
			if n := len(attrs); n < len(pos) && bytes.EqualFold(pos[n].key, k) {
				a.off, a.line, a.col = pos[n].off, pos[n].line, pos[n].col
			}
			attrs = append(attrs, a)
		}
		if h.anchor != nil {
			for _, a := range attrs {
				if string(a.key) == "id" || string(a.key) == "name" && string(name) == "a" {
					if len(a.val) > 0 {
						h.anchor(string(a.val))
					}
				}
			}
		}
		if string(name) == "base" {
			if h.base != nil {
				if v, ok := attrValue(attrs, "href"); ok {
					h.base(string(v))
				}
			}
			continue
		}
		if h.link == nil || skipElement(name, attrs) {
			continue
		}
		for _, a := range attrs {
			if !isLinkAttr(name, a.key, attrs) {
				continue
			}
			aOff, aLine, aCol := tokOff, tokLine, tokCol
			if a.off >= 0 {
				aOff += a.off
				aLine += a.line
				if a.line == 0 {
					aCol += a.off
				} else {
					aCol = a.col
				}
			}
			if string(a.key) == "srcset" || string(a.key) == "imagesrcset" {
				if !srcsetURLs(string(a.val), func(u string) bool { return h.link(u, aOff, aLine, aCol) }) {
					return errStopped
				}
				continue
			}
			if !h.link(string(a.val), aOff, aLine, aCol) {
				return errStopped
			}
		}
	}
}

// skipElement drops elements whose URL is not a resource to fetch:
// <link rel=preconnect|dns-prefetch> names an origin (muffet#391, lychee's
// test_skip_preconnect).
func skipElement(name []byte, attrs []tagAttr) bool {
	if string(name) != "link" {
		return false
	}
	rel, _ := attrValue(attrs, "rel")
	for _, r := range strings.Fields(string(rel)) {
		if strings.EqualFold(r, "preconnect") || strings.EqualFold(r, "dns-prefetch") {
			return true
		}
	}
	return false
}

// isLinkAttr says whether attribute key of element name holds a URL to check:
// href, src, srcset, cite, poster and data anywhere (custom elements too:
// lychee's test_mdx_multiline_jsx and test_extract_html5_custom_elements),
// and the URL attributes lychee and muffet read on their elements: form
// action, button and input formaction, SVG xlink:href, <link
// imagesrcset>, <meta property=og:image content>.
func isLinkAttr(name, key []byte, attrs []tagAttr) bool {
	switch string(key) {
	case "href", "src", "xlink:href", "srcset", "cite", "poster", "data":
		return true
	case "imagesrcset":
		return string(name) == "link"
	case "action":
		return string(name) == "form"
	case "formaction":
		return string(name) == "button" || string(name) == "input"
	case "content":
		if string(name) != "meta" {
			return false
		}
		p, ok := attrValue(attrs, "property")
		if !ok {
			p, _ = attrValue(attrs, "name")
		}
		switch strings.ToLower(string(p)) {
		case "og:image", "og:image:url", "og:image:secure_url", "og:audio", "og:video", "twitter:image":
			return true
		}
	}
	return false
}

func attrValue(attrs []tagAttr, key string) ([]byte, bool) {
	for _, a := range attrs {
		if string(a.key) == key {
			return a.val, true
		}
	}
	return nil, false
}

// attrPositions finds where each attribute's value starts in a raw start tag,
// following x/net/html's tokenizer (readTag, readTagAttrKey, readTagAttrVal)
// so that the nth position is the nth attribute TagAttr returns: empty keys
// and repeated keys are dropped. Keys point into raw, in their own case.
func attrPositions(raw []byte, out []tagAttr) []tagAttr {
	i := 1 // past '<'
	// The tag name: its first byte is taken whatever it is.
	if i < len(raw) {
		i++
	}
	for i < len(raw) && !isHTMLSpace(raw[i]) && raw[i] != '/' && raw[i] != '>' {
		i++
	}
	line, lineStart := 0, 0
	advance := func(to int) { // count newlines in raw[i:to]
		for j := i; j < to; j++ {
			if raw[j] == '\n' {
				line++
				lineStart = j + 1
			}
		}
		i = to
	}
	advance(i)
	skipSpace := func() {
		j := i
		for j < len(raw) && isHTMLSpace(raw[j]) {
			j++
		}
		advance(j)
	}
	skipSpace()
	for i < len(raw) && raw[i] != '>' {
		// Key.
		ks := i
		j := i
		for j < len(raw) {
			c := raw[j]
			if c == '=' && j == ks {
				j++ // '=' as the first byte is part of the name
				continue
			}
			if c == '=' || c == '/' || c == '>' || isHTMLSpace(c) {
				break
			}
			j++
		}
		key := raw[ks:j]
		advance(j)
		// Value.
		voff, vline, vcol := -1, 0, 0
		skipSpace()
		if i < len(raw) {
			switch raw[i] {
			case '/':
				advance(i + 1)
			case '=':
				advance(i + 1)
				skipSpace()
				if i < len(raw) {
					switch q := raw[i]; q {
					case '>':
					case '"', '\'':
						advance(i + 1)
						voff, vline, vcol = i, line, i-lineStart+1
						j := i
						for j < len(raw) && raw[j] != q {
							j++
						}
						if j < len(raw) {
							j++
						}
						advance(j)
					default:
						voff, vline, vcol = i, line, i-lineStart+1
						j := i
						for j < len(raw) && !isHTMLSpace(raw[j]) && raw[j] != '>' {
							j++
						}
						advance(j)
					}
				}
			}
		}
		if len(key) > 0 && !hasKey(out, key) {
			out = append(out, tagAttr{key: key, off: voff, line: vline, col: vcol})
		}
		skipSpace()
	}
	return out
}

func hasKey(attrs []tagAttr, key []byte) bool {
	for _, a := range attrs {
		if bytes.EqualFold(a.key, key) {
			return true
		}
	}
	return false
}

func isHTMLSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f'
}

// extractHTML reads an HTML document, honouring its <base href>.
func extractHTML(r io.Reader, res *resolver, emit func(raw string, line, col int) bool) error {
	return scanHTML(r, htmlHandler{
		link: func(raw string, _, line, col int) bool { return emit(raw, line, col) },
		base: res.setBase,
	})
}
