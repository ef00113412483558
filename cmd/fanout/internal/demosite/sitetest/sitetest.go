// Package sitetest starts demosite sites for tests, one way for every
// package: closed by the test's cleanup, and failing the test when the site
// misbehaves rather than only the command under test.
package sitetest

import (
	"bytes"
	"log"
	"sync"
	"testing"

	"github.com/fanout-dev/fanout/cmd/fanout/internal/demosite"
)

// Start starts a site with opts that the test's cleanup closes. It fails the
// test if the site does not start, if Close fails, or if net/http logged an
// error (a handler bug such as a superfluous WriteHeader), unless
// opts.ErrorLog takes the log.
func Start(t testing.TB, opts demosite.Options) *demosite.Site {
	t.Helper()
	var logged syncBuffer
	if opts.ErrorLog == nil {
		opts.ErrorLog = log.New(&logged, "", 0)
	}
	site, err := demosite.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := site.Close(); err != nil {
			t.Errorf("closing the site: %v", err)
		}
		if l := logged.String(); l != "" {
			t.Errorf("the site's server logged:\n%s", l)
		}
	})
	return site
}

// syncBuffer collects the server's error log, written from its goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
