package zonefile_test

import (
	"testing"

	"github.com/zonekeeper/zonekeeper/provider"
	"github.com/zonekeeper/zonekeeper/provider/providertest"
	"github.com/zonekeeper/zonekeeper/provider/zonefile"
)

func TestConformance(t *testing.T) {
	providertest.Run(t, providertest.Harness{
		New: func(t *testing.T, zones []string) provider.Provider {
			t.Helper()
			p, err := zonefile.New(zonefile.Config{Dir: t.TempDir(), Zones: zones})
			if err != nil {
				t.Fatal(err)
			}
			return p
		},
	})
}
