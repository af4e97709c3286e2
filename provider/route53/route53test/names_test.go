package route53test

import (
	"strings"
	"testing"
)

func TestCanonicalName(t *testing.T) {
	tests := []struct {
		in, want, wantErr string
	}{
		{in: "Example.COM", want: "example.com."},
		{in: "example.com.", want: "example.com."},
		{in: "*.example.com", want: `\052.example.com.`},
		{in: `\052.example.com.`, want: `\052.example.com.`},
		{in: "_dmarc.my-host.example.com", want: "_dmarc.my-host.example.com."},
		{in: "a b@c.example.com", want: `a\040b\100c.example.com.`},
		{in: `a\.b.example.com`, want: `a\056b.example.com.`},
		{in: `a\056b.example.com`, want: `a\056b.example.com.`},
		{in: "ÄB.example.com", want: `\303\204b.example.com.`},
		{in: "", wantErr: "is empty"},
		{in: ".", wantErr: "is empty"},
		{in: "a..example.com", wantErr: "empty label"},
		{in: strings.Repeat("a", 64) + ".com", wantErr: "longer than 63"},
		{in: strings.Repeat(strings.Repeat("a", 63)+".", 4), wantErr: "longer than 255"},
	}
	for _, tc := range tests {
		got, err := canonicalName(tc.in)
		switch {
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("canonicalName(%q) error = %v, want one containing %q", tc.in, err, tc.wantErr)
		case tc.wantErr == "" && (err != nil || got != tc.want):
			t.Errorf("canonicalName(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestCompareNames(t *testing.T) {
	ordered := []string{"example.com.", `\052.example.com.`, "a.example.com.", "x.a.example.com.", "a-b.example.com.", "b.example.com.", "example.org."}
	for i := range ordered {
		for j := range ordered {
			got := compareNames(ordered[i], ordered[j])
			if (got < 0) != (i < j) || (got == 0) != (i == j) {
				t.Errorf("compareNames(%q, %q) = %d", ordered[i], ordered[j], got)
			}
		}
	}
}
