package demosite

import (
	"bytes"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
)

// routeID names a route; Stats.Routes counts requests by routeNames.
type routeID uint8

const (
	routeNotFound routeID = iota
	routeIndex
	routeWiki
	routeStatus
	routeFlaky
	routeMethod
	routeRedirect
	routeLoop
	routeRedirectScheme
	routeSlowHeaders
	routeTrickle
	routeHang
	routeEndless
	routeBig
	routeReset
	routeChunkedBad
	routeCharset
	routeNoTitle
	routeBigTitle
	routeLateTitle
	routeGzip
	routeDoc
	routeVhost
	numRoutes
)

var routeNames = [numRoutes]string{
	routeNotFound:       "notfound",
	routeIndex:          "index",
	routeWiki:           "wiki",
	routeStatus:         "status",
	routeFlaky:          "flaky",
	routeMethod:         "method",
	routeRedirect:       "redirect",
	routeLoop:           "loop",
	routeRedirectScheme: "redirect-scheme",
	routeSlowHeaders:    "slow-headers",
	routeTrickle:        "trickle",
	routeHang:           "hang",
	routeEndless:        "endless",
	routeBig:            "big",
	routeReset:          "reset",
	routeChunkedBad:     "chunked-bad",
	routeCharset:        "charset",
	routeNoTitle:        "notitle",
	routeBigTitle:       "bigtitle",
	routeLateTitle:      "late-title",
	routeGzip:           "gzip",
	routeDoc:            "doc",
	routeVhost:          "vhost",
}

// handlerFunc serves one route; arg is the path after "/<route>/" and q the
// parsed query (nil when there is none).
type handlerFunc func(s *Site, w http.ResponseWriter, r *http.Request, arg string, q url.Values)

var handlers = [numRoutes]handlerFunc{
	routeNotFound:       serveNotFound,
	routeIndex:          serveIndex,
	routeWiki:           serveWiki,
	routeStatus:         serveStatus,
	routeFlaky:          serveFlaky,
	routeMethod:         serveMethod,
	routeRedirect:       serveRedirect,
	routeLoop:           serveLoop,
	routeRedirectScheme: serveRedirectScheme,
	routeSlowHeaders:    serveSlowHeaders,
	routeTrickle:        serveTrickle,
	routeHang:           serveHang,
	routeEndless:        serveEndless,
	routeBig:            serveBig,
	routeReset:          serveReset,
	routeChunkedBad:     serveChunkedBad,
	routeCharset:        serveCharset,
	routeNoTitle:        serveNoTitle,
	routeBigTitle:       serveBigTitle,
	routeLateTitle:      serveLateTitle,
	routeGzip:           serveGzip,
	routeDoc:            serveDoc,
	routeVhost:          serveVhost,
}

// route classifies a URL path without allocating.
func route(p string) (routeID, string) {
	if p == "/" {
		return routeIndex, ""
	}
	if len(p) < 2 || p[0] != '/' {
		return routeNotFound, ""
	}
	seg, arg, hasArg := strings.Cut(p[1:], "/")
	var rt routeID
	switch seg {
	case "wiki":
		rt = routeWiki
	case "status":
		rt = routeStatus
	case "flaky":
		rt = routeFlaky
	case "method":
		rt = routeMethod
	case "redirect":
		rt = routeRedirect
	case "charset":
		rt = routeCharset
	case "doc":
		rt = routeDoc
	case "vhost":
		rt = routeVhost
	default:
		if hasArg {
			return routeNotFound, ""
		}
		switch seg {
		case "loop":
			return routeLoop, ""
		case "redirect-scheme":
			return routeRedirectScheme, ""
		case "slow-headers":
			return routeSlowHeaders, ""
		case "trickle":
			return routeTrickle, ""
		case "hang":
			return routeHang, ""
		case "endless":
			return routeEndless, ""
		case "big":
			return routeBig, ""
		case "reset":
			return routeReset, ""
		case "chunked-bad":
			return routeChunkedBad, ""
		case "notitle":
			return routeNoTitle, ""
		case "bigtitle":
			return routeBigTitle, ""
		case "late-title":
			return routeLateTitle, ""
		case "gzip":
			return routeGzip, ""
		}
		return routeNotFound, ""
	}
	if !hasArg || (arg == "" && rt != routeWiki) {
		return routeNotFound, ""
	}
	return rt, arg
}

