package main

import (
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/zonekeeper/zonekeeper/controller"
)

// TestMinEventIntervalByProvider: --min-event-sync-interval defaults to 50ms for the
// providers that write the operator's own server or files and to 250ms for those of a
// service with a request budget; a value given on the command line or in the
// environment wins over either.
func TestMinEventIntervalByProvider(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want time.Duration
	}{
		{"rfc2136", []string{"--provider=rfc2136"}, nil, 50 * time.Millisecond},
		{"zonefile", []string{"--provider=zonefile"}, nil, 50 * time.Millisecond},
		{"inmemory", []string{"--provider=inmemory"}, nil, 50 * time.Millisecond},
		{"route53", []string{"--provider=route53"}, nil, controller.DefaultMinEventInterval},
		{"aws alias", []string{"--provider=aws"}, nil, controller.DefaultMinEventInterval},
		{"cloudflare", []string{"--provider=cloudflare"}, nil, controller.DefaultMinEventInterval},
		{"webhook", []string{"--provider=webhook"}, nil, controller.DefaultMinEventInterval},
		{"given for rfc2136", []string{"--provider=rfc2136", "--min-event-sync-interval=1s"}, nil, time.Second},
		{"given as the default for rfc2136", []string{"--provider=rfc2136", "--min-event-sync-interval=250ms"}, nil, 250 * time.Millisecond},
		{"given for route53", []string{"--provider=route53", "--min-event-sync-interval=10ms"}, nil, 10 * time.Millisecond},
		{"from the environment", []string{"--provider=rfc2136"}, map[string]string{"EXTERNAL_DNS_MIN_EVENT_SYNC_INTERVAL": "2s"}, 2 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
			var o options
			addFlags(fs, &o)
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			lookup := func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok }
			if err := applyEnv(fs, lookup); err != nil {
				t.Fatal(err)
			}
			if got := minEventInterval(fs, &o); got != tt.want {
				t.Errorf("--min-event-sync-interval = %v, want %v", got, tt.want)
			}
		})
	}
}
