package links

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"path"
	"path/filepath"
	"strings"
)

// ErrRootRelative is the Err of a root-relative link (/x) in a local file
// when Options.RootDir is not set: nothing says where "/" is on disk.
var ErrRootRelative = errors.New("root-relative link in a local file needs a root directory")

// errStopped ends an extractor when the consumer stops the iteration.
var errStopped = errors.New("stopped")

// resolver turns a link as written into a Link, relative to its document.
type resolver struct {
	base    *url.URL // the document's URL (file:///abs/path for a local file), or its <base>
	local   bool     // the document is a local file
	root    string   // Options.RootDir
	site    *url.URL // Options.BaseURL, for a local file
	baseSet bool     // a <base href> was seen: later ones are ignored, as browsers do
}

func newResolver(src Source, root string) (*resolver, error) {
	if src.URL != nil {
		b := *src.URL
		b.Fragment, b.RawFragment = "", ""
		return &resolver{base: &b}, nil
	}
	if src.Path == "" {
		return nil, errors.New("links: a Source needs a Path or a URL")
	}
	abs, err := filepath.Abs(src.Path)
	if err != nil {
		return nil, err
	}
	if root != "" {
		if root, err = filepath.Abs(root); err != nil {
			return nil, err
		}
	}
	return &resolver{base: fileURL(abs), local: true, root: root}, nil
}

func fileURL(abs string) *url.URL {
	p := filepath.ToSlash(abs)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // a Windows drive path
	}
	return &url.URL{Scheme: "file", Path: p}
}

// setBase honours the first <base href>: later relative links resolve
// against it (muffet#30). A base that does not resolve is ignored, as
// browsers fall back to the document's URL.
func (r *resolver) setBase(raw string) {
	if r.baseSet {
		return
	}
	r.baseSet = true
	u, err := r.absolute(cleanRef(raw))
	if err != nil || u == nil {
		return
	}
	u.Fragment, u.RawFragment = "", ""
	r.base = u
}

// resolve classifies one link. ok is false for an empty link (href=""),
// which points at the document itself and is no link to check (muffet's
// link_finder_test).
//
// A template's placeholder ({{.URL}}, {% url 'x' %}, ${url}) is no link
// either: the page a reader sees holds what the template puts there.
func (r *resolver) resolve(raw string) (Link, bool) {
	ref := cleanRef(raw)
	if ref == "" || isTemplate(ref) {
		return Link{}, false
	}
	l := Link{Raw: ref}
	if s := scheme(ref); s != "" {
		l.Scheme = strings.ToLower(s)
		switch l.Scheme {
		case "http", "https":
		case "file":
			if !r.local {
				// A page cannot send a reader to our disk.
				l.Kind = Skipped
				return l, true
			}
		default:
			l.Kind = Skipped
			return l, true
		}
	}
	u, err := r.absolute(ref)
	if err != nil {
		l.Kind, l.Err = Invalid, err
		return l, true
	}
	l.Scheme = u.Scheme
	switch u.Scheme {
	case "http", "https":
		if u.Host == "" {
			l.Kind, l.Err = Invalid, fmt.Errorf("%s URL without a host", u.Scheme)
			return l, true
		}
		l.Kind = HTTP
		l.Target, l.Fragment = normalize(u)
	case "file":
		if u.Host != "" && u.Host != "localhost" {
			l.Kind, l.Err = Invalid, fmt.Errorf("file URL on another host %q", u.Host)
			return l, true
		}
		if u.Opaque != "" || !strings.HasPrefix(u.Path, "/") {
			l.Kind, l.Err = Invalid, errors.New("file URL without an absolute path")
			return l, true
		}
		l.Kind = File
		l.Scheme = ""
		if scheme(ref) != "" {
			l.Scheme = "file"
		}
		l.Target = filepath.FromSlash(path.Clean(u.Path))
		l.Fragment = u.Fragment
	default:
		// A relative link against a base of another scheme (<base href="ftp:...">).
		l.Kind = Skipped
	}
	return l, true
}

func isTemplate(ref string) bool {
	return strings.Contains(ref, "{{") || strings.Contains(ref, "{%") || strings.Contains(ref, "${")
}

