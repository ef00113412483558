package download

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxNameLen is the longest file name FileName returns, in bytes: below
// the 255-byte limit of common file systems, with room for the temporary
// file's prefix and suffix.
const MaxNameLen = 200

// hashLen is the length of the hash suffix, in hex digits (64 bits).
const hashLen = 16

// FileName returns the name of the file a download of raw is saved to: one
// path element, never "." or "..", valid UTF-8, at most MaxNameLen bytes,
// safe on Unix and Windows.
//
// The name is the URL's host and path, each path segment decoded, with '_'
// in place of each '/', and every byte outside a small safe set (ASCII
// letters, digits, "-.=,+@!()" and Unicode letters, digits and marks)
// written %XX, so that '_', '%', '~', '/', '\', ':', '?', '*', control
// characters and the like never appear raw. A path that is empty or ends
// in '/' gets "index.html" (and the hash below). A leading '.', a trailing '.', and a
// Windows-reserved device name (CON, NUL, COM1...) before the first '.' are
// escaped too. This readable part is reversible: two URLs with different
// hosts or paths have different readable parts.
//
// The readable part alone is the name only for a plain URL: https, no user
// information, no query, no fragment, a path in canonical form not ending
// in '/', and a name that fits. Any other URL
// (http, a query such as ?a=1, a name too long and truncated) gets "~" and
// 16 hex digits of the SHA-256 of the whole URL string, before the
// extension: 127.0.0.1%3A8080_wiki_Ocean~1f2e3d4c5b6a7988. Since '~' never
// appears raw in a readable part, a plain name never equals a hashed one;
// two plain names differ because the readable part is reversible; two
// hashed names differ unless 64-bit hashes of different URLs collide. A
// string that is not an http(s) URL with a host gets "invalid~<hash>".
func FileName(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" {
		return "invalid~" + hash(raw)
	}
	segs := strings.Split(strings.TrimPrefix(u.EscapedPath(), "/"), "/")
	if segs[len(segs)-1] == "" {
		segs[len(segs)-1] = "index.html"
	}
	var b strings.Builder
	escape(&b, u.Host)
	for _, s := range segs {
		if d, err := url.PathUnescape(s); err == nil {
			s = d
		}
		b.WriteByte('_')
		escape(&b, s)
	}
	name := fixEnds(b.String())
	// Plain: the string is exactly "https://" + host + path, the path in
	// its one canonical encoding (no RawPath: no %2F, no needless escapes),
	// starting with '/' and not ending with one (so "https://h/" and
	// "https://h/index.html" do not share a name).
	plain := u.Scheme == "https" && u.RawPath == "" && strings.HasPrefix(u.Path, "/") && !strings.HasSuffix(u.Path, "/") &&
		raw == "https://"+u.Host+u.EscapedPath() && len(name) <= MaxNameLen
	if plain {
		return name
	}
	// Keep a short extension after the hash, so the file still opens with
	// the right program.
	ext := extension(name)
	name = name[:len(name)-len(ext)]
	if limit := MaxNameLen - len(ext) - 1 - hashLen; len(name) > limit {
		name = truncate(name, limit)
	}
	return name + "~" + hash(raw) + ext
}

func hash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:hashLen]
}

func safe(r rune) bool {
	switch {
	case r < utf8.RuneSelf:
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || strings.ContainsRune("-.=,+@!()", r)
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

var reserved = map[string]bool{"CON": true, "PRN": true, "AUX": true, "NUL": true, "CONIN$": true, "CONOUT$": true}

func init() {
	for _, d := range []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "¹", "²", "³"} {
		reserved["COM"+d] = true
		reserved["LPT"+d] = true
	}
}

// fixEnds escapes what is safe inside a name but not at its ends: a leading
// '.' (hidden files, "." and ".."), a trailing '.' (dropped by Windows), a
// Windows device name before the first '.'.
func fixEnds(name string) string {
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
