package runio

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"golang.org/x/term"
)

// Progress is the progress bar: one line at the bottom of the terminal,
// redrawn on a clock (a few times a second, also while nothing finishes)
// with done/total, a rate over the last few seconds, the elapsed time and
// an ETA; or, when the total is unknown, done and running.
//
// Everything else written to the terminal while the bar is up must go
// through Suspend, which clears the bar's line, lets the caller write whole
// lines, and draws the bar again below them: so a record is never glued to
// the bar (what indicatif's suspend and mpb's output-above do). A nil
// *Progress does nothing and Suspend simply calls its function, so callers
// need not check.
type Progress struct {
	w     io.Writer
	fd    int // the terminal's, for its width; -1 when not a terminal
	what  string
	total int64 // -1: unknown
	start time.Time

	done, started atomic.Int64

	mu      sync.Mutex
	shown   bool // the bar's line is on screen
	samples [rateWindow]sample
	nsample int
	stop    chan struct{}
	stopped sync.WaitGroup
	closed  bool
}

type sample struct {
	at   time.Time
	done int64
}

const (
	redrawEvery = 200 * time.Millisecond
	rateWindow  = 25 // samples: the rate is over the last 5 s
)

// ShowProgress decides whether to draw a bar: forced on or off by the
// flags, else only when w is a terminal (never into a file or a pipe).
func ShowProgress(w io.Writer, on, off bool) bool {
	switch {
	case off:
		return false
	case on:
		return true
	}
	return IsTerminal(w)
}

// IsTerminal reports whether w is a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// NewProgress starts a bar on w labelled what ("checking"); total < 0
// means unknown. Finish stops it.
func NewProgress(w io.Writer, total int64, what string) *Progress {
	p := &Progress{w: w, fd: -1, what: what, total: total, start: time.Now(), stop: make(chan struct{})}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.fd = int(f.Fd())
	}
	p.stopped.Add(1)
	go p.tick()
	return p
}

func (p *Progress) tick() {
	defer p.stopped.Done()
	t := time.NewTicker(redrawEvery)
	defer t.Stop()
	p.mu.Lock()
	p.drawLocked(time.Now())
	p.mu.Unlock()
	for {
		select {
		case <-p.stop:
			return
		case now := <-t.C:
			p.mu.Lock()
			p.drawLocked(now)
			p.mu.Unlock()
		}
	}
}

// Start counts an input that began; Add counts n that finished.
func (p *Progress) Start() {
	if p != nil {
		p.started.Add(1)
	}
}

// Add counts n more inputs done.
func (p *Progress) Add(n int) {
	if p != nil {
		p.done.Add(int64(n))
	}
}

// Suspend runs write with the bar's line cleared, then draws the bar
// again: write's output stands whole on its own lines above the bar.
func (p *Progress) Suspend(write func()) {
	if p == nil {
		write()
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clearLocked()
	write()
	if !p.closed {
		p.drawLocked(time.Now())
	}
}

// Finish removes the bar, so the summary line stands alone.
func (p *Progress) Finish() {
	if p == nil {
		return
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	close(p.stop)
	p.mu.Unlock()
	p.stopped.Wait()
	p.mu.Lock()
	p.clearLocked()
	p.mu.Unlock()
}

func (p *Progress) clearLocked() {
	if p.shown {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.shown = false
	}
}

func (p *Progress) drawLocked(now time.Time) {
	if p.closed {
		return
	}
	line := p.line(now)
	width := 80
	if p.fd >= 0 {
		if w, _, err := term.GetSize(p.fd); err == nil && w > 0 {
			width = w
		}
	}
	// Three columns short of the width: a line that fills it wraps on
	// some terminals, and so does one the terminal's echo of a Ctrl-C
	// ("^C", two columns at the cursor) pushes over the edge; a wrapped
	// bar cannot be cleared with \r, and its first line would stay.
	line = cut(line, width-3)
	_, _ = io.WriteString(p.w, "\r\x1b[K"+line)
	p.shown = true
}

// line is the bar's text at now; it also records a rate sample.
func (p *Progress) line(now time.Time) string {
	done := p.done.Load()
	elapsed := now.Sub(p.start)
	p.samples[p.nsample%rateWindow] = sample{now, done}
	p.nsample++
	oldest := p.samples[0]
	if p.nsample > rateWindow {
		oldest = p.samples[p.nsample%rateWindow]
	}
	// The rate over the window, once it spans a second; before that
	// there is too little to say (one sample gives absurd rates).
	rate := -1.0
	if span := now.Sub(oldest.at); span >= time.Second {
		rate = float64(done-oldest.done) / span.Seconds()
	} else if elapsed >= time.Second {
		rate = float64(done) / elapsed.Seconds()
	}
	var b strings.Builder
	b.WriteString(p.what)
	if p.total >= 0 {
		frac := 1.0
		if p.total > 0 {
			frac = min(float64(done)/float64(p.total), 1)
		}
		const cells = 20
		full := int(frac * cells)
		fmt.Fprintf(&b, " %s%s %d/%d %3.0f%%", strings.Repeat("█", full), strings.Repeat("░", cells-full), done, p.total, frac*100)
	} else {
		fmt.Fprintf(&b, " %d done", done)
	}
	if running := p.started.Load() - done; running > 0 {
		fmt.Fprintf(&b, ", %d running", running)
	}
	if rate >= 0 {
		fmt.Fprintf(&b, " · %s/s", humanRate(rate))
	}
	fmt.Fprintf(&b, " · %s", clock(elapsed))
	if p.total >= 0 && rate > 0 && done < p.total {
		eta := time.Duration(float64(p.total-done) / rate * float64(time.Second))
		fmt.Fprintf(&b, " · ETA %s", clock(eta))
	}
	return b.String()
}

func humanRate(r float64) string {
	switch {
	case r >= 100:
		return fmt.Sprintf("%.0f", r)
	case r >= 10:
		return fmt.Sprintf("%.1f", r)
	}
	return fmt.Sprintf("%.2f", r)
}

// clock is d as m:ss, or h:mm:ss past an hour.
func clock(d time.Duration) string {
	s := int64(d.Round(time.Second) / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// cut shortens s to at most n runes.
func cut(s string, n int) string {
	if n < 1 {
		return ""
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i := 0
	for j := range s {
		if i == n {
			return s[:j]
		}
		i++
	}
	return s
}

// CountLines counts the inputs Read would yield in mode m from the file at
// path, to give the bar a total; -1 if it cannot tell.
func CountLines(path string, m Mode) int64 {
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
		text, tooLong, err := readLine(br, m.sep(), m.max())
		if len(text) > 0 || tooLong || (m.Raw && err == nil) {
			if l := classify(1, text, tooLong, m, false); l != nil {
				n++
			}
		}
		if err != nil {
			return n
		}
	}
}
