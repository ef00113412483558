// Package links finds the links in documents (Markdown, HTML, plain text),
// says where each was found, resolves it against its document and sorts it
// into what can be checked (an http(s) URL, a local file) and what cannot (a
// mailto:, a tel:, an unresolvable reference). It also lists the anchors a
// document defines, so that a link's #fragment can be checked.
//
// Extraction streams: one document is in memory at a time (an HTML document
// not even that), and nothing is kept from one document to the next, so the
// caller decides what to remember (the distinct targets, for instance).
package links

import (
	"io"
	"iter"
	"mime"
	"net/url"
	"path/filepath"
	"strings"
)

// Format is the syntax of a document.
type Format uint8

const (
	Text     Format = iota // plain text: bare URLs only
	Markdown               // CommonMark with GitHub's extensions
	HTML
)

func (f Format) String() string {
	switch f {
	case Markdown:
		return "markdown"
	case HTML:
		return "html"
	default:
		return "text"
	}
}

// FormatOf chooses a format by a file name's extension: .md, .markdown, .mdx
// and lychee's other Markdown extensions (Quarto's .qmd and R Markdown's .Rmd
// among them) are Markdown; .html, .htm, .xhtml are HTML; anything else is
// plain text.
func FormatOf(name string) Format {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".md", ".markdown", ".mdx", ".mdown", ".mkd", ".mkdn", ".mdwn", ".mkdown", ".qmd", ".rmd":
		return Markdown
	case ".html", ".htm", ".xhtml":
		return HTML
	}
	return Text
}

// FormatOfContentType chooses a format by a response's Content-Type. ok is
// false for a type that is no document to take links from (an image, a PDF,
// JSON...): such a response is checked, not read.
func FormatOfContentType(contentType string) (f Format, ok bool) {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		mt = strings.ToLower(strings.TrimSpace(strings.Split(contentType, ";")[0]))
	}
	switch mt {
	case "text/html", "application/xhtml+xml":
		return HTML, true
	case "text/markdown", "text/x-markdown":
		return Markdown, true
	case "text/plain":
		return Text, true
	}
	return Text, false
}

// Source is where a document comes from: a local file or a fetched page.
// Relative links resolve against it. Set exactly one of Path and URL.
type Source struct {
	Path string   // a local file, as walked (relative or absolute)
	URL  *url.URL // a fetched page, after redirects
}

func (s Source) String() string {
	if s.URL != nil {
		return s.URL.String()
	}
	return s.Path
}

// Options tune extraction.
type Options struct {
	Format Format
	// IncludeCode also takes the bare URLs written in Markdown code spans and
	// code blocks, which are skipped by default (lychee#521: a command in a
	// code block is not a link to check). Markdown only: HTML's links are
	// its attributes, taken wherever they are (a link in <pre> is one a
	// reader can follow), and its text is never read for URLs.
	IncludeCode bool
	// RootDir resolves root-relative links (/docs/a.md) in local files, as
	// lychee's --root-dir: the site's root on disk. Without it such a link is
	// an Invalid link with ErrRootRelative.
	RootDir string
	// BaseURL, if set, is where the local files are served (lychee's
	// --base-url, an absolute http(s) URL): a root-relative link in a local
	// file resolves against it, as a browser would on that site, and is a
	// web link; it wins over RootDir. Relative links stay on disk, beside
	// their file.
	BaseURL *url.URL
}

// Kind sorts a link by what checking it means.
type Kind uint8

const (
	// HTTP: Target is an absolute http or https URL, normalised (lowercase
	// scheme and host, no default port, "/" for an empty path) and without
	// its fragment, so equal Targets are one request.
	HTTP Kind = iota + 1
	// File: Target is the absolute, cleaned path of a local file or
	// directory, percent-decoded, query dropped.
	File
	// Skipped: a scheme that is not checked (mailto, tel, javascript, data,
	// ftp...); Scheme says which, lowercased.
	Skipped
	// Invalid: the link cannot be resolved; Err says why.
	Invalid
)

func (k Kind) String() string {
	switch k {
	case HTTP:
		return "http"
	case File:
		return "file"
	case Skipped:
		return "skipped"
	case Invalid:
		return "invalid"
	}
	return "unknown"
}

// Link is one link found in a document.
type Link struct {
	// Line and Col locate the link in its document, 1-based; Col counts
	// bytes. For a Markdown link or image it is the opening '[' or '!', for
	// an autolink the '<', for a bare URL its first byte, for an HTML
	// attribute the first byte of its value (every candidate of a srcset
	// shares it).
	Line, Col int
	Raw       string // the link as written: unescaped (entities, backslashes), trimmed
	Kind      Kind
	Target    string // for HTTP and File: the key to check (and dedup) by
	Fragment  string // the #fragment, percent-decoded, without '#'; may be empty
	Scheme    string // the URL scheme, lowercased ("" for a relative file link)
	Err       error  // for Invalid
}

// Extract yields the links of the document read from r, in document order.
// An HTML document's first <base href> applies to the links after it (in
// practice all of them: <base> belongs in <head>); in Markdown, <base> is
// ignored, as GitHub drops it.
// A read error is yielded once (with a zero Link) and ends the sequence; a
// link that cannot be resolved is not an error but a Link of Kind Invalid.
func Extract(r io.Reader, src Source, opts Options) iter.Seq2[Link, error] {
	return func(yield func(Link, error) bool) {
		res, err := newResolver(src, opts.RootDir)
		if err != nil {
			yield(Link{}, err)
			return
		}
		if res.local {
			res.site = opts.BaseURL
		}
		emit := func(raw string, line, col int) bool {
			l, ok := res.resolve(raw)
			if !ok {
				return true
			}
			l.Line, l.Col = line, col
			return yield(l, nil)
		}
		switch opts.Format {
		case Markdown:
			err = extractMarkdown(r, opts, emit)
		case HTML:
			err = extractHTML(r, res, emit)
		default:
			err = extractText(r, emit)
		}
		if err != nil && err != errStopped {
			yield(Link{}, err)
		}
	}
}
