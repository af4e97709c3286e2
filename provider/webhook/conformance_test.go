package webhook

import (
	"testing"
	"time"

	"github.com/zonekeeper/zonekeeper/provider"
	"github.com/zonekeeper/zonekeeper/provider/inmemory"
	"github.com/zonekeeper/zonekeeper/provider/providertest"
	"github.com/zonekeeper/zonekeeper/provider/rfc2136"
	"github.com/zonekeeper/zonekeeper/provider/zonefile"
	"github.com/zonekeeper/zonekeeper/test/dnsserver"
)

// TestConformance runs the provider conformance suite against zonekeeper's client talking
// to zonekeeper's server over each backing provider, as a one-shot command gets the
// client (bare) and as the daemon gets it (behind provider.Cached).
func TestConformance(t *testing.T) {
	backends := []struct {
		name string
		new  func(t *testing.T, zones []string) provider.Provider
	}{
		{"inmemory", func(t *testing.T, zones []string) provider.Provider { return inmemory.New(zones...) }},
		{"zonefile", func(t *testing.T, zones []string) provider.Provider {
			p, err := zonefile.New(zonefile.Config{Dir: t.TempDir(), Zones: zones})
			if err != nil {
				t.Fatal(err)
			}
			return p
		}},
		{"rfc2136-bind9", func(t *testing.T, zones []string) provider.Provider {
			srv := dnsserver.StartT(t, dnsserver.BIND9, dnsserver.Config{Zones: zones})
			p, err := rfc2136.New(rfc2136.Config{
				Hosts: []string{srv.Addr},
				Zones: srv.Zones,
				TSIG:  rfc2136.TSIG{KeyName: srv.KeyName, Secret: srv.Secret, Algorithm: srv.Algorithm},
				AXFR:  true,
			})
			if err != nil {
				t.Fatal(err)
			}
			return p
		}},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			oneShot := func(t *testing.T, zones []string) provider.Provider {
				return client(t, serve(t, b.new(t, zones), nil), nil)
			}
			daemon := func(t *testing.T, zones []string) provider.Provider {
				return provider.NewCachedWith(oneShot(t, zones), provider.CacheConfig{MaxAge: time.Minute})
			}
			providertest.RunModes(t,
				providertest.Mode{Name: "one-shot", Harness: providertest.Harness{New: oneShot}},
				providertest.Mode{Name: "daemon", Harness: providertest.Harness{New: daemon}},
			)
		})
	}
}
