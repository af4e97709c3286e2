package provider_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/provider"
	"github.com/zonekeeper/zonekeeper/provider/inmemory"
)

// detecting is an in-memory provider with a change detector the test controls, counting
// full reads.
type detecting struct {
	*inmemory.Provider
	unchanged   bool
	detectorErr error
	reads       int
	failZone    error // Apply fails as a whole with this error
}

func (d *detecting) Records(ctx context.Context, z provider.Zone) ([]*endpoint.Endpoint, error) {
	d.reads++
	return d.Provider.Records(ctx, z)
}

func (d *detecting) Unchanged(context.Context, provider.Zone) (bool, error) {
	return d.unchanged, d.detectorErr
}

func (d *detecting) Apply(ctx context.Context, z provider.Zone, changes []provider.Change) error {
	if d.failZone != nil {
		return d.failZone
	}
	return d.Provider.Apply(ctx, z, changes)
}

// plain hides the detector, for the case of a provider without one.
type plain struct{ *detecting }

// Unchanged shadows the embedded detector with a method of another signature, so plain
// does not implement provider.ChangeDetector.
func (plain) Unchanged() {}

func a(name string, targets ...string) *endpoint.Endpoint {
	return &endpoint.Endpoint{DNSName: name, RecordType: "A", Targets: targets}
}

func create(e *endpoint.Endpoint) provider.Change {
	return provider.Change{Records: []provider.RecordChange{{Op: provider.OpCreate, New: e}}}
}

func TestCachedReuse(t *testing.T) {
	zone := provider.Zone{ID: "example.com", Name: "example.com"}
	tests := []struct {
		name string
		// arrange prepares the provider after the first read and an Apply of one
		// created record; it returns the provider the cache wraps.
		arrange   func(d *detecting) provider.Provider
		maxAge    time.Duration
		wantReads int // full reads in total after the second Records
	}{
		{"unchanged zone is not read again", func(d *detecting) provider.Provider { d.unchanged = true; return d }, time.Hour, 1},
		{"changed zone is read again", func(d *detecting) provider.Provider { d.unchanged = false; return d }, time.Hour, 2},
		{"detector error reads again", func(d *detecting) provider.Provider {
			d.unchanged, d.detectorErr = true, errors.New("SOA query timed out")
			return d
		}, time.Hour, 2},
		{"older than maxAge reads again", func(d *detecting) provider.Provider { d.unchanged = true; return d }, 0, 2},
		{"provider without detector is trusted until maxAge", func(d *detecting) provider.Provider { d.unchanged = false; return plain{d} }, time.Hour, 1},
		{"provider without detector reads again after maxAge", func(d *detecting) provider.Provider { return plain{d} }, 0, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			d := &detecting{Provider: inmemory.New("example.com")}
			c := provider.NewCached(tt.arrange(d), tt.maxAge)
			if _, err := c.Records(ctx, zone); err != nil {
				t.Fatal(err)
			}
			if err := c.Apply(ctx, zone, []provider.Change{create(a("www.example.com", "192.0.2.1"))}); err != nil {
				t.Fatal(err)
			}
			got, err := c.Records(ctx, zone)
			if err != nil {
				t.Fatal(err)
			}
			if d.reads != tt.wantReads {
				t.Errorf("full reads = %d, want %d", d.reads, tt.wantReads)
			}
			if !hasRecord(got, "www.example.com", "192.0.2.1") {
				t.Errorf("records after apply lack www.example.com A 192.0.2.1: %v", got)
			}
		})
	}
}

func TestCachedMirrorsOnlyAcceptedChanges(t *testing.T) {
	ctx := context.Background()
	zone := provider.Zone{ID: "example.com", Name: "example.com"}
	d := &detecting{Provider: inmemory.New("example.com"), unchanged: true}
	if err := d.Seed("example.com", a("taken.example.com", "192.0.2.9")); err != nil {
		t.Fatal(err)
	}
	c := provider.NewCached(d, time.Hour)
	if _, err := c.Records(ctx, zone); err != nil {
		t.Fatal(err)
	}
	err := c.Apply(ctx, zone, []provider.Change{
		create(a("new.example.com", "192.0.2.1")),
		create(a("taken.example.com", "192.0.2.2")), // exists: refused
	})
	if len(provider.FailedChanges(err)) != 1 {
		t.Fatalf("Apply = %v, want one failed change", err)
	}
	got, err := c.Records(ctx, zone)
	if err != nil {
		t.Fatal(err)
	}
	if d.reads != 1 {
		t.Errorf("full reads = %d, want 1 (partial failure keeps the cache)", d.reads)
	}
	if !hasRecord(got, "new.example.com", "192.0.2.1") || !hasRecord(got, "taken.example.com", "192.0.2.9") || hasRecord(got, "taken.example.com", "192.0.2.2") {
		t.Errorf("cached records = %v, want new.example.com added and taken.example.com unchanged", got)
	}
}

