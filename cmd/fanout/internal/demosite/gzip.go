package demosite

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"encoding/binary"
	"hash/crc32"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
)

const gzipTitle = "Gzipped page"

// gzipPage is the body of /gzip: a page, gzip-compressed once.
var gzipPage = sync.OnceValue(func() []byte {
	var page strings.Builder
	page.WriteString("<html><head><title>" + gzipTitle + "</title></head><body><h1>" + gzipTitle + "</h1>\n")
	for range 50 {
		page.WriteString("<p>This page is sent with Content-Encoding: gzip.</p>\n")
	}
	page.WriteString("</body></html>\n")
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	_, _ = zw.Write([]byte(page.String()))
	_ = zw.Close()
	return b.Bytes()
})

// The gzip bomb of /gzip?bomb=1 decodes to bombHead, size spaces (HTML
// whitespace), then bombTail: a title parser that reads on until the title
// finds it only after the spaces.
const (
	bombHead = "<!DOCTYPE html>\n<html><head>"
	bombTail = "<title>Gzip bomb</title></head><body><h1>Gzip bomb</h1></body></html>\n"
	// bombLog is log2 of the largest run of spaces compressed ahead.
	bombLog = 20
	// bombBatch is how many of the largest runs go in one write.
	bombBatch = 64
)

// bombParts is the gzip bomb's material, computed once: the stream is
// assembled per request from these pieces, so serving a bomb of any size
// costs only the writes (about 1 KB on the wire per MiB decoded).
//
// Each piece is the output of its own flate writer: a deflate block
// sequence that refers only to bytes it produced itself, so the pieces can
// be concatenated in any order and number. All but the tail end with a
// flush (an empty stored block), which leaves them non-final and
// byte-aligned; the tail ends with the final block.
type bombParts struct {
	head  []byte              // gzip header and deflated bombHead
	runs  [bombLog + 1][]byte // runs[k] inflates to 1<<k spaces
	batch []byte              // runs[bombLog] repeated bombBatch times
	tail  []byte              // deflated bombTail, final
	crcs  [63]uint32          // crcs[k] is the CRC-32 of 1<<k spaces
	crcHT [2]uint32           // CRC-32 of bombHead and bombTail
}

var bomb = sync.OnceValue(func() *bombParts {
	b := new(bombParts)
	// RFC 1952 header: magic, deflate, no flags, no mtime, no extra flags, OS unknown.
	b.head = append([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff}, deflate([]byte(bombHead), false)...)
	spaces := bytes.Repeat([]byte{' '}, 1<<bombLog)
	for k := range b.runs {
		b.runs[k] = deflate(spaces[:1<<k], false)
	}
	b.batch = bytes.Repeat(b.runs[bombLog], bombBatch)
	b.tail = deflate([]byte(bombTail), true)
	b.crcs[0] = crc32.ChecksumIEEE([]byte{' '})
	for k := 1; k < len(b.crcs); k++ {
		b.crcs[k] = crc32Combine(b.crcs[k-1], b.crcs[k-1], 1<<(k-1))
	}
	b.crcHT = [2]uint32{crc32.ChecksumIEEE([]byte(bombHead)), crc32.ChecksumIEEE([]byte(bombTail))}
	return b
})

// deflate compresses data with a fresh writer, ending with a flush or,
// if final, with the final block.
func deflate(data []byte, final bool) []byte {
	var b bytes.Buffer
	fw, _ := flate.NewWriter(&b, flate.BestCompression)
	_, _ = fw.Write(data)
	if final {
		_ = fw.Close()
	} else {
		_ = fw.Flush()
	}
	return b.Bytes()
}

// length is the compressed length of a bomb of n spaces.
func (b *bombParts) length(n int64) int64 {
	l := int64(len(b.head)+len(b.tail)+8) + (n>>bombLog)*int64(len(b.runs[bombLog]))
	for k := range bombLog {
		if n>>k&1 != 0 {
			l += int64(len(b.runs[k]))
		}
	}
	return l
}

// trailer is the gzip trailer of a bomb of n spaces: the CRC-32 and the
// length (mod 2^32) of what it decodes to.
func (b *bombParts) trailer(n int64) []byte {
	crc := b.crcHT[0]
	for k := 0; k < 63 && n>>k != 0; k++ {
		if n>>k&1 != 0 {
			crc = crc32Combine(crc, b.crcs[k], 1<<k)
		}
	}
	crc = crc32Combine(crc, b.crcHT[1], int64(len(bombTail)))
	t := binary.LittleEndian.AppendUint32(nil, crc)
	return binary.LittleEndian.AppendUint32(t, uint32(int64(len(bombHead))+n+int64(len(bombTail))))
}

// crc32Combine is zlib's crc32_combine: the CRC-32 (IEEE) of A followed by
// B, from crc1 of A, crc2 of B and the length of B, in O(log len2) time.
func crc32Combine(crc1, crc2 uint32, len2 int64) uint32 {
	if len2 <= 0 {
		return crc1
	}
	var even, odd [32]uint32 // operators for 2^k zero bits
	odd[0] = crc32.IEEE
	for n, row := 1, uint32(1); n < 32; n, row = n+1, row<<1 {
		odd[n] = row
	}
	gf2Square(&even, &odd) // two zero bits
	gf2Square(&odd, &even) // four zero bits
	for {
		gf2Square(&even, &odd) // apply len2's next bit: a zero byte, then two, four...
		if len2&1 != 0 {
			crc1 = gf2Times(&even, crc1)
		}
		if len2 >>= 1; len2 == 0 {
			break
		}
		gf2Square(&odd, &even)
		if len2&1 != 0 {
			crc1 = gf2Times(&odd, crc1)
		}
		if len2 >>= 1; len2 == 0 {
			break
		}
	}
	return crc1 ^ crc2
}

func gf2Times(mat *[32]uint32, vec uint32) uint32 {
	var sum uint32
	for i := 0; vec != 0; i, vec = i+1, vec>>1 {
		if vec&1 != 0 {
			sum ^= mat[i]
		}
	}
	return sum
}

func gf2Square(square, mat *[32]uint32) {
	for n := range 32 {
		square[n] = gf2Times(mat, mat[n])
	}
}

func serveGzip(_ *Site, w http.ResponseWriter, r *http.Request, _ string, q url.Values) {
	isBomb := false
	if v := q.Get("bomb"); v != "" {
		var err error
		if isBomb, err = strconv.ParseBool(v); err != nil {
			badParam(w, "bomb", err)
			return
		}
	}
	h := w.Header()
	h["Content-Encoding"] = gzipEncoding
	h["Vary"] = varyEncoding
	if !isBomb {
		writeBody(w, http.StatusOK, htmlType, gzipPage())
		return
	}
	n, err := sizeParam(q, "size", 10e9)
	if err != nil {
		badParam(w, "size", err)
		return
	}
	b := bomb()
	h["Content-Type"] = htmlType
	h["Content-Length"] = contentLength(b.length(n))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	defer unblockWrites(w, r)()
	ctx := r.Context()
	write := func(p []byte) {
		if ctx.Err() != nil {
			abort()
		}
		if _, err := w.Write(p); err != nil {
			abort()
		}
	}
	write(b.head)
	runLen := int64(len(b.runs[bombLog]))
	for full := n >> bombLog; full > 0; {
		m := min(full, bombBatch)
		write(b.batch[:m*runLen])
		full -= m
	}
	for k := bombLog - 1; k >= 0; k-- {
		if n>>k&1 != 0 {
			write(b.runs[k])
		}
	}
	write(b.tail)
	write(b.trailer(n))
}
