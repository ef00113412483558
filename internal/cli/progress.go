package cli

import (
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// Progress is the progress bar on stderr: done/total when the total is
// known, else a running count, with the rate and, with a total, the ETA.
// A nil *Progress does nothing, so callers need not check.
type Progress struct{ bar *progressbar.ProgressBar }

// ShowProgress decides whether to draw a bar: forced on or off by the
// flags, else only when w is a terminal (never into a file or a pipe).
func ShowProgress(w io.Writer, on, off bool) bool {
	switch {
	case off:
		return false
	case on:
		return true
	}
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// NewProgress draws on w; total < 0 means unknown.
func NewProgress(w io.Writer, total int64, what string) *Progress {
	bar := progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(what),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("inputs"),
		progressbar.OptionSetPredictTime(total >= 0),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSpinnerType(14),
	)
	return &Progress{bar: bar}
}

// Add counts n more inputs done.
func (p *Progress) Add(n int) {
	if p != nil {
		p.bar.Add(n)
	}
}

// Finish removes the bar, so the summary line stands alone.
func (p *Progress) Finish() {
	if p != nil {
		p.bar.Finish()
		p.bar.Clear()
	}
}

// CountLines counts the inputs Lines would yield from the file at path, to
// give the bar a total; -1 if it cannot tell.
func CountLines(path string) int64 {
	f, err := os.Open(path)
	if err != nil {
		return -1
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		return -1
	}
	var n int64
	br := newLineReader(f)
	for {
		text, tooLong, err := readLine(br)
		if len(text) > 0 || tooLong {
			if l := classify(1, text, tooLong, false); l != nil {
				n++
			}
		}
		if err != nil {
			return n
		}
	}
}
