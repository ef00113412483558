package demosite

import (
	"net/http"
	"net/url"
	"strings"
)

// Charset describes the page /charset/<Name>: its title is a non-ASCII
// word served in the encoding Name.
type Charset struct {
	Name    string // the encoding's label, as in the URL and in the declaration
	Title   string // the title in UTF-8: what a correct decoder yields
	Encoded string // the title's bytes as served, encoded by hand
}

// charsets holds the encoded titles as fixed byte sequences, so the package
// needs no encoding library (checked against Python's codecs).
var charsets = []Charset{
	{"iso-8859-1", "Café crème", "Caf\xe9 cr\xe8me"},
	{"windows-1252", "“Œuvre” – 5 €", "\x93\x8cuvre\x94 \x96 5 \x80"}, // bytes 0x80-0x9F differ from iso-8859-1
	{"windows-1251", "Москва", "\xcc\xee\xf1\xea\xe2\xe0"},
	{"koi8-r", "Москва", "\xed\xcf\xd3\xcb\xd7\xc1"},
	{"shift_jis", "日本語", "\x93\xfa\x96\x7b\x8c\xea"}, // 0x7b, an ASCII '{', is a trail byte
	{"euc-jp", "日本語", "\xc6\xfc\xcb\xdc\xb8\xec"},
	{"euc-kr", "위키백과", "\xc0\xa7\xc5\xb0\xb9\xe9\xb0\xfa"},
	{"gbk", "维基百科", "\xce\xac\xbb\xf9\xb0\xd9\xbf\xc6"},
	{"big5", "維基百科", "\xba\xfb\xb0\xf2\xa6\xca\xac\xec"},
	{"utf-8", "Zürich – 日本", "Z\xc3\xbcrich \xe2\x80\x93 \xe6\x97\xa5\xe6\x9c\xac"},
}

// Charsets lists the encodings /charset/<name> serves, with each page's
// title, so that tests of a title decoder need not repeat the table.
func Charsets() []Charset { return append([]Charset(nil), charsets...) }

// charsetVias are the ways /charset/<name>?via= declares the encoding.
var charsetVias = map[string]struct {
	header bool   // in the Content-Type header
	meta   string // in the head, %s standing for the name
	utf8   bool   // the header says UTF-8 instead: a misconfigured server (httpx #652)
}{
	"header":       {header: true},
	"meta":         {meta: `<meta charset="%s">`},
	"http-equiv":   {meta: `<meta http-equiv="Content-Type" content="text/html; charset=%s">`},
	"both":         {header: true, meta: `<meta charset="%s">`},
	"none":         {},
	"wrong-header": {utf8: true, meta: `<meta charset="%s">`},
}

func serveCharset(_ *Site, w http.ResponseWriter, _ *http.Request, name string, q url.Values) {
	var cs *Charset
	for i := range charsets {
		if strings.EqualFold(charsets[i].Name, name) {
			cs = &charsets[i]
		}
	}
	if cs == nil {
		names := make([]string, len(charsets))
		for i, c := range charsets {
			names[i] = c.Name
		}
		writeText(w, http.StatusNotFound, "charset: unknown encoding "+name+"; known: "+strings.Join(names, ", ")+"\n")
		return
	}
	via := q.Get("via")
	if via == "" {
		via = "header"
	}
	decl, ok := charsetVias[via]
	if !ok {
		writeText(w, http.StatusBadRequest, "via: want header, meta, http-equiv, both, none or wrong-header, got "+via+"\n")
		return
	}
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html><head>")
	if decl.meta != "" {
		b.WriteString(strings.Replace(decl.meta, "%s", cs.Name, 1))
	}
	b.WriteString("<title>" + cs.Encoded + "</title></head><body><h1>" + cs.Encoded + "</h1>")
	b.WriteString("<p>This title is encoded in " + cs.Name + ", declared via " + via + ".</p></body></html>\n")
	contentType := htmlNoCharset
	if decl.header {
		contentType = []string{"text/html; charset=" + cs.Name}
	}
	if decl.utf8 {
		contentType = []string{"text/html; charset=utf-8"}
	}
	writeBody(w, http.StatusOK, contentType, []byte(b.String()))
}
