package demosite

import (
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/fanout-dev/fanout/cmd/fanout/internal/size"
)

// intParam parses query parameter name as an integer in [lo, hi], def if
// absent.
func intParam(q url.Values, name string, def, lo, hi int) (int, error) {
	v := q.Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("want an integer from %d to %d, got %q", lo, hi, v)
	}
	return n, nil
}

// durationParam parses query parameter name with parseDuration, def if
// absent.
func durationParam(q url.Values, name string, def time.Duration) (time.Duration, error) {
	v := q.Get(name)
	if v == "" {
		return def, nil
	}
	return parseDuration(v)
}

// parseDuration is time.ParseDuration without negative durations.
func parseDuration(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, err
	}
	if d < 0 {
		return 0, fmt.Errorf("negative duration %q", v)
	}
	return d, nil
}

// sizeParam parses query parameter name with ParseSize, def if absent.
func sizeParam(q url.Values, name string, def int64) (int64, error) {
	v := q.Get(name)
	if v == "" {
		return def, nil
	}
	return size.Parse(v)
}
