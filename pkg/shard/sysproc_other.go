//go:build !linux

package shard

import "syscall"

// sysProcAttr: without Pdeathsig the worker ends with the daemon through
// stdin EOF, which the kernel delivers when the daemon dies.
func sysProcAttr() *syscall.SysProcAttr { return nil }
