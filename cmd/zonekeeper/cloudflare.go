package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/zonekeeper/zonekeeper/provider/cloudflare"
)

// cloudflareOptions holds the --cloudflare-* and --batch-change-* flags.
type cloudflareOptions struct {
	proxied             bool
	recordsPerPage      int
	recordComment       string
	batchChangeSize     int
	batchChangeInterval time.Duration
	apiURL              string
	fullReadInterval    time.Duration
}

// addCloudflareFlags registers upstream external-dns's Cloudflare flags with their
// defaults, and zonekeeper's --cloudflare-api-url. Credentials have no flags: they come
// from CF_API_TOKEN, or CF_API_KEY and CF_API_EMAIL.
func addCloudflareFlags(fs *pflag.FlagSet, o *cloudflareOptions) {
	fs.BoolVar(&o.proxied, "cloudflare-proxied", false, "proxy records through Cloudflare unless their object's cloudflare-proxied annotation says otherwise (A, AAAA and CNAME with public targets only)")
	fs.IntVar(&o.recordsPerPage, "cloudflare-dns-records-per-page", cloudflare.DefaultRecordsPerPage, fmt.Sprintf("records per page when listing a zone (at most %d)", cloudflare.MaxRecordsPerPage))
	fs.StringVar(&o.recordComment, "cloudflare-record-comment", "", "comment on records whose object has no cloudflare-record-comment annotation")
	fs.IntVar(&o.batchChangeSize, "batch-change-size", cloudflare.DefaultBatchSize, fmt.Sprintf("most record operations in one Cloudflare batch call (free plans allow 200, paid ones %d)", cloudflare.MaxBatchSize))
	fs.DurationVar(&o.batchChangeInterval, "batch-change-interval", cloudflare.DefaultBatchInterval, "pause between two Cloudflare batch calls to one zone")
	fs.DurationVar(&o.fullReadInterval, "cloudflare-full-read-interval", defaultFullReadInterval, fullReadIntervalUsage("the total count of a one-page record listing"))
	fs.StringVar(&o.apiURL, "cloudflare-api-url", "", "Cloudflare API address, e.g. an emulator (default: "+cloudflare.DefaultBaseURL+")")
}

// cloudflareConfig maps the Cloudflare flags and takes the credentials from the
// environment through getenv: CF_API_TOKEN (its value may be "file:/path", whose
// contents, trimmed of surrounding white space, are the token), or CF_API_KEY with
// CF_API_EMAIL. The caller sets ZoneIDs, DomainFilter and Observer.
func cloudflareConfig(o *cloudflareOptions, getenv func(string) string) (cloudflare.Config, error) {
	if o.recordsPerPage < 1 || o.recordsPerPage > cloudflare.MaxRecordsPerPage {
		return cloudflare.Config{}, fmt.Errorf("--cloudflare-dns-records-per-page %d: want 1 to %d", o.recordsPerPage, cloudflare.MaxRecordsPerPage)
	}
	if o.batchChangeSize < 1 || o.batchChangeSize > cloudflare.MaxBatchSize {
		return cloudflare.Config{}, fmt.Errorf("--batch-change-size %d: want 1 to %d", o.batchChangeSize, cloudflare.MaxBatchSize)
	}
	if o.batchChangeInterval < 0 {
		return cloudflare.Config{}, fmt.Errorf("--batch-change-interval %s: want 0 or more", o.batchChangeInterval)
	}
	interval := o.batchChangeInterval
	if interval == 0 {
		interval = -1 // Config spells "no pause" as a negative interval.
	}
	cfg := cloudflare.Config{
		Proxied:        o.proxied,
		Comment:        o.recordComment,
		RecordsPerPage: o.recordsPerPage,
		BatchSize:      o.batchChangeSize,
		BatchInterval:  interval,
		BaseURL:        o.apiURL,
	}
	token, key, email := getenv("CF_API_TOKEN"), getenv("CF_API_KEY"), getenv("CF_API_EMAIL")
	switch {
	case token != "" && (key != "" || email != ""):
		return cloudflare.Config{}, errors.New("CF_API_TOKEN and CF_API_KEY/CF_API_EMAIL are all set: keep one kind of credentials")
	case token != "":
		if path, ok := strings.CutPrefix(token, "file:"); ok {
			b, err := os.ReadFile(path)
			if err != nil {
				return cloudflare.Config{}, fmt.Errorf("CF_API_TOKEN: %w", err)
			}
			token = strings.TrimSpace(string(b))
			if token == "" {
				return cloudflare.Config{}, fmt.Errorf("CF_API_TOKEN: %s is empty", path)
			}
		}
		cfg.APIToken = token
	case key != "" && email != "":
		cfg.APIKey, cfg.APIEmail = key, email
	default:
		return cloudflare.Config{}, errors.New("no Cloudflare credentials: set CF_API_TOKEN (or CF_API_TOKEN=file:/path), or CF_API_KEY together with CF_API_EMAIL")
	}
	return cfg, nil
}
