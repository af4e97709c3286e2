package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/zonekeeper/zonekeeper/controller"
	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/provider"
	"github.com/zonekeeper/zonekeeper/provider/zonefile"
	"github.com/zonekeeper/zonekeeper/test/dnsserver"
	"github.com/zonekeeper/zonekeeper/test/internal/child"
	"github.com/zonekeeper/zonekeeper/test/internal/parallel"
)

// eventsOf lists the events.k8s.io/v1 Events in ns regarding objects named name, as
// `kubectl get events.events.k8s.io --field-selector regarding.name=<name>` would.
func eventsOf(ctx context.Context, client kubernetes.Interface, ns, name string) ([]eventsv1.Event, error) {
	list, err := client.EventsV1().Events(ns).List(ctx, metav1.ListOptions{FieldSelector: "regarding.name=" + name})
	if err != nil {
		return nil, err
	}
	return list.Items, nil
}

// wantEvent says what Event an object must get.
type wantEvent struct {
	kind, name, reason, eventType string
	// note is a part of the Event's note.
	note string
	// uid is the object's UID; empty for an object deleted before the Event.
	uid types.UID
}

// waitEvent waits until the object of w has an Event matching w, and fails the test if it
// has another Event of w's reason that does not match.
func waitEvent(t *testing.T, d *daemon, client kubernetes.Interface, ns string, w wantEvent) {
	t.Helper()
	apiVersion := map[string]string{"Service": "v1", "Ingress": "networking.k8s.io/v1"}[w.kind]
	d.waitFor(t, convergeTimeout, fmt.Sprintf("a %s Event %s on %s %s", w.eventType, w.reason, w.kind, w.name), func() error {
		evs, err := eventsOf(t.Context(), client, ns, w.name)
		if err != nil {
			return err
		}
		var seen []string
		for _, e := range evs {
			seen = append(seen, e.Reason+": "+e.Note)
			if e.Reason != w.reason || !strings.Contains(e.Note, w.note) {
				continue
			}
			r := e.Regarding
			if e.Type != w.eventType || r.Kind != w.kind || r.APIVersion != apiVersion || r.Namespace != ns || r.UID != w.uid ||
				e.ReportingController != "zonekeeper" || e.ReportingInstance == "" || e.Action == "" {
				t.Fatalf("Event %s: type %s, regarding %+v, reportingController %q, reportingInstance %q, action %q; want type %s, regarding %s %s %s/%s uid %q, reportingController zonekeeper",
					e.Name, e.Type, r, e.ReportingController, e.ReportingInstance, e.Action, w.eventType, apiVersion, w.kind, ns, w.name, w.uid)
			}
			if w.uid != "" {
				describedBy(t, client, e, w.kind, w.uid)
			}
			return nil
		}
		return fmt.Errorf("the Events of %s are %q", w.name, seen)
	})
}

// describedBy fails the test unless kubectl describe of the object would show e: it
// lists the core/v1 Events of the object's namespace by involvedObject name, namespace,
// kind and UID.
func describedBy(t *testing.T, client kubernetes.Interface, e eventsv1.Event, kind string, uid types.UID) {
	t.Helper()
	selector := fmt.Sprintf("involvedObject.name=%s,involvedObject.namespace=%s,involvedObject.kind=%s,involvedObject.uid=%s",
		e.Regarding.Name, e.Namespace, kind, uid)
	list, err := client.CoreV1().Events(e.Namespace).List(t.Context(), metav1.ListOptions{FieldSelector: selector})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(list.Items, func(ce corev1.Event) bool { return ce.Name == e.Name }) {
		t.Fatalf("Event %s is not among the %d core/v1 Events kubectl describe selects with %s", e.Name, len(list.Items), selector)
	}
}

// seedMX adds an MX record at name to dir's zone: data a CNAME cannot stand beside.
func seedMX(t *testing.T, dir, name string) {
	t.Helper()
	p, err := zonefile.New(zonefile.Config{Dir: dir, Zones: []string{zone}})
	if err != nil {
		t.Fatal(err)
	}
	mx := endpoint.New(name, endpoint.RecordTypeMX, 0, "10 mail.example.net")
	if err := p.Apply(t.Context(), provider.Zone{ID: zone, Name: zone}, []provider.Change{{Records: []provider.RecordChange{{Op: provider.OpCreate, New: mx}}}}); err != nil {
		t.Fatal(err)
	}
}

