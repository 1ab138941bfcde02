//go:build !linux

package main

// affinity: no affinity API here; the hello says "" (unknown).
func affinity() string { return "" }
