package route53test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/route53/types"
	"github.com/aws/smithy-go"
)

// client returns the SDK client the provider uses, pointed at a fresh emulator, with
// retries off so that every fault reaches the test.
func client(t *testing.T, opts Options) (*Emulator, *route53.Client) {
	t.Helper()
	e, url := Start(t, opts)
	c := route53.NewFromConfig(aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		BaseEndpoint: aws.String(url),
		Retryer:      func() aws.Retryer { return aws.NopRetryer{} },
	})
	return e, c
}

func a(name string, ttl int64, values ...string) *types.ResourceRecordSet {
	return rrs(name, types.RRTypeA, ttl, values...)
}

func rrs(name string, typ types.RRType, ttl int64, values ...string) *types.ResourceRecordSet {
	rs := &types.ResourceRecordSet{Name: aws.String(name), Type: typ, TTL: aws.Int64(ttl)}
	for _, v := range values {
		rs.ResourceRecords = append(rs.ResourceRecords, types.ResourceRecord{Value: aws.String(v)})
	}
	return rs
}

func ch(action types.ChangeAction, rs *types.ResourceRecordSet) types.Change {
	return types.Change{Action: action, ResourceRecordSet: rs}
}

func apply(c *route53.Client, zoneID string, changes ...types.Change) error {
	_, err := c.ChangeResourceRecordSets(context.Background(), &route53.ChangeResourceRecordSetsInput{
		HostedZoneId: aws.String(zoneID),
		ChangeBatch:  &types.ChangeBatch{Changes: changes},
	})
	return err
}

func mustApply(t *testing.T, c *route53.Client, zoneID string, changes ...types.Change) {
	t.Helper()
	if err := apply(c, zoneID, changes...); err != nil {
		t.Fatalf("ChangeResourceRecordSets: %v", err)
	}
}

// listAll pages through a zone with the SDK's paginator fields, pageSize at a time.
func listAll(t *testing.T, c *route53.Client, zoneID string, pageSize int32) ([]types.ResourceRecordSet, int) {
	t.Helper()
	in := &route53.ListResourceRecordSetsInput{HostedZoneId: aws.String(zoneID), MaxItems: aws.Int32(pageSize)}
	var out []types.ResourceRecordSet
	pages := 0
	for {
		page, err := c.ListResourceRecordSets(context.Background(), in)
		if err != nil {
			t.Fatalf("ListResourceRecordSets: %v", err)
		}
		pages++
		out = append(out, page.ResourceRecordSets...)
		if !page.IsTruncated {
			return out, pages
		}
		in.StartRecordName, in.StartRecordType, in.StartRecordIdentifier = page.NextRecordName, page.NextRecordType, page.NextRecordIdentifier
	}
}

func names(sets []types.ResourceRecordSet) []string {
	var out []string
	for _, s := range sets {
		id := ""
		if s.SetIdentifier != nil {
			id = "/" + *s.SetIdentifier
		}
		out = append(out, fmt.Sprintf("%s %s%s", aws.ToString(s.Name), s.Type, id))
	}
	return out
}

