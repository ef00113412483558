package ping

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"syscall"
	"time"

	"golang.org/x/net/bpf"
	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// shared sends every host's requests through one raw ICMP socket per
// address family and hands each reply to the host waiting for its sequence
// number, as fping does.
//
// Why not a pro-bing Pinger (a raw socket) per host: every raw ICMP socket
// receives every ICMP packet until its ID filter is attached, so with
// hundreds opening at once a new socket's receive queue fills with other
// hosts' traffic and its own reply is dropped (measured: 1 host in 1,000
// reported failed in about one run in five; pro-bing #104). One socket with
// its filter attached before anything is sent has no such window, and
// costs one socket instead of one per host.
type shared struct {
	id    int     // the echo ID of every request of this run
	token [8]byte // leads every payload: replies to other runs are ignored

	mu      sync.Mutex
	conns   [2]*net.IPConn // IPv4, IPv6; opened on first use
	waiting map[uint16]*flight
	nextSeq uint16
	closed  bool
	readers sync.WaitGroup
}

// flight is one host's pings in progress.
type flight struct {
	addr    netip.Addr
	replies chan reply
	seqs    []uint16
}

type reply struct {
	seq uint16
	at  time.Time
}

func newShared(id int) *shared {
	s := &shared{id: id & 0xffff, waiting: map[uint16]*flight{}}
	rand.Read(s.token[:])
	return s
}

// rcvBuf is the shared socket's receive buffer: room for every reply of a
// burst of hosts while the reader is descheduled.
const rcvBuf = 4 << 20

// conn returns the socket for the family, opening it (and starting its
// reader) on first use.
func (s *shared) conn(v6 bool) (*net.IPConn, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errors.New("pinger closed")
	}
	i := 0
	if v6 {
		i = 1
	}
	if s.conns[i] != nil {
		return s.conns[i], nil
	}
	network, addr := "ip4:icmp", "0.0.0.0"
	if v6 {
		network, addr = "ip6:ipv6-icmp", "::"
	}
	pc, err := net.ListenPacket(network, addr)
	if err != nil {
		return nil, fmt.Errorf("opening a raw ICMP socket: %w", err)
	}
	c := pc.(*net.IPConn)
	setReadBuffer(c, rcvBuf)
	// Only our echo replies reach the queue: not our own requests (seen on
	// loopback), nor other processes' ICMP.
	if err := s.filter(c, v6); err != nil {
		c.Close()
		return nil, fmt.Errorf("filtering the raw ICMP socket: %w", err)
	}
	s.conns[i] = c
	s.readers.Add(1)
	go s.read(c, v6)
	return c, nil
}

// setReadBuffer asks for n bytes, beyond net.core.rmem_max when allowed
// (SO_RCVBUFFORCE needs CAP_NET_ADMIN); else as much as rmem_max allows.
func setReadBuffer(c *net.IPConn, n int) {
	if rc, err := c.SyscallConn(); err == nil {
		var serr error
		rc.Control(func(fd uintptr) { serr = setRcvBufForce(fd, n) })
		if serr == nil {
			return
		}
	}
	c.SetReadBuffer(n)
}

func (s *shared) filter(c *net.IPConn, v6 bool) error {
	if v6 {
		// ICMPv6 raw sockets get the ICMP message without the IP header.
		prog, err := bpf.Assemble([]bpf.Instruction{
			bpf.LoadAbsolute{Off: 0, Size: 1},
			bpf.JumpIf{Cond: bpf.JumpEqual, Val: uint32(ipv6.ICMPTypeEchoReply), SkipFalse: 3},
			bpf.LoadAbsolute{Off: 4, Size: 2},
			bpf.JumpIf{Cond: bpf.JumpEqual, Val: uint32(s.id), SkipFalse: 1},
			bpf.RetConstant{Val: 0xffff},
			bpf.RetConstant{Val: 0},
		})
		if err != nil {
			return err
		}
		return ipv6.NewPacketConn(c).SetBPF(prog)
	}
	// IPv4 raw sockets get the IP header first: skip its length.
	prog, err := bpf.Assemble([]bpf.Instruction{
		bpf.LoadMemShift{Off: 0},
		bpf.LoadIndirect{Off: 0, Size: 1},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: uint32(ipv4.ICMPTypeEchoReply), SkipFalse: 3},
		bpf.LoadIndirect{Off: 4, Size: 2},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: uint32(s.id), SkipFalse: 1},
		bpf.RetConstant{Val: 0xffff},
		bpf.RetConstant{Val: 0},
	})
	if err != nil {
		return err
	}
	return ipv4.NewPacketConn(c).SetBPF(prog)
}

