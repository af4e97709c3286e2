package controller

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/zonekeeper/zonekeeper/endpoint"
)

// The defaults of the confirmation of deletions over the budget (DeletionBudget).
const (
	// DefaultDeletionConfirmAfter is --deletion-confirm-after's default: how long a
	// deletion over the budget waits before it is carried out.
	DefaultDeletionConfirmAfter = 10 * time.Minute
	// DefaultConfirmFullReads is the least number of full reconciles (the daemon's
	// periodic resyncs, which read every zone) that must see a deletion over the budget
	// before it is carried out.
	DefaultConfirmFullReads = 2
)

// PendingConfirmation describes a deletion over the budget that waits for confirmation
// (DeletionBudget.ConfirmAfter).
type PendingConfirmation struct {
	// Since is when the reconciles began to plan the deletion without a break.
	Since time.Time
	// ConfirmAt is Since plus DeletionBudget.ConfirmAfter: the deletion is carried out
	// by the first reconcile from then on that still plans it, once FullReads reached
	// FullReadsNeeded.
	ConfirmAt time.Time
	// FullReads counts the full reconciles that planned it since Since.
	FullReads, FullReadsNeeded int
}

// pendingDeletion is what the controller remembers of one deletion over the budget.
type pendingDeletion struct {
	since     time.Time
	fullReads int
}

// pendingDeletions are the deletions over the budget that wait for confirmation, by zone
// ID and record. The zero value is empty and ready; a nil map of a zone is none.
//
// The rule it keeps: a deletion that breaks the budget is carried out once every
// reconcile of its zone planned it, without a break, for at least
// DeletionBudget.ConfirmAfter, and at least DeletionBudget.ConfirmFullReads of them were
// full reconciles. A break is anything that casts doubt on what the sources said:
//
//   - the record is wanted again, or no longer planned for deletion for another reason
//     (an object error, an object without address): it is dropped (forgetRecord);
//   - the zone's deletions fit the budget again: they are made at once, and the zone's
//     pending deletions are dropped (forgetZone);
//   - a source could not be read, or the zone could not be read: every pending deletion
//     it touches is dropped, and starts waiting anew once planned again (forgetZone,
//     forgetAll);
//   - the daemon starts to lead (a new term of leader election): what it remembers from
//     an earlier term is dropped (forgetAll).
//
// Deletions that join the planned set later start their own wait: a source that empties
// while others wait does not hurry its own deletions along.
type pendingDeletions struct {
	zones map[string]map[endpoint.RecordKey]pendingDeletion
}

// observe records that a reconcile at now planned deletes in the zone zoneID beyond the
// budget b; full says whether it was a full reconcile. It returns the deletions now
// confirmed and, in the order of deletes, those that still wait, with their state.
// Pending deletions of the zone that deletes no longer holds are dropped. With
// b.ConfirmAfter 0 (never confirm) it remembers nothing and confirms nothing.
func (p *pendingDeletions) observe(zoneID string, deletes []*endpoint.Endpoint, full bool, now time.Time, b DeletionBudget) (confirmed []*endpoint.Endpoint, waiting []*endpoint.Endpoint, states []PendingConfirmation) {
	if b.ConfirmAfter <= 0 {
		p.forgetZone(zoneID)
		return nil, deletes, nil
	}
	need := b.confirmFullReads()
	last := p.zones[zoneID]
	next := make(map[endpoint.RecordKey]pendingDeletion, len(deletes))
	for _, d := range deletes {
		key := d.RecordKey()
		pd, ok := last[key]
		if !ok {
			pd = pendingDeletion{since: now}
		}
		if full {
			pd.fullReads++
		}
		// A confirmed deletion stays remembered until it is no longer planned: if the
		// provider refuses it, the next reconcile confirms it again at once.
		next[key] = pd
		if !now.Before(pd.since.Add(b.ConfirmAfter)) && pd.fullReads >= need {
			confirmed = append(confirmed, d)
			continue
		}
		waiting = append(waiting, d)
		states = append(states, PendingConfirmation{Since: pd.since, ConfirmAt: pd.since.Add(b.ConfirmAfter), FullReads: pd.fullReads, FullReadsNeeded: need})
	}
	if p.zones == nil {
		p.zones = map[string]map[endpoint.RecordKey]pendingDeletion{}
	}
	p.zones[zoneID] = next
	return confirmed, waiting, states
}

