// Package route53 is a DNS provider for Amazon Route 53, on the AWS SDK for Go v2.
//
// Zones lists the account's hosted zones after the configured filters. Records lists a
// zone 300 record sets per request. Apply turns each provider.Change into Route 53
// changes (an update is a DELETE of the old record set and a CREATE of the new one, which
// Route 53 applies only if the old one is there exactly) and packs whole Changes into
// as few ChangeResourceRecordSets requests as Route 53's limits allow. Route 53 applies
// a request whole or not at all, so a Change and its ownership records never apply
// apart. A rejected request is bisected until the rejected Changes are alone; the
// others are applied in the same call, and each rejected one is reported with Route
// 53's message (the controller then sets it aside with a backoff).
//
// Every request goes through one token bucket per Provider (an AWS account's limits are
// per account, whatever the zone), and throttled or failed requests are retried with
// exponential backoff and full jitter.
package route53

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/route53/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"golang.org/x/time/rate"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/provider"
	"github.com/zonekeeper/zonekeeper/provider/batch"
)

// Defaults of the zero Config.
const (
	// DefaultAPIRate and DefaultAPIBurst size the token bucket shared by every request
	// to the account. Route 53 allows five requests per second per account across all
	// its clients (other controllers, Terraform, the console share it); staying at that
	// rate leaves throttling for bursts, which the burst of ten absorbs at startup.
	DefaultAPIRate  = 5
	DefaultAPIBurst = 10
	// DefaultAPIRetries is how often a throttled or failed request is retried.
	DefaultAPIRetries = 3
	// DefaultRegion signs requests when neither Config.Region nor the environment names
	// one: Route 53 is a global service served from us-east-1.
	DefaultRegion = "us-east-1"
	// listMaxItems is the most record sets Route 53 returns per ListResourceRecordSets.
	listMaxItems = 300
	// tagsPerRequest is the most zones one ListTagsForResources request may name.
	tagsPerRequest = 10
)

// Zone types for Config.ZoneType.
const (
	ZoneTypePublic  = "public"
	ZoneTypePrivate = "private"
)

// Config configures a Route 53 provider. The zero value of every field is a usable
// default, except EvaluateTargetHealth, whose flag defaults to true.
type Config struct {
	// Region signs requests; empty means the SDK's (AWS_REGION, the shared config
	// profile), else DefaultRegion.
	Region string
	// Credentials, when set, replace the SDK's default chain (environment, shared
	// credentials and config files with AWS_PROFILE, web identity / IRSA, container and
	// instance roles).
	Credentials aws.CredentialsProvider
	// Profile names the shared config profile to read (--aws-profile): its credentials,
	// region, role and endpoint_url, as AWS_PROFILE would; empty means AWS_PROFILE's, else
	// the default profile.
	Profile string
	// AssumeRole is the ARN of a role to assume with those credentials
	// (--aws-assume-role), with AssumeRoleExternalID as the external id
	// (--aws-assume-role-external-id).
	AssumeRole           string
	AssumeRoleExternalID string
	// EndpointURL sends Route 53 requests to another endpoint, such as an emulator or
	// LocalStack (--aws-endpoint-url); empty means the SDK's choice, which honours
	// AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_ROUTE_53.
	EndpointURL string

	// ZoneType keeps only public or only private zones (--aws-zone-type); empty keeps both.
	ZoneType string
	// ZoneTags keeps only zones carrying every one of these tags (--aws-zone-tags); an
	// empty value matches any value of the tag.
	ZoneTags map[string]string
	// ZoneIDs keeps only these zones (--zone-id-filter), given with or without the
	// "/hostedzone/" prefix.
	ZoneIDs []string
	// DomainFilter keeps only zones it matches (endpoint.DomainFilter.MatchZone).
	DomainFilter endpoint.DomainFilter
	// ZonesCacheDuration reuses the zone list for this long (--aws-zones-cache-duration);
	// 0 lists the zones every time.
	ZonesCacheDuration time.Duration

	// BatchChangeSize, BatchChangeSizeBytes and BatchChangeSizeValues cap one request:
	// record set changes, characters of values and values, an UPSERT's counted twice
	// (--aws-batch-change-size*); 0 means Route 53's limit, more than that is refused.
	BatchChangeSize       int
	BatchChangeSizeBytes  int
	BatchChangeSizeValues int
	// BatchChangeInterval is the pause between two requests of one Apply
	// (--aws-batch-change-interval).
	BatchChangeInterval time.Duration

	// EvaluateTargetHealth is the EvaluateTargetHealth of ALIAS records whose objects do
	// not set it (--aws-evaluate-target-health).
	EvaluateTargetHealth bool
	// PreferCNAME keeps CNAME records to AWS service host names as CNAME records instead
	// of turning them into ALIAS records (--aws-prefer-cname).
	PreferCNAME bool

	// APIRetries is how often a throttled (Throttling, PriorRequestNotComplete) or failed
	// (HTTP 5xx) request is retried (--aws-api-retries); 0 means DefaultAPIRetries, a
	// negative value none.
	APIRetries int
	// APIRate (requests per second) and APIBurst size the token bucket every request of
	// this provider goes through (--aws-api-rate, --aws-api-burst); 0 means
	// DefaultAPIRate and DefaultAPIBurst.
	APIRate  float64
	APIBurst int

	// Observer is told about every HTTP request, retries included, by operation name
	// (the Operation* constants).
	Observer provider.CallObserver
}