// TestEvents runs the daemon on the real API server and makes each situation an Event
// tells of happen for real: a conflict between two Services over one name, names owned by
// another owner id or by no zone, an invalid hostname, a CNAME beside an MX record,
// deletions withheld by --max-deletions; and, with --events-emit, records published and
// deleted. Each Event is read back with a field selector on regarding.name, and carries
// the object's UID while the object exists, for kubectl describe to find it.
func TestEvents(t *testing.T) {
	t.Parallel()
	c := suite.cluster
	ns := c.Namespace(t)
	dir := t.TempDir()
	seedZone(t, dir)
	mxName := "mx." + ns + "." + zone
	seedMX(t, dir, mxName)
	d := startDaemon(t, c.Kubeconfig, ns, dir, "--events-emit=RecordReady", "--events-emit=RecordDeleted",
		"--max-deletions=2", "--deletion-confirm-after=0", "--interval=1s")
	d.waitReady(t, convergeTimeout)
	api := c.Client.NetworkingV1().Ingresses(ns)
	ingress := func(name string, hosts []string, annotations map[string]string, ips ...string) *networkingv1.Ingress {
		ing := newIngress(ns, name, hosts, nil)
		ing.Annotations = annotations
		return createIngress(t, c.Client, ing, ips...)
	}

	// Two Services ask for one name as CNAMEs to different load balancers: the first,
	// by name, keeps it; the other is told who holds it.
	shared := "shared." + ns + "." + zone
	lb := corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, Ports: []corev1.ServicePort{{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP}}}
	holder := annotateService(t, c.Client, createService(t, c.Client, ns, "svc-a", shared, lb), targetAnnotation, "lb-a.example.net")
	loser := annotateService(t, c.Client, createService(t, c.Client, ns, "svc-b", shared, lb), targetAnnotation, "lb-b.example.net")
	waitEvent(t, d, c.Client, ns, wantEvent{"Service", loser.Name, "RecordConflict", "Warning",
		"conflicts with service/" + ns + "/" + holder.Name, loser.UID})
	waitEvent(t, d, c.Client, ns, wantEvent{"Service", holder.Name, "RecordReady", "Normal",
		"CNAME " + shared + " → lb-a.example.net published", holder.UID})

	foreign := ingress("foreign", []string{foreignName}, nil, "192.0.2.1")
	waitEvent(t, d, c.Client, ns, wantEvent{"Ingress", foreign.Name, "RecordNotOwned", "Warning", "owned by " + foreignOwner, foreign.UID})
	manual := ingress("manual", []string{manualName}, nil, "192.0.2.2")
	waitEvent(t, d, c.Client, ns, wantEvent{"Ingress", manual.Name, "RecordNotOwned", "Warning", "not owned by zonekeeper", manual.UID})
	outside := ingress("outside", []string{"www." + ns + ".example.org"}, nil, "192.0.2.3")
	waitEvent(t, d, c.Client, ns, wantEvent{"Ingress", outside.Name, "NoManagedZone", "Warning", "no managed zone holds this name", outside.UID})
	invalid := ingress("invalid", []string{"invalid." + ns + "." + zone}, map[string]string{hostnameAnnotation: "bad..name." + zone}, "192.0.2.4")
	waitEvent(t, d, c.Client, ns, wantEvent{"Ingress", invalid.Name, "InvalidInput", "Warning", "bad..name." + zone, invalid.UID})
	cname := ingress("cname", []string{mxName}, map[string]string{targetAnnotation: "mail.example.net"})
	waitEvent(t, d, c.Client, ns, wantEvent{"Ingress", cname.Name, "CNAMEAndOtherData", "Warning",
		mxName + " CNAME not written: " + mxName + " holds MX", cname.UID})

	web := ingress("web", []string{"web." + ns + "." + zone}, nil, "192.0.2.10")
	waitEvent(t, d, c.Client, ns, wantEvent{"Ingress", web.Name, "RecordReady", "Normal", "A web." + ns + "." + zone + " → 192.0.2.10 published", web.UID})
	web = setIngressIPs(t, c.Client, web, "192.0.2.11")
	waitEvent(t, d, c.Client, ns, wantEvent{"Ingress", web.Name, "RecordReady", "Normal", "A web." + ns + "." + zone + " → 192.0.2.11 published", web.UID})
	if err := api.Delete(t.Context(), web.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, d, c.Client, ns, wantEvent{"Ingress", web.Name, "RecordDeleted", "Normal", "A web." + ns + "." + zone + " → 192.0.2.11 deleted", ""})

	// Three deletions at once are more than --max-deletions=2: each object is told. One
	// DeleteCollection makes them at once; deleted one request after another, the first
	// could reach a reconcile of its own and be deleted, within the budget, before the
	// others arrive (docs/cli.md, "Deletion safety").
	gone := []string{"gone-0", "gone-1", "gone-2"}
	for i, name := range gone {
		ing := newIngress(ns, name, []string{name + "." + ns + "." + zone}, nil)
		ing.Labels = map[string]string{"batch": "gone"}
		createIngress(t, c.Client, ing, fmt.Sprintf("192.0.2.%d", 20+i))
	}
	d.waitFor(t, convergeTimeout, "the gone-* records", func() error {
		recs, err := zoneRecords(t.Context(), dir)
		if err != nil {
			return err
		}
		for _, name := range gone {
			if !slices.ContainsFunc(recs, func(r string) bool { return strings.HasPrefix(r, name+"."+ns+"."+zone+" ") }) {
				return fmt.Errorf("no record of %s in %q", name, recs)
			}
		}
		return nil
	})
	if err := api.DeleteCollection(t.Context(), metav1.DeleteOptions{}, metav1.ListOptions{LabelSelector: "batch=gone"}); err != nil {
		t.Fatal(err)
	}
	for _, name := range gone {
		// web's deletion may still be in the budget's window (--interval): then the
		// note also counts it ("and 1 made in the last 1s").
		waitEvent(t, d, c.Client, ns, wantEvent{"Ingress", name, "DeletionWithheld", "Warning", "3 deletions planned", ""})
	}

	// The daemon resyncs every second, finding every problem again: a steady state writes
	// no Event more, and leaves each problem one Event.
	all := func() []eventsv1.Event {
		list, err := c.Client.EventsV1().Events(ns).List(t.Context(), metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return list.Items
	}
	// Events in flight land first, and a message that changes once the record exists (a
	// conflict's winner is then the holder, no longer the first by name) is written anew:
	// the Events must stay the same over three reconciles and three seconds.
	notes := func(events []eventsv1.Event) []string {
		var out []string
		for _, e := range events {
			out = append(out, e.Regarding.Name+" "+e.Reason+": "+e.Note)
		}
		slices.Sort(out)
		return out
	}
	var before []eventsv1.Event
	sampled, sampledAt := -1.0, time.Time{}
	d.waitFor(t, convergeTimeout, "the Events to settle", func() error {
		n := d.reconciles(t)
		if sampled >= 0 && (n < sampled+3 || time.Since(sampledAt) < 3*time.Second) {
			return errors.New("waiting for three reconciles")
		}
		now := all()
		if sampled >= 0 && slices.Equal(notes(now), notes(before)) {
			return nil
		}
		before, sampled, sampledAt = now, n, time.Now()
		return fmt.Errorf("%d Events", len(now))
	})
	reconciles := d.reconciles(t)
	d.waitFor(t, convergeTimeout, "5 more reconciles", func() error {
		if n := d.reconciles(t) - reconciles; n < 5 {
			return fmt.Errorf("%v reconciles so far", n)
		}
		return nil
	})
	if after := all(); !slices.Equal(notes(after), notes(before)) {
		t.Errorf("%d Events after 5 reconciles of a steady state, want the %d before:\n%s\nbefore:\n%s",
			len(after), len(before), strings.Join(notes(after), "\n"), strings.Join(notes(before), "\n"))
	}
	for _, e := range before {
		if e.Series != nil {
			t.Errorf("Event %s %s on %s has a series %+v after seconds: repeats must not be written", e.Reason, e.Note, e.Regarding.Name, e.Series)
		}
	}
	// The selectors docs/events.md and docs/troubleshooting.md give work as written.
	for selector, want := range map[string]func(eventsv1.Event) bool{
		"reason=RecordConflict":          func(e eventsv1.Event) bool { return e.Reason == "RecordConflict" },
		"reportingController=zonekeeper": func(e eventsv1.Event) bool { return e.ReportingController == "zonekeeper" },
		"regarding.name=svc-b":           func(e eventsv1.Event) bool { return e.Regarding.Name == "svc-b" },
	} {
		list, err := c.Client.EventsV1().Events(ns).List(t.Context(), metav1.ListOptions{FieldSelector: selector})
		if err != nil {
			t.Errorf("--field-selector %s: %v", selector, err)
			continue
		}
		if len(list.Items) == 0 || slices.ContainsFunc(list.Items, func(e eventsv1.Event) bool { return !want(e) }) {
			t.Errorf("--field-selector %s: %d Events, want some, all matching: %v", selector, len(list.Items), notes(list.Items))
		}
	}
	// And so do the core API's spellings, which plain `kubectl get events` uses.
	for _, selector := range []string{"reportingComponent=zonekeeper", "involvedObject.name=svc-b"} {
		list, err := c.Client.CoreV1().Events(ns).List(t.Context(), metav1.ListOptions{FieldSelector: selector})
		if err != nil || len(list.Items) == 0 {
			t.Errorf("core --field-selector %s: %d Events, %v; want some", selector, len(list.Items), err)
		}
	}
	t.Logf("%d Events in the namespace, %d reconciles", len(before), int(d.reconciles(t)))
}

