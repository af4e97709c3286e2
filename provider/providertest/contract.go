package providertest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/provider"
	"github.com/zonekeeper/zonekeeper/registry"
)

// a is an A record of the suite's main zone with TTL 300.
func a(host string, targets ...string) *endpoint.Endpoint {
	return endpoint.New(host+"."+zoneMain, endpoint.RecordTypeA, 300, targets...)
}

func create(r *endpoint.Endpoint) provider.RecordChange {
	return provider.RecordChange{Op: provider.OpCreate, New: r}
}

func update(old, new *endpoint.Endpoint) provider.RecordChange {
	return provider.RecordChange{Op: provider.OpUpdate, Old: old, New: new}
}

func remove(old *endpoint.Endpoint) provider.RecordChange {
	return provider.RecordChange{Op: provider.OpDelete, Old: old}
}

// single is a Change of one record change.
func single(rc provider.RecordChange) provider.Change {
	return provider.Change{Records: []provider.RecordChange{rc}}
}

// describeChange names a Change by the operation and RRset of its main record change,
// which the suite keeps distinct within one Apply.
func describeChange(c provider.Change) string {
	m := c.Main()
	return m.Op.String() + " " + describeKey(m.Endpoint().RecordKey())
}

// applyRefusing applies changes in one call, which must fail with an
// *provider.ApplyError naming exactly the changes refused (each with a reason).
func (e *env) applyRefusing(t *testing.T, changes []provider.Change, refused []provider.Change) {
	t.Helper()
	err := e.p.Apply(context.Background(), e.zone(t, zoneMain), changes)
	var ae *provider.ApplyError
	if !errors.As(err, &ae) {
		t.Fatalf("Apply returned %v (%T), want an *provider.ApplyError naming %d refused changes", err, err, len(refused))
	}
	var got, want []string
	for _, f := range ae.Failed {
		got = append(got, describeChange(f.Change))
		if f.Err == nil {
			t.Errorf("ApplyError lists %s without a reason", describeChange(f.Change))
		}
	}
	for _, c := range refused {
		want = append(want, describeChange(c))
	}
	slices.Sort(got)
	slices.Sort(want)
	for _, d := range diffLists(want, got) {
		t.Errorf("ApplyError: %s", d)
	}
}

// diffLists describes how the sorted list got differs from the sorted list want.
func diffLists(want, got []string) []string {
	var out []string
	for _, w := range want {
		if i, ok := slices.BinarySearch(got, w); ok {
			got = slices.Delete(slices.Clone(got), i, i+1)
			continue
		}
		out = append(out, "missing "+w)
	}
	for _, g := range got {
		out = append(out, "unexpected "+g)
	}
	return out
}

// testRefusedChanges applies good changes mixed with changes the contract says must
// fail, in one call: the bad ones are reported, the good ones applied.
func testRefusedChanges(t *testing.T, h Harness) {
	e := newEnv(t, h, zoneMain)
	existing := []*endpoint.Endpoint{
		a("exists", "192.0.2.1"), a("updated", "192.0.2.2"), a("deleted", "192.0.2.3"),
		a("wrong-delete", "192.0.2.4"), a("wrong-update", "192.0.2.5"),
	}
	var initial []provider.Change
	for _, r := range existing {
		initial = append(initial, single(create(r)))
	}
	if err := e.p.Apply(context.Background(), e.zone(t, zoneMain), initial); err != nil {
		t.Fatalf("creating %d new records: %v", len(initial), err)
	}

	good := []provider.Change{
		single(create(a("created", "192.0.2.10"))),
		single(update(a("updated", "192.0.2.2"), a("updated", "192.0.2.20", "192.0.2.21"))),
		single(remove(a("deleted", "192.0.2.3"))),
	}
	bad := []provider.Change{
		single(create(a("exists", "192.0.2.99"))),
		single(remove(a("missing", "192.0.2.98"))),
		single(remove(a("wrong-delete", "192.0.2.44"))),
		single(update(a("wrong-update", "192.0.2.55"), a("wrong-update", "192.0.2.56"))),
		single(update(a("missing-update", "192.0.2.57"), a("missing-update", "192.0.2.58"))),
	}
	var all []provider.Change
	for i := range max(len(good), len(bad)) {
		if i < len(bad) {
			all = append(all, bad[i])
		}
		if i < len(good) {
			all = append(all, good[i])
		}
	}
	e.applyRefusing(t, all, bad)
	e.expectZone(t, zoneMain, []*endpoint.Endpoint{
		a("exists", "192.0.2.1"), a("updated", "192.0.2.20", "192.0.2.21"), a("created", "192.0.2.10"),
		a("wrong-delete", "192.0.2.4"), a("wrong-update", "192.0.2.5"),
	})
}

