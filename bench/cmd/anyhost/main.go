// Command anyhost serves a small page to any path on ADDR, for measuring
// fanout against many distinct hosts (issue 26, item 7). Run it inside a
// network namespace of its own (unshare -rn, lo up) with ADDR 0.0.0.0:PORT:
// there it is reachable only through loopback, from every 127.x.y.z
// address at once, so 100,000 URLs can name 100,000 distinct hosts.
//
//	anyhost 0.0.0.0:8080
package main

import (
	"fmt"
	"net/http"
	"os"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: anyhost ADDR")
		os.Exit(2)
	}
	page := []byte("<!DOCTYPE html><html><head><title>Page</title></head><body>ok</body></html>\n")
	err := http.ListenAndServe(os.Args[1], http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(page)
	}))
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}
