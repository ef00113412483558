// Command chart reads raw `go test -bench` output and writes an SVG bar
// chart of ns/op per implementation, one group of bars per benchmark
// (by default BenchmarkTiny and BenchmarkOrderedMap). With -count > 1 each
// bar is the median of the runs. Only the standard library is used.
//
//	go run ./cmd/chart -in results/latest.txt -out ../docs/bench.svg
package main

import (
	"bufio"
	"flag"
	"fmt"
	"html"
	"io"
	"log"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// benchLine matches "BenchmarkTiny/fanout-2   123   456.7 ns/op ..." and
// captures the name without the GOMAXPROCS suffix, and the measurements.
var benchLine = regexp.MustCompile(`^(Benchmark[^\s]+?)(?:-\d+)?\s+\d+\s+(.*)$`)

type bar struct {
	impl   string
	median float64
	runs   int
}

type group struct {
	bench string
	bars  []bar
}

func main() {
	in := flag.String("in", "results/latest.txt", "raw go test -bench output")
	out := flag.String("out", "../docs/bench.svg", "SVG file to write")
	benches := flag.String("bench", "BenchmarkTiny,BenchmarkOrderedMap", "comma-separated benchmarks to chart, one group each")
	floor := flag.String("floor", "bare", "implementation the others are compared with")
	flag.Parse()

	f, err := os.Open(*in)
	if err != nil {
		log.Fatal(err)
	}
	samples, order, err := parse(f)
	f.Close()
	if err != nil {
		log.Fatal(err)
	}
	var groups []group
	for _, b := range strings.Split(*benches, ",") {
		g := group{bench: b}
		for _, name := range order {
			impl, ok := strings.CutPrefix(name, b+"/")
			if !ok {
				continue
			}
			v := samples[name]
			g.bars = append(g.bars, bar{impl: impl, median: median(v), runs: len(v)})
		}
		if len(g.bars) == 0 {
			log.Fatalf("no ns/op results for %s in %s", b, *in)
		}
		groups = append(groups, g)
	}
	var sb strings.Builder
	render(&sb, groups, *floor, *in)
	if err := os.WriteFile(*out, []byte(sb.String()), 0o644); err != nil {
		log.Fatal(err)
	}
	fmt.Fprintf(os.Stderr, "chart: wrote %s\n", *out)
}

// parse returns every ns/op value per benchmark name, and the names in the
// order they first appear.
func parse(r io.Reader) (map[string][]float64, []string, error) {
	samples := map[string][]float64{}
	var order []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		m := benchLine.FindStringSubmatch(strings.TrimSpace(sc.Text()))
		if m == nil {
			continue
		}
		fields := strings.Fields(m[2])
		for i := 0; i+1 < len(fields); i += 2 {
			if fields[i+1] != "ns/op" {
				continue
			}
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				return nil, nil, fmt.Errorf("%q: %v", sc.Text(), err)
			}
			if _, seen := samples[m[1]]; !seen {
				order = append(order, m[1])
			}
			samples[m[1]] = append(samples[m[1]], v)
		}
	}
	return samples, order, sc.Err()
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

const (
	width    = 760
	labelW   = 90
	valueW   = 190
	barH     = 22
	gap      = 6
	titleH   = 34
	groupGap = 18
	margin   = 16
)

func render(w *strings.Builder, groups []group, floor, source string) {
	height := margin + 28
	for _, g := range groups {
		height += titleH + len(g.bars)*(barH+gap) + groupGap
	}
	height += 10
	plotW := float64(width - 2*margin - labelW - valueW)

	fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="13">`+"\n", width, height, width, height)
	fmt.Fprintf(w, `<rect width="100%%" height="100%%" fill="#ffffff"/>`+"\n")
	fmt.Fprintf(w, `<text x="%d" y="%d" font-size="15" font-weight="bold">ns/op per task (median of runs; shorter is better)</text>`+"\n", margin, margin+14)
	y := margin + 28
	for _, g := range groups {
		maxV, floorV := 0.0, 0.0
		for _, b := range g.bars {
			maxV = max(maxV, b.median)
			if b.impl == floor {
				floorV = b.median
			}
		}
		fmt.Fprintf(w, `<text x="%d" y="%d" font-size="14" font-weight="bold">%s</text>`+"\n", margin, y+20, html.EscapeString(g.bench))
		y += titleH
		for _, b := range g.bars {
			fill := "#9aa5b1"
			switch b.impl {
			case "fanout":
				fill = "#2b6cb0"
			case floor:
				fill = "#38a169"
			}
			bw := plotW * b.median / maxV
			x0 := margin + labelW
			fmt.Fprintf(w, `<text x="%d" y="%d" text-anchor="end">%s</text>`+"\n", x0-8, y+barH-6, html.EscapeString(b.impl))
			fmt.Fprintf(w, `<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"><title>%s/%s: %.1f ns/op (median of %d)</title></rect>`+"\n",
				x0, y, bw, barH, fill, html.EscapeString(g.bench), html.EscapeString(b.impl), b.median, b.runs)
			label := fmt.Sprintf("%.1f ns", b.median)
			if floorV > 0 {
				label += fmt.Sprintf("  (%.2f× %s)", b.median/floorV, floor)
			}
			fmt.Fprintf(w, `<text x="%.1f" y="%d">%s</text>`+"\n", float64(x0)+bw+6, y+barH-6, html.EscapeString(label))
			y += barH + gap
		}
		y += groupGap
	}
	fmt.Fprintf(w, `<text x="%d" y="%d" font-size="11" fill="#555">source: %s</text>`+"\n", margin, height-8, html.EscapeString(source))
	fmt.Fprintln(w, `</svg>`)
}
