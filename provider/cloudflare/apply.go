package cloudflare

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/cloudflare/cloudflare-go/v7/dns"
	"github.com/cloudflare/cloudflare-go/v7/option"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/provider"
	"github.com/zonekeeper/zonekeeper/provider/batch"
)

// codeRecordNotFound is the API's error code for an id that names no record, which
// refuses a batch (HTTP 404) like any other bad change; a 404 without it means the zone
// itself is gone.
const codeRecordNotFound = 81044

// op is one record operation of a batch call.
type op struct {
	key      endpoint.RecordKey
	deleteID string     // set for a delete
	body     recordBody // for a patch (body.ID set) or a post
	written  record     // what a patch or post writes
}

// unit is a Change ready to send: its record operations.
type unit = batch.Unit[[]op]

// Apply carries out changes in zone through the batch endpoint (see provider.Provider,
// the package doc and package batch). Changes with deletions go first, then updates,
// then creates, so that a CNAME can replace an A record in one Apply. Changes are packed
// whole into calls of at most Config.BatchSize record operations (a larger Change
// travels alone), Config.BatchInterval before each call but the first; a call the API
// refuses is split in halves, recursively, until the refused Changes stand alone.
//
// A Change is refused without a call when it does not fit what the provider knows the
// zone holds (creating an RRset that exists, updating or deleting one that differs), or
// when it changes an RRset that a Change not yet sent changes too; it needs no call when
// the zone holds what it asks for already. (Setting refused Changes aside with a backoff
// is the controller's business.) When a call fails other than by the API refusing it,
// Apply stops, and the zone is listed afresh before the next Apply.
//
// Conversion depends on the zone as the calls so far left it, so it is never pipelined.
func (p *Provider) Apply(ctx context.Context, zone provider.Zone, changes []provider.Change) error {
	idx, _, err := p.indexFor(ctx, zone)
	if err != nil {
		return err
	}
	a := &applier{p: p, zone: zone, work: maps.Clone(idx), unsent: map[endpoint.RecordKey]bool{}}
	limit := p.s.BatchSize
	err = batch.Apply(ctx, changes, batch.Config[[]op]{
		Zone:    zone.Name,
		Prefix:  "cloudflare: zone " + zone.Name,
		Order:   orderChanges(changes),
		Convert: a.compile,
		// A Change of more operations than a batch takes counts as a full batch, so that
		// it travels alone: a paid plan's zone may take more than Config.BatchSize.
		Pack:     batch.Additive([]int{limit}, func(ops []op) []int { return []int{min(len(ops), limit)} }),
		Send:     a.send,
		Interval: p.s.batchInterval,
		Sleep:    p.sleep,
	})
	switch {
	case provider.OutcomeOf(changes, err).Stopped != nil:
		p.storeIndex(zone, nil)
	case a.calls > 0:
		p.storeIndex(zone, a.work)
	}
	return err
}

// orderChanges returns the indexes of changes with those deleting something first, then
// updates, then creates, each group in its given order.
func orderChanges(changes []provider.Change) []int {
	rank := func(c provider.Change) int {
		worst := 3
		for _, rc := range c.Records {
			worst = min(worst, map[provider.Op]int{provider.OpDelete: 0, provider.OpUpdate: 1, provider.OpCreate: 2}[rc.Op])
		}
		return worst
	}
	order := make([]int, len(changes))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(rank(changes[a]), rank(changes[b])) })
	return order
}

// applier is the state of one Apply call.
type applier struct {
	p     *Provider
	zone  provider.Zone
	work  index // the zone as it is after the calls made so far
	calls int
	// unsent holds the RRsets of the Changes converted but not sent yet: work does not
	// hold what those Changes will make of them.
	unsent map[endpoint.RecordKey]bool
}

