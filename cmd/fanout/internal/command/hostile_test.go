package command

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fanout-dev/fanout/cmd/fanout/internal/demosite"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/demosite/sitetest"
)

// hostileCase is one hostile input and what each command must say about
// it: a pattern its text line must match.
type hostileCase struct {
	name, line        string
	check, probe, get string
}

// hostileCases are the list: a misbehaving server for every way a
// response can go wrong, and input lines that are not URLs at all. docs/
// reliability.md lists them with what the user sees.
func hostileCases(site, site6 *demosite.Site) []hostileCase {
	u := site.URL()
	port := u[strings.LastIndex(u, ":")+1:]
	cases := []hostileCase{
		{"reset mid-body", u + "/reset?after=100", "exists", `\[200\] \[Reset\]`, "error: connection reset"},
		{"reset before answering", u + "/reset", "error: connection reset", `\[error: connection reset\]`, "error: connection reset"},
		{"accepts, never answers", u + "/hang", "error: timeout", `\[error: timeout\]`, "error: timeout"},
		{"headers one byte a second", u + "/trickle?interval=1s", "error: timeout", `\[error: timeout\]`, "error: timeout"},
		{"body never ends", u + "/endless", "exists", `\[200\] \[Endless\] .*\[>=\d+ B\]`, "error: body larger than --max-size"},
		{"Content-Length 10 GB", u + "/big?size=10GB", "exists", `\[200\] \[Big\] .*\[10000000000 B\]`, "error: 10000000000 bytes, larger than --max-size"},
		{"Content-Length 10 GB, then stalls", u + "/big?size=10GB&then=hang", "exists", `\[200\] \[Big\]`, "error: 10000000000 bytes, larger than --max-size"},
		{"redirect loop", u + "/loop", "error: stopped after 10 redirects", `\[error: stopped after 10 redirects\]`, "error: stopped after 10 redirects"},
		{"redirect to file:", u + "/redirect-scheme?to=file:///etc/passwd", `error: redirect to unsupported scheme "file"`, `unsupported scheme "file"`, `unsupported scheme "file"`},
		{"redirect to ftp:", u + "/redirect-scheme?to=ftp://127.0.0.1/x", `error: redirect to unsupported scheme "ftp"`, `unsupported scheme "ftp"`, `unsupported scheme "ftp"`},
		{"invalid chunked encoding", u + "/chunked-bad", "exists", `\[200\] \[-\] .*\[error: invalid byte in chunk length\]`, "error: invalid byte in chunk length"},
		{"title of 10 MB", u + "/bigtitle?size=10MB", "exists", `\[200\] \[(big title ){100}`, "error: 10000073 bytes, larger than --max-size"},
		{"no title", u + "/notitle", "exists", `\[200\] \[-\] \[text/html\]`, `-> .*notitle.* \(117 bytes`},
		{"Shift_JIS title via meta", u + "/charset/shift_jis?via=meta", "exists", `\[200\] \[日本語\]`, `-> .* \(179 bytes`},
		{"KOI8-R title via header", u + "/charset/koi8-r", "exists", `\[200\] \[Москва\]`, `-> `},
		{"gzip bomb", u + "/gzip?bomb=1&size=10GB", "exists", `\[200\] .*\[>=1048576 B\]`, "error: body larger than --max-size"},
		{"URL with spaces", u + "/wiki/A B", "exists", `\[200\] \[A B - Wikipedia\] \[text/html\] \[\d+ B\] \[[\d.]+ms\]$`, `-> .*wiki/A%20B`},
		{"userinfo", "http://user:pw@127.0.0.1:" + port + "/wiki/U", "exists", `\[U - Wikipedia\]`, `-> `},
		// Through HTTP_PROXY (the site): the host is never resolved, and
		// the request must carry it as punycode.
		{"IDN host", "http://bücher.example/wiki/X", "exists", `\[200\] \[X - Wikipedia\] \[text/html\] \[\d+ B\] \[[\d.]+ms\]$`, `-> .*bücher\.example/wiki/X`},
		{"IPv6 literal", site6.WikiURL("V6"), "exists", `\[V6 - Wikipedia\]`, `-> .*%3A%3A1`},
		{"port out of range", "http://127.0.0.1:99999/", "error: .*invalid port", `invalid port`, `invalid port`},
		{"port 0", "http://127.0.0.1:0/", "error: ", `\[error: `, "error: "},
		{"ftp: scheme", "ftp://127.0.0.1/x", `error: malformed URL: unsupported scheme "ftp"`, `unsupported scheme "ftp"`, `unsupported scheme "ftp"`},
		{"file: scheme", "file:///etc/passwd", `unsupported scheme "file"`, `unsupported scheme "file"`, `unsupported scheme "file"`},
		{"javascript: scheme", "javascript:alert(1)", `unsupported scheme "javascript"`, `unsupported scheme`, `unsupported scheme`},
		// A bare host: https first, then http (the site is plain HTTP).
		{"no scheme", "127.0.0.1:" + port + "/wiki/A", "exists", `\[200\] \[A - Wikipedia\]`, `-> .*127\.0\.0\.1_` + port + `/wiki/A `},
		{"binary garbage", "\x00\x01\x02\xfe\xff\x1b[2J\x07garbage", "error: line \\d+ is not valid UTF-8", `not valid UTF-8`, `not valid UTF-8`},
		{"terminal escape", "\x1b]0;owned\x07http://127.0.0.1:" + port + "/wiki/A", "error: line \\d+ has control characters", `control characters`, `control characters`},
		{"invalid UTF-8", u + "/wiki/\xc3\x28", "error: line \\d+ is not valid UTF-8", `not valid UTF-8`, `not valid UTF-8`},
		{"1 MB line", u + "/wiki/" + strings.Repeat("a", 1<<20), "error: line \\d+ is longer than 65536 bytes", `longer than 65536`, `longer than 65536`},
	}
	// A 429 storm, with and without Retry-After: every one ends
	// rate-limited after its retries, none hangs the run.
	for i := range 40 {
		ra := ""
		if i%2 == 0 {
			ra = "&retry_after=1"
		}
		cases = append(cases, hostileCase{fmt.Sprintf("429 storm %d", i), fmt.Sprintf("%s/status/429?n=%d%s", u, i, ra),
			`rate-limited \(HTTP 429\)`, `\[429\]`, "error: HTTP 429, not saved"})
	}
	// And the run carries on to the end.
	return append(cases, hostileCase{"a good page last", site.WikiURL("Last"), "exists", `\[200\] \[Last - Wikipedia\]`, `-> .*Last`})
}