// TestRecordErrorFromBIND9 makes a real server refuse a change: BIND9's update policy
// keeps one name from zonekeeper's key. The object behind it gets a RecordError Event with
// BIND's answer, and the other object's record, written in the same reconcile, is served.
func TestRecordErrorFromBIND9(t *testing.T) {
	t.Parallel()
	c := suite.cluster
	ns := c.Namespace(t)
	blocked, open := "blocked."+zone, "open."+zone
	srv := dnsserver.StartT(t, dnsserver.BIND9, dnsserver.Config{Zones: []string{zone}, DenyUpdates: []string{blocked}})
	d := startDaemon(t, c.Kubeconfig, ns, t.TempDir(), append(rfc2136Flags(t, srv), "--events-emit=RecordError", "--events-emit=RecordReady")...)
	d.waitReady(t, convergeTimeout)
	refused := createIngress(t, c.Client, newIngress(ns, "refused", []string{blocked}, nil), "192.0.2.1")
	served := createIngress(t, c.Client, newIngress(ns, "served", []string{open}, nil), "192.0.2.2")
	waitEvent(t, d, c.Client, ns, wantEvent{"Ingress", refused.Name, "RecordError", "Warning",
		"A " + blocked + " → 192.0.2.1 refused by the provider", refused.UID})
	waitEvent(t, d, c.Client, ns, wantEvent{"Ingress", served.Name, "RecordReady", "Normal", "A " + open + " → 192.0.2.2 published", served.UID})
	if got, err := lookup(srv.Addr, open, dns.TypeA); err != nil || !slices.Equal(got, []string{"192.0.2.2"}) {
		t.Errorf("%s answers %q, %v; want 192.0.2.2", open, got, err)
	}
	if got, err := lookup(srv.Addr, blocked, dns.TypeA); err != nil || len(got) > 0 {
		t.Errorf("%s answers %q, %v; want nothing", blocked, got, err)
	}
}