// send applies units in one batch call. Their RRsets leave a.unsent whatever the
// answer: a.work holds the result once the call succeeds, and holds them unchanged if
// it is refused.
func (a *applier) send(ctx context.Context, units []unit) error {
	for _, u := range units {
		for _, o := range u.Wire {
			delete(a.unsent, o.key)
		}
	}
	a.calls++
	body, err := batchOf(units)
	if err != nil {
		return batch.NotSent(err)
	}
	params := dns.RecordBatchParams{}
	params.ZoneID.Value, params.ZoneID.Present = a.zone.ID, true
	l := a.p.zoneLock(a.zone.ID)
	l.Lock()
	var res struct {
		Result batchResult `json:"result"`
	}
	_, err = a.p.records.Batch(ctx, params, option.WithRequestBody("application/json", body), option.WithResponseBodyInto(&res))
	l.Unlock()
	switch {
	case err == nil:
		a.record(units, res.Result)
		return nil
	case refused(err):
		return batch.Refused(err)
	}
	return err
}

// refused reports whether err is the API refusing a batch for what it holds, rather
// than a failure to get an answer.
func refused(err error) bool {
	var apiErr *dns.Error
	if !errors.As(err, &apiErr) {
		return false
	}
	switch apiErr.StatusCode {
	case http.StatusBadRequest, http.StatusConflict, http.StatusUnprocessableEntity:
		return true
	case http.StatusNotFound:
		return slices.ContainsFunc(apiErr.Errors, func(e dns.ErrorData) bool { return e.Code == codeRecordNotFound })
	}
	return false
}

// batchBody is the request body of one batch call. The API runs deletes, then
// patches, then posts, whatever their order in the body.
type batchBody struct {
	Deletes []idBody     `json:"deletes,omitempty"`
	Patches []recordBody `json:"patches,omitempty"`
	Posts   []recordBody `json:"posts,omitempty"`
}

type idBody struct {
	ID string `json:"id"`
}

// batchOf is the body of the batch call that applies units. It is written here rather
// than with the SDK's per-type parameter structs: one shape serves every record type.
func batchOf(units []unit) ([]byte, error) {
	var b batchBody
	for _, u := range units {
		for _, o := range u.Wire {
			switch {
			case o.deleteID != "":
				b.Deletes = append(b.Deletes, idBody{ID: o.deleteID})
			case o.body.ID != "":
				b.Patches = append(b.Patches, o.body)
			default:
				b.Posts = append(b.Posts, o.body)
			}
		}
	}
	return json.Marshal(b)
}

// record notes the result of a successful batch call: the records it changed replace
// those in a.work, in the form the API returned them.
func (a *applier) record(units []unit, res batchResult) {
	patched, posted := recordsFromAPI(res.Patches), recordsFromAPI(res.Posts)
	touched := map[endpoint.RecordKey]bool{}
	for _, u := range units {
		for _, o := range u.Wire {
			touched[o.key] = true
			recs := a.work[o.key]
			switch {
			case o.deleteID != "":
				recs = slices.DeleteFunc(slices.Clone(recs), func(r record) bool { return r.ID == o.deleteID })
			case o.body.ID != "":
				w := o.written
				w.ID = o.body.ID
				if len(patched) > 0 {
					w, patched = patched[0], patched[1:]
				}
				recs = slices.Clone(recs)
				for i := range recs {
					if recs[i].ID == o.body.ID {
						recs[i] = w
					}
				}
			default:
				w := o.written
				if len(posted) > 0 {
					w, posted = posted[0], posted[1:]
				}
				recs = append(slices.Clone(recs), w)
			}
			if len(recs) == 0 {
				delete(a.work, o.key)
			} else {
				a.work[o.key] = recs
			}
		}
	}
	for k := range touched {
		slices.SortFunc(a.work[k], func(x, y record) int { return strings.Compare(x.Target, y.Target) })
	}
}

// batchResult is the result of a batch call: the records it wrote, in the order of the
// request's operations.
type batchResult struct {
	Patches []apiRecord `json:"patches"`
	Posts   []apiRecord `json:"posts"`
}

func recordsFromAPI(rs []apiRecord) []record {
	out := make([]record, len(rs))
	for i, r := range rs {
		out[i] = recordFromAPI(r)
	}
	return out
}

