package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/zonekeeper/zonekeeper/controller"
	"github.com/zonekeeper/zonekeeper/test/dnsserver"
	"github.com/zonekeeper/zonekeeper/test/internal/child"
)

// BuildBinary compiles ./cmd/zonekeeper of the module in moduleDir into out, without
// the race detector, so that the figures are those of the binary as shipped.
func BuildBinary(ctx context.Context, moduleDir, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", out, "./cmd/zonekeeper")
	cmd.Dir = moduleDir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if output, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./cmd/zonekeeper: %w\n%s", err, output)
	}
	return nil
}

// Target is one zonekeeper configuration under test: the binary and the flags that
// point it at the cluster and the DNS server.
type Target struct {
	// Binary is the zonekeeper executable.
	Binary string
	// Args are the flags after `run`, without --once.
	Args []string
	// Env is the environment, secrets included.
	Env []string
	// LogDir receives one log file per process started.
	LogDir string
}

// RFC2136Target returns the target that reads the Ingresses of namespace through
// kubeconfig and writes Zone on srv over RFC 2136, TSIG-signed, listing it by AXFR, with
// every other flag at its default. The TSIG secret goes in through the environment,
// as the command line refuses it.
func RFC2136Target(binary, kubeconfig, namespace, logDir string, srv *dnsserver.Server) Target {
	return newTarget(binary, kubeconfig, namespace, logDir, []string{
		"--provider=rfc2136", "--rfc2136-host=" + srv.Host, "--rfc2136-port=" + strconv.Itoa(srv.Port),
		"--rfc2136-zone=" + Zone, "--rfc2136-tsig-keyname=" + srv.KeyName,
		"--rfc2136-tsig-secret-alg=" + srv.Algorithm,
	}, "ZONEKEEPER_RFC2136_TSIG_SECRET="+srv.Secret)
}

// newTarget returns the target that reads the Ingresses of namespace through
// kubeconfig with the provider flags providerArgs and every other flag at its default,
// in this process's environment without zonekeeper's, Kubernetes', AWS's and
// Cloudflare's variables, plus env.
func newTarget(binary, kubeconfig, namespace, logDir string, providerArgs []string, env ...string) Target {
	args := append([]string{"--source=ingress", "--kubeconfig=" + kubeconfig, "--namespace=" + namespace}, providerArgs...)
	clean := slices.DeleteFunc(child.CleanEnv(os.Environ()), func(kv string) bool {
		// A developer's own AWS profile or Cloudflare token must not decide where the
		// benchmark's requests go, nor with which credentials.
		return strings.HasPrefix(kv, "AWS_") || strings.HasPrefix(kv, "CF_")
	})
	return Target{
		Binary: binary,
		Args:   append(args, "--txt-owner-id=bench", "--metrics-address="),
		Env:    append(clean, env...),
		LogDir: logDir,
	}
}

// Usage is what one process cost, as the kernel accounted it when it was reaped.
type Usage struct {
	Wall time.Duration
	// CPU is user plus system time.
	CPU time.Duration
	// PeakRSS is the largest resident set, in bytes (rusage ru_maxrss).
	PeakRSS int64
}

// RunOnce runs `zonekeeper run --once` of t and returns its cost. A non-zero exit is an
// error quoting the end of its log.
func (t Target) RunOnce(ctx context.Context, label string) (Usage, error) {
	start := time.Now()
	cmd, logPath, done, err := t.start(ctx, label, "--once")
	if err != nil {
		return Usage{}, err
	}
	err = <-done
	wall := time.Since(start)
	if err != nil {
		return Usage{}, fmt.Errorf("zonekeeper %s: %w\n%s", label, err, logTail(logPath))
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return Usage{}, errors.New("no rusage for the child on this system")
	}
	return Usage{
		Wall:    wall,
		CPU:     time.Duration(ru.Utime.Nano() + ru.Stime.Nano()),
		PeakRSS: ru.Maxrss * 1024, // kB on Linux
	}, nil
}

// start starts `zonekeeper run` of t with extra flags, its output going to a fresh log
// file named after label, and returns the channel child.Start gives.
func (t Target) start(ctx context.Context, label string, extra ...string) (*exec.Cmd, string, <-chan error, error) {
	logPath := filepath.Join(t.LogDir, label+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, "", nil, err
	}
	// The child writes through its own copy of the descriptor.
	defer logFile.Close()
	cmd := exec.CommandContext(ctx, t.Binary, append(append([]string{"run"}, t.Args...), extra...)...)
	cmd.Env = t.Env
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = stopTimeout
	done, err := child.Start(cmd)
	if err != nil {
		return nil, "", nil, fmt.Errorf("start zonekeeper %s: %w", label, err)
	}
	return cmd, logPath, done, nil
}

// stopTimeout is how long a SIGTERMed daemon may take to exit before it is killed.
const stopTimeout = 30 * time.Second

// logTail returns the last lines of the log at path, for error messages.
func logTail(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-30):], "\n")
}

// Daemon is one running `zonekeeper run` process.
type Daemon struct {
	cmd     *exec.Cmd
	logPath string
	done    <-chan error
}

// DaemonInterval is the time between two periodic full resyncs of a daemon
// StartDaemon starts: the daemon's default --interval, which the harness leaves as it is.
const DaemonInterval = controller.DefaultInterval

// StartDaemon starts `zonekeeper run` of t with its default intervals.
func (t Target) StartDaemon(ctx context.Context, label string) (*Daemon, error) {
	cmd, logPath, done, err := t.start(ctx, label)
	if err != nil {
		return nil, err
	}
	return &Daemon{cmd: cmd, logPath: logPath, done: done}, nil
}

// PID is the daemon's process id.
func (d *Daemon) PID() int { return d.cmd.Process.Pid }

// Alive returns an error quoting the end of the daemon's log if it has exited.
func (d *Daemon) Alive() error {
	select {
	case err := <-d.done:
		return fmt.Errorf("zonekeeper daemon exited (%v):\n%s", err, logTail(d.logPath))
	default:
		return nil
	}
}

// logSize returns the size of the daemon's log now, in bytes.
func (d *Daemon) logSize() (int64, error) {
	info, err := os.Stat(d.logPath)
	if err != nil {
		return 0, err
	}
	return info.Size(), nil
}

// logSince returns what the daemon logged after the first offset bytes.
func (d *Daemon) logSince(offset int64) ([]byte, error) {
	f, err := os.Open(d.logPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return nil, fmt.Errorf("daemon log %s: %w", d.logPath, err)
	}
	return io.ReadAll(f)
}

// Stop sends SIGTERM and waits for the daemon to exit, killing it after 30 s. An exit
// other than 0 is an error quoting the end of its log.
func (d *Daemon) Stop() error {
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	select {
	case err := <-d.done:
		if err != nil {
			return fmt.Errorf("zonekeeper daemon: %w\n%s", err, logTail(d.logPath))
		}
		return nil
	case <-time.After(stopTimeout):
		_ = d.cmd.Process.Kill()
		<-d.done
		return fmt.Errorf("zonekeeper daemon did not stop within %s of SIGTERM\n%s", stopTimeout, logTail(d.logPath))
	}
}
