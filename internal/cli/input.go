// Package cli is the machinery every fanout command shares: reading inputs
// as a stream, writing one record per input as text, JSON lines or CSV,
// and the end-of-run summary.
package cli

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"strconv"
	"unicode"
	"unicode/utf8"
)

// MaxLine is the longest input line accepted; a longer one becomes an
// error record, and the run goes on. (exec takes longer ones: LinesUpTo.)
const MaxLine = 64 << 10

// ErrTooLong matches the error of a line longer than the limit.
var ErrTooLong = errors.New("line too long")

type tooLongError struct{ n, max int }

func (e tooLongError) Error() string {
	return fmt.Sprintf("line %d is longer than %d bytes", e.n, e.max)
}
func (e tooLongError) Is(target error) bool { return target == ErrTooLong }

// Line is one input: its text and its 1-based line number (for arguments,
// its position among them).
type Line struct {
	N    int
	Text string
	Err  error // set when the line itself is unusable (too long, not UTF-8)
	// Item is what a command's own input sequence attached to the line
	// (links: the document or link it stands for); nil for lines of text.
	Item any
}

// Lines yields the non-blank lines of r that do not start with '#', as r is
// read (never all of it first). Surrounding white space and a CR before the
// LF are dropped. A line longer than MaxLine, or not valid UTF-8, is yielded
// with Err set. A read error ends the sequence with a final Line whose Err
// says so.
//
// r is read on a goroutine of its own, so that when ctx ends the sequence
// returns at once even if a read is blocked (a pipe from a producer that
// has nothing to say): the reader then exits after that read returns, which
// for standard input is at the latest when the process exits.
func Lines(ctx context.Context, r io.Reader) iter.Seq[Line] { return LinesUpTo(ctx, r, MaxLine) }

// LinesUpTo is Lines with lines of up to max bytes.
func LinesUpTo(ctx context.Context, r io.Reader, max int) iter.Seq[Line] {
	return func(yield func(Line) bool) {
		lines := make(chan Line, 64)
		stop := make(chan struct{})
		defer close(stop)
		go readLines(r, max, lines, stop)
		for {
			select {
			case l, ok := <-lines:
				if !ok || !yield(l) {
					return
				}
			case <-ctx.Done():
				return
			}
		}
	}
}

// readLines sends the lines of r on out, then closes it; it stops early
// once stop is closed.
func readLines(r io.Reader, max int, out chan<- Line, stop <-chan struct{}) {
	defer close(out)
	send := func(l Line) bool {
		select {
		case out <- l:
			return true
		case <-stop:
			return false
		}
	}
	br := newLineReader(r)
	n := 0
	for {
		text, tooLong, err := readLine(br, max)
		if len(text) == 0 && err != nil {
			if err != io.EOF {
				send(Line{N: n + 1, Err: fmt.Errorf("reading input: %w", err)})
			}
			return
		}
		n++
		if l := classify(n, text, tooLong, max, false); l != nil && !send(*l) {
			return
		}
		if err != nil {
			if err != io.EOF {
				send(Line{N: n + 1, Err: fmt.Errorf("reading input: %w", err)})
			}
			return
		}
	}
}

// classify makes the Line for input line n. An unusable line's Text is
// made safe to print: escaped, so that binary garbage or an escape
// sequence in the input cannot drive the user's terminal, and cut short
// when it was too long.
func classify(n int, text []byte, tooLong bool, max int, verbatim bool) *Line {
	if tooLong {
		return &Line{N: n, Text: escape(text[:min(len(text), 80)]) + "...", Err: tooLongError{n, max}}
	}
	if !verbatim {
		text = bytes.TrimSpace(text)
		if len(text) == 0 || text[0] == '#' {
			return nil
		}
	}
	if !utf8.Valid(text) {
		return &Line{N: n, Text: escape(text), Err: fmt.Errorf("line %d is not valid UTF-8", n)}
	}
	if bytes.ContainsFunc(text, func(r rune) bool { return r != '\t' && unicode.IsControl(r) }) {
		return &Line{N: n, Text: escape(text), Err: fmt.Errorf("line %d has control characters", n)}
	}
	return &Line{N: n, Text: string(text)}
}

// escape is text with what is not printable escaped as in a Go string
// (\x1b, \xff, \u0085), without the quotes.
func escape(text []byte) string {
	q := strconv.QuoteToGraphic(string(text))
	return q[1 : len(q)-1]
}

func newLineReader(r io.Reader) *bufio.Reader { return bufio.NewReaderSize(r, 64<<10) }

// readLine reads one line without its newline, keeping at most max
// bytes of it and reporting whether there were more.
func readLine(br *bufio.Reader, max int) (line []byte, tooLong bool, err error) {
	for {
		frag, isPrefix, err := br.ReadLine()
		if len(line)+len(frag) <= max {
			line = append(line, frag...)
		} else {
			tooLong = true
		}
		if err != nil || !isPrefix {
			if err == nil && len(line) == 0 && !tooLong {
				return []byte{}, false, nil // a blank line is not the end
			}
			return line, tooLong, err
		}
	}
}

// Args yields command-line arguments as Lines, numbered by position. They
// are taken as given: the shell has already split and quoted them, so
// unlike lines of a file they are not trimmed, and an empty one or one
// starting with '#' is an input like any other (exec --arg '#chan').
// Only what cannot be used is refused, as for lines: too long, not UTF-8,
// control characters.
func Args(args []string) iter.Seq[Line] { return ArgsUpTo(args, MaxLine) }

// ArgsUpTo is Args with arguments of up to max bytes.
func ArgsUpTo(args []string, max int) iter.Seq[Line] {
	return func(yield func(Line) bool) {
		for i, a := range args {
			if l := classify(i+1, []byte(a), len(a) > max, max, true); l != nil && !yield(*l) {
				return
			}
		}
	}
}
