//go:build !race

package pretok

import "testing"

const raceEnabled = false

// nonRaceOnly runs a differential test (see race_test.go).
func nonRaceOnly(*testing.T) {}
