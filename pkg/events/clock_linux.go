package events

import (
	"syscall"
	"unsafe"
)

const clockMonotonic = 1 // CLOCK_MONOTONIC

// MonotonicNs returns CLOCK_MONOTONIC in nanoseconds, the clock of
// Python's time.monotonic_ns() and so of every event timestamp. It is a
// raw system call (no vDSO): it only runs for records without a timestamp.
func MonotonicNs() int64 {
	var ts syscall.Timespec
	_, _, errno := syscall.RawSyscall(syscall.SYS_CLOCK_GETTIME, clockMonotonic, uintptr(unsafe.Pointer(&ts)), 0)
	if errno != 0 {
		return 0
	}
	return ts.Nano()
}
