package probe

import (
	"context"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/fanout-dev/fanout/cmd/fanout/internal/demosite"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/demosite/sitetest"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/httpcheck"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func newProber(t *testing.T, o Options) *Prober {
	t.Helper()
	if o.Timeout == 0 {
		o.Timeout = 10 * time.Second
	}
	p := New(o)
	t.Cleanup(p.Close)
	return p
}

func TestWiki(t *testing.T) {
	site := sitetest.Start(t, demosite.Options{})
	p := newProber(t, Options{})
	r := p.Probe(context.Background(), site.WikiURL("Ocean"))
	if r.Err != nil || r.Status != 200 || !r.TitleFound || r.Title != "Ocean - Wikipedia" || !r.OK() {
		t.Fatalf("%+v", r)
	}
	if !strings.HasPrefix(r.ContentType, "text/html") || !r.LengthFromHeader || r.ContentLength <= 0 || r.Truncated {
		t.Fatalf("%+v", r)
	}
	if r.FinalURL != site.WikiURL("Ocean") || r.Elapsed <= 0 {
		t.Fatalf("%+v", r)
	}
	if m := site.Path("/wiki/Ocean").Last.Method; m != "GET" {
		t.Fatalf("method %s", m)
	}
	r = p.Probe(context.Background(), site.WikiURL("this_page_does_not_exist"))
	if r.Status != 404 || r.OK() || !r.TitleFound {
		t.Fatalf("%+v", r)
	}
}

func TestCharsets(t *testing.T) {
	site := sitetest.Start(t, demosite.Options{})
	p := newProber(t, Options{})
	for _, cs := range demosite.Charsets() {
		// wrong-header: the header says UTF-8, the meta the truth (httpx #652).
		for _, via := range []string{"header", "meta", "http-equiv", "both", "wrong-header"} {
			r := p.Probe(context.Background(), site.URL()+"/charset/"+cs.Name+"?via="+via)
			if r.Err != nil || !r.TitleFound || r.Title != cs.Title {
				t.Errorf("%s via %s: title %q found %v err %v, want %q", cs.Name, via, r.Title, r.TitleFound, r.Err, cs.Title)
			}
		}
	}
}

func TestNoTitle(t *testing.T) {
	site := sitetest.Start(t, demosite.Options{})
	r := newProber(t, Options{}).Probe(context.Background(), site.URL()+"/notitle")
	if r.Err != nil || r.Status != 200 || r.TitleFound || r.Title != "" {
		t.Fatalf("%+v", r)
	}
}

func TestBigTitleIsCapped(t *testing.T) {
	site := sitetest.Start(t, demosite.Options{})
	for _, size := range []string{"10KB", "10MB"} {
		r := newProber(t, Options{}).Probe(context.Background(), site.URL()+"/bigtitle?size="+size)
		if r.Err != nil || !r.TitleFound || utf8.RuneCountInString(r.Title) > MaxTitle || utf8.RuneCountInString(r.Title) < MaxTitle-10 {
			t.Fatalf("size %s: found %v, %d runes, err %v", size, r.TitleFound, utf8.RuneCountInString(r.Title), r.Err)
		}
		if !strings.HasPrefix(r.Title, "big title big title") || strings.HasSuffix(r.Title, " ") {
			t.Fatalf("title %q...", r.Title[:40])
		}
		if r.BodyRead > DefaultMaxBody {
			t.Fatalf("read %d bytes", r.BodyRead)
		}
	}
}

func TestLateTitle(t *testing.T) {
	site := sitetest.Start(t, demosite.Options{})
	// Beyond MaxBody: not found, and no more than MaxBody read.
	r := newProber(t, Options{}).Probe(context.Background(), site.URL()+"/late-title?offset=2MB")
	if r.Err != nil || r.TitleFound || r.Title != "" || r.BodyRead != DefaultMaxBody || !r.LengthFromHeader || r.ContentLength < 2e6 {
		t.Fatalf("%+v", r)
	}
	// Within it: found.
	r = newProber(t, Options{MaxBody: 4 << 20}).Probe(context.Background(), site.URL()+"/late-title?offset=2MB")
	if r.Err != nil || !r.TitleFound || r.Title != "Late title" {
		t.Fatalf("%+v", r)
	}
}

func TestGzip(t *testing.T) {
	site := sitetest.Start(t, demosite.Options{})
	r := newProber(t, Options{}).Probe(context.Background(), site.URL()+"/gzip")
	if r.Err != nil || !r.TitleFound || r.Title != "Gzipped page" || r.LengthFromHeader || r.ContentLength != r.BodyRead || r.BodyRead == 0 {
		t.Fatalf("%+v", r)
	}
}

