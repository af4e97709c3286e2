package bench

import (
	"maps"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53/types"
)

func TestRoute53CreateLoad(t *testing.T) {
	set := func(typ types.RRType, values ...string) types.ResourceRecordSet {
		s := types.ResourceRecordSet{Name: aws.String("x.bench.example."), Type: typ}
		for _, v := range values {
			s.ResourceRecords = append(s.ResourceRecords, types.ResourceRecord{Value: aws.String(v)})
		}
		return s
	}
	got := Route53CreateLoad([]types.ResourceRecordSet{
		set(types.RRTypeSoa, "ns-1.awsdns-00.com. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400"),
		set(types.RRTypeNs, "ns-1.awsdns-00.com.", "ns-2.awsdns-00.net."),
		set(types.RRTypeA, "192.0.2.1", "192.0.2.2"),
		set(types.RRTypeTxt, `"heritage=external-dns"`),
	})
	if want := (Route53Load{Changes: 2, Values: 3, Chars: 18 + 23}); got != want {
		t.Errorf("Route53CreateLoad = %+v, want %+v (SOA and NS left out)", got, want)
	}
}

func TestRoute53LoadLeastCalls(t *testing.T) {
	for _, tc := range []struct {
		name                    string
		load                    Route53Load
		byChanges, byChars, min int
	}{
		{"nothing", Route53Load{}, 0, 0, 0},
		{"one change", Route53Load{Changes: 1, Values: 1, Chars: 9}, 1, 1, 1},
		{"changes bind", Route53Load{Changes: 2000, Values: 2000, Chars: 20000}, 2, 1, 2},
		{"exactly full", Route53Load{Changes: 1000, Values: 1000, Chars: 32000}, 1, 1, 1},
		{"one over", Route53Load{Changes: 1001, Values: 1001, Chars: 32001}, 2, 2, 2},
		// N=1,000 benchmark Ingresses: an A of 9 characters and a TXT of about 108 each.
		{"characters bind", Route53Load{Changes: 2000, Values: 2000, Chars: 116890}, 2, 4, 4},
		{"values bind", Route53Load{Changes: 10, Values: 2500, Chars: 100}, 1, 1, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.load.ByChanges(); got != tc.byChanges {
				t.Errorf("ByChanges = %d, want %d", got, tc.byChanges)
			}
			if got := tc.load.ByChars(); got != tc.byChars {
				t.Errorf("ByChars = %d, want %d", got, tc.byChars)
			}
			if got := tc.load.LeastCalls(); got != tc.min {
				t.Errorf("LeastCalls = %d, want %d", got, tc.min)
			}
		})
	}
}

func TestMedianCalls(t *testing.T) {
	for _, tc := range []struct {
		name string
		runs []map[string]int
		want map[string]float64
	}{
		{"no runs", nil, map[string]float64{}},
		{"one run", []map[string]int{{"a": 2, "b": 1}}, map[string]float64{"a": 2, "b": 1}},
		{"missing counts 0", []map[string]int{{"a": 3}, {"a": 1, "b": 4}, {"a": 2}}, map[string]float64{"a": 2}},
		{"even runs average", []map[string]int{{"a": 1, "b": 1}, {"a": 2}}, map[string]float64{"a": 1.5, "b": 0.5}},
		{"zero counts dropped", []map[string]int{{"a": 0}}, map[string]float64{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := medianCalls(tc.runs); !maps.Equal(got, tc.want) {
				t.Errorf("medianCalls = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestFormatCalls(t *testing.T) {
	for _, tc := range []struct {
		calls map[string]float64
		want  string
	}{
		{nil, "no calls"},
		{map[string]float64{"ListHostedZones": 1}, "ListHostedZones 1"},
		{map[string]float64{"ListResourceRecordSets": 7, "ChangeResourceRecordSets": 4, "ListHostedZones": 1},
			"ChangeResourceRecordSets 4, ListHostedZones 1, ListResourceRecordSets 7"},
		{map[string]float64{"dns_records.batch": 10.5}, "dns_records.batch 10.5"},
	} {
		if got := formatCalls(tc.calls); got != tc.want {
			t.Errorf("formatCalls(%v) = %q, want %q", tc.calls, got, tc.want)
		}
	}
}

func TestCountNames(t *testing.T) {
	records := [][2]string{
		{"A", "app-0.bench.example"}, {"A", "app-0.bench.example"}, // two values, one name
		{"A", "app-1.bench.example"},
		{"TXT", "a-app-0.bench.example"},
		{"SOA", "bench.example"}, {"NS", "bench.example"}, {"AAAA", "app-0.bench.example"},
	}
	got := countNames(func(yield func(typ, name string) bool) {
		for _, r := range records {
			if !yield(r[0], r[1]) {
				return
			}
		}
	})
	if want := (NameCount{A: 2, TXT: 1}); got != want {
		t.Errorf("countNames = %+v, want %+v", got, want)
	}
}
