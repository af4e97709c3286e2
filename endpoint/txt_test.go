package endpoint

import (
	"slices"
	"strings"
	"testing"
)

func TestTXTStrings(t *testing.T) {
	long := func(n int) string { return strings.Repeat("x", n) }
	tests := []struct {
		target string
		want   []string
	}{
		{``, []string{""}},
		{`""`, []string{""}},
		{`"heritage=external-dns"`, []string{"heritage=external-dns"}},
		{`unquoted`, []string{"unquoted"}},
		{`"`, []string{`"`}},
		{`""quoted twice""`, []string{`"quoted twice"`}},
		{`"` + long(255) + `"`, []string{long(255)}},
		{`"` + long(256) + `"`, []string{long(255), "x"}},
		{`"` + long(600) + `"`, []string{long(255), long(255), long(90)}},
		{long(510), []string{long(255), long(255)}},
	}
	for _, tt := range tests {
		got := TXTStrings(tt.target)
		if !slices.Equal(got, tt.want) {
			t.Errorf("TXTStrings(%.20q… %d bytes) = %d strings %v, want %d strings", tt.target, len(tt.target), len(got), lens(got), len(tt.want))
		}
	}
}

func lens(strs []string) []int {
	out := make([]int, len(strs))
	for i, s := range strs {
		out[i] = len(s)
	}
	return out
}

func TestTXTRoundTrip(t *testing.T) {
	for _, n := range []int{0, 1, 254, 255, 256, 509, 510, 511, 600} {
		value := strings.Repeat("ab", n)[:n]
		target := `"` + value + `"`
		strs := TXTStrings(target)
		for i, s := range strs {
			if len(s) > 255 {
				t.Errorf("%d bytes: string %d is %d bytes long", n, i, len(s))
			}
		}
		if got := TXTTarget(strs); got != target {
			t.Errorf("%d bytes: TXTTarget(TXTStrings(t)) = %.20q…, want %.20q…", n, got, target)
		}
	}
}

func TestTXTTarget(t *testing.T) {
	tests := []struct {
		strs []string
		want string
	}{
		{nil, `""`},
		{[]string{""}, `""`},
		{[]string{"a", "b", "c"}, `"abc"`},
		{[]string{"heritage=external-dns,external-dns/owner=default"}, `"heritage=external-dns,external-dns/owner=default"`},
	}
	for _, tt := range tests {
		if got := TXTTarget(tt.strs); got != tt.want {
			t.Errorf("TXTTarget(%q) = %q, want %q", tt.strs, got, tt.want)
		}
	}
}

func TestUnquote(t *testing.T) {
	tests := []struct{ in, want string }{
		{``, ``},
		{`"`, `"`},
		{`""`, ``},
		{`"a"`, `a`},
		{`"a`, `"a`},
		{`a"`, `a"`},
		{`""a""`, `"a"`},
		{`a`, `a`},
	}
	for _, tt := range tests {
		if got := Unquote(tt.in); got != tt.want {
			t.Errorf("Unquote(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
