package route53

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/route53/types"
	"github.com/aws/smithy-go"
	"golang.org/x/time/rate"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/provider"
)

// newUnit returns a provider for pure tests, without a client.
func newUnit(t *testing.T, cfg Config) *Provider {
	t.Helper()
	s, err := validate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &Provider{s: s, canonical: newCanonicalZoneIndex(), limiter: rate.NewLimiter(rate.Inf, 0),
		now: time.Now, sleep: noSleep, jitter: func(d time.Duration) time.Duration { return d }}
}

func withProps(e *endpoint.Endpoint, kv ...string) *endpoint.Endpoint {
	for i := 0; i < len(kv); i += 2 {
		e.SetProperty(kv[i], kv[i+1])
	}
	return e
}

func withSetID(e *endpoint.Endpoint, id string) *endpoint.Endpoint {
	e.SetIdentifier = id
	return e
}

func TestCanonicalZone(t *testing.T) {
	idx := newCanonicalZoneIndex()
	for _, tc := range []struct {
		host, want string
	}{
		{"my-lb-1234.us-east-1.elb.amazonaws.com", "Z35SXDOTRQ7X7K"},
		{"dualstack.my-lb-1234.eu-west-1.elb.amazonaws.com", "Z32O12XQLNTSW2"},
		{"my-nlb-abc.elb.us-east-1.amazonaws.com", "Z26RNL4JYFTOTI"},
		{"my-nlb-abc.elb.eu-central-1.amazonaws.com", "Z3F0SRJ5LGBH90"},
		{"lb.cn-north-1.elb.amazonaws.com.cn", "Z1GDH35T77C1KE"},
		{"d111111abcdef8.cloudfront.net", "Z2FDTNDATAQYW2"},
		{"d-abc123.execute-api.us-east-1.amazonaws.com", "Z1UJRXOUMOOFQ8"},
		{"a1234567890abcdef.awsglobalaccelerator.com", "Z2BJ6XQ5FK7U4H"},
		{"us-east-1.elb.amazonaws.com", ""}, // the suffix itself is no load balancer
		{"lb.example.com", ""},
		{"evil-cloudfront.net", ""},
	} {
		got, ok := idx.lookup(tc.host)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("lookup(%q) = %q, %t; want %q", tc.host, got, ok, tc.want)
		}
	}
}

