package source

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/plan"
	"sigs.k8s.io/yaml"
)

// compatCase is one golden case of testdata/compat: Kubernetes objects and the records
// external-dns publishes for them, checked through the manifest source and the planner,
// the path `zonekeeper plan` takes.
type compatCase struct {
	// Fact says where the expected behaviour comes from: external-dns's source, tests or
	// docs, or the docs/migration.md row of a deliberate difference.
	Fact string `json:"fact"`
	// Config is the source configuration (the flags); ManagedTypes doubles as the
	// planner's.
	Config struct {
		ExcludeUnschedulable    bool     `json:"excludeUnschedulable"`
		PublishInternalServices bool     `json:"publishInternalServices"`
		FQDNTemplate            string   `json:"fqdnTemplate"`
		ManagedTypes            []string `json:"managedTypes"`
		Kinds                   []string `json:"kinds"`
	} `json:"config"`
	// Current are records external-dns wrote before (owner compatCaseOwner), as
	// "name TYPE target,target resource-label" (with "ttl=N" before the label when set).
	Current []string `json:"current"`
	// Objects is a multi-document Kubernetes manifest.
	Objects string `json:"objects"`
	// Want are the records the zone holds once the plan is applied, rendered as
	// Endpoint.String; with Current set, a plan of no changes is also required.
	Want []string `json:"want"`
	// Problems are substrings, each of which some Problem message must contain.
	Problems []string `json:"problems"`
}

const compatCaseOwner = "external-dns"

func TestCompatibility(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "compat", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no compatibility cases: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".yaml"), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var tc compatCase
			if err := yaml.UnmarshalStrict(data, &tc); err != nil {
				t.Fatal(err)
			}
			if tc.Fact == "" || tc.Objects == "" {
				t.Fatal("a case needs fact and objects")
			}
			runCompatCase(t, tc)
		})
	}
}

func runCompatCase(t *testing.T, tc compatCase) {
	manifest := filepath.Join(t.TempDir(), "objects.yaml")
	if err := os.WriteFile(manifest, []byte(tc.Objects), 0o600); err != nil {
		t.Fatal(err)
	}
	kinds := tc.Config.Kinds
	if len(kinds) == 0 {
		kinds = []string{KindService, KindIngress}
	}
	o := mustCompile(t, Config{
		ExcludeUnschedulable:    tc.Config.ExcludeUnschedulable,
		PublishInternalServices: tc.Config.PublishInternalServices,
		FQDNTemplate:            tc.Config.FQDNTemplate,
		ManagedTypes:            tc.Config.ManagedTypes,
		Kinds:                   kinds,
	})
	res, err := NewManifest([]string{manifest}, o).Endpoints(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	current := make([]*endpoint.Endpoint, 0, len(tc.Current))
	for _, c := range tc.Current {
		current = append(current, parseCompatRecord(t, c))
	}
	result := plan.Calculate(plan.Input{
		Desired:      res.Endpoints,
		Current:      current,
		OwnerID:      compatCaseOwner,
		Policy:       plan.PolicySync,
		ManagedTypes: tc.Config.ManagedTypes,
	})
	if len(tc.Current) > 0 && !result.Changes.IsEmpty() {
		t.Errorf("adopting external-dns's zone plans changes: create %v update %v delete %v",
			render(result.Changes.Create), renderUpdates(result.Changes.Update), render(result.Changes.Delete))
	}
	if got := render(applied(current, result.Changes)); !slices.Equal(got, tc.Want) {
		t.Errorf("records:\n got %q\nwant %q", got, tc.Want)
	}
	var messages []string
	for _, p := range append(res.Problems, result.Problems...) {
		messages = append(messages, p.Ref.String()+" "+p.Err.Error())
	}
	for _, want := range tc.Problems {
		if !slices.ContainsFunc(messages, func(m string) bool { return strings.Contains(m, want) }) {
			t.Errorf("no problem says %q; problems: %q", want, messages)
		}
	}
}

// parseCompatRecord reads "name TYPE targets [ttl=N] resource".
func parseCompatRecord(t *testing.T, s string) *endpoint.Endpoint {
	t.Helper()
	f := strings.Fields(s)
	if len(f) < 4 {
		t.Fatalf("current record %q: want name, type, targets, [ttl=N,] resource", s)
	}
	ep := endpoint.New(f[0], f[1], 0, strings.Split(f[2], ",")...)
	if ttl, ok := strings.CutPrefix(f[3], "ttl="); ok {
		parsed, err := endpoint.ParseTTL(ttl)
		if err != nil {
			t.Fatalf("current record %q: %v", s, err)
		}
		ep.RecordTTL = parsed
		f = slices.Delete(f, 3, 4)
	}
	ep.Labels = endpoint.Labels{endpoint.OwnerLabelKey: compatCaseOwner, endpoint.ResourceLabelKey: f[3]}
	return ep
}

// applied returns current with changes applied, sorted.
func applied(current []*endpoint.Endpoint, c plan.Changes) []*endpoint.Endpoint {
	gone := map[endpoint.RecordKey]bool{}
	for _, d := range c.Delete {
		gone[d.RecordKey()] = true
	}
	var out []*endpoint.Endpoint
	for _, u := range c.Update {
		gone[u.Old.RecordKey()] = true
		out = append(out, u.New)
	}
	for _, ep := range current {
		if !gone[ep.RecordKey()] {
			out = append(out, ep)
		}
	}
	out = append(out, c.Create...)
	endpoint.SortEndpoints(out)
	return out
}

func renderUpdates(updates []plan.Update) []string {
	var out []string
	for _, u := range updates {
		out = append(out, u.Old.String()+" -> "+u.New.String())
	}
	return out
}
