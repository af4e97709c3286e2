package cloudflare

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/provider"
)

// The backoff between two read-back rounds: Cloudflare's API shows a batch it accepted
// at once, so a second round is for the rare read served before the write landed.
const (
	firstReadBack = time.Second
	maxReadBack   = 10 * time.Second
)

// apiName is who serves a change read back as written, for provider.Serving.By:
// Cloudflare's name servers answer from what the API holds.
const apiName = "the Cloudflare API"

var _ provider.PropagationVerifier = (*Provider)(nil)

// VerifyServed reads back, by name, the records of each applied change's main record
// (one dns_records list request, filtered by exact name, per name with a change not yet
// seen, per round) and reports a change served once the API holds exactly its records
// with the settings written (a delete: none of that name and type). Rounds repeat, the
// first at once, then after 1 s doubling to 10 s, until every change is seen or ctx
// ends (see provider.PropagationVerifier). It fails when a list request fails.
func (p *Provider) VerifyServed(ctx context.Context, zone provider.Zone, applied []provider.Change) ([]provider.Serving, error) {
	out := make([]provider.Serving, len(applied))
	seen := make([]string, len(applied))
	for wait := firstReadBack; ; wait = min(2*wait, maxReadBack) {
		var names []string
		for i, c := range applied {
			if !out[i].Served {
				names = append(names, c.Main().Endpoint().DNSName)
			}
		}
		slices.Sort(names)
		read := map[string]index{}
		for _, name := range slices.Compact(names) {
			idx, err := p.listNamed(ctx, zone, name)
			if err != nil {
				if ctx.Err() != nil {
					break
				}
				return nil, fmt.Errorf("cloudflare: zone %s: reading back %s: %w", zone.Name, name, err)
			}
			read[name] = idx
		}
		now := time.Now()
		for i, c := range applied {
			main := c.Main()
			idx, ok := read[main.Endpoint().DNSName]
			if out[i].Served || !ok {
				continue
			}
			if seen[i] = readBack(idx, main); seen[i] == "" {
				out[i] = provider.Serving{Served: true, At: now, By: []string{apiName}}
			}
		}
		if !slices.ContainsFunc(out, func(s provider.Serving) bool { return !s.Served }) {
			return out, nil
		}
		if p.sleep(ctx, wait) != nil {
			break
		}
	}
	for i := range out {
		if !out[i].Served {
			out[i].Pending = apiName + ": " + cmpOrText(seen[i], "not read back before the timeout")
		}
	}
	return out, nil
}

// readBack compares what the API holds at rc's name, idx, with what rc wrote. It
// returns "" when they agree, and otherwise what the API holds instead.
func readBack(idx index, rc provider.RecordChange) string {
	e := rc.Endpoint()
	got := idx[endpoint.RecordKey{DNSName: e.DNSName, RecordType: e.RecordType}]
	var want []record
	if rc.Op != provider.OpDelete {
		want = recordsFor(e)
		slices.SortFunc(want, func(a, b record) int { return strings.Compare(a.Target, b.Target) })
	}
	if slices.EqualFunc(got, want, func(g, w record) bool { return g.Target == w.Target && g.sameSettings(w) }) {
		return ""
	}
	if len(got) == 0 {
		return "holds no " + e.RecordType + " records at " + e.DNSName
	}
	parts := make([]string, len(got))
	for i, r := range got {
		parts[i] = fmt.Sprintf("%s (TTL %d, proxied %t)", r.Target, r.TTL, r.Proxied)
	}
	return "holds " + strings.Join(parts, ", ")
}

func cmpOrText(s, fallback string) string {
	if s == "" {
		return fallback
	}
	return s
}
