//go:build !linux

package dnsserver

import "syscall"

// sysProcAttr has no parent-death signal to offer outside Linux: a test binary that dies without
// calling Stop leaves its server running there.
func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{} }
