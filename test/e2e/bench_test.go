package e2e

import (
	"fmt"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/zonekeeper/zonekeeper/test/bench"
	"github.com/zonekeeper/zonekeeper/test/internal/parallel"
)

// BenchmarkEventLatency measures, under the default flags (--min-event-sync-interval
// 50ms, --interval 1m), how long a new Ingress takes to reach the zone file, polling the
// zone every 10 ms, 20 times per iteration for each of two ways to make one. Samples
// are 1.5 s apart, so each is a change on its own rather than one queued behind the
// previous reconcile.
//
//   - p50-s, max-s: create an Ingress, then set its status IP, as an ingress
//     controller would, timed from the create. The create triggers a reconcile that
//     finds no address yet, so the status write waits --min-event-sync-interval after
//     that one's start.
//   - p50-single-s, max-single-s: create an Ingress whose target annotation gives the
//     address: one event, one reconcile.
func BenchmarkEventLatency(b *testing.B) {
	const samples = 20
	c := suite.cluster
	ns := c.Namespace(b)
	d := startDaemon(b, c.Kubeconfig, ns, b.TempDir())
	d.waitReady(b, convergeTimeout)

	var twoStep, single []time.Duration
	for i := range samples * b.N {
		host := fmt.Sprintf("status-%d.%s", i, zone)
		twoStep = append(twoStep, timeToZone(b, d, a(host, "192.0.2.1"), func() {
			ing := createIngress(b, c.Client, newIngress(ns, fmt.Sprintf("status-%d", i), []string{host}, nil))
			setIngressIPs(b, c.Client, ing, "192.0.2.1")
		}))
		host = fmt.Sprintf("target-%d.%s", i, zone)
		single = append(single, timeToZone(b, d, a(host, "192.0.2.1"), func() {
			ing := newIngress(ns, fmt.Sprintf("target-%d", i), []string{host}, nil)
			ing.Annotations = map[string]string{targetAnnotation: "192.0.2.1"}
			createIngress(b, c.Client, ing)
		}))
	}
	p50, worst := quantiles(twoStep)
	b.ReportMetric(p50.Seconds(), "p50-s")
	b.ReportMetric(worst.Seconds(), "max-s")
	p50, worst = quantiles(single)
	b.ReportMetric(p50.Seconds(), "p50-single-s")
	b.ReportMetric(worst.Seconds(), "max-single-s")
}

// timeToZone waits 1.5 s, runs change, and returns the time from the start of change
// until d's zone holds the record want, polled every 10 ms.
func timeToZone(b *testing.B, d *daemon, want string, change func()) time.Duration {
	b.Helper()
	const pause, poll = 1500 * time.Millisecond, 10 * time.Millisecond
	time.Sleep(pause)
	start := time.Now()
	change()
	for {
		got, err := zoneRecords(b.Context(), d.zoneDir)
		if err != nil {
			b.Fatal(err)
		}
		if slices.Contains(got, want) {
			return time.Since(start)
		}
		if time.Since(start) > convergeTimeout {
			b.Fatalf("%s not in the zone within %s", want, convergeTimeout)
		}
		time.Sleep(poll)
	}
}

// quantiles returns the median and the maximum of ds, which it sorts.
func quantiles(ds []time.Duration) (p50, maximum time.Duration) {
	slices.Sort(ds)
	return ds[len(ds)/2], ds[len(ds)-1]
}

// BenchmarkMemory measures the daemon's memory with 10,000 Ingresses and 10,000
// LoadBalancer Services, each asking for one A record: the objects are created first,
// then the daemon starts; once it owns all 20,000 records it idles 30 s, and its
// resident set (VmRSS, as rss-MB) and peak resident set (VmHWM, as peak-rss-MB) are
// read from /proc. zone-s is the time from start until the zone file holds every record;
// converge-s until the zonekeeper_owned_records metric counts them all, which counts the
// records read before a reconcile's changes and so waits for the next reconcile (the
// --interval resync when no object changes).
func BenchmarkMemory(b *testing.B) {
	const perKind = 10000
	const idle = 30 * time.Second
	c := suite.cluster
	client := fastClient(b)
	ns := c.Namespace(b)
	for range b.N {
		created := time.Now()
		if err := parallel.ForEach(b.Context(), 2*perKind, loadWorkers, func(i int) error {
			if i%2 == 0 {
				ing := newIngress(ns, fmt.Sprintf("mem-%d", i/2), []string{fmt.Sprintf("ing-%d.%s", i/2, zone)}, nil)
				ing.Annotations = map[string]string{targetAnnotation: "192.0.2.1"}
				_, err := client.NetworkingV1().Ingresses(ns).Create(b.Context(), ing, metav1.CreateOptions{})
				return err
			}
			svc := &corev1.Service{
				ObjectMeta: metav1.ObjectMeta{
					Namespace: ns, Name: fmt.Sprintf("mem-%d", i/2),
					Annotations: map[string]string{hostnameAnnotation: fmt.Sprintf("svc-%d.%s", i/2, zone)},
				},
				Spec: corev1.ServiceSpec{
					Type: corev1.ServiceTypeLoadBalancer,
					// Node ports would run out (2,768) long before 10,000 Services.
					AllocateLoadBalancerNodePorts: new(false),
					ExternalIPs:                   []string{"198.51.100.1"},
					Ports:                         []corev1.ServicePort{{Port: 80, Protocol: corev1.ProtocolTCP}},
				},
			}
			_, err := client.CoreV1().Services(ns).Create(b.Context(), svc, metav1.CreateOptions{})
			return err
		}); err != nil {
			b.Fatal(err)
		}
		b.Logf("created %d objects in %v", 2*perKind, time.Since(created).Round(time.Second))

		start := time.Now()
		d := startDaemon(b, c.Kubeconfig, ns, b.TempDir())
		d.waitFor(b, 10*time.Minute, "every record in the zone", func() error {
			got, err := zoneRecords(b.Context(), d.zoneDir)
			if err != nil {
				return err
			}
			if len(got) != 4*perKind {
				return fmt.Errorf("zone holds %d records, want %d", len(got), 4*perKind)
			}
			return nil
		})
		written := time.Since(start)
		d.waitFor(b, 10*time.Minute, "every record owned", func() error {
			n, err := d.metric("zonekeeper_owned_records", `zone="`+zone+`"`)
			if err != nil {
				return err
			}
			if n != 2*perKind {
				return fmt.Errorf("zonekeeper_owned_records = %v, want %d", n, 2*perKind)
			}
			return nil
		})
		converged := time.Since(start)
		got, err := zoneRecords(b.Context(), d.zoneDir)
		if err != nil {
			b.Fatal(err)
		}
		if len(got) != 4*perKind {
			b.Fatalf("zone holds %d records, want %d (each with its ownership record)", len(got), 4*perKind)
		}
		time.Sleep(idle)
		status, err := bench.ProcessStatus(d.pid())
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(written.Seconds(), "zone-s")
		b.ReportMetric(converged.Seconds(), "converge-s")
		b.ReportMetric(float64(status["VmRSS"])/(1<<20), "rss-MB")
		b.ReportMetric(float64(status["VmHWM"])/(1<<20), "peak-rss-MB")
		d.stop(b)
	}
}
