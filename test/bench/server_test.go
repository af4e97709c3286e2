package bench

import (
	"context"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/zonekeeper/zonekeeper/test/dnsserver"
)

func TestCountAXFRs(t *testing.T) {
	const started = "client @0x1 127.0.0.1#1/key k (bench.example): transfer of 'bench.example/IN': AXFR started: TSIG k (serial 2)\n"
	const ended = "client @0x1 127.0.0.1#1/key k (bench.example): transfer of 'bench.example/IN': AXFR ended: 1 messages\n"
	const other = "client @0x1 127.0.0.1#1/key k (other.example): transfer of 'other.example/IN': AXFR started: TSIG k (serial 2)\n"
	for _, tc := range []struct {
		name, log string
		want      int
	}{
		{"empty", "", 0},
		{"one transfer counts once, not at its end too", started + ended, 1},
		{"two", started + ended + started + ended, 2},
		{"another zone's transfer", other, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := CountAXFRs(tc.log, Zone); got != tc.want {
				t.Errorf("CountAXFRs = %d, want %d", got, tc.want)
			}
		})
	}
}

// TestCountersOnBIND9 checks the counters against what a real BIND9 does: one UPDATE
// message of two records counts once, and so does one AXFR.
func TestCountersOnBIND9(t *testing.T) {
	srv := dnsserver.StartT(t, dnsserver.BIND9, dnsserver.Config{Zones: []string{Zone}})
	ctx := t.Context()
	before, err := ReadCounters(ctx, srv, Zone)
	if err != nil {
		t.Fatal(err)
	}
	if before != (Counters{}) {
		t.Fatalf("a fresh server counts %+v, want nothing", before)
	}
	var rrs []dns.RR
	for _, text := range []string{"a." + Zone + ". 300 IN A 192.0.2.1", "b." + Zone + ". 300 IN A 192.0.2.1"} {
		rr, err := dns.NewRR(text)
		if err != nil {
			t.Fatal(err)
		}
		rrs = append(rrs, rr)
	}
	if err := srv.Update(ctx, Zone, rrs); err != nil {
		t.Fatal(err)
	}
	names, err := CountA(ctx, srv, Zone)
	if err != nil || names != 2 {
		t.Fatalf("CountA = %d, %v; want 2", names, err)
	}
	after, err := ReadCounters(ctx, srv, Zone)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := after.Sub(before), (Counters{Updates: 1, AXFRs: 1}); got != want {
		t.Errorf("one UPDATE and one AXFR counted as %+v, want %+v", got, want)
	}

	waitCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := WaitAnswer(waitCtx, srv.Addr, "a."+Zone, true, time.Now()); err != nil {
		t.Errorf("a present name: %v", err)
	}
	if _, err := WaitAnswer(waitCtx, srv.Addr, "missing."+Zone, false, time.Now()); err != nil {
		t.Errorf("a missing name: %v", err)
	}
	shortCtx, cancelShort := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancelShort()
	if _, err := WaitAnswer(shortCtx, srv.Addr, "missing."+Zone, true, time.Now()); err == nil {
		t.Error("WaitAnswer found a name the zone does not hold")
	}
}