// testAtomicChange applies Changes of several record changes, some failing part way:
// a failing Change leaves no trace, a good one takes effect whole.
func testAtomicChange(t *testing.T, h Harness) {
	e := newEnv(t, h, zoneMain)
	txt := func(host string) *endpoint.Endpoint {
		return endpoint.New(host+"."+zoneMain, endpoint.RecordTypeTXT, 300, `"belongs to `+host+`"`)
	}
	if err := e.p.Apply(context.Background(), e.zone(t, zoneMain), []provider.Change{
		single(create(a("exists", "192.0.2.1"))),
	}); err != nil {
		t.Fatalf("creating a new record: %v", err)
	}
	// The main record change of each is the last but one, so that the failing record
	// change comes after the main one in the bad Changes.
	changes := []provider.Change{
		{Primary: 1, Records: []provider.RecordChange{create(txt("txt-half")), create(a("half", "192.0.2.10")), remove(a("missing", "192.0.2.11"))}},
		{Primary: 0, Records: []provider.RecordChange{create(a("first-half", "192.0.2.12")), create(a("exists", "192.0.2.13"))}},
		{Primary: 1, Records: []provider.RecordChange{create(txt("txt-whole")), create(a("whole", "192.0.2.14")), create(txt("txt-whole-2"))}},
		{Primary: 0, Records: []provider.RecordChange{remove(a("exists", "192.0.2.1")), update(a("nowhere", "192.0.2.15"), a("nowhere", "192.0.2.16"))}},
	}
	e.applyRefusing(t, changes, []provider.Change{changes[0], changes[1], changes[3]})
	e.expectZone(t, zoneMain, []*endpoint.Endpoint{
		a("exists", "192.0.2.1"), txt("txt-whole"), a("whole", "192.0.2.14"), txt("txt-whole-2"),
	})
}

// testOwnershipSettings applies, in one call, a Change whose ownership record carries a
// provider setting (as a registry copying the owned record's settings would write it),
// beside a good Change: the first is refused alone with provider.ErrOwnershipSettings,
// since a service may refuse the setting on a TXT record (Cloudflare a proxied one) or
// read it as something else; the second is applied.
func testOwnershipSettings(t *testing.T, h Harness) {
	e := newEnv(t, h, zoneMain)
	owned := a("proxied", "192.0.2.1")
	owned.SetProperty("cloudflare-proxied", "true")
	ownership := endpoint.New("a-proxied."+zoneMain, endpoint.RecordTypeTXT, 0, `"heritage=external-dns,external-dns/owner=conformance"`)
	ownership.SetProperty("cloudflare-proxied", "true")
	bad := provider.Change{Primary: 1, Owned: owned, Records: []provider.RecordChange{create(ownership), create(owned)}}
	good := single(create(a("plain", "192.0.2.2")))
	err := e.p.Apply(context.Background(), e.zone(t, zoneMain), []provider.Change{bad, good})
	if failed := provider.FailedChanges(err); len(failed) != 1 || !errors.Is(failed[0].Err, provider.ErrOwnershipSettings) {
		t.Errorf("Apply returned %v, want the Change with a proxied ownership record refused alone with provider.ErrOwnershipSettings", err)
	}
	e.expectZone(t, zoneMain, []*endpoint.Endpoint{a("plain", "192.0.2.2")})
}

// concurrentReaders is how many goroutines read a zone at once.
const concurrentReaders = 8

// testConcurrentRecords reads a zone from several goroutines at once, first while
// nothing changes (every read must equal a sequential one), then while the daemon
// applies changes (every read must show each of our records with its ownership record:
// a Change is atomic, and ownership is written with or before what it owns).
func testConcurrentRecords(t *testing.T, h Harness) {
	e := newEnv(t, h, zoneMain)
	us := newOwner(t, ourOwner, registry.TXTConfig{})
	before := hostRecords("before", 100)
	e.converge(t, us, before)
	reference := e.records(t, zoneMain)

	readAll(concurrentReaders, func(reader int) bool {
		got, err := e.readRecords(zoneMain)
		if err != nil {
			t.Errorf("reader %d: %v", reader, err)
			return false
		}
		report(t, fmt.Sprintf("reader %d", reader), diffRecords(reference, got, asRead))
		return true
	}, nil)

	after := slices.Concat(before[50:], hostRecords("after", 100))
	zone := e.zone(t, zoneMain)
	readAll(concurrentReaders, func(reader int) bool {
		got, err := e.readRecords(zoneMain)
		if err != nil {
			t.Errorf("reader %d: %v", reader, err)
			return false
		}
		for _, r := range us.reg.Load(zone, got).Records() {
			if r.Labels[endpoint.OwnerLabelKey] != ourOwner {
				t.Errorf("reader %d saw %s without its ownership record", reader, r)
				return false
			}
		}
		return true
	}, func() { e.reconcile(t, us, after) })
	e.expectZone(t, zoneMain, us.ownedBy(after...))
}

// readAll calls read on readers goroutines at once, once each when work is nil.
// Otherwise work runs meanwhile and each reader reads again until work has returned. A
// read that returns false stops its reader. read must not call t.Fatal.
func readAll(readers int, read func(reader int) bool, work func()) {
	var stop atomic.Bool
	var wg sync.WaitGroup
	for i := range readers {
		wg.Go(func() {
			for read(i) && work != nil && !stop.Load() {
			}
		})
	}
	if work != nil {
		work()
		stop.Store(true)
	}
	wg.Wait()
}

// hostRecords returns n desired A records named "<stem>-<i>.example.com", each asked
// for by its own object, with distinct targets in 10.0.0.0/8.
func hostRecords(stem string, n int) []*endpoint.Endpoint {
	out := make([]*endpoint.Endpoint, n)
	for i := range out {
		name := fmt.Sprintf("%s-%05d", stem, i)
		out[i] = wanted(name, name+"."+zoneMain, endpoint.RecordTypeA, 300, fmt.Sprintf("10.%d.%d.%d", len(stem), i/256, i%256))
	}
	return out
}
