package providertest

import (
	"testing"

	"github.com/zonekeeper/zonekeeper/registry"
)

// bulkRecords is how many records the bulk case creates in one reconcile, and so in
// one Apply: as many as a large cluster publishes.
const bulkRecords = 5000

// testBulk creates bulkRecords records in one reconcile (one Apply of twice as many
// RRsets, ownership records included), reads them back, and deletes them in one more.
func testBulk(t *testing.T, h Harness) {
	e := newEnv(t, h, zoneMain)
	us := newOwner(t, ourOwner, registry.TXTConfig{})
	e.runSteps(t, us, zoneMain, nil, []step{
		{name: "create", creates: bulkRecords, desired: hostRecords("host", bulkRecords)},
		{name: "delete", deletes: bulkRecords},
	})
}
