package source

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/zonekeeper/zonekeeper/endpoint"
)

func TestTargetConfigCompileErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  TargetConfig
		want string
	}{
		{"force without defaults", TargetConfig{ForceDefaultTargets: true}, "--force-default-targets needs --default-targets"},
		{"not a target", TargetConfig{DefaultTargets: []string{"not a name!"}}, `--default-targets "not a name!": neither an IP address nor a host name`},
		{"two host names", TargetConfig{DefaultTargets: []string{"a.example.com", "b.example.com"}}, "a CNAME has exactly one target"},
		{"host name beside an address", TargetConfig{DefaultTargets: []string{"lb.example.com", "192.0.2.1"}}, "cannot share its name"},
		{"zoned address", TargetConfig{DefaultTargets: []string{"fe80::1%eth0"}}, "with a zone"},
		{"bad include", TargetConfig{TargetNetFilter: []string{"10.0.0.0"}}, `--target-net-filter "10.0.0.0": want a CIDR`},
		{"bad exclude", TargetConfig{ExcludeTargetNets: []string{"10.0.0.0/33"}}, `--exclude-target-net "10.0.0.0/33": want a CIDR`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.cfg.Compile()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Compile() error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestTargetRulesApply(t *testing.T) {
	svc := endpoint.ObjectRef{Kind: KindService, Namespace: "default", Name: "web"}
	crd := endpoint.ObjectRef{Kind: KindCRD, Namespace: "default", Name: "records"}
	ep := func(ref endpoint.ObjectRef, name, typ string, targets ...string) *endpoint.Endpoint {
		e := endpoint.New(name, typ, 0, targets...)
		e.Refs = []endpoint.ObjectRef{ref}
		return e
	}
	withTTL := func(e *endpoint.Endpoint, ttl endpoint.TTL, setID string, prop endpoint.Property) *endpoint.Endpoint {
		e.RecordTTL, e.SetIdentifier = ttl, setID
		e.SetProperty(prop.Name, prop.Value)
		return e
	}
	tests := []struct {
		name         string
		cfg          TargetConfig
		in           []*endpoint.Endpoint
		want         []string
		wantProblems []problemCheck
	}{
		{
			name: "no rules change nothing",
			in:   []*endpoint.Endpoint{ep(svc, "web.example.com", "A", "192.0.2.1")},
			want: []string{"web.example.com A 192.0.2.1"},
		},
		{
			name: "defaults leave records with targets alone",
			cfg:  TargetConfig{DefaultTargets: []string{"198.51.100.7"}},
			in:   []*endpoint.Endpoint{ep(svc, "web.example.com", "A", "192.0.2.1"), ep(crd, "txt.example.com", "TXT", `"v=1"`)},
			want: []string{"txt.example.com TXT \"v=1\"", "web.example.com A 192.0.2.1"},
		},
		{
			name: "defaults fill a record without targets, one set per type",
			cfg:  TargetConfig{DefaultTargets: []string{"2001:db8::1", "198.51.100.7", "198.51.100.6"}},
			in:   []*endpoint.Endpoint{withTTL(ep(crd, "app.example.com", "CNAME"), 60, "eu", endpoint.Property{Name: "aws/weight", Value: "10"})},
			want: []string{
				"app.example.com 60 A 198.51.100.6,198.51.100.7 [eu] {aws/weight=10}",
				"app.example.com 60 AAAA 2001:db8::1 [eu] {aws/weight=10}",
			},
		},
		{
			name: "force replaces every record, whatever its type, once per object",
			cfg:  TargetConfig{DefaultTargets: []string{"LB.Example.com."}, ForceDefaultTargets: true},
			in: []*endpoint.Endpoint{
				ep(svc, "web.example.com", "A", "192.0.2.1"),
				ep(svc, "web.example.com", "AAAA", "2001:db8::5"),
				ep(crd, "txt.example.com", "TXT", `"v=1"`),
				ep(crd, "web.example.com", "A", "192.0.2.9"),
			},
			want: []string{
				"txt.example.com CNAME lb.example.com",
				"web.example.com CNAME lb.example.com",
				"web.example.com CNAME lb.example.com",
			},
		},
		{
			name: "an address outside the filter is removed, the record kept",
			cfg:  TargetConfig{TargetNetFilter: []string{"192.0.2.0/24", "2001:db8::/32"}},
			in:   []*endpoint.Endpoint{ep(svc, "web.example.com", "A", "10.0.0.1", "192.0.2.1"), ep(svc, "web.example.com", "AAAA", "2001:db8::1")},
			want: []string{"web.example.com A 192.0.2.1", "web.example.com AAAA 2001:db8::1"},
		},
		{
			name: "host bits in the filter are ignored",
			cfg:  TargetConfig{TargetNetFilter: []string{"192.0.2.77/24"}},
			in:   []*endpoint.Endpoint{ep(svc, "web.example.com", "A", "192.0.2.1")},
			want: []string{"web.example.com A 192.0.2.1"},
		},
		{
			name:         "a filter removes host names, so the CNAME goes with a warning",
			cfg:          TargetConfig{TargetNetFilter: []string{"192.0.2.0/24"}},
			in:           []*endpoint.Endpoint{ep(svc, "web.example.com", "CNAME", "lb.example.net"), ep(svc, "web.example.com", "A", "192.0.2.1")},
			want:         []string{"web.example.com A 192.0.2.1"},
			wantProblems: []problemCheck{warning("service/default/web web.example.com: CNAME record not published", "(lb.example.net)")},
		},
		{
			name: "exclusions alone keep host names and other data",
			cfg:  TargetConfig{ExcludeTargetNets: []string{"10.0.0.0/8"}},
			in: []*endpoint.Endpoint{
				ep(svc, "web.example.com", "CNAME", "lb.example.net"),
				ep(crd, "mail.example.com", "MX", "10 mx.example.com"),
				ep(svc, "node.example.com", "A", "10.1.2.3", "203.0.113.4"),
			},
			want: []string{"mail.example.com MX 10 mx.example.com", "node.example.com A 203.0.113.4", "web.example.com CNAME lb.example.net"},
		},
		{
			name:         "exclusion wins over the filter; a record left empty is dropped with a warning",
			cfg:          TargetConfig{TargetNetFilter: []string{"10.0.0.0/8"}, ExcludeTargetNets: []string{"10.9.0.0/16"}},
			in:           []*endpoint.Endpoint{ep(svc, "web.example.com", "A", "10.9.0.1", "10.9.0.2"), ep(svc, "ok.example.com", "A", "10.1.0.1")},
			want:         []string{"ok.example.com A 10.1.0.1"},
			wantProblems: []problemCheck{warning("web.example.com: A record not published", "(10.9.0.1, 10.9.0.2)")},
		},
		{
			name:         "default targets are filtered too",
			cfg:          TargetConfig{DefaultTargets: []string{"10.0.0.1", "192.0.2.1"}, ForceDefaultTargets: true, ExcludeTargetNets: []string{"10.0.0.0/8"}},
			in:           []*endpoint.Endpoint{ep(svc, "web.example.com", "CNAME", "lb.example.net")},
			want:         []string{"web.example.com A 192.0.2.1"},
			wantProblems: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rules, err := tt.cfg.Compile()
			if err != nil {
				t.Fatal(err)
			}
			in := Result{Endpoints: tt.in}
			before := render(tt.in)
			got := rules.Apply(in)
			if after := render(tt.in); !slices.Equal(before, after) {
				t.Errorf("Apply changed its input: %q, was %q", after, before)
			}
			if g := render(got.Endpoints); !slices.Equal(g, tt.want) {
				t.Errorf("endpoints:\n got %q\nwant %q", g, tt.want)
			}
			if len(got.Problems) != len(tt.wantProblems) {
				t.Fatalf("problems %v, want %d", got.Problems, len(tt.wantProblems))
			}
			for i, p := range got.Problems {
				if p.Warning != tt.wantProblems[i].warning {
					t.Errorf("problem %q: Warning = %v", p.Error(), p.Warning)
				}
				for _, c := range tt.wantProblems[i].contains {
					if !strings.Contains(p.Error(), c) {
						t.Errorf("problem %q does not mention %q", p.Error(), c)
					}
				}
			}
			for _, e := range got.Endpoints {
				if err := endpoint.ValidateTargets(e.RecordType, e.Targets); err != nil {
					t.Errorf("%s: %v", e, err)
				}
			}
		})
	}
}

// ackSource is a Source that records acknowledgements and has a cache state.
type ackSource struct {
	res    Result
	synced bool
	acked  map[string]bool
}

func (s *ackSource) Endpoints(context.Context) (Result, error) { return s.res, nil }
func (s *ackSource) Synced() bool                              { return s.synced }
func (s *ackSource) Acknowledge(_ context.Context, troubled map[string]bool) error {
	s.acked = troubled
	return nil
}

func TestWithTargetRules(t *testing.T) {
	inner := &ackSource{res: Result{Endpoints: []*endpoint.Endpoint{endpoint.New("a.example.com", "A", 0, "10.0.0.1", "192.0.2.1")}}}
	if got := WithTargetRules(inner, &TargetRules{}); got != Source(inner) {
		t.Errorf("rules that change nothing wrapped the source: %T", got)
	}
	rules, err := TargetConfig{ExcludeTargetNets: []string{"10.0.0.0/8"}}.Compile()
	if err != nil {
		t.Fatal(err)
	}
	s := WithTargetRules(inner, rules)
	res, err := s.Endpoints(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := render(res.Endpoints); !slices.Equal(got, []string{"a.example.com A 192.0.2.1"}) {
		t.Errorf("endpoints %q", got)
	}
	if s.(interface{ Synced() bool }).Synced() {
		t.Error("Synced() = true while the wrapped source is not synced")
	}
	inner.synced = true
	if !s.(interface{ Synced() bool }).Synced() {
		t.Error("Synced() = false while the wrapped source is synced")
	}
	troubled := map[string]bool{"service/default/web": true}
	if err := s.(Acknowledger).Acknowledge(context.Background(), troubled); err != nil {
		t.Fatal(err)
	}
	if !inner.acked["service/default/web"] {
		t.Errorf("acknowledgement not passed on: %v", inner.acked)
	}
}