// Every hostile input gets exactly one record, classified as the table
// says, within its timeout and bounded memory, in one run of each command.
func TestHostileInputs(t *testing.T) {
	t.Parallel()
	bin := buildFanout(t)
	site := sitetest.Start(t, demosite.Options{})
	site6 := sitetest.Start(t, demosite.Options{Addr: "[::1]:0"})
	cases := hostileCases(site, site6)
	var in bytes.Buffer
	for _, c := range cases {
		in.WriteString(c.line + "\n")
	}
	for _, cmdName := range []string{"check", "probe", "get"} {
		t.Run(cmdName, func(t *testing.T) {
			t.Parallel()
			// A timeout well above what any case takes: every case has an answer of
			// its own, which a loaded machine (CI under -race) must not turn into
			// "timeout" (2 s did, once).
			args := []string{cmdName, "--ordered", "--timeout", "10s", "--retries", "1", "-w", "64"}
			if cmdName == "get" {
				args = append(args, "--dir", t.TempDir(), "--max-size", "8MiB")
			}
			// No name may be resolved: the IDN host goes to the site as a
			// proxy, and anything else not on loopback would too.
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, args...)
			cmd.Env = append(os.Environ(), "HTTP_PROXY="+site.URL(), "HTTPS_PROXY="+site.URL(), "NO_PROXY=")
			cmd.Stdin = bytes.NewReader(in.Bytes())
			var out, errb bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errb
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			peak := watchPeakRSS(cmd.Process.Pid)
			err := cmd.Wait()
			if ctx.Err() != nil {
				t.Fatalf("the run did not finish in 3 minutes; stderr:\n%s", errb.String())
			}
			if code := cmd.ProcessState.ExitCode(); code != ExitSome {
				t.Fatalf("exit %d (%v), want %d; stderr:\n%s", code, err, ExitSome, errb.String())
			}
			// Peak memory: a buffered 10 GB body or gzip bomb would show.
			// About 13-19 MiB here; the race detector multiplies it (up to
			// 209 MiB seen).
			limit := int64(64)
			if raceBuild {
				limit = 512
			}
			rss := peak() >> 20
			t.Logf("peak RSS %d MiB", rss)
			if rss > limit {
				t.Errorf("peak RSS %d MiB, want under %d", rss, limit)
			}
			lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
			if len(lines) != len(cases) {
				t.Fatalf("%d records for %d inputs:\n%s", len(lines), len(cases), out.String())
			}
			for i, c := range cases {
				want := map[string]string{"check": c.check, "probe": c.probe, "get": c.get}[cmdName]
				if !regexp.MustCompile(want).MatchString(lines[i]) {
					t.Errorf("%s: %.300q\n  does not match %q", c.name, lines[i], want)
				}
				if strings.ContainsAny(lines[i], "\x00\x07\x1b") {
					t.Errorf("%s: a control character reached the output: %.200q", c.name, lines[i])
				}
			}
			if cmdName == "get" {
				entries, _ := os.ReadDir(args[len(args)-3])
				for _, e := range entries {
					if strings.HasPrefix(e.Name(), ".fanout-") {
						t.Errorf("temporary file left behind: %s", filepath.Join(args[len(args)-3], e.Name()))
					}
				}
			}
		})
	}
}

// watchPeakRSS follows the peak resident memory of process pid (its
// VmHWM, which only grows) until it exits, and returns a func giving it in
// bytes. The rusage of a waited child will not do: Linux counts in it the
// resident memory of the parent that forked it (this test process, large
// under -race with many tests running).
func watchPeakRSS(pid int) func() int64 {
	var peak atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
			if err != nil {
				return
			}
			i := bytes.Index(b, []byte("VmHWM:"))
			if i < 0 {
				return // exited: a zombie has no memory left to show
			}
			f := strings.Fields(string(b[i+len("VmHWM:"):]))
			if kb, err := strconv.ParseInt(f[0], 10, 64); err == nil && kb<<10 > peak.Load() {
				peak.Store(kb << 10)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	return func() int64 {
		<-done
		return peak.Load()
	}
}
