package soak

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/zonekeeper/zonekeeper/test/dnsserver"
	"github.com/zonekeeper/zonekeeper/test/kubeapi"
	"github.com/zonekeeper/zonekeeper/test/soak/faultproxy"
)

var reportPath = flag.String("soak.report", "", "write TestSoak's report as JSON to this file")

const (
	zone  = "example.com"
	owner = "soak"

	// envDuration names the variable holding the soak's length; envSeed the one that
	// replays a run's random choices (churn, faults, kill times).
	envDuration = "ZONEKEEPER_SOAK"
	envSeed     = "ZONEKEEPER_SOAK_SEED"
	// smokeDuration is the soak's length when envDuration is unset: enough for a few
	// kills and every fault kind, cheap enough for every `make test`.
	smokeDuration = 30 * time.Second

	// convergeLimit bounds the wait for the zone after faults stop. Besides a few
	// reconciles it covers a stall begun just before (stallFor).
	convergeLimit = 2 * time.Minute
	// reconcileInterval is the daemon's --interval; steadyFor waits this many of them
	// after convergence to catch a daemon that keeps writing (a flap).
	reconcileInterval = 5 * time.Second
	steadyFor         = 3 * reconcileInterval

	// stallFor outlasts the RFC2136 provider's 30-second request timeout.
	stallFor = 35 * time.Second
	// The daemon lives between these bounds before its SIGKILL; shorter soaks scale
	// them down to a sixth and a third of their length, to kill a few times.
	minLife = 10 * time.Second
	maxLife = 40 * time.Second
)

// faults are the per-request fault probabilities while faults are on.
var faults = faultproxy.Probabilities{Drop: 0.03, Stall: 0.01, ServFail: 0.04, LoseAnswer: 0.03}

// seedRecords are in the zone before any daemon runs and must stay byte for byte: a
// record owned by another owner id with its ownership record, and records nobody owns,
// one of them at a name the churn could never ask for and one at a name it might.
var seedRecords = []string{
	"foreign 300 IN A 198.51.100.7",
	`a-foreign 300 IN TXT "heritage=external-dns,external-dns/owner=other,external-dns/resource=ingress/elsewhere/foreign"`,
	"manual 300 IN A 198.51.100.8",
	`manual 300 IN TXT "v=spf1 -all"`,
	`a-unowned 300 IN TXT "some note, not an ownership record"`,
}

// report is what the soak prints and writes with -soak.report.
type report struct {
	Duration        string                   `json:"duration"`
	Seed            uint64                   `json:"seed"`
	ChurnOps        map[string]int           `json:"churnOps"`
	ChurnOpsTotal   int                      `json:"churnOpsTotal"`
	ChurnErrors     int                      `json:"churnErrors"`
	LiveObjects     int                      `json:"liveObjects"`
	DesiredNames    int                      `json:"desiredNames"`
	Faults          map[faultproxy.Fault]int `json:"faults"`
	Kills           int                      `json:"kills"`
	DaemonStarts    int                      `json:"daemonStarts"`
	UnexpectedExits []string                 `json:"unexpectedExits,omitempty"`
	Logs            logSummary               `json:"logs"`
	ConvergeSeconds float64                  `json:"convergeSeconds"`
	FinalDiff       []string                 `json:"finalDiff"`
	SteadyWrites    uint32                   `json:"steadyWrites"`
}

