package main

import "syscall"

// childProcAttr makes a child die with us (no orphans even when we are
// SIGKILLed).
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