// TestEventsOneShot: run --once against a cluster writes Events; plan and a dry run
// write none.
func TestEventsOneShot(t *testing.T) {
	t.Parallel()
	c := suite.cluster
	ns := c.Namespace(t)
	dir := t.TempDir()
	outside := func(name string) *networkingv1.Ingress {
		return createIngress(t, c.Client, newIngress(ns, name, []string{name + "." + ns + ".example.org"}, nil), "192.0.2.1")
	}
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command(suite.binary, append(args, "--source=ingress", "--provider=zonefile", "--zonefile-dir="+dir, "--zonefile-zone="+zone,
			"--txt-owner-id="+owner, "--kubeconfig="+c.Kubeconfig, "--namespace="+ns, "--log-format=json")...)
		cmd.Env = child.CleanEnv(os.Environ())
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("zonekeeper %q: %v\n%s", args, err, out)
		}
	}
	planned, dry, once := outside("planned"), outside("dry"), outside("once")

	run("plan")
	run("run", "--once", "--dry-run")
	run("run", "--once", "--events-emit=RecordReady")
	evs, err := eventsOf(t.Context(), c.Client, ns, once.Name)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) == 0 || evs[0].Reason != "NoManagedZone" || evs[0].Regarding.UID != once.UID {
		t.Errorf("run --once wrote the Events %+v, want one NoManagedZone on ingress %s", evs, once.Name)
	}
	// The run --once above reported the other two as well: their Events must be its
	// only ones.
	for _, ing := range []*networkingv1.Ingress{planned, dry} {
		evs, err := eventsOf(t.Context(), c.Client, ns, ing.Name)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 1 {
			t.Errorf("ingress %s has %d Events after plan, run --once --dry-run and run --once, want the one of run --once", ing.Name, len(evs))
		}
	}
}