// forgetZone drops the pending deletions of one zone.
func (p *pendingDeletions) forgetZone(zoneID string) { delete(p.zones, zoneID) }

// forgetAll drops every pending deletion.
func (p *pendingDeletions) forgetAll() { p.zones = nil }

// confirmFullReads is ConfirmFullReads, or its default when unset.
func (b DeletionBudget) confirmFullReads() int {
	if b.ConfirmFullReads < 1 {
		return DefaultConfirmFullReads
	}
	return b.ConfirmFullReads
}

// overBudget applies the budget to the deletes of zone zoneID, which exceed it for the
// reason why: it returns the deletions confirmed by earlier reconciles, to be carried
// out, and withholds the others.
func (c *Controller) overBudget(zoneID string, deletes []*endpoint.Endpoint, why string, full bool) (confirmed []*endpoint.Endpoint, withheld []Withheld) {
	b := c.Config.Budget
	confirmed, waiting, states := c.pending.observe(zoneID, deletes, full, c.now(), b)
	for i, d := range waiting {
		w := Withheld{Record: d, Cause: CauseBudget, Reason: why}
		if states != nil {
			s := states[i]
			w.Pending = &s
			w.Reason = fmt.Sprintf("%s; waiting for confirmation since %s: deleted from %s on if every reconcile until then still plans it and %d full reconciles did (%d so far)",
				why, s.Since.UTC().Format(time.RFC3339), s.ConfirmAt.UTC().Format(time.RFC3339), s.FullReadsNeeded, s.FullReads)
		}
		withheld = append(withheld, w)
	}
	return confirmed, withheld
}

// logBudget says loudly what the deletion budget holds back in zr, and what it lets
// through once confirmed: a record left behind is a risk too, and must not go unnoticed.
//
// Events: once zonekeeper writes Kubernetes Events, these lines are where a Warning
// Event belongs as well (on zonekeeper's own Pod: the objects of the records are gone).
func (c *Controller) logBudget(log *slog.Logger, zr ZoneReport) {
	if len(zr.Confirmed) > 0 {
		log.Warn("deletions over the budget confirmed: they stayed planned through the wait, deleting them",
			"count", len(zr.Confirmed), "confirmAfter", c.Config.Budget.ConfirmAfter.String())
	}
	var waiting, held int
	var next PendingConfirmation
	for _, w := range zr.Withheld {
		switch {
		case w.Cause != CauseBudget:
		case w.Pending == nil:
			held++
		default:
			if waiting == 0 || w.Pending.ConfirmAt.Before(next.ConfirmAt) {
				next = *w.Pending
			}
			waiting++
		}
	}
	if waiting > 0 {
		log.Warn("deletions over the budget wait for confirmation; they are carried out if still planned then",
			"count", waiting, "waitingSince", next.Since, "confirmIn", max(0, next.ConfirmAt.Sub(c.now())).Round(time.Second).String(),
			"fullReads", next.FullReads, "fullReadsNeeded", next.FullReadsNeeded)
	}
	if held > 0 {
		log.Error("deletions over the budget withheld until an operator acts: raise --max-deletions or --max-deletion-ratio, run `zonekeeper run --once --force`, or let the daemon confirm them (--deletion-confirm-after)",
			"count", held)
	}
}

// pendingConfirmation counts the deletions of the zone that wait for confirmation.
func (zr ZoneReport) pendingConfirmation() int {
	n := 0
	for _, w := range zr.Withheld {
		if w.Pending != nil {
			n++
		}
	}
	return n
}

// WithheldByCause counts the deletions the safety checks withheld in the reconcile, by
// cause; it is empty when none was.
func (r *Report) WithheldByCause() map[WithholdCause]int {
	out := map[WithholdCause]int{}
	for _, z := range r.Zones {
		for _, w := range z.Withheld {
			out[w.Cause]++
		}
	}
	return out
}
