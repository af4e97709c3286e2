package endpoint

import "testing"

func TestParseTTL(t *testing.T) {
	tests := []struct {
		in   string
		want TTL
		ok   bool
	}{
		{"1", 1, true}, {" 300 ", 300, true}, {"1h", 3600, true}, {"1.9s", 1, true}, {"2147483647", 2147483647, true},
		{"0", 0, false}, {"0s", 0, false}, {"-1m", 0, false}, {"2147483648s", 0, false}, {"", 0, false}, {"1d", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseTTL(tt.in)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("ParseTTL(%q) = %d, %v; want %d, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}