// TestEventStorm sends 2,000 updates in a few seconds to 200 Ingresses, moving each
// Ingress's address ten times, to two replicas under leader election with --events-emit
// RecordReady: the Events written stay within the leader's limits
// (controller.EventLimits' defaults), and the standby writes none.
func TestEventStorm(t *testing.T) {
	t.Parallel()
	const ingresses, changes = 200, 10
	c := suite.cluster
	ns := c.Namespace(t)
	flags := []string{"--events-emit=RecordReady",
		"--leader-elect", "--leader-elect-namespace=" + ns,
		"--leader-elect-lease-duration=" + testLeaseDuration.String(),
		"--leader-elect-renew-deadline=" + testRenewDeadline.String(),
		"--leader-elect-retry-period=" + testRetryPeriod.String()}
	replicas := []*daemon{
		startDaemon(t, c.Kubeconfig, ns, t.TempDir(), flags...),
		startDaemon(t, c.Kubeconfig, ns, t.TempDir(), flags...),
	}
	var leader, standby *daemon
	replicas[0].waitFor(t, convergeTimeout, "exactly one leader", func() (err error) {
		leader, standby, err = oneLeader(replicas)
		return err
	})
	leader.waitReady(t, convergeTimeout)
	standby.waitReady(t, convergeTimeout)

	// The Ingresses get their first address as they are created, then, round after
	// round, the next: 2,000 status writes, each of which the leader may publish and tell.
	client := fastClient(t)
	api := client.NetworkingV1().Ingresses(ns)
	start := time.Now()
	createIngresses(t, client, ns, "burst", ingresses, func(int) string { return burstIP(0) })
	for j := 1; j < changes; j++ {
		if err := parallel.ForEach(t.Context(), ingresses, loadWorkers, func(i int) error {
			// No resourceVersion: the last write wins, as a load balancer controller's would.
			_, err := api.UpdateStatus(t.Context(), withIngressIPs(newIngress(ns, burstName(i), []string{burstHost(i)}, nil), burstIP(j)), metav1.UpdateOptions{})
			return err
		}); err != nil {
			t.Fatalf("round %d of changes: %v", j, err)
		}
	}
	sent := time.Since(start)
	var want []string
	for i := range ingresses {
		want = append(want, owned("ingress/"+ns+"/"+burstName(i), burstHost(i), burstIP(changes-1))...)
	}
	leader.waitZoneWithin(t, 2*convergeTimeout, want)
	took := time.Since(start)
	// Let the Events in flight land before they are counted.
	var events []eventsv1.Event
	leader.waitFor(t, convergeTimeout, "the Events to settle", func() error {
		list, err := c.Client.EventsV1().Events(ns).List(t.Context(), metav1.ListOptions{})
		if err != nil {
			return err
		}
		if len(list.Items) != len(events) || len(events) == 0 {
			events = list.Items
			return errors.New("still changing")
		}
		return nil
	})
	emitted, err := leader.metric("zonekeeper_events_total", `result="emitted"`)
	if err != nil {
		t.Fatal(err)
	}
	limited, err := leader.metric("zonekeeper_events_total", `result="rate_limited"`)
	if err != nil {
		t.Fatal(err)
	}
	var withSeries int
	for _, e := range events {
		if e.Series != nil {
			withSeries++
		}
	}
	// The overall limit: its burst, then its rate for as long as the storm lasted, and
	// the Events before the storm (none: the Ingresses had no address).
	bound := controller.DefaultEventBurst + int(controller.DefaultEventPerSecond*took.Seconds()+1)
	t.Logf("%d updates of %d Ingresses sent in %v, converged after %v: %d Events written (%d with a series), %v passed the leader's limits, %v dropped by them",
		ingresses*changes, ingresses, sent.Round(time.Millisecond), took.Round(time.Millisecond), len(events), withSeries, emitted, limited)
	if len(events) > bound {
		t.Errorf("%d Events written, want at most %d", len(events), bound)
	}
	if n, err := standby.metric("zonekeeper_events_total"); err != nil || n != 0 {
		t.Errorf("the standby's zonekeeper_events_total is %v (%v), want 0", n, err)
	}
	if n := standby.reconciles(t); n != 0 {
		t.Errorf("the standby reconciled %v times", n)
	}
	// The standby first: stopped second, it would take over and publish into its own
	// empty zone directory.
	standby.stop(t)
	leader.stop(t)
	for _, d := range replicas {
		if line := d.log.entries("events recorder stopped"); len(line) == 1 {
			t.Logf("events recorder of the %s: %v Events handed over, %v creates, %v patches, %v failed",
				map[bool]string{true: "leader", false: "standby"}[d == leader], line[0]["eventsSent"], line[0]["creates"], line[0]["patches"], line[0]["failed"])
		}
	}
}
