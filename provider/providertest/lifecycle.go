package providertest

import (
	"slices"
	"testing"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/registry"
)

// step is one desired state of a sequence, with the changes reaching it must take,
// counted as controller.Report.ChangeCount counts them.
type step struct {
	name                      string
	desired                   []*endpoint.Endpoint
	creates, updates, deletes int
}

// runSteps converges o through steps in order, each a subtest: the planned changes must
// be counted as the step says, and afterwards the zone named zone must hold exactly the
// desired records with their ownership records, plus extra. It stops at the first
// failing step, since the later ones build on it.
func (e *env) runSteps(t *testing.T, o *owner, zone string, extra []*endpoint.Endpoint, steps []step) {
	t.Helper()
	for _, s := range steps {
		ok := t.Run(s.name, func(t *testing.T) {
			rep := e.converge(t, o, s.desired)
			if c, u, d := rep.ChangeCount(); c != s.creates || u != s.updates || d != s.deletes {
				t.Errorf("planned %d creates, %d updates, %d deletes; want %d, %d, %d", c, u, d, s.creates, s.updates, s.deletes)
			}
			e.expectZone(t, zone, slices.Concat(extra, o.ownedBy(s.desired...)))
		})
		if !ok {
			return
		}
	}
}

// testLifecycle creates, updates (targets, then TTLs) and deletes records and reads
// each state back.
func testLifecycle(t *testing.T, h Harness) {
	e := newEnv(t, h, zoneMain)
	us := newOwner(t, ourOwner, registry.TXTConfig{})
	e.runSteps(t, us, zoneMain, nil, []step{
		{name: "create", creates: 3, desired: []*endpoint.Endpoint{
			wanted("app", "app.example.com", endpoint.RecordTypeA, 60, "192.0.2.1"),
			wanted("www", "www.example.com", endpoint.RecordTypeCNAME, 0, "app.example.com"),
			wanted("v6", "v6.example.com", endpoint.RecordTypeAAAA, 120, "2001:db8::1"),
		}},
		{name: "update targets", updates: 3, desired: []*endpoint.Endpoint{
			wanted("app", "app.example.com", endpoint.RecordTypeA, 60, "192.0.2.2", "192.0.2.3"),
			wanted("www", "www.example.com", endpoint.RecordTypeCNAME, 0, "lb.example.net"),
			wanted("v6", "v6.example.com", endpoint.RecordTypeAAAA, 120, "2001:db8::2"),
		}},
		{name: "update TTL", updates: 3, desired: []*endpoint.Endpoint{
			wanted("app", "app.example.com", endpoint.RecordTypeA, 3600, "192.0.2.2", "192.0.2.3"),
			wanted("www", "www.example.com", endpoint.RecordTypeCNAME, 900, "lb.example.net"),
			wanted("v6", "v6.example.com", endpoint.RecordTypeAAAA, 1, "2001:db8::2"),
		}},
		{name: "delete some", deletes: 2, desired: []*endpoint.Endpoint{
			wanted("app", "app.example.com", endpoint.RecordTypeA, 3600, "192.0.2.2", "192.0.2.3"),
		}},
		{name: "delete all", deletes: 1},
	})
}

// testIdempotent converges one mixed desired state under several ownership
// configurations; converge fails any second run that plans a change.
func testIdempotent(t *testing.T, h Harness) {
	key := make([]byte, registry.AESKeySize)
	for i := range key {
		key[i] = byte(i * 7)
	}
	configs := []struct {
		name string
		cfg  registry.TXTConfig
	}{
		{"default", registry.TXTConfig{}},
		{"prefix", registry.TXTConfig{Prefix: "txt-"}},
		{"type in prefix", registry.TXTConfig{Prefix: "%{record_type}-owner."}},
		{"suffix", registry.TXTConfig{Suffix: "-own"}},
		{"encrypted", registry.TXTConfig{EncryptionKey: key}},
	}
	desired := []*endpoint.Endpoint{
		wanted("web", "web.example.com", endpoint.RecordTypeA, 0, "192.0.2.10", "192.0.2.11"),
		wanted("web", "web.example.com", endpoint.RecordTypeAAAA, 300, "2001:db8::10"),
		wanted("api", "api.example.com", endpoint.RecordTypeCNAME, 60, "web.example.com"),
		wanted("edge", "edge.example.com", endpoint.RecordTypeCNAME, 0, "edge.example.net"),
	}
	for _, c := range configs {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, h, zoneMain)
			us := newOwner(t, ourOwner, c.cfg)
			rep := e.converge(t, us, desired)
			if n := ChangeCount(rep); n != len(desired) {
				t.Errorf("first run planned %d changes, want %d", n, len(desired))
			}
			e.expectOwned(t, us, zoneMain, desired)
			if c.cfg.EncryptionKey == nil {
				e.expectZone(t, zoneMain, us.ownedBy(desired...))
			}
		})
	}
}

