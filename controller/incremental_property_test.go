package controller

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/provider"
	"github.com/zonekeeper/zonekeeper/provider/inmemory"
	"github.com/zonekeeper/zonekeeper/source"
)

// incrementalCases and incrementalSteps size TestIncrementalEqualsFull.
const (
	incrementalCases = 1500
	incrementalSteps = 12
)

// movingSource is a source whose objects change between reconciles. It is Incremental:
// Changed returns the objects set since the last Endpoints or Changed call.
type movingSource struct {
	objects map[endpoint.ObjectRef][]*endpoint.Endpoint
	changed map[endpoint.ObjectRef]bool
}

func (s *movingSource) Endpoints(context.Context) (source.Result, error) {
	var res source.Result
	for _, eps := range s.objects {
		res.Endpoints = append(res.Endpoints, eps...)
	}
	clear(s.changed)
	return res, nil
}

func (s *movingSource) Changed(context.Context) ([]source.ObjectResult, bool) {
	var out []source.ObjectResult
	for ref := range s.changed {
		out = append(out, source.ObjectResult{Ref: ref, Result: source.Result{Endpoints: s.objects[ref]}})
	}
	clear(s.changed)
	return out, true
}

// set gives obj the records eps (none: obj is deleted).
func (s *movingSource) set(obj endpoint.ObjectRef, eps []*endpoint.Endpoint) {
	s.objects[obj] = eps
	s.changed[obj] = true
}

// move returns one of three moving objects with new records, at names of names, or none.
func move(rng *rand.Rand, names []string, setID func() string) (endpoint.ObjectRef, []*endpoint.Endpoint) {
	obj := endpoint.ObjectRef{Kind: "ingress", Namespace: "moving", Name: fmt.Sprint("m", rng.IntN(3))}
	var eps []*endpoint.Endpoint
	for range rng.IntN(3) {
		recordType := pick(rng, []string{endpoint.RecordTypeA, endpoint.RecordTypeA, endpoint.RecordTypeAAAA, endpoint.RecordTypeCNAME})
		e := endpoint.New(pick(rng, names), recordType, pick(rng, propTTLs), propTargetsOf(rng, recordType)...)
		e.SetIdentifier = setID()
		e.Refs = []endpoint.ObjectRef{obj}
		eps = append(eps, e)
	}
	return obj, eps
}

// unchangingSource is a fixedSource that is Incremental: nothing ever changes, but a
// source that fails cannot say so.
type unchangingSource struct{ fixedSource }

func (s unchangingSource) Changed(context.Context) ([]source.ObjectResult, bool) {
	return nil, s.err == nil
}

