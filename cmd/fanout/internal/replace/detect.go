package replace

import (
	"bytes"
	"unicode/utf8"
)

// SniffLen is how much of a file's start is searched for a NUL byte to call
// it binary (as git and ripgrep do).
const SniffLen = 8 << 10

// Reasons a file is skipped rather than edited.
const (
	SkipBinary     = "binary"           // a NUL byte in the first SniffLen bytes, or anywhere in a file with a match
	SkipUTF16      = "UTF-16 or UTF-32" // by its byte order mark; not supported
	SkipInvalid    = "invalid UTF-8"    // editing it could not be told apart from corrupting it
	SkipTooLarge   = "larger than --max-filesize"
	SkipNotRegular = "not a regular file"                       // a device, FIFO or socket: reading could block or never end
	SkipSymlink    = "symlink, not followed"                    // found by walking, or named without Follow
	SkipTempFile   = "temporary file of an interrupted replace" // safe to delete
	SkipDuplicate  = "same file as another path"
)

var (
	bomUTF8    = []byte{0xEF, 0xBB, 0xBF}
	bomUTF16LE = []byte{0xFF, 0xFE}
	bomUTF16BE = []byte{0xFE, 0xFF}
)

// Classify says why content must not be edited ("" when it can be) and how
// many bytes of byte order mark it starts with. A UTF-8 BOM is fine (it is
// kept, and matching starts after it); UTF-16 and UTF-32 files are skipped:
// a literal OLD in UTF-8 would never match them, and a regex could match
// half a character.
func Classify(content []byte) (reason string, bomLen int) {
	if reason, bomLen = sniff(content); reason == "" && !utf8.Valid(content[bomLen:]) {
		return SkipInvalid, 0
	}
	return reason, bomLen
}

// sniff is Classify without the UTF-8 validation, which reads the whole
// file: the checks that cost next to nothing.
func sniff(content []byte) (reason string, bomLen int) {
	switch {
	case bytes.HasPrefix(content, bomUTF8):
		bomLen = len(bomUTF8)
	case bytes.HasPrefix(content, bomUTF16LE), bytes.HasPrefix(content, bomUTF16BE),
		bytes.HasPrefix(content, []byte{0, 0, 0xFE, 0xFF}):
		return SkipUTF16, 0
	}
	if bytes.IndexByte(content[:min(len(content), SniffLen)], 0) >= 0 {
		return SkipBinary, 0
	}
	return "", bomLen
}
