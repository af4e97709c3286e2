package e2e

// BenchmarkMixedScale measures the daemon at scale on a mix of kinds: N objects, 40 %
// Ingresses, 30 % LoadBalancer Services and 30 % HTTPRoutes, each asking for one A record.
// It answers whether the daemon converges, what memory it keeps, and what an idle
// periodic resync and one event cost with that many objects. Run it at full size with
//
//	ZONEKEEPER_MIXED_N=100000 go test -run '^$' -bench BenchmarkMixedScale -benchtime 1x -timeout 70m ./test/e2e/
//
// and with ZONEKEEPER_MIXED_PROVIDER=rfc2136 to write to BIND9 instead of a zone file.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	gatewayclient "sigs.k8s.io/gateway-api/pkg/client/clientset/versioned"

	"github.com/zonekeeper/zonekeeper/test/bench"
	"github.com/zonekeeper/zonekeeper/test/dnsserver"
	"github.com/zonekeeper/zonekeeper/test/internal/parallel"
)

// The environment variables that set BenchmarkMixedScale's N and its provider
// (zonefile, the default, or rfc2136 with BIND9).
const (
	mixedNEnv        = "ZONEKEEPER_MIXED_N"
	mixedProviderEnv = "ZONEKEEPER_MIXED_PROVIDER"
)

// N without ZONEKEEPER_MIXED_N, and its bounds. The default is what `make bench` runs:
// on a 2-core machine the test API server takes about 25 minutes to create 100,000 of
// these objects and 20 to delete them, most of it Services: each ClusterIP allocation
// lists every IPAddress object the API server holds (docs/benchmarks.md). Below mixedMinN a kind would
// get no object. Above mixedMaxN the Services (30 %) would crowd the test API server's
// 10.96.0.0/12 ClusterIP range, which other tests' Services share.
const (
	mixedDefaultN = 3000
	mixedMinN     = 10
	mixedMaxN     = 200000
)

// mixedProgressEvery is how many objects of a kind load creates between two progress
// lines.
const mixedProgressEvery = 5000

// mixedGateways is how many Gateways the HTTPRoutes are spread over; Gateway g has
// address 192.0.2.<g+1>.
const mixedGateways = 10

// The addresses of the Ingresses' and the Services' status.
const (
	mixedIngressIP = "203.0.113.1"
	mixedServiceIP = "198.51.100.1"
)

// parseMixedN reads BenchmarkMixedScale's N from the value of ZONEKEEPER_MIXED_N: empty
// means mixedDefaultN.
func parseMixedN(value string) (int, error) {
	if value == "" {
		return mixedDefaultN, nil
	}
	n, err := strconv.Atoi(value)
	if err != nil {
		return 0, fmt.Errorf("%s=%q: not a whole number of objects", mixedNEnv, value)
	}
	if n < mixedMinN || n > mixedMaxN {
		return 0, fmt.Errorf("%s=%d: want between %d (one object of each kind) and %d (the Services' ClusterIPs must fit the test API server's /12)",
			mixedNEnv, n, mixedMinN, mixedMaxN)
	}
	return n, nil
}

// mixedSplit divides n objects into 40 % Ingresses, 30 % Services and the rest, about
// 30 %, HTTPRoutes.
func mixedSplit(n int) (ingresses, services, routes int) {
	ingresses, services = n*4/10, n*3/10
	return ingresses, services, n - ingresses - services
}

func TestParseMixedN(t *testing.T) {
	for _, tc := range []struct {
		value string
		want  int
		err   bool
	}{
		{"", mixedDefaultN, false},
		{"3000", 3000, false},
		{"10", 10, false},
		{"200000", 200000, false},
		{"9", 0, true},
		{"0", 0, true},
		{"-5", 0, true},
		{"200001", 0, true},
		{"1e5", 0, true},
		{"100k", 0, true},
		{" 100", 0, true},
	} {
		got, err := parseMixedN(tc.value)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("parseMixedN(%q) = %d, %v; want %d, error %v", tc.value, got, err, tc.want, tc.err)
		}
	}
}

