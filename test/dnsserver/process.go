package dnsserver

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/zonekeeper/zonekeeper/test/internal/child"
)

// stopGrace is how long a server may take to shut down after SIGTERM before it is killed. All
// three exit within milliseconds; a server that does not is hung.
const stopGrace = 10 * time.Second

// process is one server process started by this package and the goroutine that waits for it.
type process struct {
	cmd     *exec.Cmd
	logPath string
	exited  chan struct{} // closed once cmd.Wait has returned
}

// startProcess runs argv in the foreground with its output appended to logPath and its working
// folder beside logPath.
func startProcess(argv []string, logPath string) (*process, error) {
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = filepath.Dir(logPath)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	exitedWith, err := child.Start(cmd)
	logFile.Close()
	if err != nil {
		return nil, fmt.Errorf("starting %s: %w", argv[0], err)
	}
	p := &process{cmd: cmd, logPath: logPath, exited: make(chan struct{})}
	go func() {
		<-exitedWith
		close(p.exited)
	}()
	return p, nil
}

func (p *process) hasExited() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// exitState describes how the process ended; only meaningful once exited is closed.
func (p *process) exitState() string { return p.cmd.ProcessState.String() }

// stop signals the process itself (os.Process tracks it by pidfd on Linux, so a reused PID is
// never hit) and returns once it has been reaped.
func (p *process) stop() {
	if p.hasExited() {
		return
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(stopGrace):
		p.cmd.Process.Kill()
		<-p.exited
	}
}

// freePort finds a port on 127.0.0.1 that is free for both TCP and UDP right now. Another process
// may take it before the server binds it; Start retries then.
func freePort() (int, error) { return freePortExcept(0) }

// freePortExcept is freePort, never returning taken: a port found free but not yet bound by the
// server that asked for it is free again.
func freePortExcept(taken int) (int, error) {
	for range 10 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := l.Addr().(*net.TCPAddr).Port
		if port == taken {
			l.Close()
			continue
		}
		u, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", port))
		l.Close()
		if err == nil {
			u.Close()
			return port, nil
		}
	}
	return 0, errors.New("no port on 127.0.0.1 is free for both TCP and UDP")
}

// sbinFolders are searched after PATH because servers live in sbin, which a non-root user's PATH
// often lacks.
var sbinFolders = []string{"/usr/sbin", "/usr/local/sbin", "/sbin"}

func findBinary(name string) (string, error) {
	path, err := exec.LookPath(name)
	if err == nil {
		return path, nil
	}
	for _, dir := range sbinFolders {
		if path, err := exec.LookPath(filepath.Join(dir, name)); err == nil {
			return path, nil
		}
	}
	return "", err
}

// randomSecret returns 32 random bytes in base64: a TSIG secret as strong as SHA-256's output.
func randomSecret() (string, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return "", fmt.Errorf("dnsserver: reading random TSIG secret: %w", err)
	}
	return base64.StdEncoding.EncodeToString(key), nil
}
