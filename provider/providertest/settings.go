package providertest

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/provider"
	"github.com/zonekeeper/zonekeeper/registry"
)

// SettingsCase exercises a provider's own settings (Route53 ALIAS records and routing
// policies, Cloudflare's proxied flag, comments and tags, a minimum TTL) through the
// controller and the real TXT registry, as the daemon runs them.
type SettingsCase struct {
	Name string
	// Desired are the records the sources ask for, provider-specific properties as the
	// annotations set them. Each must have a Ref (use Wanted).
	Desired []*endpoint.Endpoint
	// Stored are the records the zone must then hold, ownership records aside, in the
	// form Records returns them: properties compared exactly, TTLs exactly unless 0.
	// Each takes the Refs of the desired record of the same name and set identifier.
	Stored []*endpoint.Endpoint
	// Problems are the names on which the first reconcile must report a problem (a
	// setting the provider changed with a warning, or refused).
	Problems []string
}

// Wanted is a desired record as a source returns it, asked for by the Service named
// object in the suite's namespace, with properties given as name, value pairs.
func Wanted(object, name, recordType string, ttl endpoint.TTL, targets []string, properties ...string) *endpoint.Endpoint {
	e := wanted(object, name, recordType, ttl, targets...)
	for i := 0; i+1 < len(properties); i += 2 {
		e.SetProperty(properties[i], properties[i+1])
	}
	return e
}

// Stored is a record as Records returns it, with properties given as name, value pairs.
func Stored(name, recordType string, ttl endpoint.TTL, targets []string, properties ...string) *endpoint.Endpoint {
	return Wanted("", name, recordType, ttl, targets, properties...)
}

// testSettings runs each of h.Settings in a fresh zone: one reconcile must store exactly
// the case's Stored records, each with an ownership record that carries none of its
// settings (provider.Change) beyond those h.OwnershipKeeps names; a second must plan
// nothing. What the zone holds is handed to keep, for RunModes.
func testSettings(t *testing.T, h Harness, keep func(name string, records []*endpoint.Endpoint)) {
	if len(h.Settings) == 0 {
		t.Skip("the provider has no settings of its own (Harness.Settings)")
	}
	for _, sc := range h.Settings {
		t.Run(sc.Name, func(t *testing.T) {
			e := newEnv(t, h, zoneMain)
			us := newOwner(t, ourOwner, registry.TXTConfig{})
			e.converge(t, us, sc.Desired, sc.Problems...)
			got := e.records(t, zoneMain)
			stored := withRefs(sc.Stored, sc.Desired)
			report(t, "zone "+zoneMain, diffRecords(slices.Concat(stored, us.ownedBy(stored...)), got, asAsked))
			report(t, "zone "+zoneMain, diffProperties(stored, got, us, h.OwnershipKeeps))
			if keep != nil {
				all, err := service(e.p).Records(t.Context(), e.zone(t, zoneMain))
				if err != nil {
					t.Fatal(err)
				}
				keep(sc.Name, slices.DeleteFunc(all, func(r *endpoint.Endpoint) bool { return e.baseline[zoneMain][r.RecordKey()] }))
			}
		})
	}
}

// withRefs returns copies of stored, each with the Refs of the desired record of its
// name and set identifier (its type may differ: a CNAME stored as ALIAS A records).
func withRefs(stored, desired []*endpoint.Endpoint) []*endpoint.Endpoint {
	out := make([]*endpoint.Endpoint, len(stored))
	for i, s := range stored {
		out[i] = s.Clone()
		if j := slices.IndexFunc(desired, func(d *endpoint.Endpoint) bool {
			return d.DNSName == s.DNSName && d.SetIdentifier == s.SetIdentifier
		}); j >= 0 {
			out[i].Refs = desired[j].Refs
		}
	}
	return out
}

