package endpoint

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestNew(t *testing.T) {
	targets := []string{"192.0.2.1"}
	e := New(" App.Bücher.example. ", RecordTypeA, 300, targets...)
	targets[0] = "changed"
	if e.DNSName != "app.xn--bcher-kva.example" || e.RecordType != RecordTypeA || e.RecordTTL != 300 {
		t.Errorf("New = %+v", e)
	}
	if !slices.Equal(e.Targets, Targets{"192.0.2.1"}) {
		t.Errorf("New shares the caller's targets: %q", e.Targets)
	}
	if e.Labels == nil {
		t.Error("New leaves Labels nil")
	}
}

func TestTTLIsConfigured(t *testing.T) {
	for ttl, want := range map[TTL]bool{-1: false, 0: false, 1: true, 300: true} {
		if got := ttl.IsConfigured(); got != want {
			t.Errorf("TTL(%d).IsConfigured() = %v, want %v", ttl, got, want)
		}
	}
}

func TestSetProperty(t *testing.T) {
	tests := []struct {
		desc string
		set  [][2]string
		want ProviderSpecific
	}{
		{desc: "none", want: nil},
		{
			desc: "kept sorted whatever the order of calls",
			set:  [][2]string{{"aws/weight", "10"}, {"alias", "true"}, {"cloudflare-proxied", "false"}, {"aws/region", "eu-west-1"}},
			want: ProviderSpecific{{"alias", "true"}, {"aws/region", "eu-west-1"}, {"aws/weight", "10"}, {"cloudflare-proxied", "false"}},
		},
		{
			desc: "setting again replaces",
			set:  [][2]string{{"b", "1"}, {"a", "1"}, {"c", "1"}, {"b", "2"}, {"a", ""}},
			want: ProviderSpecific{{"a", ""}, {"b", "2"}, {"c", "1"}},
		},
	}
	for _, tt := range tests {
		e := &Endpoint{}
		for _, kv := range tt.set {
			e.SetProperty(kv[0], kv[1])
		}
		if !slices.Equal(e.ProviderSpecific, tt.want) {
			t.Errorf("%s: ProviderSpecific = %v, want %v", tt.desc, e.ProviderSpecific, tt.want)
		}
	}
}

func TestPropertyAndDeleteProperty(t *testing.T) {
	e := &Endpoint{}
	e.SetProperty("b", "2")
	e.SetProperty("a", "1")
	e.SetProperty("c", "")
	tests := []struct {
		name, want string
		found      bool
	}{
		{"a", "1", true},
		{"b", "2", true},
		{"c", "", true},
		{"d", "", false},
	}
	for _, tt := range tests {
		if got, found := e.Property(tt.name); got != tt.want || found != tt.found {
			t.Errorf("Property(%q) = %q, %v; want %q, %v", tt.name, got, found, tt.want, tt.found)
		}
	}
	e.DeleteProperty("b")
	e.DeleteProperty("missing")
	if want := (ProviderSpecific{{"a", "1"}, {"c", ""}}); !slices.Equal(e.ProviderSpecific, want) {
		t.Errorf("after DeleteProperty: %v, want %v", e.ProviderSpecific, want)
	}
	if _, found := e.Property("b"); found {
		t.Error("Property finds a deleted property")
	}
	e.SetProperty("b", "3")
	if want := (ProviderSpecific{{"a", "1"}, {"b", "3"}, {"c", ""}}); !slices.Equal(e.ProviderSpecific, want) {
		t.Errorf("SetProperty after DeleteProperty: %v, want %v", e.ProviderSpecific, want)
	}
}

func TestCloneIsDeep(t *testing.T) {
	orig := &Endpoint{
		DNSName:          "app.example.com",
		RecordType:       RecordTypeA,
		Targets:          Targets{"192.0.2.1", "192.0.2.2"},
		RecordTTL:        60,
		SetIdentifier:    "eu",
		Labels:           Labels{OwnerLabelKey: "default"},
		ProviderSpecific: ProviderSpecific{{"aws/weight", "10"}},
		Refs:             []ObjectRef{{Kind: "service", Namespace: "ns", Name: "web"}},
	}
	c := orig.Clone()
	c.DNSName = "other.example.com"
	c.Targets[0] = "198.51.100.1"
	c.Targets = append(c.Targets, "198.51.100.2")
	c.Labels[OwnerLabelKey] = "someone-else"
	c.Labels[ResourceLabelKey] = "ingress/ns/x"
	c.ProviderSpecific[0].Value = "99"
	c.SetProperty("alias", "true")
	c.Refs[0].Name = "changed"

	if orig.DNSName != "app.example.com" ||
		!slices.Equal(orig.Targets, Targets{"192.0.2.1", "192.0.2.2"}) ||
		len(orig.Labels) != 1 || orig.Labels[OwnerLabelKey] != "default" ||
		!slices.Equal(orig.ProviderSpecific, ProviderSpecific{{"aws/weight", "10"}}) ||
		orig.Refs[0].Name != "web" {
		t.Errorf("mutating the clone changed the original: %+v", orig)
	}

	empty := (&Endpoint{}).Clone()
	if empty.Labels == nil {
		t.Error("Clone of an endpoint without labels has nil Labels")
	}
	empty.Labels["k"] = "v" // must not panic
}