func TestCachedDropsAfterZoneFailure(t *testing.T) {
	ctx := context.Background()
	zone := provider.Zone{ID: "example.com", Name: "example.com"}
	d := &detecting{Provider: inmemory.New("example.com"), unchanged: true}
	c := provider.NewCached(d, time.Hour)
	if _, err := c.Records(ctx, zone); err != nil {
		t.Fatal(err)
	}
	d.failZone = errors.New("connection reset")
	if err := c.Apply(ctx, zone, []provider.Change{create(a("www.example.com", "192.0.2.1"))}); err == nil {
		t.Fatal("Apply succeeded, want the zone error")
	}
	if _, err := c.Records(ctx, zone); err != nil {
		t.Fatal(err)
	}
	if d.reads != 2 {
		t.Errorf("full reads = %d, want 2: an Apply in an unknown state must drop the cache", d.reads)
	}
}

func hasRecord(records []*endpoint.Endpoint, name, target string) bool {
	for _, r := range records {
		if r.DNSName == name && r.RecordType == "A" && len(r.Targets) == 1 && r.Targets[0] == target {
			return true
		}
	}
	return false
}

func TestCachedUnchanged(t *testing.T) {
	zone := provider.Zone{ID: "example.com", Name: "example.com"}
	tests := []struct {
		name    string
		wrapped func(d *detecting) provider.Provider
		read    bool // Records called before the question
		want    bool
	}{
		{"proven by the detector after a read", func(d *detecting) provider.Provider { d.unchanged = true; return d }, true, true},
		{"nothing cached yet", func(d *detecting) provider.Provider { d.unchanged = true; return d }, false, false},
		{"the detector sees a change", func(d *detecting) provider.Provider { d.unchanged = false; return d }, true, false},
		{"no detector below proves nothing", func(d *detecting) provider.Provider { return plain{d} }, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := provider.NewCached(tt.wrapped(&detecting{Provider: inmemory.New("example.com")}), time.Hour)
			if tt.read {
				if _, err := c.Records(context.Background(), zone); err != nil {
					t.Fatal(err)
				}
			}
			if got, err := c.Unchanged(context.Background(), zone); got != tt.want || err != nil {
				t.Errorf("Unchanged = %v, %v; want %v", got, err, tt.want)
			}
			// Only a detector below makes the wrapper one a caller may wait for proofs of.
			_, below := tt.wrapped(&detecting{Provider: inmemory.New("example.com")}).(provider.ChangeDetector)
			if _, detects := provider.DetectorOf(c); detects != below {
				t.Errorf("DetectorOf(Cached) = %v, want %v", detects, below)
			}
		})
	}
}

// zoneCounting counts Zones calls of the in-memory provider it wraps.
type zoneCounting struct {
	*inmemory.Provider
	calls int
}

func (z *zoneCounting) Zones(ctx context.Context) ([]provider.Zone, error) {
	z.calls++
	return z.Provider.Zones(ctx)
}

func TestCachedZones(t *testing.T) {
	for _, tt := range []struct {
		name      string
		maxAge    time.Duration
		wantCalls int
	}{
		{"reused within maxAge", time.Hour, 1},
		{"listed again without reuse", 0, 3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			z := &zoneCounting{Provider: inmemory.New("example.com", "example.org")}
			c := provider.NewCached(z, tt.maxAge)
			for range 3 {
				zones, err := c.Zones(context.Background())
				if err != nil || len(zones) != 2 {
					t.Fatalf("Zones = %v, %v; want both zones", zones, err)
				}
			}
			if z.calls != tt.wantCalls {
				t.Errorf("%d Zones calls, want %d", z.calls, tt.wantCalls)
			}
		})
	}
}

// probing is an in-memory provider with a drift probe that counts values, as Cloudflare
// does, counting full reads and probes. Edits made through its embedded provider are
// out of band: the cache wrapping it does not see them.
type probing struct {
	*inmemory.Provider
	reads, probes int
	probeErr      error
}

func (p *probing) Records(ctx context.Context, z provider.Zone) ([]*endpoint.Endpoint, error) {
	p.reads++
	return p.Provider.Records(ctx, z)
}

func (p *probing) ProbeCount(ctx context.Context, z provider.Zone) (int, error) {
	p.probes++
	if p.probeErr != nil {
		return 0, p.probeErr
	}
	records, err := p.Provider.Records(ctx, z)
	n := 0
	for _, e := range records {
		n += p.CountOf(e)
	}
	return n, err
}

func (*probing) CountOf(e *endpoint.Endpoint) int { return len(e.Targets) }

func update(old, updated *endpoint.Endpoint) provider.Change {
	return provider.Change{Records: []provider.RecordChange{{Op: provider.OpUpdate, Old: old, New: updated}}}
}