func TestSoak(t *testing.T) {
	duration, seed := soakSettings(t)
	rep := report{Duration: duration.String(), Seed: seed}
	t.Logf("soak of %s, seed %d (%s=%d replays the random choices)", duration, seed, envSeed, seed)

	binary := buildBinary(t)
	cluster := kubeapi.StartT(t)
	srv := dnsserver.StartT(t, dnsserver.BIND9, dnsserver.Config{
		Zones:             []string{zone},
		ExtraRecords:      map[string][]string{zone: seedRecords},
		MaxRecordsPerType: -1,
	})
	seeds, err := seedsIn(t.Context(), srv)
	if err != nil {
		t.Fatal(err)
	}
	proxy, err := faultproxy.Start(faultproxy.Config{Upstream: srv.Addr, Seed: seed, Faults: faults, StallFor: stallFor})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { proxy.Close() })

	client, err := kubeapi.FastClient(cluster.Config)
	if err != nil {
		t.Fatal(err)
	}
	namespaces := []string{cluster.Namespace(t), cluster.Namespace(t)}
	logDir := t.ArtifactDir()
	sup := &supervisor{
		binary: binary,
		logDir: logDir,
		args:   daemonArgs(t, cluster.Kubeconfig, srv, proxy.Addr),
		rng:    rand.New(rand.NewPCG(seed, seed+2)),
	}
	sup.minLife, sup.maxLife = min(minLife, duration/6), min(maxLife, duration/3)
	if err := sup.start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if sup.current.running() {
			sup.current.kill()
		}
	})

	ch := newChurn(client, namespaces, seed)
	ctx, stopFaults := context.WithTimeout(t.Context(), duration)
	var wg sync.WaitGroup
	wg.Go(func() { ch.run(ctx) })
	var supErr error
	wg.Go(func() { supErr = sup.run(ctx) })
	wg.Wait()
	stopFaults()
	proxy.SetFaults(false)
	faultsOff := time.Now()
	if supErr != nil {
		t.Fatal(supErr)
	}
	if !sup.current.running() {
		sup.noteExit()
		if err := sup.start(); err != nil {
			t.Fatal(err)
		}
	}

	rep.ChurnOps, rep.ChurnErrors = ch.ops, ch.errors
	for _, n := range ch.ops {
		rep.ChurnOpsTotal += n
	}
	rep.LiveObjects = len(ch.ingresses) + len(ch.services)
	if ch.lastErr != nil {
		t.Logf("%d churn operations failed, the last: %v", ch.errors, ch.lastErr)
	}
	want, err := desiredFromAPI(t.Context(), client, namespaces)
	if err != nil {
		t.Fatal(err)
	}
	rep.DesiredNames = len(want)

	diffNow := func() ([]string, uint32, error) {
		rrs, err := srv.Transfer(t.Context(), zone)
		if err != nil {
			return nil, 0, err
		}
		return zoneDiff(zone, owner, rrs, want, seeds), serialOf(rrs), nil
	}
	var serial uint32
	for {
		diff, s, err := diffNow()
		if err == nil && len(diff) == 0 {
			rep.ConvergeSeconds = time.Since(faultsOff).Seconds()
			serial = s
			break
		}
		if err != nil {
			diff = []string{"AXFR: " + err.Error()}
		}
		if time.Since(faultsOff) > convergeLimit || !sup.current.running() {
			rep.FinalDiff = diff
			rep.ConvergeSeconds = -1
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	if rep.FinalDiff == nil {
		// Converged: the daemon must now leave the zone alone.
		time.Sleep(steadyFor)
		diff, s, err := diffNow()
		switch {
		case err != nil:
			t.Errorf("AXFR after convergence: %v", err)
		case len(diff) > 0:
			rep.FinalDiff = diff
			t.Errorf("the zone changed after it had converged:\n%s", strings.Join(diff, "\n"))
		case s != serial:
			rep.SteadyWrites = s - serial
			t.Errorf("the daemon kept writing after convergence: SOA serial %d → %d (a flap?)", serial, s)
		}
	} else {
		t.Errorf("the zone did not converge within %s of the faults stopping; %d differences:\n%s",
			convergeLimit, len(rep.FinalDiff), strings.Join(rep.FinalDiff, "\n"))
	}
	if rep.FinalDiff == nil {
		rep.FinalDiff = []string{}
	}

	last := sup.current
	if err := last.stop(); err != nil {
		t.Error(err)
	}
	rep.Faults = proxy.Counts()
	rep.Kills, rep.DaemonStarts, rep.UnexpectedExits = sup.kills, sup.starts, sup.unexpected
	if rep.Logs, err = summariseLogs(logDir); err != nil {
		t.Error(err)
	}
	for _, exit := range sup.unexpected {
		t.Errorf("zonekeeper exited without being killed: %s", exit)
	}
	if len(rep.Logs.Crashes) > 0 {
		t.Errorf("zonekeeper crashed: %q", rep.Logs.Crashes)
	}
	if t.Failed() {
		t.Logf("last zonekeeper's log (%s):\n%s", last.logPath, last.logTail(100))
	}
	writeReport(t, rep)
}

// soakSettings reads the soak's length and seed from the environment.
func soakSettings(t *testing.T) (time.Duration, uint64) {
	t.Helper()
	duration := smokeDuration
	if v := os.Getenv(envDuration); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			t.Fatalf("%s=%q: want a positive Go duration such as 10m", envDuration, v)
		}
		duration = d
	}
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv(envSeed); v != "" {
		s, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("%s=%q: want an unsigned integer", envSeed, v)
		}
		seed = s
	}
	return duration, seed
}

