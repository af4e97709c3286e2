// Package cloudflare is a DNS provider for zones hosted by Cloudflare, through the v4
// API and its official Go SDK (github.com/cloudflare/cloudflare-go/v7).
//
// Cloudflare keeps one API record per value, each with its own id, TTL, proxy status,
// comment and tags; the provider groups them into one endpoint per name and type, and
// keeps the ids to itself (never in endpoint properties, which the planner compares).
// Apply writes through the batch endpoint, which the API applies as one transaction:
// each Change travels whole in one call, updates patch records in place, a rejected
// call is bisected until the Changes it refused are isolated, and each refused Change is
// reported with the API's message. Every request goes through one token
// bucket sized for the API's limit of 1,200 requests per five minutes and waits out
// Retry-After on a 429 answer.
package cloudflare

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cloudflare/cloudflare-go/v7/dns"
	"github.com/cloudflare/cloudflare-go/v7/option"
	"github.com/cloudflare/cloudflare-go/v7/zones"
	"golang.org/x/time/rate"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/provider"
)

// Provider manages zones of one Cloudflare account. It is safe for concurrent use.
//
// It remembers, per zone, the records its last Records call read, updated by its own
// successful writes since, so that Apply can address records by id without listing
// the zone again; and, per refused Change, when it may be sent again.
type Provider struct {
	s        settings
	zonesAPI *zones.ZoneService
	records  *dns.RecordService
	limiter  *rate.Limiter
	sleep    func(context.Context, time.Duration) error

	mu      sync.Mutex
	indexes map[string]zoneIndex     // by zone id
	locks   map[string]*sync.RWMutex // by zone id, see zoneLock
}

// zoneIndex is what the provider knows a zone holds; writes counts Apply calls that
// changed it, so that a listing that overlapped one is not taken for the truth.
type zoneIndex struct {
	idx    index
	writes uint64
}

var (
	_ provider.Provider    = (*Provider)(nil)
	_ provider.DriftProber = (*Provider)(nil)
)

// New checks cfg and returns a provider for it. It does not contact the API.
func New(cfg Config) (*Provider, error) {
	s, err := validate(cfg)
	if err != nil {
		return nil, err
	}
	p := &Provider{
		s:       s,
		limiter: rate.NewLimiter(rate.Limit(float64(requestsPerWindow-rateBurst)/rateWindow.Seconds()), rateBurst),
		sleep:   provider.Sleep,
		indexes: map[string]zoneIndex{},
		locks:   map[string]*sync.RWMutex{},
	}
	opts := []option.RequestOption{
		option.WithBaseURL(s.BaseURL),
		option.WithHTTPClient(s.HTTPClient),
		option.WithMaxRetries(0),
		option.WithMiddleware(p.middleware),
	}
	if s.APIToken != "" {
		opts = append(opts, option.WithAPIToken(s.APIToken))
	} else {
		opts = append(opts, option.WithAPIKey(s.APIKey), option.WithAPIEmail(s.APIEmail))
	}
	// The services are built directly rather than through cloudflare.NewClient, which
	// would also take credentials and a base URL from CLOUDFLARE_* variables.
	p.zonesAPI = zones.NewZoneService(opts...)
	p.records = dns.NewRecordService(opts...)
	return p, nil
}

