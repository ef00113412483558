package download

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxNameLen is the longest file or directory name FileName makes, in
// bytes: below the 255-byte limit of common file systems, with room for
// the marks added to settle a clash.
const MaxNameLen = 200

// maxPathLen is the longest relative path FileName makes, in bytes; a
// longer one is flattened (see FileName).
const maxPathLen = 1024

// hashLen is the length of the hash suffix, in hex digits (64 bits).
const hashLen = 16

// FileName returns the path, relative to the download directory, that a
// download of raw is saved to. It mirrors the URL as wget -x does:
// HOST[_PORT]/path/to/page, the port only when it is not the scheme's
// default, each path segment percent-decoded, so that
// http://127.0.0.1:8080/wiki/Page_1 is saved as 127.0.0.1_8080/wiki/Page_1.
//
// Safety: every name is escaped. Bytes outside ASCII letters, digits,
// "-._=,+!()&" and Unicode letters, digits and marks are written %XX
// (so '/', '\', ':', '*', '?', '%', '~', '@', control characters and
// invalid UTF-8 never appear raw); a leading '.' (so never "." or ".."),
// a trailing '.' and a Windows device name (CON, NUL, COM1...) are escaped
// too, and '_' in the host. The path is relative and stays inside the
// directory.
//
// Collisions: distinct URLs get distinct names, except URLs that name the
// same page: the scheme, the user information and the fragment are not
// part of the name (http://h/p, https://h/p and https://h/p#top share
// h/p), nor percent-encoding of characters that need none (/caf%C3%A9 and
// /café). Escaping is reversible; beyond it:
//   - a path ending in '/' (or empty) is saved as index.html in its
//     directory, and a literal last segment "index.html" as index%2Ehtml;
//   - an empty segment ("a//b") is "~";
//   - a query is added to the last segment after '@', wget's Windows
//     form: search@q=1%26n=2 (the raw query, escaped);
//   - a name longer than MaxNameLen is cut, and "~" and 16 hex digits of a
//     hash of the whole segment added (before a short extension); a path
//     longer than 1024 bytes becomes HOST/<its last segment, cut>~<hash
//     of the URL>;
//   - a page whose path is also another page's directory (/docs and
//     /docs/intro): whichever comes second gets the name with "@" added
//     (docs@, the file or the directory): see Get. wget instead deletes the
//     file to make the directory, or saves the file as docs.1.
//
// A string that is not an http(s) URL with a host gets "invalid~<hash>".
func FileName(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.Opaque != "" {
		return "invalid~" + hash(raw)
	}
	return filepath.FromSlash(mirrorPath(u))
}

// mirrorPath is FileName with '/' as the separator.
func mirrorPath(u *url.URL) string {
	var b strings.Builder
	host := asciiLower(u.Hostname())
	escapeHost(&b, host)
	if port := u.Port(); port != "" && !(port == "80" && u.Scheme == "http") && !(port == "443" && u.Scheme == "https") {
		b.WriteByte('_')
		escape(&b, port)
	}
	root := shorten(fixName(b.String()), u.Host)
	segs := strings.Split(strings.TrimPrefix(u.EscapedPath(), "/"), "/")
	names := make([]string, 0, len(segs)+1)
	names = append(names, root)
	for i, s := range segs {
		last := i == len(segs)-1
		if d, err := url.PathUnescape(s); err == nil {
			s = d
		}
		var name string
		switch {
		case last && s == "":
			name = "index.html"
		case last && s == "index.html":
			name = "index%2Ehtml"
		case s == "":
			name = "~"
		default:
			var nb strings.Builder
			escape(&nb, s)
			name = fixName(nb.String())
		}
		if last && u.RawQuery != "" {
			var nb strings.Builder
			escape(&nb, u.RawQuery)
			name += "@" + nb.String()
			if strings.HasSuffix(name, ".") { // a query ending in '.': "x@." would lose it on Windows
				name = name[:len(name)-1] + "%2E"
			}
		}
		names = append(names, shorten(name, s+"?"+u.RawQuery))
	}
	p := strings.Join(names, "/")
	if len(p) <= maxPathLen {
		return p
	}
	// Flattened: the host, and the last segment cut, with a hash of the
	// whole URL.
	last := names[len(names)-1]
	ext := extension(last)
	return root + "/" + truncate(last[:len(last)-len(ext)], 100) + "~" + hash(u.String()) + ext
}