func TestMixedSplit(t *testing.T) {
	for _, tc := range []struct{ n, ingresses, services, routes int }{
		{10, 4, 3, 3},
		{11, 4, 3, 4},
		{3000, 1200, 900, 900},
		{100000, 40000, 30000, 30000},
		{99999, 39999, 29999, 30001},
	} {
		i, s, r := mixedSplit(tc.n)
		if i != tc.ingresses || s != tc.services || r != tc.routes {
			t.Errorf("mixedSplit(%d) = %d, %d, %d; want %d, %d, %d", tc.n, i, s, r, tc.ingresses, tc.services, tc.routes)
		}
	}
}

// mixedObjects are the objects BenchmarkMixedScale loads into namespace ns: Ingress
// ing-<i> for ing-<i>.<zone>, Service svc-<i> for svc-<i>.<zone> and HTTPRoute route-<i>
// for route-<i>.<zone> through Gateway gw-<i mod 10>.
type mixedObjects struct {
	client                      kubernetes.Interface
	gw                          gatewayclient.Interface
	ns                          string
	ingresses, services, routes int
}

func mixedHost(kind string, i int) string { return fmt.Sprintf("%s-%d.%s", kind, i, zone) }

func mixedGateway(i int) string { return fmt.Sprintf("gw-%d", i%mixedGateways) }

func mixedGatewayIP(i int) string { return fmt.Sprintf("192.0.2.%d", i%mixedGateways+1) }

// wantA returns the A records the zone must hold for the objects, one per object.
func (m mixedObjects) wantA() []string {
	out := make([]string, 0, m.ingresses+m.services+m.routes)
	for i := range m.ingresses {
		out = append(out, a(mixedHost("ing", i), mixedIngressIP))
	}
	for i := range m.services {
		out = append(out, a(mixedHost("svc", i), mixedServiceIP))
	}
	for i := range m.routes {
		out = append(out, a(mixedHost("route", i), mixedGatewayIP(i)))
	}
	return out
}

// createGateways creates the Gateways, with their addresses.
func (m mixedObjects) createGateways(b *testing.B) {
	b.Helper()
	for g := range mixedGateways {
		if _, err := m.gw.GatewayV1().Gateways(m.ns).Create(b.Context(), testGateway(m.ns, mixedGateway(g), zone), metav1.CreateOptions{}); err != nil {
			b.Fatal(err)
		}
		setGatewayAddresses(b, m.gw, m.ns, mixedGateway(g), mixedGatewayIP(g))
	}
}

// load creates the objects one kind after the other, loadWorkers at a time, and logs
// how long each kind took.
func (m mixedObjects) load(b *testing.B) {
	b.Helper()
	ctx := b.Context()
	for _, kind := range []struct {
		name string
		n    int
		one  func(i int) error
	}{
		{"Ingresses", m.ingresses, func(i int) error { return m.createIngress(ctx, i) }},
		{"LoadBalancer Services", m.services, func(i int) error { return m.createService(ctx, i) }},
		{"HTTPRoutes", m.routes, func(i int) error {
			return tryCreateHTTPRoute(ctx, m.gw, m.ns, fmt.Sprintf("route-%d", i), parentRef(mixedGateway(i), "http"), mixedHost("route", i))
		}},
	} {
		start := time.Now()
		// At full size a kind takes minutes: the progress tells a slowing API server
		// from a hung one.
		var created atomic.Int64
		one := func(i int) error {
			if err := kind.one(i); err != nil {
				return err
			}
			if n := created.Add(1); n%mixedProgressEvery == 0 {
				b.Logf("created %d of %d %s after %v", n, kind.n, kind.name, time.Since(start).Round(time.Second))
			}
			return nil
		}
		if err := parallel.ForEach(ctx, kind.n, loadWorkers, one); err != nil {
			b.Fatalf("creating %d %s: %v", kind.n, kind.name, err)
		}
		b.Logf("created %d %s in %v", kind.n, kind.name, time.Since(start).Round(time.Millisecond))
	}
}

// createIngress creates Ingress ing-<i> and then writes its status address, as an
// ingress controller would.
func (m mixedObjects) createIngress(ctx context.Context, i int) error {
	api := m.client.NetworkingV1().Ingresses(m.ns)
	ing, err := api.Create(ctx, newIngress(m.ns, fmt.Sprintf("ing-%d", i), []string{mixedHost("ing", i)}, nil), metav1.CreateOptions{})
	if err != nil {
		return err
	}
	_, err = api.UpdateStatus(ctx, withIngressIPs(ing, mixedIngressIP), metav1.UpdateOptions{})
	return err
}

