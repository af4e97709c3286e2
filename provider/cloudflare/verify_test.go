package cloudflare

import (
	"context"
	"testing"
	"time"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/provider"
	"github.com/zonekeeper/zonekeeper/provider/cloudflare/cloudflaretest"
	"github.com/zonekeeper/zonekeeper/provider/providertest"
)

// adjusted returns eps as AdjustEndpoints gives them, which is what Apply is passed.
func adjusted(t *testing.T, p *Provider, eps ...*endpoint.Endpoint) []*endpoint.Endpoint {
	t.Helper()
	out, problems := p.AdjustEndpoints(eps)
	if len(problems) > 0 || len(out) != len(eps) {
		t.Fatalf("AdjustEndpoints: %v %v", out, problems)
	}
	return out
}

func TestVerifyServedReadsBack(t *testing.T) {
	env := newTestEnv(t, cloudflaretest.Options{}, Config{}, "example.com")
	ctx := context.Background()
	zone := env.zones["example.com"]
	proxied := endpoint.New("web.example.com", "CNAME", 0, "lb.example.net")
	proxied.SetProperty(PropertyProxied, "true")
	eps := adjusted(t, env.p,
		endpoint.New("app.example.com", "A", 60, "192.0.2.1", "192.0.2.2"),
		proxied,
		endpoint.New("app.example.com", "TXT", 120, `"v=1"`),
		endpoint.New("old.example.com", "AAAA", 0, "2001:db8::1"),
	)
	created := []provider.Change{providertest.CreateOf(eps[0]), providertest.CreateOf(eps[1]), providertest.CreateOf(eps[2]), providertest.CreateOf(eps[3])}
	if _, err := env.p.Records(ctx, zone); err != nil {
		t.Fatal(err)
	}
	if err := env.p.Apply(ctx, zone, created); err != nil {
		t.Fatal(err)
	}
	updated := adjusted(t, env.p, endpoint.New("app.example.com", "A", 300, "192.0.2.3"))[0]
	changed := []provider.Change{providertest.UpdateOf(eps[0], updated), providertest.DeleteOf(eps[3])}
	if err := env.p.Apply(ctx, zone, changed); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		applied []provider.Change
		lists   int
	}{
		{"creates at two names", created[1:3], 2},
		{"an update and a delete", changed, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := env.calls.ok[OperationRecordsList]
			servings, err := env.p.VerifyServed(ctx, zone, tc.applied)
			if err != nil {
				t.Fatal(err)
			}
			for i, s := range servings {
				if !s.Served || len(s.By) != 1 || s.By[0] != "the Cloudflare API" {
					t.Errorf("%s: %+v, want served by the Cloudflare API", tc.applied[i], s)
				}
			}
			if n := env.calls.ok[OperationRecordsList] - before; n != tc.lists {
				t.Errorf("%d list requests, want one per name: %d", n, tc.lists)
			}
		})
	}
}

// TestVerifyServedReportsWhatTheAPIHolds has someone else rewrite a record after it was
// applied: the read-back reports the change not served, with what the API holds.
func TestVerifyServedReportsWhatTheAPIHolds(t *testing.T) {
	env := newTestEnv(t, cloudflaretest.Options{}, Config{}, "example.com")
	ctx := context.Background()
	zone := env.zones["example.com"]
	written := adjusted(t, env.p, endpoint.New("app.example.com", "A", 60, "192.0.2.1"), endpoint.New("gone.example.com", "A", 60, "192.0.2.5"))
	applied := []provider.Change{providertest.CreateOf(written[0]), providertest.CreateOf(written[1])}
	if err := env.p.Apply(ctx, zone, applied); err != nil {
		t.Fatal(err)
	}
	other, err := New(env.p.s.Config)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Records(ctx, zone); err != nil {
		t.Fatal(err)
	}
	rewritten := adjusted(t, other, endpoint.New("app.example.com", "A", 60, "192.0.2.9"))[0]
	if err := other.Apply(ctx, zone, []provider.Change{providertest.UpdateOf(written[0], rewritten), providertest.DeleteOf(written[1])}); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	env.p.sleep = func(context.Context, time.Duration) error { cancel(); return context.Canceled }
	servings, err := env.p.VerifyServed(ctx, zone, applied)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"the Cloudflare API: holds 192.0.2.9 (TTL 60, proxied false)",
		"the Cloudflare API: holds no A records at gone.example.com",
	}
	for i, s := range servings {
		if s.Served || s.Pending != want[i] {
			t.Errorf("%s: %+v, want pending %q", applied[i], s, want[i])
		}
	}
}
