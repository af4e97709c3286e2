package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/provider"
	"github.com/zonekeeper/zonekeeper/provider/zonefile"
)

// zone is the one zone every daemon under test manages.
const zone = "example.com"

// zoneRecords reads dir's zone file the way the daemon does and renders every record
// but the apex SOA and NS as a line "name ttl type target[,target…]" (targets sorted),
// the lines sorted: a form in which two zones with the same content compare equal.
func zoneRecords(ctx context.Context, dir string) ([]string, error) {
	p, err := zonefile.New(zonefile.Config{Dir: dir, Zones: []string{zone}})
	if err != nil {
		return nil, err
	}
	eps, err := p.Records(ctx, provider.Zone{ID: zone, Name: zone})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, ep := range eps {
		if ep.DNSName == zone && (ep.RecordType == "SOA" || ep.RecordType == "NS") {
			continue
		}
		targets := slices.Sorted(slices.Values(ep.Targets))
		out = append(out, fmt.Sprintf("%s %d %s %s", ep.DNSName, ep.RecordTTL, ep.RecordType, strings.Join(targets, ",")))
	}
	slices.Sort(out)
	return out, nil
}

// zoneIs returns nil when dir's zone holds exactly want (in zoneRecords' form, any
// order), else an error listing what is missing and what should not be there.
func zoneIs(ctx context.Context, dir string, want []string) error {
	got, err := zoneRecords(ctx, dir)
	if err != nil {
		return err
	}
	var missing, extra []string
	for _, w := range want {
		if !slices.Contains(got, w) {
			missing = append(missing, w)
		}
	}
	for _, g := range got {
		if !slices.Contains(want, g) {
			extra = append(extra, g)
		}
	}
	if len(missing)+len(extra) == 0 {
		return nil
	}
	return fmt.Errorf("zone %s:\n  missing:    %s\n  unexpected: %s", zone, strings.Join(missing, "\n              "), strings.Join(extra, "\n              "))
}

// waitZone waits until d's zone holds exactly want.
func (d *daemon) waitZone(t testing.TB, want []string) {
	t.Helper()
	d.waitZoneWithin(t, convergeTimeout, want)
}

// waitZoneWithin is waitZone with another deadline.
func (d *daemon) waitZoneWithin(t testing.TB, timeout time.Duration, want []string) {
	t.Helper()
	d.waitFor(t, timeout, "the zone to converge", func() error { return zoneIs(t.Context(), d.zoneDir, want) })
}

// defaultTTL is what the zonefile provider writes for records without a TTL.
const defaultTTL = 300

// a renders an A record of name with the default TTL as zoneRecords does.
func a(name string, ips ...string) string {
	return aTTL(name, defaultTTL, ips...)
}

func aTTL(name string, ttl int, ips ...string) string {
	return fmt.Sprintf("%s %d A %s", name, ttl, strings.Join(slices.Sorted(slices.Values(ips)), ","))
}

// ownershipTXT renders the ownership TXT record that owner id ownerID writes for the
// A record name on behalf of resource (kind/namespace/name), in the new upstream
// format: "a-" before the first label, TTL unset and hence the zone default.
func ownershipTXT(ownerID, name, resource string) string {
	return fmt.Sprintf("a-%s %d TXT %s", name, defaultTTL, ownershipValue(ownerID, resource))
}

// ownershipValue is the quoted value of an ownership TXT record, as COMPAT.md gives it.
func ownershipValue(ownerID, resource string) string {
	return fmt.Sprintf(`"heritage=external-dns,external-dns/owner=%s,external-dns/resource=%s"`, ownerID, resource)
}

// owned renders an A record with its ownership TXT record of the daemon under test.
func owned(resource, name string, ips ...string) []string {
	return []string{a(name, ips...), ownershipTXT(owner, name, resource)}
}

// The records seedZone puts in the zone before a daemon starts: one owned by another
// zonekeeper or external-dns (owner id "other") and one owned by nobody.
const (
	foreignName     = "foreign." + zone
	foreignOwner    = "other"
	foreignResource = "ingress/elsewhere/foreign"
	foreignIP       = "198.51.100.7"
	manualName      = "manual." + zone
	manualIP        = "198.51.100.8"
)

// seedRecords renders what seedZone writes.
func seedRecords() []string {
	return []string{
		a(foreignName, foreignIP),
		ownershipTXT(foreignOwner, foreignName, foreignResource),
		a(manualName, manualIP),
	}
}

// seedZone writes the records of seedRecords into dir's zone through the zonefile
// provider and returns their lines as they stand in the file, for seedLinesUnchanged.
func seedZone(t testing.TB, dir string) []string {
	t.Helper()
	p, err := zonefile.New(zonefile.Config{Dir: dir, Zones: []string{zone}})
	if err != nil {
		t.Fatal(err)
	}
	var changes []provider.Change
	for _, ep := range []*endpoint.Endpoint{
		endpoint.New(foreignName, "A", 0, foreignIP),
		endpoint.New("a-"+foreignName, "TXT", 0, ownershipValue(foreignOwner, foreignResource)),
		endpoint.New(manualName, "A", 0, manualIP),
	} {
		changes = append(changes, provider.Change{Records: []provider.RecordChange{{Op: provider.OpCreate, New: ep}}})
	}
	if err := p.Apply(t.Context(), provider.Zone{ID: zone, Name: zone}, changes); err != nil {
		t.Fatalf("seed the zone: %v", err)
	}
	lines := seedFileLines(t, dir)
	if len(lines) != len(changes) {
		t.Fatalf("seeded zone file holds %d seed lines, want %d:\n%s", len(lines), len(changes), strings.Join(lines, "\n"))
	}
	return lines
}

// seedFileLines returns the lines of dir's zone file that hold a seeded record, byte
// for byte.
func seedFileLines(t testing.TB, dir string) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, zone+".zone"))
	if err != nil {
		t.Fatal(err)
	}
	owners := []string{foreignName + ".", "a-" + foreignName + ".", manualName + "."}
	var out []string
	for line := range strings.Lines(string(data)) {
		if f := strings.Fields(line); len(f) > 0 && slices.Contains(owners, f[0]) {
			out = append(out, line)
		}
	}
	return out
}

// seedLinesUnchanged fails the test unless the seeded records' lines in dir's zone
// file are still exactly before.
func seedLinesUnchanged(t testing.TB, dir string, before []string) {
	t.Helper()
	if after := seedFileLines(t, dir); !slices.Equal(after, before) {
		t.Errorf("records zonekeeper does not own changed in the zone file:\nbefore:\n%s\nafter:\n%s", strings.Join(before, ""), strings.Join(after, ""))
	}
}

// waitStep waits until the zone holds the records of want and the seeded records, and
// checks that the seeded lines (seeds, from seedZone) are byte for byte as they were; it
// stops the test otherwise.
func (d *daemon) waitStep(t testing.TB, name string, seeds []string, want ...[]string) {
	t.Helper()
	d.waitZone(t, slices.Concat(append(want, seedRecords())...))
	seedLinesUnchanged(t, d.zoneDir, seeds)
	if t.Failed() {
		t.FailNow()
	}
	t.Logf("%s: converged", name)
}
