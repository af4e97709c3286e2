package route53

import (
	"testing"

	"github.com/zonekeeper/zonekeeper/provider"
	"github.com/zonekeeper/zonekeeper/provider/providertest"
	"github.com/zonekeeper/zonekeeper/provider/route53/route53test"
)

// TestConformance runs the provider conformance suite against the Route 53 emulator,
// through the real SDK client, with a fresh emulator for every case.
func TestConformance(t *testing.T) {
	providertest.Run(t, providertest.Harness{
		New: func(t *testing.T, zones []string) provider.Provider {
			p, em := emulated(t, route53test.Options{}, Config{EvaluateTargetHealth: true})
			for _, z := range zones {
				em.CreateZone(z, route53test.ZoneOptions{})
			}
			return p
		},
	})
}
