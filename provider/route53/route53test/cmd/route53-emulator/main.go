// Command route53-emulator serves the Route53 API emulator of package route53test on a
// TCP address, for end-to-end tests and demos. Point an AWS SDK or the AWS CLI at it with
// its base endpoint (aws --endpoint-url URL route53 …); any credentials are accepted.
//
// It prints "listening on URL", then one line "zone NAME ID" per --zone, and serves until
// SIGTERM or SIGINT.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/zonekeeper/zonekeeper/provider/internal/apitest"
	"github.com/zonekeeper/zonekeeper/provider/route53/route53test"
)

func main() {
	apitest.Main("route53-emulator", run)
}

// zoneList collects the repeatable --zone and --private-zone flags.
type zoneList []string

func (z *zoneList) String() string { return strings.Join(*z, ",") }

func (z *zoneList) Set(v string) error {
	if strings.TrimSpace(v) == "" {
		return errors.New("a zone name must not be empty")
	}
	*z = append(*z, v)
	return nil
}

// run parses args, serves until ctx ends, and reports the address and zones on out.
func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("route53-emulator", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:4566", "address to serve the API on (port 0 picks a free one)")
	var public, private zoneList
	fs.Var(&public, "zone", "create a public hosted zone with this name (repeatable)")
	fs.Var(&private, "private-zone", "create a private hosted zone with this name (repeatable)")
	var opts route53test.Options
	fs.Float64Var(&opts.ThrottleRate, "throttle-rate", 0, "share of calls answered 400 Throttling (0..1)")
	fs.Float64Var(&opts.ServerErrorRate, "server-error-rate", 0, "share of calls answered 500 InternalFailure (0..1)")
	fs.Float64Var(&opts.PriorRequestRate, "prior-request-rate", 0, "share of ChangeResourceRecordSets calls answered 400 PriorRequestNotComplete (0..1)")
	fs.DurationVar(&opts.Latency, "latency", 0, "delay added to every call")
	fs.Int64Var(&opts.Seed, "seed", 0, "seed of the fault dice (0 = fixed default)")
	if err := apitest.ParseFlags(fs, args); err != nil {
		return err
	}
	for name, rate := range map[string]float64{"--throttle-rate": opts.ThrottleRate, "--server-error-rate": opts.ServerErrorRate, "--prior-request-rate": opts.PriorRequestRate} {
		if rate < 0 || rate > 1 {
			return fmt.Errorf("%s %v is outside 0..1", name, rate)
		}
	}
	if opts.ThrottleRate+opts.ServerErrorRate+opts.PriorRequestRate > 1 {
		return errors.New("the fault rates add up to more than 1")
	}

	emulator := route53test.New(opts)
	return apitest.Serve(ctx, emulator, *listen, func(rootURL string) {
		fmt.Fprintf(out, "listening on %s\n", rootURL)
		for _, z := range []struct {
			names   zoneList
			private bool
		}{{public, false}, {private, true}} {
			for _, name := range z.names {
				fmt.Fprintf(out, "zone %s %s\n", name, emulator.CreateZone(name, route53test.ZoneOptions{Private: z.private}))
			}
		}
	})
}
