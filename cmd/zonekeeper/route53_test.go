package main

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/zonekeeper/zonekeeper/provider/route53"
)

func TestRoute53Config(t *testing.T) {
	defaults := route53.Config{
		BatchChangeSize: 1000, BatchChangeSizeBytes: 32000, BatchChangeSizeValues: 1000,
		BatchChangeInterval: time.Second, EvaluateTargetHealth: true, APIRetries: 3, APIRate: 5, APIBurst: 10,
	}
	with := func(f func(*route53.Config)) route53.Config {
		c := defaults
		f(&c)
		return c
	}
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want route53.Config
		err  string
	}{
		{name: "defaults", want: defaults},
		{name: "every flag", args: []string{
			"--aws-zone-type=Private", "--aws-zone-tags=env=prod,team", "--aws-assume-role=arn:aws:iam::1:role/dns",
			"--aws-assume-role-external-id=ext", "--aws-endpoint-url=http://localhost:4566", "--aws-batch-change-size=100",
			"--aws-batch-change-size-bytes=1000", "--aws-batch-change-size-values=50", "--aws-batch-change-interval=0s",
			"--aws-evaluate-target-health=false", "--aws-api-retries=5", "--aws-api-rate=2.5", "--aws-api-burst=3",
			"--aws-prefer-cname", "--aws-zones-cache-duration=1h",
		}, want: route53.Config{
			ZoneType: "private", ZoneTags: map[string]string{"env": "prod", "team": ""}, AssumeRole: "arn:aws:iam::1:role/dns",
			AssumeRoleExternalID: "ext", EndpointURL: "http://localhost:4566", BatchChangeSize: 100, BatchChangeSizeBytes: 1000,
			BatchChangeSizeValues: 50, APIRetries: 5, APIRate: 2.5, APIBurst: 3, PreferCNAME: true, ZonesCacheDuration: time.Hour,
		}},
		{name: "no retries", args: []string{"--aws-api-retries=0"}, want: with(func(c *route53.Config) { c.APIRetries = -1 })},
		{name: "profile", args: []string{"--aws-profile=dns"}, want: with(func(c *route53.Config) { c.Profile = "dns" })},
		{name: "one profile given twice", args: []string{"--aws-profile=dns", "--aws-profile= dns"}, want: with(func(c *route53.Config) { c.Profile = "dns" })},
		{name: "external-dns's empty default profile", args: []string{"--aws-profile="}, want: defaults},
		{name: "two profiles", args: []string{"--aws-profile=a", "--aws-profile=b"}, err: "--aws-profile a, b: one profile only"},
		{name: "endpoint from the environment", env: map[string]string{"AWS_ENDPOINT_URL": "http://generic", "AWS_ENDPOINT_URL_ROUTE_53": "http://r53"},
			want: with(func(c *route53.Config) { c.EndpointURL = "http://r53" })},
		{name: "generic endpoint", env: map[string]string{"AWS_ENDPOINT_URL": "http://generic"},
			want: with(func(c *route53.Config) { c.EndpointURL = "http://generic" })},
		{name: "flag beats environment", args: []string{"--aws-endpoint-url=http://flag"}, env: map[string]string{"AWS_ENDPOINT_URL": "http://generic"},
			want: with(func(c *route53.Config) { c.EndpointURL = "http://flag" })},
		{name: "bad zone type", args: []string{"--aws-zone-type=internal"}, err: "--aws-zone-type"},
		{name: "tag without key", args: []string{"--aws-zone-tags==x"}, err: "--aws-zone-tags"},
		{name: "negative retries", args: []string{"--aws-api-retries=-1"}, err: "--aws-api-retries"},
		{name: "zero rate", args: []string{"--aws-api-rate=0"}, err: "--aws-api-rate"},
		{name: "zero batch", args: []string{"--aws-batch-change-size=0"}, err: "--aws-batch-change-size"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
			var o route53Options
			addRoute53Flags(fs, &o)
			if err := fs.Parse(tc.args); err != nil {
				t.Fatal(err)
			}
			got, err := route53Config(&o, func(k string) string { return tc.env[k] })
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one naming %s", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}
