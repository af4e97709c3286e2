//go:build !linux

package e2e

import "syscall"

// sysProcAttr has no parent-death signal to ask for outside Linux.
func sysProcAttr() *syscall.SysProcAttr { return nil }