// TestIncrementalEqualsFull runs the generated cases of TestReconcileProperties as a
// sequence of events: between reconciles, objects of a moving source are created,
// changed and deleted, at names other objects and foreign records share. One controller
// reconciles each event with RunChanged, which plans only the names that changed against
// its cache (controller/incremental.go); another with RunOnce, which reads and plans every
// zone. After every step both zones must hold exactly the same records, and both reports
// the same problems on the same names: the incremental path decides as the full one does,
// deletion guards and budget, zone rules, conflicts and ownership included.
//
// On odd seeds every source is Incremental, so that RunChanged takes only the changed
// objects from the sources (controller/delta.go); on even seeds it reads them whole.
// Every third step runs the daemon's resync (RunResync) instead of RunChanged. On
// half of the seeds the provider proves the zone unchanged (provider.ChangeDetector), so
// that what the incremental controller applies is written into its cache.
func TestIncrementalEqualsFull(t *testing.T) {
	ctx := context.Background()
	incremental, partial, resyncs := 0, 0, 0
	for seed := range uint64(incrementalCases) {
		c := genCase(t, seed, genOptions{})
		rng := rand.New(rand.NewPCG(seed, 0x1c))
		var names []string
		for _, z := range c.zones {
			for _, l := range propLabels {
				names = append(names, strings.TrimPrefix(l+"."+z, "."))
			}
		}
		setID := func() string { return propSetID(rng) }
		var moving [2]*movingSource
		var ctrls [2]*Controller
		var provs [2]*inmemory.Provider
		for i := range ctrls {
			provs[i] = inmemory.New(c.zones...)
			for zone, recs := range c.current {
				if err := provs[i].Seed(zone, recs...); err != nil {
					t.Fatalf("seed %d: %v", seed, err)
				}
			}
			var p provider.Provider = provs[i]
			if i == 0 && seed%4 >= 2 {
				// A provider proving the zone unchanged: the incremental controller
				// writes what it applies into its cache instead of reading it again.
				p = &unchangedProvider{Provider: provs[i], unchanged: true}
			}
			_, ctrls[i] = c.controller(t, p)
			if seed%3 == 0 {
				// Deletions over the budget are withheld, which RunChanged leaves to
				// the full reconcile.
				ctrls[i].Config.Budget = DeletionBudget{MaxDeletions: 1}
			}
			ctrls[i].Config.KeepRecordsOfExistingObjects = seed%2 == 0
			moving[i] = &movingSource{objects: map[endpoint.ObjectRef][]*endpoint.Endpoint{}, changed: map[endpoint.ObjectRef]bool{}}
			if seed%2 == 1 {
				ctrls[i].Sources = nil
				for _, s := range c.sources {
					ctrls[i].Sources = append(ctrls[i].Sources, unchangingSource{s})
				}
				ctrls[i].Sources = append(ctrls[i].Sources, moving[i])
			} else {
				ctrls[i].Sources = append(ctrls[i].Sources, struct{ source.Source }{moving[i]})
			}
			if _, err := ctrls[i].RunOnce(ctx); err != nil {
				t.Fatalf("seed %d: %v", seed, err)
			}
		}
		for step := range incrementalSteps {
			obj, eps := move(rng, names, setID)
			for _, m := range moving {
				m.set(obj, eps)
			}
			// Every third step is the daemon's resync, which proves the zones and
			// otherwise takes only the changed objects too.
			run, runName := ctrls[0].RunChanged, "RunChanged"
			if step%3 == 2 {
				run, runName = ctrls[0].RunResync, "RunResync"
			}
			inc, err := run(ctx)
			if err != nil {
				t.Fatalf("seed %d step %d: %s: %v", seed, step, runName, err)
			}
			if inc.Partial && runName == "RunResync" {
				resyncs++
			}
			checkCacheHoldsZone(t, ctrls[0], provs[0], c.zones, seed, step)
			full, err := ctrls[1].RunOnce(ctx)
			if err != nil {
				t.Fatalf("seed %d step %d: RunOnce: %v", seed, step, err)
			}
			for _, z := range inc.Zones {
				if z.Incremental {
					incremental++
				}
			}
			if inc.Partial {
				partial++
			}
			if a, b := snapshot(t, provs[0], c.zones), snapshot(t, provs[1], c.zones); !reflect.DeepEqual(a, b) {
				t.Fatalf("seed %d step %d: the zones differ\nincremental:\n%s\nfull:\n%s\n%s", seed, step, dumpReport(inc), dumpReport(full), c.dump())
			}
			if a, b := problemStrings(inc.Problems), problemStrings(full.Problems); !slices.Equal(a, b) {
				t.Fatalf("seed %d step %d: the reports' problems differ\nincremental:\n%s\nfull:\n%s", seed, step, strings.Join(a, "\n"), strings.Join(b, "\n"))
			}
			// A zone RunChanged skips reports no problems (RunChanged's old behaviour):
			// the problems of the zones it reconciled are compared.
			reconciled := map[string]bool{}
			for _, z := range inc.Zones {
				reconciled[z.Zone.Name] = !z.Skipped
			}
			if a, b := zoneProblems(inc, reconciled), zoneProblems(full, reconciled); !slices.Equal(a, b) {
				t.Fatalf("seed %d step %d: the problems differ\nincremental:\n%s\nfull:\n%s", seed, step, strings.Join(a, "\n"), strings.Join(b, "\n"))
			}
		}
	}
	// The property is empty unless the incremental path ran.
	if incremental < incrementalCases || partial < incrementalCases || resyncs < incrementalCases/10 {
		t.Fatalf("only %d incremental zone reconciles, %d reconciles of changed objects and %d resyncs of them in %d cases", incremental, partial, resyncs, incrementalCases)
	}
	t.Logf("%d incremental zone reconciles, %d reconciles of changed objects only, %d of them resyncs", incremental, partial, resyncs)
}

// checkCacheHoldsZone checks that each zone cache c writes its applied changes into
// (zoneCache.writeThrough) holds exactly the records p holds.
func checkCacheHoldsZone(t *testing.T, c *Controller, p provider.Provider, zones []string, seed uint64, step int) {
	t.Helper()
	for _, zone := range zones {
		zc := c.caches[zone]
		if zc == nil || !zc.writeThrough {
			continue
		}
		records, err := p.Records(context.Background(), provider.Zone{ID: zone, Name: zone})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := renderRecords(zc.records()), renderRecords(records); !slices.Equal(got, want) {
			t.Fatalf("seed %d step %d: the cache of %s holds\n%s\nthe zone\n%s", seed, step, zone, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}

// renderRecords renders records with their properties, sorted.
func renderRecords(records []*endpoint.Endpoint) []string {
	out := make([]string, 0, len(records))
	for _, e := range records {
		out = append(out, fmt.Sprint(e, " ", e.ProviderSpecific))
	}
	slices.Sort(out)
	return out
}

// problemStrings renders problems, sorted.
func problemStrings(problems []endpoint.Problem) []string {
	var out []string
	for _, p := range problems {
		out = append(out, fmt.Sprint(p.Ref, " ", p.DNSName, " ", p.Warning, " ", p.Err))
	}
	slices.Sort(out)
	return out
}

// zoneProblems renders the problems of rep's zones that are in zones, sorted.
func zoneProblems(rep *Report, zones map[string]bool) []string {
	var out []string
	for _, z := range rep.Zones {
		if !zones[z.Zone.Name] {
			continue
		}
		for _, p := range z.Problems {
			out = append(out, fmt.Sprint(z.Zone.Name, " ", p.Ref, " ", p.DNSName, " ", p.Warning, " ", p.Err))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
