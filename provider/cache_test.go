package provider_test

import (
	"context"
	"errors"
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