// createService creates LoadBalancer Service svc-<i> with the hostname annotation and
// then writes its status address, as a load balancer controller would.
func (m mixedObjects) createService(ctx context.Context, i int) error {
	api := m.client.CoreV1().Services(m.ns)
	svc, err := api.Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: m.ns, Name: fmt.Sprintf("svc-%d", i),
			Annotations: map[string]string{hostnameAnnotation: mixedHost("svc", i)},
		},
		Spec: corev1.ServiceSpec{
			Type: corev1.ServiceTypeLoadBalancer,
			// The node port range (2,768 ports) would run out long before N.
			AllocateLoadBalancerNodePorts: new(false),
			Ports:                         []corev1.ServicePort{{Port: 80, Protocol: corev1.ProtocolTCP}},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		return err
	}
	svc.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: mixedServiceIP}}
	_, err = api.UpdateStatus(ctx, svc, metav1.UpdateOptions{})
	return err
}

// deleteAll deletes every object load and createGateways may have created, and the
// Ingress named extra, one by one, loadWorkers at a time: Services have no
// DeleteCollection, and one of tens of thousands of objects outlasts the API server's
// request timeout. Objects already gone are no error, so that it can clean up after a
// load that failed halfway.
func (m mixedObjects) deleteAll(ctx context.Context, extra string) error {
	ignoreGone := func(err error) error {
		if apierrors.IsNotFound(err) {
			return nil
		}
		return err
	}
	opts := metav1.DeleteOptions{}
	for _, kind := range []struct {
		name string
		n    int
		one  func(i int) error
	}{
		{"Ingresses", m.ingresses, func(i int) error {
			return ignoreGone(m.client.NetworkingV1().Ingresses(m.ns).Delete(ctx, fmt.Sprintf("ing-%d", i), opts))
		}},
		{"Services", m.services, func(i int) error {
			return ignoreGone(m.client.CoreV1().Services(m.ns).Delete(ctx, fmt.Sprintf("svc-%d", i), opts))
		}},
		{"HTTPRoutes", m.routes, func(i int) error {
			return ignoreGone(m.gw.GatewayV1().HTTPRoutes(m.ns).Delete(ctx, fmt.Sprintf("route-%d", i), opts))
		}},
		{"Gateways", mixedGateways, func(i int) error {
			return ignoreGone(m.gw.GatewayV1().Gateways(m.ns).Delete(ctx, mixedGateway(i), opts))
		}},
		{"the event's Ingress", 1, func(int) error {
			return ignoreGone(m.client.NetworkingV1().Ingresses(m.ns).Delete(ctx, extra, opts))
		}},
	} {
		if err := parallel.ForEach(ctx, kind.n, loadWorkers, kind.one); err != nil {
			return fmt.Errorf("deleting the %s of namespace %s: %w", kind.name, m.ns, err)
		}
	}
	return nil
}

// zoneWatch reads the zone file a daemon writes only when it has changed, so that
// polling a zone of hundreds of thousands of records does not take the CPU the daemon
// under measurement needs, and dates what it reads by the file's modification time:
// the zonefile provider replaces the file by a rename, so that is when the daemon
// wrote the content.
type zoneWatch struct {
	dir  string
	path string

	seen    os.FileInfo // the version last read; nil before the first
	lastErr error       // what check said of it
}

func newZoneWatch(dir string) *zoneWatch {
	return &zoneWatch{dir: dir, path: filepath.Join(dir, zone+".zone")}
}

