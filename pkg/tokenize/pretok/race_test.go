//go:build race

package pretok

// raceEnabled: the differential tests sample under the race detector and
// run in full in make test's non-race line.
const raceEnabled = true
