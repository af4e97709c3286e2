package webhook

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"github.com/zonekeeper/zonekeeper/endpoint"
)

// adjuster answers POST /adjustendpoints with what rewrite makes of the endpoints sent,
// or with 500 when rewrite is nil.
func adjuster(rewrite func([]wireEndpoint) []wireEndpoint) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in []wireEndpoint
		if rewrite == nil || json.NewDecoder(r.Body).Decode(&in) != nil {
			http.Error(w, "broken", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", MediaType)
		_ = json.NewEncoder(w).Encode(rewrite(in))
	})
}

func TestAdjustEndpoints(t *testing.T) {
	desired := []*endpoint.Endpoint{
		wanted("web.example.com", "192.0.2.1"),
		wanted("gone.example.com", "192.0.2.2"),
		providertestCNAME("alias.example.com", "lb.example.net"),
	}
	tests := []struct {
		name         string
		rewrite      func([]wireEndpoint) []wireEndpoint
		wantNames    []string
		wantProblems []string
	}{
		{
			name: "dropped, retyped and defaulted",
			rewrite: func(in []wireEndpoint) []wireEndpoint {
				var out []wireEndpoint
				for _, e := range in {
					switch e.DNSName {
					case "gone.example.com":
						continue
					case "alias.example.com":
						e.RecordType = "A"
					}
					e.RecordTTL = 600
					out = append(out, e)
				}
				return out
			},
			wantNames: []string{"web.example.com", "alias.example.com"},
			// A provider other than zonekeeper's server reports no problem of its own
			// (problemsHeader); the record it dropped is one.
			wantProblems: []string{"error gone.example.com: the webhook provider cannot hold A gone.example.com: its /adjustendpoints left it out"},
		},
		{name: "provider fails: desired as it is", wantNames: []string{"web.example.com", "gone.example.com", "alias.example.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obs := newCalls()
			c := client(t, serveHandler(t, adjuster(tt.rewrite)), func(c *Config) { c.Observer = obs })
			got, problems := c.AdjustEndpoints(desired)
			var names, probNames []string
			for _, e := range got {
				names = append(names, e.DNSName)
				if len(e.Refs) != 1 || e.Refs[0].Name != "web" {
					t.Errorf("%s lost its object: %v", e.DNSName, e.Refs)
				}
			}
			for _, p := range problems {
				kind := "error"
				if p.Warning {
					kind = "warning"
				}
				probNames = append(probNames, kind+" "+p.DNSName+": "+p.Err.Error())
			}
			if !slices.Equal(names, tt.wantNames) || !slices.Equal(probNames, tt.wantProblems) {
				t.Errorf("endpoints %v, problems %v; want %v, %v", names, probNames, tt.wantNames, tt.wantProblems)
			}
			if desired[0].RecordTTL != 300 || desired[2].RecordType != "CNAME" {
				t.Errorf("desired was modified: %s, %s", desired[0], desired[2])
			}
			if obs.total("adjustendpoints") == 0 {
				t.Error("the call was not observed")
			}
		})
	}
}

func providertestCNAME(name, target string) *endpoint.Endpoint {
	e := wanted(name, target)
	e.RecordType = "CNAME"
	return e
}
