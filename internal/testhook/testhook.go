//go:build !testhooks

// Package testhook marks the points of the daemon's finalization where
// lifecycle tests pause it to deliver real signals at a known moment.
// In a normal build every hook is an empty function the compiler
// removes; only a binary built with -tags testhooks pauses (see
// testhook_on.go).
package testhook

// Enabled reports whether this binary was built with the test hooks.
const Enabled = false

// Pause does nothing in a normal build.
func Pause(point string) {}
