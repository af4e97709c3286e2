package providertest

import (
	"testing"

	"github.com/zonekeeper/zonekeeper/registry"
)

// DefaultBulkRecords is how many records the Bulk case creates in one reconcile, and so
// in one Apply, unless Harness.BulkRecords says otherwise: as many as a large cluster
// publishes.
const DefaultBulkRecords = 5000

// testBulk creates Harness.BulkRecords records in one reconcile (one Apply of twice as
// many RRsets, ownership records included), reads them back, and deletes them in one
// more.
func testBulk(t *testing.T, h Harness) {
	n := h.BulkRecords
	switch {
	case n < 0:
		t.Fatalf("providertest: Harness.BulkRecords is %d; want 0 (the default, %d) or more", n, DefaultBulkRecords)
	case n == 0:
		n = DefaultBulkRecords
	}
	e := newEnv(t, h, zoneMain)
	us := newOwner(t, ourOwner, registry.TXTConfig{})
	e.runSteps(t, us, zoneMain, nil, []step{
		{name: "create", creates: n, desired: hostRecords("host", n)},
		{name: "delete", deletes: n},
	})
}
