package controller

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/plan"
	"github.com/zonekeeper/zonekeeper/provider"
	"github.com/zonekeeper/zonekeeper/registry"
)

// ObjectReport is the part of a reconcile's Report about one object, which zonekeeper
// explain prints.
type ObjectReport struct {
	Ref endpoint.ObjectRef
	// Wanted are the records the object asks for (Report.Desired), each with the zone
	// it goes to: "" when no managed zone holds its name.
	Wanted []WantedRecord
	// Changes are the planned changes of the object's records: those whose record
	// refers to it, or, for deletions, whose resource label names it.
	Changes []ZoneChange
	// Notes are what the reconcile tells the object (ObjectNotes), in the Report's order.
	Notes []Note
	// Zones are the names of the managed zones.
	Zones []string
}

// WantedRecord is a record an object asks for and the managed zone it goes to.
type WantedRecord struct {
	Record *endpoint.Endpoint
	Zone   string
}

// ZoneChange is a planned change and its zone.
type ZoneChange struct {
	Zone   string
	Change provider.Change
}

// Names returns the sorted names the report is about: those of the wanted records,
// the changes and the notes.
func (r ObjectReport) Names() []string {
	var names []string
	for _, w := range r.Wanted {
		names = append(names, w.Record.DNSName)
	}
	for _, c := range r.Changes {
		names = append(names, c.Change.Main().Endpoint().DNSName)
	}
	for _, n := range r.Notes {
		switch {
		case n.Problem != nil && n.Problem.DNSName != "":
			names = append(names, n.Problem.DNSName)
		case n.Withheld != nil:
			names = append(names, n.Withheld.Record.DNSName)
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// ExplainObject picks out of rep what concerns the object ref (compared by
// ObjectRef.String, so whatever file it was read from).
func ExplainObject(rep *Report, ref endpoint.ObjectRef) ObjectReport {
	out := ObjectReport{Ref: ref}
	var zones []provider.Zone
	for _, z := range rep.Zones {
		zones = append(zones, z.Zone)
		out.Zones = append(out.Zones, z.Zone.Name)
	}
	is := func(refs []endpoint.ObjectRef) bool {
		return slices.ContainsFunc(refs, func(r endpoint.ObjectRef) bool { return r.String() == ref.String() })
	}
	for _, e := range rep.Desired {
		if !is(e.Refs) {
			continue
		}
		w := WantedRecord{Record: e}
		if z, ok := provider.ZoneFor(e.DNSName, zones); ok {
			w.Zone = z.Name
		}
		out.Wanted = append(out.Wanted, w)
	}
	for _, z := range rep.Zones {
		for _, c := range z.Changes {
			if is(changeRefs(c.Main().Endpoint())) {
				out.Changes = append(out.Changes, ZoneChange{Zone: z.Zone.Name, Change: c})
			}
		}
	}
	for _, n := range ObjectNotes(rep) {
		if n.Ref.String() == ref.String() {
			out.Notes = append(out.Notes, n)
		}
	}
	return out
}

// Holding is a record a zone holds and who owns it, as the registry reads it.
type Holding struct {
	Zone   string
	Record *endpoint.Endpoint
	// Owner is the owner id of its ownership record; "" when it has none.
	Owner string
	// Resource is the object its ownership record names, kind/namespace/name; "" when
	// none is named.
	Resource string
}

// Holdings reads what the managed zones hold at names, ownership records left out,
// sorted by zone, name, type and set identifier. It reads only the zones some name
// falls in, and changes nothing.
func (c *Controller) Holdings(ctx context.Context, names []string) ([]Holding, error) {
	zones, err := c.zones(ctx)
	if err != nil {
		return nil, err
	}
	byZone := map[string][]string{}
	for _, n := range names {
		if z, ok := provider.ZoneFor(n, zones); ok {
			byZone[z.Name] = append(byZone[z.Name], n)
		}
	}
	var out []Holding
	for _, z := range zones {
		if len(byZone[z.Name]) == 0 {
			continue
		}
		records, err := c.Provider.Records(ctx, z)
		if err != nil {
			return nil, fmt.Errorf("zone %s: reading records: %w", z.Name, err)
		}
		for _, r := range c.Registry.Load(z, records).Records() {
			if slices.Contains(byZone[z.Name], r.DNSName) {
				out = append(out, Holding{Zone: z.Name, Record: r, Owner: r.Labels[endpoint.OwnerLabelKey], Resource: r.Labels[endpoint.ResourceLabelKey]})
			}
		}
	}
	slices.SortFunc(out, func(a, b Holding) int {
		return cmp.Or(strings.Compare(a.Zone, b.Zone), strings.Compare(a.Record.DNSName, b.Record.DNSName),
			strings.Compare(a.Record.RecordType, b.Record.RecordType), strings.Compare(a.Record.SetIdentifier, b.Record.SetIdentifier))
	})
	return out, nil
}

// Detail says more about a note than its Event does: what the reason means, what the
// error behind it found, and what to do. ownerID is this zonekeeper's owner id; zones
// are the managed zones' names.
func (n Note) Detail(ownerID string, zones []string) string {
	switch n.Reason {
	case ReasonConflictLost:
		return "another object asks for the same name, type and set identifier with other targets or settings, and the planner kept its wish " +
			"(the object named in the message); make the two objects agree, or take the name out of one of them"
	case ReasonNotOwned:
		return notOwnedDetail(n.Problem, ownerID)
	case ReasonNoZone:
		if len(zones) == 0 {
			return "no zone is managed at all: the provider serves none that --domain-filter, --exclude-domains and --zone-id-filter keep"
		}
		return "the managed zones are " + strings.Join(zones, ", ") + " (those the provider serves that --domain-filter, --exclude-domains " +
			"and --zone-id-filter keep); the name is under none of them: fix the hostname, or manage the zone it belongs in"
	case ReasonInvalidInput:
		if n.Problem != nil && n.Problem.Warning {
			return "a warning: what the message names was ignored, and the object's other records are published"
		}
		return "an error: none of the object's records is published or changed until it is fixed, and the records it has " +
			"keep their values (a typo must not take a live name down)"
	case ReasonNoAddress:
		return "the object names the hostname but has no address to publish yet (a load balancer still being provisioned, no ready endpoints); " +
			"with --keep-records-of-existing-objects (the default) the name's existing records stay until it has one"
	case ReasonDeletionWithheld:
		return withheldDetail(n.Withheld)
	case ReasonCNAMEAndOtherData:
		var rule *ZoneRuleError
		if n.Problem != nil && errors.As(n.Problem.Err, &rule) && !rule.Apex {
			return fmt.Sprintf("a CNAME cannot share its name with any other record (RFC 1034 3.6.2), and the zone holds %s at %s "+
				"that would stay; remove those records, or publish addresses (A/AAAA) instead of a CNAME", strings.Join(rule.Standing, ", "), rule.Name)
		}
		return "a CNAME cannot share its name with any other record (RFC 1034 3.6.2), and a zone's apex holds SOA and NS; " +
			"publish addresses (A/AAAA), or an alias where the provider has one"
	case ReasonNameNotAllowed:
		return "the domain policy (--domain-policy-file or --domain-policy-configmap) does not let the object's namespace publish the name; " +
			"a record already published there is kept until confirmed (--domain-policy-confirm-after, or run --once --force). " +
			"Use a name the policy allows the namespace, or ask the platform team to allow it (docs/tenancy.md)"
	case ReasonRecordError:
		return "the provider refused the change; the message is its own. The change is retried with backoff"
	case ReasonRecordReady, ReasonRecordDeleted:
		return "the provider applied the change"
	}
	return "the record cannot be written as asked; the message says why"
}

// notOwnedDetail explains a RecordNotOwned note made of p.
func notOwnedDetail(p *endpoint.Problem, ownerID string) string {
	var (
		notOurs  *plan.NotOwnedError
		foreign  *registry.ForeignOwnerError
		occupied *registry.OccupiedError
	)
	owner := ""
	switch {
	case p == nil:
	case errors.As(p.Err, &notOurs):
		owner = notOurs.Owner
	case errors.As(p.Err, &foreign):
		owner = foreign.Owner
	case errors.As(p.Err, &occupied):
		return "a TXT record that is no ownership record stands where this record's ownership record would go, so the record could " +
			"never be owned; remove that TXT record, or move ownership records with --txt-prefix or --txt-suffix"
	}
	if owner == "" {
		return "the name holds a record without an ownership record (made by hand or by another tool); zonekeeper changes only " +
			"records it owns. Delete that record to let zonekeeper create its own"
	}
	return fmt.Sprintf("the name's record belongs to owner id %s, not to this zonekeeper's %s, and is left alone; if that owner is gone, "+
		"take its records over with --migrate-from-txt-owner=%s, else take the name out of one of the two clusters", endpoint.Quote(owner), endpoint.Quote(ownerID), owner)
}

// withheldDetail explains a DeletionWithheld note made of w.
func withheldDetail(w *Withheld) string {
	if w == nil {
		return ""
	}
	why := "safety check " + string(w.Cause) + ": "
	switch w.Cause {
	case CauseSourceError:
		return why + "a source could not be read, so the record may merely be unread; nothing is deleted until every source reads"
	case CauseObjectError:
		return why + "the object that owns the record has invalid input; fix it, and the record is deleted or changed as it then asks"
	case CauseNoTargets:
		return why + "the object still asks for the name but has no address for it; the record goes once the object or the name is gone " +
			"(or --keep-records-of-existing-objects=false)"
	case CauseBudget:
		return why + "the zone's planned deletions exceed --max-deletions or --max-deletion-ratio; the daemon deletes them once confirmed " +
			"(--deletion-confirm-after), or run `zonekeeper run --once --force` once sure"
	}
	return why + w.Reason
}
