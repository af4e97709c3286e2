package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/miekg/dns"

	"github.com/zonekeeper/zonekeeper/test/dnsserver"
)

// RawBatch is how many records a raw UPDATE carries at most: issue 9's raw limit ("a plain
// miekg/dns client puts 20,000 RRs into BIND9 in 0.19 s, 1,000 RRs per message").
const RawBatch = 1000

// Raw is the raw limit of one cold run: the records that run wrote, put into an empty
// zone of a fresh server by a plain client.
type Raw struct {
	Wall     time.Duration
	Records  int
	Messages int
}

// writtenRecords returns the records of zone on srv that zonekeeper writes: every one
// but the SOA and NS records the zone starts with.
func writtenRecords(ctx context.Context, srv *dnsserver.Server, zone string) ([]dns.RR, error) {
	rrs, err := srv.Transfer(ctx, zone)
	if err != nil {
		return nil, err
	}
	written := rrs[:0]
	for _, rr := range rrs {
		if t := rr.Header().Rrtype; t != dns.TypeSOA && t != dns.TypeNS {
			written = append(written, rr)
		}
	}
	return written, nil
}

// rawMessageBytes caps a raw UPDATE's records, counted uncompressed, so that with its
// header and TSIG record it stays within a DNS message's 65,535 bytes.
const rawMessageBytes = 60000

// rawBatches cuts rrs into runs of at most RawBatch records and rawMessageBytes bytes.
func rawBatches(rrs []dns.RR) [][]dns.RR {
	var batches [][]dns.RR
	for len(rrs) > 0 {
		n, size := 0, 0
		for n < len(rrs) && n < RawBatch && size+dns.Len(rrs[n]) <= rawMessageBytes {
			size += dns.Len(rrs[n])
			n++
		}
		n = max(n, 1)
		batches = append(batches, rrs[:n])
		rrs = rrs[n:]
	}
	return batches
}

// RawInsert times adding rrs to zone on srv in order, in UPDATEs of up to RawBatch
// records (fewer when they would not fit a message: ownership TXT records are long),
// TSIG-signed, without prerequisites, one message after the other: the least a client
// that writes these records can leave the server to do, and so the floor under a cold
// run's wall time on the same machine.
func RawInsert(ctx context.Context, srv *dnsserver.Server, zone string, rrs []dns.RR) (Raw, error) {
	batches := rawBatches(rrs)
	start := time.Now()
	for _, batch := range batches {
		if err := srv.Update(ctx, zone, batch); err != nil {
			return Raw{}, fmt.Errorf("raw limit: %w", err)
		}
	}
	return Raw{Wall: time.Since(start), Records: len(rrs), Messages: len(batches)}, nil
}
