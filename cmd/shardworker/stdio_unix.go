//go:build unix

package main

import (
	"fmt"
	"os"
	"syscall"
)

// guardStdio keeps private copies of the protocol streams (fds 0 and 1)
// and then points fd 1 at stderr and fd 0 at /dev/null, so that nothing
// else in the process — a dependency's print, C code, a stray read — can
// write into or read from the protocol streams.
func guardStdio() (in, out *os.File, err error) {
	outFd, err := syscall.Dup(1)
	if err != nil {
		return nil, nil, fmt.Errorf("dup stdout: %w", err)
	}
	inFd, err := syscall.Dup(0)
	if err != nil {
		return nil, nil, fmt.Errorf("dup stdin: %w", err)
	}
	syscall.CloseOnExec(outFd)
	syscall.CloseOnExec(inFd)
	if err := dupTo(2, 1); err != nil {
		return nil, nil, fmt.Errorf("stdout → stderr: %w", err)
	}
	null, err := os.Open(os.DevNull)
	if err != nil {
		return nil, nil, err
	}
	defer null.Close()
	if err := dupTo(int(null.Fd()), 0); err != nil {
		return nil, nil, fmt.Errorf("stdin ← %s: %w", os.DevNull, err)
	}
	return os.NewFile(uintptr(inFd), "protocol-in"), os.NewFile(uintptr(outFd), "protocol-out"), nil
}
