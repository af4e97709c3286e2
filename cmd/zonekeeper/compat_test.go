package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

// externalDNSArgs are container args the way external-dns's Deployment gives them: flags
// and no command, over the example objects and a zone file.
func externalDNSArgs(dir string, extra ...string) []string {
	return append([]string{"--source=manifest", "--manifest=../../examples", "--provider=zonefile",
		"--zonefile-dir=" + dir, "--zonefile-zone=example.com", "--txt-owner-id=default", "--policy=sync", "--registry=txt"}, extra...)
}

// lockedBuffer is a bytes.Buffer the daemon may write while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// daemon is a zonekeeper started by execute in the background.
type daemon struct {
	stderr *lockedBuffer
	cancel context.CancelFunc
	done   chan int
}

func startDaemon(t *testing.T, env map[string]string, args ...string) *daemon {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	d := &daemon{stderr: &lockedBuffer{}, cancel: cancel, done: make(chan int, 1)}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	go func() { d.done <- execute(ctx, args, io.Discard, d.stderr, lookup) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-d.done:
		case <-time.After(30 * time.Second):
			t.Error("the daemon did not stop within 30s of its context ending")
		}
	})
	return d
}

// waitFor polls cond until it holds; it fails the test if the daemon exits first or
// 30 seconds pass.
func (d *daemon) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		select {
		case code := <-d.done:
			d.done <- code
			t.Fatalf("the daemon exited with %d before %s:\n%s", code, what, d.stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s after 30s:\n%s", what, d.stderr.String())
		}
	}
}

// stop ends the daemon and returns its exit code.
func (d *daemon) stop(t *testing.T) int {
	t.Helper()
	d.cancel()
	code := <-d.done
	d.done <- code
	return code
}

func fileExists(path string) func() bool {
	return func() bool { _, err := os.Stat(path); return err == nil }
}

func TestWithDefaultCommand(t *testing.T) {
	tests := []struct {
		args, want []string
	}{
		{args: nil, want: nil},
		{args: []string{"--source=service", "--provider=aws"}, want: []string{"run", "--source=service", "--provider=aws"}},
		{args: []string{"--once", "--source", "service"}, want: []string{"run", "--once", "--source", "service"}},
		{args: []string{"-h"}, want: []string{"-h"}},
		{args: []string{"--help"}, want: []string{"--help"}},
		{args: []string{"--version"}, want: []string{"--version"}},
		{args: []string{"plan", "--source=service"}, want: []string{"plan", "--source=service"}},
		{args: []string{"frobnicate", "--source=service"}, want: []string{"frobnicate", "--source=service"}},
	}
	for _, tt := range tests {
		if got := withDefaultCommand(tt.args); !slices.Equal(got, tt.want) {
			t.Errorf("withDefaultCommand(%q) = %q, want %q", tt.args, got, tt.want)
		}
	}
}