// settings is a checked Config.
type settings struct {
	zoneType             string
	zoneTags             map[string]string
	zoneIDs              []string
	domainFilter         endpoint.DomainFilter
	zonesCacheDuration   time.Duration
	limits               limits
	batchInterval        time.Duration
	evaluateTargetHealth bool
	preferCNAME          bool
	retries              int
	observer             provider.CallObserver
}

// api is the part of the Route 53 client the provider uses.
type api interface {
	ListHostedZones(context.Context, *route53.ListHostedZonesInput, ...func(*route53.Options)) (*route53.ListHostedZonesOutput, error)
	ListTagsForResources(context.Context, *route53.ListTagsForResourcesInput, ...func(*route53.Options)) (*route53.ListTagsForResourcesOutput, error)
	ListResourceRecordSets(context.Context, *route53.ListResourceRecordSetsInput, ...func(*route53.Options)) (*route53.ListResourceRecordSetsOutput, error)
	GetHostedZone(context.Context, *route53.GetHostedZoneInput, ...func(*route53.Options)) (*route53.GetHostedZoneOutput, error)
	ChangeResourceRecordSets(context.Context, *route53.ChangeResourceRecordSetsInput, ...func(*route53.Options)) (*route53.ChangeResourceRecordSetsOutput, error)
	GetChange(context.Context, *route53.GetChangeInput, ...func(*route53.Options)) (*route53.GetChangeOutput, error)
}

// Provider manages the hosted zones of one AWS account. It is safe for concurrent use;
// it keeps the zone list (with Config.ZonesCacheDuration), no records.
type Provider struct {
	s         settings
	api       api
	limiter   *rate.Limiter
	canonical canonicalZoneIndex
	now       func() time.Time
	sleep     func(context.Context, time.Duration) error
	jitter    func(ceiling time.Duration) time.Duration

	mu          sync.Mutex
	zones       []provider.Zone
	zonesListed time.Time
	changeIDs   changeIDs // for VerifyServed
}

var (
	_ provider.Provider    = (*Provider)(nil)
	_ provider.DriftProber = (*Provider)(nil)
)