// Header values shared by every response: net/http only reads them, and
// assigning a shared slice saves an allocation per request.
var (
	htmlType      = []string{"text/html; charset=utf-8"}
	htmlNoCharset = []string{"text/html"}
	textType      = []string{"text/plain; charset=utf-8"}
	allowGetHead  = []string{"GET, HEAD"}
	allowGet      = []string{"GET"}
	gzipEncoding  = []string{"gzip"}
	varyEncoding  = []string{"Accept-Encoding"}
	zeroLength    = []string{"0"}
)

// contentLengths holds the Content-Length header values of small bodies.
var contentLengths = sync.OnceValue(func() [][]string {
	const n = 4096
	vals := make([]string, n)
	slices := make([][]string, n)
	for i := range vals {
		vals[i] = strconv.Itoa(i)
		slices[i] = vals[i : i+1 : i+1]
	}
	return slices
})

func contentLength(n int64) []string {
	if n >= 0 && n < 4096 {
		return contentLengths()[n]
	}
	return []string{strconv.FormatInt(n, 10)}
}

var pagePool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

const wikiSuffix = " - Wikipedia"

// writePage answers code with a small HTML page whose title and heading
// are the HTML-escaped name followed by suffix, and whose paragraph is
// text (HTML, not escaped). It allocates nothing in the common case.
func writePage(w http.ResponseWriter, code int, name, suffix, text string) {
	bp := pagePool.Get().(*[]byte)
	b := append((*bp)[:0], "<html><head><title>"...)
	b = appendEscaped(b, name)
	b = append(b, suffix...)
	b = append(b, "</title></head><body><h1>"...)
	b = appendEscaped(b, name)
	b = append(b, suffix...)
	b = append(b, "</h1><p>"...)
	b = append(b, text...)
	b = append(b, "</p></body></html>\n"...)
	writeBody(w, code, htmlType, b)
	if cap(b) <= 64<<10 {
		*bp = b
		pagePool.Put(bp)
	}
}

// writeBody answers code with body, announcing its length.
func writeBody(w http.ResponseWriter, code int, contentType []string, body []byte) {
	h := w.Header()
	h["Content-Type"] = contentType
	h["Content-Length"] = contentLength(int64(len(body)))
	w.WriteHeader(code)
	_, _ = w.Write(body)
}

// writeText answers code with a plain-text message: the site's answer to a
// malformed request.
func writeText(w http.ResponseWriter, code int, msg string) {
	h := w.Header()
	h["Content-Type"] = textType
	h["Content-Length"] = contentLength(int64(len(msg)))
	w.WriteHeader(code)
	_, _ = w.Write([]byte(msg))
}

func badParam(w http.ResponseWriter, name string, err error) {
	writeText(w, http.StatusBadRequest, name+": "+err.Error()+"\n")
}

// appendEscaped appends s to b, HTML-escaped.
func appendEscaped(b []byte, s string) []byte {
	if !strings.ContainsAny(s, `<>&'"`) {
		return append(b, s...)
	}
	return append(b, html.EscapeString(s)...)
}

// wikiMissing is what a page name contains to answer 404.
const wikiMissing = "this_page_does_not_exist"

func serveWiki(_ *Site, w http.ResponseWriter, _ *http.Request, name string, _ url.Values) {
	if name == "" || strings.Contains(name, wikiMissing) {
		writePage(w, http.StatusNotFound, name, wikiSuffix, "Wikipedia does not have an article with this exact name.")
		return
	}
	writePage(w, http.StatusOK, name, wikiSuffix, "This page of the demo site stands in for the Wikipedia article.")
}

func serveNotFound(_ *Site, w http.ResponseWriter, _ *http.Request, _ string, _ url.Values) {
	writePage(w, http.StatusNotFound, "Not found", "", `The demo site has no such page; <a href="/">the index</a> lists its routes.`)
}

