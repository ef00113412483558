package links_test

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/fanout-dev/fanout/cmd/fanout/internal/links"
)

// Example sketches what the links command does with the package: walk ->
// extract -> dedup -> check -> report. Every distinct target is checked
// once, however many documents use it; each use of a broken target is
// reported where it was found. Here only local targets are checked; the
// command hands HTTP targets to the shared checker.
func Example() {
	root := filepath.Join("testdata", "tree")
	docs := []string{ // the command walks these, as replace does
		filepath.Join(root, "docs", "broken.md"),
		filepath.Join(root, "site", "index.html"),
	}
	type use struct {
		doc       string
		line, col int
		raw, frag string
	}
	var (
		order   []string             // distinct targets, in order of first use
		uses    = map[string][]use{} // the places of each target
		kinds   = map[string]links.Kind{}
		skipped = map[string]int{} // by scheme
		found   int
	)
	for _, doc := range docs {
		f, err := os.Open(doc)
		if err != nil {
			panic(err)
		}
		opts := links.Options{Format: links.FormatOf(doc), RootDir: root}
		for l, err := range links.Extract(f, links.Source{Path: doc}, opts) {
			if err != nil {
				panic(err) // the command: one error record for this document
			}
			found++
			switch l.Kind {
			case links.Skipped:
				skipped[l.Scheme]++
				continue
			case links.Invalid:
				fmt.Printf("%s:%d: %s - %v\n", doc, l.Line, l.Raw, l.Err)
				continue
			}
			if _, seen := uses[l.Target]; !seen {
				order = append(order, l.Target)
				kinds[l.Target] = l.Kind
			}
			uses[l.Target] = append(uses[l.Target], use{doc, l.Line, l.Col, l.Raw, l.Fragment})
		}
		f.Close()
	}
	httpTargets := 0
	for _, target := range order {
		if kinds[target] == links.HTTP {
			httpTargets++ // the command: httpcheck, once per target
			continue
		}
		anchorDoc, err := links.Exists(target, nil)
		var anchors *links.Anchors // read once per target, only if a fragment asks
		for _, u := range uses[target] {
			switch {
			case err != nil:
				fmt.Printf("%s:%d: %s - does not exist\n", u.doc, u.line, u.raw)
			case u.frag != "":
				if anchors == nil {
					a := links.Anchors{} // a directory: no anchors
					if anchorDoc != "" {
						f, _ := os.Open(anchorDoc)
						a, _ = links.ReadAnchors(f, links.FormatOf(anchorDoc))
						f.Close()
					}
					anchors = &a
				}
				if !anchors.Has(u.frag) {
					fmt.Printf("%s:%d: %s - no anchor #%s\n", u.doc, u.line, u.raw, u.frag)
				}
			}
		}
	}
	schemes := make([]string, 0, len(skipped))
	for s := range skipped {
		schemes = append(schemes, s)
	}
	sort.Strings(schemes)
	fmt.Printf("found %d, distinct %d (%d http), skipped %v\n", found, len(order), httpTargets, schemes)
	// Output:
	// testdata/tree/docs/broken.md:3: missing.md - does not exist
	// testdata/tree/docs/broken.md:4: ./missing.md#x - does not exist
	// testdata/tree/docs/broken.md:3: a.md#nope - no anchor #nope
	// found 8, distinct 6 (1 http), skipped []
}
