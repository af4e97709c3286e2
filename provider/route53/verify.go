package route53

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/route53/types"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/provider"
)

// OperationGetChange is a GetChange request of VerifyServed, as passed to Config.Observer.
const OperationGetChange = "GetChange"

// The backoff between two GetChange rounds: Route 53 reports most changes INSYNC within
// a minute, and AWS's own waiter asks every 30 seconds; starting at one second and
// doubling to 15 catches the quick ones soon without spending the account's five
// requests a second on the slow ones.
const (
	firstChangePoll = time.Second
	maxChangePoll   = 15 * time.Second
)

// serviceName is who serves a change Route 53 reports INSYNC, for provider.Serving.By.
const serviceName = "Route 53"

var _ provider.PropagationVerifier = (*Provider)(nil)

// changeIDs remembers, for the last Apply of each zone, the change id of the request
// that carried each applied Change, by the Change's main record.
type changeIDs map[string]map[*endpoint.Endpoint]string

// VerifyServed asks GetChange, for each ChangeResourceRecordSets request of the zone's
// last Apply that carried one of applied, until Route 53 reports it INSYNC (every Route
// 53 name server serves it) or ctx ends: one GetChange per request still PENDING per
// round, the first at once, then after 1 s, doubling to 15 s, each through the account's
// token bucket and retries (see provider.PropagationVerifier). A change is served when
// its request is INSYNC.
//
// It fails when a change of applied was not applied by the zone's last Apply (its
// request is unknown), or when GetChange fails other than by throttling (credentials
// without route53:GetChange, an unknown change id).
func (p *Provider) VerifyServed(ctx context.Context, zone provider.Zone, applied []provider.Change) ([]provider.Serving, error) {
	p.mu.Lock()
	ids := make([]string, len(applied))
	for i, c := range applied {
		ids[i] = p.changeIDs[zone.ID][c.Main().Endpoint()]
	}
	p.mu.Unlock()
	if i := slices.Index(ids, ""); i >= 0 {
		return nil, fmt.Errorf("route53: zone %s (%s): %s was not applied by the zone's last Apply", zone.Name, zone.ID, applied[i])
	}
	inSync := map[string]time.Time{}
	for wait := firstChangePoll; ; wait = min(2*wait, maxChangePoll) {
		for _, id := range slices.Compact(slices.Sorted(slices.Values(ids))) {
			if _, ok := inSync[id]; ok {
				continue
			}
			var out *route53.GetChangeOutput
			err := p.call(ctx, OperationGetChange, func(ctx context.Context) (err error) {
				out, err = p.api.GetChange(ctx, &route53.GetChangeInput{Id: aws.String(id)})
				return err
			})
			if ctx.Err() != nil {
				break
			}
			if err != nil {
				return nil, fmt.Errorf("route53: zone %s (%s): GetChange %s: %w", zone.Name, zone.ID, id, err)
			}
			if out != nil && out.ChangeInfo != nil && out.ChangeInfo.Status == types.ChangeStatusInsync {
				inSync[id] = p.now()
			}
		}
		if len(inSync) == len(slices.Compact(slices.Sorted(slices.Values(ids)))) || p.sleep(ctx, wait) != nil {
			break
		}
	}
	out := make([]provider.Serving, len(applied))
	for i, id := range ids {
		if at, ok := inSync[id]; ok {
			out[i] = provider.Serving{Served: true, At: at, By: []string{serviceName}}
		} else {
			out[i] = provider.Serving{Pending: fmt.Sprintf("%s change %s is still PENDING", serviceName, strings.TrimPrefix(id, "/change/"))}
		}
	}
	return out, nil
}

// rememberChangeIDs records, for the zone with id zoneID, id as the change id of the
// request that carried units.
func (p *Provider) rememberChangeIDs(zoneID string, units []unit, id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.changeIDs == nil {
		p.changeIDs = changeIDs{}
	}
	if p.changeIDs[zoneID] == nil {
		p.changeIDs[zoneID] = map[*endpoint.Endpoint]string{}
	}
	for _, u := range units {
		p.changeIDs[zoneID][u.Change.Main().Endpoint()] = id
	}
}

// forgetChangeIDs starts a new Apply of zone: the ids of earlier ones are dropped, so
// that what the provider keeps stays bounded by one Apply per zone.
func (p *Provider) forgetChangeIDs(zoneID string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.changeIDs, zoneID)
}
