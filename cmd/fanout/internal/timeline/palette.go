package timeline

import "strings"

// The Okabe-Ito palette, readable with the common colour-vision
// deficiencies, darkened a little where a colour is pale on white.
const (
	green     = "#009E73" // success
	vermilion = "#D55E00" // the input's own failure: does not exist, exit 1
	purple    = "#CC79A7" // error: no answer at all
	orange    = "#E69F00" // timeout
	sky       = "#56B4E9"
	blue      = "#0072B2"
	yellow    = "#D4C21A"
	grey      = "#8C8C8C" // "other"
)

// fallback is the order the remaining colours go to other words.
var fallback = []string{sky, blue, orange, purple, yellow, vermilion, green, grey}

// family returns the colour an outcome word should have, by what the
// commands call their outcomes, or "" when the word says nothing.
func family(word string) string {
	w := strings.ToLower(strings.TrimSpace(word))
	switch w {
	case "exists", "ok", "succeeded", "success", "saved", "2xx", "exit 0", "changed", "unchanged", "passed", "done":
		return green
	case "does not exist", "missing", "failed", "failure", "4xx", "5xx", "not found":
		return vermilion
	case "error", "errors", "body error", "unresolvable":
		return purple
	case "timeout", "timed out", "canceled", "cancelled", "killed", CutShort:
		return orange
	case otherOutcome:
		return grey
	}
	if strings.HasPrefix(w, "exit ") || strings.HasPrefix(w, "signal ") {
		return vermilion
	}
	if strings.Contains(w, "timeout") || strings.Contains(w, "timed out") {
		return orange
	}
	if strings.Contains(w, "error") {
		return purple
	}
	return ""
}

// palette gives each outcome word of the runs one colour, the same in
// every panel: a word's family colour when it is still free, else the next
// free colour, and grey for the words past the palette.
type palette struct {
	words []string
	color map[string]string
}

func newPalette(runs []Run) *palette {
	p := &palette{color: map[string]string{}}
	used := map[string]bool{}
	var pending []string
	for _, r := range runs {
		for _, w := range r.outcomes {
			if _, ok := p.color[w]; ok || contains(pending, w) {
				continue
			}
			if c := family(w); c != "" && !used[c] {
				p.color[w], used[c] = c, true
				p.words = append(p.words, w)
				continue
			}
			pending = append(pending, w)
		}
	}
	for _, w := range pending {
		c := grey
		for _, f := range fallback {
			if !used[f] {
				c = f
				break
			}
		}
		p.color[w], used[c] = c, true
		p.words = append(p.words, w)
	}
	return p
}

func contains(s []string, w string) bool {
	for _, x := range s {
		if x == w {
			return true
		}
	}
	return false
}

// class returns the CSS class of a word's colour: "c0".."c7".
func (p *palette) class(word string) string {
	c := p.color[word]
	for i, f := range classColors {
		if f == c {
			return classNames[i]
		}
	}
	return "c7"
}

var (
	classColors = []string{green, vermilion, purple, orange, sky, blue, yellow, grey}
	classNames  = []string{"c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7"}
	// paletteCSS gives each class its colour: ".c0{fill:#009E73}...".
	paletteCSS = func() string {
		var b strings.Builder
		for i, c := range classColors {
			b.WriteString("." + classNames[i] + "{fill:" + c + "}")
		}
		return b.String() + "\n"
	}()
)
