// Command naiveloop is the hand-written Go loop fanout check is measured
// against (issue 14): 64 goroutines, one keep-alive http.Client, a GET per
// URL with the body copied to io.Discard, one "URL STATUS" line per URL.
// It is what a Go programmer writes in ten minutes, with the one setting
// that makes it fast (idle connections kept per host for every goroutine,
// not net/http's default of 2), and no retries, no classification, no
// HEAD, no progress, no journal.
//
//	naiveloop < urls.txt > out.txt
package main

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"time"
)

const workers = 64

func main() {
	client := &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: workers},
	}
	urls := make(chan string, workers)
	out := bufio.NewWriter(os.Stdout)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for u := range urls {
				status := "error"
				resp, err := client.Get(u)
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					status = resp.Status
				}
				mu.Lock()
				fmt.Fprintln(out, u, status)
				mu.Unlock()
			}
		})
	}
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		urls <- in.Text()
	}
	close(urls)
	wg.Wait()
	out.Flush()
}
