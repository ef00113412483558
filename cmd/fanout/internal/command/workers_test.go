package command

import (
	"context"
	"strings"
	"testing"
	"time"
)

// An absurd worker count is refused at once with the ceiling named, on
// every command (issue 21 item 13: `check -w 2147483647` died out of
// memory with a 170-line stack, `-w 4294967296` hung on a bound kept as
// int32, `exec -j 2147483647` took 16.8 GB). xargs refuses the same way
// beyond its own limit: "value 2147483648 for -P option should be <=
// 2147483647".
func TestWorkersFlagRefusesAbsurdCounts(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, args := range [][]string{
		{"check", "-w", "2147483647", "http://127.0.0.1:1/"},
		{"check", "--workers", "4294967296", "http://127.0.0.1:1/"},
		{"probe", "-w", "99999999999999999999999", "http://127.0.0.1:1/"},
		{"get", "--dir", dir, "-w", "65537", "http://127.0.0.1:1/"},
		{"links", "-w", "2147483647", dir},
		{"exec", "-j", "2147483647", "true", ":::", "a"},
		{"exec", "-w", "4294967296", "true", ":::", "a"},
		{"replace", "-w", "2147483647", "a", "b", dir},
		{"ping", "--workers", "4294967296", "127.0.0.1"},
		{"demo", "-w", "2147483647"},
	} {
		// Without the check some of these hang: the deadline turns that
		// into a failure (an interrupt, exit 130).
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		_, stderr, code := run(t, ctx, "", args...)
		cancel()
		want := ExitUsage
		if args[0] == "ping" {
			want = 3 // fping's usage status
		}
		if code != want || !strings.Contains(stderr, "at most 65536") || len(strings.Split(stderr, "\n")) > 3 {
			t.Errorf("%v: exit %d (want %d), stderr:\n%s", args, code, want, stderr)
		}
	}
}

// Counts below each flag's floor, and words, are refused; -j 0 keeps
// meaning "as many as there are inputs", and auto is taken only by the
// commands that adapt to each host.
func TestWorkersFlagRange(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args []string
		ok   bool
	}{
		{[]string{"exec", "-j", "0", "true", ":::", "a"}, true},
		{[]string{"exec", "-w", "0", "true", ":::", "a"}, false},
		{[]string{"exec", "-j", "-1", "true", ":::", "a"}, false},
		{[]string{"exec", "-j", "auto", "true", ":::", "a"}, false},
		{[]string{"exec", "-j", "65536", "true", ":::", "a"}, true},
		{[]string{"check", "-w", "0", "http://127.0.0.1:1/"}, false},
		{[]string{"check", "-w", "many", "http://127.0.0.1:1/"}, false},
	} {
		_, stderr, code := run(t, context.Background(), "", c.args...)
		if (code == ExitUsage) == c.ok {
			t.Errorf("%v: exit %d, stderr:\n%s", c.args, code, stderr)
		}
	}
}
