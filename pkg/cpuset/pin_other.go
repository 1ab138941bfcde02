//go:build !linux

package cpuset

import (
	"errors"
	"fmt"
	"os/exec"
)

// Supported reports whether this platform has a CPU affinity API. Here it
// does not: StartPinned starts unpinned, and callers cap each worker's
// GOMAXPROCS to the size of its block instead, so unpinned workers do not
// oversubscribe each other (upstream caps its rayon pools the same way).
func Supported() bool { return false }

// Inherited returns this process's affinity mask; without an affinity API
// there is none, and the error wraps errors.ErrUnsupported.
func Inherited() (Set, error) {
	return nil, fmt.Errorf("cpuset: affinity of this process: %w", errors.ErrUnsupported)
}

// StartPinned starts cmd. Without an affinity API cpus cannot be applied;
// the caller caps the worker's GOMAXPROCS to len(cpus) instead.
func StartPinned(cmd *exec.Cmd, cpus Set) error {
	return cmd.Start()
}
