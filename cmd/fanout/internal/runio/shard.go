package runio

import (
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
)

// Shard is one part of N of the inputs, for splitting a run across
// machines with nothing shared but the input list: shard K of N takes the
// lines whose text hashes to K-1 modulo N, so N runs over the same list,
// one per K, together take every line exactly once, whatever order each
// reads it in. The zero Shard takes every line.
//
// The hash is FNV-1a (64 bits) of the line's text as Lines yields it
// (white space around it dropped). It is part of the command's contract:
// machines running different fanout versions must still agree, so it
// never changes.
type Shard struct{ K, N int }

// ParseShard parses "K/N" with 1 <= K <= N.
func ParseShard(s string) (Shard, error) {
	ks, ns, ok := strings.Cut(s, "/")
	k, errK := strconv.Atoi(strings.TrimSpace(ks))
	n, errN := strconv.Atoi(strings.TrimSpace(ns))
	switch {
	case !ok || errK != nil || errN != nil:
		return Shard{}, fmt.Errorf("shard %q: want K/N, such as 1/4", s)
	case n < 1:
		return Shard{}, fmt.Errorf("shard %q: N must be at least 1", s)
	case k < 1 || k > n:
		// Kubernetes' JOB_COMPLETION_INDEX counts from 0; say how to map it.
		return Shard{}, fmt.Errorf("shard %q: K must be from 1 to %d (from a 0-based index I, give $((I+1))/%d)", s, n, n)
	}
	return Shard{K: k, N: n}, nil
}

// Has reports whether the line with this text belongs to the shard.
func (s Shard) Has(text string) bool {
	if s.N <= 1 {
		return true
	}
	return ShardOf(text, s.N) == s.K
}

// ShardOf returns the shard, 1 to n, that the line with this text falls in.
func ShardOf(text string, n int) int {
	h := fnv.New64a()
	h.Write([]byte(text))
	return int(h.Sum64()%uint64(n)) + 1
}
