package route53

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/provider"
	"github.com/zonekeeper/zonekeeper/provider/providertest"
	"github.com/zonekeeper/zonekeeper/provider/route53/route53test"
)

// verifying returns a provider on an emulator whose changes reach INSYNC inSyncAfter
// after they are accepted, with one zone holding three changes applied in two
// requests, and those changes. Its waits are real: the emulator's clock is.
func verifying(t *testing.T, inSyncAfter time.Duration) (*Provider, *route53test.Emulator, provider.Zone, []provider.Change) {
	t.Helper()
	p, em := emulated(t, route53test.Options{InSyncAfter: inSyncAfter}, Config{BatchChangeSize: 2})
	p.sleep = provider.Sleep
	zone := provider.Zone{ID: em.CreateZone("example.com", route53test.ZoneOptions{}), Name: "example.com"}
	changes := []provider.Change{
		providertest.CreateOf(endpoint.New("a.example.com", "A", 60, "192.0.2.1")),
		providertest.CreateOf(endpoint.New("b.example.com", "A", 60, "192.0.2.2")),
		providertest.CreateOf(endpoint.New("c.example.com", "TXT", 60, `"c"`)),
	}
	if err := p.Apply(context.Background(), zone, changes); err != nil {
		t.Fatal(err)
	}
	if n := em.Calls()[OperationChangeResourceRecordSets]; n != 2 {
		t.Fatalf("%d ChangeResourceRecordSets requests, want 2", n)
	}
	return p, em, zone, changes
}

func TestVerifyServedWaitsForInSync(t *testing.T) {
	const inSyncAfter = 300 * time.Millisecond
	p, em, zone, changes := verifying(t, inSyncAfter)
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	servings, err := p.VerifyServed(ctx, zone, changes)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range servings {
		if !s.Served || s.At.Sub(start) < inSyncAfter || len(s.By) != 1 || s.By[0] != "Route 53" {
			t.Errorf("%s: %+v, want served by Route 53 no sooner than %s after the start", changes[i], s, inSyncAfter)
		}
	}
	// Two requests, PENDING at once, INSYNC a second later: one GetChange each per round.
	if n := em.Calls()[OperationGetChange]; n != 4 {
		t.Errorf("%d GetChange requests, want 4", n)
	}
}

func TestVerifyServedReportsAChangeNeverInSync(t *testing.T) {
	p, em, zone, changes := verifying(t, -1)
	ctx, cancel := context.WithTimeout(context.Background(), 2500*time.Millisecond)
	defer cancel()
	servings, err := p.VerifyServed(ctx, zone, changes)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range servings {
		if s.Served || !strings.HasPrefix(s.Pending, "Route 53 change C") || !strings.HasSuffix(s.Pending, " is still PENDING") {
			t.Errorf("%s: %+v, want pending with the change id", changes[i], s)
		}
	}
	if servings[0].Pending != servings[1].Pending || servings[0].Pending == servings[2].Pending {
		t.Errorf("pending %q, %q, %q: want the first two in one request, the third in another", servings[0].Pending, servings[1].Pending, servings[2].Pending)
	}
	// Rounds at 0 and 1 s (the 2 s wait after them outlasts the timeout): two requests each.
	if n := em.Calls()[OperationGetChange]; n != 4 {
		t.Errorf("%d GetChange requests, want 4", n)
	}
}

func TestVerifyServedRefusesChangesOfAnotherApply(t *testing.T) {
	p, _, zone, changes := verifying(t, 0)
	later := []provider.Change{providertest.CreateOf(endpoint.New("d.example.com", "A", 60, "192.0.2.4"))}
	if err := p.Apply(context.Background(), zone, later); err != nil {
		t.Fatal(err)
	}
	if _, err := p.VerifyServed(context.Background(), zone, changes[:1]); err == nil || !strings.Contains(err.Error(), "a.example.com") {
		t.Errorf("verifying a change of an earlier Apply: %v, want an error naming it", err)
	}
	servings, err := p.VerifyServed(context.Background(), zone, later)
	if err != nil || !servings[0].Served {
		t.Errorf("verifying the last Apply's change: %+v, %v; want served", servings, err)
	}
}
