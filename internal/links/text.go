package links

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"regexp"
	"sync"

	"mvdan.cc/xurls/v2"
)

// strictURL is xurls' Strict: URLs with a scheme ("https://", "mailto:"),
// never bare words, so prose is not mistaken for links. Compiled once:
// xurls.Strict compiles on every call.
var strictURL = sync.OnceValue(func() *regexp.Regexp { return xurls.Strict() })

// bareURLs calls fn with each URL in one line of text and its byte offset.
func bareURLs(line []byte, fn func(u string, off int) bool) bool {
	// Every URL xurls.Strict finds has a colon; most lines of prose don't.
	if bytes.IndexByte(line, ':') < 0 {
		return true
	}
	for _, m := range strictURL().FindAllIndex(line, -1) {
		if !fn(string(line[m[0]:m[1]]), m[0]) {
			return false
		}
	}
	return true
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