// daemonArgs are the flags of every daemon: RFC2136 through the proxy at proxyAddr to
// srv's zone, every namespace of the cluster, resyncs every reconcileInterval.
func daemonArgs(t *testing.T, kubeconfig string, srv *dnsserver.Server, proxyAddr string) []string {
	t.Helper()
	secretFile := filepath.Join(t.TempDir(), "tsig")
	if err := os.WriteFile(secretFile, []byte(srv.Secret), 0o600); err != nil {
		t.Fatal(err)
	}
	host, port, _ := strings.Cut(proxyAddr, ":")
	return []string{
		"run",
		"--source=ingress", "--source=service",
		"--provider=rfc2136", "--rfc2136-host=" + host, "--rfc2136-port=" + port,
		"--rfc2136-zone=" + zone, "--rfc2136-tsig-keyname=" + srv.KeyName,
		"--rfc2136-tsig-secret-alg=" + srv.Algorithm, "--rfc2136-tsig-secret-file=" + secretFile,
		"--txt-owner-id=" + owner,
		"--kubeconfig=" + kubeconfig,
		"--interval=" + reconcileInterval.String(), "--min-event-sync-interval=200ms",
		// A stall holds a reconcile for 30 s and a kill loses its progress; the churn's
		// deletions meanwhile pile up past the default budget (50, 30 %), which then
		// withholds every deletion until an operator raises it. The soak checks
		// convergence, not the budget, so it lifts it.
		"--max-deletions=0", "--max-deletion-ratio=0",
		"--metrics-address=127.0.0.1:0",
		"--log-format=json",
	}
}

// seedsIn returns the records of the seed names as the server holds them, in
// presentation format.
func seedsIn(ctx context.Context, srv *dnsserver.Server) ([]string, error) {
	rrs, err := srv.Transfer(ctx, zone)
	if err != nil {
		return nil, err
	}
	names := map[string]bool{}
	for _, s := range seedRecords {
		names[dns.Fqdn(strings.Fields(s)[0]+"."+zone)] = true
	}
	var out []string
	for _, rr := range rrs {
		if names[rr.Header().Name] {
			out = append(out, rr.String())
		}
	}
	if len(out) != len(seedRecords) {
		return nil, fmt.Errorf("the zone holds %d seed records, want %d: %q", len(out), len(seedRecords), out)
	}
	return out, nil
}

// serialOf returns the SOA serial of a zone transfer.
func serialOf(rrs []dns.RR) uint32 {
	for _, rr := range rrs {
		if soa, ok := rr.(*dns.SOA); ok {
			return soa.Serial
		}
	}
	return 0
}

