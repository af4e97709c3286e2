package main

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/zonekeeper/zonekeeper/provider/route53"
)

// route53Options holds the --aws-* flags.
type route53Options struct {
	zoneType             string
	zoneTags             []string
	profiles             []string
	assumeRole           string
	assumeRoleExternalID string
	endpointURL          string
	batchChangeSize      int
	batchChangeBytes     int
	batchChangeValues    int
	batchChangeInterval  time.Duration
	evaluateTargetHealth bool
	apiRetries           int
	apiRate              float64
	apiBurst             int
	preferCNAME          bool
	zonesCacheDuration   time.Duration
	fullReadInterval     time.Duration
}

// addRoute53Flags registers upstream external-dns's --aws-* flags with their defaults,
// and zonekeeper's --aws-endpoint-url, --aws-api-rate and --aws-api-burst. Credentials
// have no flags: they come from the AWS SDK's default chain.
func addRoute53Flags(fs *pflag.FlagSet, o *route53Options) {
	fs.StringVar(&o.zoneType, "aws-zone-type", "", "only hosted zones of this type: public or private (default: both)")
	fs.StringSliceVar(&o.zoneTags, "aws-zone-tags", nil, "only hosted zones with these tags, key=value or key for any value (repeatable)")
	fs.StringSliceVar(&o.profiles, "aws-profile", nil, "AWS shared config profile to read credentials, region, role and endpoint from (default: $AWS_PROFILE, else the default profile); one only")
	fs.StringVar(&o.assumeRole, "aws-assume-role", "", "ARN of an IAM role to assume for every Route 53 request")
	fs.StringVar(&o.assumeRoleExternalID, "aws-assume-role-external-id", "", "external id to present when assuming --aws-assume-role")
	fs.StringVar(&o.endpointURL, "aws-endpoint-url", "", "Route 53 API endpoint, e.g. an emulator or LocalStack (default: AWS, or $AWS_ENDPOINT_URL_ROUTE_53 / $AWS_ENDPOINT_URL)")
	fs.IntVar(&o.batchChangeSize, "aws-batch-change-size", route53.MaxChangesPerBatch, "most record set changes in one ChangeResourceRecordSets request (Route 53 allows 1000)")
	fs.IntVar(&o.batchChangeBytes, "aws-batch-change-size-bytes", route53.MaxCharsPerBatch, "most characters of record values in one request, UPSERTs counted twice (Route 53 allows 32000)")
	fs.IntVar(&o.batchChangeValues, "aws-batch-change-size-values", route53.MaxValuesPerBatch, "most record values in one request, UPSERTs counted twice (Route 53 allows 1000)")
	fs.DurationVar(&o.batchChangeInterval, "aws-batch-change-interval", time.Second, "pause between two change requests to one zone")
	fs.BoolVar(&o.evaluateTargetHealth, "aws-evaluate-target-health", true, "EvaluateTargetHealth of ALIAS records whose object does not set the aws-evaluate-target-health annotation")
	fs.IntVar(&o.apiRetries, "aws-api-retries", route53.DefaultAPIRetries, "retries of a throttled or failed Route 53 request, with exponential backoff and jitter")
	fs.Float64Var(&o.apiRate, "aws-api-rate", route53.DefaultAPIRate, "most Route 53 requests per second, for all zones together (Route 53 allows 5 per account)")
	fs.IntVar(&o.apiBurst, "aws-api-burst", route53.DefaultAPIBurst, "most Route 53 requests sent at once after a pause")
	fs.BoolVar(&o.preferCNAME, "aws-prefer-cname", false, "publish AWS load balancer, CloudFront, API Gateway and Global Accelerator host names as CNAME instead of ALIAS records")
	fs.DurationVar(&o.zonesCacheDuration, "aws-zones-cache-duration", 0, "reuse the list of hosted zones this long (0: list them every reconcile)")
	fs.DurationVar(&o.fullReadInterval, "aws-full-read-interval", defaultFullReadInterval, fullReadIntervalUsage("GetHostedZone's record set count"))
}

// route53Config maps the --aws-* flags. An empty --aws-endpoint-url falls back to
// AWS_ENDPOINT_URL_ROUTE_53, then AWS_ENDPOINT_URL, read through getenv, as the AWS
// SDK and CLI do. The caller sets ZoneIDs, DomainFilter and Observer.
func route53Config(o *route53Options, getenv func(string) string) (route53.Config, error) {
	for name, v := range map[string]int{"--aws-batch-change-size": o.batchChangeSize, "--aws-batch-change-size-bytes": o.batchChangeBytes, "--aws-batch-change-size-values": o.batchChangeValues} {
		if v <= 0 {
			return route53.Config{}, fmt.Errorf("%s %d: want a positive number", name, v)
		}
	}
	tags := map[string]string{}
	for _, t := range o.zoneTags {
		k, v, _ := strings.Cut(t, "=")
		if k = strings.TrimSpace(k); k == "" {
			return route53.Config{}, fmt.Errorf("--aws-zone-tags: %q has no tag key; want key=value or key", t)
		}
		tags[k] = strings.TrimSpace(v)
	}
	switch strings.ToLower(o.zoneType) {
	case "", route53.ZoneTypePublic, route53.ZoneTypePrivate:
	default:
		return route53.Config{}, fmt.Errorf("--aws-zone-type %q: want public or private (or leave it empty for both)", o.zoneType)
	}
	if o.apiRetries < 0 {
		return route53.Config{}, fmt.Errorf("--aws-api-retries %d: want 0 or more", o.apiRetries)
	}
	if o.apiRate <= 0 || o.apiBurst <= 0 {
		return route53.Config{}, fmt.Errorf("--aws-api-rate %g and --aws-api-burst %d must be positive", o.apiRate, o.apiBurst)
	}
	var profiles []string
	for _, p := range o.profiles {
		if p = strings.TrimSpace(p); p != "" && !slices.Contains(profiles, p) {
			profiles = append(profiles, p)
		}
	}
	if len(profiles) > 1 {
		// external-dns builds one client per profile and manages their zones together;
		// zonekeeper's provider holds one account's client.
		return route53.Config{}, fmt.Errorf("--aws-profile %s: one profile only; run one zonekeeper for each account", strings.Join(profiles, ", "))
	}
	endpointURL := o.endpointURL
	for _, name := range []string{"AWS_ENDPOINT_URL_ROUTE_53", "AWS_ENDPOINT_URL"} {
		if endpointURL == "" {
			endpointURL = getenv(name)
		}
	}
	retries := o.apiRetries
	if retries == 0 {
		retries = -1 // route53.Config reads 0 as its default; the flag's 0 means none
	}
	cfg := route53.Config{
		AssumeRole:            o.assumeRole,
		AssumeRoleExternalID:  o.assumeRoleExternalID,
		EndpointURL:           endpointURL,
		ZoneType:              strings.ToLower(o.zoneType),
		ZonesCacheDuration:    o.zonesCacheDuration,
		BatchChangeSize:       o.batchChangeSize,
		BatchChangeSizeBytes:  o.batchChangeBytes,
		BatchChangeSizeValues: o.batchChangeValues,
		BatchChangeInterval:   o.batchChangeInterval,
		EvaluateTargetHealth:  o.evaluateTargetHealth,
		PreferCNAME:           o.preferCNAME,
		APIRetries:            retries,
		APIRate:               o.apiRate,
		APIBurst:              o.apiBurst,
	}
	if len(tags) > 0 {
		cfg.ZoneTags = tags
	}
	if len(profiles) == 1 {
		cfg.Profile = profiles[0]
	}
	return cfg, nil
}
