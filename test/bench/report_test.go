package bench

import (
	"strings"
	"testing"
	"time"
)

func TestRender(t *testing.T) {
	shot := func(wall, cpu time.Duration, rss int64, updates, axfrs int) OneShot {
		return OneShot{Usage: Usage{Wall: wall, CPU: cpu, PeakRSS: rss}, Served: Counters{Updates: updates, AXFRs: axfrs}}
	}
	ms := time.Millisecond
	r := Report{
		Machine: Machine{CPU: "Test CPU", Cores: 2, MemBytes: 8 << 30},
		Commit:  "abc123", Date: time.Date(2026, 11, 26, 21, 0, 0, 0, time.UTC), GoVersion: "go1.26",
		Command: "zkbench -n 1000,2000",
		Options: Options{Runs: 3, DaemonRuns: 1, Samples: 3, IdleFor: 3 * time.Minute},
		Providers: []ProviderReport{{
			Name: "RFC2136",
			Upstream: map[int]map[string]string{
				1000: {RowCold: "0.10 s / 0.08 s / 86 MB / 40"},
				5000: {RowCold: "0.36 s / 0.24 s / 109 MB / 200", RowIdle: "0.50 s / 3 / —"},
			},
			Targets: map[string]string{RowEvent: "p50 ≤ 0.5 s"},
			Note:    "a note",
			Results: []Result{
				{
					N: 1000, Load: 1500 * ms,
					// Medians: wall 200 ms, CPU 100 ms, 40 MB, 2 UPDATEs.
					Cold: []OneShot{
						shot(300*ms, 100*ms, 40<<20, 2, 1),
						shot(100*ms, 90*ms, 50<<20, 2, 1),
						shot(200*ms, 120*ms, 30<<20, 3, 1),
					},
					Raw: []Raw{
						{Wall: 90 * ms, Records: 2000, Messages: 2},
						{Wall: 70 * ms, Records: 2000, Messages: 2},
						{Wall: 80 * ms, Records: 2000, Messages: 2},
					},
					EventLatency:   []time.Duration{30 * ms, 10 * ms, 20 * ms},
					DaemonConverge: []time.Duration{2 * time.Second},
					Idle:           []IdleResult{{CPU: 40 * ms, RSS: 60 << 20}},
				},
				{N: 2000},
			},
		}},
	}
	got := Render(r)
	for _, want := range []string{
		"- machine: Test CPU, 2 cores, 8.0 GiB memory",
		"- commit: `abc123`",
		"- date: 2026-11-26 21:00 UTC",
		"- command: `zkbench -n 1000,2000`",
		"- one-shot figures: medians of 3 runs, each on a fresh DNS server or emulator; daemon figures: medians of 1 daemon run, latencies pooled over 3 samples per daemon run",
		"| scenario | zonekeeper N=1,000 | upstream N=1,000 | zonekeeper N=2,000 | target |",
		"| cold converge, one-shot (`--once`): wall / CPU / peak RSS / UPDATE messages | 0.20 s / 0.10 s / 40 MB / 2 | 0.10 s / 0.08 s / 86 MB / 40 | — | — |",
		"| raw limit: the cold run's records put by a plain miekg/dns client, up to 1,000 per UPDATE, no prerequisites: wall / UPDATEs | 0.08 s / 2 | — | — | — |",
		"| no-change one-shot: wall / UPDATEs / AXFRs | — | — | — | — |",
		"| event → record resolvable (daemon, defaults): p50 / max | 0.02 s / 0.03 s | — | — | p50 ≤ 0.5 s |",
		"| idle daemon, 3 minutes: CPU / AXFRs / UPDATEs | 0.04 s / 0 / 0 | — | — | — |",
		"| daemon: start → all names in the zone / RSS after idling | 2.00 s / 60 MB | — | — | — |",
		"| load N Ingresses + status IPs through client-go (32 workers): wall | 1.50 s | — | — | — |",
		"\na note\n",
		"\nUpstream's figures at N=5,000, where zonekeeper was not measured: " +
			"cold converge, one-shot (`--once`): wall / CPU / peak RSS / UPDATE messages = 0.36 s / 0.24 s / 109 MB / 200; " +
			"idle daemon, 3 minutes: CPU / AXFRs / UPDATEs = 0.50 s / 3 / —.\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("Render lacks %q; got:\n%s", want, got)
		}
	}
	if strings.Contains(got, "at N=1,000, where zonekeeper was not measured") {
		t.Errorf("Render quotes upstream's N=1,000 figures below the table although they have a column:\n%s", got)
	}
	// No churn asked for: no row says there was one. No resync ended in the idle
	// window: no CPU per resync.
	if strings.Contains(got, "churn during") || strings.Contains(got, "background churn") {
		t.Errorf("Render mentions a background churn that did not run:\n%s", got)
	}
	if want := "| idle daemon, periodic full resync (every 1 minute): CPU per resync = CPU over the 3 minutes ÷ resyncs ended in them / resyncs | — | — | — | — |"; !strings.Contains(got, want) {
		t.Errorf("Render lacks %q; got:\n%s", want, got)
	}
}