// absolute resolves ref against the current base. The result is a fresh URL.
func (r *resolver) absolute(ref string) (*url.URL, error) {
	u, err := url.Parse(fixPercent(ref))
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		if strings.Contains(err.Error(), "first path segment in URL cannot contain colon") {
			// Go's words for "(https://x" or "\u200bhttps://x": say
			// what is wrong in the link (issue 24.12).
			err = fmt.Errorf("not a URL: %q before the first ':' is no scheme (a stray character before it?); a path with a colon needs ./ before it", strings.SplitN(ref, ":", 2)[0])
		}
		return nil, err
	}
	if r.base.Scheme == "file" && u.Scheme == "" {
		switch {
		case u.Host != "":
			// Protocol-relative (//host/x): a local document is rendered
			// somewhere on the web, and that is https today.
			u.Scheme = "https"
			return u, nil
		case strings.HasPrefix(u.Path, "/") && r.site != nil:
			// On the site the files are served from (--base-url): what
			// a browser there would ask for.
			return r.site.ResolveReference(u), nil
		case strings.HasPrefix(u.Path, "/"):
			if r.root == "" {
				return nil, ErrRootRelative
			}
			// path.Clean on a rooted path cannot climb above the root,
			// as a browser cannot climb above a site's "/".
			p := filepath.Join(r.root, filepath.FromSlash(path.Clean(u.Path)))
			v := fileURL(p)
			v.Fragment = u.Fragment
			return v, nil
		}
	}
	return r.base.ResolveReference(u), nil
}

// cleanRef strips what a browser strips from a URL attribute before parsing:
// leading and trailing ASCII whitespace and C0 controls, and any tab or
// newline inside (WHATWG URL parsing).
func cleanRef(s string) string {
	s = strings.TrimFunc(s, func(r rune) bool { return r <= ' ' })
	if strings.ContainsAny(s, "\t\n\r") {
		s = strings.NewReplacer("\t", "", "\n", "", "\r", "").Replace(s)
	}
	return s
}

// scheme returns the scheme of an absolute URL (without the colon), or "".
func scheme(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z':
		case '0' <= c && c <= '9' || c == '+' || c == '-' || c == '.':
			if i == 0 {
				return ""
			}
		case c == ':':
			if i == 0 {
				return ""
			}
			return s[:i]
		default:
			return ""
		}
	}
	return ""
}

// fixPercent escapes a '%' that does not start a %XX escape, as a browser
// keeps it literally where url.Parse would fail ("100%.md").
func fixPercent(s string) string {
	i := strings.IndexByte(s, '%')
	if i < 0 {
		return s
	}
	var b strings.Builder
	for ; i >= 0; i = strings.IndexByte(s, '%') {
		b.WriteString(s[:i+1])
		if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
			b.WriteString("25")
		}
		s = s[i+1:]
	}
	b.WriteString(s)
	return b.String()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// NormalizeURL gives the Target and Fragment an HTTP link to raw would have,
// so a URL named on the command line (a crawl's start page) and the same URL
// found in a document are one target.
func NormalizeURL(raw string) (target, fragment string, err error) {
	u, err := url.Parse(fixPercent(cleanRef(raw)))
	if err != nil {
		return "", "", err
	}
	if s := strings.ToLower(u.Scheme); s != "http" && s != "https" || u.Host == "" {
		return "", "", fmt.Errorf("not an absolute http(s) URL: %q", raw)
	}
	target, fragment = normalize(u)
	return target, fragment, nil
}

// normalize renders u as a dedup key: lowercase scheme and host, no default
// port, "/" for an empty path, no fragment (returned apart).
func normalize(u *url.URL) (target, fragment string) {
	v := *u
	v.Scheme = strings.ToLower(v.Scheme)
	host, port := strings.ToLower(v.Hostname()), v.Port()
	if port == "" || v.Scheme == "http" && port == "80" || v.Scheme == "https" && port == "443" {
		if strings.Contains(host, ":") {
			host = "[" + host + "]"
		}
		v.Host = host
	} else {
		v.Host = net.JoinHostPort(host, port)
	}
	if v.Path == "" && v.RawPath == "" && v.Opaque == "" {
		v.Path = "/"
	}
	fragment = v.Fragment
	v.Fragment, v.RawFragment = "", ""
	return v.String(), fragment
}
