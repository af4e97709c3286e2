package soak

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/zonekeeper/zonekeeper/test/internal/child"
)

// stopTimeout is how long a SIGTERMed daemon may take to finish the zone it writes and
// exit.
const stopTimeout = 30 * time.Second

// buildBinary compiles zonekeeper without the race detector: the soak measures
// convergence on two shared cores, where -race would multiply every reconcile's time.
func buildBinary(t *testing.T) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "zonekeeper")
	cmd := exec.Command("go", "build", "-o", out, "github.com/zonekeeper/zonekeeper/cmd/zonekeeper")
	if output, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build zonekeeper: %v\n%s", err, output)
	}
	return out
}

// daemon is one `zonekeeper run` process, its output in a file of its own.
type daemon struct {
	cmd     *exec.Cmd
	logPath string
	exited  chan struct{} // closed once waitErr is set
	waitErr error
}

// startDaemon runs binary with args, its output going to logPath.
func startDaemon(binary, logPath string, args []string) (*daemon, error) {
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	d := &daemon{logPath: logPath, exited: make(chan struct{})}
	d.cmd = exec.Command(binary, args...)
	d.cmd.Env = child.CleanEnv(os.Environ())
	d.cmd.Stdout, d.cmd.Stderr = logFile, logFile
	waited, err := child.Start(d.cmd)
	if err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start zonekeeper: %w", err)
	}
	go func() {
		d.waitErr = <-waited
		logFile.Close()
		close(d.exited)
	}()
	return d, nil
}

// running reports whether the process has not exited.
func (d *daemon) running() bool {
	select {
	case <-d.exited:
		return false
	default:
		return true
	}
}

// kill sends SIGKILL and waits for the process to be reaped.
func (d *daemon) kill() error {
	if err := d.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	<-d.exited
	return nil
}

// stop sends SIGTERM and waits; an exit other than code 0 within stopTimeout is an
// error (the process is then killed).
func (d *daemon) stop() error {
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	select {
	case <-d.exited:
	case <-time.After(stopTimeout):
		d.kill()
		return fmt.Errorf("zonekeeper did not exit within %s of SIGTERM; killed it", stopTimeout)
	}
	if d.waitErr != nil {
		return fmt.Errorf("zonekeeper exited after SIGTERM with %v, want exit code 0", d.waitErr)
	}
	return nil
}

// logTail returns the last n lines of the daemon's output.
func (d *daemon) logTail(n int) string {
	data, err := os.ReadFile(d.logPath)
	if err != nil {
		return err.Error()
	}
	lines := bytes.SplitAfter(data, []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, nil))
}
