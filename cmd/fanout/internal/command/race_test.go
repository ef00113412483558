//go:build race

package command

// The binary the tests run is built with the race detector when the tests
// are, so the command's own concurrency is checked end to end.
func init() {
	buildFlags = append(buildFlags, "-race")
	raceBuild = true
}