// compile turns a Change into record operations against a.work, the zone as it will be
// when they are sent, or says why the Change cannot apply; batch.ErrNothingToSend when
// the zone holds what it asks for. RRsets changed by Changes not yet sent are refused
// too: one batch cannot change one record twice, and a.work does not hold their result.
func (a *applier) compile(c provider.Change) ([]op, error) {
	var out []op
	for _, rc := range c.Records {
		ep := rc.Endpoint()
		key := ep.RecordKey()
		if ep.SetIdentifier != "" {
			return nil, fmt.Errorf("%s %s: set identifier %q: Cloudflare has no routing policies", ep.DNSName, ep.RecordType, ep.SetIdentifier)
		}
		if a.unsent[key] {
			return nil, fmt.Errorf("%s %s is changed twice in one Apply", ep.DNSName, ep.RecordType)
		}
		ops, err := compileRecord(rc, a.work[key])
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", ep.DNSName, ep.RecordType, err)
		}
		out = append(out, ops...)
	}
	if len(out) == 0 {
		return nil, batch.ErrNothingToSend
	}
	for _, o := range out {
		a.unsent[o.key] = true
	}
	return out, nil
}

// compileRecord turns one record change into operations on cur, the records its RRset
// holds.
func compileRecord(rc provider.RecordChange, cur []record) ([]op, error) {
	key := rc.Endpoint().RecordKey()
	if rc.Op == provider.OpCreate {
		if len(cur) > 0 {
			return nil, fmt.Errorf("exists already, with %s", describe(cur))
		}
		return posts(key, recordsFor(rc.New))
	}
	if len(cur) == 0 {
		return nil, errors.New("does not exist")
	}
	if !endpoint.SameTargets(key.RecordType, rc.Old.Targets, targetsOf(cur)) {
		return nil, fmt.Errorf("holds %s, not %s", describe(cur), strings.Join(rc.Old.Targets, ","))
	}
	if rc.Op == provider.OpDelete {
		out := make([]op, len(cur))
		for i, r := range cur {
			out[i] = op{key: key, deleteID: r.ID}
		}
		return out, nil
	}
	return updates(key, cur, recordsFor(rc.New))
}

// updates turns the records cur into want: a record whose value stays is patched if
// its settings change; the others are patched to a new value in place, and only what
// is left over deleted or posted.
func updates(key endpoint.RecordKey, cur, want []record) ([]op, error) {
	canonical := func(r record) string { return endpoint.CanonicalTarget(key.RecordType, r.Target) }
	var out []op
	var gone []record
	left := slices.Clone(want)
	for _, c := range cur {
		i := slices.IndexFunc(left, func(w record) bool { return canonical(w) == canonical(c) })
		if i < 0 {
			gone = append(gone, c)
			continue
		}
		w := left[i]
		left = slices.Delete(left, i, i+1)
		if w.sameSettings(c) && w.Target == c.Target {
			continue
		}
		o, err := patch(key, c.ID, w)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	for len(gone) > 0 && len(left) > 0 {
		o, err := patch(key, gone[0].ID, left[0])
		if err != nil {
			return nil, err
		}
		out = append(out, o)
		gone, left = gone[1:], left[1:]
	}
	for _, g := range gone {
		out = append(out, op{key: key, deleteID: g.ID})
	}
	more, err := posts(key, left)
	return append(out, more...), err
}

// patch turns the record id into w in place: the record keeps its identity, so
// resolvers never see the name vanish, as they could between a delete and a create
// (Cloudflare's edge applies even one batch record by record).
func patch(key endpoint.RecordKey, id string, w record) (op, error) {
	b, err := bodyOf(id, w)
	return op{key: key, body: b, written: w}, err
}

func posts(key endpoint.RecordKey, recs []record) ([]op, error) {
	out := make([]op, len(recs))
	for i, r := range recs {
		b, err := bodyOf("", r)
		if err != nil {
			return nil, err
		}
		out[i] = op{key: key, body: b, written: r}
	}
	return out, nil
}

func targetsOf(recs []record) endpoint.Targets {
	out := make(endpoint.Targets, len(recs))
	for i, r := range recs {
		out[i] = r.Target
	}
	return out
}

func describe(recs []record) string { return strings.Join(targetsOf(recs), ",") }