// diffProperties describes how the properties of the records in got differ from stored,
// and every property on an ownership record that is not among keeps, or differs from the
// owned record's.
func diffProperties(stored, got []*endpoint.Endpoint, o *owner, keeps []string) []string {
	read := make(map[endpoint.RecordKey]*endpoint.Endpoint, len(got))
	for _, g := range got {
		read[g.RecordKey()] = g
	}
	var out []string
	for _, s := range stored {
		g, ok := read[s.RecordKey()]
		if !ok {
			continue // diffRecords reports it missing
		}
		if want, have := renderProperties(s.ProviderSpecific), renderProperties(g.ProviderSpecific); want != have {
			out = append(out, fmt.Sprintf("%s: properties are {%s}, want {%s}", describeKey(s.RecordKey()), have, want))
		}
		txtKey := endpoint.RecordKey{DNSName: o.reg.OwnershipName(s.DNSName, s.RecordType), RecordType: endpoint.RecordTypeTXT, SetIdentifier: s.SetIdentifier}
		txt, ok := read[txtKey]
		if !ok {
			continue
		}
		for _, p := range txt.ProviderSpecific {
			if v, _ := g.Property(p.Name); !slices.Contains(keeps, p.Name) || v != p.Value {
				out = append(out, fmt.Sprintf("ownership record %s carries %s=%q: ownership records carry no provider settings",
					describeKey(txtKey), p.Name, p.Value))
			}
		}
	}
	slices.Sort(out)
	return out
}

// renderProperties lists properties sorted by name, "name=value" each.
func renderProperties(ps endpoint.ProviderSpecific) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = p.Name + "=" + p.Value
	}
	slices.Sort(parts)
	return strings.Join(parts, " ")
}

// Mode is one way of building a provider: for zonekeeper's command, what a one-shot
// command gets and what the daemon gets.
type Mode struct {
	Name    string
	Harness Harness
}

// RunModes runs the suite once per mode, each mode a subtest, and then checks that every
// settings case left the same records in the service, properties, TTLs and ownership
// values included, whichever mode wrote them: a wrapper the daemon adds must not change
// what is stored. The service is read past any wrapper (an Unwrap method, as
// provider.Cached has).
func RunModes(t *testing.T, modes ...Mode) {
	t.Helper()
	stored := map[string]map[string][]*endpoint.Endpoint{} // case, mode → records
	for _, m := range modes {
		t.Run(m.Name, func(t *testing.T) {
			run(t, m.Harness, func(name string, records []*endpoint.Endpoint) {
				if stored[name] == nil {
					stored[name] = map[string][]*endpoint.Endpoint{}
				}
				stored[name][m.Name] = records
			})
		})
	}
	for _, name := range slices.Sorted(maps.Keys(stored)) {
		first := modes[0].Name
		for _, m := range modes[1:] {
			a, b := stored[name][first], stored[name][m.Name]
			if a == nil || b == nil {
				continue
			}
			for _, d := range diffModes(a, b) {
				t.Errorf("settings case %s: %s and %s stored different records: %s", name, first, m.Name, d)
			}
		}
	}
}

// service returns the provider under every wrapper of p.
func service(p provider.Provider) provider.Provider {
	for {
		w, ok := p.(interface{ Unwrap() provider.Provider })
		if !ok {
			return p
		}
		p = w.Unwrap()
	}
}

// diffModes describes how the records b differ from a: RRsets only one holds, and for
// the others targets, properties or TTLs.
func diffModes(a, b []*endpoint.Endpoint) []string {
	byKey := func(rs []*endpoint.Endpoint) map[endpoint.RecordKey]*endpoint.Endpoint {
		m := make(map[endpoint.RecordKey]*endpoint.Endpoint, len(rs))
		for _, r := range rs {
			m[r.RecordKey()] = r
		}
		return m
	}
	inA, inB := byKey(a), byKey(b)
	var out []string
	for k, x := range inA {
		y, ok := inB[k]
		switch {
		case !ok:
			out = append(out, "only the first holds "+x.String())
		case !slices.Equal(targetsFor(x, asRead), targetsFor(y, asRead)):
			out = append(out, fmt.Sprintf("%s: targets %s and %s", describeKey(k), quoteAll(x.Targets), quoteAll(y.Targets)))
		case renderProperties(x.ProviderSpecific) != renderProperties(y.ProviderSpecific):
			out = append(out, fmt.Sprintf("%s: properties {%s} and {%s}", describeKey(k), renderProperties(x.ProviderSpecific), renderProperties(y.ProviderSpecific)))
		case x.RecordTTL != y.RecordTTL:
			out = append(out, fmt.Sprintf("%s: TTL %d and %d", describeKey(k), x.RecordTTL, y.RecordTTL))
		}
	}
	for k, y := range inB {
		if _, ok := inA[k]; !ok {
			out = append(out, "only the second holds "+y.String())
		}
	}
	slices.Sort(out)
	return out
}
