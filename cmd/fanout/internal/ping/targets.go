package ping

import (
	"encoding/binary"
	"fmt"
	"iter"
	"net/netip"
	"strings"
)

// MaxBlock is the most addresses one CIDR block or range expands to: an
// IPv4 /8 (less its network and broadcast addresses) or an IPv6 /104. A
// /8 streams, one address at a time; anything larger is refused rather
// than pinged for hours (fping #299 capped ranges but not CIDR blocks,
// and pinged all 131,070 hosts of a /15 in 22 minutes).
const MaxBlock = 1 << 24

// Block is a run of consecutive addresses, both ends included: the hosts
// of a CIDR block, or a range.
type Block struct {
	First, Last netip.Addr
}

// Len is how many addresses b holds.
func (b Block) Len() int64 {
	n, _ := span(b.First, b.Last)
	return int64(n)
}

// All yields b's addresses in order, one at a time: a /8 is never held in
// memory.
func (b Block) All() iter.Seq[netip.Addr] {
	return func(yield func(netip.Addr) bool) {
		for a := b.First; a.IsValid(); a = a.Next() {
			if !yield(a) || a == b.Last {
				return
			}
		}
	}
}

// ParseBlock reads s as a CIDR block ("127.0.0.0/28", "::1/128"). ok is
// false when s is not one (a host name or a single address). The block is
// its host addresses as fping -g gives them: an IPv4 block without its
// network and broadcast addresses, except a /31 or /32, which have none
// (fping #102, #278); an IPv6 block whole (fping #376 keeps the
// subnet-router anycast address). Host bits set in s are ignored
// (127.0.0.5/28 is 127.0.0.0/28). More than MaxBlock addresses is an error.
func ParseBlock(s string) (b Block, ok bool, err error) {
	addr, _, found := strings.Cut(s, "/")
	if !found {
		return Block{}, false, nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		if _, aerr := netip.ParseAddr(addr); aerr != nil {
			return Block{}, false, nil // not an address: a name, however odd
		}
		return Block{}, true, fmt.Errorf("%s is not a CIDR block: %w", s, err)
	}
	p = p.Masked()
	hostBits := p.Addr().BitLen() - p.Bits()
	if hostBits > 24 {
		return Block{}, true, fmt.Errorf("%s has 2^%d addresses; fanout ping expands at most %d (an IPv4 /8, an IPv6 /104)", s, hostBits, MaxBlock)
	}
	b = Block{First: p.Addr(), Last: lastOf(p)}
	if p.Addr().Is4() && hostBits >= 2 {
		b.First, b.Last = b.First.Next(), b.Last.Prev()
	}
	return b, true, nil
}

// lastOf is the last address of p (its broadcast address for IPv4).
func lastOf(p netip.Prefix) netip.Addr {
	a := p.Addr().As16()
	for i := 128 - p.Addr().BitLen() + p.Bits(); i < 128; i++ {
		a[i/8] |= 0x80 >> (i % 8)
	}
	if p.Addr().Is4() {
		return netip.AddrFrom16(a).Unmap()
	}
	return netip.AddrFrom16(a)
}

// Range is the block from start to end, both included, as fping -g START
// END gives it (no address left out).
func Range(start, end string) (Block, error) {
	var ends [2]netip.Addr
	for i, s := range []string{start, end} {
		a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]"))
		if err != nil {
			return Block{}, fmt.Errorf("-g %s %s: %q is not an IP address", start, end, s)
		}
		ends[i] = a.Unmap()
	}
	first, last := ends[0], ends[1]
	switch {
	case first.Is4() != last.Is4():
		return Block{}, fmt.Errorf("-g %s %s: not the same address family", start, end)
	case first.Zone() != last.Zone():
		return Block{}, fmt.Errorf("-g %s %s: not the same zone", start, end)
	case last.Less(first):
		return Block{}, fmt.Errorf("-g %s %s: the end comes before the start", start, end)
	}
	if n, ok := span(first, last); !ok || n > MaxBlock {
		return Block{}, fmt.Errorf("-g %s %s: more than %d addresses", start, end, MaxBlock)
	}
	return Block{First: first, Last: last}, nil
}

// span is how many addresses there are from first to last, both included;
// ok is false past 2^64-1.
func span(first, last netip.Addr) (uint64, bool) {
	if !first.IsValid() || last.Less(first) {
		return 0, true
	}
	f, l := first.As16(), last.As16()
	fhi, flo := binary.BigEndian.Uint64(f[:8]), binary.BigEndian.Uint64(f[8:])
	lhi, llo := binary.BigEndian.Uint64(l[:8]), binary.BigEndian.Uint64(l[8:])
	hi := lhi - fhi
	lo := llo - flo
	if llo < flo {
		hi--
	}
	if hi != 0 || lo == ^uint64(0) {
		return 0, false
	}
	return lo + 1, true
}
