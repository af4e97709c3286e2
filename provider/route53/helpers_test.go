package route53

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"golang.org/x/time/rate"

	"github.com/zonekeeper/zonekeeper/provider/route53/route53test"
)

// noSleep stands in for real waits, so that retries and batch intervals cost no time.
func noSleep(context.Context, time.Duration) error { return nil }

// emulated returns a provider talking to a new emulator through the real SDK client,
// configured by cfg with the emulator's endpoint and static credentials, without rate
// limit or real waits.
func emulated(t testing.TB, opts route53test.Options, cfg Config) (*Provider, *route53test.Emulator) {
	t.Helper()
	em, url := route53test.Start(t, opts)
	cfg.EndpointURL = url
	cfg.Region = "us-east-1"
	cfg.Credentials = credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")
	p, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	p.limiter = rate.NewLimiter(rate.Inf, 0)
	p.sleep = noSleep
	return p, em
}
