package cli

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"sync"
)

// Format is how records are written.
type Format int

const (
	Text Format = iota
	JSON        // one JSON object per line
	CSV         // a header line, then one row per record
)

// Record is what a command writes for one input: in JSON it is encoded as
// is (its json tags name the fields); TextLine and CSV give the other forms.
type Record interface {
	TextLine() string
	CSVHeader() []string
	CSVRow() []string
}

// Writer writes records whole, one at a time, from any goroutine: a record
// is never interleaved with another, and each is flushed when written so a
// killed run leaves no half line.
type Writer struct {
	mu     sync.Mutex
	format Format
	w      *bufio.Writer
	cw     *csv.Writer
	enc    *json.Encoder
	header bool
}

// NewWriter writes records to w in format f.
func NewWriter(w io.Writer, f Format) *Writer {
	bw := bufio.NewWriterSize(w, 64<<10)
	out := &Writer{format: f, w: bw}
	switch f {
	case JSON:
		out.enc = json.NewEncoder(bw)
		out.enc.SetEscapeHTML(false)
	case CSV:
		out.cw = csv.NewWriter(bw)
	}
	return out
}

// Write writes one record, whole, and flushes it.
func (o *Writer) Write(r Record) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	var err error
	switch o.format {
	case JSON:
		err = o.enc.Encode(r)
	case CSV:
		if !o.header {
			o.header = true
			if err = o.cw.Write(r.CSVHeader()); err != nil {
				return err
			}
		}
		if err = o.cw.Write(r.CSVRow()); err == nil {
			o.cw.Flush()
			err = o.cw.Error()
		}
	default:
		_, err = fmt.Fprintln(o.w, r.TextLine())
	}
	if err == nil {
		// Results are shown as they finish, even through a pipe.
		err = o.w.Flush()
	}
	return err
}

// Flush writes what is buffered.
func (o *Writer) Flush() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.w.Flush()
}
