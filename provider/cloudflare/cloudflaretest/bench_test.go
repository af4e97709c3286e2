package cloudflaretest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// BenchmarkBatchPosts measures the emulator alone (no HTTP client, no SDK decoding) applying
// batches of 200 posts to a zone that grows to 10,000 records, then listing it in pages of 5,000.
func BenchmarkBatchPosts(b *testing.B) {
	const records, perBatch = 10000, 200
	bodies := make([]string, 0, records/perBatch)
	for start := 0; start < records; start += perBatch {
		posts := make([]string, 0, perBatch)
		for i := start; i < start+perBatch; i++ {
			posts = append(posts, fmt.Sprintf(`{"type":"A","name":"host-%05d.example.com","content":"192.0.2.1","ttl":1}`, i))
		}
		bodies = append(bodies, `{"posts":[`+strings.Join(posts, ",")+`]}`)
	}
	for b.Loop() {
		e := New(Options{})
		zoneID := e.CreateZone("example.com")
		for _, body := range bodies {
			w := httptest.NewRecorder()
			e.ServeHTTP(w, httptest.NewRequest(http.MethodPost, apiPrefix+"zones/"+zoneID+"/dns_records/batch", strings.NewReader(body)))
			if w.Code != http.StatusOK {
				b.Fatalf("batch: %d %s", w.Code, w.Body)
			}
		}
		for page := 1; page <= 2; page++ {
			w := httptest.NewRecorder()
			e.ServeHTTP(w, httptest.NewRequest(http.MethodGet, fmt.Sprintf("%szones/%s/dns_records?per_page=5000&page=%d", apiPrefix, zoneID, page), nil))
			if w.Code != http.StatusOK {
				b.Fatalf("list: %d", w.Code)
			}
		}
	}
}
