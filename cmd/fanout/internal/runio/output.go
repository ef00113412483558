package runio

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// Format is how records are written.
type Format int

const (
	Text Format = iota
	JSON        // one JSON object per line
	CSV         // a header line, then one row per record
)

// Scrub is s safe to print: what a hostile page, server or file name could
// use to drive the terminal, or to show text in another order than it is,
// is shown escaped as in a Go string: C0 and C1 controls and DEL (\x1b,
// \u009b), bytes that are not UTF-8 (\xff), and the bidi overrides and
// isolates U+202A-U+202E and U+2066-U+2069 (\u202e). Tab and newline are
// kept: they are a text's own layout (a diff's lines). Every text line and
// CSV cell a Writer writes goes through it; JSON escapes by itself.
func Scrub(s string) string {
	i := 0
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		if hostile(r, n) {
			break
		}
		i += n
	}
	if i == len(s) {
		return s
	}
	b := make([]byte, 0, len(s)+16)
	b = append(b, s[:i]...)
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case !hostile(r, n):
			b = append(b, s[i:i+n]...)
		case n == 1: // an ASCII control or a byte that is not UTF-8
			b = append(b, `\x`...)
			b = append(b, "0123456789abcdef"[s[i]>>4], "0123456789abcdef"[s[i]&15])
		default:
			b = append(b, `\u`...)
			q := strconv.FormatInt(int64(r), 16)
			b = append(b, "0000"[len(q):]...)
			b = append(b, q...)
		}
		i += n
	}
	return string(b)
}

// hostile reports whether Scrub escapes the rune r, n bytes long.
func hostile(r rune, n int) bool {
	switch {
	case r == utf8.RuneError:
		return n == 1
	case r == '\t' || r == '\n':
		return false
	case r < 0x20, r >= 0x7f && r <= 0x9f:
		return true
	}
	return r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069
}

// Record is what a command writes for one input. Its columns are declared
// once, as the struct's exported fields with json tags: JSON writes them
// as encoding/json does, CSV one column per field in the same order (see
// columnsOf); TextLine is the human form.
type Record interface {
	TextLine() string
}

// flushAfter bounds how long a written record may wait in the buffer when
// the output is not a terminal: a pipe reader sees results within it, and
// a run of thousands of records a second makes a few writes a second
// instead of one per record.
const flushAfter = 100 * time.Millisecond

// Writer writes records whole, one at a time, from any goroutine: a record
// is never interleaved with another, and the buffer is only ever written
// out at a record's end, so a killed run leaves no half line. To a
// terminal each record is written at once (through the progress bar's
// Suspend, so the two never share a line); elsewhere records are buffered
// for at most flushAfter.
type Writer struct {
	mu     sync.Mutex
	format Format
	w      io.Writer
	bar    *Progress
	now    bool // write each record at once (a terminal)
	buf    bytes.Buffer
	cw     *csv.Writer
	enc    *json.Encoder
	header bool
	timer  *time.Timer
	armed  bool // timer will flush
	err    error
}

// NewWriter writes records to w in format f. When bar is not nil (the bar
// is drawn on the same terminal as w), records are written above it.
func NewWriter(w io.Writer, f Format, bar *Progress) *Writer {
	out := &Writer{format: f, w: w, bar: bar, now: IsTerminal(w)}
	switch f {
	case JSON:
		out.enc = json.NewEncoder(&out.buf)
		out.enc.SetEscapeHTML(false)
	case CSV:
		out.cw = csv.NewWriter(&out.buf)
	}
	return out
}

// Write writes one record, whole.
func (o *Writer) Write(r Record) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	var err error
	switch o.format {
	case JSON:
		err = o.enc.Encode(r)
	case CSV:
		cols := columnsOf(r)
		if !o.header {
			o.header = true
			o.cw.Write(cols.header())
		}
		o.cw.Write(cols.row(r))
		o.cw.Flush()
		err = o.cw.Error()
	default:
		o.buf.WriteString(Scrub(r.TextLine()))
		o.buf.WriteByte('\n')
	}
	if err != nil {
		return err
	}
	return o.queueLocked()
}

// WriteText writes text (whole lines) as it is, in turn with the records:
// for commands that print more than one line per record.
func (o *Writer) WriteText(text string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.buf.WriteString(text)
	return o.queueLocked()
}

func (o *Writer) queueLocked() error {
	if o.now || o.buf.Len() >= 32<<10 {
		return o.flushLocked()
	}
	// Armed by the first record that waits, not pushed back by later
	// ones: a steady trickle must not wait forever.
	if o.buf.Len() > 0 && !o.armed {
		o.armed = true
		if o.timer == nil {
			o.timer = time.AfterFunc(flushAfter, o.timedFlush)
		} else {
			o.timer.Reset(flushAfter)
		}
	}
	return o.err
}

func (o *Writer) timedFlush() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.armed = false
	o.flushLocked()
}

// Flush writes what is buffered.
func (o *Writer) Flush() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.flushLocked()
}

func (o *Writer) flushLocked() error {
	if o.buf.Len() == 0 || o.err != nil {
		o.buf.Reset()
		return o.err
	}
	o.bar.Suspend(func() {
		_, o.err = o.w.Write(o.buf.Bytes())
	})
	o.buf.Reset()
	return o.err
}

// Close flushes and stops the flush timer.
func (o *Writer) Close() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.timer != nil {
		o.timer.Stop()
	}
	return o.flushLocked()
}
