package kubeapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/zonekeeper/zonekeeper/test/internal/child"
)

const (
	// stopGrace is how long a server gets to exit after SIGTERM before it is
	// killed. Both exit within a second or two when idle; the limit only
	// bounds a teardown that hangs on in-flight watches.
	stopGrace = 10 * time.Second
	// logTailBytes is how much of a server's log an error quotes: enough for
	// the fatal line and the context before it.
	logTailBytes = 4096
)

// process is one server this package started. A single goroutine reaps it;
// stop must not run concurrently with itself (Cluster serialises it), the
// other methods may run anywhere.
type process struct {
	name    string
	logPath string
	cmd     *exec.Cmd
	done    chan struct{} // closed once the process has exited and been reaped
	waitErr error         // the exit status; read only after done is closed
	// exitHandled is set once the exit needs no further report: stop caused
	// it, or waitReady already returned it as an error.
	exitHandled bool
}

// startProcess runs bin with args, appending its stdout and stderr to
// logPath (appending, so a restarted kube-apiserver keeps its earlier log).
//
// The child gets its own process group and a parent-death signal. The process
// group keeps a terminal's Ctrl-C away from the servers, so they are shut
// down by stop, in order, rather than racing the test's own cleanup. The
// parent-death signal (child.Start) is what guarantees a crashed, timed-out or
// killed test binary leaves no etcd or kube-apiserver behind.
func startProcess(name, bin string, args []string, logPath string) (*process, error) {
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("%s: log file: %w", name, err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	exited, err := child.Start(cmd)
	if err != nil {
		logFile.Close()
		return nil, fmt.Errorf("%s: start %s: %w", name, bin, err)
	}
	p := &process{name: name, logPath: logPath, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.waitErr = <-exited
		logFile.Close()
		close(p.done)
	}()
	return p, nil
}

// pid is the process ID the operating system gave the server.
func (p *process) pid() int { return p.cmd.Process.Pid }

// exited reports whether the process has ended.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM, waits up to stopGrace, then SIGKILLs, and returns once
// the process is reaped. Only this process is signalled, never its group or a
// name, so nothing another test started is touched. If the process had
// already exited by itself, stop returns that as an error with its log tail:
// a server that died during a test is a finding, not a detail of cleanup.
func (p *process) stop() error {
	if p.exited() {
		if p.exitHandled {
			return nil
		}
		p.exitHandled = true
		return fmt.Errorf("%s (pid %d) exited on its own: %v%s", p.name, p.pid(), p.waitErr, p.logTail())
	}
	p.exitHandled = true
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("%s (pid %d): SIGTERM: %w", p.name, p.pid(), err)
	}
	timer := time.NewTimer(stopGrace)
	defer timer.Stop()
	select {
	case <-p.done:
		return nil
	case <-timer.C:
	}
	if err := p.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("%s (pid %d): SIGKILL: %w", p.name, p.pid(), err)
	}
	<-p.done
	return nil
}

// logTail returns the end of the process's log, prefixed by a header line,
// for quoting in errors.
func (p *process) logTail() string {
	return fmt.Sprintf("\n--- last lines of %s ---\n%s", p.logPath, readTail(p.logPath, logTailBytes))
}

// readTail returns up to the last n bytes of the file at path, starting at a
// line boundary when it had to cut. A read failure is returned as the text,
// since the caller is already reporting an error and has no better use for it.
func readTail(path string, n int64) string {
	f, err := os.Open(path)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err.Error()
	}
	offset := max(info.Size()-n, 0)
	buf, err := io.ReadAll(io.NewSectionReader(f, offset, n))
	if err != nil {
		return err.Error()
	}
	if offset > 0 {
		if i := bytes.IndexByte(buf, '\n'); i >= 0 {
			buf = buf[i+1:]
		}
	}
	return strings.TrimRight(string(buf), "\n")
}

// waitReady polls probe until it succeeds, the process exits, or ctx ends,
// and names the server and quotes its log in the error. Like stop, it must
// not run concurrently with stop.
func waitReady(ctx context.Context, p *process, probe func(context.Context) error) error {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		err := probe(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-p.done:
			p.exitHandled = true
			return fmt.Errorf("%s (pid %d) exited before it was ready: %v%s", p.name, p.pid(), p.waitErr, p.logTail())
		case <-ctx.Done():
			return fmt.Errorf("%s (pid %d) not ready: %w (last probe: %v)%s", p.name, p.pid(), context.Cause(ctx), err, p.logTail())
		case <-tick.C:
		}
	}
}
