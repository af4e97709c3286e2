package cloudflare

import (
	"context"
	"testing"

	"golang.org/x/time/rate"

	"github.com/zonekeeper/zonekeeper/provider/cloudflare/cloudflaretest"
)

// BenchmarkConverge5000 converges 5,000 names (10,000 records with ownership) from an
// empty emulated zone and then reads them back, with the real token bucket and no
// pause between batch calls (--batch-change-interval=0; the default 1s adds 49 s).
func BenchmarkConverge5000(b *testing.B) {
	const n = 5000
	for b.Loop() {
		b.StopTimer()
		env := newTestEnv(b, cloudflaretest.Options{}, Config{BatchInterval: -1}, "example.com")
		env.p.limiter = rate.NewLimiter(rate.Limit(float64(requestsPerWindow-rateBurst)/rateWindow.Seconds()), rateBurst)
		zone := env.zones["example.com"]
		changes := owned(n)
		b.StartTimer()
		if err := env.p.Apply(context.Background(), zone, changes); err != nil {
			b.Fatal(err)
		}
		if _, err := env.p.Records(context.Background(), zone); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		calls := env.em.Calls()
		b.ReportMetric(float64(calls[OperationRecordsBatch]), "batch-calls/op")
		b.ReportMetric(float64(calls[OperationRecordsList]), "list-calls/op")
		b.StartTimer()
	}
}
