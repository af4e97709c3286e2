package providertest

import (
	"errors"
	"slices"
	"testing"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/provider"
)

func TestDiffRecords(t *testing.T) {
	rec := func(name, recordType string, ttl endpoint.TTL, targets ...string) *endpoint.Endpoint {
		return endpoint.New(name, recordType, ttl, targets...)
	}
	tests := []struct {
		name      string
		want, got []*endpoint.Endpoint
		match     match
		diffs     []string
	}{
		{name: "equal, target order ignored",
			want: []*endpoint.Endpoint{rec("a.example.com", "A", 60, "192.0.2.1", "192.0.2.2")},
			got:  []*endpoint.Endpoint{rec("a.example.com", "A", 60, "192.0.2.2", "192.0.2.1")}},
		{name: "unset TTL accepts the provider's default",
			want: []*endpoint.Endpoint{rec("a.example.com", "A", 0, "192.0.2.1")},
			got:  []*endpoint.Endpoint{rec("a.example.com", "A", 300, "192.0.2.1")}},
		{name: "read TTL 0 is compared when comparing as read", match: asRead,
			want:  []*endpoint.Endpoint{rec("a.example.com", "A", 0, "192.0.2.1")},
			got:   []*endpoint.Endpoint{rec("a.example.com", "A", 300, "192.0.2.1")},
			diffs: []string{"a.example.com A: TTL is 300, want 0"}},
		{name: "TTL differs",
			want:  []*endpoint.Endpoint{rec("a.example.com", "A", 60, "192.0.2.1")},
			got:   []*endpoint.Endpoint{rec("a.example.com", "A", 61, "192.0.2.1")},
			diffs: []string{"a.example.com A: TTL is 61, want 60"}},
		{name: "host names compared as the planner does",
			want: []*endpoint.Endpoint{rec("w.example.com", "CNAME", 0, "LB.example.net"), rec("v.example.com", "AAAA", 0, "2001:db8:0::1")},
			got:  []*endpoint.Endpoint{rec("w.example.com", "CNAME", 0, "lb.example.net."), rec("v.example.com", "AAAA", 0, "2001:db8::1")}},
		{name: "host names byte for byte as read", match: asRead,
			want:  []*endpoint.Endpoint{rec("w.example.com", "CNAME", 0, "lb.example.net")},
			got:   []*endpoint.Endpoint{rec("w.example.com", "CNAME", 0, "lb.example.net.")},
			diffs: []string{`w.example.com CNAME: targets are ["lb.example.net."], want ["lb.example.net"]`}},
		{name: "TXT is case-sensitive",
			want:  []*endpoint.Endpoint{rec("t.example.com", "TXT", 0, `"Value"`)},
			got:   []*endpoint.Endpoint{rec("t.example.com", "TXT", 0, `"value"`)},
			diffs: []string{`t.example.com TXT: targets are ["\"value\""], want ["\"Value\""]`}},
		{name: "a duplicate target is a difference",
			want:  []*endpoint.Endpoint{rec("a.example.com", "A", 0, "192.0.2.1", "192.0.2.2")},
			got:   []*endpoint.Endpoint{rec("a.example.com", "A", 0, "192.0.2.1", "192.0.2.1")},
			diffs: []string{`a.example.com A: targets are ["192.0.2.1" "192.0.2.1"], want ["192.0.2.1" "192.0.2.2"]`}},
		{name: "missing, unexpected and twice",
			want: []*endpoint.Endpoint{rec("a.example.com", "A", 0, "192.0.2.1"), rec("b.example.com", "A", 0, "192.0.2.2")},
			got:  []*endpoint.Endpoint{rec("a.example.com", "A", 0, "192.0.2.1"), rec("a.example.com", "A", 0, "192.0.2.1"), rec("a.example.com", "AAAA", 0, "2001:db8::1")},
			diffs: []string{
				"a.example.com A is listed twice by Records",
				"missing b.example.com A 192.0.2.2",
				"unexpected a.example.com AAAA 2001:db8::1",
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := diffRecords(tt.want, tt.got, tt.match)
			if !slices.Equal(got, tt.diffs) {
				t.Errorf("diffRecords =\n%q\nwant\n%q", got, tt.diffs)
			}
		})
	}
}

func TestDiffLists(t *testing.T) {
	tests := []struct {
		want, got, diffs []string
	}{
		{want: []string{"a", "b"}, got: []string{"a", "b"}},
		{want: []string{"a", "b"}, got: []string{"a"}, diffs: []string{"missing b"}},
		{want: []string{"a"}, got: []string{"a", "a"}, diffs: []string{"unexpected a"}},
		{want: []string{"a", "a"}, got: []string{"a", "c"}, diffs: []string{"missing a", "unexpected c"}},
	}
	for _, tt := range tests {
		got := slices.Clone(tt.got)
		if d := diffLists(tt.want, got); !slices.Equal(d, tt.diffs) {
			t.Errorf("diffLists(%q, %q) = %q, want %q", tt.want, tt.got, d, tt.diffs)
		}
		if !slices.Equal(got, tt.got) {
			t.Errorf("diffLists modified got: %q", got)
		}
	}
}

func TestDiffProblems(t *testing.T) {
	refused := errors.New("refused")
	problem := func(name string) endpoint.Problem {
		return endpoint.Problem{Ref: endpoint.ObjectRef{Kind: "service", Namespace: "ns", Name: "o"}, DNSName: name, Err: refused}
	}
	tests := []struct {
		name      string
		wantNames []string
		problems  []endpoint.Problem
		diffs     int
	}{
		{name: "none expected, none reported"},
		{name: "expected and reported twice", wantNames: []string{"a.example.com"}, problems: []endpoint.Problem{problem("a.example.com"), problem("a.example.com")}},
		{name: "expected, not reported", wantNames: []string{"a.example.com"}, diffs: 1},
		{name: "reported, not expected", problems: []endpoint.Problem{problem("b.example.com")}, diffs: 1},
	}
	for _, tt := range tests {
		if d := diffProblems(tt.wantNames, tt.problems); len(d) != tt.diffs {
			t.Errorf("%s: diffProblems = %q, want %d differences", tt.name, d, tt.diffs)
		}
	}
}

func TestDescribeChange(t *testing.T) {
	old := endpoint.New("a.example.com", "A", 0, "192.0.2.1")
	txt := endpoint.New("a-a.example.com", "TXT", 0, `"x"`)
	c := provider.Change{Primary: 1, Records: []provider.RecordChange{remove(txt), remove(old)}}
	if got, want := describeChange(c), "delete a.example.com A"; got != want {
		t.Errorf("describeChange = %q, want %q", got, want)
	}
}