// TestNoCommand: external-dns's args, which name no command, do what `run` does; the
// commands, the help and unknown commands are as before.
func TestNoCommand(t *testing.T) {
	t.Run("one-shot run", func(t *testing.T) {
		dir := t.TempDir()
		if r := runCLI(t, nil, externalDNSArgs(dir, "--once")...); r.code != 0 {
			t.Fatalf("exit %d\n%s", r.code, r.stderr)
		}
		zone, err := os.ReadFile(filepath.Join(dir, "example.com.zone"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(zone), "192.0.2.10") {
			t.Errorf("zone lacks www's address:\n%s", zone)
		}
		again := runCLI(t, nil, append([]string{"plan", "--detailed-exitcode"}, externalDNSArgs(dir)...)...)
		if again.code != 0 {
			t.Errorf("plan after the run without a command: exit %d, want 0 (in sync)\n%s%s", again.code, again.stdout, again.stderr)
		}
	})
	t.Run("daemon", func(t *testing.T) {
		dir := t.TempDir()
		d := startDaemon(t, nil, externalDNSArgs(dir, "--interval=20ms", "--metrics-address=")...)
		d.waitFor(t, "zone file", fileExists(filepath.Join(dir, "example.com.zone")))
		if code := d.stop(t); code != 0 {
			t.Fatalf("exit %d after SIGTERM, want 0\n%s", code, d.stderr.String())
		}
	})
	for _, tt := range []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{name: "no args print the help", args: nil, code: 0, stdout: "zonekeeper run    makes the changes"},
		{name: "help", args: []string{"--help"}, code: 0, stdout: "Available Commands:"},
		{name: "version flag", args: []string{"--version"}, code: 0, stdout: "zonekeeper " + buildVersion() + "\n"},
		{name: "version command", args: []string{"version"}, code: 0, stdout: "zonekeeper " + buildVersion() + "\n"},
		{name: "unknown command", args: []string{"frobnicate", "--source=service"}, code: 1, stderr: `unknown command "frobnicate"`},
		{name: "a word after external-dns's flags", args: []string{"--source=service", "plan"}, code: 1, stderr: `"plan"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, nil, tt.args...)
			if r.code != tt.code || !strings.Contains(r.stdout, tt.stdout) || !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("exit %d, want %d with %q on stdout and %q on stderr\nstdout:\n%s\nstderr:\n%s", r.code, tt.code, tt.stdout, tt.stderr, r.stdout, r.stderr)
			}
		})
	}
}

func TestParseLogLevel(t *testing.T) {
	tests := []struct {
		name string
		want slog.Level
	}{
		{"panic", slog.LevelError + 8},
		{"fatal", slog.LevelError + 4},
		{"error", slog.LevelError},
		{"warning", slog.LevelWarn},
		{"warn", slog.LevelWarn},
		{"WARNING", slog.LevelWarn},
		{"info", slog.LevelInfo},
		{"debug", slog.LevelDebug},
		{"trace", slog.LevelDebug - 4},
		{"info+2", slog.LevelInfo + 2},
	}
	for _, tt := range tests {
		if got, err := parseLogLevel(tt.name); err != nil || got != tt.want {
			t.Errorf("parseLogLevel(%q) = %v, %v; want %v", tt.name, got, err, tt.want)
		}
	}
	if _, err := parseLogLevel("verbose"); err == nil || !strings.Contains(err.Error(), `"verbose"`) || !strings.Contains(err.Error(), "warning") {
		t.Errorf("parseLogLevel(verbose) = %v, want an error naming the value and the choices", err)
	}
}

// TestLogrusLevels: the daemon starts with external-dns's --log-level=warning and logs
// no info lines; trace logs debug lines.
func TestLogrusLevels(t *testing.T) {
	dir := t.TempDir()
	d := startDaemon(t, nil, externalDNSArgs(dir, "--log-level=warning", "--interval=20ms", "--metrics-address=")...)
	d.waitFor(t, "zone file", fileExists(filepath.Join(dir, "example.com.zone")))
	if code := d.stop(t); code != 0 {
		t.Fatalf("exit %d, want 0\n%s", code, d.stderr.String())
	}
	if log := d.stderr.String(); strings.Contains(log, "level=INFO") {
		t.Errorf("--log-level=warning logged info lines:\n%s", log)
	}

	r := runCLI(t, nil, externalDNSArgs(t.TempDir(), "--once", "--log-level=trace")...)
	if r.code != 0 || !strings.Contains(r.stderr, "level=INFO") {
		t.Errorf("--log-level=trace: exit %d, want 0 and info lines:\n%s", r.code, r.stderr)
	}
	for _, level := range []string{"fatal", "panic"} {
		r := runCLI(t, nil, externalDNSArgs(t.TempDir(), "--once", "--log-level="+level)...)
		if r.code != 0 || r.stderr != "" {
			t.Errorf("--log-level=%s: exit %d, want 0 and an empty log:\n%s", level, r.code, r.stderr)
		}
	}
}

func TestEnvValues(t *testing.T) {
	tests := []struct {
		value      string
		repeatable bool
		want       []string
	}{
		{"service\ningress", true, []string{"service", "ingress"}},
		{"service\r\ningress\r\n", true, []string{"service", "ingress"}},
		{"service\n", true, []string{"service"}},
		{"a,b\nc", true, []string{"a,b", "c"}},
		{"owner\nid", false, []string{"owner\nid"}},
		{"", true, []string{""}},
	}
	for _, tt := range tests {
		if got := envValues(tt.value, tt.repeatable); !slices.Equal(got, tt.want) {
			t.Errorf("envValues(%q, %t) = %q, want %q", tt.value, tt.repeatable, got, tt.want)
		}
	}
}

// TestNewlineEnvironmentLists: external-dns's one-value-a-line environment lists give
// every value, for every repeatable flag.
func TestNewlineEnvironmentLists(t *testing.T) {
	dir := t.TempDir()
	args := []string{"--once", "--manifest=../../examples", "--provider=zonefile", "--zonefile-dir=" + dir}
	env := map[string]string{
		"EXTERNAL_DNS_SOURCE":        "service\ningress\n",
		"EXTERNAL_DNS_ZONEFILE_ZONE": "example.com",
		"EXTERNAL_DNS_DOMAIN_FILTER": "www.example.com\napi.example.com",
	}
	r := runCLI(t, env, args...)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	zone, err := os.ReadFile(filepath.Join(dir, "example.com.zone"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"www.example.com.", "api.example.com."} { // an Ingress's and a Service's
		if !strings.Contains(string(zone), want) {
			t.Errorf("zone lacks %s: a line of EXTERNAL_DNS_SOURCE or EXTERNAL_DNS_DOMAIN_FILTER was lost:\n%s", want, zone)
		}
	}
	if strings.Contains(string(zone), "docs.example.com.") {
		t.Errorf("zone holds docs.example.com, outside both lines of EXTERNAL_DNS_DOMAIN_FILTER:\n%s", zone)
	}

	// Every repeatable flag splits its environment value into lines.
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	var o options
	addFlags(fs, &o)
	fs.VisitAll(func(f *pflag.Flag) {
		if !repeatable(f) {
			return
		}
		lookup := func(k string) (string, bool) { return "a\nb", k == "EXTERNAL_DNS_"+envName(f.Name) }
		one := pflag.NewFlagSet("one", pflag.ContinueOnError)
		var oo options
		addFlags(one, &oo)
		if err := applyEnv(one, lookup); err != nil {
			t.Errorf("--%s from a two-line variable: %v", f.Name, err)
			return
		}
		got := one.Lookup(f.Name).Value.String()
		if !strings.Contains(got, "a") || !strings.Contains(got, "b") || strings.Contains(got, "\n") {
			t.Errorf("--%s from \"a\\nb\" = %q, want both values", f.Name, got)
		}
	})
}

// TestRepeatedFQDNTemplate: several --fqdn-template are joined with commas, as
// external-dns joins them, so every template gives names.
func TestRepeatedFQDNTemplate(t *testing.T) {
	dir := t.TempDir()
	r := runCLI(t, nil, "--once", "--source=service", "--manifest=testdata/fqdn", "--provider=zonefile", "--zonefile-dir="+dir,
		"--zonefile-zone=example.com", "--fqdn-template={{.Name}}.example.com", "--fqdn-template={{.Name}}-{{.Namespace}}.example.com")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	zone, err := os.ReadFile(filepath.Join(dir, "example.com.zone"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"plain.example.com.", "plain-shop.example.com."} {
		if !strings.Contains(string(zone), want) {
			t.Errorf("zone lacks %s:\n%s", want, zone)
		}
	}

	var o options
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	addFlags(fs, &o)
	if err := fs.Parse([]string{"--fqdn-template={{.Name}}.a", "--fqdn-template={{.Name}}.b", "--fqdn-template={{.Name}}.c"}); err != nil {
		t.Fatal(err)
	}
	if want := "{{.Name}}.a,{{.Name}}.b,{{.Name}}.c"; o.src.FQDNTemplate != want {
		t.Errorf("FQDNTemplate = %q, want %q", o.src.FQDNTemplate, want)
	}
}

// externalDNSFlagsPath lists external-dns's flags, one a line, "name" or "name bool"; made
// from docs/flags.md of kubernetes-sigs/external-dns at commit
// 2bf1bf8af2b70f23579f9147c1f7e9394f7f83d5 (master, August 2026).
const externalDNSFlagsPath = "testdata/external-dns-flags.txt"

// TestEveryExternalDNSFlagIsKnown: every external-dns flag is either implemented or
// refused by name with what to use instead; none is an "unknown flag".
func TestEveryExternalDNSFlagIsKnown(t *testing.T) {
	data, err := os.ReadFile(externalDNSFlagsPath)
	if err != nil {
		t.Fatal(err)
	}
	run := newRunCommand(func(string) (string, bool) { return "", false })
	fs := run.Flags()
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) < 150 {
		t.Fatalf("%s lists %d flags; external-dns has about 180", externalDNSFlagsPath, len(lines))
	}
	for _, line := range lines {
		name, kind, _ := strings.Cut(line, " ")
		if name == "help" {
			continue // cobra's own
		}
		t.Run(name, func(t *testing.T) {
			f := fs.Lookup(name)
			if f == nil {
				t.Fatalf("--%s is neither implemented nor refused", name)
			}
			if kind == "bool" && fs.Lookup(negationPrefix+name) == nil {
				t.Errorf("--%s%s, external-dns's negation, is unknown", negationPrefix, name)
			}
			rv, refused := f.Value.(refusedValue)
			if !refused {
				return
			}
			if rv.flag.instead == "" {
				t.Errorf("--%s is refused without saying what to use instead", name)
			}
			args := []string{"--" + name + "=x"}
			if kind == "bool" {
				args = []string{"--" + name}
			}
			r := runCLI(t, nil, append([]string{"--source=service"}, args...)...)
			if r.code != 1 || !strings.Contains(r.stderr, "--"+name+" is an external-dns flag") || !strings.Contains(r.stderr, rv.flag.instead) {
				t.Errorf("exit %d, want 1 and the refusal of --%s with its reason:\n%s", r.code, name, r.stderr)
			}
			env := map[string]string{"EXTERNAL_DNS_" + envName(name): "x"}
			if kind == "bool" {
				env["EXTERNAL_DNS_"+envName(name)] = "true"
			}
			if r := runCLI(t, env, "--source=manifest", "--manifest=../../examples", "--once", "--provider=inmemory", "--inmemory-zone=example.com"); r.code != 1 || !strings.Contains(r.stderr, "--"+name) {
				t.Errorf("from the environment: exit %d, want 1 and the refusal of --%s:\n%s", r.code, name, r.stderr)
			}
		})
	}
}

// TestRefusedTableIsCurrent: a refused flag that a command now implements must leave the
// table, or the table would hide it from a reader.
func TestRefusedTableIsCurrent(t *testing.T) {
	seen := map[string]bool{}
	for _, rf := range refusedFlags {
		if seen[rf.name] {
			t.Errorf("--%s is in the refused table twice", rf.name)
		}
		seen[rf.name] = true
	}
	root := newRootCommand(io.Discard, io.Discard, func(string) (string, bool) { return "", false })
	for _, c := range root.Commands() {
		c.Flags().VisitAll(func(f *pflag.Flag) {
			if _, refused := f.Value.(refusedValue); !refused && seen[f.Name] {
				t.Errorf("%s implements --%s: remove it from refusedFlags", c.CommandPath(), f.Name)
			}
		})
	}
}

// metricValue returns the value of the sample series (name and labels, as exposed) in
// a Prometheus text exposition, and whether it is there.
func metricValue(exposition, series string) (float64, bool) {
	for _, line := range strings.Split(exposition, "\n") {
		rest, ok := strings.CutPrefix(line, series+" ")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
		return v, err == nil
	}
	return 0, false
}

// TestCompatibilityMetricsOnMetricsEndpoint: the daemon started with external-dns's args
// serves external-dns's metrics, with their label sets, on /metrics.
func TestCompatibilityMetricsOnMetricsEndpoint(t *testing.T) {
	dir := t.TempDir()
	d := startDaemon(t, nil, externalDNSArgs(dir, "--interval=20ms", "--metrics-address=127.0.0.1:0", "--log-level=info")...)
	addressRE := regexp.MustCompile(`msg="serving health and metrics" address=(\S+)`)
	var address string
	d.waitFor(t, "metrics address in the log", func() bool {
		m := addressRE.FindStringSubmatch(d.stderr.String())
		if m != nil {
			address = m[1]
		}
		return m != nil
	})
	scrape := func() string {
		resp, err := http.Get("http://" + address + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return string(body)
	}
	var body string
	// The second reconcile finds the records the first wrote: verified.
	d.waitFor(t, "verified records on /metrics", func() bool {
		body = scrape()
		v, ok := metricValue(body, `external_dns_controller_verified_records{record_type="A"}`)
		return ok && v > 0
	})
	for _, series := range []string{
		"external_dns_controller_last_sync_timestamp_seconds",
		"external_dns_controller_last_reconcile_timestamp_seconds",
		"external_dns_registry_endpoints_total",
		"external_dns_source_endpoints_total",
	} {
		if v, ok := metricValue(body, series); !ok || v <= 0 {
			t.Errorf("%s = %v (present %t), want above 0", series, v, ok)
		}
	}
	now := float64(time.Now().Unix())
	if v, _ := metricValue(body, "external_dns_controller_last_sync_timestamp_seconds"); v < now-60 || v > now+1 {
		t.Errorf("last sync timestamp %v, want about %v", v, now)
	}
	for _, series := range []string{
		"external_dns_controller_consecutive_soft_errors",
		"external_dns_registry_errors_total",
		"external_dns_source_errors_total",
	} {
		if v, ok := metricValue(body, series); !ok || v != 0 {
			t.Errorf("%s = %v (present %t), want 0", series, v, ok)
		}
	}
	for _, typ := range []string{"# TYPE external_dns_controller_verified_records gauge", "# TYPE external_dns_registry_errors_total counter",
		"# TYPE external_dns_source_errors_total counter", "# TYPE external_dns_registry_endpoints_total gauge"} {
		if !strings.Contains(body, typ) {
			t.Errorf("/metrics lacks %q", typ)
		}
	}
	if code := d.stop(t); code != 0 {
		t.Errorf("exit %d, want 0\n%s", code, d.stderr.String())
	}
}

// TestRequestTimeoutAlias: external-dns's deprecated --request-timeout still sets the
// Kubernetes API request timeout.
func TestRequestTimeoutAlias(t *testing.T) {
	var o options
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	addFlags(fs, &o)
	if err := fs.Parse([]string{"--request-timeout=5s"}); err != nil {
		t.Fatal(err)
	}
	if o.kube.Timeout != 5*time.Second {
		t.Errorf("Kubernetes API timeout %v, want 5s", o.kube.Timeout)
	}
}
