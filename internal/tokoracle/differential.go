package tokoracle

import "testing"

// Differential marks t as a differential test: one that compares our
// output with a reference implementation's (the HF library, Jinja2,
// regexp2) on one goroutine. The race detector finds nothing there and
// slows it ~10×, so it runs without -race only (see NonRace).
func Differential(t testing.TB) {
	t.Helper()
	NonRace(t, "differential test")
}

// NonRace skips t in a -race build, saying why: make test runs every such
// test in full on its non-race line (go test -run '$(NONRACE)' ..., beside
// the race suite), whose pattern must select it (a test in this package
// checks that it does).
func NonRace(t testing.TB, why string) {
	t.Helper()
	if RaceEnabled {
		t.Skip(why + ": run without -race by make test's non-race line")
	}
}
