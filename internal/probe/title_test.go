package probe

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
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
