package links

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"mvdan.cc/xurls/v2"
)

// TestBareURLsAgreeWithXurls: the anchored scan finds what xurls.Strict
// finds over the whole line, except a scheme glued to the end of a longer
// word, which it leaves on purpose.
func TestBareURLsAgreeWithXurls(t *testing.T) {
	lines := []string{
		"see https://example.com/a, then (http://example.org/b) and <ftp://files.example.com/x>.",
		"mailto:me@example.com and tel:+1-555-0100 and sms:+15550100 and xmpp:me@example.com",
		"url=https://example.com/q?a=1&b=2#frag; next: words: with: colons:",
		"-https://example.com/dash [https://example.com/bracket] \"https://example.com/quoted\"",
		"HTTPS://EXAMPLE.COM/UPPER and git+ssh://git@example.com/repo.git and s3://bucket/key and z39.50r://x",
		"two in a row https://a.example/https://b.example/ and file:///etc/hosts",
		"ünïcode https://例え.jp/パス and https://example.com/ü?q=ä",
		"no scheme: example.com, www.example.com, me@example.com, 10:30, C:\\path",
		"glued xhttp://example.com/ and 1http://example.com/",
		"",
	}
	for _, f := range []string{"docs/guide.md", "docs/notes.txt", "docs/page.html"} {
		data, err := os.ReadFile(filepath.Join("testdata", "tree", filepath.FromSlash(f)))
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, strings.Split(string(data), "\n")...)
	}
	lines = append(lines, strings.Split(genText(8<<10), "\n")...)
	for _, line := range lines {
		var got, want []string
		bareURLs([]byte(line), func(u string, off int) bool {
			got = append(got, fmt.Sprintf("%d:%s", off, u))
			return true
		})
		for _, m := range xurls.Strict().FindAllStringIndex(line, -1) {
			if s := m[0]; s > 0 && (isLetter(line[s-1]) || isDigit(line[s-1])) {
				continue // a scheme glued to a word: not a URL
			}
			want = append(want, fmt.Sprintf("%d:%s", m[0], line[m[0]:m[1]]))
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%q\n got %q\nwant %q", line, got, want)
		}
	}
}
