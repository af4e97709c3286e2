package providertest

import (
	"slices"
	"strings"
	"testing"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/registry"
)

// testWildcard converges wildcard records, whose ownership record names hold the
// wildcard label as a literal "*" ("a-*.apps.example.com") unless a replacement is set.
func testWildcard(t *testing.T, h Harness) {
	for _, replacement := range []string{"wildcard", ""} {
		name := "with replacement"
		if replacement == "" {
			name = "without replacement"
		}
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, h, zoneMain)
			us := newOwner(t, ourOwner, registry.TXTConfig{WildcardReplacement: replacement})
			e.runSteps(t, us, zoneMain, nil, []step{
				{name: "create", creates: 3, desired: []*endpoint.Endpoint{
					wanted("apps", "*.apps.example.com", endpoint.RecordTypeA, 60, "192.0.2.80"),
					wanted("apps", "x.apps.example.com", endpoint.RecordTypeA, 60, "192.0.2.81"),
					wanted("web", "*.web.example.com", endpoint.RecordTypeCNAME, 0, "lb.example.net"),
				}},
				{name: "update", updates: 1, desired: []*endpoint.Endpoint{
					wanted("apps", "*.apps.example.com", endpoint.RecordTypeA, 60, "192.0.2.82"),
					wanted("apps", "x.apps.example.com", endpoint.RecordTypeA, 60, "192.0.2.81"),
					wanted("web", "*.web.example.com", endpoint.RecordTypeCNAME, 0, "lb.example.net"),
				}},
				{name: "delete", deletes: 3},
			})
		})
	}
}

// apexPrefix keeps the ownership records of apex records inside the zone.
const apexPrefix = "_zk-%{record_type}."

// testApex converges records at the zone apex, owned through a prefix ending in ".",
// and checks that without such a prefix an apex record is refused and nothing written.
func testApex(t *testing.T, h Harness) {
	e := newEnv(t, h, zoneMain)
	us := newOwner(t, ourOwner, registry.TXTConfig{Prefix: apexPrefix})
	e.runSteps(t, us, zoneMain, nil, []step{
		{name: "create", creates: 3, desired: []*endpoint.Endpoint{
			wanted("apex", "example.com", endpoint.RecordTypeA, 300, "192.0.2.1"),
			wanted("apex", "example.com", endpoint.RecordTypeAAAA, 300, "2001:db8::1"),
			wanted("www", "www.example.com", endpoint.RecordTypeCNAME, 300, "example.com"),
		}},
		{name: "update", updates: 1, desired: []*endpoint.Endpoint{
			wanted("apex", "example.com", endpoint.RecordTypeA, 300, "192.0.2.2", "192.0.2.3"),
			wanted("apex", "example.com", endpoint.RecordTypeAAAA, 300, "2001:db8::1"),
			wanted("www", "www.example.com", endpoint.RecordTypeCNAME, 300, "example.com"),
		}},
		{name: "delete", deletes: 3},
	})
	t.Run("no prefix", func(t *testing.T) {
		plain := newOwner(t, ourOwner, registry.TXTConfig{})
		e.converge(t, plain, []*endpoint.Endpoint{wanted("apex", "example.com", endpoint.RecordTypeA, 300, "192.0.2.1")}, "example.com")
		e.expectZone(t, zoneMain, nil)
	})
}

// txtValue returns a quoted TXT target whose value is n bytes of printable text,
// different for each seed, with spaces and the punctuation SPF, DKIM and
// site-verification values use.
func txtValue(seed byte, n int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 =;:/+-_.,"
	var b strings.Builder
	b.WriteByte('"')
	for i := range n {
		b.WriteByte(alphabet[(i*7+int(seed))%len(alphabet)])
	}
	b.WriteByte('"')
	return b.String()
}

// testLongTXT round-trips TXT values around and beyond the 255-byte limit of one
// character-string and the 512 bytes of a classic UDP message.
func testLongTXT(t *testing.T, h Harness) {
	e := newEnv(t, h, zoneMain)
	managed := []string{"A", "AAAA", "CNAME", "TXT"}
	us := newOwner(t, ourOwner, registry.TXTConfig{ManagedTypes: managed})
	records := func(seed byte) []*endpoint.Endpoint {
		return []*endpoint.Endpoint{
			wanted("txt", "t255.example.com", endpoint.RecordTypeTXT, 300, txtValue(seed, 255)),
			wanted("txt", "t256.example.com", endpoint.RecordTypeTXT, 300, txtValue(seed, 256)),
			wanted("txt", "t300.example.com", endpoint.RecordTypeTXT, 300, txtValue(seed, 300)),
			wanted("txt", "t600.example.com", endpoint.RecordTypeTXT, 300, txtValue(seed, 600)),
			wanted("txt", "multi.example.com", endpoint.RecordTypeTXT, 300, `"v=short"`, txtValue(seed, 520)),
		}
	}
	e.runSteps(t, us, zoneMain, nil, []step{
		{name: "create", creates: 5, desired: records(0)},
		{name: "update", updates: 5, desired: records(1)},
		{name: "delete", deletes: 5},
	})
}

