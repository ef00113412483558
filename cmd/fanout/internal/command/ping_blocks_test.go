package command

import (
	"errors"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fanout-dev/fanout/cmd/fanout/internal/proctest"
)

// netnsPeer runs a peer tool (fping) in a network namespace prepared by
// setup, as runNetns runs fanout; ok is false when it is not installed.
func netnsPeer(t *testing.T, setup string, args ...string) (out string, code int, ok bool) {
	t.Helper()
	if _, err := exec.LookPath(args[0]); err != nil {
		t.Logf("%s is not installed: no cross-check against it", args[0])
		return "", 0, false
	}
	if os.Getenv("FANOUT_NO_NETNS") == "1" {
		t.Skip("FANOUT_NO_NETNS=1: not making a network namespace")
	}
	proctest.Needs(t, "root", "unshare", "ip")
	cmd := exec.Command("unshare", append([]string{"-n", "sh", "-ec", "ip link set lo up\n" + setup + "\nexec \"$@\"", "sh"}, args...)...)
	b, err := cmd.Output()
	code, ok = exitStatus(err)
	if !ok {
		t.Fatalf("%q in a network namespace (needs root): %v", args, err)
	}
	return string(b), code, true
}

// hostsOf returns the hosts of fanout's text lines ("OK -> 127.0.0.1",
// with -v "OK -> ::1: 2/2 received...", with -a or -u the host alone),
// sorted.
func hostsOf(out string) []string {
	var hosts []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if _, h, ok := strings.Cut(l, " -> "); ok {
			h, _, _ = strings.Cut(h, ": ")
			hosts = append(hosts, h)
		} else if l != "" && !strings.Contains(l, " ") {
			hosts = append(hosts, l)
		}
	}
	slices.Sort(hosts)
	return hosts
}

// Issue 15: `fanout ping 127.0.0.0/28` said "unresolvable". A CIDR block
// is its host addresses, and -g START END a range, as fping -g gives them
// (fping #278: the broadcast address is left out of a block, not of a
// range; fping #102: a /31 and a /32 keep every address): the same hosts
// as fping -a -g, in a namespace where all of 127.0.0.0/8 answers.
func TestPingBlocksMatchFping(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args []string
		n    int
	}{
		{[]string{"127.0.0.0/28"}, 14},
		{[]string{"127.0.0.5/29"}, 6},
		{[]string{"127.0.0.6/31"}, 2},
		{[]string{"127.0.0.9/32"}, 1},
		{[]string{"127.0.0.250", "127.0.1.2"}, 9},
	} {
		out, stderr, code := runNetns(t, "", "", append([]string{"ping", "-c1", "-w2", "-a", "-g"}, c.args...)...)
		got := hostsOf(out)
		if code != 0 || len(got) != c.n {
			t.Errorf("-g %v: exit %d, %d hosts %v, want %d; %s", c.args, code, len(got), got, c.n, stderr)
		}
		if want, _, ok := netnsPeer(t, "", append([]string{"fping", "-a", "-r0", "-g"}, c.args...)...); ok {
			fp := strings.Fields(want)
			slices.Sort(fp)
			if !slices.Equal(got, fp) {
				t.Errorf("-g %v: fanout %v, fping %v", c.args, got, fp)
			}
		}
	}
	// Without -g, among other hosts; IPv6 too.
	out, _, code := runNetns(t, "", "", "ping", "-c1", "-w2", "127.0.0.0/30", "::1/128", "localhost")
	if got := hostsOf(out); code != 0 || strings.Join(got, " ") != "127.0.0.1 127.0.0.2 ::1 localhost" {
		t.Errorf("exit %d, hosts %v", code, got)
	}
}

// -a prints only the hosts that answered, -u only those that did not, as
// fping's -a and -u (fping #274: -u must filter whatever else is asked, -c
// included); the exit status is still fping's.
func TestPingAliveAndUnreachable(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		flag string
		want string
	}{{"-a", "127.0.0.1 ::1"}, {"-u", "127.0.0.2"}} {
		out, stderr, code := runNetns(t, dropHost, "", "ping", c.flag, "-c", "2", "--interval", "0.05", "-w", "1", "-v", "127.0.0.1", "127.0.0.2", "::1")
		if got := strings.Join(hostsOf(out), " "); code != 1 || got != c.want || !strings.Contains(stderr, "3 pinged: 2 OK, 1 failed") {
			t.Errorf("%s: exit %d, hosts %q, want %q; stderr %q", c.flag, code, got, c.want, stderr)
		}
		if want, fcode, ok := netnsPeer(t, dropHost, "fping", c.flag, "-r0", "-t500", "127.0.0.1", "127.0.0.2", "::1"); ok {
			fp := strings.Fields(want)
			slices.Sort(fp)
			if strings.Join(fp, " ") != c.want || fcode != code {
				t.Errorf("%s: fping printed %v and exited %d; fanout %q, %d", c.flag, fp, fcode, c.want, code)
			}
		}
	}
}

// Issue 11: ping -c 20 + Ctrl-C printed "0 pinged" and dropped the replies
// received so far. Each host in flight is printed with what it answered
// until then (fping's behaviour), then the summary says interrupted, and
// the exit status is 130. A host that answered is alive whatever the rest
// of its requests would have said: its record counts as done (and a
// --resume journal keeps it).
func TestPingInterruptPrintsRepliesSoFar(t *testing.T) {
	t.Parallel()
	if os.Getenv("FANOUT_NO_NETNS") == "1" {
		t.Skip("FANOUT_NO_NETNS=1")
	}
	proctest.Needs(t, "root", "unshare", "ip")
	cmd := exec.Command("unshare", "-n", "sh", "-ec", "ip link set lo up\nexec \"$@\"", "sh", buildFanout(t),
		"ping", "--json", "-c", "20", "--interval", "0.1", "127.0.0.1", "::1")
	var out, errb proctest.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatalf("needs root and unshare (FANOUT_NO_NETNS=1 to skip): %v", err)
	}
	// About ten replies each by then; the test needs one.
	time.Sleep(time.Second)
	cmd.Process.Signal(os.Interrupt)
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != ExitInterrupted {
		t.Fatalf("exit %v, want 130; stderr %q", err, errb.String())
	}
	recs := jsonLines[pingRecord](t, out.String())
	if len(recs) != 2 {
		t.Fatalf("%d records, want both hosts:\n%s", len(recs), out.String())
	}
	for _, r := range recs {
		if r.Result != pingOK || r.Received < 1 || r.Sent >= 20 || r.Received > r.Sent || r.Error != "interrupted" {
			t.Errorf("record %+v: want the replies so far", r)
		}
	}
	if s := errb.String(); !strings.Contains(s, "2 pinged: 2 OK") || !strings.Contains(s, "interrupted: 2 done, 0 not started") {
		t.Errorf("summary %q", s)
	}
}