func remove(old *endpoint.Endpoint) provider.Change {
	return provider.Change{Records: []provider.RecordChange{{Op: provider.OpDelete, Old: old}}}
}

// TestCachedProbeAccounting: the count a probe is compared with is the full read's,
// moved by exactly the cache's own applied changes, so that they never cost a full read.
func TestCachedProbeAccounting(t *testing.T) {
	zone := provider.Zone{ID: "example.com", Name: "example.com"}
	seed := []*endpoint.Endpoint{a("one.example.com", "192.0.2.1"), a("two.example.com", "192.0.2.2", "192.0.2.3")}
	owned := func(name string, targets ...string) provider.Change {
		txt := &endpoint.Endpoint{DNSName: "a-" + name, RecordType: "TXT", Targets: endpoint.Targets{`"heritage=external-dns"`}}
		return provider.Change{Primary: 1, Records: []provider.RecordChange{{Op: provider.OpCreate, New: txt}, {Op: provider.OpCreate, New: a(name, targets...)}}}
	}
	for _, tt := range []struct {
		name    string
		changes []provider.Change
		failed  int // changes refused alone
	}{
		{"create", []provider.Change{create(a("new.example.com", "192.0.2.4"))}, 0},
		{"create of several values", []provider.Change{create(a("new.example.com", "192.0.2.4", "192.0.2.5", "192.0.2.6"))}, 0},
		{"delete", []provider.Change{remove(seed[1])}, 0},
		{"update adding a value", []provider.Change{update(seed[0], a("one.example.com", "192.0.2.1", "192.0.2.9"))}, 0},
		{"update dropping a value", []provider.Change{update(seed[1], a("two.example.com", "192.0.2.3"))}, 0},
		{"update of the same size", []provider.Change{update(seed[1], a("two.example.com", "192.0.2.7", "192.0.2.8"))}, 0},
		{"record with its ownership record", []provider.Change{owned("owned.example.com", "192.0.2.10", "192.0.2.11")}, 0},
		{"a refused change counts nothing", []provider.Change{create(a("new.example.com", "192.0.2.4")), create(a("one.example.com", "192.0.2.5"))}, 1},
		{"several Applies", nil, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			clock := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
			p := &probing{Provider: inmemory.New("example.com")}
			if err := p.Seed("example.com", seed...); err != nil {
				t.Fatal(err)
			}
			c := provider.NewCachedWith(p, provider.CacheConfig{MaxAge: time.Minute, FullReadInterval: time.Hour, Now: func() time.Time { return clock }})
			if _, err := c.Records(ctx, zone); err != nil {
				t.Fatal(err)
			}
			batches := [][]provider.Change{tt.changes}
			if tt.changes == nil {
				batches = [][]provider.Change{{create(a("new.example.com", "192.0.2.4"))}, {remove(seed[0])}, {update(seed[1], a("two.example.com", "192.0.2.2"))}}
			}
			for _, changes := range batches {
				if err := c.Apply(ctx, zone, changes); len(provider.FailedChanges(err)) != tt.failed {
					t.Fatalf("Apply = %v, want %d failed changes", err, tt.failed)
				}
			}
			for i := range 3 {
				clock = clock.Add(time.Minute)
				if _, err := c.Records(ctx, zone); err != nil {
					t.Fatal(err)
				}
				if p.reads != 1 || p.probes != i+1 {
					t.Fatalf("resync %d: %d full reads and %d probes, want 1 and %d: the cache miscounted its own writes", i+1, p.reads, p.probes, i+1)
				}
			}
		})
	}
}

