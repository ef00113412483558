package demosite

// The routes for the cases peers' users filed against title extraction
// and virtual hosts: /doc/<name> and /vhost/<name>.

import (
	"net/http"
	"net/url"
)

// docs are the documents /doc/<name> serves, each with its Content-Type.
var docs = map[string]struct{ contentType, body string }{
	// An icon's <title> in the body is not the page's title.
	"svg-title": {"text/html; charset=utf-8", `<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>` +
		`<svg viewBox="0 0 1 1"><title>Icon</title></svg><p>A page whose only title is an icon's.</p></body></html>` + "\n"},
	// A <title> after the body started is not in the head either.
	"body-title": {"text/html; charset=utf-8", `<!DOCTYPE html><html><head></head><body><p>Text</p><title>In the body</title></body></html>` + "\n"},
	// After </head> but before <body>: the HTML parser puts it in the head.
	"after-head": {"text/html; charset=utf-8", `<!DOCTYPE html><html><head></head><title>After head</title><body></body></html>` + "\n"},
	// The title after an SVG icon in the head: the <svg> ends the head.
	"svg-then-title": {"text/html; charset=utf-8", `<!DOCTYPE html><html><head><svg><title>Icon</title></svg><title>Late</title></head><body></body></html>` + "\n"},
	// A JSON body that happens to look like a title.
	"json": {"application/json", `<title>Not a page</title>` + "\n"},
	// Plain text, the same.
	"text": {"text/plain; charset=utf-8", `<title>Not a page</title>` + "\n"},
	// XHTML served as such: a page.
	"xhtml": {"application/xhtml+xml; charset=utf-8", `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<html xmlns="http://www.w3.org/1999/xhtml"><head><title>XHTML page</title></head><body><p>XHTML</p></body></html>` + "\n"},
}

func serveDoc(_ *Site, w http.ResponseWriter, _ *http.Request, name string, _ url.Values) {
	d, ok := docs[name]
	if !ok {
		writePage(w, http.StatusNotFound, "No such document", "", "The demo site has no document of that name.")
		return
	}
	writeBody(w, http.StatusOK, []string{d.contentType}, []byte(d.body))
}

// serveVhost answers 200 with a page titled "<name> (virtual host)" when
// the request's Host is name, else 404: a server with virtual hosts, for
// curl's -H "Host: name".
func serveVhost(_ *Site, w http.ResponseWriter, r *http.Request, name string, _ url.Values) {
	if r.Host != name {
		writePage(w, http.StatusNotFound, "Unknown host "+r.Host, "", "This server has no virtual host of that name.")
		return
	}
	writePage(w, http.StatusOK, name, " (virtual host)", "Served for the Host header the request carried.")
}
