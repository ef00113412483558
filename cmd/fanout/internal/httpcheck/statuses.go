package httpcheck

import (
	"fmt"
	"strconv"
	"strings"
)

// Statuses is a set of HTTP statuses, as --accept, --match-code and
// --filter-code take them. The zero value is empty.
type Statuses struct{ ranges [][2]int }

// ParseStatuses parses a comma-separated list of statuses and ranges in
// lychee's --accept syntax: 200, 200..300 (300 excluded), 200..=299
// (included), 500.. and ..=399 (open ends, from 100 to 999); and 2xx for
// a whole class. Spaces around items are ignored.
func ParseStatuses(s string) (Statuses, error) {
	var set Statuses
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		lo, hi, err := parseStatusRange(item)
		if err != nil {
			return Statuses{}, fmt.Errorf("%q: %v", item, err)
		}
		set.ranges = append(set.ranges, [2]int{lo, hi})
	}
	return set, nil
}

func parseStatusRange(item string) (lo, hi int, err error) {
	const minStatus, maxStatus = 100, 999
	status := func(s string) (int, error) {
		n, err := strconv.Atoi(s)
		if err != nil || n < minStatus || n > maxStatus || s[0] == '+' || s[0] == '-' {
			return 0, fmt.Errorf("want a status from %d to %d", minStatus, maxStatus)
		}
		return n, nil
	}
	if len(item) == 3 && item[0] >= '1' && item[0] <= '9' && strings.EqualFold(item[1:], "xx") {
		c := int(item[0]-'0') * 100
		return c, c + 99, nil
	}
	from, to, isRange := strings.Cut(item, "..")
	if !isRange {
		n, err := status(item)
		return n, n, err
	}
	lo, hi = minStatus, maxStatus
	if from != "" {
		if lo, err = status(from); err != nil {
			return 0, 0, err
		}
	}
	if to != "" {
		inclusive := strings.HasPrefix(to, "=")
		if hi, err = status(strings.TrimPrefix(to, "=")); err != nil {
			return 0, 0, err
		}
		if !inclusive {
			hi--
		}
	} else if from == "" && item != ".." {
		return 0, 0, fmt.Errorf("want a status or a range such as 200..=299")
	}
	if lo > hi {
		return 0, 0, fmt.Errorf("empty range")
	}
	return lo, hi, nil
}

// Has reports whether status is in the set.
func (s Statuses) Has(status int) bool {
	for _, r := range s.ranges {
		if r[0] <= status && status <= r[1] {
			return true
		}
	}
	return false
}

// Empty reports whether the set has no status (no flag was given).
func (s Statuses) Empty() bool { return len(s.ranges) == 0 }