func TestRenderChurnAndResync(t *testing.T) {
	ms := time.Millisecond
	res := Result{
		N:             1000,
		EventLatency:  []time.Duration{300 * ms, 100 * ms, 200 * ms},
		DeleteLatency: []time.Duration{400 * ms},
		// Per resync: 0.30 s / 3 = 0.10 s, 0.40 s / 2 = 0.20 s, and none in the last
		// run, which does not count; the count's median is over every run.
		Idle: []IdleResult{{CPU: 300 * ms, Reconciles: 3}, {CPU: 400 * ms, Reconciles: 2}, {CPU: 50 * ms}},
		BackgroundChurn: []ChurnStats{
			{Updates: 600, Elapsed: 30 * time.Second},
			{Updates: 590, Elapsed: 30 * time.Second},
			{Updates: 570, Elapsed: 30 * time.Second},
		},
	}
	got := Render(Report{
		Options: Options{Runs: 1, DaemonRuns: 3, Samples: 3, IdleFor: 3 * time.Minute, ChurnRate: 20},
		Providers: []ProviderReport{{Name: "RFC2136", Results: []Result{res}, Upstream: map[int]map[string]string{
			1000: {RowEvent: "5.2 s / 6.0 s", RowIdle: "0.12 s / 3 / —"},
			5000: {RowEvent: "5.7 s / 6.1 s"},
		}}},
	})
	for _, want := range []string{
		// Upstream measured without churn, and its figures say so.
		"| event → record resolvable (daemon, defaults, under 20 status updates/s of background churn): p50 / max | 0.20 s / 0.30 s | 5.2 s / 6.0 s (without churn) | — |",
		"| Ingress deleted → record gone (under 20 status updates/s of background churn): p50 / max | 0.40 s / 0.40 s | — | — |",
		"| idle daemon, 3 minutes: CPU / AXFRs / UPDATEs | 0.30 s / 0 / 0 | 0.12 s / 3 / — | — |",
		"| idle daemon, periodic full resync (every 1 minute): CPU per resync = CPU over the 3 minutes ÷ resyncs ended in them / resyncs | 0.15 s / 2 | — | — |",
		"| background churn during the event and delete samples, asked 20/s: status updates / achieved rate | 590 / 19.7/s | — | — |",
		"\nUpstream's figures at N=5,000, where zonekeeper was not measured: event → record resolvable (daemon, defaults): p50 / max = 5.7 s / 6.1 s.\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("Render lacks %q; got:\n%s", want, got)
		}
	}
}

