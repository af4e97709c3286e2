// Package inmemory is a DNS provider that keeps its zones in the memory of the process:
// for tests, demos and dry experiments. It is strict where real DNS services are lenient
// (see provider.RRsetStore), so that a planner or registry bug fails a test instead of
// being papered over.
package inmemory

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/provider"
)

// Provider holds zones in memory. It is safe for concurrent use: every method runs under
// one mutex, so each Apply takes effect as a whole with respect to Records.
type Provider struct {
	provider.NoAdjustment

	mu    sync.Mutex                      // guards the stores; the map itself is fixed by New
	zones map[string]*provider.RRsetStore // by zone name
}

var _ provider.Provider = (*Provider)(nil)

// New returns a provider serving the given zones, empty. Zone names are normalised
// (endpoint.NormalizeNameLoose) and duplicates collapse; each zone's ID is its name.
func New(zones ...string) *Provider {
	p := &Provider{zones: make(map[string]*provider.RRsetStore, len(zones))}
	for _, z := range zones {
		name := endpoint.NormalizeNameLoose(z)
		if _, ok := p.zones[name]; !ok {
			p.zones[name] = provider.NewRRsetStore(name, nil)
		}
	}
	return p
}

// Zones lists the zones given to New, sorted by name.
func (p *Provider) Zones(ctx context.Context) ([]provider.Zone, error) {
	out := make([]provider.Zone, 0, len(p.zones))
	for name := range p.zones {
		out = append(out, provider.Zone{ID: name, Name: name})
	}
	slices.SortFunc(out, func(a, b provider.Zone) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// Records returns deep copies of every RRset of zone (looked up by Name), ordered by
// endpoint.Less. An unknown zone is an error.
func (p *Provider) Records(ctx context.Context, zone provider.Zone) ([]*endpoint.Endpoint, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s, err := p.store(zone.Name)
	if err != nil {
		return nil, err
	}
	return s.List(), nil
}

// Apply applies changes to zone as provider.RRsetStore.ApplyAll does: each Change whole
// or not at all, failures reported in an *provider.ApplyError. A Change with a record
// outside the zone fails. An unknown zone, or a cancelled ctx, fails the call before
// anything is applied.
func (p *Provider) Apply(ctx context.Context, zone provider.Zone, changes []provider.Change) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	s, err := p.store(zone.Name)
	if err != nil {
		return err
	}
	return s.ApplyAll(changes)
}

// Seed preloads records into zone without going through Apply, for tests that need
// records the planner did not make (foreign records, other owners). The records are
// created as one provider.Change: all of them or, on error, none; a record that already
// exists, lies outside the zone or is invalid is an error.
func (p *Provider) Seed(zone string, records ...*endpoint.Endpoint) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	s, err := p.store(endpoint.NormalizeNameLoose(zone))
	if err != nil {
		return err
	}
	c := provider.Change{Records: make([]provider.RecordChange, 0, len(records))}
	for _, r := range records {
		c.Records = append(c.Records, provider.RecordChange{Op: provider.OpCreate, New: r})
	}
	if err := s.Apply(c); err != nil {
		return fmt.Errorf("seed zone %s: %w", s.Zone(), err)
	}
	return nil
}

func (p *Provider) store(zone string) (*provider.RRsetStore, error) {
	s, ok := p.zones[zone]
	if !ok {
		return nil, fmt.Errorf("inmemory: unknown zone %q", zone)
	}
	return s, nil
}
