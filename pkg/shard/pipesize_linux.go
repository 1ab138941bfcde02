package shard

import (
	"os"
	"syscall"
)

// pipeSize is the kernel buffer asked for on the worker's stdin and stdout
// pipes (default 64 KiB): fewer context switches per batch. Capped by
// /proc/sys/fs/pipe-max-size (1 MiB by default); failure is harmless.
const pipeSize = 1 << 20

// growPipe asks for a pipeSize buffer on the pipe of f.
func growPipe(f *os.File) {
	const fSetPipeSz = 1031 // F_SETPIPE_SZ
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	_ = rc.Control(func(fd uintptr) {
		_, _, _ = syscall.Syscall(syscall.SYS_FCNTL, fd, fSetPipeSz, pipeSize)
	})
}