// Zones lists the account's zones that Config.ZoneIDs (when set) and Config.DomainFilter
// let through, sorted by name.
func (p *Provider) Zones(ctx context.Context) ([]provider.Zone, error) {
	var out []provider.Zone
	const perPage = 50
	for page := 1; ; page++ {
		params := zones.ZoneListParams{}
		params.Page.Value, params.Page.Present = float64(page), true
		params.PerPage.Value, params.PerPage.Present = perPage, true
		res, err := p.zonesAPI.List(ctx, params)
		if err != nil {
			return nil, fmt.Errorf("cloudflare: listing zones: %w", err)
		}
		for _, z := range res.Result {
			name := endpoint.NormalizeNameLoose(z.Name)
			if len(p.s.ZoneIDs) > 0 && !slices.Contains(p.s.ZoneIDs, z.ID) || !p.s.DomainFilter.MatchZone(name) {
				continue
			}
			out = append(out, provider.Zone{ID: z.ID, Name: name})
		}
		if len(res.Result) < perPage {
			break
		}
	}
	slices.SortFunc(out, func(a, b provider.Zone) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// Records lists every record of zone, one page of Config.RecordsPerPage records per
// request, grouped into endpoints by name and type (see package doc).
func (p *Provider) Records(ctx context.Context, zone provider.Zone) ([]*endpoint.Endpoint, error) {
	idx, err := p.read(ctx, zone)
	if err != nil {
		return nil, err
	}
	return endpointsFrom(idx), nil
}

// probePerPage is the smallest page the API serves a record listing in: a probe wants
// only the listing's total count.
const probePerPage = 5

// ProbeCount reads the total count of the zone's records from the first page of a
// listing of probePerPage records: one request, against one per
// Config.RecordsPerPage records for Records (see provider.DriftProber). The count is
// of API records, one per value, which is what CountOf counts.
func (p *Provider) ProbeCount(ctx context.Context, zone provider.Zone) (int, error) {
	params := dns.RecordListParams{}
	params.ZoneID.Value, params.ZoneID.Present = zone.ID, true
	params.PerPage.Value, params.PerPage.Present = probePerPage, true
	var res struct {
		ResultInfo struct {
			TotalCount *int `json:"total_count"`
		} `json:"result_info"`
	}
	if _, err := p.records.List(ctx, params, option.WithResponseBodyInto(&res)); err != nil {
		return 0, fmt.Errorf("cloudflare: zone %s: counting records: %w", zone.Name, err)
	}
	if res.ResultInfo.TotalCount == nil {
		return 0, fmt.Errorf("cloudflare: zone %s: the record listing gave no total count", zone.Name)
	}
	return *res.ResultInfo.TotalCount, nil
}

// CountOf is the number of rrset's values: Cloudflare keeps one record per value, and
// Records and Apply map each value to one record.
func (p *Provider) CountOf(rrset *endpoint.Endpoint) int { return len(rrset.Targets) }

// zoneLock orders the provider's own listings and batch calls on one zone: a listing
// takes it shared, a batch call exclusively. A listing spans several requests, one per
// page, and a batch landing between two pages could otherwise show a record on a
// later page without its ownership record, which sorts onto an earlier one.
func (p *Provider) zoneLock(zoneID string) *sync.RWMutex {
	p.mu.Lock()
	defer p.mu.Unlock()
	l, ok := p.locks[zoneID]
	if !ok {
		l = &sync.RWMutex{}
		p.locks[zoneID] = l
	}
	return l
}

// read lists zone and remembers the result, unless an Apply changed the zone while the
// listing ran.
func (p *Provider) read(ctx context.Context, zone provider.Zone) (index, error) {
	p.mu.Lock()
	before := p.indexes[zone.ID].writes
	p.mu.Unlock()
	l := p.zoneLock(zone.ID)
	l.RLock()
	idx, err := p.list(ctx, zone)
	l.RUnlock()
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	if zi := p.indexes[zone.ID]; zi.writes == before {
		p.indexes[zone.ID] = zoneIndex{idx: idx, writes: before}
	}
	p.mu.Unlock()
	return idx, nil
}

// list reads every record of zone.
func (p *Provider) list(ctx context.Context, zone provider.Zone) (index, error) {
	return p.listNamed(ctx, zone, "")
}

// listNamed reads the records of zone named name, or every record when name is "".
func (p *Provider) listNamed(ctx context.Context, zone provider.Zone, name string) (index, error) {
	var recs []record
	perPage := p.s.RecordsPerPage
	for page := 1; ; page++ {
		// The SDK's parameter fields are set one by one: its helper F lives in the
		// root package, which would compile every Cloudflare service into the binary.
		params := dns.RecordListParams{}
		params.ZoneID.Value, params.ZoneID.Present = zone.ID, true
		params.Page.Value, params.Page.Present = float64(page), true
		params.PerPage.Value, params.PerPage.Present = float64(perPage), true
		if name != "" {
			params.Name.Value.Exact.Value, params.Name.Value.Exact.Present = name, true
			params.Name.Present = true
		}
		var res struct {
			Result     []apiRecord `json:"result"`
			ResultInfo struct {
				TotalPages *int `json:"total_pages"`
			} `json:"result_info"`
		}
		if _, err := p.records.List(ctx, params, option.WithResponseBodyInto(&res)); err != nil {
			return nil, fmt.Errorf("cloudflare: zone %s: listing records (page %d): %w", zone.Name, page, err)
		}
		for _, r := range res.Result {
			recs = append(recs, recordFromAPI(r))
		}
		if len(res.Result) < perPage || res.ResultInfo.TotalPages != nil && page >= *res.ResultInfo.TotalPages {
			break
		}
	}
	return newIndex(recs), nil
}

// indexFor returns what the provider knows zone holds, listing it when it knows
// nothing.
func (p *Provider) indexFor(ctx context.Context, zone provider.Zone) (index, uint64, error) {
	p.mu.Lock()
	zi, ok := p.indexes[zone.ID]
	p.mu.Unlock()
	if ok && zi.idx != nil {
		return zi.idx, zi.writes, nil
	}
	idx, err := p.read(ctx, zone)
	return idx, zi.writes, err
}

// storeIndex records what zone holds after an Apply; nil means unknown (re-read it).
func (p *Provider) storeIndex(zone provider.Zone, idx index) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.indexes[zone.ID] = zoneIndex{idx: idx, writes: p.indexes[zone.ID].writes + 1}
}
