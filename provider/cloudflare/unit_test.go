package cloudflare

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zonekeeper/zonekeeper/endpoint"
)

func TestCharacterStringsRoundTrip(t *testing.T) {
	for _, target := range []string{
		`"heritage=external-dns,external-dns/owner=default"`,
		`""`,
		`"with \"quotes\" and \\ backslash"`,
		`"` + strings.Repeat("x", 255) + `"`,
		`"` + strings.Repeat("y", 600) + `"`,
	} {
		content := formatCharacterStrings(target)
		if got := endpoint.TXTTarget(parseCharacterStrings(content)); got != endpoint.TXTTarget(endpoint.TXTStrings(target)) {
			t.Errorf("%.40s…: round trip through %.60s… gave %.40s…", target, content, got)
		}
	}
	if got := parseCharacterStrings(`"ab" "cd"`); !slices.Equal(got, []string{"ab", "cd"}) {
		t.Errorf(`"ab" "cd" parsed as %q`, got)
	}
	if got := parseCharacterStrings(`v=spf1 -all`); !slices.Equal(got, []string{"v=spf1 -all"}) {
		t.Errorf("unquoted content parsed as %q", got)
	}
}

func TestAdjust(t *testing.T) {
	ep := func(typ string, ttl endpoint.TTL, props map[string]string, targets ...string) *endpoint.Endpoint {
		e := endpoint.New("app.example.com", typ, ttl, targets...)
		e.Refs = []endpoint.ObjectRef{{Kind: "service", Namespace: "ns", Name: "app"}}
		for k, v := range props {
			e.SetProperty(k, v)
		}
		return e
	}
	tests := []struct {
		name           string
		in             *endpoint.Endpoint
		defaultProxied bool
		comment        string
		want           string // "" when refused
		problem        string
		warning        bool
	}{
		{name: "plain", in: ep("A", 300, nil, "192.0.2.1"), want: "app.example.com 300 A 192.0.2.1 []"},
		{name: "default proxied", in: ep("A", 300, nil, "192.0.2.1"), defaultProxied: true,
			want: "app.example.com 1 A 192.0.2.1 [{cloudflare-proxied true}]"},
		{name: "default proxied skips TXT", in: ep("TXT", 0, nil, `"x"`), defaultProxied: true, want: `app.example.com TXT "x" []`},
		{name: "default proxied skips private", in: ep("A", 0, nil, "10.0.0.1"), defaultProxied: true, want: "app.example.com A 10.0.0.1 []"},
		{name: "annotation false beats default", in: ep("CNAME", 0, map[string]string{PropertyProxied: "false"}, "lb.example.net"), defaultProxied: true,
			want: "app.example.com CNAME lb.example.net []"},
		{name: "explicit proxied private refused", in: ep("A", 0, map[string]string{PropertyProxied: "true"}, "192.168.1.1"),
			problem: "not a public address"},
		{name: "explicit proxied MX refused", in: ep("MX", 0, map[string]string{PropertyProxied: "true"}, "10 mx.example.net"),
			problem: "not MX"},
		{name: "bad proxied value warns", in: ep("A", 0, map[string]string{PropertyProxied: "yes please"}, "192.0.2.1"),
			want: "app.example.com A 192.0.2.1 []", problem: "neither true nor false", warning: true},
		{name: "low TTL raised", in: ep("A", 30, nil, "192.0.2.1"), want: "app.example.com 60 A 192.0.2.1 []", problem: "below", warning: true},
		{name: "high TTL lowered", in: ep("A", 100000, nil, "192.0.2.1"), want: "app.example.com 86400 A 192.0.2.1 []", problem: "above", warning: true},
		{name: "default comment", in: ep("A", 0, nil, "192.0.2.1"), comment: "managed",
			want: "app.example.com A 192.0.2.1 [{cloudflare-record-comment managed}]"},
		{name: "own comment", in: ep("A", 0, map[string]string{PropertyComment: "mine"}, "192.0.2.1"), comment: "managed",
			want: "app.example.com A 192.0.2.1 [{cloudflare-record-comment mine}]"},
		{name: "tags sorted", in: ep("A", 0, map[string]string{PropertyTags: " team:b , env:a,team:b,"}, "192.0.2.1"),
			want: "app.example.com A 192.0.2.1 [{cloudflare-tags env:a,team:b}]"},
		{name: "bad tag", in: ep("A", 0, map[string]string{PropertyTags: "plain"}, "192.0.2.1"), problem: `tag "plain"`},
		{name: "foreign property dropped", in: ep("A", 0, map[string]string{"aws/weight": "1"}, "192.0.2.1"), want: "app.example.com A 192.0.2.1 []"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := tc.in.Clone()
			out, problems := adjustEndpoints([]*endpoint.Endpoint{tc.in}, tc.defaultProxied, tc.comment)
			var got string
			if len(out) == 1 {
				got = out[0].String() + " " + formatProps(out[0].ProviderSpecific)
			}
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
			if tc.in.String() != before.String() || !slices.Equal(tc.in.ProviderSpecific, before.ProviderSpecific) {
				t.Errorf("the input endpoint was modified")
			}
			switch {
			case tc.problem == "" && len(problems) > 0:
				t.Errorf("unexpected problems %v", problems)
			case tc.problem != "" && (len(problems) != 1 || !strings.Contains(problems[0].Error(), tc.problem) || problems[0].Warning != tc.warning):
				t.Errorf("problems %v, want one (warning %t) containing %q", problems, tc.warning, tc.problem)
			case tc.problem != "" && problems[0].Ref.Name != "app":
				t.Errorf("problem names %v, want the object", problems[0].Ref)
			}
		})
	}
}

func formatProps(ps endpoint.ProviderSpecific) string {
	var parts []string
	for _, p := range ps {
		parts = append(parts, "{"+p.Name+" "+p.Value+"}")
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func TestOperationName(t *testing.T) {
	tests := []struct{ method, path, want string }{
		{"GET", "/client/v4/zones", OperationZonesList},
		{"GET", "/client/v4/zones/abc/dns_records", OperationRecordsList},
		{"POST", "/client/v4/zones/abc/dns_records/batch", OperationRecordsBatch},
		{"PATCH", "/client/v4/zones/abc/dns_records/r1", OperationOther},
		{"GET", "/client/v4/user", OperationOther},
	}
	for _, tc := range tests {
		if got := operationName(tc.method, tc.path); got != tc.want {
			t.Errorf("%s %s: %q, want %q", tc.method, tc.path, got, tc.want)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
	}{{"3", 3 * time.Second}, {"0.5", 500 * time.Millisecond}, {"", defaultRetryAfter}, {"soon", defaultRetryAfter}}
	for _, tc := range tests {
		if got := retryAfter(tc.in); got != tc.want {
			t.Errorf("retryAfter(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		err  string
	}{
		{"token", Config{APIToken: "t"}, ""},
		{"key and email", Config{APIKey: "k", APIEmail: "e@example.com"}, ""},
		{"none", Config{}, "no credentials"},
		{"key without email", Config{APIKey: "k"}, "no credentials"},
		{"both", Config{APIToken: "t", APIKey: "k", APIEmail: "e"}, "keep one"},
		{"page too big", Config{APIToken: "t", RecordsPerPage: 5001}, "records per page"},
		{"batch too big", Config{APIToken: "t", BatchSize: 3501}, "batch size"},
	}
	for _, tc := range tests {
		_, err := validate(tc.cfg)
		if (err == nil) != (tc.err == "") || err != nil && !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.err)
		}
	}
}