// testIDN converges names given in Unicode, which must be stored and read back in
// punycode (xn--).
func testIDN(t *testing.T, h Harness) {
	e := newEnv(t, h, zoneMain)
	us := newOwner(t, ourOwner, registry.TXTConfig{})
	desired := []*endpoint.Endpoint{
		wanted("books", "bücher.example.com", endpoint.RecordTypeA, 300, "192.0.2.7"),
		wanted("munich", "www.München.example.com", endpoint.RecordTypeCNAME, 300, "xn--bcher-kva.example.com"),
	}
	for _, d := range desired {
		if !slices.Contains([]string{"xn--bcher-kva.example.com", "www.xn--mnchen-3ya.example.com"}, d.DNSName) {
			t.Fatalf("endpoint.New gave %q, not the punycode the suite expects", d.DNSName)
		}
	}
	e.runSteps(t, us, zoneMain, nil, []step{
		{name: "create", creates: 2, desired: desired},
		{name: "delete", deletes: 2},
	})
}

// testMixedTypes converges A, AAAA and CNAME records side by side, with several targets
// per address RRset, and changes one target of a multi-target RRset.
func testMixedTypes(t *testing.T, h Harness) {
	e := newEnv(t, h, zoneMain)
	us := newOwner(t, ourOwner, registry.TXTConfig{})
	e.runSteps(t, us, zoneMain, nil, []step{
		{name: "create", creates: 4, desired: []*endpoint.Endpoint{
			wanted("dual", "dual.example.com", endpoint.RecordTypeA, 300, "192.0.2.1", "192.0.2.2", "192.0.2.3"),
			wanted("dual", "dual.example.com", endpoint.RecordTypeAAAA, 300, "2001:db8::1", "2001:db8::2"),
			wanted("alias", "alias.example.com", endpoint.RecordTypeCNAME, 300, "dual.example.com"),
			wanted("ext", "ext.example.com", endpoint.RecordTypeCNAME, 300, "lb.example.net"),
		}},
		{name: "replace one target", updates: 2, desired: []*endpoint.Endpoint{
			wanted("dual", "dual.example.com", endpoint.RecordTypeA, 300, "192.0.2.1", "192.0.2.4", "192.0.2.3"),
			wanted("dual", "dual.example.com", endpoint.RecordTypeAAAA, 300, "2001:db8::1"),
			wanted("alias", "alias.example.com", endpoint.RecordTypeCNAME, 300, "dual.example.com"),
			wanted("ext", "ext.example.com", endpoint.RecordTypeCNAME, 300, "lb.example.net"),
		}},
		{name: "delete one type", deletes: 1, desired: []*endpoint.Endpoint{
			wanted("dual", "dual.example.com", endpoint.RecordTypeA, 300, "192.0.2.1", "192.0.2.4", "192.0.2.3"),
			wanted("alias", "alias.example.com", endpoint.RecordTypeCNAME, 300, "dual.example.com"),
			wanted("ext", "ext.example.com", endpoint.RecordTypeCNAME, 300, "lb.example.net"),
		}},
		{name: "delete", deletes: 3},
	})
}

// testMultipleZones serves example.com, sub.example.com and badexample.com together:
// each record, with its ownership record, must land in the zone that is the longest
// label-wise suffix of its name, and no zone may list another's records.
func testMultipleZones(t *testing.T, h Harness) {
	e := newEnv(t, h, zoneMain, zoneSub, zoneLookAlike)
	us := newOwner(t, ourOwner, registry.TXTConfig{})
	inMain := []*endpoint.Endpoint{
		wanted("www", "www.example.com", endpoint.RecordTypeA, 300, "192.0.2.1"),
		wanted("deep", "deep.down.example.com", endpoint.RecordTypeCNAME, 300, "www.sub.example.com"),
	}
	inSub := []*endpoint.Endpoint{
		wanted("www-sub", "www.sub.example.com", endpoint.RecordTypeA, 300, "192.0.2.2"),
		wanted("deep-sub", "x.y.sub.example.com", endpoint.RecordTypeCNAME, 300, "www.badexample.com"),
	}
	inLookAlike := []*endpoint.Endpoint{
		wanted("www-bad", "www.badexample.com", endpoint.RecordTypeA, 300, "192.0.2.3"),
	}
	expect := func(t *testing.T, main, sub, lookAlike []*endpoint.Endpoint) {
		t.Helper()
		e.expectZone(t, zoneMain, us.ownedBy(main...))
		e.expectZone(t, zoneSub, us.ownedBy(sub...))
		e.expectZone(t, zoneLookAlike, us.ownedBy(lookAlike...))
	}
	if !t.Run("create", func(t *testing.T) {
		e.converge(t, us, slices.Concat(inMain, inSub, inLookAlike))
		expect(t, inMain, inSub, inLookAlike)
	}) {
		return
	}
	if !t.Run("delete one zone's", func(t *testing.T) {
		e.converge(t, us, slices.Concat(inMain, inLookAlike))
		expect(t, inMain, nil, inLookAlike)
	}) {
		return
	}
	t.Run("delete all", func(t *testing.T) {
		e.converge(t, us, nil)
		expect(t, nil, nil, nil)
	})
}
