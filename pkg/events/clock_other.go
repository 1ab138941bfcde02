//go:build !linux

package events

import "time"

var processStart = time.Now()

// MonotonicNs returns a monotonic clock in nanoseconds. Off Linux it is not
// CLOCK_MONOTONIC (the daemon only runs on Linux); it counts from process
// start.
func MonotonicNs() int64 { return int64(time.Since(processStart)) }
