package runio

import (
	"fmt"
	"strings"
	"testing"
)

func TestParseShard(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Shard
		err  string
	}{
		{"1/1", Shard{1, 1}, ""},
		{"3/8", Shard{3, 8}, ""},
		{" 2 / 3 ", Shard{2, 3}, ""},
		{"0/8", Shard{}, "$((I+1))/8"}, // a 0-based index given as is
		{"9/8", Shard{}, "from 1 to 8"},
		{"1/0", Shard{}, "at least 1"},
		{"1", Shard{}, "want K/N"},
		{"a/b", Shard{}, "want K/N"},
		{"", Shard{}, "want K/N"},
	} {
		got, err := ParseShard(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("ParseShard(%q) = %v, %v; want an error containing %q", c.in, got, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("ParseShard(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
}

// The hash is a contract between machines that may run different fanout
// versions: these values must never change.
func TestShardOfIsStable(t *testing.T) {
	for _, c := range []struct {
		text string
		n    int
		want int
	}{
		{"https://example.com/", 8, 5},
		{"", 3, 3},  // the FNV-1a offset basis 0xcbf29ce484222325 % 3 == 2
		{"a", 7, 6}, // 0xaf63dc4c8601ec8c % 7 == 5
	} {
		if got := ShardOf(c.text, c.n); got != c.want {
			t.Errorf("ShardOf(%q, %d) = %d, want %d", c.text, c.n, got, c.want)
		}
	}
}

func TestShardsPartitionTheInput(t *testing.T) {
	for _, n := range []int{1, 2, 3, 8, 13} {
		seen := map[string]int{}
		counts := make([]int, n+1)
		for k := 1; k <= n; k++ {
			s := Shard{k, n}
			for i := range 10000 {
				text := fmt.Sprintf("http://127.0.0.1/wiki/%d", i)
				if s.Has(text) {
					seen[text]++
					counts[k]++
				}
			}
		}
		if len(seen) != 10000 {
			t.Fatalf("N=%d: %d lines taken, want 10000", n, len(seen))
		}
		for text, c := range seen {
			if c != 1 {
				t.Fatalf("N=%d: %q taken %d times", n, text, c)
			}
		}
		// Each shard gets its share, give or take: a hash that put
		// everything in one shard would still partition.
		for k := 1; k <= n; k++ {
			if share := 10000 / n; counts[k] < share*3/4 || counts[k] > share*5/4 {
				t.Errorf("N=%d: shard %d took %d lines, want about %d", n, k, counts[k], share)
			}
		}
	}
}
