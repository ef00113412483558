// Command benchhosts serves issue 25's hosts of hidden capacity on loopback for
// bench/auto.sh (it lives in the command's module, beside the internal
// demosite it serves): one demosite.Host per CAPACITY argument (0: no limit), all
// with the latency of -latency. It prints each host's URL, one a line,
// then serves until its stdin ends, and then prints each host's counts:
// "URL requests=N refused=N peak=N busy=SECONDS".
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/fanout-dev/fanout/cmd/fanout/internal/demosite"
)

func main() {
	latency := flag.Duration("latency", 0, "base latency of every request")
	flag.Parse()
	var hosts []*demosite.Host
	for _, a := range flag.Args() {
		c, err := strconv.Atoi(a)
		if err != nil {
			fmt.Fprintln(os.Stderr, "hosts: capacity:", err)
			os.Exit(2)
		}
		h, err := demosite.StartHost(c, *latency)
		if err != nil {
			fmt.Fprintln(os.Stderr, "hosts:", err)
			os.Exit(1)
		}
		hosts = append(hosts, h)
		fmt.Println(h.URL())
	}
	_, _ = io.Copy(io.Discard, os.Stdin) // until stdin ends, however it ends
	for _, h := range hosts {
		st := h.Stats()
		fmt.Printf("%s requests=%d refused=%d peak=%d busy=%.3f\n", h.URL(), st.Requests, st.Refused, st.Peak, st.Busy.Seconds())
	}
}
