package links

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The fuzz targets check what must hold for any input: no panic, no read
// error from a string, every link placed inside the document, every link
// non-empty and well-formed for its kind. Seeds: the fixtures, plus the
// committed corpus in testdata/fuzz.

func FuzzMarkdown(f *testing.F) { fuzzExtract(f, Markdown, "docs/guide.md") }
func FuzzHTML(f *testing.F)     { fuzzExtract(f, HTML, "docs/page.html", "site/index.html") }
func FuzzText(f *testing.F)     { fuzzExtract(f, Text, "docs/notes.txt") }

func fuzzExtract(f *testing.F, format Format, seeds ...string) {
	for _, s := range seeds {
		data, err := os.ReadFile(filepath.Join("testdata", "tree", filepath.FromSlash(s)))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(data))
	}
	f.Fuzz(func(t *testing.T, doc string) {
		lines := strings.Split(doc, "\n")
		opts := Options{Format: format, IncludeCode: len(doc)%2 == 0, RootDir: "/fuzz-root"}
		for l, err := range Extract(strings.NewReader(doc), Source{Path: "/fuzz/doc"}, opts) {
			if err != nil {
				t.Fatalf("error from a string: %v", err)
			}
			if l.Line < 1 || l.Line > len(lines) || l.Col < 1 || l.Col > len(lines[l.Line-1])+1 {
				t.Fatalf("%q at %d:%d is outside the document (%d lines)", l.Raw, l.Line, l.Col, len(lines))
			}
			if strings.TrimSpace(l.Raw) == "" {
				t.Fatalf("empty link at %d:%d", l.Line, l.Col)
			}
			switch l.Kind {
			case HTTP, File:
				if l.Target == "" || l.Err != nil {
					t.Fatalf("%q: %v with target %q, err %v", l.Raw, l.Kind, l.Target, l.Err)
				}
			case Skipped:
				if l.Scheme == "" {
					t.Fatalf("%q: skipped without a scheme", l.Raw)
				}
			case Invalid:
				if l.Err == nil {
					t.Fatalf("%q: invalid without an error", l.Raw)
				}
			default:
				t.Fatalf("%q: kind %v", l.Raw, l.Kind)
			}
		}
		if _, err := ReadAnchors(strings.NewReader(doc), format); err != nil {
			t.Fatalf("ReadAnchors: %v", err)
		}
	})
}