// waitUntil polls the zone file until check accepts its records, failing b after
// timeout or if d exits, and returns when the accepted version was written.
func (z *zoneWatch) waitUntil(b *testing.B, d *daemon, timeout time.Duration, what string, check func(records []string) error) time.Time {
	b.Helper()
	z.seen, z.lastErr = nil, nil
	var written time.Time
	d.waitFor(b, timeout, what, func() error {
		before, err := os.Stat(z.path)
		if err != nil {
			return err
		}
		if z.seen != nil && sameVersion(z.seen, before) {
			return z.lastErr
		}
		records, err := zoneRecords(b.Context(), z.dir)
		if err != nil {
			return err
		}
		after, err := os.Stat(z.path)
		if err != nil {
			return err
		}
		if !sameVersion(before, after) {
			return errors.New("the zone file changed while being read")
		}
		z.seen, z.lastErr = after, check(records)
		written = after.ModTime()
		return z.lastErr
	})
	return written
}

// sameVersion reports whether two stats of a file that is only ever replaced by a
// rename see the same file.
func sameVersion(x, y os.FileInfo) bool {
	return os.SameFile(x, y) && x.ModTime().Equal(y.ModTime()) && x.Size() == y.Size()
}

// mixedZone is where BenchmarkMixedScale's daemon writes the zone: the flags that say
// so, and how to tell when the zone's records, rendered as zoneRecords does, were
// accepted by check.
type mixedZone interface {
	flags() []string
	waitUntil(b *testing.B, d *daemon, timeout time.Duration, what string, check func(records []string) error) time.Time
	// eventLatency returns the time from created until the zone served host's A
	// record with the address ip.
	eventLatency(b *testing.B, d *daemon, timeout time.Duration, host, ip string, created time.Time) time.Duration
}

func (z *zoneWatch) flags() []string { return nil }

// eventLatency dates the record by the write of the zone file that first held it.
func (z *zoneWatch) eventLatency(b *testing.B, d *daemon, timeout time.Duration, host, ip string, created time.Time) time.Duration {
	want := a(host, ip)
	written := z.waitUntil(b, d, timeout, "the event's record in the zone", func(got []string) error {
		if _, found := slices.BinarySearch(got, want); !found {
			return fmt.Errorf("zone holds %d records, not yet %q", len(got), want)
		}
		return nil
	})
	return written.Sub(created)
}

// newMixedZone returns the zone the provider named by ZONEKEEPER_MIXED_PROVIDER
// writes: a zone file in a temporary folder, or a BIND9 zone.
func newMixedZone(b *testing.B, providerName string) (mixedZone, string) {
	b.Helper()
	switch providerName {
	case "", "zonefile":
		z := newZoneWatch(b.TempDir())
		return z, z.dir
	case "rfc2136":
		srv := dnsserver.StartT(b, dnsserver.BIND9, dnsserver.Config{Zones: []string{zone}})
		return &bindWatch{srv: srv, flagList: rfc2136Flags(b, srv)}, b.TempDir()
	}
	b.Fatalf("%s=%q: want zonefile or rfc2136", mixedProviderEnv, providerName)
	return nil, ""
}

// bindWatch reads a BIND9 zone by AXFR only when its SOA serial has moved and at most
// once per bindTransferEvery, so that polling a zone of hundreds of thousands of
// records does not take the CPU the daemon under measurement needs. It dates what it
// reads by when it first saw that serial, within the poll interval of the write.
type bindWatch struct {
	srv      *dnsserver.Server
	flagList []string
}

// bindTransferEvery is the least time between two zone transfers of bindWatch.
const bindTransferEvery = time.Second

func (z *bindWatch) flags() []string { return z.flagList }

// eventLatency asks BIND9 for the name every 10 ms until it answers with an A record.
func (z *bindWatch) eventLatency(b *testing.B, d *daemon, timeout time.Duration, host, _ string, created time.Time) time.Duration {
	ctx, cancel := context.WithTimeout(b.Context(), timeout)
	defer cancel()
	latency, err := bench.WaitAnswer(ctx, z.srv.Addr, host, true, created)
	if err != nil {
		b.Fatalf("%v\nzonekeeper log:\n%s", err, d.log.tail(200))
	}
	return latency
}

