package inmemory

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/provider"
)

func a(name string, targets ...string) *endpoint.Endpoint {
	return endpoint.New(name, endpoint.RecordTypeA, 0, targets...)
}

func createChange(eps ...*endpoint.Endpoint) provider.Change {
	c := provider.Change{}
	for _, e := range eps {
		c.Records = append(c.Records, provider.RecordChange{Op: provider.OpCreate, New: e})
	}
	return c
}

func lines(eps []*endpoint.Endpoint) []string {
	var out []string
	for _, e := range eps {
		out = append(out, e.String())
	}
	return out
}

func TestZones(t *testing.T) {
	p := New("Example.COM.", "b.example.org", "example.com", "bücher.example")
	zones, err := p.Zones(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []provider.Zone{
		{ID: "b.example.org", Name: "b.example.org"},
		{ID: "example.com", Name: "example.com"},
		{ID: "xn--bcher-kva.example", Name: "xn--bcher-kva.example"},
	}
	if !slices.Equal(zones, want) {
		t.Errorf("Zones = %v, want %v", zones, want)
	}
}

func TestApply(t *testing.T) {
	zone := provider.Zone{ID: "example.com", Name: "example.com"}
	tests := []struct {
		name       string
		zone       provider.Zone
		changes    []provider.Change
		wantFailed int
		wantErr    string // a zone-level error
		want       []string
	}{
		{
			name:    "create",
			zone:    zone,
			changes: []provider.Change{createChange(a("new.example.com", "192.0.2.2"))},
			want:    []string{"new.example.com A 192.0.2.2", "seeded.example.com A 192.0.2.1"},
		},
		{
			name: "update",
			zone: zone,
			changes: []provider.Change{
				{Records: []provider.RecordChange{{Op: provider.OpUpdate, Old: a("seeded.example.com", "192.0.2.1"), New: a("seeded.example.com", "192.0.2.3")}}},
			},
			want: []string{"seeded.example.com A 192.0.2.3"},
		},
		{
			name: "delete",
			zone: zone,
			changes: []provider.Change{
				{Records: []provider.RecordChange{{Op: provider.OpDelete, Old: a("seeded.example.com", "192.0.2.1")}}},
			},
			want: nil,
		},
		{
			name: "outside the zone fails, the rest applies",
			zone: zone,
			changes: []provider.Change{
				createChange(a("app.example.org", "192.0.2.2")),
				createChange(a("ok.example.com", "192.0.2.2")),
			},
			wantFailed: 1,
			want:       []string{"ok.example.com A 192.0.2.2", "seeded.example.com A 192.0.2.1"},
		},
		{
			name:       "create existing fails",
			zone:       zone,
			changes:    []provider.Change{createChange(a("seeded.example.com", "192.0.2.9"))},
			wantFailed: 1,
			want:       []string{"seeded.example.com A 192.0.2.1"},
		},
		{
			name:    "unknown zone",
			zone:    provider.Zone{ID: "example.net", Name: "example.net"},
			changes: []provider.Change{createChange(a("x.example.net", "192.0.2.2"))},
			wantErr: `unknown zone "example.net"`,
			want:    []string{"seeded.example.com A 192.0.2.1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			p := New("example.com")
			if err := p.Seed("example.com", a("seeded.example.com", "192.0.2.1")); err != nil {
				t.Fatal(err)
			}
			err := p.Apply(ctx, tt.zone, tt.changes)
			switch {
			case tt.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Apply error %v, want one containing %q", err, tt.wantErr)
				}
				if provider.FailedChanges(err) != nil {
					t.Errorf("zone-level error %v is an ApplyError", err)
				}
			case len(provider.FailedChanges(err)) != tt.wantFailed:
				t.Fatalf("Apply error %v, want %d failed changes", err, tt.wantFailed)
			case tt.wantFailed == 0 && err != nil:
				t.Fatalf("Apply: %v", err)
			}
			got, err := p.Records(ctx, zone)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(lines(got), tt.want) {
				t.Errorf("Records:\n got %q\nwant %q", lines(got), tt.want)
			}
		})
	}
}

func TestSeed(t *testing.T) {
	tests := []struct {
		name    string
		zone    string
		records []*endpoint.Endpoint
		wantErr string
		want    []string
	}{
		{name: "records", zone: "Example.com.", records: []*endpoint.Endpoint{a("x.example.com", "192.0.2.1"), a("example.com", "192.0.2.2")}, want: []string{"example.com A 192.0.2.2", "x.example.com A 192.0.2.1"}},
		{name: "unknown zone", zone: "example.org", records: []*endpoint.Endpoint{a("x.example.org", "192.0.2.1")}, wantErr: `unknown zone "example.org"`},
		{name: "outside the zone: nothing seeded", zone: "example.com", records: []*endpoint.Endpoint{a("x.example.com", "192.0.2.1"), a("x.example.org", "192.0.2.1")}, wantErr: "x.example.org A"},
		{name: "duplicate: nothing seeded", zone: "example.com", records: []*endpoint.Endpoint{a("x.example.com", "192.0.2.1"), a("x.example.com", "192.0.2.2")}, wantErr: "already exists"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := New("example.com")
			err := p.Seed(tt.zone, tt.records...)
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("Seed error %v, want one containing %q", err, tt.wantErr)
			}
			if tt.wantErr == "" && err != nil {
				t.Fatalf("Seed: %v", err)
			}
			got, err := p.Records(context.Background(), provider.Zone{ID: "example.com", Name: "example.com"})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(lines(got), tt.want) {
				t.Errorf("Records:\n got %q\nwant %q", lines(got), tt.want)
			}
		})
	}
}

func TestRecordsAreCopies(t *testing.T) {
	ctx := context.Background()
	zone := provider.Zone{ID: "example.com", Name: "example.com"}
	p := New("example.com")
	seeded := a("x.example.com", "192.0.2.1")
	if err := p.Seed("example.com", seeded); err != nil {
		t.Fatal(err)
	}
	seeded.Targets[0] = "192.0.2.50"
	got, _ := p.Records(ctx, zone)
	got[0].Targets[0] = "192.0.2.99"
	got[0].Labels["owner"] = "someone"
	again, _ := p.Records(ctx, zone)
	if again[0].Targets[0] != "192.0.2.1" || len(again[0].Labels) != 0 {
		t.Errorf("the provider's record changed through a caller's copy: %v %v", again[0], again[0].Labels)
	}
}

func TestApplyCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p := New("example.com")
	err := p.Apply(ctx, provider.Zone{ID: "example.com", Name: "example.com"}, []provider.Change{createChange(a("x.example.com", "192.0.2.1"))})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Apply error %v, want context.Canceled", err)
	}
	got, _ := p.Records(context.Background(), provider.Zone{ID: "example.com", Name: "example.com"})
	if len(got) != 0 {
		t.Errorf("cancelled Apply wrote %v", lines(got))
	}
}

func TestConcurrentApply(t *testing.T) {
	ctx := context.Background()
	zone := provider.Zone{ID: "example.com", Name: "example.com"}
	p := New("example.com")
	const n = 20
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			name := fmt.Sprintf("host%d.example.com", i)
			if err := p.Apply(ctx, zone, []provider.Change{createChange(a(name, "192.0.2.1"))}); err != nil {
				t.Errorf("Apply %s: %v", name, err)
			}
			if _, err := p.Records(ctx, zone); err != nil {
				t.Errorf("Records: %v", err)
			}
		})
	}
	wg.Wait()
	got, _ := p.Records(ctx, zone)
	if len(got) != n {
		t.Errorf("%d records after %d concurrent creates", len(got), n)
	}
}
