//go:build !linux

package child

import "os/exec"

// setParentDeathSignal does nothing: only Linux has a parent-death signal, so elsewhere a
// test binary that dies without stopping its children leaves them running.
func setParentDeathSignal(*exec.Cmd) {}