// expectOwned fails t unless, read through o's registry, the zone named zone holds
// exactly desired (ownership records aside), each owned by o on behalf of its object.
// Unlike expectZone it does not need to know how ownership values are spelled, so it
// also checks encrypted ones.
func (e *env) expectOwned(t *testing.T, o *owner, zone string, desired []*endpoint.Endpoint) {
	t.Helper()
	loaded := o.reg.Load(e.zone(t, zone), e.records(t, zone)).Records()
	report(t, "zone "+zone+" through the registry", diffRecords(desired, loaded, asAsked))
	byKey := map[endpoint.RecordKey]*endpoint.Endpoint{}
	for _, d := range desired {
		byKey[d.RecordKey()] = d
	}
	for _, r := range loaded {
		d := byKey[r.RecordKey()]
		if d == nil {
			continue
		}
		if got := r.Labels[endpoint.OwnerLabelKey]; got != o.id {
			t.Errorf("zone %s: %s is owned by %q, want %q", zone, describeKey(r.RecordKey()), got, o.id)
		}
		if got, want := r.Labels[endpoint.ResourceLabelKey], d.Refs[0].String(); got != want {
			t.Errorf("zone %s: %s names resource %q, want %q", zone, describeKey(r.RecordKey()), got, want)
		}
	}
}

// testOthersUntouched surrounds our records with records of another owner and records
// nobody owns, at our names and at others, and checks that creating, updating and
// deleting ours, and wanting theirs, leaves them exactly as they were.
func testOthersUntouched(t *testing.T, h Harness) {
	e := newEnv(t, h, zoneMain)
	e.seed(t,
		endpoint.New("app.example.com", endpoint.RecordTypeTXT, 300, `"v=spf1 -all"`),
		endpoint.New("example.com", endpoint.RecordTypeTXT, 300, `"site-verification=Zk3x"`),
		endpoint.New("example.com", endpoint.RecordTypeMX, 300, "10 mx.example.net"),
		endpoint.New("legacy.example.com", endpoint.RecordTypeA, 3600, "203.0.113.7"),
		endpoint.New("a-lookalike.example.com", endpoint.RecordTypeTXT, 300, `"not an ownership value"`),
	)
	// The other owner manages MX too, so that it owns a record at a name where we own
	// one of a type it does not share with us.
	them := newOwner(t, foreignOwner, registry.TXTConfig{ManagedTypes: []string{"A", "AAAA", "CNAME", "MX"}})
	theirs := []*endpoint.Endpoint{
		wanted("theirs", "foreign.example.com", endpoint.RecordTypeA, 300, "198.51.100.1"),
		wanted("theirs", "foreign.example.com", endpoint.RecordTypeAAAA, 300, "2001:db8::51"),
		wanted("theirs-mail", "app.example.com", endpoint.RecordTypeMX, 300, "10 mail.example.net"),
	}
	e.converge(t, them, theirs)
	others := e.records(t, zoneMain)

	us := newOwner(t, ourOwner, registry.TXTConfig{})
	// Wanting what others hold must change nothing of theirs: the planner reports it.
	contested := []*endpoint.Endpoint{
		wanted("grab", "legacy.example.com", endpoint.RecordTypeA, 60, "192.0.2.66"),
		wanted("grab", "foreign.example.com", endpoint.RecordTypeA, 60, "192.0.2.67"),
	}
	contestedNames := []string{"foreign.example.com", "legacy.example.com"}
	steps := []struct {
		name string
		ours []*endpoint.Endpoint
	}{
		{"create", []*endpoint.Endpoint{
			wanted("app", "app.example.com", endpoint.RecordTypeA, 60, "192.0.2.1"),
			wanted("near", "near.example.com", endpoint.RecordTypeCNAME, 0, "foreign.example.com"),
		}},
		{"update", []*endpoint.Endpoint{
			wanted("app", "app.example.com", endpoint.RecordTypeA, 120, "192.0.2.2"),
			wanted("near", "near.example.com", endpoint.RecordTypeCNAME, 0, "legacy.example.com"),
		}},
		{"delete", nil},
	}
	for _, s := range steps {
		ok := t.Run(s.name, func(t *testing.T) {
			e.converge(t, us, slices.Concat(s.ours, contested), contestedNames...)
			now := e.records(t, zoneMain)
			e.expectZone(t, zoneMain, slices.Concat(others, us.ownedBy(s.ours...)))
			report(t, "zone "+zoneMain+", records of others", diffRecords(others, withKeysOf(now, others), asRead))
		})
		if !ok {
			return
		}
	}
	rep := e.reconcile(t, them, theirs)
	if n := ChangeCount(rep); n != 0 {
		t.Errorf("owner %s planned %d changes to its own records after ours came and went, want 0", foreignOwner, n)
	}
}

// withKeysOf returns the records of records whose RRset (name, type, set identifier)
// is one of those in like.
func withKeysOf(records, like []*endpoint.Endpoint) []*endpoint.Endpoint {
	keys := map[endpoint.RecordKey]bool{}
	for _, l := range like {
		keys[l.RecordKey()] = true
	}
	return slices.DeleteFunc(slices.Clone(records), func(r *endpoint.Endpoint) bool { return !keys[r.RecordKey()] })
}