// desiredFromAPI lists the Ingresses and Services of namespaces and returns the records
// they ask for.
func desiredFromAPI(ctx context.Context, client kubernetes.Interface, namespaces []string) (map[string]wanted, error) {
	ingresses, err := client.NetworkingV1().Ingresses("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	services, err := client.CoreV1().Services("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	ingresses.Items = slices.DeleteFunc(ingresses.Items, func(o networkingv1.Ingress) bool { return !slices.Contains(namespaces, o.Namespace) })
	services.Items = slices.DeleteFunc(services.Items, func(o corev1.Service) bool { return !slices.Contains(namespaces, o.Namespace) })
	return desiredRecords(ingresses.Items, services.Items), nil
}

// supervisor keeps one daemon running, killing it with SIGKILL at random times and
// starting the next at once.
type supervisor struct {
	binary, logDir   string
	args             []string
	rng              *rand.Rand
	minLife, maxLife time.Duration

	current    *daemon
	starts     int
	kills      int
	unexpected []string // exits the supervisor did not cause
}

func (s *supervisor) start() error {
	s.starts++
	d, err := startDaemon(s.binary, filepath.Join(s.logDir, fmt.Sprintf("zonekeeper-%03d.log", s.starts)), s.args)
	if err != nil {
		return err
	}
	s.current = d
	return nil
}

// noteExit records that the current daemon exited on its own.
func (s *supervisor) noteExit() {
	s.unexpected = append(s.unexpected, fmt.Sprintf("daemon %d: %v; log tail:\n%s", s.starts, s.current.waitErr, s.current.logTail(20)))
}

// run kills and restarts the daemon until ctx ends, leaving the last one running.
func (s *supervisor) run(ctx context.Context) error {
	for {
		life := s.minLife + time.Duration(s.rng.Int64N(int64(s.maxLife-s.minLife)+1))
		select {
		case <-ctx.Done():
			return nil
		case <-s.current.exited:
			s.noteExit()
		case <-time.After(life):
			if err := s.current.kill(); err != nil {
				return fmt.Errorf("SIGKILL zonekeeper: %w", err)
			}
			s.kills++
		}
		if err := s.start(); err != nil {
			return err
		}
	}
}

// logSummary counts what the daemons' JSON logs say about trouble.
type logSummary struct {
	// Withheld counts "deletion withheld" lines by cause.
	Withheld map[string]int `json:"withheldDeletions"`
	// ZoneErrors counts "zone not reconciled" lines; ReconcileErrors "reconcile failed".
	ZoneErrors      int `json:"zoneErrors"`
	ReconcileErrors int `json:"reconcileErrors"`
	// Crashes are the Go runtime's panic and fatal error lines.
	Crashes []string `json:"crashes,omitempty"`
}

// summariseLogs reads every zonekeeper-*.log in dir.
func summariseLogs(dir string) (logSummary, error) {
	sum := logSummary{Withheld: map[string]int{}}
	paths, err := filepath.Glob(filepath.Join(dir, "zonekeeper-*.log"))
	if err != nil {
		return sum, err
	}
	var errs []error
	for _, path := range paths {
		f, err := os.Open(path)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			line := sc.Text()
			if strings.HasPrefix(line, "panic:") || strings.HasPrefix(line, "fatal error:") {
				sum.Crashes = append(sum.Crashes, filepath.Base(path)+": "+line)
				continue
			}
			var entry struct {
				Msg   string `json:"msg"`
				Cause string `json:"cause"`
			}
			if json.Unmarshal([]byte(line), &entry) != nil {
				continue
			}
			switch entry.Msg {
			case "deletion withheld":
				sum.Withheld[entry.Cause]++
			case "zone not reconciled":
				sum.ZoneErrors++
			case "reconcile failed":
				sum.ReconcileErrors++
			}
		}
		errs = append(errs, sc.Err(), f.Close())
	}
	return sum, errors.Join(errs...)
}

// writeReport logs rep and writes it to -soak.report when given.
func writeReport(t *testing.T, rep report) {
	t.Helper()
	data, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("soak report:\n%s", data)
	if *reportPath != "" {
		if err := os.WriteFile(*reportPath, append(data, '\n'), 0o644); err != nil {
			t.Errorf("write -soak.report: %v", err)
		}
	}
}
