package ping

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

func collect(b Block) []string {
	var got []string
	for a := range b.All() {
		got = append(got, a.String())
	}
	return got
}

// fping -g's hosts, without sending anything: an IPv4 block without its
// network and broadcast addresses (fping #278: 37.59.174.239 is the
// broadcast address of .224/28, left out), all of a /31 and /32 (fping
// #102), all of an IPv6 block (fping #376), host bits ignored.
func TestParseBlock(t *testing.T) {
	for _, c := range []struct {
		in         string
		first, end string
		n          int64
	}{
		{"127.0.0.0/28", "127.0.0.1", "127.0.0.14", 14},
		{"127.0.0.5/28", "127.0.0.1", "127.0.0.14", 14},
		{"127.0.0.0/30", "127.0.0.1", "127.0.0.2", 2},
		{"127.0.0.0/31", "127.0.0.0", "127.0.0.1", 2},
		{"127.0.0.9/32", "127.0.0.9", "127.0.0.9", 1},
		{"127.0.0.0/8", "127.0.0.1", "127.255.255.254", 1<<24 - 2},
		{"::1/128", "::1", "::1", 1},
		{"fd00::/126", "fd00::", "fd00::3", 4},
		{"fd00::ff00/120", "fd00::ff00", "fd00::ffff", 256},
		{"fd00::/104", "fd00::", "fd00::ff:ffff", 1 << 24},
	} {
		b, ok, err := ParseBlock(c.in)
		if !ok || err != nil || b.First.String() != c.first || b.Last.String() != c.end || b.Len() != c.n {
			t.Errorf("%s: %v..%v (%d), %v, %v; want %s..%s (%d)", c.in, b.First, b.Last, b.Len(), ok, err, c.first, c.end, c.n)
		}
	}
	got := collect(mustBlock(t, "127.0.0.0/29"))
	if strings.Join(got, " ") != "127.0.0.1 127.0.0.2 127.0.0.3 127.0.0.4 127.0.0.5 127.0.0.6" {
		t.Errorf("/29: %v", got)
	}
	// Not blocks: names and single addresses go on as hosts.
	for _, s := range []string{"localhost", "127.0.0.1", "::1", "a/b", "example.com/x"} {
		if _, ok, err := ParseBlock(s); ok || err != nil {
			t.Errorf("%s: ok %v, err %v; want not a block", s, ok, err)
		}
	}
	// Too large, or malformed: a clear error.
	for _, s := range []string{"10.0.0.0/7", "0.0.0.0/0", "::/0", "fd00::/64", "fd00::/103", "127.0.0.0/33", "::1/129"} {
		if _, ok, err := ParseBlock(s); !ok || err == nil {
			t.Errorf("%s: ok %v, err %v; want an error", s, ok, err)
		}
	}
	if _, _, err := ParseBlock("10.0.0.0/7"); !strings.Contains(err.Error(), fmt.Sprint(MaxBlock)) {
		t.Errorf("the error does not name the cap: %v", err)
	}
}

func mustBlock(t *testing.T, s string) Block {
	t.Helper()
	b, ok, err := ParseBlock(s)
	if !ok || err != nil {
		t.Fatalf("%s: %v %v", s, ok, err)
	}
	return b
}

// fping -g START END: every address from START to END, both included
// (fping #278); the same cap as for blocks (fping #299: ranges were capped
// and blocks were not).
func TestRange(t *testing.T) {
	b, err := Range("127.0.0.250", "127.0.1.2")
	if err != nil || strings.Join(collect(b), " ") != "127.0.0.250 127.0.0.251 127.0.0.252 127.0.0.253 127.0.0.254 127.0.0.255 127.0.1.0 127.0.1.1 127.0.1.2" {
		t.Fatalf("%v, %v", collect(b), err)
	}
	if b, err := Range("::1", "::1"); err != nil || b.Len() != 1 {
		t.Errorf("::1..::1: %v %v", b, err)
	}
	if b, err := Range("fd00::fffe", "fd00::1:1"); err != nil || !slices.Equal(collect(b), []string{"fd00::fffe", "fd00::ffff", "fd00::1:0", "fd00::1:1"}) {
		t.Errorf("v6 carry: %v %v", collect(b), err)
	}
	if b, err := Range("127.0.0.0", "127.255.255.255"); err != nil || b.Len() != MaxBlock {
		t.Errorf("a whole /8 as a range: %d %v", b.Len(), err)
	}
	for _, c := range [][2]string{
		{"127.0.0.2", "127.0.0.1"}, {"127.0.0.1", "::1"}, {"127.0.0.0", "128.0.0.0"}, {"::", "ffff::"},
		{"host", "127.0.0.1"}, {"127.0.0.1", ""},
	} {
		if _, err := Range(c[0], c[1]); err == nil {
			t.Errorf("-g %s %s: no error", c[0], c[1])
		}
	}
}

func TestSpan(t *testing.T) {
	a := netip.MustParseAddr
	for _, c := range []struct {
		f, l string
		n    uint64
		ok   bool
	}{
		{"::", "::", 1, true},
		{"::", "::ffff:ffff:ffff:fffe", 1<<64 - 1, true},
		{"::", "::ffff:ffff:ffff:ffff", 0, false},
		{"::ffff", "::1:0", 2, true},
		{"::", "1::", 0, false},
	} {
		if n, ok := span(a(c.f), a(c.l)); n != c.n || ok != c.ok {
			t.Errorf("span(%s, %s) = %d, %v; want %d, %v", c.f, c.l, n, ok, c.n, c.ok)
		}
	}
}

// ParseBlock never panics, and what it accepts is a sane block: first no
// later than last, within MaxBlock, of one family, iterated to its length.
func FuzzParseBlock(f *testing.F) {
	for _, s := range []string{"127.0.0.0/28", "::1/128", "1.2.3.4/0", "fd00::/104", "a/b", "1.2.3.4/33", "::ffff:1.2.3.4/120", "fe80::1%eth0/64"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, ok, err := ParseBlock(s)
		if !ok || err != nil {
			return
		}
		if b.Last.Less(b.First) || b.Len() < 1 || b.Len() > MaxBlock || b.First.Is4() != b.Last.Is4() {
			t.Fatalf("%q: %v..%v (%d)", s, b.First, b.Last, b.Len())
		}
		if b.Len() <= 1024 {
			n := int64(0)
			for range b.All() {
				n++
			}
			if n != b.Len() {
				t.Fatalf("%q: %d addresses yielded, Len %d", s, n, b.Len())
			}
		}
	})
}
