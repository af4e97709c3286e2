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

// pending is a Change ready to send: its record operations.
type pending struct {
	change provider.Change
	ops    []op
}

// Apply carries out changes in zone through the batch endpoint (see provider.Provider
// and the package doc). Changes with deletions go first, then updates, then creates, so
// that a CNAME can replace an A record in one Apply. Changes are packed whole into calls
// of at most Config.BatchSize record operations, Config.BatchInterval apart; a call the
// API refuses is split in halves, recursively, until the refused Changes stand alone.
//
// A Change is refused without a call when it does not fit what the provider knows the
// zone holds (creating an RRset that exists, updating or deleting one that differs).
// (Setting refused Changes aside with a backoff is the controller's business.) Apply returns a
// plain error, with no record of which Changes were applied, when a call fails other
// than by the API refusing it; the zone is then listed afresh before the next Apply.
func (p *Provider) Apply(ctx context.Context, zone provider.Zone, changes []provider.Change) error {
	idx, _, err := p.indexFor(ctx, zone)
	if err != nil {
		return err
	}
	a := &applier{p: p, zone: zone, work: maps.Clone(idx)}
	err = a.run(ctx, orderChanges(changes))
	if err != nil {
		p.storeIndex(zone, nil)
		return fmt.Errorf("cloudflare: zone %s: %w (%d changes applied before)", zone.Name, err, a.applied)
	}
	if a.calls > 0 {
		p.storeIndex(zone, a.work)
	}
	if len(a.failed) > 0 {
		return &provider.ApplyError{Zone: zone.Name, Failed: a.failed}
	}
	return nil
}

// orderChanges returns changes with those deleting something first, then updates,
// then creates, each group in its given order.
func orderChanges(changes []provider.Change) []provider.Change {
	rank := func(c provider.Change) int {
		worst := 3
		for _, rc := range c.Records {
			worst = min(worst, map[provider.Op]int{provider.OpDelete: 0, provider.OpUpdate: 1, provider.OpCreate: 2}[rc.Op])
		}
		return worst
	}
	return slices.SortedStableFunc(slices.Values(changes), func(a, b provider.Change) int { return cmp.Compare(rank(a), rank(b)) })
}

// applier is the state of one Apply call.
type applier struct {
	p       *Provider
	zone    provider.Zone
	work    index // the zone as it is after the calls made so far
	calls   int
	applied int
	failed  []provider.ChangeError
}

func (a *applier) run(ctx context.Context, changes []provider.Change) error {
	var chunk []pending
	size := 0
	for _, c := range changes {
		ops, err := compile(c, a.work, chunk)
		if err != nil {
			a.refuse(pending{change: c}, err)
			continue
		}
		if len(ops) == 0 {
			a.applied++
			continue
		}
		if size > 0 && size+len(ops) > a.p.s.BatchSize {
			if err := a.send(ctx, chunk); err != nil {
				return err
			}
			chunk, size = nil, 0
		}
		chunk = append(chunk, pending{change: c, ops: ops})
		size += len(ops)
	}
	if len(chunk) > 0 {
		return a.send(ctx, chunk)
	}
	return nil
}

// send applies chunk in one batch call, or, when the API refuses it, each half in turn.
func (a *applier) send(ctx context.Context, chunk []pending) error {
	if a.calls > 0 {
		if err := a.p.sleep(ctx, a.p.s.batchInterval); err != nil {
			return err
		}
	}
	a.calls++
	body, err := batchOf(chunk)
	if err != nil {
		return err
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
		a.record(chunk, res.Result)
		return nil
	case !refused(err):
		return err
	case len(chunk) == 1:
		a.refuse(chunk[0], err)
		return nil
	}
	half := len(chunk) / 2
	if err := a.send(ctx, chunk[:half]); err != nil {
		return err
	}
	return a.send(ctx, chunk[half:])
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

// batchOf is the body of the batch call that applies chunk. It is written here rather
// than with the SDK's per-type parameter structs: one shape serves every record type.
func batchOf(chunk []pending) ([]byte, error) {
	var b batchBody
	for _, pd := range chunk {
		for _, o := range pd.ops {
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
// those in a.work, in the form the API returned them, and its Changes succeeded.
func (a *applier) record(chunk []pending, res batchResult) {
	patched, posted := recordsFromAPI(res.Patches), recordsFromAPI(res.Posts)
	touched := map[endpoint.RecordKey]bool{}
	for _, pd := range chunk {
		for _, o := range pd.ops {
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
		a.applied++
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

// refuse reports pd's Change as failed with err.
func (a *applier) refuse(pd pending, err error) {
	a.failed = append(a.failed, provider.ChangeError{Change: pd.change, Err: err})
}

// compile turns a Change into record operations against work, the zone as it will be
// when they are sent, or says why the Change cannot apply. RRsets changed by Changes
// of chunk, not yet sent, are refused too: one batch cannot change one record twice.
func compile(c provider.Change, work index, chunk []pending) ([]op, error) {
	var out []op
	for _, rc := range c.Records {
		ep := rc.Endpoint()
		key := ep.RecordKey()
		if ep.SetIdentifier != "" {
			return nil, fmt.Errorf("%s %s: set identifier %q: Cloudflare has no routing policies", ep.DNSName, ep.RecordType, ep.SetIdentifier)
		}
		if slices.ContainsFunc(chunk, func(pd pending) bool {
			return slices.ContainsFunc(pd.ops, func(o op) bool { return o.key == key })
		}) {
			return nil, fmt.Errorf("%s %s is changed twice in one Apply", ep.DNSName, ep.RecordType)
		}
		ops, err := compileRecord(rc, work[key])
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", ep.DNSName, ep.RecordType, err)
		}
		out = append(out, ops...)
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
