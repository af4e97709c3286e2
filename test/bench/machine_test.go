package bench

import (
	"strings"
	"testing"
)

func TestParseCPUInfo(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"first model name wins", "processor\t: 0\nmodel name\t: AMD EPYC 7B13\nprocessor\t: 1\nmodel name\t: other\n", "AMD EPYC 7B13"},
		{"none (arm64 has no model name)", "processor\t: 0\nBogoMIPS\t: 50.00\n", "unknown CPU"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ParseCPUInfo([]byte(tc.in)); got != tc.want {
				t.Errorf("ParseCPUInfo = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestParseMemTotal(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in      string
		want    int64
		wantErr string
	}{
		{"kB", "MemTotal:       24684000 kB\nMemFree: 1 kB\n", 24684000 * 1024, ""},
		{"missing", "MemFree: 1 kB\n", 0, "no MemTotal"},
		{"not kB", "MemTotal: 12 MB\n", 0, `"12 MB"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseMemTotal([]byte(tc.in))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("ParseMemTotal = %d, %v; want %d", got, err, tc.want)
			}
		})
	}
}
