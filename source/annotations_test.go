package source

import (
	"strings"
	"testing"

	"github.com/zonekeeper/zonekeeper/endpoint"
)

func TestServiceAnnotations(t *testing.T) {
	const extraPrefix = "dns.example.org/"
	long := strings.Repeat("a", 64)
	tests := []struct {
		name         string
		annotations  map[string]string
		want         []string
		wantProblems []problemCheck
	}{
		{
			name:        "hostname under the alpha prefix",
			annotations: map[string]string{alphaPrefix + "hostname": "web.example.com"},
			want:        []string{"web.example.com A 192.0.2.10"},
		},
		{
			name:        "hostname under the current prefix",
			annotations: map[string]string{newPrefix + "hostname": "web.example.com"},
			want:        []string{"web.example.com A 192.0.2.10"},
		},
		{
			name:        "hostname under an extra prefix",
			annotations: map[string]string{extraPrefix + "hostname": "web.example.com"},
			want:        []string{"web.example.com A 192.0.2.10"},
		},
		{
			name:        "unknown prefix is not read",
			annotations: map[string]string{"other.example.org/hostname": "web.example.com"},
		},
		{
			name: "current prefix wins over alpha, with a warning naming both keys",
			annotations: map[string]string{
				alphaPrefix + "hostname": "old.example.com",
				newPrefix + "hostname":   "new.example.com",
			},
			want:         []string{"new.example.com A 192.0.2.10"},
			wantProblems: []problemCheck{warning(newPrefix+"hostname", alphaPrefix+"hostname", "old.example.com", "new.example.com")},
		},
		{
			name: "both prefixes agreeing is no conflict",
			annotations: map[string]string{
				alphaPrefix + "hostname": "web.example.com",
				newPrefix + "hostname":   "web.example.com",
			},
			want: []string{"web.example.com A 192.0.2.10"},
		},
		{
			name: "extra prefix wins over both",
			annotations: map[string]string{
				alphaPrefix + "ttl":    "60",
				newPrefix + "ttl":      "60",
				extraPrefix + "ttl":    "120",
				newPrefix + "hostname": "web.example.com",
			},
			want: []string{"web.example.com 120 A 192.0.2.10"},
			wantProblems: []problemCheck{
				warning(extraPrefix+"ttl", newPrefix+"ttl"),
				warning(extraPrefix+"ttl", alphaPrefix+"ttl"),
			},
		},
		{
			name: "an empty value is absent, so the alpha value counts",
			annotations: map[string]string{
				alphaPrefix + "hostname": "web.example.com",
				newPrefix + "hostname":   " ",
			},
			want: []string{"web.example.com A 192.0.2.10"},
		},
		{
			name:        "hostname list: spaces, one trailing dot, empty entries",
			annotations: map[string]string{newPrefix + "hostname": " b.example.com. ,, a.example.com ,"},
			want:        []string{"a.example.com A 192.0.2.10", "b.example.com A 192.0.2.10"},
		},
		{
			name:        "hostname is lower-cased and IDN becomes punycode",
			annotations: map[string]string{newPrefix + "hostname": "Bücher.Example.COM"},
			want:        []string{"xn--bcher-kva.example.com A 192.0.2.10"},
		},
		{
			name:         "64-byte label is an error naming annotation and value",
			annotations:  map[string]string{alphaPrefix + "hostname": "ok.example.com," + long + ".example.com"},
			wantProblems: []problemCheck{failure(alphaPrefix+"hostname", long+".example.com", "64 bytes")},
		},
		{
			name:         "invalid character in hostname",
			annotations:  map[string]string{newPrefix + "hostname": "we b.example.com"},
			wantProblems: []problemCheck{failure(newPrefix+"hostname", "we b.example.com")},
		},
		{
			name:        "target annotation IPv4 and IPv6",
			annotations: map[string]string{newPrefix + "hostname": "web.example.com", newPrefix + "target": "198.51.100.1, 2001:DB8::1,198.51.100.1"},
			want:        []string{"web.example.com A 198.51.100.1", "web.example.com AAAA 2001:db8::1"},
		},
		{
			name:        "target annotation host name is a CNAME, normalised",
			annotations: map[string]string{alphaPrefix + "hostname": "web.example.com", alphaPrefix + "target": "LB.example.net."},
			want:        []string{"web.example.com CNAME lb.example.net"},
		},
		{
			name:        "IPv4-mapped IPv6 target is an A record",
			annotations: map[string]string{newPrefix + "hostname": "web.example.com", newPrefix + "target": "::ffff:198.51.100.1"},
			want:        []string{"web.example.com A 198.51.100.1"},
		},
		{
			name:         "two host name targets: a CNAME has one target",
			annotations:  map[string]string{newPrefix + "hostname": "web.example.com", newPrefix + "target": "a.example.net,b.example.net"},
			wantProblems: []problemCheck{failure(newPrefix+"target", "a.example.net", "b.example.net", "CNAME")},
		},
		{
			name:         "invalid target host name",
			annotations:  map[string]string{newPrefix + "hostname": "web.example.com", newPrefix + "target": "-bad.example.net"},
			wantProblems: []problemCheck{failure(newPrefix+"target", "-bad.example.net")},
		},
		{
			name:         "address with a zone cannot be a target",
			annotations:  map[string]string{newPrefix + "hostname": "web.example.com", newPrefix + "target": "fe80::1%eth0"},
			wantProblems: []problemCheck{failure(newPrefix+"target", "fe80::1%eth0")},
		},
		{
			name:        "ttl in seconds",
			annotations: map[string]string{newPrefix + "hostname": "web.example.com", newPrefix + "ttl": "60"},
			want:        []string{"web.example.com 60 A 192.0.2.10"},
		},
		{
			name:        "ttl as a duration",
			annotations: map[string]string{newPrefix + "hostname": "web.example.com", alphaPrefix + "ttl": "1m"},
			want:        []string{"web.example.com 60 A 192.0.2.10"},
		},
		{
			name:        "ttl fractional duration is truncated",
			annotations: map[string]string{newPrefix + "hostname": "web.example.com", newPrefix + "ttl": "1.5s"},
			want:        []string{"web.example.com 1 A 192.0.2.10"},
		},
		{
			name:        "ttl at the maximum",
			annotations: map[string]string{newPrefix + "hostname": "web.example.com", newPrefix + "ttl": "2147483647"},
			want:        []string{"web.example.com 2147483647 A 192.0.2.10"},
		},
		{
			name:         "ttl zero is ignored with a warning",
			annotations:  map[string]string{newPrefix + "hostname": "web.example.com", newPrefix + "ttl": "0"},
			want:         []string{"web.example.com A 192.0.2.10"},
			wantProblems: []problemCheck{warning(newPrefix+"ttl", `"0"`)},
		},
		{
			name:         "ttl negative",
			annotations:  map[string]string{newPrefix + "hostname": "web.example.com", newPrefix + "ttl": "-5"},
			want:         []string{"web.example.com A 192.0.2.10"},
			wantProblems: []problemCheck{warning(newPrefix+"ttl", `"-5"`)},
		},
		{
			name:         "ttl above the maximum",
			annotations:  map[string]string{newPrefix + "hostname": "web.example.com", newPrefix + "ttl": "2147483648"},
			want:         []string{"web.example.com A 192.0.2.10"},
			wantProblems: []problemCheck{warning(newPrefix+"ttl", `"2147483648"`)},
		},
		{
			name:         "ttl beyond int64",
			annotations:  map[string]string{newPrefix + "hostname": "web.example.com", newPrefix + "ttl": "99999999999999999999"},
			want:         []string{"web.example.com A 192.0.2.10"},
			wantProblems: []problemCheck{warning(newPrefix+"ttl", "out of range")},
		},
		{
			name:         "ttl sub-second duration",
			annotations:  map[string]string{newPrefix + "hostname": "web.example.com", newPrefix + "ttl": "500ms"},
			want:         []string{"web.example.com A 192.0.2.10"},
			wantProblems: []problemCheck{warning(newPrefix+"ttl", `"500ms"`)},
		},
		{
			name:         "ttl garbage",
			annotations:  map[string]string{newPrefix + "hostname": "web.example.com", alphaPrefix + "ttl": "soon"},
			want:         []string{"web.example.com A 192.0.2.10"},
			wantProblems: []problemCheck{warning(alphaPrefix+"ttl", `"soon"`)},
		},
		{
			name:        "controller dns-controller keeps the object",
			annotations: map[string]string{newPrefix + "hostname": "web.example.com", newPrefix + "controller": "dns-controller"},
			want:        []string{"web.example.com A 192.0.2.10"},
		},
		{
			name: "another controller: ignored without problems, even with bad annotations",
			annotations: map[string]string{
				alphaPrefix + "hostname": "web.example.com", alphaPrefix + "controller": "someone-else",
				newPrefix + "ttl": "bad", newPrefix + "alias": "bad",
			},
		},
		{
			name:        "set-identifier",
			annotations: map[string]string{newPrefix + "hostname": "web.example.com", alphaPrefix + "set-identifier": "eu-west"},
			want:        []string{"web.example.com A 192.0.2.10 [eu-west]"},
		},
		{
			name:        "alias true",
			annotations: map[string]string{newPrefix + "hostname": "web.example.com", newPrefix + "alias": "true"},
			want:        []string{"web.example.com A 192.0.2.10 {alias=true}"},
		},
		{
			// external-dns sets the alias property for "true" only (source/annotations/processors.go).
			name:         "alias AAAA sets no alias, with a warning",
			annotations:  map[string]string{newPrefix + "hostname": "web.example.com", alphaPrefix + "alias": "AAAA"},
			want:         []string{"web.example.com A 192.0.2.10"},
			wantProblems: []problemCheck{warning(`"AAAA" ignored: only "true" asks for an alias`)},
		},
		{
			// external-dns sets the alias property for "true" only (source/annotations/processors.go).
			name:         "alias A sets no alias, with a warning",
			annotations:  map[string]string{newPrefix + "hostname": "web.example.com", newPrefix + "alias": "A"},
			want:         []string{"web.example.com A 192.0.2.10"},
			wantProblems: []problemCheck{warning(`"A" ignored: only "true" asks for an alias`)},
		},
		{
			name:        "alias false",
			annotations: map[string]string{newPrefix + "hostname": "web.example.com", newPrefix + "alias": "false"},
			want:        []string{"web.example.com A 192.0.2.10"},
		},
		{
			name:         "alias invalid",
			annotations:  map[string]string{newPrefix + "hostname": "web.example.com", newPrefix + "alias": "yes"},
			wantProblems: []problemCheck{failure(newPrefix+"alias", `"yes"`)},
		},
		{
			name: "aws and cloudflare properties, sorted",
			annotations: map[string]string{
				newPrefix + "hostname":                    "web.example.com",
				newPrefix + "cloudflare-proxied":          "true",
				alphaPrefix + "aws-weight":                "10",
				extraPrefix + "cloudflare-tags":           "a,b",
				newPrefix + "aws-failover":                "PRIMARY",
				alphaPrefix + "cloudflare-record-comment": "hi",
				newPrefix + "aws-":                        "ignored",
				newPrefix + "unknown-key":                 "ignored",
			},
			want: []string{"web.example.com A 192.0.2.10 {aws/failover=PRIMARY aws/weight=10 cloudflare-proxied=true cloudflare-record-comment=hi cloudflare-tags=a,b}"},
		},
		{
			name: "access and endpoints-type are read only where they apply",
			annotations: map[string]string{
				newPrefix + "hostname": "web.example.com", newPrefix + "access": "private", newPrefix + "endpoints-type": "HostIP",
			},
			want: []string{"web.example.com A 192.0.2.10"},
		},
	}
	o := mustCompile(t, Config{AnnotationPrefixes: []string{"dns.example.org"}})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eps, problems := ServiceEndpoints(lbService(tt.annotations), o, nil)
			checkResult(t, eps, problems, tt.want, tt.wantProblems)
		})
	}
}

func TestEndpointFields(t *testing.T) {
	o := mustCompile(t, Config{})
	eps, problems := ServiceEndpoints(lbService(map[string]string{newPrefix + "hostname": "web.example.com", newPrefix + "ttl": "30"}), o, nil)
	if len(problems) != 0 || len(eps) != 1 {
		t.Fatalf("got %v, %v", eps, problems)
	}
	want := endpoint.ObjectRef{Kind: "service", Namespace: "prod", Name: "web"}
	if eps[0].Refs[0] != want || eps[0].RecordTTL != 30 {
		t.Errorf("got ref %+v ttl %d, want %+v ttl 30", eps[0].Refs[0], eps[0].RecordTTL, want)
	}
}
