package controller

import (
	"context"
	"errors"

	"github.com/zonekeeper/zonekeeper/source"
)

// acknowledge tells the sources that want to know (source.Acknowledger) which objects
// had all their records applied by the reconcile rep reports. It does nothing after a
// dry run or a reconcile that could not read a source or read and write every zone:
// which objects such a reconcile served is unknown. Like Events, it runs only where
// reconciles do, so only on the leader.
func (c *Controller) acknowledge(ctx context.Context, rep *Report) {
	troubled, ok := troubledObjects(rep)
	if !ok {
		return
	}
	for _, s := range c.Sources {
		a, ok := s.(source.Acknowledger)
		if !ok {
			continue
		}
		if err := a.Acknowledge(ctx, troubled); err != nil && c.Logger != nil {
			c.Logger.Warn("acknowledging objects whose records were applied", "err", err)
		}
	}
}

// troubledObjects returns, by ObjectRef.String, the objects some of whose records rep's
// reconcile did not apply, and false when it cannot say: a dry run, a source not read,
// a reconcile interrupted, a zone not read or not written to the end.
func troubledObjects(rep *Report) (map[string]bool, bool) {
	if rep == nil || rep.DryRun || rep.Interrupted || len(rep.SourceErrors) > 0 {
		return nil, false
	}
	troubled := map[string]bool{}
	for _, p := range rep.Problems {
		if !p.Warning || errors.Is(p.Err, errNoZone) {
			troubled[p.Ref.String()] = true
		}
	}
	for _, z := range rep.Zones {
		if z.Err != nil || len(z.Unknown) > 0 || len(z.NotAttempted) > 0 {
			return nil, false
		}
		for _, p := range z.Problems {
			troubled[p.Ref.String()] = true
		}
		for _, w := range z.Withheld {
			for _, ref := range changeRefs(w.Record) {
				troubled[ref.String()] = true
			}
		}
		for _, f := range z.Failed {
			for _, ref := range changeRefs(f.Change.Main().Endpoint()) {
				troubled[ref.String()] = true
			}
		}
	}
	return troubled, true
}
