// Package ping sends ICMP echo requests to one host and reports what came
// back, the way `ping -c COUNT -w DEADLINE host` does, for `fanout ping`.
//
// Which kind of socket to use is decided once per run by Detect:
// unprivileged ICMP ("ping") sockets first, raw sockets when those are
// disabled and the process may open raw ones, else one error that says how
// to fix it. With ping sockets each host gets a pro-bing Pinger and a
// socket of its own (the kernel demultiplexes the replies); with raw
// sockets every host shares one socket per address family, demultiplexed
// here by sequence number and source (see shared). Each host runs under a
// budget that starts before name resolution, so a slow resolver counts
// against its deadline.
package ping

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"strings"
	"syscall"
	"time"

	probing "github.com/prometheus-community/pro-bing"
	"golang.org/x/net/icmp"
)

// Mode is the kind of ICMP socket a run uses.
type Mode int

const (
	// Unprivileged is a SOCK_DGRAM ICMP socket: Linux's ping socket, open to
	// the groups in net.ipv4.ping_group_range. The kernel picks the echo ID
	// and hands each socket only its own replies.
	Unprivileged Mode = iota + 1
	// Raw is a SOCK_RAW ICMP socket: root or CAP_NET_RAW. Every raw socket
	// sees every ICMP packet; replies are told apart by ID and payload.
	Raw
)

func (m Mode) String() string {
	switch m {
	case Unprivileged:
		return "unprivileged ICMP sockets"
	case Raw:
		return "one shared raw ICMP socket"
	}
	return "no ICMP socket"
}

// ErrNoPermission means neither kind of ICMP socket may be opened.
var ErrNoPermission = errors.New("not allowed to open an ICMP socket")

// ListenFunc opens a socket as icmp.ListenPacket does; tests replace it.
type ListenFunc func(network, address string) (net.PacketConn, error)

// Detect decides which socket kind this process can use, trying it once:
// unprivileged first, then raw. v6 tests the IPv6 sockets instead.
func Detect(v6 bool) (Mode, error) {
	return DetectWith(v6, func(network, address string) (net.PacketConn, error) {
		return icmp.ListenPacket(network, address)
	})
}

// DetectWith is Detect with the socket opener given.
func DetectWith(v6 bool, listen ListenFunc) (Mode, error) {
	dgram, raw, addr := "udp4", "ip4:icmp", "0.0.0.0"
	if v6 {
		dgram, raw, addr = "udp6", "ip6:ipv6-icmp", "::"
	}
	c, errDgram := listen(dgram, addr)
	if errDgram == nil {
		c.Close()
		return Unprivileged, nil
	}
	c, errRaw := listen(raw, addr)
	if errRaw == nil {
		c.Close()
		return Raw, nil
	}
	if isPermission(errDgram) || isPermission(errRaw) {
		return 0, fmt.Errorf("%w: unprivileged ICMP sockets are not allowed for group %d "+
			"(net.ipv4.ping_group_range is %q) and raw sockets need root or CAP_NET_RAW.\n"+
			"Allow ping sockets for every group:  sudo sysctl -w net.ipv4.ping_group_range=\"0 2147483647\"\n"+
			"  (add net.ipv4.ping_group_range = 0 2147483647 to /etc/sysctl.d/ to keep it)\n"+
			"or let this binary open raw sockets:  sudo setcap cap_net_raw+ep %s\n"+
			"(unprivileged: %w; raw: %w)",
			ErrNoPermission, os.Getgid(), pingGroupRange(), executable(), errDgram, errRaw)
	}
	return 0, fmt.Errorf("cannot open an ICMP socket: unprivileged: %w; raw: %w", errDgram, errRaw)
}

func isPermission(err error) bool {
	return errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EPERM) || errors.Is(err, os.ErrPermission)
}

func pingGroupRange() string {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ping_group_range")
	if err != nil {
		return "unknown"
	}
	return strings.Join(strings.Fields(string(b)), " ")
}

func executable() string {
	if p, err := os.Executable(); err == nil {
		return p
	}
	return "$(command -v fanout)"
}

// Options says how to ping each host.
type Options struct {
	Count    int           // echo requests per host (ping -c)
	Interval time.Duration // between one host's requests (ping -i)
	Deadline time.Duration // the host's whole budget, resolution included (ping -w)
	// UntilReply ends a host at its first reply, as fping's default mode
	// does (its requests are retries); otherwise it ends once every one
	// of Count requests is answered, or at Deadline.
	UntilReply bool
	Mode       Mode          // from Detect
	Network    string        // "ip" (either family), "ip4" or "ip6"
	Resolver   *net.Resolver // nil: net.DefaultResolver

	// onReply, when set (by tests only), is called at each distinct reply:
	// an event for a test to act on, where a delay would be a guess.
	onReply func()
}

// Result is what one host did.
type Result struct {
	Host       string
	Addr       netip.Addr // the address pinged; invalid when unresolved
	Sent       int
	Received   int // distinct replies; duplicates are not counted
	Duplicates int
	MinRTT     time.Duration
	AvgRTT     time.Duration
	MaxRTT     time.Duration
	Elapsed    time.Duration
	// Unresolved is set when no address was found (Err says why).
	Unresolved bool
	// Err is why the host could not be pinged (unresolved, a send error,
	// the run interrupted); nil when the pings went out, answered or not.
	Err error
}

// Alive reports whether any reply came back: ping's exit status 0 with -c/-w.
func (r Result) Alive() bool { return r.Received > 0 }

// Loss is the percentage of requests sent that got no reply (100 when none
// was sent).
func (r Result) Loss() float64 {
	if r.Sent == 0 {
		return 100
	}
	return float64(r.Sent-r.Received) / float64(r.Sent) * 100
}

