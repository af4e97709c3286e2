package bench

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestParseProcStat(t *testing.T) {
	// The first 17 fields of a real line; utime 1234 and stime 56 ticks.
	const tail = " S 1 1234 1234 0 -1 4194560 2000 0 0 0 1234 56 0 0 20 0 12 0"
	for _, tc := range []struct {
		name    string
		in      string
		want    time.Duration
		wantErr string
	}{
		{"plain", "4242 (zonekeeper)" + tail, 12900 * time.Millisecond, ""},
		{"command with spaces and parentheses", "4242 (a) b (c))" + tail, 12900 * time.Millisecond, ""},
		{"no command", "4242 zonekeeper S 1", 0, "no command name"},
		{"truncated", "4242 (zonekeeper) S 1 1234", 0, "want at least 13"},
		{"bad tick count", "4242 (zk) S 1 1 1 0 -1 0 0 0 0 0 x 56 0", 0, `CPU time "x"`},
		{"negative tick count", "4242 (zk) S 1 1 1 0 -1 0 0 0 0 0 -3 56 0", 0, `CPU time "-3"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseProcStat([]byte(tc.in))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ParseProcStat(%q) error = %v, want one containing %q", tc.in, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("ParseProcStat(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestParseProcStatus(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in      string
		want    map[string]int64
		wantErr bool
	}{
		{"sizes only", "Name:\tzk\nVmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\nThreads:\t9\n", map[string]int64{"VmHWM": 2 << 20, "VmRSS": 1 << 20}, false},
		{"empty", "", map[string]int64{}, false},
		{"bad size", "VmRSS:\t 1x kB\n", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseProcStatus([]byte(tc.in))
			if (err != nil) != tc.wantErr {
				t.Fatalf("error = %v, want error %v", err, tc.wantErr)
			}
			if tc.wantErr {
				return
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Errorf("%s = %d, want %d", k, got[k], v)
				}
			}
		})
	}
}

// TestOwnProcess reads this test's own /proc entries, so the parsers meet what the
// kernel really writes.
func TestOwnProcess(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	if _, err := ProcessCPU(os.Getpid()); err != nil {
		t.Error(err)
	}
	rss, err := ProcessRSS(os.Getpid())
	if err != nil || rss <= 0 {
		t.Errorf("ProcessRSS = %d, %v; want a positive size", rss, err)
	}
	// The kernel reports the peak as at least the current size within one read.
	status, err := ProcessStatus(os.Getpid())
	if err != nil || status["VmRSS"] <= 0 || status["VmHWM"] < status["VmRSS"] {
		t.Errorf("ProcessStatus: VmRSS %d, VmHWM %d, %v; want 0 < VmRSS ≤ VmHWM", status["VmRSS"], status["VmHWM"], err)
	}
	if _, err := ProcessStatus(-1); err == nil {
		t.Error("ProcessStatus of pid -1 succeeded")
	}
}

func FuzzParseProcStat(f *testing.F) {
	f.Add([]byte("4242 (zonekeeper) S 1 1234 1234 0 -1 4194560 2000 0 0 0 1234 56 0 0 20 0 12 0"))
	f.Add([]byte("1 ()) R 0 0 0 0 0 0 0 0 0 0 0 0 0"))
	f.Add([]byte(")"))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := ParseProcStat(data)
		if err == nil && d < 0 {
			t.Fatalf("ParseProcStat(%q) = %v, a negative CPU time", data, d)
		}
	})
}
