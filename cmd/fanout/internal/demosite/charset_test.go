package demosite

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// charsetTests documents each /charset/<enc> page: the title a correct
// decoder yields, and the bytes the site sends (checked against Python's
// codecs: "Москва".encode("cp1251") and so on).
var charsetTests = []struct {
	enc, title, bytes string
}{
	{"iso-8859-1", "Café crème", "Caf\xe9 cr\xe8me"},
	{"windows-1252", "“Œuvre” – 5 €", "\x93\x8cuvre\x94 \x96 5 \x80"},
	{"windows-1251", "Москва", "\xcc\xee\xf1\xea\xe2\xe0"},
	{"koi8-r", "Москва", "\xed\xcf\xd3\xcb\xd7\xc1"},
	{"shift_jis", "日本語", "\x93\xfa\x96{\x8c\xea"},
	{"euc-jp", "日本語", "\xc6\xfc\xcb\xdc\xb8\xec"},
	{"euc-kr", "위키백과", "\xc0\xa7\xc5\xb0\xb9\xe9\xb0\xfa"},
	{"gbk", "维基百科", "\xce\xac\xbb\xf9\xb0\xd9\xbf\xc6"},
	{"big5", "維基百科", "\xba\xfb\xb0\xf2\xa6\xca\xac\xec"},
	{"utf-8", "Zürich – 日本", "Zürich – 日本"},
}

// decodeSimple decodes the encodings simple enough to decode here by
// arithmetic; ok is false for the others.
func decodeSimple(enc, s string) (string, bool) {
	var b strings.Builder
	switch enc {
	case "utf-8":
		return s, utf8.ValidString(s)
	case "iso-8859-1":
		for i := range len(s) {
			b.WriteRune(rune(s[i]))
		}
	case "windows-1252": // iso-8859-1 but for 0x80-0x9F; the bytes this test uses
		cp := map[byte]rune{0x80: '€', 0x8c: 'Œ', 0x93: '“', 0x94: '”', 0x96: '–'}
		for i := range len(s) {
			if r, ok := cp[s[i]]; ok {
				b.WriteRune(r)
			} else if s[i] >= 0x80 && s[i] < 0xa0 {
				return "", false
			} else {
				b.WriteRune(rune(s[i]))
			}
		}
	case "windows-1251": // А..я are 0xC0..0xFF, in Unicode order
		for i := range len(s) {
			switch c := s[i]; {
			case c < 0x80:
				b.WriteByte(c)
			case c >= 0xc0:
				b.WriteRune(0x410 + rune(c-0xc0))
			default:
				return "", false
			}
		}
	default:
		return "", false
	}
	return b.String(), true
}

func TestCharset(t *testing.T) {
	s := startSite(t, Options{})
	c := newClient(t)
	if got := Charsets(); len(got) != len(charsetTests) {
		t.Fatalf("Charsets() has %d entries, the test %d", len(got), len(charsetTests))
	}
	requests := 0
	for i, tc := range charsetTests {
		if cs := Charsets()[i]; cs.Name != tc.enc || cs.Title != tc.title || cs.Encoded != tc.bytes {
			t.Errorf("Charsets()[%d] = %+v, want %+v", i, cs, tc)
		}
		if got, ok := decodeSimple(tc.enc, tc.bytes); ok && got != tc.title {
			t.Errorf("%s: the bytes decode to %q, want %q", tc.enc, got, tc.title)
		}
		for _, v := range []struct {
			query, contentType, meta string
		}{
			{"", "text/html; charset=" + tc.enc, ""},
			{"?via=header", "text/html; charset=" + tc.enc, ""},
			{"?via=meta", "text/html", `<meta charset="` + tc.enc + `">`},
			{"?via=http-equiv", "text/html", `<meta http-equiv="Content-Type" content="text/html; charset=` + tc.enc + `">`},
			{"?via=both", "text/html; charset=" + tc.enc, `<meta charset="` + tc.enc + `">`},
			{"?via=none", "text/html", ""},
		} {
			resp, body := do(t, c, "GET", s.URL()+"/charset/"+tc.enc+v.query)
			requests++
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != v.contentType {
				t.Errorf("%s%s: status %d, Content-Type %q, want %q", tc.enc, v.query, resp.StatusCode, resp.Header.Get("Content-Type"), v.contentType)
			}
			if title(body) != tc.bytes {
				t.Errorf("%s%s: title bytes %q, want %q", tc.enc, v.query, title(body), tc.bytes)
			}
			head, _, _ := strings.Cut(body, "<title>")
			if meta := strings.TrimPrefix(head, "<!DOCTYPE html>\n<html><head>"); meta != v.meta {
				t.Errorf("%s%s: head before the title %q, want %q", tc.enc, v.query, meta, v.meta)
			}
			if tc.enc != "utf-8" && utf8.ValidString(title(body)) {
				t.Errorf("%s: the title is valid UTF-8, so it does not test decoding", tc.enc)
			}
		}
	}
	resp, _ := do(t, c, "GET", s.URL()+"/charset/SHIFT_JIS?via=meta")
	if resp.StatusCode != 200 {
		t.Errorf("upper-case name: status %d", resp.StatusCode)
	}
	resp, body := do(t, c, "GET", s.URL()+"/charset/ebcdic")
	if resp.StatusCode != 404 || !strings.Contains(body, "shift_jis") {
		t.Errorf("unknown encoding: status %d, body %q", resp.StatusCode, body)
	}
	resp, _ = do(t, c, "GET", s.URL()+"/charset/gbk?via=bom")
	if resp.StatusCode != 400 {
		t.Errorf("bad via: status %d", resp.StatusCode)
	}
	if n := s.Stats().Routes["charset"]; n != int64(requests+3) {
		t.Errorf("Routes[charset] = %d, want %d", n, requests+3)
	}
}
