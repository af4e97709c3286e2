package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/zonekeeper/zonekeeper/test/internal/child"
)

// Deadlines of the polling helpers. They bound a hang, they do not measure speed: a
// check that passes passes long before them, on any machine.
const (
	convergeTimeout = 30 * time.Second
	pollInterval    = 100 * time.Millisecond
	// stopTimeout is how long a SIGTERMed daemon may take to finish the zone it
	// writes and exit.
	stopTimeout = 30 * time.Second
)

// owner is the --txt-owner-id of every daemon under test.
const owner = "e2e"

// daemon is one `zonekeeper run` process.
type daemon struct {
	// zoneDir is its --zonefile-dir.
	zoneDir string
	// metricsURL is the base URL of /metrics, /readyz and /healthz.
	metricsURL string

	cmd    *exec.Cmd
	log    *logBuffer
	exited chan struct{} // closed once waitErr is set
	// waitErr is cmd.Wait's result; read it only after exited is closed.
	waitErr error
	stopped bool
}

// startDaemon runs `zonekeeper run` reading Ingresses and Services of namespace through
// kubeconfig into the zone example.com in zoneDir, owner id "e2e", with extra flags
// appended (later flags win). It returns once the metrics server listens. The daemon is
// stopped with SIGTERM at the end of the test if the test has not done so, and its log
// is printed if the test failed.
func startDaemon(t testing.TB, kubeconfig, namespace, zoneDir string, extra ...string) *daemon {
	t.Helper()
	args := append([]string{
		"run",
		"--source=ingress", "--source=service",
		"--provider=zonefile", "--zonefile-dir=" + zoneDir, "--zonefile-zone=" + zone,
		"--txt-owner-id=" + owner,
		"--kubeconfig=" + kubeconfig, "--namespace=" + namespace,
		// Port 0: the kernel picks a free port, and the daemon logs which.
		"--metrics-address=127.0.0.1:0",
		"--log-format=json",
	}, extra...)
	d := &daemon{zoneDir: zoneDir, log: &logBuffer{}, exited: make(chan struct{})}
	d.cmd = exec.Command(suite.binary, args...)
	d.cmd.Env = child.CleanEnv(os.Environ())
	d.cmd.Stdout, d.cmd.Stderr = d.log, d.log
	waited, err := child.Start(d.cmd)
	if err != nil {
		t.Fatalf("start zonekeeper: %v", err)
	}
	go func() {
		d.waitErr = <-waited
		close(d.exited)
	}()
	t.Cleanup(func() {
		if !d.stopped {
			d.stop(t)
		}
		if t.Failed() {
			t.Logf("zonekeeper %s log:\n%s", strings.Join(args, " "), d.log.tail(200))
		}
	})

	d.waitFor(t, 2*convergeTimeout, "the metrics server to listen", func() error {
		addr := d.log.field("serving health and metrics", "address")
		if addr == "" {
			return errors.New(`no "serving health and metrics" line in the log yet`)
		}
		d.metricsURL = "http://" + addr
		return nil
	})
	return d
}

// stop sends SIGTERM and waits for the process to exit, failing the test unless it
// exits with code 0 and logs "stopped", and without a data race report.
func (d *daemon) stop(t testing.TB) {
	t.Helper()
	d.stopped = true
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Errorf("SIGTERM zonekeeper: %v", err)
	}
	select {
	case <-d.exited:
	case <-time.After(stopTimeout):
		_ = d.cmd.Process.Kill()
		<-d.exited
		t.Errorf("zonekeeper did not exit within %s of SIGTERM; killed it", stopTimeout)
		return
	}
	if d.waitErr != nil {
		t.Errorf("zonekeeper exited after SIGTERM with %v, want exit code 0", d.waitErr)
	}
	if !d.log.hasMessage("stopped") {
		t.Error(`zonekeeper's log has no "stopped" line`)
	}
	if strings.Contains(d.log.String(), "WARNING: DATA RACE") {
		t.Error("zonekeeper reported a data race")
	}
}

// pid returns the daemon's process id.
func (d *daemon) pid() int { return d.cmd.Process.Pid }

// waitFor polls check until it returns nil. It fails the test with check's last error
// when timeout passes, and at once if the daemon exits meanwhile.
func (d *daemon) waitFor(t testing.TB, timeout time.Duration, what string, check func() error) {
	t.Helper()
	if err := d.poll(timeout, what, check); err != nil {
		t.Fatal(err)
	}
}

