package cloudflare

import (
	"context"
	"fmt"
	"testing"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/plan"
	"github.com/zonekeeper/zonekeeper/provider"
	"github.com/zonekeeper/zonekeeper/provider/cloudflare/cloudflaretest"
)

// TestNoDrift writes every combination of proxied (flag default and annotation),
// TTL, comment (flag default and annotation) and tags, reads it back, and plans: the
// planner must see nothing to change, or the daemon would update forever.
func TestNoDrift(t *testing.T) {
	type variant struct {
		name  string
		typ   string
		value string
	}
	kinds := []variant{{"a", "A", "203.0.113.7"}, {"private", "A", "10.1.2.3"}, {"cname", "CNAME", "lb.example.net"}, {"txt", "TXT", `"hello"`}}
	proxiedAnn := []string{"", "true", "false"}
	ttls := []endpoint.TTL{0, 1, 30, 60, 300}
	comments := []string{"-", "", "mine"}
	tags := []string{"-", "b:2, a:1", ""}
	for _, defProxied := range []bool{false, true} {
		for _, defComment := range []string{"", "zonekeeper"} {
			t.Run(fmt.Sprintf("proxied=%t,comment=%q", defProxied, defComment), func(t *testing.T) {
				env := newTestEnv(t, cloudflaretest.Options{}, Config{Proxied: defProxied, Comment: defComment}, "example.com")
				zone := env.zones["example.com"]
				var desired []*endpoint.Endpoint
				i := 0
				for _, k := range kinds {
					for _, pa := range proxiedAnn {
						for _, ttl := range ttls {
							for _, c := range comments {
								for _, tg := range tags {
									i++
									ep := endpoint.New(fmt.Sprintf("%s-%d.example.com", k.name, i), k.typ, ttl, k.value)
									ep.Refs = []endpoint.ObjectRef{{Kind: "service", Namespace: "ns", Name: ep.DNSName}}
									if pa != "" {
										ep.SetProperty(PropertyProxied, pa)
									}
									if c != "-" {
										ep.SetProperty(PropertyComment, c)
									}
									if tg != "-" {
										ep.SetProperty(PropertyTags, tg)
									}
									desired = append(desired, ep)
								}
							}
						}
					}
				}
				adjusted, problems := env.p.AdjustEndpoints(desired)
				for _, p := range problems {
					if !p.Warning && p.Ref.Name[:3] != "pri" && p.Ref.Name[:3] != "txt" {
						t.Errorf("unexpected refusal: %v", p)
					}
				}
				var changes []provider.Change
				for _, ep := range adjusted {
					changes = append(changes, provider.Change{Records: []provider.RecordChange{{Op: provider.OpCreate, New: ep}}})
				}
				if err := env.p.Apply(context.Background(), zone, changes); err != nil {
					t.Fatal(err)
				}
				current, err := env.p.Records(context.Background(), zone)
				if err != nil {
					t.Fatal(err)
				}
				res := plan.Calculate(plan.Input{Desired: adjusted, Current: current, Policy: plan.PolicySync,
					ManagedTypes: []string{"A", "CNAME", "TXT"}})
				for _, u := range res.Changes.Update {
					t.Errorf("planned an update after writing: %v %v -> %v %v", u.Old, u.Old.ProviderSpecific, u.New, u.New.ProviderSpecific)
				}
				if n := len(res.Changes.Create) + len(res.Changes.Delete); n > 0 {
					t.Errorf("planned %d creates and deletes after writing", n)
				}
				t.Logf("%d combinations written, %d refused or warned", len(adjusted), len(problems))
			})
		}
	}
}
