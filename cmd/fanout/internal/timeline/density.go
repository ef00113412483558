package timeline

import "time"

const (
	// densityRows is how many strips a run over its span limit is drawn
	// with: lanes beyond it are grouped, several to a strip.
	densityRows = 64
	// densityBuckets is how many time buckets a strip holds: about 4 px
	// each across the plot when all are used, at least half are.
	densityBuckets = 256
)

// density is how busy each group of lanes was, per time bucket and outcome:
// what a run keeps once it has too many tasks to keep one by one. Its size
// is fixed (at most densityRows x densityBuckets x maxOutcomes float64s,
// 1 MiB) whatever the number of tasks and the length of the run: the
// length is not known ahead, so the bucket width starts small and doubles,
// merging pairs of buckets, whenever a task ends past the last bucket.
type density struct {
	lanes int           // lanes 1..lanes are drawn on rows 0..rows-1
	rows  int           // min(lanes, densityRows)
	width time.Duration // one bucket
	used  int           // buckets up to the latest end
	// busy[o][row*densityBuckets+b] is the time, in nanoseconds, the
	// lanes of row spent on tasks of outcome o during bucket b; nil until
	// outcome o shows up.
	busy [maxOutcomes][]float64
}

func newDensity(lanes int, last time.Duration) *density {
	d := &density{lanes: lanes, rows: min(lanes, densityRows), width: time.Microsecond}
	for last >= d.width*densityBuckets {
		d.width *= 2
	}
	return d
}

// row returns the strip of a lane; lanes past the bound go to the last.
func (d *density) row(lane int) int {
	return min((lane-1)*d.rows/d.lanes, d.rows-1)
}

// lanesIn returns how many of the lanes 1..d.lanes row r holds.
func (d *density) lanesIn(r int) int {
	// Lanes l with floor((l-1)*rows/lanes) == r: from ceil(r*lanes/rows)+1
	// to ceil((r+1)*lanes/rows).
	lo := (r*d.lanes + d.rows - 1) / d.rows
	hi := ((r+1)*d.lanes + d.rows - 1) / d.rows
	return max(hi-lo, 1)
}

// add spreads a task's busy time over the buckets it overlaps.
func (d *density) add(sp span) {
	if sp.end <= sp.start {
		return // an instant: no busy time to draw
	}
	for sp.end > d.width*densityBuckets {
		d.grow()
	}
	cells := d.busy[sp.outcome]
	if cells == nil {
		cells = make([]float64, d.rows*densityBuckets)
		d.busy[sp.outcome] = cells
	}
	cells = cells[d.row(int(sp.lane))*densityBuckets:][:densityBuckets]
	first, last := int(sp.start/d.width), int((sp.end-1)/d.width)
	for b := first; b <= last; b++ {
		lo := max(sp.start, time.Duration(b)*d.width)
		hi := min(sp.end, time.Duration(b+1)*d.width)
		cells[b] += float64(hi - lo)
	}
	d.used = max(d.used, last+1)
}

// grow doubles the bucket width, merging pairs of buckets.
func (d *density) grow() {
	d.width *= 2
	d.used = (d.used + 1) / 2
	for _, cells := range d.busy {
		if cells == nil {
			continue
		}
		for r := range d.rows {
			row := cells[r*densityBuckets:][:densityBuckets]
			for b := range densityBuckets / 2 {
				row[b] = row[2*b] + row[2*b+1]
			}
			clear(row[densityBuckets/2:])
		}
	}
}

func (d *density) clone() *density {
	c := *d
	for o, cells := range d.busy {
		if cells != nil {
			c.busy[o] = append([]float64(nil), cells...)
		}
	}
	return &c
}