func TestCountReconciles(t *testing.T) {
	const (
		finished = `time=2026-12-07T16:00:00.000Z level=INFO msg="reconcile finished" result=success duration=12ms plannedCreate=0` + "\n"
		failed   = `time=2026-12-07T16:01:00.000Z level=ERROR msg="reconcile failed" result=zone_error duration=3s err="zone bench.example: timeout"` + "\n"
		other    = `time=2026-12-07T16:00:00.000Z level=INFO msg="informer synced" source=ingress` + "\n"
	)
	for _, tc := range []struct {
		name, log string
		want      int
	}{
		{"empty", "", 0},
		{"other lines only", other + other, 0},
		{"finished and failed", finished + other + failed + finished, 3},
		{"last line without newline", other + strings.TrimSuffix(finished, "\n"), 1},
		// A message that merely mentions a reconcile is not one.
		{"quoted elsewhere", `level=INFO msg="stopping" last="reconcile finished"` + "\n", 0},
	} {
		if got := countReconciles([]byte(tc.log)); got != tc.want {
			t.Errorf("%s: countReconciles = %d, want %d", tc.name, got, tc.want)
		}
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 200: "200", 1000: "1,000", 50000: "50,000", 1234567: "1,234,567"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestHumanDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		time.Minute: "1 minute", 3 * time.Minute: "3 minutes", 10 * time.Second: "10s", 90 * time.Second: "1m30s",
	} {
		if got := humanDuration(d); got != want {
			t.Errorf("humanDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestRenderAPITables(t *testing.T) {
	ms := time.Millisecond
	shot := func(wall time.Duration, calls map[string]int) OneShot {
		return OneShot{Usage: Usage{Wall: wall, CPU: wall / 10, PeakRSS: 50 << 20}, Calls: calls}
	}
	route53 := Result{
		N: 1000, Load: 2 * time.Second,
		Cold: []OneShot{
			shot(3000*ms, map[string]int{"ListHostedZones": 1, "ListResourceRecordSets": 1, "ChangeResourceRecordSets": 4}),
			shot(3400*ms, map[string]int{"ListHostedZones": 1, "ListResourceRecordSets": 1, "ChangeResourceRecordSets": 5}),
			shot(3200*ms, map[string]int{"ListHostedZones": 1, "ListResourceRecordSets": 1, "ChangeResourceRecordSets": 4}),
		},
		ColdLoad:       []Route53Load{{Changes: 2000, Values: 2000, Chars: 116890}},
		NoChange:       []OneShot{shot(130*ms, map[string]int{"ListHostedZones": 1, "ListResourceRecordSets": 7})},
		Idle:           []IdleResult{{CPU: 20 * ms, RSS: 49 << 20, Calls: map[string]int{}}},
		Touch:          []EventResult{{Calls: map[string]int{}}},
		NewIngress:     []EventResult{{Latency: 80 * ms, Calls: map[string]int{"ChangeResourceRecordSets": 1}}},
		DaemonConverge: []time.Duration{3270 * ms},
	}
	got := Render(Report{
		Options: Options{Runs: 3, DaemonRuns: 1, Samples: 1, IdleFor: 3 * time.Minute},
		Providers: []ProviderReport{
			{Name: "Route53", Table: TableRoute53, Targets: TargetsRoute53(), Results: []Result{route53}},
			{Name: "Cloudflare", Table: TableAPI, Results: []Result{{N: 200}}},
		},
	})
	for _, want := range []string{
		"| cold converge, one-shot (`--once`): wall / CPU / peak RSS / API calls | 3.20 s / 0.32 s / 50 MB / ChangeResourceRecordSets 4, ListHostedZones 1, ListResourceRecordSets 1 | — |",
		"| no-change one-shot: wall / API calls | 0.13 s / ListHostedZones 1, ListResourceRecordSets 7 | — |",
		"| idle daemon, 3 minutes: CPU / API calls | 0.02 s / no calls | — |",
		"| event-driven reconcile, one Ingress relabelled (no record changes): API calls within 3s | no calls | no list call on an event-driven reconcile when nothing changed out of band |",
		"| event-driven reconcile, one new Ingress: create → records in the emulator / API calls until 3s later | 0.08 s / ChangeResourceRecordSets 1 |",
		"| daemon: start → all names in the zone / RSS after idling | 3.27 s / 49 MB | — |",
		"| load N Ingresses + status IPs through client-go (32 workers): wall | 2.00 s | — |",
		"| cold one-shot: ChangeResourceRecordSets calls / lower bound (≤ 1,000 changes and ≤ 32,000 value characters per call) | 4 / 4 (⌈2,000 changes / 1,000⌉ = 2; ⌈116,890 value characters / 32,000⌉ = 4) | exactly ⌈changes / 1,000⌉ change calls (bytes permitting) |",
		// Nothing measured yet: every figure marked, and no Route53 row in another provider's table.
		"## Cloudflare\n\n| scenario | zonekeeper N=200 | target |\n| --- | --- | --- |\n" +
			"| cold converge, one-shot (`--once`): wall / CPU / peak RSS / API calls | — | — |\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("Render lacks %q; got:\n%s", want, got)
		}
	}
	cloudflare := got[strings.Index(got, "## Cloudflare"):]
	for _, unwanted := range []string{"ChangeResourceRecordSets calls / lower bound", "UPDATE", "AXFR"} {
		if strings.Contains(cloudflare, unwanted) {
			t.Errorf("the Cloudflare table shows %q:\n%s", unwanted, cloudflare)
		}
	}
}
