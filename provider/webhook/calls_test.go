package webhook

import (
	"fmt"
	"testing"
	"time"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/provider"
	"github.com/zonekeeper/zonekeeper/provider/inmemory"
)

// TestCallsPerReconcile counts the requests of a cold and of a no-change reconcile over
// three zones: one GET /records serves every zone, and the daemon's cache reads nothing
// when nothing changed.
func TestCallsPerReconcile(t *testing.T) {
	var desired []*endpoint.Endpoint
	for _, zone := range []string{"example.com", "sub.example.com", "example.org"} {
		for i := range 10 {
			desired = append(desired, wanted(fmt.Sprintf("h%d.%s", i, zone), "192.0.2.1"))
		}
	}
	tests := []struct {
		mode string
		wrap func(p provider.Provider) provider.Provider
		// the requests of each reconcile, by operation
		cold, idle map[string]int
	}{
		{
			mode: "one-shot",
			wrap: func(p provider.Provider) provider.Provider { return p },
			cold: map[string]int{"negotiate": 1, "records": 1, "apply": 3, "adjustendpoints": 1},
			idle: map[string]int{"negotiate": 1, "records": 1, "apply": 0, "adjustendpoints": 1},
		},
		{
			mode: "daemon",
			wrap: func(p provider.Provider) provider.Provider {
				return provider.NewCachedWith(p, provider.CacheConfig{MaxAge: time.Minute})
			},
			cold: map[string]int{"negotiate": 1, "records": 1, "apply": 3, "adjustendpoints": 1},
			idle: map[string]int{"negotiate": 0, "records": 0, "apply": 0, "adjustendpoints": 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			obs := newCalls()
			p := tt.wrap(client(t, serve(t, inmemory.New("example.com", "sub.example.com", "example.org"), nil), func(c *Config) { c.Observer = obs }))
			for _, phase := range []struct {
				name string
				want map[string]int
			}{{"cold", tt.cold}, {"no change", tt.idle}} {
				before := map[string]int{}
				for op := range phase.want {
					before[op] = obs.total(op)
				}
				if err := reconcile(t, p, desired).Err(); err != nil {
					t.Fatal(err)
				}
				for op, want := range phase.want {
					got := obs.total(op) - before[op]
					t.Logf("%s, %s reconcile: %d %s", tt.mode, phase.name, got, op)
					if got != want {
						t.Errorf("%s reconcile: %d %s requests, want %d", phase.name, got, op, want)
					}
				}
			}
		})
	}
}

// TestCallsAtScale counts the requests of a cold and of a no-change reconcile of N
// records in one zone, one-shot and daemon (README.md, Records). Every body fits in the
// default 32 MiB, so each kind of request is made at most once.
func TestCallsAtScale(t *testing.T) {
	for _, n := range []int{1000, 10000} {
		desired := make([]*endpoint.Endpoint, n)
		for i := range desired {
			desired[i] = wanted(fmt.Sprintf("h%d.example.com", i), "192.0.2.1")
		}
		for _, daemon := range []bool{false, true} {
			mode := "one-shot"
			if daemon {
				mode = "daemon"
			}
			t.Run(fmt.Sprintf("N=%d/%s", n, mode), func(t *testing.T) {
				obs := newCalls()
				// The test counts requests; time limits only make a loaded machine fail it.
				var p provider.Provider = client(t, serve(t, inmemory.New("example.com"), nil), func(c *Config) {
					c.Observer, c.ReadTimeout, c.WriteTimeout = obs, 5*time.Minute, 5*time.Minute
				})
				if daemon {
					p = provider.NewCachedWith(p, provider.CacheConfig{MaxAge: time.Minute})
				}
				for _, phase := range []string{"cold", "no change"} {
					before := map[string]int{}
					ops := []string{"negotiate", "records", "apply", "adjustendpoints"}
					for _, op := range ops {
						before[op] = obs.total(op)
					}
					if err := reconcile(t, p, desired).Err(); err != nil {
						t.Fatal(err)
					}
					got := map[string]int{}
					for _, op := range ops {
						got[op] = obs.total(op) - before[op]
					}
					t.Logf("N=%d %s %s: %v", n, mode, phase, got)
					want := map[string]int{"negotiate": 1, "records": 1, "apply": 1, "adjustendpoints": 1}
					if phase == "no change" {
						want["apply"] = 0
						if daemon {
							want["negotiate"], want["records"] = 0, 0
						}
					}
					for _, op := range ops {
						if got[op] != want[op] {
							t.Errorf("%s: %d %s requests, want %d", phase, got[op], op, want[op])
						}
					}
				}
			})
		}
	}
}