// New checks cfg, resolves credentials the way the AWS SDK does (see Config.Credentials)
// and returns a provider. It reads the shared config files but sends no request; bad
// credentials show at the first call.
func New(ctx context.Context, cfg Config) (*Provider, error) {
	s, err := validate(cfg)
	if err != nil {
		return nil, err
	}
	var opts []func(*config.LoadOptions) error
	if cfg.Region != "" {
		opts = append(opts, config.WithRegion(cfg.Region))
	}
	if cfg.Credentials != nil {
		opts = append(opts, config.WithCredentialsProvider(cfg.Credentials))
	}
	if cfg.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(cfg.Profile))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("route53: loading the AWS configuration: %w", err)
	}
	if awsCfg.Region == "" {
		awsCfg.Region = DefaultRegion
	}
	if cfg.AssumeRole != "" {
		assume := stscreds.NewAssumeRoleProvider(sts.NewFromConfig(awsCfg), cfg.AssumeRole, func(o *stscreds.AssumeRoleOptions) {
			if cfg.AssumeRoleExternalID != "" {
				o.ExternalID = aws.String(cfg.AssumeRoleExternalID)
			}
		})
		awsCfg.Credentials = aws.NewCredentialsCache(assume)
	}
	client := route53.NewFromConfig(awsCfg, func(o *route53.Options) {
		if cfg.EndpointURL != "" {
			o.BaseEndpoint = aws.String(cfg.EndpointURL)
		}
		// Retries are the provider's own, so that the observer sees every attempt and
		// all of them wait for the account's token bucket.
		o.Retryer = aws.NopRetryer{}
	})
	apiRate, burst := cfg.APIRate, cfg.APIBurst
	if apiRate == 0 {
		apiRate = DefaultAPIRate
	}
	if burst == 0 {
		burst = DefaultAPIBurst
	}
	return &Provider{
		s:         s,
		api:       client,
		limiter:   rate.NewLimiter(rate.Limit(apiRate), burst),
		canonical: newCanonicalZoneIndex(),
		now:       time.Now,
		sleep:     provider.Sleep,
		jitter:    fullJitter,
	}, nil
}

// validate checks cfg and fills in defaults.
func validate(cfg Config) (settings, error) {
	s := settings{
		zoneTags:             maps.Clone(cfg.ZoneTags),
		domainFilter:         cfg.DomainFilter,
		zonesCacheDuration:   cfg.ZonesCacheDuration,
		batchInterval:        cfg.BatchChangeInterval,
		evaluateTargetHealth: cfg.EvaluateTargetHealth,
		preferCNAME:          cfg.PreferCNAME,
		observer:             cfg.Observer,
	}
	switch strings.ToLower(cfg.ZoneType) {
	case "", ZoneTypePublic, ZoneTypePrivate:
		s.zoneType = strings.ToLower(cfg.ZoneType)
	default:
		return s, fmt.Errorf("route53: zone type %q: want public, private or empty for both", cfg.ZoneType)
	}
	for _, id := range cfg.ZoneIDs {
		s.zoneIDs = append(s.zoneIDs, bareZoneID(id))
	}
	limit := func(name string, v, max int) (int, error) {
		switch {
		case v == 0:
			return max, nil
		case v < 0 || v > max:
			return 0, fmt.Errorf("route53: %s is %d, want 1 to %d (Route 53's limit)", name, v, max)
		}
		return v, nil
	}
	var err error
	if s.limits.changes, err = limit("batch change size", cfg.BatchChangeSize, MaxChangesPerBatch); err != nil {
		return s, err
	}
	if s.limits.chars, err = limit("batch change size in bytes", cfg.BatchChangeSizeBytes, MaxCharsPerBatch); err != nil {
		return s, err
	}
	if s.limits.values, err = limit("batch change size in values", cfg.BatchChangeSizeValues, MaxValuesPerBatch); err != nil {
		return s, err
	}
	switch {
	case cfg.BatchChangeInterval < 0:
		return s, fmt.Errorf("route53: batch change interval %s is negative", cfg.BatchChangeInterval)
	case cfg.ZonesCacheDuration < 0:
		return s, fmt.Errorf("route53: zones cache duration %s is negative", cfg.ZonesCacheDuration)
	case cfg.APIRate < 0 || cfg.APIBurst < 0:
		return s, fmt.Errorf("route53: API rate %g and burst %d must not be negative", cfg.APIRate, cfg.APIBurst)
	}
	s.retries = cfg.APIRetries
	switch {
	case s.retries == 0:
		s.retries = DefaultAPIRetries
	case s.retries < 0:
		s.retries = 0
	}
	return s, nil
}