// TestInvalidChangeBatch shows each InvalidChangeBatch rule rejecting a batch with AWS's
// code and message, and leaving the zone as it was.
func TestInvalidChangeBatch(t *testing.T) {
	long := `"` + string(make([]byte, 0)) + fmt.Sprintf("%0256d", 0) + `"`
	big := fmt.Sprintf(`"%0250d"`, 0)
	tests := []struct {
		name    string
		before  []types.Change
		changes []types.Change
		want    []string
	}{
		{
			name:    "create of an existing set",
			before:  []types.Change{ch(types.ChangeActionCreate, a("x.example.com", 300, "192.0.2.1"))},
			changes: []types.Change{ch(types.ChangeActionCreate, a("x.example.com", 300, "192.0.2.2"))},
			want:    []string{"Tried to create resource record set [name='x.example.com.', type='A'] but it already exists"},
		},
		{
			name: "create of an existing set with an identifier",
			before: []types.Change{ch(types.ChangeActionCreate, func() *types.ResourceRecordSet {
				rs := a("x.example.com", 300, "192.0.2.1")
				rs.SetIdentifier, rs.Weight = aws.String("blue"), aws.Int64(10)
				return rs
			}())},
			changes: []types.Change{ch(types.ChangeActionCreate, func() *types.ResourceRecordSet {
				rs := a("x.example.com", 300, "192.0.2.1")
				rs.SetIdentifier, rs.Weight = aws.String("blue"), aws.Int64(20)
				return rs
			}())},
			want: []string{"Tried to create resource record set [name='x.example.com.', type='A', set-identifier='blue'] but it already exists"},
		},
		{
			name:    "delete of a missing set",
			changes: []types.Change{ch(types.ChangeActionDelete, a("x.example.com", 300, "192.0.2.1"))},
			want:    []string{"Tried to delete resource record set [name='x.example.com.', type='A'] but it was not found"},
		},
		{
			name:    "delete with other values",
			before:  []types.Change{ch(types.ChangeActionCreate, a("x.example.com", 300, "192.0.2.1"))},
			changes: []types.Change{ch(types.ChangeActionDelete, a("x.example.com", 300, "192.0.2.9"))},
			want:    []string{"Tried to delete resource record set [name='x.example.com.', type='A'] but the values provided do not match the current values"},
		},
		{
			name:    "delete with another TTL",
			before:  []types.Change{ch(types.ChangeActionCreate, a("x.example.com", 300, "192.0.2.1"))},
			changes: []types.Change{ch(types.ChangeActionDelete, a("x.example.com", 60, "192.0.2.1"))},
			want:    []string{"Tried to delete resource record set [name='x.example.com.', type='A'] but the values provided do not match the current values"},
		},
		{
			name: "duplicate changes in one batch",
			changes: []types.Change{
				ch(types.ChangeActionUpsert, a("x.example.com", 300, "192.0.2.1")),
				ch(types.ChangeActionUpsert, a("X.example.com.", 300, "192.0.2.2")),
			},
			want: []string{"The request contains an invalid set of changes for a resource record set 'A x.example.com.'"},
		},
		{
			name:    "CNAME beside other data",
			before:  []types.Change{ch(types.ChangeActionCreate, rrs("x.example.com", types.RRTypeTxt, 300, `"hello"`))},
			changes: []types.Change{ch(types.ChangeActionCreate, rrs("x.example.com", types.RRTypeCname, 300, "target.example.net"))},
			want:    []string{"RRSet of type CNAME with DNS name x.example.com. is not permitted as it conflicts with other records with the same DNS name in zone example.com."},
		},
		{
			name:    "other data beside a CNAME",
			before:  []types.Change{ch(types.ChangeActionCreate, rrs("x.example.com", types.RRTypeCname, 300, "target.example.net"))},
			changes: []types.Change{ch(types.ChangeActionCreate, a("x.example.com", 300, "192.0.2.1"))},
			want:    []string{"RRSet of type A with DNS name x.example.com. is not permitted because a conflicting RRSet of type CNAME with the same DNS name already exists in zone example.com."},
		},
		{
			name:    "CNAME at the apex",
			changes: []types.Change{ch(types.ChangeActionUpsert, rrs("example.com", types.RRTypeCname, 300, "target.example.net"))},
			want:    []string{"RRSet of type CNAME with DNS name example.com. is not permitted at apex in zone example.com."},
		},
		{
			name:    "more than 1000 records",
			changes: upserts(501, func(i int) *types.ResourceRecordSet { return a(fmt.Sprintf("h%d.example.com", i), 300, "192.0.2.1") }),
			want:    []string{"Number of records limit of 1000 exceeded."},
		},
		{
			name: "more than 32000 value characters, upserts counted twice",
			changes: upserts(65, func(i int) *types.ResourceRecordSet {
				return rrs(fmt.Sprintf("t%d.example.com", i), types.RRTypeTxt, 300, big)
			}),
			want: []string{"RDATA character limit of 32000 exceeded."},
		},
		{
			name:    "name outside the zone",
			changes: []types.Change{ch(types.ChangeActionCreate, a("x.example.org", 300, "192.0.2.1"))},
			want:    []string{"RRSet with DNS name x.example.org. is not permitted in zone example.com."},
		},
		{
			name:    "A value that is no IPv4 address",
			changes: []types.Change{ch(types.ChangeActionCreate, a("x.example.com", 300, "2001:db8::1"))},
			want:    []string{"Invalid Resource Record: 'FATAL problem: ARRDATAIllegalIPv4Address (Value is not a valid IPv4 address) encountered with '2001:db8::1''"},
		},
		{
			name:    "AAAA value that is no IPv6 address",
			changes: []types.Change{ch(types.ChangeActionCreate, rrs("x.example.com", types.RRTypeAaaa, 300, "192.0.2.1"))},
			want:    []string{"Invalid Resource Record: 'FATAL problem: AAAARRDATAIllegalIPv6Address (Value is not a valid IPv6 address) encountered with '192.0.2.1''"},
		},
		{
			name:    "TXT value without quotes",
			changes: []types.Change{ch(types.ChangeActionCreate, rrs("x.example.com", types.RRTypeTxt, 300, "hello"))},
			want:    []string{"Invalid Resource Record: 'FATAL problem: InvalidCharacterString (Value should be enclosed in quotation marks) encountered with 'hello''"},
		},
		{
			name:    "TXT string over 255 characters",
			changes: []types.Change{ch(types.ChangeActionCreate, rrs("x.example.com", types.RRTypeTxt, 300, long))},
			want:    []string{"Invalid Resource Record: 'FATAL problem: CharacterStringTooLong (Value is too long) encountered with '" + long + "''"},
		},
		{
			name:    "CNAME with two values",
			changes: []types.Change{ch(types.ChangeActionCreate, rrs("x.example.com", types.RRTypeCname, 300, "a.example.net", "b.example.net"))},
			want:    []string{"RRSet of type CNAME with DNS name x.example.com. has more than one value"},
		},
		{
			name:    "delete of the apex SOA",
			changes: []types.Change{ch(types.ChangeActionDelete, nil)},
			want:    []string{"A HostedZone must contain exactly one SOA record."},
		},
		{
			name:   "weighted set beside a simple one",
			before: []types.Change{ch(types.ChangeActionCreate, a("x.example.com", 300, "192.0.2.1"))},
			changes: []types.Change{ch(types.ChangeActionCreate, func() *types.ResourceRecordSet {
				rs := a("x.example.com", 300, "192.0.2.2")
				rs.SetIdentifier, rs.Weight = aws.String("blue"), aws.Int64(10)
				return rs
			}())},
			want: []string{"RRSet with DNS name x.example.com., type A, SetIdentifier blue cannot be created as a non-weighted set exists with the same name and type."},
		},
		{
			name: "every problem of a batch is reported",
			changes: []types.Change{
				ch(types.ChangeActionDelete, a("gone.example.com", 300, "192.0.2.1")),
				ch(types.ChangeActionCreate, a("bad.example.com", 300, "999.0.2.1")),
			},
			want: []string{
				"Tried to delete resource record set [name='gone.example.com.', type='A'] but it was not found",
				"Invalid Resource Record: 'FATAL problem: ARRDATAIllegalIPv4Address (Value is not a valid IPv4 address) encountered with '999.0.2.1''",
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, legacy := range []bool{false, true} {
				e, c := client(t, Options{LegacyChangeBatchErrors: legacy})
				zoneID := e.CreateZone("example.com", ZoneOptions{})
				changes := slices.Clone(tc.changes)
				for i := range changes {
					if changes[i].ResourceRecordSet == nil {
						for _, s := range e.RecordSets(zoneID) {
							if s.Type == types.RRTypeSoa {
								changes[i].ResourceRecordSet = &s
							}
						}
					}
				}
				if len(tc.before) > 0 {
					mustApply(t, c, zoneID, tc.before...)
				}
				before := e.RecordSets(zoneID)
				err := apply(c, zoneID, changes...)
				var icb *types.InvalidChangeBatch
				if !errors.As(err, &icb) {
					t.Fatalf("legacy=%v: got %v (%T), want *types.InvalidChangeBatch", legacy, err, err)
				}
				if icb.ErrorCode() != "InvalidChangeBatch" {
					t.Errorf("code = %q", icb.ErrorCode())
				}
				if legacy {
					if !slices.Equal(icb.Messages, tc.want) {
						t.Errorf("legacy Messages =\n%q\nwant\n%q", icb.Messages, tc.want)
					}
				} else if got, want := aws.ToString(icb.Message), bracketed(tc.want); got != want {
					t.Errorf("Message =\n%s\nwant\n%s", got, want)
				}
				if after := e.RecordSets(zoneID); !slices.Equal(names(after), names(before)) {
					t.Errorf("a rejected batch changed the zone:\n%v\nwas\n%v", names(after), names(before))
				}
			}
		})
	}
}