func TestKeys(t *testing.T) {
	e := &Endpoint{DNSName: "app.example.com", RecordType: RecordTypeAAAA, SetIdentifier: "eu"}
	if got, want := e.Key(), (Key{DNSName: "app.example.com", SetIdentifier: "eu"}); got != want {
		t.Errorf("Key() = %+v, want %+v", got, want)
	}
	if got, want := e.RecordKey(), (RecordKey{DNSName: "app.example.com", RecordType: RecordTypeAAAA, SetIdentifier: "eu"}); got != want {
		t.Errorf("RecordKey() = %+v, want %+v", got, want)
	}
	a := &Endpoint{DNSName: "app.example.com", RecordType: RecordTypeA, SetIdentifier: "eu"}
	if a.Key() != e.Key() || a.RecordKey() == e.RecordKey() {
		t.Error("Key must ignore the type, RecordKey must not")
	}
}

func TestEndpointString(t *testing.T) {
	tests := []struct {
		e    *Endpoint
		want string
	}{
		{&Endpoint{DNSName: "app.example.com", RecordType: RecordTypeA, Targets: Targets{"192.0.2.1", "192.0.2.2"}, RecordTTL: 300}, "app.example.com 300 A 192.0.2.1,192.0.2.2"},
		{&Endpoint{DNSName: "app.example.com", RecordType: RecordTypeCNAME, Targets: Targets{"lb.example.net"}}, "app.example.com CNAME lb.example.net"},
		{&Endpoint{DNSName: "app.example.com", RecordType: RecordTypeA, Targets: Targets{"192.0.2.1"}, SetIdentifier: "eu"}, "app.example.com A 192.0.2.1 [eu]"},
		{&Endpoint{DNSName: "x.example.com", RecordType: RecordTypeTXT}, "x.example.com TXT "},
	}
	for _, tt := range tests {
		if got := tt.e.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}

func TestSortEndpoints(t *testing.T) {
	ep := func(name, typ, set, target string) *Endpoint {
		return &Endpoint{DNSName: name, RecordType: typ, SetIdentifier: set, Targets: Targets{target}}
	}
	eps := []*Endpoint{
		ep("b.example.com", "A", "", "1"),
		ep("a.example.com", "CNAME", "", "2"),
		ep("a.example.com", "A", "us", "3"),
		ep("a.example.com", "A", "", "4"),
		ep("a.example.com", "A", "eu", "5"),
		ep("a.example.com", "AAAA", "", "6"),
		ep("a.example.com", "A", "", "7"), // equal to "4": stable order keeps 4 first
	}
	SortEndpoints(eps)
	var got []string
	for _, e := range eps {
		got = append(got, e.Targets[0])
	}
	if want := []string{"4", "7", "5", "3", "6", "2", "1"}; !slices.Equal(got, want) {
		t.Errorf("sorted order %v, want %v", got, want)
	}
	for i := range eps {
		if Less(eps[i], eps[i]) {
			t.Errorf("Less(x, x) = true for %v", eps[i])
		}
	}
	if !Less(eps[0], eps[2]) || Less(eps[2], eps[0]) {
		t.Error("Less is not asymmetric on set identifiers")
	}
}

func TestProblemError(t *testing.T) {
	ref := ObjectRef{Kind: "ingress", Namespace: "shop", Name: "web"}
	fileRef := ObjectRef{Kind: "service", Namespace: "default", Name: "api", Source: "deploy/api.yaml"}
	err := errors.New(`hostname "a..b": empty label`)
	tests := []struct {
		p    Problem
		want string
	}{
		{Problem{Ref: ref, Err: err}, `ingress/shop/web: hostname "a..b": empty label`},
		{Problem{Ref: ref, DNSName: "app.example.com", Err: err}, `ingress/shop/web app.example.com: hostname "a..b": empty label`},
		{Problem{Ref: fileRef, Err: err, Warning: true}, `service/default/api (deploy/api.yaml): hostname "a..b": empty label`},
		{Problem{Ref: fileRef, DNSName: "api.example.com", Err: err}, `service/default/api (deploy/api.yaml) api.example.com: hostname "a..b": empty label`},
		{
			Problem{Ref: ObjectRef{Kind: "endpointslice", Namespace: strings.Repeat("n", 63), Name: strings.Repeat("x", 253)}, Err: err},
			"endpointslice/" + strings.Repeat("n", 63) + "/" + strings.Repeat("x", 253) + `: hostname "a..b": empty label`,
		},
		{
			Problem{Ref: ObjectRef{Kind: "service", Namespace: "default", Name: strings.Repeat("x", 1000), Source: "m.yaml"}, Err: err},
			`"service/default/` + strings.Repeat("x", 112) + `…" (1016 bytes, 888 not shown) (m.yaml): hostname "a..b": empty label`,
		},
	}
	for _, tt := range tests {
		if got := tt.p.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
	if got := ref.String(); got != "ingress/shop/web" {
		t.Errorf("ObjectRef.String() = %q", got)
	}
}
