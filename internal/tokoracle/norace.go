//go:build !race

package tokoracle

// RaceEnabled reports whether the binary was built with -race. Tests use it
// to move work that the race detector slows ~10× (the ~1 MB texts) out of
// race builds.
const RaceEnabled = false
