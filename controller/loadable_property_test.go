package controller

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/provider/zonefile"
)

// loadableCases is how many generated reconciles TestReconcileKeepsZonesLoadable runs;
// each costs a zone file written and read by BIND's named-checkzone, twice.
const loadableCases = 300

// unmanagedData are records of the common types zonekeeper does not manage, which a
// generated zone holds at its names so that every change lands beside some of them.
func unmanagedData(rng *rand.Rand, name, zone string) []*endpoint.Endpoint {
	var out []*endpoint.Endpoint
	add := func(recordType string, targets ...string) {
		out = append(out, endpoint.New(name, recordType, endpoint.TTL(pick(rng, []int{0, 60, 3600})), targets...))
	}
	switch rng.IntN(8) {
	case 0:
		add(endpoint.RecordTypeMX, "10 mx.example.net")
	case 1:
		add(endpoint.RecordTypeTXT, `"google-site-verification=abc"`)
	case 2:
		add(endpoint.RecordTypeSRV, "0 5 5060 sip.example.net")
	case 3:
		add("CAA", `0 issue "letsencrypt.org"`)
	case 4:
		if name != zone {
			// A delegation: below it nothing else may stand, and the generator puts
			// nothing there; at it, only the NS records and glue.
			add(endpoint.RecordTypeNS, "ns1.example.net")
		}
	}
	return out
}

// TestReconcileKeepsZonesLoadable reconciles generated zones (records of ours, of another
// owner and of nobody; MX, TXT, SRV, CAA records and NS delegations zonekeeper does not
// manage; ownership records in the new and, without prefix, legacy form) with generated
// desired states that ask for CNAMEs, A and AAAA records anywhere, the apex included, under
// all three policies, with and without a prefix ending in ".", through the zonefile
// provider. After every reconcile BIND's named-checkzone must load every zone file with
// its strictest checks, every record not ours must be byte for byte as before, and a
// second reconcile must plan nothing.
func TestReconcileKeepsZonesLoadable(t *testing.T) {
	checkzone, err := exec.LookPath("named-checkzone")
	if err != nil {
		t.Fatal("named-checkzone is not installed: make dns-servers installs it (bind9-utils)")
	}
	for seed := range uint64(loadableCases) {
		c := genCase(t, seed, genOptions{loadable: true})
		if msg := checkLoadable(t, c, checkzone); msg != "" {
			t.Fatalf("seed %d: %s\n%s", seed, msg, c.dump())
		}
	}
	t.Logf("%d generated reconciles, each zone checked by named-checkzone after each of two runs", loadableCases)
}

func checkLoadable(t *testing.T, c propCase, checkzone string) string {
	ctx := context.Background()
	dir := t.TempDir()
	p, err := zonefile.New(zonefile.Config{Dir: dir, Zones: c.zones})
	if err != nil {
		t.Fatal(err)
	}
	c.seedThrough(t, p)
	if msg := loads(checkzone, dir, c.zones); msg != "" {
		return "the generated zone does not load: " + msg
	}
	reg, ctrl := c.controller(t, p)
	before := snapshot(t, p, c.zones)
	rep, msg := runClean(ctx, ctrl)
	if msg != "" {
		return msg
	}
	if msg := loads(checkzone, dir, c.zones); msg != "" {
		return fmt.Sprintf("after the reconcile: %s\nreport:\n%s", msg, dumpReport(rep))
	}
	after := snapshot(t, p, c.zones)
	for _, zone := range c.zones {
		// The SOA is the provider's own, and its serial counts the writes.
		notOurs, _, _ := classify(reg, c.prefix, withoutSOA(before[zone]))
		if msg := keptAsTheyWere(notOurs, after[zone], identical); msg != "" {
			return msg + "\nreport:\n" + dumpReport(rep)
		}
	}
	if msg := plansNothing(ctx, ctrl, rep); msg != "" {
		return msg
	}
	return loads(checkzone, dir, c.zones)
}

// loads runs named-checkzone on each zone's file in dir, with the checks that fail a
// zone a server would refuse or serve wrongly, and says what it refused, or "". Targets
// outside the zone are not looked up (-i local): the test must not depend on the
// network, and a lookup without one waits out the resolver's timeout.
func loads(checkzone, dir string, zones []string) string {
	for _, z := range zones {
		file := filepath.Join(dir, z+".zone")
		if _, err := os.Stat(file); err != nil {
			continue // nothing written to it yet
		}
		out, err := exec.Command(checkzone, "-i", "local", "-k", "fail", "-n", "ignore", "-m", "fail", "-M", "fail", "-S", "fail", "-W", "warn", z, file).CombinedOutput()
		if err != nil {
			content, _ := os.ReadFile(file)
			return fmt.Sprintf("named-checkzone refused zone %s: %v\n%s\nzone file:\n%s", z, err, out, content)
		}
	}
	return ""
}