// TestAdjustEndpoints checks the form desired records take, and that every adjusted
// record survives a trip through a record set unchanged (what Records would read).
func TestAdjustEndpoints(t *testing.T) {
	ref := endpoint.ObjectRef{Kind: "service", Namespace: "ns", Name: "obj"}
	elb := "lb-1.us-east-1.elb.amazonaws.com"
	for _, tc := range []struct {
		name    string
		cfg     Config
		in      *endpoint.Endpoint
		want    []string // endpoint.String() of each result, with properties
		problem string
	}{
		{name: "default TTL", in: endpoint.New("a.example.com", "A", 0, "192.0.2.1"),
			want: []string{"a.example.com 300 A 192.0.2.1 []"}},
		{name: "TTL kept, other providers' properties dropped", in: withProps(endpoint.New("a.example.com", "A", 60, "192.0.2.1"), "cloudflare-proxied", "true"),
			want: []string{"a.example.com 60 A 192.0.2.1 []"}},
		{name: "CNAME to ELB becomes ALIAS A and AAAA", cfg: Config{EvaluateTargetHealth: true}, in: endpoint.New("a.example.com", "CNAME", 60, strings.ToUpper(elb)+"."),
			want: []string{
				"a.example.com A " + elb + " [{alias true} {aws/evaluate-target-health true}]",
				"a.example.com AAAA " + elb + " [{alias true} {aws/evaluate-target-health true}]",
			}},
		{name: "prefer CNAME", cfg: Config{PreferCNAME: true}, in: endpoint.New("a.example.com", "CNAME", 0, elb),
			want: []string{"a.example.com 300 CNAME " + elb + " []"}},
		{name: "alias annotation A only, evaluate annotation wins", cfg: Config{EvaluateTargetHealth: true},
			in:   withProps(endpoint.New("a.example.com", "CNAME", 0, "other.example.com"), PropertyAlias, "true", PropertyAliasRecordType, "A", PropertyEvaluateHealth, "false"),
			want: []string{"a.example.com A other.example.com [{alias true} {aws/evaluate-target-health false}]"}},
		{name: "evaluate dropped off non-alias", in: withProps(endpoint.New("a.example.com", "A", 0, "192.0.2.1"), PropertyEvaluateHealth, "true"),
			want: []string{"a.example.com 300 A 192.0.2.1 []"}},
		{name: "weighted", in: withSetID(withProps(endpoint.New("a.example.com", "A", 0, "192.0.2.1"), PropertyWeight, "010"), "one"),
			want: []string{"a.example.com 300 A 192.0.2.1 [one] [{aws/weight 10}]"}},
		{name: "failover upper-cased, health check", in: withSetID(withProps(endpoint.New("a.example.com", "A", 0, "192.0.2.1"), PropertyFailover, "primary", PropertyHealthCheckID, "hc-1"), "p"),
			want: []string{"a.example.com 300 A 192.0.2.1 [p] [{aws/failover PRIMARY} {aws/health-check-id hc-1}]"}},
		{name: "geolocation", in: withSetID(withProps(endpoint.New("a.example.com", "A", 0, "192.0.2.1"), PropertyCountry, "us", PropertySubdivision, "ca"), "g"),
			want: []string{"a.example.com 300 A 192.0.2.1 [g] [{aws/geolocation-country-code US} {aws/geolocation-subdivision-code CA}]"}},
		{name: "geoproximity", in: withSetID(withProps(endpoint.New("a.example.com", "A", 0, "192.0.2.1"), PropertyGeoCoordinates, "47.60, -122.33", PropertyGeoBias, "10"), "g"),
			want: []string{"a.example.com 300 A 192.0.2.1 [g] [{aws/geoproximity-bias 10} {aws/geoproximity-coordinates 47.6,-122.33}]"}},
		{name: "latency", in: withSetID(withProps(endpoint.New("a.example.com", "A", 0, "192.0.2.1"), PropertyRegion, "eu-west-1"), "r"),
			want: []string{"a.example.com 300 A 192.0.2.1 [r] [{aws/region eu-west-1}]"}},
		{name: "multi-value", in: withSetID(withProps(endpoint.New("a.example.com", "A", 0, "192.0.2.1"), PropertyMultiValue, "true"), "m"),
			want: []string{"a.example.com 300 A 192.0.2.1 [m] [{aws/multi-value-answer true}]"}},
		{name: "bad weight", in: withSetID(withProps(endpoint.New("a.example.com", "A", 0, "192.0.2.1"), PropertyWeight, "256"), "w"), problem: "aws/weight"},
		{name: "bad failover", in: withSetID(withProps(endpoint.New("a.example.com", "A", 0, "192.0.2.1"), PropertyFailover, "tertiary"), "f"), problem: "PRIMARY or SECONDARY"},
		{name: "policy without set identifier", in: withProps(endpoint.New("a.example.com", "A", 0, "192.0.2.1"), PropertyWeight, "1"), problem: "needs a set identifier"},
		{name: "set identifier without policy", in: withSetID(endpoint.New("a.example.com", "A", 0, "192.0.2.1"), "x"), problem: "needs a routing policy"},
		{name: "two policies", in: withSetID(withProps(endpoint.New("a.example.com", "A", 0, "192.0.2.1"), PropertyWeight, "1", PropertyRegion, "us-east-1"), "x"), problem: "exclude each other"},
		{name: "unknown aws property", in: withProps(endpoint.New("a.example.com", "A", 0, "192.0.2.1"), "aws/wieght", "1"), problem: "unknown property aws/wieght"},
		{name: "unknown region", in: withSetID(withProps(endpoint.New("a.example.com", "A", 0, "192.0.2.1"), PropertyRegion, "mars-1"), "x"), problem: "AWS region"},
		{name: "alias to an address", in: withProps(endpoint.New("a.example.com", "A", 0, "192.0.2.1"), PropertyAlias, "true"), problem: "not a host name"},
		{name: "alias on MX", in: withProps(endpoint.New("a.example.com", "MX", 0, "10 mx.example.com"), PropertyAlias, "true"), problem: "cannot be an ALIAS"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newUnit(t, tc.cfg)
			tc.in.Refs = []endpoint.ObjectRef{ref}
			before := tc.in.Clone()
			got, problems := p.AdjustEndpoints([]*endpoint.Endpoint{tc.in})
			if tc.problem != "" {
				if len(got) != 0 || len(problems) != 1 || problems[0].Ref != ref || !strings.Contains(problems[0].Err.Error(), tc.problem) {
					t.Fatalf("got %v, problems %v; want one problem on %s mentioning %q", got, problems, ref, tc.problem)
				}
				return
			}
			if len(problems) > 0 {
				t.Fatalf("problems: %v", problems)
			}
			var rendered []string
			for _, e := range got {
				rendered = append(rendered, e.String()+" "+propsString(e))
				if !slices.Equal(e.Refs, []endpoint.ObjectRef{ref}) {
					t.Errorf("%s lost its Refs", e)
				}
				rrs, err := recordSet(e, "ZSELF", p.canonical)
				if err != nil {
					t.Errorf("%s: %v", e, err)
				}
				if back := fromRecordSet(rrs); back.String() != e.String() || propsString(back) != propsString(e) {
					t.Errorf("round trip changed %s %s into %s %s", e, propsString(e), back, propsString(back))
				}
			}
			if !slices.Equal(rendered, tc.want) {
				t.Errorf("got\n  %s\nwant\n  %s", strings.Join(rendered, "\n  "), strings.Join(tc.want, "\n  "))
			}
			if before.String() != tc.in.String() || propsString(before) != propsString(tc.in) {
				t.Errorf("AdjustEndpoints modified its input")
			}
		})
	}
}

