package endpoint

import (
	"fmt"
	"strings"
	"testing"
)

func TestNormalizeName(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  string // substring of the error; "" means no error
	}{
		{in: "", want: ""},
		{in: ".", want: ""},
		{in: "example.com", want: "example.com"},
		{in: "  app.example.com \t", want: "app.example.com"},
		{in: "app.example.com.", want: "app.example.com"},
		{in: " app.example.com. ", want: "app.example.com"},
		{in: "App.EXAMPLE.Com", want: "app.example.com"},
		{in: "Bücher.example.com", want: "xn--bcher-kva.example.com"},
		{in: "BÜCHER.example.com.", want: "xn--bcher-kva.example.com"},
		{in: "例え.テスト", want: "xn--r8jz45g.xn--zckzah"},
		{in: "WWW.bücher.DE", want: "www.xn--bcher-kva.de"},
		{in: "xn--bcher-kva.example.com", want: "xn--bcher-kva.example.com"},
		{in: "faß.de", want: "xn--fa-hia.de"}, // non-transitional: ß stays ß
		{in: "Ａpp.example.com", want: "app.example.com"},
		{in: "*.Example.com", want: "*.example.com"},
		{in: "_SRV._tcp.example.com", want: "_srv._tcp.example.com"},
		{in: "*.bücher._tcp.example", want: "*.xn--bcher-kva._tcp.example"},
		// NormalizeName leaves characters and lengths to ValidateName.
		{in: "a b.example.com", want: "a b.example.com"},
		{in: "a..b", want: "a..b"},
		{in: ".a", want: ".a"},
		// Only one trailing dot goes; what would be left is refused rather than returned.
		{in: "a..", wantErr: "ends with an empty label"},
		{in: "..", wantErr: "ends with an empty label"},
		{in: "a\u3002.", wantErr: "ends with an empty label"},
		{in: "bücher\u3002", want: "xn--bcher-kva"},
		{in: "Bücher\uff0eexample\uff61com", want: "xn--bcher-kva.example.com"},
		{in: "a\ufe52.", wantErr: "punycode"},
		{in: "a .", wantErr: "white space"},
		{in: "x\u00a0.", wantErr: "white space"},
		{in: "\u0300a.example.com", wantErr: "punycode"},
		{in: "a\u200db.example.com", wantErr: "punycode"},
		{in: "xn--ä.example.com", wantErr: "punycode"},
	}
	for _, tt := range tests {
		got, err := NormalizeName(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("NormalizeName(%q) = %q, %v; want error containing %q", tt.in, got, err, tt.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), fmt.Sprintf("%q", tt.in)) {
				t.Errorf("NormalizeName(%q) error %q does not name the input", tt.in, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("NormalizeName(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestNormalizeNameLoose(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Example.COM.", "example.com"},
		{"Bücher.example.com", "xn--bcher-kva.example.com"},
		{"\u0300A.Example.com.", "\u0300a.example.com"},
		{"A..", "a."},
	}
	for _, tt := range tests {
		if got := NormalizeNameLoose(tt.in); got != tt.want {
			t.Errorf("NormalizeNameLoose(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestValidateName(t *testing.T) {
	label := func(n int) string { return strings.Repeat("a", n) }
	// name builds a name of exactly n bytes from 63-byte labels.
	name := func(n int) string {
		var labels []string
		for n > 0 {
			l := min(n, MaxLabelLength)
			labels = append(labels, label(l))
			n -= l + 1
		}
		return strings.Join(labels, ".")
	}
	n253, n254 := name(253), name(254)
	if len(n253) != 253 || len(n254) != 254 {
		t.Fatalf("test helper: lengths %d and %d", len(n253), len(n254))
	}
	tests := []struct {
		name    string
		wantErr string
	}{
		{"example.com", ""},
		{"a", ""},
		{"*", ""},
		{"*.example.com", ""},
		{"_srv._tcp.example.com", ""},
		{"_dmarc.example.com", ""},
		{"a-b.example.com", ""},
		{"xn--bcher-kva.example.com", ""},
		{"123.example.com", ""},
		{label(63) + ".com", ""},
		{label(64) + ".com", "64 bytes long"},
		{n253, ""},
		{n254, "254 bytes long"},
		{"", "empty name"},
		{"a..b", "empty label"},
		{".a", "empty label"},
		{"a.", "empty label"},
		{"a.*.com", `"*" is only allowed as the leftmost label`},
		{"a.*", `"*" is only allowed`},
		{"**.example.com", "character '*'"},
		{"*a.example.com", "character '*'"},
		{"-a.example.com", "hyphen"},
		{"a-.example.com", "hyphen"},
		{"a.-.com", "hyphen"},
		{"Example.com", "character 'E'"},
		{"a b.com", "character ' '"},
		{"a/b.com", "character '/'"},
		{"bücher.com", "character"},
	}
	for _, tt := range tests {
		err := ValidateName(tt.name)
		if tt.wantErr == "" {
			if err != nil {
				t.Errorf("ValidateName(%q) = %v, want nil", tt.name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("ValidateName(%q) = %v, want error containing %q", tt.name, err, tt.wantErr)
		}
	}
}

func TestValidateTargets(t *testing.T) {
	tests := []struct {
		recordType string
		targets    Targets
		wantErr    string
	}{
		{RecordTypeA, Targets{"192.0.2.1"}, ""},
		{RecordTypeA, Targets{"192.0.2.1", "192.0.2.2"}, ""},
		{RecordTypeA, nil, "no targets"},
		{RecordTypeA, Targets{"2001:db8::1"}, "not an IPv4 address"},
		{RecordTypeA, Targets{"::ffff:192.0.2.1"}, "write it as 192.0.2.1"},
		{RecordTypeA, Targets{"192.0.2.1%eth0"}, "not an IPv4 address"},
		{RecordTypeA, Targets{"192.0.2.1", "example.com"}, `"example.com": not an IPv4 address`},
		{RecordTypeA, Targets{"192.0.2.256"}, "not an IPv4 address"},
		{RecordTypeAAAA, Targets{"2001:db8::1"}, ""},
		{RecordTypeAAAA, Targets{"2001:DB8:0::1"}, ""},
		{RecordTypeAAAA, Targets{"192.0.2.1"}, "not an IPv6 address"},
		{RecordTypeAAAA, Targets{"::ffff:192.0.2.1"}, "192.0.2.1 in an A record"},
		{RecordTypeAAAA, Targets{"fe80::1%eth0"}, "zone"},
		{RecordTypeCNAME, Targets{"lb.example.net"}, ""},
		{RecordTypeCNAME, Targets{"LB.Example.net."}, ""},
		{RecordTypeCNAME, Targets{"bücher.example"}, ""},
		{RecordTypeCNAME, Targets{"a.example.net", "b.example.net"}, "exactly one target, got 2"},
		{RecordTypeCNAME, Targets{"192.0.2.1"}, "an address where a host name is needed"},
		{RecordTypeCNAME, Targets{""}, "empty host name"},
		{RecordTypeCNAME, Targets{"a..b"}, "empty label"},
		{RecordTypeCNAME, Targets{"-a.example.net"}, "hyphen"},
		{RecordTypeNS, Targets{"ns1.example.net", "ns2.example.net"}, ""},
		{RecordTypeNS, Targets{"ns1.example.net", "2001:db8::1"}, "an address"},
		{RecordTypeMX, Targets{"10 mail.example.com"}, ""},
		{RecordTypeMX, Targets{"0 Mail.Example.com."}, ""},
		{RecordTypeMX, Targets{"mail.example.com"}, "preference host"},
		{RecordTypeMX, Targets{"10 mail.example.com extra"}, "preference host"},
		{RecordTypeMX, Targets{"65536 mail.example.com"}, "from 0 to 65535"},
		{RecordTypeMX, Targets{"-1 mail.example.com"}, "from 0 to 65535"},
		{RecordTypeMX, Targets{"10 192.0.2.1"}, "an address"},
		{RecordTypeSRV, Targets{"0 50 443 svc.example.com"}, ""},
		{RecordTypeSRV, Targets{"0 50 443"}, "priority weight port host"},
		{RecordTypeSRV, Targets{"0 50 70000 svc.example.com"}, `"70000" is not a number`},
		{RecordTypeSRV, Targets{"0 x 443 svc.example.com"}, `"x" is not a number`},
		{RecordTypeSRV, Targets{"0 50 443 bad_host..com"}, "empty label"},
		{RecordTypeTXT, Targets{`"heritage=external-dns"`}, ""},
		{RecordTypeTXT, Targets{"any thing at all"}, ""},
		{RecordTypeTXT, Targets{""}, "empty target"},
		{"LOC", Targets{"anything"}, ""},
		{"LOC", Targets{""}, "empty target"},
	}
	for _, tt := range tests {
		err := ValidateTargets(tt.recordType, tt.targets)
		if tt.wantErr == "" {
			if err != nil {
				t.Errorf("ValidateTargets(%s, %q) = %v, want nil", tt.recordType, tt.targets, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("ValidateTargets(%s, %q) = %v, want error containing %q", tt.recordType, tt.targets, err, tt.wantErr)
		}
	}
}

func TestTargetTypeOf(t *testing.T) {
	tests := []struct{ target, want string }{
		{"192.0.2.1", RecordTypeA},
		{"::ffff:192.0.2.1", RecordTypeA},
		{"2001:db8::1", RecordTypeAAAA},
		{"fe80::1%eth0", RecordTypeAAAA},
		{"::1", RecordTypeAAAA},
		{"lb.example.net", RecordTypeCNAME},
		{"192.0.2.256", RecordTypeCNAME},
		{"", RecordTypeCNAME},
	}
	for _, tt := range tests {
		if got := TargetTypeOf(tt.target); got != tt.want {
			t.Errorf("TargetTypeOf(%q) = %s, want %s", tt.target, got, tt.want)
		}
	}
}

func TestCanonicalTarget(t *testing.T) {
	tests := []struct{ recordType, target, want string }{
		{RecordTypeA, "192.0.2.1", "192.0.2.1"},
		{RecordTypeA, "::ffff:192.0.2.1", "192.0.2.1"},
		{RecordTypeAAAA, "2001:DB8:0::1", "2001:db8::1"},
		{RecordTypeAAAA, "2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"},
		{RecordTypeAAAA, "NOT-AN-ADDRESS", "not-an-address"},
		{RecordTypeCNAME, "LB.Example.NET.", "lb.example.net"},
		{RecordTypeCNAME, "Bücher.example", "xn--bcher-kva.example"},
		{RecordTypeNS, "NS1.Example.net.", "ns1.example.net"},
		{RecordTypeMX, "10  Mail.Example.com.", "10 mail.example.com"},
		{RecordTypeSRV, "0 50 443 SVC.example.com.", "0 50 443 svc.example.com"},
		{RecordTypeMX, "", ""},
		{RecordTypeTXT, `"Mixed Case"`, `"Mixed Case"`},
	}
	for _, tt := range tests {
		if got := CanonicalTarget(tt.recordType, tt.target); got != tt.want {
			t.Errorf("CanonicalTarget(%s, %q) = %q, want %q", tt.recordType, tt.target, got, tt.want)
		}
	}
}

func TestSameTargets(t *testing.T) {
	tests := []struct {
		recordType string
		a, b       Targets
		want       bool
	}{
		{RecordTypeA, nil, nil, true},
		{RecordTypeA, nil, Targets{"192.0.2.1"}, false},
		{RecordTypeA, Targets{"192.0.2.1"}, nil, false},
		{RecordTypeA, Targets{"192.0.2.1", "192.0.2.2"}, Targets{"192.0.2.2", "192.0.2.1"}, true},
		{RecordTypeA, Targets{"192.0.2.1", "192.0.2.1"}, Targets{"192.0.2.1"}, true},
		{RecordTypeA, Targets{"192.0.2.1"}, Targets{"192.0.2.1", "192.0.2.2"}, false},
		{RecordTypeA, Targets{"192.0.2.1", "192.0.2.2"}, Targets{"192.0.2.1", "192.0.2.1"}, false},
		{RecordTypeA, Targets{"::ffff:192.0.2.1"}, Targets{"192.0.2.1"}, true},
		{RecordTypeAAAA, Targets{"2001:DB8:0::1"}, Targets{"2001:db8::1"}, true},
		{RecordTypeAAAA, Targets{"2001:db8::1"}, Targets{"2001:db8::2"}, false},
		{RecordTypeCNAME, Targets{"LB.Example.net."}, Targets{"lb.example.net"}, true},
		{RecordTypeCNAME, Targets{"a.example.net"}, Targets{"b.example.net"}, false},
		{RecordTypeMX, Targets{"10 MX.example.com"}, Targets{"10 mx.example.com."}, true},
		{RecordTypeMX, Targets{"10 mx.example.com"}, Targets{"20 mx.example.com"}, false},
		{RecordTypeTXT, Targets{`"abc"`}, Targets{`"ABC"`}, false},
		{RecordTypeTXT, Targets{`"a"`, `"b"`}, Targets{`"b"`, `"a"`}, true},
	}
	for _, tt := range tests {
		if got := SameTargets(tt.recordType, tt.a, tt.b); got != tt.want {
			t.Errorf("SameTargets(%s, %q, %q) = %v, want %v", tt.recordType, tt.a, tt.b, got, tt.want)
		}
	}
}

func FuzzNormalizeName(f *testing.F) {
	for _, s := range []string{
		"", ".", "..", "a..", "a .", "example.com.", " App.Example.COM ", "Bücher.example.com",
		"例え.テスト", "*.bücher._tcp.example", "xn--bcher-kva.example.com", "x\u00a0.", "a\u3002.",
		"bücher\u3002", "\u0300a", "a\u200db", "xn--ä", "Ａpp", "faß.de", "a\u3002b.c",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		n, err := NormalizeName(name)
		if err != nil {
			return
		}
		again, err := NormalizeName(n)
		if err != nil || again != n {
			t.Fatalf("NormalizeName(%q) = %q, but NormalizeName(%q) = %q, %v", name, n, n, again, err)
		}
		if ValidateName(n) == nil && (!isASCII(n) || strings.ToLower(n) != n) {
			t.Fatalf("NormalizeName(%q) = %q: valid but not ASCII lower case", name, n)
		}
	})
}

func TestValidateOwnerName(t *testing.T) {
	tests := []struct {
		name    string
		wantErr bool
	}{
		{"a-*.apps.example.com", false},
		{"a-www.example.com", false},
		{"_zk-a.example.com", false},
		{"", true},
		{"a..example.com", true},
		{"a b.example.com", true},
		{`a"b.example.com`, true},
		{"a;b.example.com", true},
		{strings.Repeat("a", 64) + ".example.com", true},
		{strings.Repeat("a.", 127) + "com", true},
	}
	for _, tt := range tests {
		if err := ValidateOwnerName(tt.name); (err != nil) != tt.wantErr {
			t.Errorf("ValidateOwnerName(%q) = %v, want error %v", tt.name, err, tt.wantErr)
		}
	}
}
