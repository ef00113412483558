package demosite

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fanout-dev/fanout/cmd/fanout/internal/proctest"
	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine outlives them: every
// handler, hijacked connection and streaming write must end by Close.
func TestMain(m *testing.M) {
	lookupIP = testLookupIP
	goleak.VerifyTestMain(m)
}

// testNames are what testLookupIP resolves besides /etc/hosts' names.
var testNames = map[string][]string{
	"evil.test":   {"192.0.2.1"},
	"mixed.test":  {"127.0.0.1", "192.0.2.1"},
	"v6.test":     {"::1"},
	"example.com": {"93.184.215.14"},
}

// testLookupIP resolves testNames and the names /etc/hosts holds (where
// localhost is 127.0.0.1), and no other: the tests send no DNS query.
func testLookupIP(ctx context.Context, host string) ([]net.IPAddr, error) {
	if addrs, ok := testNames[host]; ok {
		var ips []net.IPAddr
		for _, a := range addrs {
			ips = append(ips, net.IPAddr{IP: net.ParseIP(a)})
		}
		return ips, nil
	}
	hosts, err := os.ReadFile("/etc/hosts")
	if err != nil {
		return nil, err
	}
	var ips []net.IPAddr
	for _, line := range strings.Split(string(hosts), "\n") {
		line, _, _ = strings.Cut(line, "#")
		f := strings.Fields(line)
		if len(f) > 1 && slices.Contains(f[1:], host) {
			ips = append(ips, net.IPAddr{IP: net.ParseIP(f[0])})
		}
	}
	if len(ips) == 0 {
		return nil, &net.DNSError{Err: "not in /etc/hosts (the tests resolve no other name)", Name: host, IsNotFound: true}
	}
	return ips, nil
}

// startSite starts a site that the test's cleanup closes, failing the test
// if Close fails or if net/http logged an error. It is sitetest.Start, which
// this package's own tests cannot import (sitetest imports demosite).
func startSite(t *testing.T, opts Options) *Site {
	t.Helper()
	if opts.ErrorLog == nil {
		opts.ErrorLog = proctest.ErrorLog(t)
	}
	s, err := Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// newClient is a client with its own transport, so connection reuse is
// under the test's control, closed by the test's cleanup.
func newClient(t *testing.T, configure ...func(*http.Transport, *http.Client)) *http.Client {
	t.Helper()
	tr := &http.Transport{
		DialContext:       (&net.Dialer{}).DialContext,
		DisableKeepAlives: true,
	}
	c := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	for _, f := range configure {
		f(tr, c)
	}
	t.Cleanup(tr.CloseIdleConnections)
	return c
}

// noFollow makes a client return redirects instead of following them.
func noFollow(_ *http.Transport, c *http.Client) {
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
}

// keepAlive lets a client reuse connections.
func keepAlive(tr *http.Transport, _ *http.Client) { tr.DisableKeepAlives = false }

// do sends a request and reads the whole body, failing the test on any
// error.
func do(t *testing.T, c *http.Client, method, url string) (*http.Response, string) {
	t.Helper()
	resp, body, err := tryDo(c, method, url)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	return resp, body
}

func tryDo(c *http.Client, method, url string) (*http.Response, string, error) {
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		return nil, "", err
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, string(b), err
}

// title extracts the title element's content.
func title(body string) string {
	_, after, ok := strings.Cut(body, "<title>")
	if !ok {
		return ""
	}
	t, _, _ := strings.Cut(after, "</title>")
	return t
}

// waitIdle waits until no handler runs: how a test sees that the server
// noticed a client went away.
func waitIdle(t *testing.T, s *Site) {
	t.Helper()
	proctest.WaitFor(t, "no handler running", func() bool { return s.Stats().Active == 0 })
}

// rawRequest dials the site and sends a GET (or another method) for path,
// returning the connection.
func rawRequest(t *testing.T, s *Site, method, path string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, err := io.WriteString(conn, method+" "+path+" HTTP/1.1\r\nHost: "+s.Addr()+"\r\nUser-Agent: raw-test\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	return conn
}
