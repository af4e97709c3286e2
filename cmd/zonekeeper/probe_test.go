package main

import (
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/zonekeeper/zonekeeper/controller"
	"github.com/zonekeeper/zonekeeper/provider"
)

// TestFullReadIntervalFlags: --aws-full-read-interval and --cloudflare-full-read-interval
// reach the daemon's provider.Cached, beside --interval, and a negative one is refused.
func TestFullReadIntervalFlags(t *testing.T) {
	t.Setenv("CF_API_TOKEN", "token")
	for _, tc := range []struct {
		provider string
		args     []string
		want     provider.CacheConfig
		err      string
	}{
		{provider: "route53", want: provider.CacheConfig{MaxAge: time.Minute, FullReadInterval: time.Hour}},
		{provider: "route53", args: []string{"--aws-full-read-interval=0", "--interval=2m"}, want: provider.CacheConfig{MaxAge: 2 * time.Minute}},
		{provider: "route53", args: []string{"--aws-full-read-interval=-1s"}, err: "--aws-full-read-interval"},
		{provider: "cloudflare", want: provider.CacheConfig{MaxAge: time.Minute, FullReadInterval: time.Hour}},
		{provider: "cloudflare", args: []string{"--cloudflare-full-read-interval=6h"}, want: provider.CacheConfig{MaxAge: time.Minute, FullReadInterval: 6 * time.Hour}},
		{provider: "cloudflare", args: []string{"--cloudflare-full-read-interval=-1s"}, err: "--cloudflare-full-read-interval"},
	} {
		t.Run(tc.provider+" "+strings.Join(tc.args, " "), func(t *testing.T) {
			fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
			var o options
			addFlags(fs, &o)
			if err := fs.Parse(append([]string{"--provider=" + tc.provider}, tc.args...)); err != nil {
				t.Fatal(err)
			}
			k, _ := lookupProvider(tc.provider)
			if tc.err != "" {
				if _, err := k.build(&o, controller.Config{}, nil); err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Errorf("build = %v, want an error naming %s", err, tc.err)
				}
				return
			}
			if k.cacheFor == nil {
				t.Fatalf("--provider=%s has no daemon cache", tc.provider)
			}
			if got := k.cacheFor(&o); got.MaxAge != tc.want.MaxAge || got.FullReadInterval != tc.want.FullReadInterval || got.Now != nil {
				t.Errorf("cache config %+v, want %+v", got, tc.want)
			}
		})
	}
}
