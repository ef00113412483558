// Package sitetest starts demosite sites for tests, one way for every
// package: closed by the test's cleanup, and failing the test when the site
// misbehaves rather than only the command under test.
package sitetest

import (
	"testing"

	"github.com/fanout-dev/fanout/cmd/fanout/internal/demosite"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/proctest"
)

// Start starts a site with opts that the test's cleanup closes. It fails the
// test if the site does not start, if Close fails, or if net/http logged an
// error (proctest.ErrorLog), unless opts.ErrorLog takes the log.
func Start(t testing.TB, opts demosite.Options) *demosite.Site {
	t.Helper()
	if opts.ErrorLog == nil {
		opts.ErrorLog = proctest.ErrorLog(t)
	}
	site, err := demosite.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := site.Close(); err != nil {
			t.Errorf("closing the site: %v", err)
		}
	})
	return site
}
