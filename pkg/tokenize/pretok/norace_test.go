//go:build !race

package pretok

const raceEnabled = false
