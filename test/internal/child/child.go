// Package child starts the server processes tests run (kube-apiserver, etcd, DNS
// servers, the zonekeeper daemon) so that they die with the test binary.
//
// On Linux a child gets a parent-death signal (SIGKILL). The kernel sends it when the OS
// thread that forked the child ends, not the process: the Go runtime ends a thread when
// a goroutine that locked it returns, so a child forked from an ordinary thread is killed
// as soon as some unrelated goroutine that once ran there locks it and exits. Start
// therefore forks each child from a thread of its own, held until the child is reaped.
package child

import (
	"os/exec"
	"runtime"
)

// Start starts cmd as described in the package comment and reaps it. The channel
// receives the result of cmd.Wait once the child has exited, and is then closed. An
// error means cmd did not start.
func Start(cmd *exec.Cmd) (<-chan error, error) {
	setParentDeathSignal(cmd)
	started := make(chan error, 1)
	done := make(chan error, 1)
	go func() {
		// Never unlocked: the thread ends with this goroutine, after the child is gone.
		runtime.LockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		done <- cmd.Wait()
		close(done)
	}()
	if err := <-started; err != nil {
		return nil, err
	}
	return done, nil
}
