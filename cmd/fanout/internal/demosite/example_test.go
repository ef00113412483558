package demosite_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/fanout-dev/fanout/cmd/fanout/internal/demosite"
)

// Check two pages of the simulated Wikipedia, then ask the site what it
// received.
func Example() {
	site, err := demosite.Start(demosite.Options{Latency: 10 * time.Millisecond})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer site.Close()

	for _, name := range []string{"Ocean", "this_page_does_not_exist"} {
		resp, err := http.Get(site.WikiURL(name))
		if err != nil {
			fmt.Println(err)
			return
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		_, title, _ := strings.Cut(string(body), "<title>")
		title, _, _ = strings.Cut(title, "</title>")
		fmt.Println(resp.StatusCode, title)
	}
	fmt.Println(site.Hits("/wiki/Ocean"), "request for /wiki/Ocean,", site.Stats().Routes["wiki"], "on /wiki/")
	// Output:
	// 200 Ocean - Wikipedia
	// 404 this_page_does_not_exist - Wikipedia
	// 1 request for /wiki/Ocean, 2 on /wiki/
}
