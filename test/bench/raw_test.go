package bench

import (
	"fmt"
	"testing"

	"github.com/miekg/dns"
)

func TestRawBatches(t *testing.T) {
	records := func(n int, txt string) []dns.RR {
		rrs := make([]dns.RR, n)
		for i := range rrs {
			hdr := dns.RR_Header{Name: fmt.Sprintf("app-%d.bench.example.", i), Class: dns.ClassINET, Ttl: 300}
			if txt == "" {
				hdr.Rrtype = dns.TypeA
				rrs[i] = &dns.A{Hdr: hdr, A: []byte{192, 0, 2, 1}}
				continue
			}
			hdr.Rrtype = dns.TypeTXT
			rrs[i] = &dns.TXT{Hdr: hdr, Txt: []string{txt}}
		}
		return rrs
	}
	long := string(make([]byte, 200))
	for _, tc := range []struct {
		name  string
		rrs   []dns.RR
		sizes []int
	}{
		{"none", nil, nil},
		{"A records go by the thousand", records(2500, ""), []int{1000, 1000, 500}},
		{"long TXT records go by the message size", records(600, long), []int{256, 256, 88}},
		{"a record alone over the size still goes", records(1, string(make([]byte, 250))+long), []int{1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var sizes []int
			total := 0
			for _, b := range rawBatches(tc.rrs) {
				sizes = append(sizes, len(b))
				total += len(b)
				size := 0
				for _, rr := range b {
					size += dns.Len(rr)
				}
				if len(b) > 1 && size > rawMessageBytes {
					t.Errorf("a batch of %d records holds %d bytes, over %d", len(b), size, rawMessageBytes)
				}
			}
			if fmt.Sprint(sizes) != fmt.Sprint(tc.sizes) || total != len(tc.rrs) {
				t.Errorf("batch sizes %v, want %v", sizes, tc.sizes)
			}
		})
	}
}
