package cloudflare

import (
	"testing"

	"github.com/zonekeeper/zonekeeper/provider"
	"github.com/zonekeeper/zonekeeper/provider/cloudflare/cloudflaretest"
	"github.com/zonekeeper/zonekeeper/provider/providertest"
)

func TestConformance(t *testing.T) {
	providertest.Run(t, providertest.Harness{
		New: func(t *testing.T, zones []string) provider.Provider {
			return newTestEnv(t, cloudflaretest.Options{}, Config{RecordsPerPage: MaxRecordsPerPage}, zones...).p
		},
	})
}
