package main

import (
	"syscall"
	"unsafe"
)

// affinity returns this process's CPU affinity mask as a list ("0-3,8"),
// or "" if it cannot be read.
func affinity() string {
	var mask [1024 / 64]uint64 // CPU_SETSIZE bits
	_, _, errno := syscall.RawSyscall(syscall.SYS_SCHED_GETAFFINITY, 0, unsafe.Sizeof(mask), uintptr(unsafe.Pointer(&mask[0])))
	if errno != 0 {
		return ""
	}
	var cpus []int
	for i := range len(mask) * 64 {
		if mask[i/64]&(1<<(i%64)) != 0 {
			cpus = append(cpus, i)
		}
	}
	return formatCPUs(cpus)
}
