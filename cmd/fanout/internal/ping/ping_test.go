package ping

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/fanout-dev/fanout/cmd/fanout/internal/proctest"
	"go.uber.org/goleak"
	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
)

// Every test here must leave no goroutine behind: the shared socket's
// reader ends with Close, a pro-bing Pinger's with its run.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeListen opens nothing: it answers each network with the given error,
// and records what was asked.
type fakeListen struct {
	errs  map[string]error
	asked []string
}

func (f *fakeListen) listen(network, _ string) (net.PacketConn, error) {
	f.asked = append(f.asked, network)
	if err := f.errs[network]; err != nil {
		return nil, &net.OpError{Op: "socket", Net: network, Err: os.NewSyscallError("socket", err)}
	}
	return fakeConn{}, nil
}

type fakeConn struct{ net.PacketConn }

func (fakeConn) Close() error { return nil }

// Unprivileged ping sockets come first, and when they work raw sockets are
// not even tried (no CAP_NET_RAW needed, kernel-assigned IDs).
func TestDetectPrefersUnprivileged(t *testing.T) {
	f := &fakeListen{}
	mode, err := DetectWith(false, f.listen)
	if err != nil || mode != Unprivileged {
		t.Fatalf("got %v, %v; want Unprivileged", mode, err)
	}
	if strings.Join(f.asked, ",") != "udp4" {
		t.Fatalf("opened %v, want only udp4", f.asked)
	}
}

// pro-bing #83: on Debian, even root gets "socket: permission denied" from
// an unprivileged Pinger, because ping_group_range is "1 0". Root may open
// raw sockets, so that is what Detect must fall back to.
func TestDetectFallsBackToRaw(t *testing.T) {
	f := &fakeListen{errs: map[string]error{"udp6": syscall.EACCES}}
	mode, err := DetectWith(true, f.listen)
	if err != nil || mode != Raw {
		t.Fatalf("got %v, %v; want Raw", mode, err)
	}
	if strings.Join(f.asked, ",") != "udp6,ip6:ipv6-icmp" {
		t.Fatalf("opened %v, want udp6 then ip6:ipv6-icmp", f.asked)
	}
}

// Neither allowed: one error that names the sysctl, the command that sets
// it, and setcap, and still carries the system's reasons.
func TestDetectNeitherSaysHowToFix(t *testing.T) {
	f := &fakeListen{errs: map[string]error{"udp4": syscall.EACCES, "ip4:icmp": syscall.EPERM}}
	_, err := DetectWith(false, f.listen)
	if !errors.Is(err, ErrNoPermission) || !errors.Is(err, syscall.EPERM) || !errors.Is(err, syscall.EACCES) {
		t.Fatalf("error %v: want ErrNoPermission wrapping EACCES and EPERM", err)
	}
	for _, want := range []string{"net.ipv4.ping_group_range", `sudo sysctl -w net.ipv4.ping_group_range="0 2147483647"`, "setcap cap_net_raw+ep"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message lacks %q:\n%v", want, err)
		}
	}
}

// A failure that is not about permission (no IPv6 in the kernel) must not
// send the user to sysctl.
func TestDetectOtherFailure(t *testing.T) {
	f := &fakeListen{errs: map[string]error{"udp6": syscall.EAFNOSUPPORT, "ip6:ipv6-icmp": syscall.EAFNOSUPPORT}}
	_, err := DetectWith(true, f.listen)
	if err == nil || errors.Is(err, ErrNoPermission) || strings.Contains(err.Error(), "sysctl") {
		t.Fatalf("error %v: want a plain socket error", err)
	}
}

// noDNS is a resolver that never reaches a server: names not in /etc/hosts
// fail at once, and no packet leaves the machine.
func noDNS() *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(context.Context, string, string) (net.Conn, error) {
		return nil, errors.New("no DNS in tests")
	}}
}

// fping #357: a name that does not resolve still gets its own result, and
// it says unresolved (fping #92: that is exit status 2, not 1).
func TestUnresolvable(t *testing.T) {
	p := New(Options{Count: 1, Interval: time.Second, Deadline: 5 * time.Second, Mode: Unprivileged, Resolver: noDNS()})
	defer p.Close()
	r := p.Ping(context.Background(), "no-such-host.test")
	if !r.Unresolved || r.Err == nil || r.Sent != 0 || r.Alive() || r.Addr.IsValid() {
		t.Fatalf("got %+v; want unresolved, nothing sent", r)
	}
}

// Resolution counts against the host's deadline: a resolver that never
// answers cannot hold the host past -w.
func TestResolutionInsideDeadline(t *testing.T) {
	hang := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}}
	p := New(Options{Count: 1, Interval: time.Second, Deadline: 200 * time.Millisecond, Mode: Unprivileged, Resolver: hang})
	defer p.Close()
	r := p.Ping(context.Background(), "slow-name.test")
	if !r.Unresolved || r.Sent != 0 {
		t.Fatalf("got %+v; want unresolved within the deadline", r)
	}
}