func propsString(e *endpoint.Endpoint) string {
	var parts []string
	for _, p := range e.ProviderSpecific {
		parts = append(parts, "{"+p.Name+" "+p.Value+"}")
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func TestAliasTargetZone(t *testing.T) {
	p := newUnit(t, Config{})
	for _, tc := range []struct{ target, want string }{
		{"d1.cloudfront.net", cloudFrontZoneID},
		{"other.example.com", "ZSELF"},
	} {
		e := withProps(endpoint.New("a.example.com", "A", 0, tc.target), PropertyAlias, "true")
		rrs, err := recordSet(e, "ZSELF", p.canonical)
		if err != nil {
			t.Fatal(err)
		}
		if got := aws.ToString(rrs.AliasTarget.HostedZoneId); got != tc.want || rrs.TTL != nil {
			t.Errorf("%s: hosted zone %s, TTL %v; want %s and no TTL", tc.target, got, rrs.TTL, tc.want)
		}
	}
}

func TestDecodeName(t *testing.T) {
	for in, want := range map[string]string{
		`\052.example.com.`:     "*.example.com.",
		`a-\052.apps.example.`:  "a-*.apps.example.",
		`plain.example.com.`:    "plain.example.com.",
		`bad\05.example.com.`:   `bad\05.example.com.`,
		`\100\101.example.com.`: "@A.example.com.",
		`trailing\`:             `trailing\`,
	} {
		if got := decodeName(in); got != want {
			t.Errorf("decodeName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTXTValues(t *testing.T) {
	for _, tc := range []struct {
		strs    []string
		encoded string
	}{
		{[]string{"heritage=external-dns"}, `"heritage=external-dns"`},
		{[]string{`say "hi"\`}, `"say \"hi\"\\"`},
		{[]string{"a", "b c"}, `"a" "b c"`},
		{[]string{"tab\there"}, `"tab\011here"`},
		{[]string{""}, `""`},
	} {
		if got := encodeTXT(tc.strs); got != tc.encoded {
			t.Errorf("encodeTXT(%q) = %s, want %s", tc.strs, got, tc.encoded)
		}
		if got := decodeTXT(tc.encoded); !slices.Equal(got, tc.strs) {
			t.Errorf("decodeTXT(%s) = %q, want %q", tc.encoded, got, tc.strs)
		}
	}
	if got := decodeTXT(`bare words`); !slices.Equal(got, []string{"bare", "words"}) {
		t.Errorf("unquoted words decode to %q", got)
	}
}

// FuzzTXTRoundTrip: any value written as a TXT target reads back the same.
func FuzzTXTRoundTrip(f *testing.F) {
	f.Add(`"heritage=external-dns,external-dns/owner=default"`)
	f.Add(`"` + strings.Repeat("x", 600) + `"`)
	f.Add("\"quote \\\" and \x00 bytes\xff\"")
	f.Fuzz(func(t *testing.T, target string) {
		target = `"` + endpoint.Unquote(target) + `"`
		got := endpoint.TXTTarget(decodeTXT(encodeTXT(endpoint.TXTStrings(target))))
		if got != target {
			t.Errorf("%q read back as %q", target, got)
		}
	})
}

// FuzzDecodeName: decoding never grows a name and leaves names without escapes alone.
func FuzzDecodeName(f *testing.F) {
	f.Add(`\052.example.com.`)
	f.Add(`a\\b\1`)
	f.Fuzz(func(t *testing.T, name string) {
		got := decodeName(name)
		if len(got) > len(name) || !strings.Contains(name, `\`) && got != name {
			t.Errorf("decodeName(%q) = %q", name, got)
		}
	})
}

// TestApplyBatches: Changes are packed by every limit, one over a limit alone fails
// without a request, requests are paced, and an error other than a rejection stops Apply
// with the request in flight unknown and the rest not attempted.
func TestApplyBatches(t *testing.T) {
	a := func(name string, targets ...string) provider.Change {
		return provider.Change{Records: []provider.RecordChange{{Op: provider.OpCreate, New: endpoint.New(name+".example.com", "A", 0, targets...)}}}
	}
	changes := []provider.Change{
		a("one", "192.0.2.1"), a("two", "192.0.2.1", "192.0.2.2"), // 3 values: one request
		a("big", "192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"), // 4 values: too big alone
		a("three", "192.0.2.1"), a("four", "192.0.2.1"), // second request
		a("five", "192.0.2.1", "192.0.2.2"), // third request
	}
	for _, tc := range []struct {
		name                          string
		errs                          []error
		wantUnknown, wantNotAttempted []int
	}{
		{"applied", nil, nil, nil},
		{"stopped", []error{nil, errors.New("connection reset")}, []int{3, 4}, []int{5}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newUnit(t, Config{BatchChangeSize: 4, BatchChangeSizeValues: 3, BatchChangeInterval: time.Second})
			var waits []time.Duration
			p.sleep = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
			fake := &fakeAPI{errs: tc.errs}
			p.api = fake
			err := p.Apply(context.Background(), provider.Zone{ID: "Z1", Name: "example.com"}, changes)
			var ae *provider.ApplyError
			if !errors.As(err, &ae) || len(ae.Failed) != 1 || ae.Failed[0].Change.Main().New != changes[2].Main().New || !strings.Contains(ae.Failed[0].Err.Error(), "it needs 1, 36, 4") {
				t.Fatalf("Apply: %v; want the big change failed alone", err)
			}
			indexes := func(list []provider.Change) (out []int) {
				for _, c := range list {
					out = append(out, slices.IndexFunc(changes, func(o provider.Change) bool { return o.Main().New == c.Main().New }))
				}
				return out
			}
			if unknown, notAttempted := indexes(ae.Unknown), indexes(ae.NotAttempted); !slices.Equal(unknown, tc.wantUnknown) || !slices.Equal(notAttempted, tc.wantNotAttempted) {
				t.Errorf("unknown %v, not attempted %v; want %v, %v", unknown, notAttempted, tc.wantUnknown, tc.wantNotAttempted)
			}
			if tc.wantUnknown != nil && (ae.Stopped == nil || ae.Stopped.Error() != "route53: zone example.com (Z1): changing records: connection reset") {
				t.Errorf("Stopped = %v", ae.Stopped)
			}
			if calls := 3 - len(tc.wantNotAttempted); fake.calls != calls || len(waits) != calls-1 {
				t.Errorf("%d requests and %d pauses, want %d and %d", fake.calls, len(waits), calls, calls-1)
			}
		})
	}
}

func TestSizeOf(t *testing.T) {
	rrs := &types.ResourceRecordSet{ResourceRecords: []types.ResourceRecord{{Value: aws.String("abcd")}, {Value: aws.String("ef")}}}
	for _, tc := range []struct {
		action types.ChangeAction
		want   []int
	}{
		{types.ChangeActionCreate, []int{1, 6, 2}},
		{types.ChangeActionUpsert, []int{1, 12, 4}},
	} {
		if got := sizeOf([]types.Change{{Action: tc.action, ResourceRecordSet: rrs}}); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %+v, want %+v", tc.action, got, tc.want)
		}
	}
}

// fakeAPI answers ChangeResourceRecordSets with the errors in errs, one per call, then
// success.
type fakeAPI struct {
	api
	errs  []error
	calls int
}

func (f *fakeAPI) ChangeResourceRecordSets(context.Context, *route53.ChangeResourceRecordSetsInput, ...func(*route53.Options)) (*route53.ChangeResourceRecordSetsOutput, error) {
	f.calls++
	if len(f.errs) > 0 {
		err := f.errs[0]
		f.errs = f.errs[1:]
		return nil, err
	}
	return &route53.ChangeResourceRecordSetsOutput{}, nil
}

type observed struct{ ops []string }

func (o *observed) ObserveCall(op string, err error) {
	o.ops = append(o.ops, op+":"+errString(err))
}

func errString(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	if err != nil {
		return "error"
	}
	return "ok"
}

func TestRetries(t *testing.T) {
	throttled := &smithy.GenericAPIError{Code: "Throttling", Message: "Rate exceeded"}
	prior := &smithy.GenericAPIError{Code: "PriorRequestNotComplete"}
	invalid := &smithy.GenericAPIError{Code: "InvalidChangeBatch"}
	for _, tc := range []struct {
		name    string
		retries int
		errs    []error
		calls   int
		waits   []time.Duration
		fail    bool
	}{
		{"success", 3, nil, 1, nil, false},
		{"throttled twice", 3, []error{throttled, prior}, 3, []time.Duration{time.Second, 2 * time.Second}, false},
		{"retries exhausted", 2, []error{throttled, throttled, throttled}, 3, []time.Duration{time.Second, 2 * time.Second}, true},
		{"no retries", -1, []error{throttled}, 1, nil, true},
		{"rejection not retried", 3, []error{invalid}, 1, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			obs := &observed{}
			p := newUnit(t, Config{APIRetries: tc.retries, Observer: obs})
			var waits []time.Duration
			p.sleep = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
			fake := &fakeAPI{errs: slices.Clone(tc.errs)}
			p.api = fake
			err := p.call(context.Background(), OperationChangeResourceRecordSets, func(ctx context.Context) error {
				_, err := fake.ChangeResourceRecordSets(ctx, nil)
				return err
			})
			if (err != nil) != tc.fail || fake.calls != tc.calls || !slices.Equal(waits, tc.waits) {
				t.Errorf("err %v, %d calls, waits %v; want failure %t, %d calls, waits %v", err, fake.calls, waits, tc.fail, tc.calls, tc.waits)
			}
			if len(obs.ops) != tc.calls {
				t.Errorf("observer saw %v, want every one of %d calls", obs.ops, tc.calls)
			}
		})
	}
}

func TestBackoffCeiling(t *testing.T) {
	for attempt, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 20 * time.Second} {
		if got := backoffCeiling(attempt); got != want {
			t.Errorf("attempt %d: %s, want %s", attempt, got, want)
		}
	}
	if got := backoffCeiling(100); got != retryCap {
		t.Errorf("attempt 100: %s", got)
	}
	for range 100 {
		if d := fullJitter(time.Second); d < 0 || d > time.Second {
			t.Fatalf("jitter %s outside [0, 1s]", d)
		}
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"zone type", Config{ZoneType: "internal"}, "zone type"},
		{"batch too big", Config{BatchChangeSize: 1001}, "batch change size is 1001"},
		{"bytes too big", Config{BatchChangeSizeBytes: 32001}, "in bytes"},
		{"values negative", Config{BatchChangeSizeValues: -1}, "in values"},
		{"interval", Config{BatchChangeInterval: -time.Second}, "interval"},
		{"rate", Config{APIRate: -1}, "rate"},
	} {
		if _, err := validate(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error mentioning %q", tc.name, err, tc.want)
		}
	}
	s, err := validate(Config{ZoneIDs: []string{"/hostedzone/Z1", "Z2"}, ZoneType: "Private"})
	if err != nil || !slices.Equal(s.zoneIDs, []string{"Z1", "Z2"}) || s.zoneType != ZoneTypePrivate ||
		s.limits != (limits{1000, 32000, 1000}) || s.retries != DefaultAPIRetries {
		t.Errorf("defaults: %+v, %v", s, err)
	}
}

func TestMatchTags(t *testing.T) {
	tags := map[string]string{"env": "prod", "team": "dns"}
	for _, tc := range []struct {
		want map[string]string
		ok   bool
	}{
		{map[string]string{"env": "prod"}, true},
		{map[string]string{"env": ""}, true},
		{map[string]string{"env": "dev"}, false},
		{map[string]string{"owner": ""}, false},
		{nil, true},
	} {
		if got := matchTags(tc.want, tags); got != tc.ok {
			t.Errorf("matchTags(%v) = %t", tc.want, got)
		}
	}
}

// TestApplyUnexpressible: changes that cannot be expressed fail alone, without a request.
func TestApplyUnexpressible(t *testing.T) {
	p := newUnit(t, Config{})
	fake := &fakeAPI{}
	p.api = fake
	zone := provider.Zone{ID: "Z1", Name: "example.com"}
	outside := provider.Change{Records: []provider.RecordChange{{Op: provider.OpCreate, New: endpoint.New("a.example.org", "A", 0, "192.0.2.1")}}}
	badWeight := provider.Change{Records: []provider.RecordChange{{Op: provider.OpCreate, New: withSetID(withProps(endpoint.New("w.example.com", "A", 0, "192.0.2.1"), PropertyWeight, "x"), "s")}}}
	good := provider.Change{Records: []provider.RecordChange{{Op: provider.OpCreate, New: endpoint.New("ok.example.com", "A", 0, "192.0.2.1")}}}
	err := p.Apply(context.Background(), zone, []provider.Change{outside, good, badWeight})
	failed := provider.FailedChanges(err)
	if len(failed) != 2 || !strings.Contains(failed[0].Err.Error(), "outside zone") || !strings.Contains(failed[1].Err.Error(), "aws/weight") {
		t.Fatalf("Apply: %v", err)
	}
	if fake.calls != 1 {
		t.Errorf("%d requests, want 1 for the good change", fake.calls)
	}
}
