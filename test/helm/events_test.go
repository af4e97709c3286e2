package helm

import (
	"slices"
	"strings"
	"testing"
)

// TestEventValues checks that the events values become the daemon's Event flags, and
// that a reason the daemon does not know is refused by the schema.
func TestEventValues(t *testing.T) {
	eventArgs := func(set ...string) []string {
		var helmArgs []string
		for _, s := range set {
			helmArgs = append(helmArgs, "--set", s)
		}
		var out []string
		for _, a := range container(t, deployment(t, Template(t, release, namespace, helmArgs...))).Args {
			if strings.HasPrefix(a, "--events") {
				out = append(out, a)
			}
		}
		return out
	}
	for _, tt := range []struct {
		name string
		set  []string
		want []string
	}{
		{"defaults: warnings on, nothing emitted", nil, nil},
		{"external-dns's reasons", []string{"events.emit={RecordReady,RecordError}"}, []string{"--events-emit=RecordReady", "--events-emit=RecordError"}},
		{"warnings off", []string{"events.warnings=false"}, []string{"--events-warnings=false"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := eventArgs(tt.set...); !slices.Equal(got, tt.want) {
				t.Errorf("args %q, want %q", got, tt.want)
			}
		})
	}
	if _, err := Run(t, "template", release, ChartDir(), "--namespace", namespace, "--set", "events.emit={RecordConflict}"); err == nil ||
		!strings.Contains(err.Error(), "/events/emit/0") {
		t.Errorf("events.emit={RecordConflict}: %v, want the schema to refuse it", err)
	}
}
