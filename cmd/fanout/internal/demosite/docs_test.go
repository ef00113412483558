package demosite

import (
	"bufio"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestDocs(t *testing.T) {
	t.Parallel()
	s := startSite(t, Options{})
	c := newClient(t)
	for name, d := range docs {
		resp, body := do(t, c, "GET", s.URL()+"/doc/"+name)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != d.contentType || body != d.body {
			t.Errorf("%s: %d %q %q", name, resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
	}
	if resp, _ := do(t, c, "GET", s.URL()+"/doc/nope"); resp.StatusCode != 404 {
		t.Errorf("unknown document: %d", resp.StatusCode)
	}
}

func TestVhost(t *testing.T) {
	t.Parallel()
	s := startSite(t, Options{})
	c := newClient(t)
	if resp, _ := do(t, c, "GET", s.URL()+"/vhost/www.example"); resp.StatusCode != 404 {
		t.Errorf("without the Host: %d", resp.StatusCode)
	}
	req, _ := http.NewRequest("GET", s.URL()+"/vhost/www.example", nil)
	req.Host = "www.example"
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("with the Host: %d", resp.StatusCode)
	}
}

// /endless?interval= sends the title at once, then a line per interval.
func TestEndlessSlow(t *testing.T) {
	t.Parallel()
	s := startSite(t, Options{})
	c := newClient(t)
	start := time.Now()
	resp, err := c.Get(s.URL() + "/endless?interval=1s")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	r := bufio.NewReader(resp.Body)
	first, err := r.ReadString('\n')
	if err != nil || !strings.Contains(first, "<title>Endless</title>") || time.Since(start) > 800*time.Millisecond {
		t.Fatalf("first line %q after %v, %v", first, time.Since(start), err)
	}
	for range 2 {
		if line, err := r.ReadString('\n'); err != nil || line != endlessLine {
			t.Fatalf("line %q, %v", line, err)
		}
	}
	if el := time.Since(start); el < 2*time.Second {
		t.Fatalf("two lines came in %v, want one per second", el)
	}
}
