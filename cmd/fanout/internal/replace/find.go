package replace

import "bytes"

// finder searches for one literal the way ripgrep's memchr does: it
// scans for the needle's rarest byte (by a rough frequency of bytes in
// source code and prose) with bytes.IndexByte, which is vectorised, and
// compares the needle where that byte sits. bytes.Index scans for the
// needle's first byte instead, so "old_name" in text full of o's stops
// every few bytes: in the 1%-match benchmark that was a third of the time.
// When the rare byte turns out common, it falls back to bytes.Index.
type finder struct {
	needle []byte
	off    int // offset of the rarest byte in needle
}

func newFinder(needle []byte) finder {
	f := finder{needle: needle}
	for i, c := range needle {
		if byteRank(c) < byteRank(needle[f.off]) {
			f.off = i
		}
	}
	return f
}

// index is bytes.Index(s, f.needle).
func (f finder) index(s []byte) int {
	n := len(f.needle)
	if n < 2 || len(s) < 64 {
		return bytes.Index(s, f.needle)
	}
	rare, k := f.needle[f.off], f.off
	fails := 0
	for i := 0; i+n <= len(s); {
		// The rare byte of a match starting at j >= i sits at j+k.
		j := bytes.IndexByte(s[i+k:len(s)-n+k+1], rare)
		if j < 0 {
			return -1
		}
		i += j
		if bytes.Equal(s[i:i+n], f.needle) {
			return i
		}
		i++
		if fails++; fails > 8+i>>4 { // more than one false hit per 16 bytes
			if r := bytes.Index(s[i:], f.needle); r >= 0 {
				return i + r
			}
			return -1
		}
	}
	return -1
}

// byteRank is how common a byte is in text, higher for more common: a
// coarse order (space, then lower-case letters by English frequency with
// line ends, _ and code punctuation among the middling ones, then
// digits, upper case, other bytes), enough to pick a byte that makes few
// false hits.
func byteRank(c byte) int {
	const lower = "etaoinsrhldcumfpgwybvkxjqz" // most common first
	switch {
	case c == ' ':
		return 255
	case c >= 'a' && c <= 'z':
		return 250 - 4*bytes.IndexByte([]byte(lower), c)
	case c == '\n' || c == '\t':
		return 220
	case c == '_' || c == '(' || c == ')' || c == ',' || c == '.' || c == '=' || c == ';' || c == '"' ||
		c == '/' || c == '-' || c == '*' || c == ':' || c == '{' || c == '}' || c == '\'':
		return 200 // in code, as common as a middling letter
	case c < ' ' || c == 0x7f:
		return 0 // control bytes: rare in text
	case c >= '0' && c <= '9':
		return 100
	case c >= 'A' && c <= 'Z':
		return 90 - bytes.IndexByte([]byte(lower), c-'A'+'a')
	case c >= 0x80:
		return 80 // UTF-8: common in some texts, absent in others
	}
	return 40
}
