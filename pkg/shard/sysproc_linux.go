package shard

import "syscall"

// sysProcAttr makes the worker die with the daemon, even when the daemon
// is SIGKILLed: the kernel sends the worker SIGKILL when the thread that
// forked it exits (see Config.Start for what that asks of a Start hook).
// No Setpgid: the worker shares the daemon's process group (see Start).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
