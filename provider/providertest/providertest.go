// Package providertest is the conformance suite every zonekeeper DNS provider must pass.
//
// Run drives a provider the way the daemon does: a fixed desired state goes through
// controller.RunOnce with a real TXT ownership registry, and what the provider then
// returns from Records is compared with what was asked for. Only the cases about the
// Provider contract itself (refused and atomic changes) call Apply directly.
//
// The suite uses the zones example.com, sub.example.com and badexample.com and the
// owner ids "conformance" and "conformance-other"; see README.md.
package providertest

import (
	"context"
	"slices"
	"testing"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/provider"
)

// The zones the suite asks for.
const (
	zoneMain      = "example.com"
	zoneSub       = "sub.example.com"
	zoneLookAlike = "badexample.com" // a plain string suffix of example.com, but not below it
)

// Harness describes how to get a fresh provider for the suite.
type Harness struct {
	// New returns a provider serving exactly zones (normalised names, such as
	// "example.com"), each empty apart from what the service itself keeps at the apex
	// (SOA, NS). It is called once per subtest, so a provider backed by a shared server
	// must empty the zones first. Use t.Cleanup to release what it holds. Required.
	New func(t *testing.T, zones []string) provider.Provider

	// Seed places records in zone the way another tool would (a hand edit, a zone
	// transfer, an admin console): records the suite's controllers did not plan, which
	// they must leave alone. Each record is new in the zone. Nil seeds through Apply,
	// one create Change per record, which every provider must accept anyway; set Seed
	// when a provider has a cheaper or more faithful back door.
	Seed func(t *testing.T, p provider.Provider, zone provider.Zone, records []*endpoint.Endpoint)

	// BulkRecords is how many records the Bulk case creates in one reconcile and then
	// deletes in another; 0 means DefaultBulkRecords. Lower it only for a service whose
	// cost per record grows with the zone's size, and say why where it is set, so that
	// the case still runs in seconds rather than minutes.
	BulkRecords int

	// Settings are the provider's cases for its own settings, run as the Settings
	// subtests; see SettingsCase.
	Settings []SettingsCase

	// OwnershipKeeps names the properties of an owned record that the provider's
	// Records may return on its ownership record too (Route53: the routing policy, which
	// Route 53 demands of a record with a set identifier). Any other property on an
	// ownership record fails the Settings cases.
	OwnershipKeeps []string

	// OnlySettings runs the Settings cases alone, for a configuration that changes what
	// the other cases expect (every TTL raised to a minimum, every record proxied).
	OnlySettings bool

	// Cases, when not nil, names the only cases of the suite to run (Settings among
	// them, or not). It is for a provider zonekeeper does not control, such as a
	// third-party webhook provider, whose contract is weaker than Provider's (one that
	// accepts a create of an existing RRset cannot pass RefusedChanges); every provider
	// of zonekeeper's own runs them all. Where it is set, say why each case left out is.
	Cases []string
}

// runs reports whether the harness asks for the case named name.
func (h Harness) runs(name string) bool {
	return h.Cases == nil || slices.Contains(h.Cases, name)
}

// Run runs the whole suite against the providers h makes, each case in its own subtest
// with a fresh provider. Select cases with go test -run and -skip, e.g.
// -run 'TestConformance/Bulk'.
func Run(t *testing.T, h Harness) {
	t.Helper()
	run(t, h, nil)
}

// run is Run, handing what each settings case stored to keep when it is not nil.
func run(t *testing.T, h Harness, keep func(name string, records []*endpoint.Endpoint)) {
	t.Helper()
	if h.New == nil {
		t.Fatal("providertest: Harness.New is required")
	}
	for _, c := range cases {
		if !h.OnlySettings && h.runs(c.name) {
			t.Run(c.name, func(t *testing.T) { c.run(t, h) })
		}
	}
	if h.runs("Settings") {
		t.Run("Settings", func(t *testing.T) { testSettings(t, h, keep) })
	}
}

// cases are the suite's subtests, in the order they run.
var cases = []struct {
	name string
	run  func(*testing.T, Harness)
}{
	{"Lifecycle", testLifecycle},
	{"Idempotent", testIdempotent},
	{"OthersUntouched", testOthersUntouched},
	{"RefusedChanges", testRefusedChanges},
	{"AtomicChange", testAtomicChange},
	{"OwnershipSettings", testOwnershipSettings},
	{"Bulk", testBulk},
	{"Wildcard", testWildcard},
	{"Apex", testApex},
	{"LongTXT", testLongTXT},
	{"IDN", testIDN},
	{"MixedTypes", testMixedTypes},
	{"MultipleZones", testMultipleZones},
	{"ConcurrentRecords", testConcurrentRecords},
}

// seed places records in zone through h.Seed, or through Apply.
func (h Harness) seed(t *testing.T, p provider.Provider, zone provider.Zone, records ...*endpoint.Endpoint) {
	t.Helper()
	if h.Seed != nil {
		h.Seed(t, p, zone, records)
		return
	}
	changes := make([]provider.Change, 0, len(records))
	for _, r := range records {
		changes = append(changes, provider.Change{Records: []provider.RecordChange{{Op: provider.OpCreate, New: r}}})
	}
	if err := p.Apply(context.Background(), zone, changes); err != nil {
		t.Fatalf("seeding zone %s: %v", zone.Name, err)
	}
}
