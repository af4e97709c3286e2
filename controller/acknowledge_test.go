package controller

import (
	"context"
	"errors"
	"maps"
	"slices"
	"testing"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/plan"
	"github.com/zonekeeper/zonekeeper/provider/inmemory"
	"github.com/zonekeeper/zonekeeper/source"
)

// acknowledgingSource is a fixedSource that records what it is told to acknowledge.
type acknowledgingSource struct {
	fixedSource
	calls [][]string // the troubled objects of each call, sorted
}

func (s *acknowledgingSource) Acknowledge(_ context.Context, troubled map[string]bool) error {
	s.calls = append(s.calls, slices.Sorted(maps.Keys(troubled)))
	return nil
}

func crdRef(name string) endpoint.ObjectRef {
	return endpoint.ObjectRef{Kind: source.KindCRD, Namespace: "ns", Name: name}
}

func TestAcknowledge(t *testing.T) {
	hidden := rec("hidden.example.com", endpoint.RecordTypeA, 0, "192.0.2.1")
	result := source.Result{
		Endpoints: []*endpoint.Endpoint{
			wanted(crdRef("good"), "good.example.com", endpoint.RecordTypeMX, 0, "10 mail.example.com"),
			wanted(crdRef("refused"), "hidden.example.com", endpoint.RecordTypeA, 0, "192.0.2.9"),
			wanted(crdRef("elsewhere"), "www.example.org", endpoint.RecordTypeA, 0, "192.0.2.3"),
			wanted(crdRef("partly"), "partly.example.com", endpoint.RecordTypeA, 0, "192.0.2.4"),
		},
		Problems: []endpoint.Problem{
			{Ref: crdRef("partly"), Err: errors.New("spec.endpoints[1]: bad")},
			{Ref: crdRef("good"), Warning: true, Err: errors.New("a providerSpecific entry without a name is ignored")},
		},
	}
	tests := []struct {
		name       string
		cfg        Config
		sourceErr  bool
		unreadable string
		want       [][]string
	}{
		{
			name: "objects with a refused change, an invalid entry or a name in no zone are troubled; warnings are not",
			want: [][]string{{"crd/ns/elsewhere", "crd/ns/partly", "crd/ns/refused"}},
		},
		{name: "a dry run acknowledges nothing", cfg: Config{DryRun: true}},
		{name: "a source not read: nothing", sourceErr: true},
		{name: "a zone not read: nothing", unreadable: "example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &faultyProvider{
				Provider:   seeded(t, []string{"example.com"}, map[string][]*endpoint.Endpoint{"example.com": {hidden}}),
				hidden:     hidden.RecordKey(),
				unreadable: tt.unreadable,
			}
			src := &acknowledgingSource{fixedSource: fixedSource{result: result}}
			sources := []source.Source{src}
			if tt.sourceErr {
				sources = append(sources, fixedSource{err: errors.New("informers not synced")})
			}
			tt.cfg.Policy = plan.PolicySync
			c := newController(t, p, tt.cfg, sources...)
			if _, err := c.RunOnce(context.Background()); err != nil && tt.unreadable == "" {
				t.Fatal(err)
			}
			if !slices.EqualFunc(src.calls, tt.want, slices.Equal) {
				t.Errorf("Acknowledge calls %q, want %q", src.calls, tt.want)
			}
		})
	}
}

// TestAcknowledgeAfterApply checks the order: the record is in the zone when the source
// is told, and the object is not among the troubled.
func TestAcknowledgeAfterApply(t *testing.T) {
	p := inmemory.New("example.com")
	src := &zoneCheckingSource{p: p, t: t}
	src.result = source.Result{Endpoints: []*endpoint.Endpoint{
		wanted(crdRef("mail"), "mail.example.com", endpoint.RecordTypeA, 0, "192.0.2.25"),
	}}
	c := newController(t, p, Config{Policy: plan.PolicySync}, src)
	runOnce(t, c)
	if !src.sawRecord {
		t.Error("Acknowledge ran before the record was in the zone")
	}
}

type zoneCheckingSource struct {
	fixedSource
	p         *inmemory.Provider
	t         *testing.T
	sawRecord bool
}

func (s *zoneCheckingSource) Acknowledge(ctx context.Context, troubled map[string]bool) error {
	for _, r := range records(s.t, s.p, "example.com") {
		if r.DNSName == "mail.example.com" && r.RecordType == endpoint.RecordTypeA && !troubled["crd/ns/mail"] {
			s.sawRecord = true
		}
	}
	return nil
}
