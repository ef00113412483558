package links

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"regexp"
	"strings"
	"sync"

	"mvdan.cc/xurls/v2"
)

// anySchemeAt matches a URL with xurls' rules for what follows a scheme,
// anchored at its start, for any scheme ("x+y://", or one of the schemes
// without an authority, "mailto:"); knownScheme then keeps the schemes xurls.Strict
// knows, so the result is Strict's: URLs with a registered scheme, never
// bare words, so prose is not mistaken for links. Strict itself, run over
// a line, costs about 60 µs a line of prose; its alternation of hundreds of
// schemes is most of the cost even anchored (5 µs a URL against 2).
var anySchemeAt = sync.OnceValue(func() *regexp.Regexp {
	// xurls.AnyScheme, with digits: registered schemes have them (z39.50r).
	noAuth := make([]string, len(xurls.SchemesNoAuthority))
	for i, s := range xurls.SchemesNoAuthority {
		noAuth[i] = regexp.QuoteMeta(s)
	}
	re, err := xurls.StrictMatchingScheme(`[a-zA-Z][a-zA-Z0-9.\-+]*://|(?:` + strings.Join(noAuth, "|") + `):`)
	if err != nil {
		panic(err)
	}
	re = regexp.MustCompile(`^(?:` + re.String() + `)`)
	re.Longest()
	return re
})

var knownSchemes = sync.OnceValue(func() map[string]bool {
	m := map[string]bool{}
	for _, list := range [][]string{xurls.Schemes, xurls.SchemesUnofficial} {
		for _, s := range list {
			m[strings.ToLower(s)+"://"] = true
		}
	}
	for _, s := range xurls.SchemesNoAuthority {
		m[strings.ToLower(s)+":"] = true
	}
	return m
})

// knownScheme reports whether the URL u starts with a scheme xurls.Strict
// matches: a registered one before "://", or one of the few without an
// authority before ":".
func knownScheme(u []byte) bool {
	c := bytes.IndexByte(u, ':')
	if c < 0 {
		return false
	}
	end := c + 1
	if bytes.HasPrefix(u[c:], []byte("://")) {
		end = c + 3
	}
	return knownSchemes()[strings.ToLower(string(u[:end]))]
}

// bareURLs calls fn with each URL in one line of text and its byte offset.
// A URL's scheme ends at a colon, so only the word before each colon is
// tried as a start: its first letter, or a letter after '.', '+' or '-'
// inside it ("-https://..."). Unlike Strict run unanchored, a scheme is
// not found inside a longer word ("xhttp://").
func bareURLs(line []byte, fn func(u string, off int) bool) bool {
	re := anySchemeAt()
	for from := 0; from < len(line); {
		c := bytes.IndexByte(line[from:], ':')
		if c < 0 {
			return true
		}
		c += from
		s0 := c
		for s0 > from && c-s0 < 64 && isSchemeByte(line[s0-1]) {
			s0--
		}
		next := c + 1
		for s := s0; s < c; s++ {
			if !isLetter(line[s]) || s > s0 && (isLetter(line[s-1]) || isDigit(line[s-1])) {
				continue
			}
			if m := re.FindIndex(line[s:]); m != nil && knownScheme(line[s:s+m[1]]) {
				if !fn(string(line[s:s+m[1]]), s) {
					return false
				}
				next = s + m[1]
				break
			}
		}
		from = next
	}
	return true
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool  { return '0' <= c && c <= '9' }
func isSchemeByte(c byte) bool {
	return isLetter(c) || isDigit(c) || c == '+' || c == '-' || c == '.'
}

// extractText reads plain text line by line: a URL never spans lines, so one
// line is all that is held, however large the file.
func extractText(r io.Reader, emit func(raw string, line, col int) bool) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var long []byte // a line longer than the buffer, assembled
	for n := 1; ; n++ {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			long = append(long[:0], line...)
			for errors.Is(err, bufio.ErrBufferFull) {
				line, err = br.ReadSlice('\n')
				long = append(long, line...)
			}
			line = long
			if cap(long) > 1<<20 {
				long = nil // keep no huge line's buffer for the next
			}
		}
		if !bareURLs(line, func(u string, off int) bool { return emit(u, n, off+1) }) {
			return errStopped
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