// read hands each echo reply on c to the flight waiting for it, until c is
// closed.
func (s *shared) read(c *net.IPConn, v6 bool) {
	defer s.readers.Done()
	proto := 1 // ICMP
	if v6 {
		proto = 58 // ICMPv6
	}
	buf := make([]byte, 1500)
	for {
		n, from, err := c.ReadFrom(buf) // Go strips the IPv4 header
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return // closed
		}
		at := time.Now()
		m, err := icmp.ParseMessage(proto, buf[:n])
		if err != nil || (m.Type != ipv4.ICMPTypeEchoReply && m.Type != ipv6.ICMPTypeEchoReply) {
			continue
		}
		echo, ok := m.Body.(*icmp.Echo)
		if !ok || echo.ID != s.id || !bytes.HasPrefix(echo.Data, s.token[:]) {
			continue // another process's, or an earlier run's
		}
		src, ok := netip.AddrFromSlice(from.(*net.IPAddr).IP)
		if !ok {
			continue
		}
		seq := uint16(echo.Seq)
		s.mu.Lock()
		f := s.waiting[seq]
		s.mu.Unlock()
		// The source must be the host asked: a stray reply carrying our
		// ID and sequence must not make another host look alive (fping #206).
		if f == nil || src.Unmap() != f.addr.WithZone("") {
			continue
		}
		select {
		case f.replies <- reply{seq: seq, at: at}:
		default: // a flood of duplicates: the flight has all it needs
		}
	}
}

// register gives f a sequence number no flight in progress is using.
func (s *shared) register(f *flight) (uint16, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range 1 << 16 {
		seq := s.nextSeq
		s.nextSeq++
		if _, busy := s.waiting[seq]; !busy {
			s.waiting[seq] = f
			f.seqs = append(f.seqs, seq)
			return seq, nil
		}
	}
	return 0, errors.New("65,536 echo requests already in flight")
}

func (s *shared) forget(f *flight) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, seq := range f.seqs {
		if s.waiting[seq] == f {
			delete(s.waiting, seq)
		}
	}
}

// ping sends count requests to res.Addr, interval apart, and counts the
// replies until each request is answered or ctx ends.
func (s *shared) ping(ctx context.Context, o Options, res *Result) error {
	addr := res.Addr
	c, err := s.conn(addr.Is6())
	if err != nil {
		return err
	}
	f := &flight{addr: addr, replies: make(chan reply, o.Count+8)}
	defer s.forget(f)
	dst := &net.IPAddr{IP: addr.AsSlice(), Zone: addr.Zone()}
	typ := icmp.Type(ipv4.ICMPTypeEcho)
	if addr.Is6() {
		typ = ipv6.ICMPTypeEchoRequest
	}
	sentAt := make(map[uint16]time.Time, o.Count)
	answered := make(map[uint16]bool, o.Count)
	send := func() error {
		seq, err := s.register(f)
		if err != nil {
			return err
		}
		data := make([]byte, 16)
		copy(data, s.token[:])
		now := time.Now()
		binary.BigEndian.PutUint64(data[8:], uint64(now.UnixNano()))
		b, err := (&icmp.Message{Type: typ, Body: &icmp.Echo{ID: s.id, Seq: int(seq), Data: data}}).Marshal(nil)
		if err != nil {
			return err
		}
		// The kernel fills in the ICMPv6 checksum; Marshal leaves it 0.
		for {
			_, err := c.WriteTo(b, dst)
			if err == nil {
				break
			}
			// A full device queue is a reason to wait, not a dead host.
			if !errors.Is(err, syscall.ENOBUFS) || ctx.Err() != nil {
				return fmt.Errorf("sending to %s: %w", addr, err)
			}
			time.Sleep(time.Millisecond)
		}
		sentAt[seq] = now
		res.Sent++
		return nil
	}
	if err := send(); err != nil {
		return err
	}
	tick := time.NewTicker(o.Interval)
	defer tick.Stop()
	var sum time.Duration
	for res.Received < o.Count && !(o.UntilReply && res.Received > 0) {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			if res.Sent < o.Count {
				if err := send(); err != nil {
					return err
				}
			}
		case r := <-f.replies:
			t0, ok := sentAt[r.seq]
			if !ok {
				continue
			}
			if answered[r.seq] {
				res.Duplicates++
				continue
			}
			answered[r.seq] = true
			rtt := r.at.Sub(t0)
			if res.Received == 0 || rtt < res.MinRTT {
				res.MinRTT = rtt
			}
			res.MaxRTT = max(res.MaxRTT, rtt)
			res.Received++
			sum += rtt
			res.AvgRTT = sum / time.Duration(res.Received)
			if o.onReply != nil {
				o.onReply()
			}
		}
	}
	return nil
}

// close closes the sockets and waits for their readers.
func (s *shared) close() {
	s.mu.Lock()
	s.closed = true
	for _, c := range s.conns {
		if c != nil {
			c.Close()
		}
	}
	s.mu.Unlock()
	s.readers.Wait()
}