func bracketed(messages []string) string {
	out := "["
	for i, m := range messages {
		if i > 0 {
			out += ", "
		}
		out += m
	}
	return out + "]"
}

func upserts(n int, set func(int) *types.ResourceRecordSet) []types.Change {
	out := make([]types.Change, n)
	for i := range out {
		out[i] = ch(types.ChangeActionUpsert, set(i))
	}
	return out
}

func TestInvalidInput(t *testing.T) {
	weighted := a("x.example.com", 300, "192.0.2.1")
	weighted.Weight = aws.Int64(1)
	twoPolicies := a("x.example.com", 300, "192.0.2.1")
	twoPolicies.SetIdentifier, twoPolicies.Weight, twoPolicies.Region = aws.String("id"), aws.Int64(1), types.ResourceRecordSetRegionUsEast1
	aliasWithTTL := a("x.example.com", 300, "192.0.2.1")
	aliasWithTTL.AliasTarget = &types.AliasTarget{HostedZoneId: aws.String("Z2"), DNSName: aws.String("lb.example.net")}
	tests := []struct {
		name string
		rs   *types.ResourceRecordSet
		want string
	}{
		{"no values", rrs("x.example.com", types.RRTypeA, 300), "Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or TrafficPolicyInstanceId], but found none in Change with [Action=CREATE, Name=x.example.com, Type=A, SetIdentifier=null]"},
		{"alias with TTL", aliasWithTTL, "Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or TrafficPolicyInstanceId], but found more than one in Change with [Action=CREATE, Name=x.example.com, Type=A, SetIdentifier=null]"},
		{"policy without identifier", weighted, "Invalid request: Missing field 'SetIdentifier' in Change with [Action=CREATE, Name=x.example.com, Type=A, SetIdentifier=null]"},
		{"two policies", twoPolicies, "Invalid request: Expected exactly one of [Weight, Region, Failover, GeoLocation, CidrRoutingConfig, GeoProximityLocation, or MultiValueAnswer], but found more than one in Change with [Action=CREATE, Name=x.example.com, Type=A, SetIdentifier=id]"},
		{"empty label", a("x..example.com", 300, "192.0.2.1"), `Invalid request: DNS name "x..example.com" has an empty label in Change with [Action=CREATE, Name=x..example.com, Type=A, SetIdentifier=null]`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, c := client(t, Options{})
			zoneID := e.CreateZone("example.com", ZoneOptions{})
			err := apply(c, zoneID, ch(types.ChangeActionCreate, tc.rs))
			var in *types.InvalidInput
			if !errors.As(err, &in) {
				t.Fatalf("got %v, want *types.InvalidInput", err)
			}
			if got := aws.ToString(in.Message); got != tc.want {
				t.Errorf("Message =\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

// TestChangesApplyAsAWSDoes covers the batches AWS accepts, and what a listing then shows.
func TestChangesApplyAsAWSDoes(t *testing.T) {
	weighted := func(id string, w int64, v string) *types.ResourceRecordSet {
		rs := a("w.example.com", 60, v)
		rs.SetIdentifier, rs.Weight = aws.String(id), aws.Int64(w)
		return rs
	}
	alias := &types.ResourceRecordSet{Name: aws.String("lb.example.com"), Type: types.RRTypeA, AliasTarget: &types.AliasTarget{
		HostedZoneId: aws.String("Z35SXDOTRQ7X7K"), DNSName: aws.String("My-LB-1.us-east-1.ELB.amazonaws.com"), EvaluateTargetHealth: true,
	}}
	tests := []struct {
		name    string
		batches [][]types.Change
		want    []string
	}{
		{
			name:    "create then upsert replaces",
			batches: [][]types.Change{{ch(types.ChangeActionCreate, a("x.example.com", 300, "192.0.2.1"))}, {ch(types.ChangeActionUpsert, a("x.example.com", 60, "192.0.2.2"))}},
			want:    []string{"x.example.com. A 60 [192.0.2.2]"},
		},
		{
			name: "delete and create of one set in one batch",
			batches: [][]types.Change{
				{ch(types.ChangeActionCreate, a("x.example.com", 300, "192.0.2.1"))},
				{ch(types.ChangeActionDelete, a("x.example.com", 300, "192.0.2.1")), ch(types.ChangeActionCreate, a("x.example.com", 300, "192.0.2.3"))},
			},
			want: []string{"x.example.com. A 300 [192.0.2.3]"},
		},
		{
			name: "A replaced by a CNAME in one batch",
			batches: [][]types.Change{
				{ch(types.ChangeActionCreate, a("x.example.com", 300, "192.0.2.1"))},
				{ch(types.ChangeActionDelete, a("x.example.com", 300, "192.0.2.1")), ch(types.ChangeActionCreate, rrs("x.example.com", types.RRTypeCname, 300, "y.example.net"))},
			},
			want: []string{"x.example.com. CNAME 300 [y.example.net]"},
		},
		{
			name:    "weighted sets share a name",
			batches: [][]types.Change{{ch(types.ChangeActionCreate, weighted("green", 1, "192.0.2.2")), ch(types.ChangeActionCreate, weighted("blue", 3, "192.0.2.1"))}},
			want:    []string{"w.example.com. A 60 [192.0.2.1] id=blue weight=3", "w.example.com. A 60 [192.0.2.2] id=green weight=1"},
		},
		{
			name:    "alias has no TTL; its target is stored lower case and absolute",
			batches: [][]types.Change{{ch(types.ChangeActionCreate, alias)}},
			want:    []string{"lb.example.com. A alias=Z35SXDOTRQ7X7K/my-lb-1.us-east-1.elb.amazonaws.com./true"},
		},
		{
			name:    "wildcard and unusual bytes are octal escaped",
			batches: [][]types.Change{{ch(types.ChangeActionCreate, a("*.Example.com", 300, "192.0.2.1")), ch(types.ChangeActionCreate, a("a b@.example.com", 300, "192.0.2.2"))}},
			want:    []string{`\052.example.com. A 300 [192.0.2.1]`, `a\040b\100.example.com. A 300 [192.0.2.2]`},
		},
		{
			name: "a name given escaped is the same set",
			batches: [][]types.Change{
				{ch(types.ChangeActionCreate, a("*.example.com", 300, "192.0.2.1"))},
				{ch(types.ChangeActionDelete, a(`\052.example.com.`, 300, "192.0.2.1"))},
			},
		},
		{
			name:    "apex NS can be upserted",
			batches: [][]types.Change{{ch(types.ChangeActionUpsert, rrs("example.com", types.RRTypeNs, 300, "ns1.example.net."))}},
			want:    []string{"example.com. NS 300 [ns1.example.net.]"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, c := client(t, Options{})
			zoneID := e.CreateZone("example.com", ZoneOptions{})
			for _, b := range tc.batches {
				mustApply(t, c, zoneID, b...)
			}
			sets, _ := listAll(t, c, zoneID, 100)
			var got []string
			for _, s := range sets {
				if (s.Type == types.RRTypeSoa || s.Type == types.RRTypeNs) && aws.ToString(s.Name) == "example.com." && aws.ToInt64(s.TTL) != 300 {
					continue
				}
				got = append(got, describeSet(s))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("zone holds\n%q\nwant\n%q", got, tc.want)
			}
			if sdk := e.RecordSets(zoneID); !slices.Equal(names(sdk), names(sets)) {
				t.Errorf("RecordSets = %v, listing = %v", names(sdk), names(sets))
			}
		})
	}
}

func describeSet(s types.ResourceRecordSet) string {
	out := fmt.Sprintf("%s %s", aws.ToString(s.Name), s.Type)
	if s.TTL != nil {
		out += fmt.Sprintf(" %d", *s.TTL)
	}
	if len(s.ResourceRecords) > 0 {
		var vals []string
		for _, r := range s.ResourceRecords {
			vals = append(vals, aws.ToString(r.Value))
		}
		out += fmt.Sprintf(" %v", vals)
	}
	if t := s.AliasTarget; t != nil {
		out += fmt.Sprintf(" alias=%s/%s/%v", aws.ToString(t.HostedZoneId), aws.ToString(t.DNSName), t.EvaluateTargetHealth)
	}
	if s.SetIdentifier != nil {
		out += " id=" + *s.SetIdentifier
	}
	if s.Weight != nil {
		out += fmt.Sprintf(" weight=%d", *s.Weight)
	}
	return out
}

func TestAtomicBatch(t *testing.T) {
	e, c := client(t, Options{})
	zoneID := e.CreateZone("example.com", ZoneOptions{})
	mustApply(t, c, zoneID, ch(types.ChangeActionCreate, a("keep.example.com", 300, "192.0.2.1")))
	before := e.RecordSets(zoneID)
	err := apply(c, zoneID,
		ch(types.ChangeActionCreate, a("new1.example.com", 300, "192.0.2.2")),
		ch(types.ChangeActionDelete, a("keep.example.com", 300, "192.0.2.1")),
		ch(types.ChangeActionCreate, a("keep.example.com", 300, "192.0.2.3")),
		ch(types.ChangeActionCreate, a("new1.example.com", 300, "192.0.2.4")),
	)
	var icb *types.InvalidChangeBatch
	if !errors.As(err, &icb) {
		t.Fatalf("got %v, want InvalidChangeBatch", err)
	}
	if got := e.RecordSets(zoneID); !slices.Equal(describeAll(got), describeAll(before)) {
		t.Errorf("zone after a rejected batch:\n%v\nwant\n%v", describeAll(got), describeAll(before))
	}
}

func describeAll(sets []types.ResourceRecordSet) []string {
	var out []string
	for _, s := range sets {
		out = append(out, describeSet(s))
	}
	return out
}

func TestPagination(t *testing.T) {
	e, c := client(t, Options{})
	zoneID := e.CreateZone("example.com", ZoneOptions{})
	var batch []types.Change
	for i := range 1200 {
		batch = append(batch, ch(types.ChangeActionCreate, a(fmt.Sprintf("h%04d.example.com", i), 300, "192.0.2.1")))
		if len(batch) == 1000 {
			mustApply(t, c, zoneID, batch...)
			batch = nil
		}
	}
	for i := range 5 {
		rs := a("w.example.com", 60, fmt.Sprintf("192.0.2.%d", i+1))
		rs.SetIdentifier, rs.Weight = aws.String(fmt.Sprintf("id%d", i)), aws.Int64(1)
		batch = append(batch, ch(types.ChangeActionCreate, rs))
	}
	mustApply(t, c, zoneID, batch...)
	want := names(e.RecordSets(zoneID))
	if len(want) != 1200+5+2 {
		t.Fatalf("zone holds %d sets, want 1207", len(want))
	}
	for _, tc := range []struct {
		pageSize  int32
		wantPages int
	}{{300, 5}, {1000, 5}, {2, 604}, {7, 173}} {
		got, pages := listAll(t, c, zoneID, tc.pageSize)
		if !slices.Equal(names(got), want) {
			t.Errorf("page size %d: listing differs from RecordSets", tc.pageSize)
		}
		if pages != tc.wantPages {
			t.Errorf("page size %d: %d pages, want %d (MaxItems is capped at 300)", tc.pageSize, pages, tc.wantPages)
		}
	}
}

func TestListOrder(t *testing.T) {
	e, c := client(t, Options{})
	zoneID := e.CreateZone("example.com", ZoneOptions{})
	mustApply(t, c, zoneID,
		ch(types.ChangeActionCreate, a("b.example.com", 300, "192.0.2.1")),
		ch(types.ChangeActionCreate, rrs("b.example.com", types.RRTypeAaaa, 300, "2001:db8::1")),
		ch(types.ChangeActionCreate, a("a.b.example.com", 300, "192.0.2.1")),
		ch(types.ChangeActionCreate, a("a-b.example.com", 300, "192.0.2.1")),
		ch(types.ChangeActionCreate, rrs("a.example.com", types.RRTypeTxt, 300, `"x"`)),
		ch(types.ChangeActionCreate, a("*.example.com", 300, "192.0.2.1")),
	)
	got, _ := listAll(t, c, zoneID, 300)
	want := []string{
		"example.com. NS", "example.com. SOA", `\052.example.com. A`, "a.example.com. TXT", "a-b.example.com. A",
		"b.example.com. A", "b.example.com. AAAA", "a.b.example.com. A",
	}
	if !slices.Equal(names(got), want) {
		t.Errorf("order\n%q\nwant\n%q", names(got), want)
	}
}

func TestZonesAndTags(t *testing.T) {
	e, c := client(t, Options{ListMaxItems: 2})
	ctx := context.Background()
	ids := []string{
		e.CreateZone("b.example.com", ZoneOptions{Tags: map[string]string{"team": "dns", "env": "prod"}, Comment: "b"}),
		e.CreateZone("example.com", ZoneOptions{}),
		e.CreateZone("example.org", ZoneOptions{Private: true, VPCRegion: "eu-west-1", VPCID: "vpc-1"}),
	}
	var listed []string
	in := &route53.ListHostedZonesInput{}
	for {
		page, err := c.ListHostedZones(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		for _, z := range page.HostedZones {
			listed = append(listed, aws.ToString(z.Id))
		}
		if !page.IsTruncated {
			break
		}
		in.Marker = page.NextMarker
	}
	if want := []string{"/hostedzone/" + ids[0], "/hostedzone/" + ids[1], "/hostedzone/" + ids[2]}; !slices.Equal(listed, want) {
		t.Errorf("ListHostedZones = %v, want %v", listed, want)
	}

	var byName []string
	bn := &route53.ListHostedZonesByNameInput{}
	for {
		page, err := c.ListHostedZonesByName(ctx, bn)
		if err != nil {
			t.Fatal(err)
		}
		for _, z := range page.HostedZones {
			byName = append(byName, aws.ToString(z.Name))
		}
		if !page.IsTruncated {
			break
		}
		bn.DNSName, bn.HostedZoneId = page.NextDNSName, page.NextHostedZoneId
	}
	if want := []string{"example.com.", "b.example.com.", "example.org."}; !slices.Equal(byName, want) {
		t.Errorf("ListHostedZonesByName = %v, want %v", byName, want)
	}

	pub, err := c.GetHostedZone(ctx, &route53.GetHostedZoneInput{Id: aws.String(ids[0])})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(pub.DelegationSet.NameServers); n != 4 || aws.ToInt64(pub.HostedZone.ResourceRecordSetCount) != 2 || aws.ToString(pub.HostedZone.Config.Comment) != "b" {
		t.Errorf("GetHostedZone(public) = %d name servers, %d sets, comment %q", n, aws.ToInt64(pub.HostedZone.ResourceRecordSetCount), aws.ToString(pub.HostedZone.Config.Comment))
	}
	priv, err := c.GetHostedZone(ctx, &route53.GetHostedZoneInput{Id: aws.String("/hostedzone/" + ids[2])})
	if err != nil {
		t.Fatal(err)
	}
	if !priv.HostedZone.Config.PrivateZone || len(priv.VPCs) != 1 || aws.ToString(priv.VPCs[0].VPCId) != "vpc-1" || priv.VPCs[0].VPCRegion != "eu-west-1" {
		t.Errorf("GetHostedZone(private) = %+v, VPCs %+v", priv.HostedZone.Config, priv.VPCs)
	}

	tags, err := c.ListTagsForResource(ctx, &route53.ListTagsForResourceInput{ResourceType: types.TagResourceTypeHostedzone, ResourceId: aws.String(ids[0])})
	if err != nil {
		t.Fatal(err)
	}
	if got := tagString(tags.ResourceTagSet.Tags); got != "env=prod,team=dns," {
		t.Errorf("tags = %s", got)
	}
	multi, err := c.ListTagsForResources(ctx, &route53.ListTagsForResourcesInput{ResourceType: types.TagResourceTypeHostedzone, ResourceIds: []string{ids[1], ids[0]}})
	if err != nil {
		t.Fatal(err)
	}
	if len(multi.ResourceTagSets) != 2 || aws.ToString(multi.ResourceTagSets[1].ResourceId) != ids[0] || tagString(multi.ResourceTagSets[1].Tags) != "env=prod,team=dns," {
		t.Errorf("ListTagsForResources = %+v", multi.ResourceTagSets)
	}

	e.DeleteZone(ids[0])
	_, err = c.GetHostedZone(ctx, &route53.GetHostedZoneInput{Id: aws.String(ids[0])})
	var nsz *types.NoSuchHostedZone
	if !errors.As(err, &nsz) {
		t.Errorf("GetHostedZone of a deleted zone: %v, want NoSuchHostedZone", err)
	}
	want := map[string]int{"ListHostedZones": 2, "ListHostedZonesByName": 2, "GetHostedZone": 3, "ListTagsForResource": 1, "ListTagsForResources": 1}
	if got := e.Calls(); !maps.Equal(got, want) {
		t.Errorf("Calls = %v, want %v", got, want)
	}
}

func tagString(tags []types.Tag) string {
	out := ""
	for _, t := range tags {
		out += aws.ToString(t.Key) + "=" + aws.ToString(t.Value) + ","
	}
	return out
}

func TestGetChange(t *testing.T) {
	e, c := client(t, Options{})
	ctx := context.Background()
	zoneID := e.CreateZone("example.com", ZoneOptions{})
	out, err := c.ChangeResourceRecordSets(ctx, &route53.ChangeResourceRecordSetsInput{
		HostedZoneId: aws.String(zoneID),
		ChangeBatch:  &types.ChangeBatch{Comment: aws.String("why"), Changes: []types.Change{ch(types.ChangeActionCreate, a("x.example.com", 300, "192.0.2.1"))}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if out.ChangeInfo.Status != types.ChangeStatusPending || out.ChangeInfo.SubmittedAt == nil || aws.ToString(out.ChangeInfo.Comment) != "why" {
		t.Errorf("ChangeInfo = %+v, want PENDING with SubmittedAt and the comment", out.ChangeInfo)
	}
	got, err := c.GetChange(ctx, &route53.GetChangeInput{Id: out.ChangeInfo.Id})
	if err != nil {
		t.Fatal(err)
	}
	if got.ChangeInfo.Status != types.ChangeStatusInsync || aws.ToString(got.ChangeInfo.Id) != aws.ToString(out.ChangeInfo.Id) {
		t.Errorf("GetChange = %+v, want INSYNC", got.ChangeInfo)
	}
	_, err = c.GetChange(ctx, &route53.GetChangeInput{Id: aws.String("CNOSUCHCHANGE")})
	var nsc *types.NoSuchChange
	if !errors.As(err, &nsc) {
		t.Errorf("GetChange of an unknown id: %v, want NoSuchChange", err)
	}
}

// TestFaults checks that faults come at their configured rates, deterministically for
// a seed, with AWS's codes as the SDK sees them.
func TestFaults(t *testing.T) {
	const calls = 1000
	tests := []struct {
		name string
		opts Options
		want map[string]float64
	}{
		{"throttling", Options{ThrottleRate: 0.2}, map[string]float64{FaultThrottling: 0.2}},
		{"server errors", Options{ServerErrorRate: 0.1}, map[string]float64{FaultInternalFailure: 0.1}},
		{"prior request", Options{PriorRequestRate: 0.3}, map[string]float64{FaultPriorRequestNotComplete: 0.3}},
		{"all at once", Options{ThrottleRate: 0.1, ServerErrorRate: 0.05, PriorRequestRate: 0.1, Seed: 42}, map[string]float64{FaultThrottling: 0.1, FaultInternalFailure: 0.05, FaultPriorRequestNotComplete: 0.1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			run := func() (map[string]int, map[string]int) {
				e, c := client(t, tc.opts)
				zoneID := e.CreateZone("example.com", ZoneOptions{})
				codes := map[string]int{}
				for i := range calls {
					err := apply(c, zoneID, ch(types.ChangeActionUpsert, a("x.example.com", 300, fmt.Sprintf("192.0.2.%d", i%250+1))))
					var apiErr smithy.APIError
					if errors.As(err, &apiErr) {
						codes[apiErr.ErrorCode()]++
					} else if err != nil {
						t.Fatalf("call %d: %v", i, err)
					}
				}
				if got := e.Calls()["ChangeResourceRecordSets"]; got != calls {
					t.Errorf("Calls = %d, want %d (faults included)", got, calls)
				}
				return e.Faults(), codes
			}
			faults, codes := run()
			for kind, rate := range tc.want {
				got := float64(faults[kind]) / calls
				if got < rate*0.75 || got > rate*1.25 {
					t.Errorf("%s: %d of %d calls, want about %.0f", kind, faults[kind], calls, rate*calls)
				}
				if codes[kind] != faults[kind] {
					t.Errorf("%s: SDK saw %d, Faults says %d", kind, codes[kind], faults[kind])
				}
			}
			if again, _ := run(); !maps.Equal(again, faults) {
				t.Errorf("same seed, different faults: %v then %v", faults, again)
			}
		})
	}
}

func TestSetFaultsAndReset(t *testing.T) {
	e, c := client(t, Options{})
	zoneID := e.CreateZone("example.com", ZoneOptions{})
	list := func() error {
		_, err := c.ListResourceRecordSets(context.Background(), &route53.ListResourceRecordSetsInput{HostedZoneId: aws.String(zoneID)})
		return err
	}
	if err := list(); err != nil {
		t.Fatal(err)
	}
	e.SetFaults(Options{ThrottleRate: 1})
	err := list()
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "Throttling" || apiErr.ErrorMessage() != "Rate exceeded" {
		t.Fatalf("with ThrottleRate 1: %v, want Throttling: Rate exceeded", err)
	}
	e.SetFaults(Options{ServerErrorRate: 1})
	err = list()
	var httpErr *awshttp.ResponseError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "InternalFailure" || !errors.As(err, &httpErr) || httpErr.HTTPStatusCode() != 500 {
		t.Fatalf("with ServerErrorRate 1: %v, want a server-side InternalFailure", err)
	}
	if got := e.Faults(); got[FaultThrottling] != 1 || got[FaultInternalFailure] != 1 {
		t.Errorf("Faults = %v", got)
	}
	e.ResetCounters()
	if len(e.Calls()) != 0 || len(e.Faults()) != 0 {
		t.Errorf("after ResetCounters: %v, %v", e.Calls(), e.Faults())
	}
}

// TestConcurrentClients runs writers and readers at once; under -race it shows the
// emulator safe for concurrent use, and the zone ends with every writer's sets.
func TestConcurrentClients(t *testing.T) {
	e, c := client(t, Options{})
	zoneID := e.CreateZone("example.com", ZoneOptions{})
	const writers, batches = 4, 10
	errs := make(chan error, writers*batches*2)
	done := make(chan struct{})
	for w := range writers {
		go func() {
			defer func() { done <- struct{}{} }()
			for b := range batches {
				errs <- apply(c, zoneID, ch(types.ChangeActionCreate, a(fmt.Sprintf("w%d-%d.example.com", w, b), 300, "192.0.2.1")))
				_, err := c.ListResourceRecordSets(context.Background(), &route53.ListResourceRecordSetsInput{HostedZoneId: aws.String(zoneID)})
				errs <- err
			}
		}()
	}
	for range writers {
		<-done
	}
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := len(e.RecordSets(zoneID)); got != writers*batches+2 {
		t.Errorf("zone holds %d sets, want %d", got, writers*batches+2)
	}
}