// Pinger pings hosts with the same options, from many goroutines at once.
// With Raw, all hosts share one socket per address family; with
// Unprivileged, each host has a pro-bing Pinger and its own socket, and the
// kernel gives each socket its own echo ID and only its own replies.
type Pinger struct {
	opts   Options
	shared *shared // Raw only
}

// New returns a Pinger; Close releases it. Count, Interval and Deadline
// must be positive.
func New(o Options) *Pinger {
	if o.Resolver == nil {
		o.Resolver = net.DefaultResolver
	}
	if o.Network == "" {
		o.Network = "ip"
	}
	p := &Pinger{opts: o}
	if o.Mode == Raw {
		// One echo ID for the run, as fping's: hosts are told apart by
		// sequence number, so there are no per-host IDs to collide (pro-bing
		// draws one at random per Pinger: 200 raw Pingers share one 26% of
		// the time, 500 85%; telegraf #8980).
		p.shared = newShared(int(rand.Uint32()))
	}
	return p
}

// Close closes the shared sockets, if any, once every Ping has returned.
func (p *Pinger) Close() {
	if p.shared != nil {
		p.shared.close()
	}
}

// interrupted is Result.Err when ctx ended: the counts are those so far.
type interrupted struct{ cause error }

func (e interrupted) Error() string { return "interrupted" }
func (e interrupted) Unwrap() error { return e.cause }

// Ping pings host and returns what happened; it never takes longer than
// the deadline, and returns early when ctx ends, with what the host had
// answered so far (as fping prints each host's statistics on Ctrl-C) and
// Err matching ctx's error.
func (p *Pinger) Ping(ctx context.Context, host string) Result {
	start := time.Now()
	res := Result{Host: host}
	parent := ctx
	ctx, cancel := context.WithTimeout(parent, p.opts.Deadline)
	defer cancel()
	addr, err := p.resolve(ctx, host)
	switch {
	case err != nil && parent.Err() != nil:
		res.Err = interrupted{parent.Err()}
	case err != nil:
		res.Unresolved, res.Err = true, err
	default:
		res.Addr = addr
		p.run(parent, ctx, &res, start)
	}
	res.Elapsed = time.Since(start)
	return res
}

// run pings res.Addr under ctx, the host's deadline, derived from parent.
func (p *Pinger) run(parent, ctx context.Context, res *Result, start time.Time) {
	left := p.opts.Deadline - time.Since(start)
	if left <= 0 {
		res.Err = fmt.Errorf("deadline of %v reached before the first request", p.opts.Deadline)
		return
	}
	if p.shared != nil {
		err := p.shared.ping(ctx, p.opts, res)
		switch {
		case parent.Err() != nil:
			res.Err = interrupted{parent.Err()}
		case err != nil:
			res.Err = err
		}
		return
	}
	pg := probing.New(res.Addr.String())
	pg.SetIPAddr(&net.IPAddr{IP: res.Addr.AsSlice(), Zone: res.Addr.Zone()})
	// A ping socket: the kernel sets the echo ID and hands this socket only
	// the replies to it (so pro-bing must not match on its own ID: go-ping #180).
	pg.SetPrivileged(false)
	pg.SetLogger(probing.NoopLogger{}) // errors come back from Run; no log lines per host
	pg.Count = p.opts.Count
	pg.Interval = p.opts.Interval
	pg.Timeout = left
	pg.RecordRtts, pg.RecordTTLs = false, false
	pg.OnRecv = func(*probing.Packet) {
		if p.opts.UntilReply {
			pg.Stop()
		}
		if p.opts.onReply != nil {
			p.opts.onReply()
		}
	}
	err := pg.RunWithContext(ctx)
	st := pg.Statistics()
	res.Sent, res.Received, res.Duplicates = st.PacketsSent, st.PacketsRecv, st.PacketsRecvDuplicates
	// A reply delivered twice must not make a host look better than it is
	// (go-ping #178: negative loss).
	res.Received = min(res.Received, res.Sent)
	if res.Received > 0 {
		res.MinRTT, res.AvgRTT, res.MaxRTT = st.MinRtt, st.AvgRtt, st.MaxRtt
	}
	switch {
	case err == nil:
	case parent.Err() != nil:
		res.Err = interrupted{parent.Err()}
	case errors.Is(err, context.DeadlineExceeded):
		// The host's deadline, reached a moment before pro-bing's: a normal end.
	default:
		res.Err = fmt.Errorf("pinging %s: %w", res.Addr, err)
	}
}

// resolve returns the address to ping: an IP literal as it is (no lookup),
// else the first address of the wanted family the resolver gives.
func (p *Pinger) resolve(ctx context.Context, host string) (netip.Addr, error) {
	h := strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if a, err := netip.ParseAddr(h); err == nil {
		a = a.Unmap()
		if !p.wants(a) {
			return netip.Addr{}, fmt.Errorf("%s is not an %s address", host, familyName(p.opts.Network))
		}
		return a, nil
	}
	addrs, err := p.opts.Resolver.LookupNetIP(ctx, p.opts.Network, h)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("resolving %s: %w", host, err)
	}
	for _, a := range addrs {
		if a = a.Unmap(); p.wants(a) {
			return a, nil
		}
	}
	return netip.Addr{}, fmt.Errorf("resolving %s: no %s address", host, familyName(p.opts.Network))
}

func (p *Pinger) wants(a netip.Addr) bool {
	switch p.opts.Network {
	case "ip4":
		return a.Is4()
	case "ip6":
		return a.Is6()
	}
	return true
}

func familyName(network string) string {
	switch network {
	case "ip4":
		return "IPv4"
	case "ip6":
		return "IPv6"
	}
	return "IP"
}
