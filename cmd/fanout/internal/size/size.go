// Package size reads byte counts as people write them: 512, 10KB, 1.5MiB.
// Every flag and every demo-site parameter that takes a size reads it here,
// so they all agree.
package size

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

var units = []struct {
	suffix string
	mult   int64
}{
	// Longest suffixes first, so "KiB" is not read as "B".
	{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"tib", 1 << 40},
	{"kb", 1e3}, {"mb", 1e6}, {"gb", 1e9}, {"tb", 1e12},
	{"k", 1e3}, {"m", 1e6}, {"g", 1e9}, {"t", 1e12},
	{"b", 1},
}

// Parse reads a decimal number with an optional case-insensitive unit, where
// K, KB, M, MB, G, GB, T and TB are powers of 1000 and KiB, MiB, GiB and TiB
// powers of 1024: "512", "100KB", "2MB", "1.5GiB".
func Parse(v string) (int64, error) {
	s := strings.ToLower(strings.TrimSpace(v))
	mult := int64(1)
	for _, u := range units {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = strings.TrimSpace(num), u.mult
			break
		}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n < 0 || n > math.MaxInt64/mult {
			return 0, fmt.Errorf("size %q out of range", v)
		}
		return n * mult, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("bad size %q: want a number with an optional unit (512, 10KB, 1.5MiB)", v)
	}
	f *= float64(mult)
	if f < 0 || f >= math.MaxInt64 {
		return 0, fmt.Errorf("size %q out of range", v)
	}
	return int64(f), nil
}

// Limit is Parse for flags where "" or "0" means no limit (0).
func Limit(v string) (int64, error) {
	if strings.TrimSpace(v) == "" {
		return 0, nil
	}
	return Parse(v)
}
