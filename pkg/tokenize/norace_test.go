//go:build !race

package tokenize

import "testing"

const raceEnabled = false

// nonRaceOnly runs a differential test (see race_test.go).
func nonRaceOnly(*testing.T) {}
