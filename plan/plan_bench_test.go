package plan

import (
	"strconv"
	"testing"

	"github.com/zonekeeper/zonekeeper/endpoint"
)

// benchInput builds a zone with 100,000 desired and 100,000 current records:
//
//	names            desired                        current                 outcome
//	s-0 … s-49999    one object each                ours, equal             nothing
//	s-0 … s-19999    a second object, same target    (the same records)     merged, nothing
//	u-0 … u-9999     one object                     ours, other target      10,000 updates
//	c-0 … c-9999     one object                     none                    10,000 creates
//	d-0 … d-9999     none                           ours                    10,000 deletes
//	f-0 … f-9999     one object                     another owner's         10,000 warnings
//	n-0 … n-19999    none                           unowned                 nothing
func benchInput() Input {
	const (
		same    = 50_000
		second  = 20_000
		changed = 10_000
	)
	in := Input{
		OwnerID: ourOwner,
		Policy:  PolicySync,
		Desired: make([]*endpoint.Endpoint, 0, 100_000),
		Current: make([]*endpoint.Endpoint, 0, 100_000),
	}
	ip := func(i int) string {
		return "10." + strconv.Itoa(i>>16&255) + "." + strconv.Itoa(i>>8&255) + "." + strconv.Itoa(i&255)
	}
	record := func(prefix string, i int, target string) *endpoint.Endpoint {
		return &endpoint.Endpoint{
			DNSName:    prefix + strconv.Itoa(i) + ".example.com",
			RecordType: endpoint.RecordTypeA,
			Targets:    endpoint.Targets{target},
			RecordTTL:  300,
			Labels:     endpoint.Labels{},
		}
	}
	wanted := func(prefix string, i int, target, object string) *endpoint.Endpoint {
		e := record(prefix, i, target)
		e.Refs = []endpoint.ObjectRef{{Kind: "service", Namespace: "ns", Name: object}}
		return e
	}
	owned := func(prefix string, i int, target, owner string) *endpoint.Endpoint {
		e := record(prefix, i, target)
		if owner != "" {
			e.Labels[endpoint.OwnerLabelKey] = owner
			e.Labels[endpoint.ResourceLabelKey] = "service/ns/" + prefix + strconv.Itoa(i)
		}
		return e
	}
	for i := range same {
		in.Desired = append(in.Desired, wanted("s-", i, ip(i), "s-"+strconv.Itoa(i)))
		in.Current = append(in.Current, owned("s-", i, ip(i), ourOwner))
	}
	for i := range second {
		in.Desired = append(in.Desired, wanted("s-", i, ip(i), "t-"+strconv.Itoa(i)))
	}
	for i := range changed {
		in.Desired = append(in.Desired, wanted("u-", i, ip(i+1), "u-"+strconv.Itoa(i)))
		in.Current = append(in.Current, owned("u-", i, ip(i), ourOwner))
		in.Desired = append(in.Desired, wanted("c-", i, ip(i), "c-"+strconv.Itoa(i)))
		in.Current = append(in.Current, owned("d-", i, ip(i), ourOwner))
		in.Desired = append(in.Desired, wanted("f-", i, ip(i), "f-"+strconv.Itoa(i)))
		in.Current = append(in.Current, owned("f-", i, ip(i), "other"))
	}
	for i := range second {
		in.Current = append(in.Current, owned("n-", i, ip(i), ""))
	}
	return in
}

func BenchmarkPlan(b *testing.B) {
	in := benchInput()
	res := Calculate(in)
	if len(res.Changes.Create) != 10_000 || len(res.Changes.Update) != 10_000 ||
		len(res.Changes.Delete) != 10_000 || len(res.Problems) != 10_000 {
		b.Fatalf("unexpected plan: %d creates, %d updates, %d deletes, %d problems",
			len(res.Changes.Create), len(res.Changes.Update), len(res.Changes.Delete), len(res.Problems))
	}
	b.ReportAllocs()
	for b.Loop() {
		Calculate(in)
	}
}