func serveStatus(_ *Site, w http.ResponseWriter, _ *http.Request, arg string, q url.Values) {
	code, err := strconv.Atoi(arg)
	if err != nil || code < 200 || code > 599 {
		writeText(w, http.StatusBadRequest, "status: want a code from 200 to 599, got "+strconv.Quote(arg)+"\n")
		return
	}
	if ra := q.Get("retry_after"); ra != "" {
		w.Header()["Retry-After"] = []string{ra}
	}
	if code == http.StatusNoContent || code == http.StatusNotModified {
		w.WriteHeader(code)
		return
	}
	writePage(w, code, strconv.Itoa(code)+" "+http.StatusText(code), "", "The demo site answered with this status on request.")
}

func serveFlaky(s *Site, w http.ResponseWriter, _ *http.Request, key string, q url.Values) {
	fail, err := intParam(q, "fail", 1, 0, 1<<30)
	if err != nil {
		badParam(w, "fail", err)
		return
	}
	code, err := intParam(q, "code", http.StatusServiceUnavailable, 200, 599)
	if err != nil {
		badParam(w, "code", err)
		return
	}
	s.mu.Lock()
	n := s.flaky[key]
	s.flaky[key] = n + 1
	s.mu.Unlock()
	if n < fail {
		if ra := q.Get("retry_after"); ra != "" {
			w.Header()["Retry-After"] = []string{ra}
		}
		writePage(w, code, key, wikiSuffix, fmt.Sprintf("Failure %d of %d: try again.", n+1, fail))
		return
	}
	writePage(w, http.StatusOK, key, wikiSuffix, fmt.Sprintf("Succeeded after %d failures.", fail))
}

func serveMethod(_ *Site, w http.ResponseWriter, r *http.Request, name string, q url.Values) {
	switch r.Method {
	case http.MethodGet:
		writePage(w, http.StatusOK, name, wikiSuffix, "This page answers GET only.")
	case http.MethodHead:
		code, err := intParam(q, "head", http.StatusMethodNotAllowed, 400, 599)
		if err != nil {
			badParam(w, "head", err)
			return
		}
		if code == http.StatusMethodNotAllowed {
			w.Header()["Allow"] = allowGet
		}
		writePage(w, code, strconv.Itoa(code)+" "+http.StatusText(code), "", "HEAD is refused here: use GET.")
	default:
		w.Header()["Allow"] = allowGet
		writeText(w, http.StatusMethodNotAllowed, "method "+r.Method+" not allowed: use GET\n")
	}
}

// defaultRedirectTarget is where /redirect/<n> ends without ?to=.
const defaultRedirectTarget = "/wiki/Redirected"

func serveRedirect(_ *Site, w http.ResponseWriter, r *http.Request, arg string, q url.Values) {
	n, err := strconv.Atoi(arg)
	if err != nil || n < 1 {
		writeText(w, http.StatusBadRequest, "redirect: want /redirect/<n> with n >= 1, got "+strconv.Quote(arg)+"\n")
		return
	}
	code, err := intParam(q, "code", http.StatusFound, 300, 399)
	if err != nil {
		badParam(w, "code", err)
		return
	}
	loc := q.Get("to")
	if loc == "" {
		loc = defaultRedirectTarget
	}
	if n > 1 {
		loc = "/redirect/" + strconv.Itoa(n-1)
		if r.URL.RawQuery != "" {
			loc += "?" + r.URL.RawQuery
		}
	}
	redirect(w, code, loc)
}

func serveLoop(_ *Site, w http.ResponseWriter, r *http.Request, _ string, _ url.Values) {
	loc := "/loop"
	if r.URL.RawQuery != "" {
		loc += "?" + r.URL.RawQuery
	}
	redirect(w, http.StatusFound, loc)
}

// defaultSchemeTarget is where /redirect-scheme points without ?to=.
const defaultSchemeTarget = "file:///etc/passwd"

