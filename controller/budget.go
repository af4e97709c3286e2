package controller

import (
	"fmt"
	"time"

	"github.com/zonekeeper/zonekeeper/provider"
)

// DeletionBudget bounds how many records one zone may lose at once. A source glitch (an
// emptied informer, a wrong filter, a revoked permission) looks to the planner exactly
// like every object being deleted at once; the budget tells the two apart by size. When
// a zone's planned deletions exceed it, every one of them is withheld (none is made:
// deleting the first fifty of a thousand is no better than deleting all of them) and
// reported. Creations and updates are not limited.
//
// A withheld deletion does not wait forever: a record left behind after its object is
// gone points at an address that may be handed to someone else (a subdomain takeover).
// With ConfirmAfter set, a deletion over the budget is carried out once it is confirmed:
// every reconcile of its zone planned it, without a break, for ConfirmAfter, and at
// least ConfirmFullReads of them were full reconciles (the daemon's periodic resyncs).
// A glitch that reverts within that time deletes nothing: the records are wanted again
// and their wait is dropped. A source or zone that cannot be read breaks the wait of
// what it touches (see pendingDeletions for the whole rule). The wait lives in the
// Controller's memory: a one-shot run never confirms, and an operator raises the budget
// or forces the run instead.
type DeletionBudget struct {
	// MaxDeletions is the most records one zone may lose per reconcile, or per Window
	// when Window is set; 0 is no limit.
	MaxDeletions int
	// MaxRatio is the largest share (0..1) of a zone's owned records it may lose per
	// reconcile, or per Window when Window is set; 0 is no limit. It applies only to
	// zones owning at least MinOwnedForRatio records, since removing 2 of 3 is a normal
	// day.
	MaxRatio float64
	// Window, when positive, makes the budget count the deletions handed to the
	// provider in the zone during the last Window as well as those a reconcile plans.
	// The daemon reconciles after events as often as every MinEventInterval, and
	// deletions arriving over a few seconds (a custom resource definition removed, a
	// source emptying object by object) would otherwise pass a per-reconcile budget a
	// few at a time. Zero counts one reconcile's deletions alone, which is all a
	// one-shot run makes.
	Window time.Duration
	// ConfirmAfter is how long deletions over the budget wait before they are carried
	// out (see above); 0 never carries them out.
	ConfirmAfter time.Duration
	// ConfirmFullReads is the least number of full reconciles that must plan a
	// deletion over the budget before it is carried out; less than 1 means
	// DefaultConfirmFullReads.
	ConfirmFullReads int
}

// MinOwnedForRatio is the least number of owned records a zone needs before
// DeletionBudget.MaxRatio applies to it.
const MinOwnedForRatio = 10

// exceeded says why deleting n of owned records breaks the budget, when recent
// records were deleted within the window already, or "" when it does not. The ratio is
// taken of the records owned before those recent deletions.
func (b DeletionBudget) exceeded(n, recent, owned int) string {
	planned := fmt.Sprintf("%d deletions planned", n)
	if recent > 0 {
		planned = fmt.Sprintf("%d deletions planned and %d made in the last %s", n, recent, b.Window)
	}
	total, before := n+recent, owned+recent
	switch {
	case b.MaxDeletions > 0 && total > b.MaxDeletions:
		return fmt.Sprintf("%s in the zone, more than --max-deletions=%d", planned, b.MaxDeletions)
	case b.MaxRatio > 0 && before >= MinOwnedForRatio && float64(total) > b.MaxRatio*float64(before):
		return fmt.Sprintf("%s of the zone's %d owned records, more than --max-deletion-ratio=%g", planned, before, b.MaxRatio)
	}
	return ""
}

// budgetExceeded is DeletionBudget.exceeded for n deletions planned in the zone zoneID,
// which owns owned records, counting what the window holds of its recent deletions.
func (c *Controller) budgetExceeded(zoneID string, n, owned int) string {
	b := c.Config.Budget
	return b.exceeded(n, c.recent.count(zoneID, c.now(), b.Window), owned)
}

// recentDeletions remembers, by zone ID, how many deletions the controller handed to
// the provider and when, for as long as DeletionBudget.Window counts them. The zero
// value is empty and ready.
type recentDeletions struct {
	zones map[string][]deletionBatch
}

type deletionBatch struct {
	at time.Time
	n  int
}

// count returns how many deletions were handed over in the zone zoneID after
// now-window, and forgets the older ones. With window 0 it is always 0.
func (r *recentDeletions) count(zoneID string, now time.Time, window time.Duration) int {
	batches := r.zones[zoneID]
	kept := batches[:0]
	total := 0
	for _, b := range batches {
		if now.Sub(b.at) < window {
			kept = append(kept, b)
			total += b.n
		}
	}
	if len(kept) == 0 {
		delete(r.zones, zoneID)
	} else {
		r.zones[zoneID] = kept
	}
	return total
}

// handedOver remembers the deletions among changes, handed to the provider in the zone
// zoneID at now. Changes whose outcome is unknown count too: they may have been made.
func (r *recentDeletions) handedOver(zoneID string, now time.Time, changes ...[]provider.Change) {
	n := 0
	for _, cs := range changes {
		for _, ch := range cs {
			if ch.Main().Op == provider.OpDelete {
				n++
			}
		}
	}
	if n == 0 {
		return
	}
	if r.zones == nil {
		r.zones = map[string][]deletionBatch{}
	}
	r.zones[zoneID] = append(r.zones[zoneID], deletionBatch{at: now, n: n})
}
