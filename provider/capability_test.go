package provider_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/provider"
	"github.com/zonekeeper/zonekeeper/provider/inmemory"
)

// capable is a provider with every capability the controller asks of providers, each
// answering in a way no wrapper could make up. A new capability is a new method here
// and a new row in capabilities; TestWrappersKeepCapabilities then fails for every
// wrapper that does not pass it through.
type capable struct {
	provider.Provider
	unchanged bool
	count     int
	served    []provider.Serving
}

// AdjustEndpoints rewrites every TTL to 4242, as only this provider would.
func (capable) AdjustEndpoints(desired []*endpoint.Endpoint) ([]*endpoint.Endpoint, []endpoint.Problem) {
	out := make([]*endpoint.Endpoint, len(desired))
	for i, e := range desired {
		out[i] = e.Clone()
		out[i].RecordTTL = 4242
	}
	return out, []endpoint.Problem{{DNSName: "adjusted.example.com", Warning: true}}
}

func (c *capable) Unchanged(context.Context, provider.Zone) (bool, error) { return c.unchanged, nil }

func (c *capable) ProbeCount(context.Context, provider.Zone) (int, error) { return c.count, nil }

// CountOf counts 7 per value, as only this provider would.
func (*capable) CountOf(e *endpoint.Endpoint) int { return 7 * len(e.Targets) }

// VerifyServed answers what the test set, as only this provider would.
func (c *capable) VerifyServed(context.Context, provider.Zone, []provider.Change) ([]provider.Serving, error) {
	return c.served, nil
}

// wrappers are every provider wrapper zonekeeper builds, each around inner.
var wrappers = []struct {
	name string
	wrap func(inner provider.Provider) provider.Provider
}{
	{"Cached", func(inner provider.Provider) provider.Provider { return provider.NewCached(inner, time.Hour) }},
}

// capabilities are what the controller asks of a provider besides reading and writing,
// each with a check that the wrapped provider answers as the inner one does.
var capabilities = []struct {
	name  string
	check func(t *testing.T, inner *capable, wrapped provider.Provider)
}{
	{"AdjustEndpoints (Route53 ALIAS, Cloudflare proxied/comment/TTL, RFC2136 min TTL)", func(t *testing.T, inner *capable, wrapped provider.Provider) {
		desired := []*endpoint.Endpoint{endpoint.New("www.example.com", "A", 60, "192.0.2.1")}
		got, problems := wrapped.AdjustEndpoints(desired)
		want, wantProblems := inner.AdjustEndpoints(desired)
		if len(got) != 1 || got[0].RecordTTL != want[0].RecordTTL || len(problems) != len(wantProblems) {
			t.Errorf("AdjustEndpoints through the wrapper gave %v %v, the provider %v %v", got, problems, want, wantProblems)
		}
	}},
	{"ChangeDetector (RFC2136 SOA serial)", func(t *testing.T, inner *capable, wrapped provider.Provider) {
		detector, ok := wrapped.(provider.ChangeDetector)
		if !ok {
			t.Fatal("the wrapper is no ChangeDetector")
		}
		ctx := context.Background()
		zone := provider.Zone{ID: "example.com", Name: "example.com"}
		if _, err := wrapped.Records(ctx, zone); err != nil {
			t.Fatal(err)
		}
		for _, want := range []bool{true, false} {
			inner.unchanged = want
			if got, err := detector.Unchanged(ctx, zone); err != nil || got != want {
				t.Errorf("Unchanged through the wrapper = %t, %v; the provider says %t", got, err, want)
			}
		}
	}},
	{"DriftProber (Route53 record set count, Cloudflare record count)", func(t *testing.T, inner *capable, wrapped provider.Provider) {
		prober, ok := wrapped.(provider.DriftProber)
		if !ok {
			t.Fatal("the wrapper is no DriftProber")
		}
		zone := provider.Zone{ID: "example.com", Name: "example.com"}
		for _, want := range []int{3, 42} {
			inner.count = want
			if got, err := prober.ProbeCount(context.Background(), zone); err != nil || got != want {
				t.Errorf("ProbeCount through the wrapper = %d, %v; the provider says %d", got, err, want)
			}
		}
		e := endpoint.New("www.example.com", "A", 60, "192.0.2.1", "192.0.2.2")
		if got, want := prober.CountOf(e), inner.CountOf(e); got != want {
			t.Errorf("CountOf through the wrapper = %d; the provider says %d", got, want)
		}
	}},
	{"PropagationVerifier (RFC2136 queries, Route53 GetChange, Cloudflare read-back)", func(t *testing.T, inner *capable, wrapped provider.Provider) {
		verifier, ok := wrapped.(provider.PropagationVerifier)
		if !ok {
			t.Fatal("the wrapper is no PropagationVerifier")
		}
		zone := provider.Zone{ID: "example.com", Name: "example.com"}
		inner.served = []provider.Serving{{Served: true, At: time.Unix(42, 0), By: []string{"ns1.example.com"}}, {Pending: "ns2.example.com: NXDOMAIN"}}
		got, err := verifier.VerifyServed(context.Background(), zone, nil)
		if err != nil || !reflect.DeepEqual(got, inner.served) {
			t.Errorf("VerifyServed through the wrapper = %v, %v; the provider says %v", got, err, inner.served)
		}
	}},
}

// TestWrappersKeepCapabilities fails when a provider wrapper drops a capability: the
// daemon wraps remote providers in Cached, and a capability lost there is lost silently
// (as AdjustEndpoints once was, turning Route53 ALIAS records into CNAMEs in the daemon
// only).
func TestWrappersKeepCapabilities(t *testing.T) {
	for _, w := range wrappers {
		t.Run(w.name, func(t *testing.T) {
			inner := &capable{Provider: inmemory.New("example.com")}
			wrappedType := reflect.TypeOf(w.wrap(inner))
			innerType := reflect.TypeFor[*capable]()
			for i := range innerType.NumMethod() {
				m := innerType.Method(i)
				if _, ok := wrappedType.MethodByName(m.Name); !ok {
					t.Errorf("the provider has method %s, the wrapper does not: a capability is dropped", m.Name)
				}
			}
			for _, c := range capabilities {
				t.Run(c.name, func(t *testing.T) {
					inner := &capable{Provider: inmemory.New("example.com")}
					c.check(t, inner, w.wrap(inner))
				})
			}
		})
	}
}