func (z *bindWatch) waitUntil(b *testing.B, d *daemon, timeout time.Duration, what string, check func(records []string) error) time.Time {
	b.Helper()
	var (
		readSerial   uint32 // the serial of the last transfer
		serial       uint32 // the serial last seen
		serialSeen   time.Time
		lastTransfer time.Time // zero before the first
		lastErr      error
		written      time.Time
	)
	d.waitFor(b, timeout, what, func() error {
		now, err := z.srv.Serial(b.Context(), zone)
		if err != nil {
			return err
		}
		if now != serial || serialSeen.IsZero() {
			serial, serialSeen = now, time.Now()
		}
		if !lastTransfer.IsZero() && serial == readSerial || time.Since(lastTransfer) < bindTransferEvery {
			if lastErr == nil {
				lastErr = errors.New("no transfer yet")
			}
			return lastErr
		}
		lastTransfer, readSerial = time.Now(), serial
		records, err := bindRecords(b.Context(), z.srv)
		if err != nil {
			lastErr = err
			return err
		}
		lastErr, written = check(records), serialSeen
		return lastErr
	})
	return written
}

// bindRecords transfers srv's zone and renders every record set but the apex SOA and
// NS as zoneRecords does: "name ttl type target[,target…]", targets sorted, lines sorted.
func bindRecords(ctx context.Context, srv *dnsserver.Server) ([]string, error) {
	rrs, err := srv.Transfer(ctx, zone)
	if err != nil {
		return nil, err
	}
	type set struct {
		name, rrtype string
		ttl          uint32
	}
	targets := map[set][]string{}
	for _, rr := range rrs {
		h := rr.Header()
		name := strings.TrimSuffix(h.Name, ".")
		if name == zone && (h.Rrtype == dns.TypeSOA || h.Rrtype == dns.TypeNS) {
			continue
		}
		var target string
		switch rr := rr.(type) {
		case *dns.A:
			target = rr.A.String()
		case *dns.TXT:
			target = strings.Join(rr.Txt, "")
		default:
			target = strings.TrimPrefix(rr.String(), h.String())
		}
		k := set{name, dns.TypeToString[h.Rrtype], h.Ttl}
		targets[k] = append(targets[k], target)
	}
	out := make([]string, 0, len(targets))
	for k, ts := range targets {
		slices.Sort(ts)
		out = append(out, fmt.Sprintf("%s %d %s %s", k.name, k.ttl, k.rrtype, strings.Join(ts, ",")))
	}
	slices.Sort(out)
	return out, nil
}

// reconcilesLogged returns the lines of d's log, in order, that say a reconcile ended,
// well or not.
func reconcilesLogged(d *daemon) []map[string]any {
	var out []map[string]any
	for line := range strings.Lines(d.log.String()) {
		var e map[string]any
		if json.Unmarshal([]byte(line), &e) == nil && (e["msg"] == "reconcile finished" || e["msg"] == "reconcile failed") {
			out = append(out, e)
		}
	}
	return out
}