// shorten returns name if it fits in MaxNameLen, else name cut, with "~"
// and a hash of what it was made from, keeping a short extension.
func shorten(name, from string) string {
	if len(name) <= MaxNameLen {
		return name
	}
	ext := extension(name)
	return truncate(name[:len(name)-len(ext)], MaxNameLen-len(ext)-1-hashLen) + "~" + hash(from) + ext
}

// asciiLower lowercases ASCII letters only: host names are
// case-insensitive, and other bytes (invalid UTF-8 included) stay as
// they are, to be escaped.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func hash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:hashLen]
}

func safe(r rune) bool {
	switch {
	case r < utf8.RuneSelf:
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || strings.ContainsRune("-._=,+!()&", r)
	case r == utf8.RuneError:
		return false
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
}

const hexDigits = "0123456789ABCDEF"

func escapeByte(b *strings.Builder, c byte) {
	b.WriteByte('%')
	b.WriteByte(hexDigits[c>>4])
	b.WriteByte(hexDigits[c&15])
}

// escape writes s with every rune outside the safe set written %XX per byte.
func escape(b *strings.Builder, s string) {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if safe(r) {
			b.WriteString(s[i : i+n])
		} else {
			for j := range n {
				escapeByte(b, s[i+j])
			}
		}
		i += n
	}
}

// escapeHost is escape with '_' escaped too: it separates the port.
func escapeHost(b *strings.Builder, host string) {
	for {
		part, rest, found := strings.Cut(host, "_")
		escape(b, part)
		if !found {
			return
		}
		escapeByte(b, '_')
		host = rest
	}
}

var reserved = map[string]bool{"CON": true, "PRN": true, "AUX": true, "NUL": true, "CONIN$": true, "CONOUT$": true}

func init() {
	for _, d := range []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "¹", "²", "³"} {
		reserved["COM"+d] = true
		reserved["LPT"+d] = true
	}
}

// fixName escapes what is safe inside a name but not at its ends: a
// leading '.' (hidden files, "." and ".."), a trailing '.' (dropped by
// Windows), a Windows device name before the first '.'.
func fixName(name string) string {
	if name == "" {
		return name
	}
	base, _, _ := strings.Cut(name, ".")
	if reserved[strings.ToUpper(base)] || strings.HasPrefix(name, ".") {
		var b strings.Builder
		escapeByte(&b, name[0])
		name = b.String() + name[1:]
	}
	if strings.HasSuffix(name, ".") {
		name = name[:len(name)-1] + "%2E"
	}
	return name
}

// extension returns name's short alphanumeric extension (".html"), or "".
func extension(name string) string {
	i := strings.LastIndexByte(name, '.')
	if i <= 0 || len(name)-i > 9 || len(name)-i < 2 {
		return ""
	}
	for _, c := range name[i+1:] {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return ""
		}
	}
	return name[i:]
}

// truncate cuts name to at most n bytes, neither inside a %XX escape nor
// inside a UTF-8 sequence, and not after a '.'.
func truncate(name string, n int) string {
	if n < 0 {
		n = 0
	}
	if len(name) <= n {
		return name
	}
	name = name[:n]
	if i := strings.LastIndexByte(name, '%'); i >= 0 && i > len(name)-3 {
		name = name[:i]
	}
	for len(name) > 0 && !utf8.ValidString(name) {
		name = name[:len(name)-1]
	}
	return strings.TrimRight(name, ".")
}