// IP literals are never looked up, and -4/-6 are honoured for them.
func TestLiteralsAndFamilies(t *testing.T) {
	for _, c := range []struct {
		network, host string
		want          netip.Addr
	}{
		{"ip", "127.0.0.1", netip.MustParseAddr("127.0.0.1")},
		{"ip", "[::1]", netip.MustParseAddr("::1")},
		{"ip", "::ffff:127.0.0.1", netip.MustParseAddr("127.0.0.1")},
		{"ip4", "::1", netip.Addr{}},
		{"ip6", "127.0.0.1", netip.Addr{}},
	} {
		p := New(Options{Network: c.network, Resolver: noDNS()})
		got, err := p.resolve(context.Background(), c.host)
		if got != c.want || (err == nil) != c.want.IsValid() {
			t.Errorf("%s %s: %v, %v; want %v", c.network, c.host, got, err, c.want)
		}
	}
}

func TestLoss(t *testing.T) {
	for _, c := range []struct {
		r    Result
		want float64
	}{{Result{Sent: 3, Received: 3}, 0}, {Result{Sent: 4, Received: 1}, 75}, {Result{}, 100}} {
		if got := c.r.Loss(); got != c.want {
			t.Errorf("%+v: loss %v, want %v", c.r, got, c.want)
		}
	}
}

// needICMP skips when this process may not open ICMP sockets (fails under
// FANOUT_CI=1: CI runs as root and must run these); FANOUT_NO_ICMP=1
// skips anyway.
func needICMP(t *testing.T) Mode {
	t.Helper()
	if os.Getenv("FANOUT_NO_ICMP") == "1" {
		t.Skip("FANOUT_NO_ICMP=1: not opening ICMP sockets")
	}
	mode, err := Detect(false)
	if err != nil {
		proctest.Unmet(t, "this test pings 127.0.0.1 and needs an ICMP socket (root, CAP_NET_RAW or ping_group_range): "+err.Error())
	}
	return mode
}

// needRaw is needICMP for tests that forge packets on a raw socket.
func needRaw(t *testing.T) {
	t.Helper()
	needICMP(t)
	if _, err := DetectWith(false, func(network, address string) (net.PacketConn, error) {
		if network == "udp4" {
			return nil, syscall.EACCES // skip the unprivileged try
		}
		return icmp.ListenPacket(network, address)
	}); err != nil {
		proctest.Unmet(t, "this test forges replies on a raw ICMP socket and needs root or CAP_NET_RAW: "+err.Error())
	}
}

func TestPingLoopback(t *testing.T) {
	mode := needICMP(t)
	p := New(Options{Count: 2, Interval: 20 * time.Millisecond, Deadline: 10 * time.Second, Mode: mode})
	defer p.Close()
	for _, host := range []string{"127.0.0.1", "::1"} {
		r := p.Ping(context.Background(), host)
		if !r.Alive() || r.Sent != 2 || r.Received != 2 || r.Err != nil || r.Addr.String() != host {
			t.Errorf("%s (%v): %+v", host, mode, r)
		}
		if r.MinRTT <= 0 || r.MinRTT > r.AvgRTT || r.AvgRTT > r.MaxRTT {
			t.Errorf("%s: rtt min/avg/max %v/%v/%v", host, r.MinRTT, r.AvgRTT, r.MaxRTT)
		}
	}
}

// pro-bing #104: under high concurrency pro-bing reports loss although
// tcpdump shows the replies. Its cause here: each Pinger's raw socket gets
// every ICMP packet until its filter is attached, and the full queue drops
// its own reply (1 host in 1,000 failed in about one run in five). Every
// one of 1,000 loopback addresses pinged at once must answer.
func TestThousandAtOnceAllAnswer(t *testing.T) {
	mode := needICMP(t)
	p := New(Options{Count: 1, Interval: time.Second, Deadline: 10 * time.Second, Mode: mode})
	defer p.Close()
	for round := range 5 {
		var wg sync.WaitGroup
		results := make([]Result, 1000)
		sem := make(chan struct{}, 256)
		for i := range results {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				results[i] = p.Ping(context.Background(), fmt.Sprintf("127.0.%d.%d", i/250, i%250+1))
			}()
		}
		wg.Wait()
		for _, r := range results {
			if !r.Alive() || r.Received != 1 || r.Sent != 1 {
				t.Fatalf("round %d, %v: %s did not answer: %+v", round, mode, r.Host, r)
			}
		}
	}
}

