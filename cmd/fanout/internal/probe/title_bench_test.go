package probe

import (
	"strings"
	"testing"
)

// BenchmarkTitle: one small page, as the simulated site serves it.
func BenchmarkTitle(b *testing.B) {
	page := `<html><head><title>Ocean - Wikipedia</title></head><body>` + strings.Repeat("x", 200) + `</body></html>`
	for _, ct := range []string{"text/html; charset=utf-8", "text/html"} {
		b.Run(ct, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if title, _, _ := Title(strings.NewReader(page), ct); title != "Ocean - Wikipedia" {
					b.Fatal(title)
				}
			}
		})
	}
}
