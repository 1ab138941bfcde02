package tokoracle

import "testing"

// Differential marks t as a differential test: one that compares our
// output with a reference implementation's (the HF library, Jinja2,
// regexp2) on one goroutine. Under -race it is skipped: the race detector
// finds nothing in single-goroutine comparisons and slows them ~10×, and
// make test runs every differential test in full on its non-race line
// (go test -run 'Parity|ScannerVs|Oracle' ...), beside the race suite.
func Differential(t testing.TB) {
	t.Helper()
	if RaceEnabled {
		t.Skip("differential test: run in full by make test's non-race line")
	}
}
