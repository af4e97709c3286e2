package cloudflare

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/provider"
)

// Limits and defaults of the Cloudflare v4 API that the provider works within.
const (
	// DefaultRecordsPerPage is the page size of record listings when
	// Config.RecordsPerPage is 0 (upstream's --cloudflare-dns-records-per-page default).
	DefaultRecordsPerPage = 100
	// MaxRecordsPerPage is the largest page the API serves.
	MaxRecordsPerPage = 5000
	// DefaultBatchSize is how many record operations one batch call carries when
	// Config.BatchSize is 0: the limit of the free plan, which every zone allows.
	DefaultBatchSize = 200
	// MaxBatchSize is the largest batch the paid plans accept.
	MaxBatchSize = 3500
	// DefaultBatchInterval is the pause between two batch calls of one Apply when
	// Config.BatchInterval is 0.
	DefaultBatchInterval = time.Second
	// DefaultBaseURL is the API's address.
	DefaultBaseURL = "https://api.cloudflare.com/client/v4/"

	// requestsPerWindow and rateWindow are the API's per-user limit: 1,200 requests per
	// five minutes.
	requestsPerWindow = 1200
	rateWindow        = 5 * time.Minute
	// rateBurst is how many requests may go out at once after a quiet spell. The
	// refill rate is lowered so that burst plus refill never exceed the window's
	// allowance: any 5 minutes see at most 100 + 3.67/s × 300 s = 1,200 requests.
	rateBurst = 100
)

// Provider-specific properties the provider reads from endpoints and sets on the
// records it returns; the sources fill them from the annotations of the same names.
const (
	// PropertyProxied is "true" when the record is proxied through Cloudflare. Records
	// returns it only on proxied records; AdjustEndpoints removes it otherwise.
	PropertyProxied = "cloudflare-proxied"
	// PropertyComment is the record's comment; absent when it has none.
	PropertyComment = "cloudflare-record-comment"
	// PropertyTags are the record's tags, each "name:value", comma-separated, sorted and
	// unique; absent when it has none.
	PropertyTags = "cloudflare-tags"
)

// Config configures a Cloudflare provider. Credentials are either APIToken, or APIKey
// together with APIEmail.
type Config struct {
	// APIToken is a scoped API token (CF_API_TOKEN).
	APIToken string
	// APIKey and APIEmail are a global API key and its account's e-mail address
	// (CF_API_KEY, CF_API_EMAIL), used only when APIToken is empty.
	APIKey, APIEmail string
	// BaseURL is the API's address; empty means DefaultBaseURL. Tests point it at an
	// emulator.
	BaseURL string
	// ZoneIDs, when not empty, limits the zones to those ids (--zone-id-filter).
	ZoneIDs []string
	// DomainFilter limits the zones to those it matches (--domain-filter and friends).
	DomainFilter endpoint.DomainFilter
	// Proxied is the proxy status of records that do not say (--cloudflare-proxied). It
	// applies only where Cloudflare can proxy: A, AAAA and CNAME records with public
	// targets.
	Proxied bool
	// Comment is the comment of records that do not carry one (--cloudflare-record-comment).
	Comment string
	// RecordsPerPage is the page size of record listings, 1..5000; 0 means 100
	// (--cloudflare-dns-records-per-page).
	RecordsPerPage int
	// BatchSize caps the record operations (one per record value added, changed or
	// removed) of one batch call; 0 means 200 (--batch-change-size). A Change is never
	// split across calls, so a single Change larger than BatchSize travels alone.
	BatchSize int
	// BatchInterval is the pause between two batch calls of one Apply; 0 means one
	// second, a negative value no pause (--batch-change-interval).
	BatchInterval time.Duration
	// HTTPClient sends the requests; nil means a client with a 30 second timeout.
	HTTPClient *http.Client
	// Observer, if not nil, is told about every request sent to the API, under the
	// operation names Operation* (a request answered 429 is told with a *RateLimitedError).
	Observer provider.CallObserver
}

// settings is a validated Config with its defaults filled in.
type settings struct {
	Config
	batchInterval time.Duration
}

// validate checks cfg and fills in its defaults.
func validate(cfg Config) (settings, error) {
	switch {
	case cfg.APIToken != "" && (cfg.APIKey != "" || cfg.APIEmail != ""):
		return settings{}, errors.New("cloudflare: both an API token and an API key are set: keep one (CF_API_TOKEN, or CF_API_KEY with CF_API_EMAIL)")
	case cfg.APIToken == "" && (cfg.APIKey == "" || cfg.APIEmail == ""):
		return settings{}, errors.New("cloudflare: no credentials: set CF_API_TOKEN, or CF_API_KEY together with CF_API_EMAIL")
	case strings.ContainsAny(cfg.APIToken+cfg.APIKey+cfg.APIEmail, "\r\n"):
		return settings{}, errors.New("cloudflare: the credentials contain a line break")
	}
	if cfg.RecordsPerPage == 0 {
		cfg.RecordsPerPage = DefaultRecordsPerPage
	}
	if cfg.RecordsPerPage < 1 || cfg.RecordsPerPage > MaxRecordsPerPage {
		return settings{}, fmt.Errorf("cloudflare: %d records per page is outside 1..%d", cfg.RecordsPerPage, MaxRecordsPerPage)
	}
	if cfg.BatchSize == 0 {
		cfg.BatchSize = DefaultBatchSize
	}
	if cfg.BatchSize < 1 || cfg.BatchSize > MaxBatchSize {
		return settings{}, fmt.Errorf("cloudflare: batch size %d is outside 1..%d", cfg.BatchSize, MaxBatchSize)
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	s := settings{Config: cfg, batchInterval: cfg.BatchInterval}
	switch {
	case cfg.BatchInterval == 0:
		s.batchInterval = DefaultBatchInterval
	case cfg.BatchInterval < 0:
		s.batchInterval = 0
	}
	return s, nil
}
