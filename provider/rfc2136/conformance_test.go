package rfc2136

import (
	"testing"

	"github.com/zonekeeper/zonekeeper/provider"
	"github.com/zonekeeper/zonekeeper/provider/providertest"
	"github.com/zonekeeper/zonekeeper/test/dnsserver"
)

// powerDNSBulkRecords is the Bulk case's size on PowerDNS. PowerDNS 4.7 lists the whole
// zone from SQLite after every UPDATE that removes a name's last record (to maintain
// empty non-terminals up to the apex), so deleting n names costs time in n², all of it
// server CPU: 10,000 names (the default 5,000 records with their ownership records) take
// about 100 s to delete on the 2-core build machine, 2,000 names about 4 s. fsync, the
// SQLite journal mode, foreign keys and deleting by value (class NONE) instead of by
// RRset change nothing measurable.
const powerDNSBulkRecords = 1000

// TestConformance runs the provider conformance suite against each real server, with a
// fresh server for every case; dnsserver's zones hold only the apex SOA and NS, as the
// suite wants.
func TestConformance(t *testing.T) {
	for _, kind := range dnsserver.Kinds() {
		t.Run(string(kind), func(t *testing.T) {
			h := providertest.Harness{
				New: func(t *testing.T, zones []string) provider.Provider {
					return serverProvider(t, dnsserver.StartT(t, kind, dnsserver.Config{Zones: zones}), nil)
				},
			}
			if kind == dnsserver.PowerDNS {
				h.BulkRecords = powerDNSBulkRecords
			}
			providertest.Run(t, h)
		})
	}
}
