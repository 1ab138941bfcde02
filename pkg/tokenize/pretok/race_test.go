//go:build race

package pretok

import "testing"

// raceEnabled: the differential tests sample under the race detector and
// run in full in make test's non-race line.
const raceEnabled = true

// nonRaceOnly skips a differential test under -race: it compares on one
// goroutine (the race detector finds nothing there) and make test's
// non-race line runs it in full.
func nonRaceOnly(t *testing.T) {
	t.Skip("differential test: run in full by make test's non-race line")
}
