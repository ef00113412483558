// Package runio is a fanout run's input and output, the same for every
// command: input lines read as a stream, one record per input written as
// text, JSON lines or CSV above a progress bar, the --resume journal of
// finished records, --shard's split of the inputs and the summary's tally.
// The run itself (jobs on the executor, interrupts, exit status) is the
// command package's runSpec, over these.
package runio

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxLine is the longest input line accepted; a longer one becomes an
// error record, and the run goes on. (exec takes longer ones: Mode.Max.)
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
	// Raw is the input's bytes exactly as read, in raw mode (Mode.Raw);
	// Text is then Raw made printable (see Printable), to show, journal
	// and shard by. Outside raw mode Raw is "".
	Raw string
	// Item is what a command's own input sequence attached to the line
	// (links: the document or link it stands for); nil for lines of text.
	Item any
}

// Mode says how inputs are taken.
type Mode struct {
	Max int // the longest input, in bytes; 0: MaxLine
	// Raw takes every input as it is, as xargs and GNU parallel do for
	// exec's commands: file names and lines are bytes, so nothing is
	// trimmed, blank lines and lines starting with '#' are inputs, a CR
	// before the LF stays, and no byte is refused (only the newline
	// that ends the line is dropped). Without Raw (the URL commands),
	// see Lines.
	Raw bool
	// Null ends inputs with NUL instead of newline (find -print0 | xargs
	// -0); only with Raw.
	Null bool
}

func (m Mode) max() int {
	if m.Max > 0 {
		return m.Max
	}
	return MaxLine
}

func (m Mode) sep() byte {
	if m.Null {
		return 0
	}
	return '\n'
}

// Lines yields the non-blank lines of r that do not start with '#', as r is
// read (never all of it first). Surrounding white space and a CR before the
// LF are dropped. A line longer than MaxLine, or not valid UTF-8, or with
// control characters, is yielded with Err set. A read error ends the
// sequence with a final Line whose Err says so.
//
// r is read on a goroutine of its own, so that when ctx ends the sequence
// returns at once even if a read is blocked (a pipe from a producer that
// has nothing to say): the reader then exits after that read returns, which
// for standard input is at the latest when the process exits.
func Lines(ctx context.Context, r io.Reader) iter.Seq[Line] { return Read(ctx, r, Mode{}) }

// Read is Lines in mode m.
func Read(ctx context.Context, r io.Reader, m Mode) iter.Seq[Line] {
	return func(yield func(Line) bool) {
		lines := make(chan Line, 64)
		stop := make(chan struct{})
		defer close(stop)
		go readLines(r, m, lines, stop)
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
func readLines(r io.Reader, m Mode, out chan<- Line, stop <-chan struct{}) {
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
		text, tooLong, err := readLine(br, m.sep(), m.max())
		if len(text) == 0 && !tooLong && err != nil {
			if err != io.EOF {
				send(Line{N: n + 1, Err: fmt.Errorf("reading input: %w", err)})
			}
			return
		}
		n++
		if l := classify(n, text, tooLong, m, false); l != nil && !send(*l) {
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
func classify(n int, text []byte, tooLong bool, m Mode, verbatim bool) *Line {
	if tooLong {
		return &Line{N: n, Text: escape(text[:min(len(text), 80)]) + "...", Err: tooLongError{n, m.max()}}
	}
	if m.Raw {
		raw := string(text)
		return &Line{N: n, Text: Printable(raw), Raw: raw}
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

// Printable is s as fanout shows a raw input: s itself when it is valid
// UTF-8 of printable characters and spaces that does not start with '"';
// otherwise s quoted as a Go string ("a\x00b", "caf\xe9", "" for the
// empty input), so that no byte of it can drive a terminal, split a
// record, or be lost by JSON's UTF-8. Two inputs never show the same.
func Printable(s string) string {
	if s != "" && s[0] != '"' && utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool { return !unicode.IsGraphic(r) || r != ' ' && unicode.IsSpace(r) }) {
		return s
	}
	return strconv.QuoteToGraphic(s)
}

// escape is text with what is not printable escaped as in a Go string
// (\x1b, \xff, \u0085), without the quotes.
func escape(text []byte) string {
	q := strconv.QuoteToGraphic(string(text))
	return q[1 : len(q)-1]
}

func newLineReader(r io.Reader) *bufio.Reader { return bufio.NewReaderSize(r, 64<<10) }

// readLine reads one line without its separator, keeping at most max
// bytes of it and reporting whether there were more.
func readLine(br *bufio.Reader, sep byte, max int) (line []byte, tooLong bool, err error) {
	line = []byte{}
	for {
		frag, err := br.ReadSlice(sep)
		if err == nil {
			frag = frag[:len(frag)-1]
		}
		if len(line)+len(frag) <= max {
			line = append(line, frag...)
		} else {
			tooLong = true
		}
		if err != bufio.ErrBufferFull {
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
func Args(args []string) iter.Seq[Line] { return ArgsAs(args, Mode{}) }

// ArgsAs is Args in mode m: with m.Raw, only a too long argument is
// refused.
func ArgsAs(args []string, m Mode) iter.Seq[Line] {
	return func(yield func(Line) bool) {
		for i, a := range args {
			if l := classify(i+1, []byte(a), len(a) > m.max(), m, true); l != nil && !yield(*l) {
				return
			}
		}
	}
}
