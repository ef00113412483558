module github.com/fanout-dev/fanout/cmd/fanout

go 1.25.0

require (
	github.com/aymanbagabas/go-udiff v0.4.1
	github.com/bmatcuk/doublestar/v4 v4.10.4
	github.com/boyter/gocodewalker v1.5.1
	github.com/creack/pty v1.1.24
	github.com/fanout-dev/fanout v0.0.0-00010101000000-000000000000
	github.com/google/renameio/v2 v2.0.2
	github.com/prometheus-community/pro-bing v0.9.1
	github.com/spf13/cobra v1.10.2
	github.com/spf13/pflag v1.0.9
	github.com/yuin/goldmark v1.8.7
	go.uber.org/goleak v1.3.0
	golang.org/x/net v0.58.0
	golang.org/x/sys v0.47.0
	golang.org/x/term v0.45.0
	golang.org/x/text v0.41.0
	golang.org/x/time v0.15.0
	mvdan.cc/xurls/v2 v2.6.0
	sigs.k8s.io/yaml v1.6.0
)

require (
	github.com/danwakefield/fnmatch v0.0.0-20160403171240-cbb64ac3d964 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/inconshreveable/mousetrap v1.1.0 // indirect
	go.yaml.in/yaml/v2 v2.4.2 // indirect
	golang.org/x/sync v0.22.0 // indirect
)

// The command is developed with the library beside it (go.work at the
// repository's root does the same for go commands run there).
replace github.com/fanout-dev/fanout => ../..
