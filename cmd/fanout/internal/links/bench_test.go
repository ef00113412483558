package links

import (
	"fmt"
	"strings"
	"testing"
)

// Extraction throughput on large generated documents (about 4 MiB each), in
// MB/s: go test -run '^$' -bench . ./internal/links/

const benchSize = 4 << 20

// genMarkdown writes a docs-like Markdown document: headings, prose with
// inline, reference and bare links, lists, a table, code, raw HTML.
func genMarkdown(size int) string {
	var b strings.Builder
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, "## Section %d: the `config` file\n\n", i)
		fmt.Fprintf(&b, "Some prose about the feature, with an [inline link](https://example.com/docs/%d#part) and a\n", i)
		fmt.Fprintf(&b, "[relative one](../guide/page-%d.md), a [reference][ref-%d] and a bare URL https://example.org/%d/path.\n", i%50, i, i)
		b.WriteString("More words, *emphasis*, **strong** and `inline code` fill the rest of this paragraph so\n")
		b.WriteString("that links are as sparse as they are in real documentation, which is mostly prose.\n\n")
		fmt.Fprintf(&b, "- item with ![an image](img/pic-%d.png \"title\")\n- item with <https://example.net/%d>\n  - nested [link](./sub/%d.md)\n\n", i%20, i, i)
		b.WriteString("| key | value |\n|-----|-------|\n")
		fmt.Fprintf(&b, "| a   | [cell](https://example.com/table/%d) |\n\n", i)
		b.WriteString("```sh\ncurl -s https://example.com/install.sh | sh\n```\n\n")
		fmt.Fprintf(&b, "<p align=\"center\"><img src=\"banner-%d.png\" alt=\"banner\"></p>\n\n", i%10)
		fmt.Fprintf(&b, "[ref-%d]: https://example.com/ref/%d \"Reference\"\n\n", i, i)
	}
	return b.String()
}

// genHTML writes a rendered-site-like page: a head with assets, then
// articles with links, images with srcset, and code.
func genHTML(size int) string {
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Docs</title>\n")
	b.WriteString("<link rel=\"stylesheet\" href=\"/css/site.css\"><script src=\"/js/site.js\" defer></script></head>\n<body>\n")
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, "<article id=\"s%d\" class=\"section\">\n<h2 id=\"section-%d\">Section %d</h2>\n", i, i, i)
		fmt.Fprintf(&b, "<p>Some prose with an <a href=\"https://example.com/docs/%d#part\" class=\"ext\">inline link</a> and a\n", i)
		fmt.Fprintf(&b, "<a href=\"../guide/page-%d.html\">relative one</a>; more words, <em>emphasis</em> and <code>code</code>\n", i%50)
		b.WriteString("fill the paragraph so that links are as sparse as in real pages, which are mostly text.</p>\n")
		fmt.Fprintf(&b, "<img src=\"/img/pic-%d.png\" srcset=\"/img/pic-%d.png 1x, /img/pic-%d@2x.png 2x\" alt=\"picture\" loading=\"lazy\">\n", i%20, i%20, i%20)
		fmt.Fprintf(&b, "<ul><li><a href=\"/sub/%d.html\">nested</a></li><li><a href=\"mailto:team@example.com\">mail</a></li></ul>\n", i)
		b.WriteString("<pre><code>curl -s https://example.com/install.sh | sh</code></pre>\n</article>\n")
	}
	b.WriteString("</body></html>\n")
	return b.String()
}

// genText writes prose with a URL every few lines.
func genText(size int) string {
	var b strings.Builder
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, "Line %d of the notes says something about the build, then points at https://example.com/n/%d.\n", i, i)
		b.WriteString("Another line has no link at all, only words: the release, the tests, the benchmarks.\n")
		b.WriteString("A third line mentions example.com without a scheme, which is not a URL.\n")
	}
	return b.String()
}

func benchExtract(b *testing.B, doc string, f Format) {
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		n = 0
		for _, err := range Extract(strings.NewReader(doc), Source{Path: "bench/doc"}, Options{Format: f, RootDir: "bench"}) {
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
	}
	b.ReportMetric(float64(n), "links/doc")
}

func BenchmarkExtractMarkdown(b *testing.B) { benchExtract(b, genMarkdown(benchSize), Markdown) }
func BenchmarkExtractHTML(b *testing.B)     { benchExtract(b, genHTML(benchSize), HTML) }
func BenchmarkExtractText(b *testing.B)     { benchExtract(b, genText(benchSize), Text) }

func benchAnchors(b *testing.B, doc string, f Format) {
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ReadAnchors(strings.NewReader(doc), f); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadAnchorsMarkdown(b *testing.B) { benchAnchors(b, genMarkdown(benchSize), Markdown) }
func BenchmarkReadAnchorsHTML(b *testing.B)     { benchAnchors(b, genHTML(benchSize), HTML) }

// TestGeneratedDocuments keeps the benchmarks honest: the generated
// documents hold the links they are meant to, found where they are.
func TestGeneratedDocuments(t *testing.T) {
	const size = 64 << 10
	for _, c := range []struct {
		f         Format
		doc       string
		perRepeat int // links per generated section
		marker    string
	}{
		// inline, relative, reference, bare, image, autolink, nested, cell, <img>
		{Markdown, genMarkdown(size), 9, "## Section"},
		// two <a>, src, 2 srcset, 2 <a> in the list (mailto included)
		{HTML, genHTML(size), 7, "<article"},
		{Text, genText(size), 1, "Line "},
	} {
		sections := strings.Count(c.doc, c.marker)
		n := 0
		for l, err := range Extract(strings.NewReader(c.doc), Source{Path: "bench/doc"}, Options{Format: c.f, RootDir: "bench"}) {
			if err != nil {
				t.Fatal(err)
			}
			if l.Kind == Invalid {
				t.Fatalf("%v: invalid link %q: %v", c.f, l.Raw, l.Err)
			}
			n++
		}
		extra := 0
		if c.f == HTML {
			extra = 2 // the head's stylesheet and script
		}
		if n != sections*c.perRepeat+extra {
			t.Errorf("%v: %d links in %d sections, want %d", c.f, n, sections, sections*c.perRepeat+extra)
		}
	}
}