// forge sends an echo reply to 127.0.0.1 from a raw socket of its own, as
// if some host had answered request seq of run s.
func forge(t *testing.T, s *shared, seq int, token []byte) {
	t.Helper()
	c, err := icmp.ListenPacket("ip4:icmp", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	data := append(append([]byte{}, token...), make([]byte, 8)...)
	b, err := (&icmp.Message{Type: ipv4.ICMPTypeEchoReply, Body: &icmp.Echo{ID: s.id, Seq: seq, Data: data}}).Marshal(nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.WriteTo(b, &net.IPAddr{IP: net.IPv4(127, 0, 0, 1)}); err != nil {
		t.Fatal(err)
	}
}

// fping #206 (and telegraf #8980 for pro-bing's random IDs): a reply that
// carries our ID and a sequence number in flight, but comes from another
// address, or belongs to another run, must not make a host look alive.
// Replies are demultiplexed by sequence number, then checked against the
// address asked and the run's token.
func TestStrayRepliesIgnored(t *testing.T) {
	needRaw(t)
	s := newShared(4242)
	defer s.close()
	if _, err := s.conn(false); err != nil {
		t.Fatal(err)
	}
	mine := &flight{addr: netip.MustParseAddr("127.0.0.1"), replies: make(chan reply, 4)}
	other := &flight{addr: netip.MustParseAddr("127.0.0.2"), replies: make(chan reply, 4)}
	seqMine, _ := s.register(mine)
	seqOther, _ := s.register(other)
	defer s.forget(mine)
	defer s.forget(other)

	forge(t, s, int(seqOther), s.token[:])        // from 127.0.0.1, for 127.0.0.2's request
	forge(t, s, int(seqMine), []byte("not-ours")) // another run's token
	forge(t, s, int(seqMine), s.token[:])         // the real thing, sent last
	if r := <-mine.replies; r.seq != seqMine {    // waits for the reader
		t.Fatalf("reply for seq %d, want %d", r.seq, seqMine)
	}
	select {
	case r := <-other.replies:
		t.Fatalf("127.0.0.2 was handed a reply from 127.0.0.1: %+v", r)
	case r := <-mine.replies:
		t.Fatalf("a reply with another run's token was accepted: %+v", r)
	default:
	}
}

// go-ping #178 (negative loss) and fping #53/#151: a duplicated reply must
// not count as a second reply, nor stop the count early, nor push loss
// below 0.
func TestDuplicateReplies(t *testing.T) {
	needRaw(t)
	var p *Pinger
	replies := 0
	// At the first reply, before the second request (a second later), the
	// first one is answered again. (The raw path calls onReply in Ping's
	// goroutine, the test's.)
	p = New(Options{Count: 2, Interval: time.Second, Deadline: 10 * time.Second, Mode: Raw, onReply: func() {
		if replies++; replies == 1 {
			forge(t, p.shared, 100, p.shared.token[:])
		}
	}})
	defer p.Close()
	p.shared.nextSeq = 100 // the first request's sequence number
	r := p.Ping(context.Background(), "127.0.0.1")
	if r.Sent != 2 || r.Received != 2 || r.Duplicates != 1 || r.Loss() != 0 {
		t.Fatalf("got sent %d received %d duplicates %d loss %v; want 2, 2, 1, 0", r.Sent, r.Received, r.Duplicates, r.Loss())
	}
}

// inNetns runs the calling test again in a network namespace of its own,
// made by the shell commands setup, and fails with its output if it fails.
// It returns true in the child, where the test body runs.
func inNetns(t *testing.T, setup string) bool {
	t.Helper()
	if os.Getenv("FANOUT_PING_CHILD") == t.Name() {
		return true
	}
	if os.Getenv("FANOUT_NO_NETNS") == "1" {
		t.Skip("FANOUT_NO_NETNS=1: not making a network namespace")
	}
	proctest.Needs(t, "root", "unshare", "ip", "sysctl")
	cmd := exec.Command("unshare", "-n", "sh", "-ec", "ip link set lo up; "+setup+`; exec "$0" -test.run "^$1\$" -test.v -test.count=1`,
		os.Args[0], t.Name())
	cmd.Env = append(os.Environ(), "FANOUT_PING_CHILD="+t.Name())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("in a network namespace (needs root; FANOUT_NO_NETNS=1 to skip): %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "--- PASS: "+t.Name()) {
		t.Fatalf("the test did not run in the namespace:\n%s", out)
	}
	return false
}

// go-ping #48 and #209: a host that never answers made Run block (for 27
// hours by default); go-ping #6: -c counts requests sent, not replies
// awaited. In a namespace where nothing answers echo requests, each mode
// sends exactly COUNT requests, reports the host failed, and returns.
func TestSilentHostEndsAtDeadline(t *testing.T) {
	if !inNetns(t, `sysctl -qw net.ipv4.icmp_echo_ignore_all=1 net.ipv4.ping_group_range="0 2147483647"`) {
		return
	}
	for _, mode := range []Mode{Raw, Unprivileged} {
		p := New(Options{Count: 3, Interval: 50 * time.Millisecond, Deadline: 600 * time.Millisecond, Mode: mode})
		r := p.Ping(context.Background(), "127.0.0.1")
		p.Close()
		if r.Alive() || r.Sent != 3 || r.Received != 0 || r.Loss() != 100 || r.Err != nil {
			t.Errorf("%v: got %+v; want 3 sent, none received, no error", mode, r)
		}
	}
}

// The unprivileged path, pro-bing with ping sockets: chosen first when
// ping_group_range allows it, and it works for both families.
// (go-ping #180: with ping sockets the kernel picks the echo ID, so replies
// must not be matched on the ID the library chose.)
func TestUnprivilegedPath(t *testing.T) {
	if !inNetns(t, `sysctl -qw net.ipv4.ping_group_range="0 2147483647"`) {
		return
	}
	mode, err := Detect(false)
	if err != nil || mode != Unprivileged {
		t.Fatalf("Detect: %v, %v; want Unprivileged", mode, err)
	}
	p := New(Options{Count: 2, Interval: 20 * time.Millisecond, Deadline: 10 * time.Second, Mode: mode})
	defer p.Close()
	for _, host := range []string{"127.0.0.1", "::1"} {
		if r := p.Ping(context.Background(), host); !r.Alive() || r.Received != 2 || r.Err != nil {
			t.Errorf("%s: %+v", host, r)
		}
	}
}

// An interrupt ends a host's pings at once and says so.
func TestInterrupted(t *testing.T) {
	if !inNetns(t, `sysctl -qw net.ipv4.icmp_echo_ignore_all=1`) {
		return
	}
	p := New(Options{Count: 3, Interval: time.Second, Deadline: time.Hour, Mode: Raw})
	defer p.Close()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	r := p.Ping(ctx, "127.0.0.1")
	if !errors.Is(r.Err, context.Canceled) || r.Alive() {
		t.Fatalf("got %+v; want an interrupted, failed host", r)
	}
}

// Issue 11: ping -c 20 + Ctrl-C printed "0 pinged", the replies received
// so far lost; fping prints each host's statistics so far. An interrupted
// Ping returns the requests sent and the replies counted until then, with
// Err saying it was interrupted, in both socket modes.
func TestInterruptKeepsRepliesSoFar(t *testing.T) {
	if !inNetns(t, `sysctl -qw net.ipv4.ping_group_range="0 2147483647"`) {
		return
	}
	const cancelAt = 3 // the reply after which the run is interrupted
	for _, mode := range []Mode{Raw, Unprivileged} {
		// Set before each Ping, read by onReply within it (in pro-bing's
		// receiving goroutine, in Unprivileged mode).
		var replies atomic.Int32
		var cancel context.CancelFunc
		p := New(Options{Count: 20, Interval: 20 * time.Millisecond, Deadline: time.Hour, Mode: mode, onReply: func() {
			if replies.Add(1) == cancelAt {
				cancel()
			}
		}})
		for _, host := range []string{"127.0.0.1", "::1"} {
			var ctx context.Context
			ctx, cancel = context.WithCancel(context.Background())
			replies.Store(0)
			r := p.Ping(ctx, host)
			cancel()
			if !errors.Is(r.Err, context.Canceled) || r.Err.Error() != "interrupted" || !r.Alive() ||
				r.Sent >= 20 || r.Received < cancelAt || r.Received > r.Sent || r.MinRTT <= 0 {
				t.Errorf("%v %s: %+v; want the replies so far, interrupted", mode, host, r)
			}
		}
		p.Close()
	}
}

// fping's default mode (its -r retries): a host is done at its first
// reply, so an answering host costs one request, not Count. Both modes.
func TestUntilReplyStopsAtFirstReply(t *testing.T) {
	if !inNetns(t, `sysctl -qw net.ipv4.ping_group_range="0 2147483647"`) {
		return
	}
	for _, mode := range []Mode{Raw, Unprivileged} {
		p := New(Options{Count: 4, Interval: 300 * time.Millisecond, Deadline: 10 * time.Second, Mode: mode, UntilReply: true})
		for _, host := range []string{"127.0.0.1", "::1"} {
			if r := p.Ping(context.Background(), host); r.Sent != 1 || r.Received != 1 || r.Err != nil {
				t.Errorf("%v %s: sent %d, received %d, err %v; want 1, 1, none", mode, host, r.Sent, r.Received, r.Err)
			}
		}
		p.Close()
	}
}
