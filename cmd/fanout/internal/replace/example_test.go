package replace_test

import (
	"fmt"

	"github.com/fanout-dev/fanout/cmd/fanout/internal/replace"
)

func ExampleReplacer_Replace() {
	r, _ := replace.Literal("colour", "color")
	out, n := r.Replace([]byte("colour\r\nmy colour"))
	fmt.Printf("%q %d\n", out, n)

	re, _ := replace.Regex(`(\w+)@example\.org`, "${1}@example.com", replace.Lines)
	out, n = re.Replace([]byte("ann@example.org, bob@example.org"))
	fmt.Printf("%s %d\n", out, n)
	// Output:
	// "color\r\nmy color" 2
	// ann@example.com, bob@example.com 2
}