func serveRedirectScheme(_ *Site, w http.ResponseWriter, _ *http.Request, _ string, q url.Values) {
	loc := q.Get("to")
	if loc == "" {
		loc = defaultSchemeTarget
	}
	redirect(w, http.StatusFound, loc)
}

// redirect answers code with Location loc, as given, and an empty body.
func redirect(w http.ResponseWriter, code int, loc string) {
	h := w.Header()
	h["Location"] = []string{loc}
	h["Content-Length"] = zeroLength
	w.WriteHeader(code)
}

var noTitlePage = []byte("<html><head><meta charset=\"utf-8\"></head><body><h1>No title</h1><p>This page has no title element.</p></body></html>\n")

func serveNoTitle(_ *Site, w http.ResponseWriter, _ *http.Request, _ string, _ url.Values) {
	writeBody(w, http.StatusOK, htmlType, noTitlePage)
}

// routeDocs lists the routes on the index page, in order.
var routeDocs = []struct{ example, doc string }{
	{"/wiki/Ocean", "200 page titled \"Ocean - Wikipedia\"; names containing this_page_does_not_exist answer 404"},
	{"/wiki/this_page_does_not_exist", "404 with an HTML body"},
	{"/status/503?retry_after=2", "any status from 200 to 599, with Retry-After if ?retry_after= is given"},
	{"/flaky/key?fail=2&code=429&retry_after=1", "the first fail requests for key answer code, then 200"},
	{"/method/Page", "405 (Allow: GET) to HEAD, 200 to GET; ?head=501 answers 501 to HEAD"},
	{"/redirect/3?to=/wiki/Foo", "a chain of n redirects (?code=301|302|303|307|308) ending at to"},
	{"/loop", "redirects to itself forever"},
	{"/redirect-scheme?to=ftp://127.0.0.1/file", "redirects to another scheme (default file:///etc/passwd)"},
	{"/slow-headers?delay=5s", "waits before sending the response"},
	{"/trickle?interval=1s", "sends the response one byte per interval"},
	{"/hang", "never answers"},
	{"/endless?interval=1s", "200 with a body that never ends (one line per interval, if given)"},
	{"/big?size=10GB&send=1KB&then=close", "announces size bytes, sends a few, then closes (or then=hang)"},
	{"/reset?after=100", "resets the connection, before the response or after that many body bytes"},
	{"/chunked-bad", "a chunked body with a malformed chunk size"},
	{"/charset/shift_jis?via=meta", "a non-ASCII title in a legacy encoding, declared via header, meta, http-equiv, both, none or wrong-header"},
	{"/notitle", "a page without a title element"},
	{"/bigtitle?size=10MB", "a title element that big"},
	{"/late-title?offset=2MB", "the title element starts at that byte offset"},
	{"/gzip", "a gzip-encoded page"},
	{"/gzip?bomb=1&size=10GB", "a gzip bomb: a few MB on the wire, size bytes decoded"},
	{"/doc/svg-title", "fixed documents for title extraction: svg-title, body-title, after-head, svg-then-title, json, text, xhtml"},
	{"/vhost/www.example", "200 when the request's Host is the name, else 404 (virtual hosts)"},
}

var indexPage = sync.OnceValue(func() []byte {
	var b bytes.Buffer
	b.WriteString("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>fanout demo site</title></head><body>\n")
	b.WriteString("<h1>fanout demo site</h1>\n<p>A simulated website for testing URL checkers. Every route but this one waits ?latency= (or the site's default) first.</p>\n<ul>\n")
	for _, d := range routeDocs {
		fmt.Fprintf(&b, "<li><a href=\"%s\">%s</a>: %s</li>\n", html.EscapeString(d.example), html.EscapeString(d.example), html.EscapeString(d.doc))
	}
	for _, c := range charsets {
		fmt.Fprintf(&b, "<li><a href=\"/charset/%s\">/charset/%s</a></li>\n", c.Name, c.Name)
	}
	b.WriteString("</ul>\n</body></html>\n")
	return b.Bytes()
})

func serveIndex(_ *Site, w http.ResponseWriter, _ *http.Request, _ string, _ url.Values) {
	writeBody(w, http.StatusOK, htmlType, indexPage())
}
