package demosite

import (
	"html"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

func TestWiki(t *testing.T) {
	s := startSite(t, Options{})
	c := newClient(t)

	resp, body := do(t, c, "GET", s.WikiURL("Ocean"))
	want := "<html><head><title>Ocean - Wikipedia</title></head><body><h1>Ocean - Wikipedia</h1>" +
		"<p>This page of the demo site stands in for the Wikipedia article.</p></body></html>\n"
	if resp.StatusCode != 200 || body != want {
		t.Errorf("GET: status %d, body %q", resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if resp.ContentLength != int64(len(want)) || resp.Header.Get("Content-Length") != strconv.Itoa(len(want)) {
		t.Errorf("Content-Length %d, want %d", resp.ContentLength, len(want))
	}

	resp, body = do(t, c, "HEAD", s.WikiURL("Ocean"))
	if resp.StatusCode != 200 || body != "" || resp.ContentLength != int64(len(want)) {
		t.Errorf("HEAD: status %d, Content-Length %d, body %q", resp.StatusCode, resp.ContentLength, body)
	}

	for _, name := range []string{"this_page_does_not_exist", "Ocean_this_page_does_not_exist_2", ""} {
		resp, body = do(t, c, "GET", s.WikiURL(name))
		if resp.StatusCode != 404 || title(body) != name+" - Wikipedia" ||
			!strings.Contains(body, "does not have an article") || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" {
			t.Errorf("GET %q: status %d, body %q", name, resp.StatusCode, body)
		}
	}

	// Names are HTML-escaped; underscores and percent-decoding as in URL.Path.
	resp, body = do(t, c, "GET", s.WikiURL("A%3Cb%3E_%26_C"))
	if resp.StatusCode != 200 || title(body) != "A&lt;b&gt;_&amp;_C - Wikipedia" {
		t.Errorf("escaped name: status %d, title %q", resp.StatusCode, title(body))
	}
	_, body = do(t, c, "GET", s.WikiURL("Python_(programming_language)"))
	if title(body) != "Python_(programming_language) - Wikipedia" {
		t.Errorf("title %q", title(body))
	}
	_, body = do(t, c, "GET", s.WikiURL("Caf%C3%A9"))
	if title(body) != "Café - Wikipedia" {
		t.Errorf("title %q", title(body))
	}

	if st := s.Stats(); st.Routes["wiki"] != 8 || st.Requests != 8 {
		t.Errorf("Stats %+v", st)
	}
	if s.Hits("/wiki/Ocean") != 2 || s.Path("/wiki/Ocean").Last.Method != "HEAD" {
		t.Errorf("Path(/wiki/Ocean) = %+v", s.Path("/wiki/Ocean"))
	}
	if s.Hits("/wiki/Café") != 1 {
		t.Error("Hits uses the decoded path")
	}
}

func TestStatus(t *testing.T) {
	s := startSite(t, Options{})
	c := newClient(t, noFollow)
	for _, tc := range []struct {
		path       string
		code       int
		retryAfter string
	}{
		{"/status/200", 200, ""},
		{"/status/401", 401, ""},
		{"/status/403", 403, ""},
		{"/status/410", 410, ""},
		{"/status/500", 500, ""},
		{"/status/503", 503, ""},
		{"/status/503?retry_after=7", 503, "7"},
		{"/status/429?retry_after=1", 429, "1"},
		{"/status/429?retry_after=Wed,%2021%20Oct%202015%2007:28:00%20GMT", 429, "Wed, 21 Oct 2015 07:28:00 GMT"},
		{"/status/418", 418, ""},
		{"/status/599", 599, ""},
		{"/status/301", 301, ""}, // a redirect without Location
	} {
		resp, body := do(t, c, "GET", s.URL()+tc.path)
		if resp.StatusCode != tc.code || resp.Header.Get("Retry-After") != tc.retryAfter {
			t.Errorf("%s: status %d, Retry-After %q", tc.path, resp.StatusCode, resp.Header.Get("Retry-After"))
		}
		wantTitle := strconv.Itoa(tc.code) + " " + http.StatusText(tc.code)
		if title(body) != html.EscapeString(wantTitle) || resp.ContentLength != int64(len(body)) {
			t.Errorf("%s: title %q, want %q", tc.path, title(body), wantTitle)
		}
		resp, body = do(t, c, "HEAD", s.URL()+tc.path)
		if resp.StatusCode != tc.code || body != "" {
			t.Errorf("HEAD %s: status %d, body %q", tc.path, resp.StatusCode, body)
		}
	}
	for _, code := range []int{204, 304} {
		resp, body := do(t, c, "GET", s.URL()+"/status/"+strconv.Itoa(code))
		if resp.StatusCode != code || body != "" {
			t.Errorf("%d: status %d, body %q", code, resp.StatusCode, body)
		}
	}
	for _, bad := range []string{"99", "100", "600", "abc", "2OO"} {
		resp, _ := do(t, c, "GET", s.URL()+"/status/"+bad)
		if resp.StatusCode != 400 {
			t.Errorf("/status/%s: status %d, want 400", bad, resp.StatusCode)
		}
	}
	if n := s.Stats().Routes["status"]; n != 12*2+2+5 {
		t.Errorf("Routes[status] = %d", n)
	}
	if n := s.Hits("/status/503"); n != 4 {
		t.Errorf("Hits(/status/503) = %d, want 4", n)
	}
}

func TestFlaky(t *testing.T) {
	s := startSite(t, Options{})
	c := newClient(t)
	url := s.URL() + "/flaky/a?fail=2&code=429&retry_after=1"
	for i, want := range []int{429, 429, 200, 200} {
		resp, body := do(t, c, "GET", url)
		if resp.StatusCode != want {
			t.Errorf("request %d: status %d, want %d", i+1, resp.StatusCode, want)
		}
		wantRA := ""
		if want == 429 {
			wantRA = "1"
		}
		if resp.Header.Get("Retry-After") != wantRA {
			t.Errorf("request %d: Retry-After %q, want %q", i+1, resp.Header.Get("Retry-After"), wantRA)
		}
		if title(body) != "a - Wikipedia" {
			t.Errorf("request %d: title %q", i+1, title(body))
		}
	}
	if n := s.Hits("/flaky/a"); n != 4 {
		t.Errorf("Hits = %d, want 4", n)
	}

	// Defaults: one failure, 503, no Retry-After. Keys are independent,
	// and HEAD counts.
	for i, want := range []int{503, 200} {
		resp, _ := do(t, c, "HEAD", s.URL()+"/flaky/b")
		if resp.StatusCode != want || resp.Header.Get("Retry-After") != "" {
			t.Errorf("b, request %d: status %d, want %d", i+1, resp.StatusCode, want)
		}
	}
	resp, _ := do(t, c, "GET", s.URL()+"/flaky/c?fail=0")
	if resp.StatusCode != 200 {
		t.Errorf("fail=0: status %d", resp.StatusCode)
	}

	s.ResetFlaky()
	resp, _ = do(t, c, "GET", url)
	if resp.StatusCode != 429 {
		t.Errorf("after ResetFlaky: status %d, want 429", resp.StatusCode)
	}
	for _, bad := range []string{"?fail=-1", "?fail=x", "?code=99", "?code=600"} {
		resp, _ := do(t, c, "GET", s.URL()+"/flaky/d"+bad)
		if resp.StatusCode != 400 {
			t.Errorf("%s: status %d, want 400", bad, resp.StatusCode)
		}
	}
	if n := s.Stats().Routes["flaky"]; n != 12 {
		t.Errorf("Routes[flaky] = %d, want 12", n)
	}
}

func TestMethod(t *testing.T) {
	s := startSite(t, Options{})
	c := newClient(t)
	resp, body := do(t, c, "HEAD", s.URL()+"/method/Page")
	if resp.StatusCode != 405 || resp.Header.Get("Allow") != "GET" || body != "" {
		t.Errorf("HEAD: status %d, Allow %q", resp.StatusCode, resp.Header.Get("Allow"))
	}
	resp, body = do(t, c, "GET", s.URL()+"/method/Page")
	if resp.StatusCode != 200 || title(body) != "Page - Wikipedia" {
		t.Errorf("GET: status %d, title %q", resp.StatusCode, title(body))
	}
	resp, _ = do(t, c, "HEAD", s.URL()+"/method/Page?head=501")
	if resp.StatusCode != 501 || resp.Header.Get("Allow") != "" {
		t.Errorf("HEAD ?head=501: status %d, Allow %q", resp.StatusCode, resp.Header.Get("Allow"))
	}
	resp, _ = do(t, c, "HEAD", s.URL()+"/method/Page?head=200")
	if resp.StatusCode != 400 {
		t.Errorf("HEAD ?head=200: status %d, want 400", resp.StatusCode)
	}
	resp, _ = do(t, c, "POST", s.URL()+"/method/Page")
	if resp.StatusCode != 405 || resp.Header.Get("Allow") != "GET" {
		t.Errorf("POST: status %d, Allow %q", resp.StatusCode, resp.Header.Get("Allow"))
	}
	p := s.Path("/method/Page")
	if p.Hits != 5 || p.Last.Method != "POST" {
		t.Errorf("Path: %d hits, last %s", p.Hits, p.Last.Method)
	}
}

func TestRedirect(t *testing.T) {
	s := startSite(t, Options{})
	c := newClient(t)
	resp, body := do(t, c, "GET", s.URL()+"/redirect/3?to=/wiki/Foo")
	if resp.StatusCode != 200 || title(body) != "Foo - Wikipedia" || resp.Request.URL.Path != "/wiki/Foo" {
		t.Errorf("followed: status %d, title %q, final URL %s", resp.StatusCode, title(body), resp.Request.URL)
	}
	for _, p := range []string{"/redirect/3", "/redirect/2", "/redirect/1", "/wiki/Foo"} {
		if n := s.Hits(p); n != 1 {
			t.Errorf("Hits(%s) = %d, want 1", p, n)
		}
	}
	if n := s.Stats().Routes["redirect"]; n != 3 {
		t.Errorf("Routes[redirect] = %d, want 3", n)
	}

	raw := newClient(t, noFollow)
	for _, tc := range []struct{ path, loc string }{
		{"/redirect/3?to=/wiki/Foo", "/redirect/2?to=/wiki/Foo"},
		{"/redirect/2?to=%2Fwiki%2FFoo&latency=1ms", "/redirect/1?to=%2Fwiki%2FFoo&latency=1ms"},
		{"/redirect/1?to=%2Fwiki%2FFoo", "/wiki/Foo"},
		{"/redirect/1", "/wiki/Redirected"},
		{"/redirect/1?to=" + s.WikiURL("Abs"), s.WikiURL("Abs")},
		{"/redirect/2", "/redirect/1"},
	} {
		resp, body := do(t, raw, "GET", s.URL()+tc.path)
		if resp.StatusCode != 302 || resp.Header.Get("Location") != tc.loc || body != "" {
			t.Errorf("%s: status %d, Location %q, want 302 %q", tc.path, resp.StatusCode, resp.Header.Get("Location"), tc.loc)
		}
	}
	for _, code := range []int{301, 302, 303, 307, 308} {
		resp, _ := do(t, raw, "GET", s.URL()+"/redirect/2?code="+strconv.Itoa(code))
		if resp.StatusCode != code || resp.Header.Get("Location") != "/redirect/1?code="+strconv.Itoa(code) {
			t.Errorf("code %d: status %d, Location %q", code, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	for _, bad := range []string{"/redirect/0", "/redirect/x", "/redirect/-1", "/redirect/1?code=200"} {
		resp, _ := do(t, raw, "GET", s.URL()+bad)
		if resp.StatusCode != 400 {
			t.Errorf("%s: status %d, want 400", bad, resp.StatusCode)
		}
	}
}

func TestLoop(t *testing.T) {
	s := startSite(t, Options{})
	_, _, err := tryDo(newClient(t), "GET", s.URL()+"/loop")
	if err == nil || !strings.Contains(err.Error(), "stopped after 10 redirects") {
		t.Fatalf("GET /loop: %v, want the client's redirect limit", err)
	}
	// net/http's client sends 10 requests, then refuses the 11th redirect.
	if n := s.Hits("/loop"); n != 10 {
		t.Errorf("Hits(/loop) = %d, want 10", n)
	}
	resp, _ := do(t, newClient(t, noFollow), "GET", s.URL()+"/loop?latency=1ms")
	if resp.StatusCode != 302 || resp.Header.Get("Location") != "/loop?latency=1ms" {
		t.Errorf("status %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if n := s.Stats().Routes["loop"]; n != 11 {
		t.Errorf("Routes[loop] = %d, want 11", n)
	}
}

func TestRedirectScheme(t *testing.T) {
	s := startSite(t, Options{})
	for _, tc := range []struct{ query, loc string }{
		{"", "file:///etc/passwd"},
		{"?to=file:///etc/passwd", "file:///etc/passwd"},
		{"?to=ftp://127.0.0.1/file.txt", "ftp://127.0.0.1/file.txt"},
		{"?to=gopher://127.0.0.1/", "gopher://127.0.0.1/"},
	} {
		resp, _ := do(t, newClient(t, noFollow), "GET", s.URL()+"/redirect-scheme"+tc.query)
		if resp.StatusCode != 302 || resp.Header.Get("Location") != tc.loc {
			t.Errorf("%q: status %d, Location %q", tc.query, resp.StatusCode, resp.Header.Get("Location"))
		}
		_, _, err := tryDo(newClient(t), "GET", s.URL()+"/redirect-scheme"+tc.query)
		if err == nil || !strings.Contains(err.Error(), "unsupported protocol scheme") {
			t.Errorf("%q followed: %v, want unsupported protocol scheme", tc.query, err)
		}
	}
	if n := s.Hits("/redirect-scheme"); n != 8 {
		t.Errorf("Hits = %d, want 8", n)
	}
}

func TestNoTitle(t *testing.T) {
	s := startSite(t, Options{})
	resp, body := do(t, newClient(t), "GET", s.URL()+"/notitle")
	if resp.StatusCode != 200 || strings.Contains(body, "<title") || !strings.Contains(body, "<head>") ||
		resp.Header.Get("Content-Type") != "text/html; charset=utf-8" || resp.ContentLength != int64(len(body)) {
		t.Errorf("status %d, body %q", resp.StatusCode, body)
	}
	if n := s.Stats().Routes["notitle"]; n != 1 {
		t.Errorf("Routes[notitle] = %d", n)
	}
}
