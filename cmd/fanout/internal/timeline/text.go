package timeline

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

const (
	maxLabelRunes   = 100 // a tooltip's input, cut in the middle beyond it
	maxOutcomeRunes = 40
	maxTitleRunes   = 80
)

// clean makes untrusted text safe and short to draw: invalid UTF-8 and
// control characters become U+FFFD (XML cannot carry most of them at all:
// inferno#313, flamegraph-rs#166), tabs and line breaks become spaces, bidi
// controls become U+FFFD so a label cannot reorder the tooltip around it,
// and text longer than max runes is cut, in the middle when middle is set
// (the end of a URL or a path names the page or file). It cuts before
// escaping, so an escape is never cut in two (FlameGraphs-Instruments#2).
// The result still has to be escaped.
func clean(s string, limit int, middle bool) string {
	var b strings.Builder
	n := utf8.RuneCountInString(s)
	keepHead, skipTo := n, n // runes [keepHead, skipTo) are dropped for "…"
	if n > limit {
		if middle {
			keepHead = (limit - 1) / 2
			skipTo = n - (limit - 1 - keepHead)
		} else {
			keepHead = limit - 1
		}
	}
	i := 0
	for _, r := range s {
		switch {
		case i == keepHead:
			b.WriteRune('…')
		case i > keepHead && i < skipTo:
		default:
			b.WriteRune(safeRune(r))
		}
		i++
	}
	return b.String()
}

func safeRune(r rune) rune {
	switch {
	case r == '\t' || r == '\n' || r == '\r':
		return ' '
	case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
		return utf8.RuneError
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e || r == 0x200f:
		return utf8.RuneError
	case r == 0xfffe || r == 0xffff:
		return utf8.RuneError
	}
	return r
}

// fmtDur writes a task's duration with three significant digits.
func fmtDur(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return strconv.FormatInt(d.Microseconds(), 10) + " µs"
	case d < time.Second:
		return strconv.FormatFloat(float64(d)/1e6, 'g', 3, 64) + " ms"
	case d < 10*time.Second:
		return fmt.Sprintf("%.2f s", d.Seconds())
	case d < 100*time.Second:
		return fmt.Sprintf("%.1f s", d.Seconds())
	}
	return fmt.Sprintf("%.0f s", d.Seconds())
}

// fmtCount writes n with thousands separators: 12,345.
func fmtCount(n int) string {
	s := strconv.Itoa(n)
	if n < 0 {
		return s
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// ticks returns the axis' tick step for a span of total seconds: 1, 2 or
// 5 times a power of ten, about 8 ticks across, and how many decimals its
// labels need.
func ticks(total float64) (step float64, decimals int) {
	raw := total / 8
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step = 10 * mag
	for _, m := range []float64{1, 2, 5} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	decimals = max(0, -int(math.Floor(math.Log10(step)+1e-9)))
	return step, decimals
}

// textWidth estimates the width of text at the given font size: the
// drawing has no font metrics, and a wide sans (DejaVu) is the worst case.
func textWidth(s string, size float64) float64 {
	return float64(utf8.RuneCountInString(s)) * size * 0.6
}
