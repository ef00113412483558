// Package demosite is a simulated website on loopback: the Wikipedia of the
// tutorials fanout started from, plus every misbehaviour a URL checker must
// survive. fanout's tests and benchmarks, and `fanout demo`, run against it,
// since they must not touch the network.
//
//	site, err := demosite.Start(demosite.Options{Latency: 20 * time.Millisecond})
//	if err != nil { ... }
//	defer site.Close()
//	resp, err := http.Get(site.WikiURL("Ocean")) // 200, <title>Ocean - Wikipedia</title>
//	n := site.Hits("/wiki/Ocean")                 // 1
//
// The site listens on loopback only (127.0.0.1 unless Options.Addr says
// otherwise) and uses the standard library only. Close ends every request in
// flight, the endless and hanging ones included, and waits for their
// handlers.
//
// # Routes
//
// Every route but the index first waits Options.Latency, or the duration of
// its ?latency= query parameter (?latency=250ms), and answers GET and HEAD
// (HEAD gets the same headers and no body); other methods get 405. Sizes
// (size=, send=, after=, offset=) take size.Parse values such as 512, 10KB,
// 2MB, 10GB or 1MiB; durations take time.ParseDuration values. A malformed
// parameter answers 400 with a plain-text reason. The name in parentheses
// is the route's key in Stats.Routes.
//
//   - / (index): an HTML page listing the routes, for `fanout demo serve`.
//   - /wiki/<name> (wiki): 200 with a small page titled "<name> - Wikipedia"
//     (the name HTML-escaped, underscores kept), Content-Type
//     text/html; charset=utf-8 and a Content-Length. A name containing
//     "this_page_does_not_exist" answers 404 with the same kind of page, as
//     Wikipedia does. This is the fast path: in the steady state the
//     site's own work (routing, statistics, the page) allocates nothing,
//     so the server costs what net/http costs.
//   - /status/<code> (status): that status (200-599), with a small page;
//     ?retry_after=N adds "Retry-After: N", sent as given (so an HTTP-date
//     or a malformed value can be tested too). Meant for 429 and 503, but
//     honoured on any code.
//   - /flaky/<key>?fail=N&code=C&retry_after=R (flaky): the first N (default
//     1) requests for key answer C (default 503, with Retry-After: R if
//     given), the later ones 200 with the page titled "<key> - Wikipedia".
//     The count is per key, whatever the query; ResetFlaky forgets it.
//   - /method/<name> (method): 200 page to GET; 405 with "Allow: GET" to
//     HEAD, or the status of ?head= (e.g. ?head=501): a HEAD-to-GET
//     fallback test. Other methods get 405.
//   - /redirect/<n>?to=URL&code=C (redirect): a chain of n redirects with
//     status C (default 302): /redirect/n points to /redirect/n-1 with the
//     same query, and /redirect/1 to URL (default /wiki/Redirected), given
//     as is, relative or absolute.
//   - /loop (loop): a 302 to itself (query kept), forever.
//   - /redirect-scheme?to=URL (redirect-scheme): a 302 to URL, default
//     file:///etc/passwd; use ftp://127.0.0.1/x and the like for other
//     schemes. A client must refuse to follow, not fetch.
//   - /slow-headers?delay=D (slow-headers): waits D (default 5s), then
//     answers 200.
//   - /trickle?interval=D (trickle): hijacks the connection and sends a
//     complete response (status line, headers, body) one byte per interval
//     (default 1s): per-read timeouts never fire, only an overall deadline
//     does.
//   - /hang (hang): reads the request and never answers, until the client
//     goes away or the site closes; then the connection is closed.
//   - /endless?interval=D (endless): 200 with a chunked body that never
//     ends (its title, "Endless", comes first); with ?interval=, the
//     title is flushed at once and one short line follows per interval
//     (a slow endless body).
//   - /big?size=S&send=N&then=close|hang (big): announces Content-Length S
//     (default 10GB), sends N bytes (default 1KB, title "Big"), then closes
//     the connection (then=close, the default) or stalls (then=hang).
//   - /reset?after=N (reset): resets the connection (TCP RST): without
//     ?after before any response, with ?after=N after the headers and N
//     body bytes (of a larger Content-Length).
//   - /chunked-bad (chunked-bad): a chunked body whose first chunk is
//     "<html><head>" and whose next chunk size is "zz", then the connection
//     closes.
//   - /charset/<enc>?via=header|meta|http-equiv|both|none|wrong-header
//     (charset): a page whose title is a non-ASCII word in the encoding
//     enc, declared in the Content-Type header (the default), a <meta
//     charset>, a <meta http-equiv="Content-Type">, header and <meta
//     charset>, or not at all; wrong-header has the header say UTF-8 and
//     only the <meta charset> tell the truth (httpx #652).
//     Charsets lists the encodings and their titles.
//   - /notitle (notitle): a page without a title element.
//   - /bigtitle?size=S (bigtitle): a page whose title element holds S bytes
//     (default 10MB) of "big title big title ...", streamed.
//   - /late-title?offset=O (late-title): a page whose <title> starts at
//     byte O (default 2MB), after a long script in the head; the title is
//     "Late title".
//   - /gzip (gzip): a page titled "Gzipped page", Content-Encoding: gzip
//     whatever the request's Accept-Encoding.
//   - /gzip?bomb=1&size=S (gzip): a gzip bomb: a valid gzip stream of
//     about S/1000 bytes (with a Content-Length) that decodes to
//     "<!DOCTYPE html>\n<html><head>", S spaces (default 10GB), then a
//     title. It is assembled from pieces compressed once, so serving it
//     costs the server no compression.
//   - /doc/<name> (doc): a fixed document with its own Content-Type, for
//     title extraction: svg-title (the only <title> is an SVG icon's, in
//     the body), body-title (a <title> in the body), after-head (a <title>
//     between </head> and <body>, which the HTML parser puts in the head),
//     svg-then-title (an <svg> in the head, then a <title>), json and text
//     (a "<title>" served as application/json and text/plain), xhtml
//     (application/xhtml+xml with a title).
//   - /vhost/<name> (vhost): 200 with a page titled "<name> (virtual
//     host)" when the request's Host is name, else 404: a server with
//     virtual hosts.
//   - anything else (notfound): 404 with an HTML page.
//
// # Statistics
//
// Stats counts requests, in total and per route; Hits and Path tell what
// one path received (count, last method, User-Agent and headers, recent
// arrival times and their rate), Traffic the same over the whole site.
// Tests use them to check retries, fallbacks and rate limits as the server
// saw them.
package demosite