// bareZoneID is a hosted zone id without the "/hostedzone/" prefix Route 53 lists it with.
func bareZoneID(id string) string { return strings.TrimPrefix(id, "/hostedzone/") }

// Zones lists the account's hosted zones that pass the filters of Config, sorted by
// name and then id. A public and a private zone of the same name (split horizon) are
// two zones with distinct ids: Records and Apply address zones by id only, so a record
// planned for both is written to each once. With Config.ZonesCacheDuration the list is
// reused that long.
func (p *Provider) Zones(ctx context.Context) ([]provider.Zone, error) {
	p.mu.Lock()
	if p.zones != nil && p.now().Sub(p.zonesListed) < p.s.zonesCacheDuration {
		out := slices.Clone(p.zones)
		p.mu.Unlock()
		return out, nil
	}
	p.mu.Unlock()
	zones, err := p.listZones(ctx)
	if err != nil {
		return nil, fmt.Errorf("route53: listing hosted zones: %w", err)
	}
	p.mu.Lock()
	p.zones, p.zonesListed = zones, p.now()
	p.mu.Unlock()
	return slices.Clone(zones), nil
}

// listZones lists and filters the hosted zones.
func (p *Provider) listZones(ctx context.Context) ([]provider.Zone, error) {
	var zones []provider.Zone
	in := &route53.ListHostedZonesInput{}
	for {
		var out *route53.ListHostedZonesOutput
		err := p.call(ctx, OperationListHostedZones, func(ctx context.Context) (err error) {
			out, err = p.api.ListHostedZones(ctx, in)
			return err
		})
		if err != nil {
			return nil, err
		}
		for _, hz := range out.HostedZones {
			z := provider.Zone{ID: bareZoneID(aws.ToString(hz.Id)), Name: endpoint.NormalizeNameLoose(decodeName(aws.ToString(hz.Name)))}
			if p.keepZone(z, hz.Config) {
				zones = append(zones, z)
			}
		}
		if !out.IsTruncated || out.NextMarker == nil {
			break
		}
		in = &route53.ListHostedZonesInput{Marker: out.NextMarker}
	}
	if len(p.s.zoneTags) > 0 {
		var err error
		if zones, err = p.withTags(ctx, zones); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(zones, func(a, b provider.Zone) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return zones, nil
}

// keepZone applies the filters that need no further request.
func (p *Provider) keepZone(z provider.Zone, cfg *types.HostedZoneConfig) bool {
	private := cfg != nil && cfg.PrivateZone
	switch {
	case p.s.zoneType == ZoneTypePublic && private, p.s.zoneType == ZoneTypePrivate && !private:
		return false
	case len(p.s.zoneIDs) > 0 && !slices.Contains(p.s.zoneIDs, z.ID):
		return false
	}
	return p.s.domainFilter.MatchZone(z.Name)
}

// withTags keeps the zones carrying every tag of Config.ZoneTags, asking for the tags
// of up to ten zones per request.
func (p *Provider) withTags(ctx context.Context, zones []provider.Zone) ([]provider.Zone, error) {
	keep := map[string]bool{}
	for chunk := range slices.Chunk(zones, tagsPerRequest) {
		ids := make([]string, len(chunk))
		for i, z := range chunk {
			ids[i] = z.ID
		}
		var out *route53.ListTagsForResourcesOutput
		err := p.call(ctx, OperationListTagsForResources, func(ctx context.Context) (err error) {
			out, err = p.api.ListTagsForResources(ctx, &route53.ListTagsForResourcesInput{ResourceType: types.TagResourceTypeHostedzone, ResourceIds: ids})
			return err
		})
		if err != nil {
			return nil, err
		}
		for _, set := range out.ResourceTagSets {
			tags := map[string]string{}
			for _, t := range set.Tags {
				tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
			}
			keep[bareZoneID(aws.ToString(set.ResourceId))] = matchTags(p.s.zoneTags, tags)
		}
	}
	return slices.DeleteFunc(zones, func(z provider.Zone) bool { return !keep[z.ID] }), nil
}

// matchTags reports whether tags holds every tag of want; an empty wanted value matches
// any value.
func matchTags(want, tags map[string]string) bool {
	for k, v := range want {
		got, ok := tags[k]
		if !ok || v != "" && got != v {
			return false
		}
	}
	return true
}

// Records lists every record set of the zone with id zone.ID, listMaxItems per request,
// one endpoint each (see fromRecordSet): names decoded (\052 is "*") and normalised,
// ALIAS records with their target as the only target and no TTL, routing policies as
// properties.
func (p *Provider) Records(ctx context.Context, zone provider.Zone) ([]*endpoint.Endpoint, error) {
	in := &route53.ListResourceRecordSetsInput{HostedZoneId: aws.String(zone.ID), MaxItems: aws.Int32(listMaxItems)}
	var out []*endpoint.Endpoint
	for {
		var page *route53.ListResourceRecordSetsOutput
		err := p.call(ctx, OperationListResourceRecordSets, func(ctx context.Context) (err error) {
			page, err = p.api.ListResourceRecordSets(ctx, in)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("route53: zone %s (%s): listing records: %w", zone.Name, zone.ID, err)
		}
		for _, rrs := range page.ResourceRecordSets {
			out = append(out, fromRecordSet(rrs))
		}
		if !page.IsTruncated {
			return out, nil
		}
		in = &route53.ListResourceRecordSetsInput{
			HostedZoneId:          in.HostedZoneId,
			MaxItems:              in.MaxItems,
			StartRecordName:       page.NextRecordName,
			StartRecordType:       page.NextRecordType,
			StartRecordIdentifier: page.NextRecordIdentifier,
		}
	}
}

// ProbeCount asks GetHostedZone for the zone's ResourceRecordSetCount: the number of
// record sets it holds, SOA and NS included, which is what Records lists (see
// provider.DriftProber). One request, against ListResourceRecordSets' one per 300
// record sets.
func (p *Provider) ProbeCount(ctx context.Context, zone provider.Zone) (int, error) {
	var out *route53.GetHostedZoneOutput
	err := p.call(ctx, OperationGetHostedZone, func(ctx context.Context) (err error) {
		out, err = p.api.GetHostedZone(ctx, &route53.GetHostedZoneInput{Id: aws.String(zone.ID)})
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("route53: zone %s (%s): reading the record set count: %w", zone.Name, zone.ID, err)
	}
	if out.HostedZone == nil || out.HostedZone.ResourceRecordSetCount == nil {
		return 0, fmt.Errorf("route53: zone %s (%s): GetHostedZone gave no record set count", zone.Name, zone.ID)
	}
	return int(*out.HostedZone.ResourceRecordSetCount), nil
}

// CountOf is 1: Route 53 counts record sets, and each endpoint Records returns or Apply
// writes is one record set, whatever its values (routeChanges writes an update as a
// DELETE and a CREATE).
func (p *Provider) CountOf(*endpoint.Endpoint) int { return 1 }

// Apply makes changes in the zone with id zone.ID, in as few ChangeResourceRecordSets
// requests as Config's batch limits allow, one Change never split over two, pausing
// Config.BatchChangeInterval before each request but the first. Route 53 applies a
// request atomically. Apply reports what became of each Change as package batch says.
//
// A Change fails, and is listed in the *provider.ApplyError with the reason, when it
// cannot be expressed (a name outside the zone, a bad routing property, an ALIAS without
// one host name target), when it alone exceeds the batch limits, when Route 53 rejects
// it (creating a record set that exists, deleting or updating one that does not hold
// exactly Old, a CNAME beside other records, and the like: a rejected request is
// bisected until each rejected Change is alone, and the others are applied).
//
// Any other error (credentials, a missing zone, throttling or server errors that outlast
// the retries) stops Apply: the requests before were applied, the one that failed may or
// may not have been, the rest were not sent.
func (p *Provider) Apply(ctx context.Context, zone provider.Zone, changes []provider.Change) error {
	l := p.s.limits
	p.forgetChangeIDs(zone.ID)
	return batch.Apply(ctx, changes, batch.Config[[]types.Change]{
		Zone:    zone.Name,
		Prefix:  fmt.Sprintf("route53: zone %s (%s)", zone.Name, zone.ID),
		Convert: func(c provider.Change) ([]types.Change, error) { return p.routeChanges(zone, c) },
		Pack:    batch.Additive(l.counts(), sizeOf),
		TooBig: func(u unit) error {
			need := sizeOf(u.Wire)
			return fmt.Errorf("the change alone exceeds the batch limits (%d changes, %d characters, %d values; it needs %d, %d, %d)",
				l.changes, l.chars, l.values, need[0], need[1], need[2])
		},
		Send:     func(ctx context.Context, units []unit) error { return p.submit(ctx, zone.ID, units) },
		Interval: p.s.batchInterval,
		Sleep:    p.sleep,
	})
}

// routeChanges turns one Change into Route 53 changes, in its order: a create is a
// CREATE, a delete a DELETE, an update a DELETE of Old and a CREATE of New.
func (p *Provider) routeChanges(zone provider.Zone, c provider.Change) ([]types.Change, error) {
	var out []types.Change
	add := func(action types.ChangeAction, ep *endpoint.Endpoint) error {
		if ep == nil {
			return fmt.Errorf("%s without a record", strings.ToLower(string(action)))
		}
		if !endpoint.IsSubdomain(ep.DNSName, zone.Name) {
			return fmt.Errorf("%s %s lies outside zone %s", ep.DNSName, ep.RecordType, zone.Name)
		}
		rrs, err := recordSet(ep, zone.ID, p.canonical)
		if err != nil {
			return fmt.Errorf("%s %s: %w", ep.DNSName, ep.RecordType, err)
		}
		out = append(out, types.Change{Action: action, ResourceRecordSet: &rrs})
		return nil
	}
	for _, rc := range withOwnershipRouting(c) {
		var err error
		switch rc.Op {
		case provider.OpCreate:
			err = add(types.ChangeActionCreate, rc.New)
		case provider.OpDelete:
			err = add(types.ChangeActionDelete, rc.Old)
		case provider.OpUpdate:
			if err = add(types.ChangeActionDelete, rc.Old); err == nil {
				err = add(types.ChangeActionCreate, rc.New)
			}
		default:
			err = fmt.Errorf("unknown operation %s", rc.Op)
		}
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// submit sends units as one request, and marks Route 53's rejection of its content as
// a refusal, with Route 53's message.
func (p *Provider) submit(ctx context.Context, zoneID string, units []unit) error {
	in := &route53.ChangeResourceRecordSetsInput{HostedZoneId: aws.String(zoneID), ChangeBatch: &types.ChangeBatch{Changes: flatten(units)}}
	var out *route53.ChangeResourceRecordSetsOutput
	err := p.call(ctx, OperationChangeResourceRecordSets, func(ctx context.Context) (err error) {
		out, err = p.api.ChangeResourceRecordSets(ctx, in)
		return err
	})
	switch {
	case err == nil:
		if out != nil && out.ChangeInfo != nil && out.ChangeInfo.Id != nil {
			p.rememberChangeIDs(zoneID, units, *out.ChangeInfo.Id)
		}
		return nil
	case rejected(err):
		return batch.Refused(fmt.Errorf("rejected by Route 53: %s", apiMessage(err)))
	}
	return fmt.Errorf("changing records: %w", err)
}