// BenchmarkMixedScale loads N objects (ZONEKEEPER_MIXED_N, default 3,000): 40 %
// Ingresses with a status address, 30 % LoadBalancer Services with the hostname
// annotation and a status address, 30 % accepted HTTPRoutes spread over 10 Gateways
// with addresses, each asking for one A record at its own name. Then one daemon starts
// reading all three kinds into a zone file, or BIND9 with ZONEKEEPER_MIXED_PROVIDER=rfc2136,
// and it reports:
//
//   - zone-s: from the start until the zone file written holds every A record and, as
//     their ownership TXT records, exactly as many other records;
//   - rss-MB, peak-rss-MB: VmRSS and VmHWM after idling 70 s, so that at least one
//     periodic full resync (--interval 1m) falls inside;
//   - idle-cpu-s, idle-reconciles: the CPU time (user plus system) the daemon used over
//     those 70 s and the reconciles it logged as ended in them;
//   - event-s: from the create of one more Ingress, whose target annotation gives its
//     address (one event, one reconcile), until the zone file holding its record was
//     written, or BIND9 answers its A record;
//   - idle-axfrs, idle-updates (BIND9 only): the zone transfers and UPDATE messages
//     BIND9 served over the 70 s idle.
//
// The objects are deleted at the end, one by one, and the time that takes is logged.
func BenchmarkMixedScale(b *testing.B) {
	const idle = 70 * time.Second
	n, err := parseMixedN(os.Getenv(mixedNEnv))
	if err != nil {
		b.Fatal(err)
	}
	// zoneTimeout bounds a hang; it grows with N, as listing and writing N objects does.
	zoneTimeout := 5*time.Minute + time.Duration(n)*10*time.Millisecond

	c := suite.cluster
	m := mixedObjects{client: fastClient(b), gw: installGatewayCRDs(b, c), ns: c.Namespace(b)}
	m.ingresses, m.services, m.routes = mixedSplit(n)
	const eventName = "ing-event"
	b.Cleanup(func() {
		if !b.Failed() {
			return
		}
		// b's context has ended by now.
		if err := m.deleteAll(context.Background(), eventName); err != nil {
			b.Log(err)
		}
	})
	wantA := m.wantA()
	b.Logf("N=%d: %d Ingresses, %d Services, %d HTTPRoutes over %d Gateways", n, m.ingresses, m.services, m.routes, mixedGateways)

	for range b.N {
		m.createGateways(b)
		m.load(b)

		zw, dir := newMixedZone(b, os.Getenv(mixedProviderEnv))
		start := time.Now()
		d := startDaemon(b, c.Kubeconfig, m.ns, dir, append(zw.flags(), "--source=gateway-httproute")...)
		written := zw.waitUntil(b, d, zoneTimeout, "every record in the zone", func(got []string) error {
			if len(got) != 2*n {
				return fmt.Errorf("zone holds %d records, want %d (%d A records and their ownership TXT records)", len(got), 2*n, n)
			}
			// got is sorted (zoneRecords), so one search per wanted record.
			for _, w := range wantA {
				if _, found := slices.BinarySearch(got, w); !found {
					return fmt.Errorf("zone holds %d records, but not %q", len(got), w)
				}
			}
			return nil
		})
		zoneS := written.Sub(start)
		b.Logf("zone complete %v after the start", zoneS.Round(time.Millisecond))

		cpuBefore, err := bench.ProcessCPU(d.pid())
		if err != nil {
			b.Fatal(err)
		}
		reconcilesBefore := len(reconcilesLogged(d))
		bw, onBIND := zw.(*bindWatch)
		var servedBefore bench.Counters
		if onBIND {
			if servedBefore, err = bench.ReadCounters(b.Context(), bw.srv, zone); err != nil {
				b.Fatal(err)
			}
		}
		time.Sleep(idle)
		if onBIND {
			served, err := bench.ReadCounters(b.Context(), bw.srv, zone)
			if err != nil {
				b.Fatal(err)
			}
			served = served.Sub(servedBefore)
			b.ReportMetric(float64(served.AXFRs), "idle-axfrs")
			b.ReportMetric(float64(served.Updates), "idle-updates")
		}
		cpuAfter, err := bench.ProcessCPU(d.pid())
		if err != nil {
			b.Fatal(err)
		}
		idleReconciles := reconcilesLogged(d)[reconcilesBefore:]
		for _, e := range idleReconciles {
			b.Logf("idle window: %v", e)
		}
		status, err := bench.ProcessStatus(d.pid())
		if err != nil {
			b.Fatal(err)
		}

		eventHost := eventName + "." + zone
		ing := newIngress(m.ns, eventName, []string{eventHost}, nil)
		ing.Annotations = map[string]string{targetAnnotation: mixedIngressIP}
		created := time.Now()
		createIngress(b, m.client, ing)
		eventS := zw.eventLatency(b, d, zoneTimeout, eventHost, mixedIngressIP, created)

		b.ReportMetric(zoneS.Seconds(), "zone-s")
		b.ReportMetric(float64(status["VmRSS"])/(1<<20), "rss-MB")
		b.ReportMetric(float64(status["VmHWM"])/(1<<20), "peak-rss-MB")
		b.ReportMetric((cpuAfter - cpuBefore).Seconds(), "idle-cpu-s")
		b.ReportMetric(float64(len(idleReconciles)), "idle-reconciles")
		b.ReportMetric(eventS.Seconds(), "event-s")

		d.stop(b)
		deleted := time.Now()
		if err := m.deleteAll(context.WithoutCancel(b.Context()), eventName); err != nil {
			b.Fatal(err)
		}
		b.Logf("deleted %d objects in %v", n+mixedGateways+1, time.Since(deleted).Round(time.Millisecond))
	}
}