// poll is waitFor returning its failure instead, for a test that can go on after it.
func (d *daemon) poll(timeout time.Duration, what string, check func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := check()
		if err == nil {
			return nil
		}
		select {
		case <-d.exited:
			return fmt.Errorf("waiting for %s: zonekeeper exited (%v); last check: %v", what, d.waitErr, err)
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("waiting for %s: not within %s: %v", what, timeout, err)
		}
		time.Sleep(pollInterval)
	}
}

// readyz returns the status code of GET /readyz and its body.
func (d *daemon) readyz() (int, string, error) {
	status, body, err := d.get("/readyz")
	return status, strings.TrimSpace(body), err
}

// waitReady waits until /readyz answers 200.
func (d *daemon) waitReady(t testing.TB, timeout time.Duration) {
	t.Helper()
	d.waitFor(t, timeout, "/readyz to answer 200", func() error {
		status, body, err := d.readyz()
		if err != nil {
			return err
		}
		if status != http.StatusOK {
			return fmt.Errorf("/readyz: %d %s", status, body)
		}
		return nil
	})
}

// metric returns the sum of every sample of the metric name on /metrics whose labels
// include all of labels (each `key="value"`); 0 when there is none.
func (d *daemon) metric(name string, labels ...string) (float64, error) {
	status, body, err := d.get("/metrics")
	if err != nil {
		return 0, err
	}
	if status != http.StatusOK {
		return 0, fmt.Errorf("/metrics: status %d", status)
	}
	return sumSamples(body, name, labels...)
}

// reconciles returns zonekeeper_reconciles_total summed over results.
func (d *daemon) reconciles(t testing.TB) float64 {
	t.Helper()
	n, err := d.metric("zonekeeper_reconciles_total")
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (d *daemon) get(path string) (int, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, d.metricsURL+path, nil)
	if err != nil {
		return 0, "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}

// sumSamples adds up the samples of metric name in a Prometheus text exposition whose
// label sets contain every one of labels.
func sumSamples(exposition, name string, labels ...string) (float64, error) {
	var sum float64
	sc := bufio.NewScanner(strings.NewReader(exposition))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		rest, ok := strings.CutPrefix(line, name)
		if !ok || strings.HasPrefix(line, "#") {
			continue
		}
		var labelSet string
		switch {
		case strings.HasPrefix(rest, "{"):
			end := strings.Index(rest, "}")
			if end < 0 {
				return 0, fmt.Errorf("metrics line %q: unterminated labels", line)
			}
			labelSet, rest = rest[1:end], rest[end+1:]
		case strings.HasPrefix(rest, " "):
		default:
			continue // another metric whose name starts with name
		}
		if !containsAll(strings.Split(labelSet, ","), labels) {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			return 0, fmt.Errorf("metrics line %q: no value", line)
		}
		v, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			return 0, fmt.Errorf("metrics line %q: %w", line, err)
		}
		sum += v
	}
	return sum, sc.Err()
}

func containsAll(set, want []string) bool {
	for _, w := range want {
		if !slices.Contains(set, w) {
			return false
		}
	}
	return true
}

// logBuffer collects the daemon's stdout and stderr; it is safe for concurrent use.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// tail returns the last n lines.
func (b *logBuffer) tail(n int) string {
	lines := strings.SplitAfter(b.String(), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "")
}

// entries returns the JSON log lines (slog's JSON handler) whose msg is msg; lines that
// are not JSON (client-go's klog, a race report) are skipped.
func (b *logBuffer) entries(msg string) []map[string]any {
	var out []map[string]any
	for line := range strings.Lines(b.String()) {
		var e map[string]any
		if json.Unmarshal([]byte(line), &e) == nil && e["msg"] == msg {
			out = append(out, e)
		}
	}
	return out
}

func (b *logBuffer) hasMessage(msg string) bool { return len(b.entries(msg)) > 0 }

// field returns the string attribute key of the first entry with message msg, or "".
func (b *logBuffer) field(msg, key string) string {
	for _, e := range b.entries(msg) {
		if v, ok := e[key].(string); ok {
			return v
		}
	}
	return ""
}