// TestCachedProbeRepairs: an out-of-band edit that moves the count is read at the next
// resync, one that does not at the next full read, and nothing else costs a full read.
func TestCachedProbeRepairs(t *testing.T) {
	zone := provider.Zone{ID: "example.com", Name: "example.com"}
	old := a("one.example.com", "192.0.2.1")
	edits := map[string]func(p *probing) error{
		"none": func(*probing) error { return nil },
		"a record added": func(p *probing) error {
			return p.Provider.Apply(context.Background(), zone, []provider.Change{create(a("other.example.com", "198.51.100.1"))})
		},
		"a record deleted": func(p *probing) error {
			return p.Provider.Apply(context.Background(), zone, []provider.Change{remove(old)})
		},
		"a value added": func(p *probing) error {
			return p.Provider.Apply(context.Background(), zone, []provider.Change{update(old, a("one.example.com", "192.0.2.1", "198.51.100.1"))})
		},
		"a value changed in place": func(p *probing) error {
			return p.Provider.Apply(context.Background(), zone, []provider.Change{update(old, a("one.example.com", "198.51.100.1"))})
		},
		"a record deleted and another created": func(p *probing) error {
			return p.Provider.Apply(context.Background(), zone, []provider.Change{remove(old), create(a("other.example.com", "198.51.100.1"))})
		},
	}
	for _, tt := range []struct {
		name             string
		fullReadInterval time.Duration
		edit             string
		probeErr         error
		// wantReads are the full reads after each resync, one a minute, the first
		// resync a minute after the first read; the edit lands before the first.
		wantReads []int
	}{
		{"idle zone", time.Hour, "none", nil, []int{1, 1, 1}},
		{"count moved up", time.Hour, "a record added", nil, []int{2, 2, 2}},
		{"count moved down", time.Hour, "a record deleted", nil, []int{2, 2, 2}},
		{"a value more", time.Hour, "a value added", nil, []int{2, 2, 2}},
		{"count kept: a value changed", 3 * time.Minute, "a value changed in place", nil, []int{1, 1, 2, 2}},
		{"count kept: delete and create", 3 * time.Minute, "a record deleted and another created", nil, []int{1, 1, 2, 2}},
		{"full reads still come round when idle", 2 * time.Minute, "none", nil, []int{1, 2, 2, 3}},
		{"probe error", time.Hour, "none", errors.New("throttled"), []int{2, 3}},
		{"no full-read interval reads every resync", 0, "none", nil, []int{2, 3, 4}},
		{"a full-read interval within the resync reads every resync", time.Minute, "none", nil, []int{2, 3, 4}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			clock := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
			p := &probing{Provider: inmemory.New("example.com"), probeErr: tt.probeErr}
			if err := p.Seed("example.com", old); err != nil {
				t.Fatal(err)
			}
			c := provider.NewCachedWith(p, provider.CacheConfig{MaxAge: time.Minute, FullReadInterval: tt.fullReadInterval, Now: func() time.Time { return clock }})
			if _, err := c.Records(ctx, zone); err != nil {
				t.Fatal(err)
			}
			if err := edits[tt.edit](p); err != nil {
				t.Fatal(err)
			}
			// Between resyncs, nothing is asked.
			clock = clock.Add(30 * time.Second)
			if _, err := c.Records(ctx, zone); err != nil || p.reads != 1 || p.probes != 0 {
				t.Fatalf("a reconcile within the resync interval: %v, %d full reads and %d probes, want 1 and 0", err, p.reads, p.probes)
			}
			clock = clock.Add(-30 * time.Second)
			for i, want := range tt.wantReads {
				clock = clock.Add(time.Minute)
				got, err := c.Records(ctx, zone)
				if err != nil {
					t.Fatal(err)
				}
				if p.reads != want {
					t.Fatalf("after resync %d: %d full reads, want %d", i+1, p.reads, want)
				}
				truth, _ := p.Provider.Records(ctx, zone)
				if want > 1 && !sameRecords(got, truth) {
					t.Errorf("after resync %d the cache holds %v, the zone %v", i+1, got, truth)
				}
			}
		})
	}
}

// sameRecords reports whether got and want hold the same RRsets with the same values.
func sameRecords(got, want []*endpoint.Endpoint) bool {
	lines := func(eps []*endpoint.Endpoint) []string {
		out := make([]string, len(eps))
		for i, e := range eps {
			out[i] = e.String()
		}
		slices.Sort(out)
		return out
	}
	return slices.Equal(lines(got), lines(want))
}

// TestCachedProbeStoppedApply: an Apply that stopped with a change in an unknown state
// leaves the count unknown, so the next resync reads in full.
func TestCachedProbeStoppedApply(t *testing.T) {
	ctx := context.Background()
	zone := provider.Zone{ID: "example.com", Name: "example.com"}
	clock := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	p := &probing{Provider: inmemory.New("example.com")}
	stopping := &stopsAfterApply{probing: p}
	c := provider.NewCachedWith(stopping, provider.CacheConfig{MaxAge: time.Minute, FullReadInterval: time.Hour, Now: func() time.Time { return clock }})
	if _, err := c.Records(ctx, zone); err != nil {
		t.Fatal(err)
	}
	if err := c.Apply(ctx, zone, []provider.Change{create(a("new.example.com", "192.0.2.1"))}); err == nil {
		t.Fatal("Apply succeeded, want it stopped")
	}
	clock = clock.Add(time.Minute)
	if _, err := c.Records(ctx, zone); err != nil {
		t.Fatal(err)
	}
	if p.reads != 2 {
		t.Errorf("%d full reads after an Apply that stopped, want 2", p.reads)
	}
}

// stopsAfterApply applies every change, then reports that it stopped without knowing.
type stopsAfterApply struct{ *probing }

func (s *stopsAfterApply) Apply(ctx context.Context, z provider.Zone, changes []provider.Change) error {
	if err := s.probing.Apply(ctx, z, changes); err != nil {
		return err
	}
	return errors.New("connection reset")
}
