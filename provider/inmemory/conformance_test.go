package inmemory_test

import (
	"testing"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/provider"
	"github.com/zonekeeper/zonekeeper/provider/inmemory"
	"github.com/zonekeeper/zonekeeper/provider/providertest"
)

func TestConformance(t *testing.T) {
	providertest.Run(t, providertest.Harness{
		New: func(t *testing.T, zones []string) provider.Provider { return inmemory.New(zones...) },
		// Seed bypasses Apply, as records another tool wrote would.
		Seed: func(t *testing.T, p provider.Provider, zone provider.Zone, records []*endpoint.Endpoint) {
			t.Helper()
			if err := p.(*inmemory.Provider).Seed(zone.Name, records...); err != nil {
				t.Fatal(err)
			}
		},
	})
}
