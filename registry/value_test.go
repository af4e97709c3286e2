package registry

import (
	"maps"
	"strings"
	"testing"

	"github.com/zonekeeper/zonekeeper/endpoint"
)

func TestFormatOwnership(t *testing.T) {
	tests := []struct {
		name   string
		labels endpoint.Labels
		want   string
	}{
		{"upstream value", endpoint.Labels{"resource": "service/default/web", "owner": "default"},
			`"heritage=external-dns,external-dns/owner=default,external-dns/resource=service/default/web"`},
		{"owner only", endpoint.Labels{"owner": "cluster-1"}, `"heritage=external-dns,external-dns/owner=cluster-1"`},
		{"keys sorted bytewise", endpoint.Labels{"b": "2", "A": "1", "a": "3"},
			`"heritage=external-dns,external-dns/A=1,external-dns/a=3,external-dns/b=2"`},
		{"no labels", nil, `"heritage=external-dns"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FormatOwnership(tt.labels); got != tt.want {
				t.Errorf("FormatOwnership = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestParseOwnership(t *testing.T) {
	tests := []struct {
		name   string
		value  string
		want   endpoint.Labels
		wantOK bool
	}{
		{"upstream value", `"heritage=external-dns,external-dns/owner=default,external-dns/resource=ingress/ns/web"`,
			endpoint.Labels{"owner": "default", "resource": "ingress/ns/web"}, true},
		{"without quotes", `heritage=external-dns,external-dns/owner=x`, endpoint.Labels{"owner": "x"}, true},
		{"quoted twice", `""heritage=external-dns,external-dns/owner=x""`, endpoint.Labels{"owner": "x"}, true},
		{"heritage not first", `"external-dns/owner=x,heritage=external-dns"`, endpoint.Labels{"owner": "x"}, true},
		{"missing heritage", `"external-dns/owner=x,external-dns/resource=service/a/b"`, nil, false},
		{"other heritage", `"heritage=someone-else,external-dns/owner=x"`, nil, false},
		{"second heritage differs", `"heritage=external-dns,heritage=other,external-dns/owner=x"`, nil, false},
		{"non-prefixed keys dropped", `"heritage=external-dns,owner=y,aws/weight=1,external-dns/owner=x"`,
			endpoint.Labels{"owner": "x"}, true},
		{"split on first =", `"heritage=external-dns,external-dns/resource=a=b=c"`,
			endpoint.Labels{"resource": "a=b=c"}, true},
		{"tokens without = skipped", `"heritage=external-dns,junk,,external-dns/owner=x"`,
			endpoint.Labels{"owner": "x"}, true},
		{"empty value", `"heritage=external-dns,external-dns/owner="`, endpoint.Labels{"owner": ""}, true},
		{"heritage only", `"heritage=external-dns"`, endpoint.Labels{}, true},
		{"plain SPF record", `"v=spf1 include:_spf.example.com ~all"`, nil, false},
		{"empty", ``, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ParseOwnership(tt.value)
			if ok != tt.wantOK || !maps.Equal(got, tt.want) {
				t.Fatalf("ParseOwnership(%s) = %v, %v; want %v, %v", tt.value, got, ok, tt.want, tt.wantOK)
			}
			if ok && got == nil {
				t.Error("accepted value returned nil labels")
			}
		})
	}
}

// An ownership value longer than one 255-byte character-string must read back after a
// provider splits it into strings and joins them again.
func TestOwnershipValueLongerThanOneTXTString(t *testing.T) {
	labels := endpoint.Labels{"owner": "default", "resource": "service/some-namespace/" + strings.Repeat("x", 250)}
	value := FormatOwnership(labels)
	strs := endpoint.TXTStrings(value)
	if len(strs) < 2 {
		t.Fatalf("value of %d bytes gave %d string(s), want it split", len(value), len(strs))
	}
	back := endpoint.TXTTarget(strs)
	if back != value {
		t.Fatalf("round trip changed the value:\n%s\n%s", back, value)
	}
	got, ok := ParseOwnership(back)
	if !ok || !maps.Equal(got, labels) {
		t.Errorf("ParseOwnership after round trip = %v, %v; want %v", got, ok, labels)
	}
}
