package runio

import (
	"slices"
	"testing"
)

// Under sums the outcomes that share a prefix and lists each, sorted, for
// the summaries' "3 skipped (1 binary, 2 too large)".
func TestTallyUnder(t *testing.T) {
	tally := NewTally("changed")
	for _, o := range []string{"changed", "skipped: too large", "skipped: binary", "skipped: too large", "skip"} {
		tally.Add(o)
	}
	total, parts := tally.Under("skipped: ")
	if total != 3 || !slices.Equal(parts, []string{"1 binary", "2 too large"}) {
		t.Errorf("Under = %d, %q; want 3, [1 binary 2 too large]", total, parts)
	}
	if total, parts := tally.Under("none: "); total != 0 || parts != nil {
		t.Errorf("Under of no outcome = %d, %q", total, parts)
	}
}