func TestGzipBombIsBounded(t *testing.T) {
	site := sitetest.Start(t, demosite.Options{})
	const maxBody = 256 << 10
	start := time.Now()
	r := newProber(t, Options{MaxBody: maxBody}).Probe(context.Background(), site.URL()+"/gzip?bomb=1")
	if r.Err != nil || r.Status != 200 || r.TitleFound || r.BodyRead != maxBody || !r.Truncated || r.LengthFromHeader {
		t.Fatalf("%+v", r)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Fatalf("took %v", el)
	}
}

func TestEndlessIsBounded(t *testing.T) {
	site := sitetest.Start(t, demosite.Options{})
	// The title comes first: reading stops there, the size is a lower
	// bound.
	r := newProber(t, Options{}).Probe(context.Background(), site.URL()+"/endless")
	if r.Err != nil || r.Title != "Endless" || !r.Truncated || r.BodyRead > DefaultMaxBody || r.ContentLength != r.BodyRead || r.LengthFromHeader {
		t.Fatalf("%+v", r)
	}
	// No title before the timeout: a timeout error.
	o := Options{MaxBody: 1 << 40}
	o.Timeout = 300 * time.Millisecond
	r = newProber(t, o).Probe(context.Background(), site.URL()+"/gzip?bomb=1")
	if r.Err == nil || httpcheck.Reason(r.Err) != "timeout" || r.Status != 200 || r.OK() || !r.Truncated {
		t.Fatalf("%+v (%v)", r, httpcheck.Reason(r.Err))
	}
}

// A slow endless body after </title> does not hold the probe: it returns
// with the title at once, not at the timeout (issue 14, item 4). The same
// with a 10 GB Content-Length that then stalls.
func TestStopsAtTheTitle(t *testing.T) {
	t.Parallel()
	site := sitetest.Start(t, demosite.Options{})
	p := newProber(t, Options{Options: httpcheck.Options{Timeout: 20 * time.Second}})
	for _, path := range []string{"/endless?interval=1s", "/big?size=10GB&then=hang"} {
		start := time.Now()
		r := p.Probe(context.Background(), site.URL()+path)
		if el := time.Since(start); el > 5*time.Second {
			t.Errorf("%s: took %v: the probe waited for the body after the title", path, el)
		}
		if r.Err != nil || r.Status != 200 || !r.TitleFound || r.Title == "" || !r.Truncated {
			t.Errorf("%s: %+v", path, r)
		}
	}
}

// Only the head's <title> of an HTML or XHTML response is the page's
// title: not an SVG icon's <title> in the body (the case peers' users
// report as a wrong title), not one in the body, not a "<title>" in a
// JSON or text body. After </head> and before <body> it still counts, as
// the HTML parser puts it in the head.
func TestOnlyTheHeadTitle(t *testing.T) {
	t.Parallel()
	site := sitetest.Start(t, demosite.Options{})
	p := newProber(t, Options{})
	for doc, want := range map[string]string{
		"svg-title": "", "body-title": "", "svg-then-title": "", "json": "", "text": "",
		"after-head": "After head", "xhtml": "XHTML page",
	} {
		r := p.Probe(context.Background(), site.URL()+"/doc/"+doc)
		if r.Err != nil || r.Status != 200 || r.Title != want || r.TitleFound != (want != "") {
			t.Errorf("%s: title %q found %v (%+v), want %q", doc, r.Title, r.TitleFound, r, want)
		}
	}
}

// With redirects off, a 3xx is the answer: its status and Location, as
// httpx shows them.
func TestRedirectNotFollowed(t *testing.T) {
	t.Parallel()
	site := sitetest.Start(t, demosite.Options{})
	p := newProber(t, Options{Options: httpcheck.Options{Redirects: -1}})
	r := p.Probe(context.Background(), site.URL()+"/redirect/1?code=301")
	if r.Err != nil || r.Status != 301 || r.Location != site.WikiURL("Redirected") || r.Redirected || r.OK() {
		t.Fatalf("%+v", r)
	}
}

func TestRedirectsAndErrors(t *testing.T) {
	site := sitetest.Start(t, demosite.Options{})
	p := newProber(t, Options{})
	r := p.Probe(context.Background(), site.URL()+"/redirect/3")
	if r.Err != nil || r.Status != 200 || r.FinalURL != site.WikiURL("Redirected") || r.Title != "Redirected - Wikipedia" {
		t.Fatalf("%+v", r)
	}
	r = p.Probe(context.Background(), site.URL()+"/loop")
	if r.Err == nil || !strings.Contains(httpcheck.Reason(r.Err), "stopped after 10 redirects") || r.OK() {
		t.Fatalf("%+v", r)
	}
	r = p.Probe(context.Background(), "ftp://x/y")
	if r.Err == nil || r.Status != 0 {
		t.Fatalf("%+v", r)
	}
	r = p.Probe(context.Background(), "http://127.0.0.1:1/")
	if httpcheck.Reason(r.Err) != "connection refused" {
		t.Fatalf("%+v", r)
	}
}
