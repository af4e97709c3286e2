// Package controller runs zonekeeper's reconcile: desired records from the sources,
// current records from the provider, ownership from the registry, the plan, the safety
// checks, and the apply. An event-driven reconcile of a settled zone plans only the
// names whose desired records changed (incremental.go; docs/performance.md).
package controller

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/plan"
	"github.com/zonekeeper/zonekeeper/provider"
	"github.com/zonekeeper/zonekeeper/registry"
	"github.com/zonekeeper/zonekeeper/source"
)

// Config is the part of the configuration the reconcile itself reads.
type Config struct {
	Policy       plan.Policy
	ManagedTypes []string
	DomainFilter endpoint.DomainFilter
	// ZoneIDFilter keeps only zones with these provider ids; empty keeps all.
	ZoneIDFilter []string
	// MinTTL raises every desired TTL that is unset or lower to this value; 0 leaves
	// TTLs alone.
	MinTTL endpoint.TTL
	// DryRun plans without applying. It is enforced here, once, before anything reaches
	// a provider.
	DryRun bool
	// KeepRecordsOfExistingObjects withholds the deletion of a name's records while the
	// object they belong to still asks for the name but has no address for it
	// (source.ErrNoTargets): a load balancer status that empties for a moment must not
	// take a live name down. Deleting the object, or the name from it, still deletes.
	KeepRecordsOfExistingObjects bool
	// Budget bounds the deletions of one zone in one reconcile.
	Budget DeletionBudget
	// Events says which Events each reconcile reports to Controller.Events.
	Events EventConfig
	// Verify says whether applied changes are verified to be served.
	Verify VerifyConfig
	// DomainPolicy says which namespaces may publish which names (controller/policy.go).
	DomainPolicy DomainPolicy
	// OneShot says the controller reconciles once (plan, run --once): it then keeps
	// neither the index of the sources' endpoints nor the zones' caches, which only a
	// later reconcile would read (at 50,000 Ingresses they raised a one-shot run's peak
	// RSS by about 15 MB).
	OneShot bool
}

// Controller reconciles the sources with a provider's zones.
//
// Its methods must not run concurrently: the daemon runs one reconcile at a time.
type Controller struct {
	Sources  []source.Source
	Registry registry.Registry
	Provider provider.Provider
	Config   Config
	Logger   *slog.Logger
	// Events, if not nil, receives the Events of every reconcile that is not a dry run
	// (ReportEvents with Config.Events), once the reconcile is over.
	Events Recorder

	// settled remembers, by zone ID, the zones whose last reconcile left nothing
	// undone, for RunChanged.
	settled map[string]settledZone
	// refused are the changes providers refused, set aside with backoff.
	refused refusals
	// pending are the deletions over the budget waiting for confirmation.
	pending pendingDeletions
	// recent are the deletions handed to the provider within DeletionBudget.Window.
	recent recentDeletions
	// caches are, by zone ID, what RunChanged reuses of a settled zone's last read
	// (controller/incremental.go).
	caches map[string]*zoneCache
	// desired is what the sources asked for at the last reconcile, when every source
	// is Incremental and could be read (controller/delta.go); nil otherwise.
	desired *desiredIndex
	// clock is time.Now unless a test sets it.
	clock func() time.Time
}

// settledZone is what RunChanged needs to know about a zone whose last reconcile left
// nothing undone.
type settledZone struct {
	desired uint64 // desiredFingerprint of what the zone was reconciled against
	// report is the reconcile's report without its changes (remember).
	report ZoneReport
}

// Report says what one reconcile found, planned and did.
type Report struct {
	// Desired are the endpoints the readable sources asked for, one per object and
	// record as the sources returned them (not merged), TTLs raised to Config.MinTTL.
	Desired []*endpoint.Endpoint
	// Problems are per-object troubles from the sources and the zone assignment.
	Problems []endpoint.Problem
	// SourceErrors are sources that could not be read; while there are any, the
	// reconcile makes no deletions.
	SourceErrors []error
	Zones        []ZoneReport
	DryRun       bool
	// Interrupted is set when RunOnce's context ended before every zone was reconciled;
	// Zones then lists only the zones that were.
	Interrupted bool
	// Partial is set when RunChanged took from Incremental sources only the objects
	// that changed (controller/delta.go): Desired then holds only the endpoints at the
	// names those objects ask for or asked for. Problems are still every object's.
	Partial bool
	// Asked are the endpoints every source asks for, before the minimum TTL, the domain
	// policy and the provider's adjustments: set by a reconcile that read every source,
	// and by RunResync from its index of what they asked for; nil otherwise.
	Asked []*endpoint.Endpoint
}

// ZoneReport is one zone's part of a reconcile.
type ZoneReport struct {
	Zone provider.Zone
	// Changes are the provider changes planned, ownership records included.
	Changes []provider.Change
	// Withheld are planned deletions the safety checks held back, with the reason.
	Withheld []Withheld
	// Confirmed are deletions over the deletion budget that are carried out (planned,
	// under DryRun) because they were confirmed (DeletionBudget.ConfirmAfter). They are
	// in Changes as well.
	Confirmed []*endpoint.Endpoint
	// Problems are the planner's and registry's per-object warnings.
	Problems []endpoint.Problem
	// Conflicts are the names that several objects ask for with wishes that could not
	// all be kept; each object that lost has a Problem. Sorted.
	Conflicts []string
	// Owned counts the zone's records that are ours (ownership records not counted),
	// as read before the changes; 0 when the zone could not be read.
	Owned int
	// RecordTypes counts the zone's records (ownership records not counted) by record
	// type, as read before the changes; Verified counts, by record type, the endpoints
	// wanted in the zone whose name and type it already held. Both nil when the zone
	// could not be read.
	RecordTypes, Verified map[string]int
	// Applied are the changes the provider applied.
	Applied []provider.Change
	// Propagation says whether Applied are served, when Config.Verify is on; nil
	// otherwise, and when nothing was applied.
	Propagation *Propagation
	// Failed are changes the provider refused, or that were set aside after earlier
	// refusals (see RefusalBackoffMax).
	Failed []provider.ChangeError
	// Unknown are changes in flight when writing the zone stopped (Err): the provider
	// may or may not have applied them. NotAttempted were never sent.
	Unknown, NotAttempted []provider.Change
	// Err is set when the zone could not be read, or writing it stopped before every
	// change had an answer.
	Err error
	// Skipped is set when RunChanged left the zone alone because nothing it wants
	// changed since its last reconcile, which left nothing undone. Owned and Conflicts
	// are then those of that reconcile.
	Skipped bool
	// Incremental is set when RunChanged planned only the names whose desired records
	// changed, against its cache of the zone (controller/incremental.go). Owned,
	// RecordTypes and Verified are then those of the last full read.
	Incremental bool

	// read is what a full reconcile read of the zone, for its cache; nil otherwise.
	read *zoneRead
	// verifiedAfter is Verified once the applied changes are written: what a later
	// reconcile that skips the zone, or plans only some names, reports. Nil unless the
	// zone was read and planned whole.
	verifiedAfter map[string]int
	// refusedNow says the provider refused a change this reconcile sent (zr.Failed also
	// holds the changes set aside unsent after earlier refusals).
	refusedNow bool
}

// Withheld is a planned deletion that was not carried out.
type Withheld struct {
	Record *endpoint.Endpoint
	// Cause is why, as a fixed word fit for a metric label; Reason says it in full.
	Cause  WithholdCause
	Reason string
	// Pending is set on a deletion over the budget that waits for confirmation
	// (DeletionBudget.ConfirmAfter), nil on every other.
	Pending *PendingConfirmation
}

// WithholdCause is the kind of safety check that withheld a deletion.
type WithholdCause string

// The safety checks that withhold deletions.
const (
	// CauseSourceError: a source could not be read, so the record may merely be unread
	// (safety invariant 3).
	CauseSourceError WithholdCause = "source_error"
	// CauseObjectError: the object owning the record has invalid input (safety
	// invariant 7).
	CauseObjectError WithholdCause = "object_error"
	// CauseNoTargets: the object owning the record still asks for its name but has no
	// address for it (Config.KeepRecordsOfExistingObjects).
	CauseNoTargets WithholdCause = "object_without_address"
	// CauseBudget: the zone's planned deletions exceed Config.Budget.
	CauseBudget WithholdCause = "deletion_budget"
)

// errInterrupted says that a reconcile left zones out because its context ended.
var errInterrupted = errors.New("the reconcile was stopped before every zone was reconciled")

// Err summarises what went wrong in the reconcile: unreadable sources, unreachable zones,
// refused changes, and zones left out because the reconcile was stopped. Per-object
// problems are not errors of the reconcile.
func (r *Report) Err() error {
	errs := slices.Concat(r.SourceErrors, r.zoneErrors())
	if r.Interrupted {
		errs = append(errs, errInterrupted)
	}
	for _, z := range r.Zones {
		for _, f := range z.Failed {
			errs = append(errs, fmt.Errorf("zone %s: %w", z.Zone.Name, f))
		}
	}
	return errors.Join(errs...)
}

// zoneErrors lists the errors of the zones that could not be read or written at all.
func (r *Report) zoneErrors() []error {
	var errs []error
	for _, z := range r.Zones {
		if z.Err != nil {
			errs = append(errs, fmt.Errorf("zone %s: %w", z.Zone.Name, z.Err))
		}
	}
	return errs
}

// ChangeCount counts the planned changes by the operation of their main record; the
// ownership records travelling with a change are not counted. A change that only writes
// a missing ownership record counts as a create: it is a write all the same.
func (r *Report) ChangeCount() (create, update, del int) {
	for _, z := range r.Zones {
		for _, c := range z.Changes {
			switch c.Main().Op {
			case provider.OpCreate:
				create++
			case provider.OpUpdate:
				update++
			case provider.OpDelete:
				del++
			}
		}
	}
	return create, update, del
}

// Outcomes counts the planned changes by what became of them: applied, refused by the
// provider (or set aside after earlier refusals), in flight when writing a zone stopped
// (unknown), and never sent. In a dry run every count is 0: nothing was sent.
func (r *Report) Outcomes() (applied, refused, unknown, notAttempted int) {
	for _, z := range r.Zones {
		applied += len(z.Applied)
		refused += len(z.Failed)
		unknown += len(z.Unknown)
		notAttempted += len(z.NotAttempted)
	}
	return applied, refused, unknown, notAttempted
}

// SummaryAttrs are the counts a "reconcile finished" log line gives: the changes
// planned, by operation, then what became of them (see Outcomes).
func (r *Report) SummaryAttrs() []any {
	create, update, del := r.ChangeCount()
	applied, refused, unknown, notAttempted := r.Outcomes()
	return []any{"plannedCreate", create, "plannedUpdate", update, "plannedDelete", del,
		"applied", applied, "refused", refused, "unknown", unknown, "notAttempted", notAttempted, "dryRun", r.DryRun}
}

// RunOnce reconciles every zone once. It returns an error only when the reconcile could
// not start (the provider's zones could not be listed); everything else is in the Report.
// A zone whose last reconcile left nothing undone, that wants the same records, and that
// the provider proves unchanged since (provider.ChangeDetector) is reported as Skipped
// rather than read and planned again; one that wants other records at a few names is
// planned at those names only (reconcileNames), the provider proving the rest.
//
// The end of ctx stops RunOnce between zones, never inside one: the provider is called
// with a context that ctx does not cancel, so that a zone being written is written
// wholly (a change half sent is worse than a second's delay on shutdown). The sources
// are read with ctx itself.
func (c *Controller) RunOnce(ctx context.Context) (*Report, error) {
	return c.run(ctx, runFull)
}

// RunChanged is RunOnce for a reconcile caused by a change in the sources: it reconciles
// only the zones whose desired records differ from those of their last reconcile, and
// the zones whose last reconcile left something undone (an error, a refused change, a
// withheld deletion, or none yet). The others are reported as Skipped, unread.
//
// Why this is safe: a skipped zone was made to hold exactly what it is wanted to hold,
// and nothing zonekeeper knows of changed since. What it cannot know of is a change made
// to the zone by someone else; RunOnce, which the daemon runs every resync interval,
// reads every zone and corrects such a change at the latest then — as a full reconcile
// on every event would only do sooner if the event happened to come.
//
// A zone it does reconcile, whose last reconcile left it settled, is planned only at the
// names whose desired records changed, against the records its last full read found
// there (reconcileNames), unless that plan cannot be proven to be the full one's; the
// same reasoning applies to the names not planned.
func (c *Controller) RunChanged(ctx context.Context) (*Report, error) {
	return c.run(ctx, runChanged)
}

// RunResync is the daemon's periodic resync between two RunOnce: it reconciles the
// objects that changed, as RunChanged does, and proves every zone unchanged, as RunOnce
// does before it skips one. Its cost is that of the changed names and of one proof per
// zone (RFC2136's SOA query, a drift probe), not that of every object.
//
// It does not read the sources whole: what they want is the index RunOnce built and the
// changes since kept up to date. Whenever a zone cannot be proven to hold what its cache
// says (no ChangeDetector, a proof that fails, a cache older than MaxCacheAge or not
// written through), or reconcileDelta cannot make the reconcile a full one would, it is
// RunOnce. The daemon runs RunOnce itself at the longer DaemonConfig.SourceReadInterval,
// which bounds how long a fault in keeping the index could last.
func (c *Controller) RunResync(ctx context.Context) (*Report, error) {
	return c.run(ctx, runResync)
}

// runMode says which of RunOnce, RunChanged and RunResync a reconcile is.
type runMode int

const (
	runFull runMode = iota
	runChanged
	runResync
)

func (c *Controller) run(ctx context.Context, mode runMode) (*Report, error) {
	rep, err := c.reconcile(ctx, mode)
	if c.Events != nil {
		for _, e := range ReportEvents(rep, c.Config.Events) {
			c.Events.Event(e.Ref, e.Type, e.Reason, e.Message)
		}
	}
	if err == nil {
		c.acknowledge(ctx, rep)
	}
	return rep, err
}

func (c *Controller) reconcile(ctx context.Context, mode runMode) (*Report, error) {
	if mode != runFull {
		if rep, ok := c.reconcileDelta(ctx, mode == runResync); ok {
			return rep, nil
		}
	}
	onlyChanged := mode == runChanged
	previous := c.desired
	c.desired = nil
	rep := &Report{DryRun: c.Config.DryRun}
	providerCtx := context.WithoutCancel(ctx)
	var desired []*endpoint.Endpoint
	var results []source.Result
	for _, s := range c.Sources {
		res, err := s.Endpoints(ctx)
		if err != nil {
			rep.SourceErrors = append(rep.SourceErrors, err)
			continue
		}
		results = append(results, res)
		desired = append(desired, res.Endpoints...)
		rep.Problems = append(rep.Problems, res.Problems...)
	}
	rep.Asked = append([]*endpoint.Endpoint{}, desired...)
	desired = c.withMinTTL(desired)
	p := c.currentPolicy()
	desired, refused := c.enforcePolicy(p, desired)
	rep.Problems = append(rep.Problems, refused...)
	desired, adjustProblems := c.Provider.AdjustEndpoints(desired)
	rep.Problems = append(rep.Problems, adjustProblems...)
	rep.Desired = desired

	zones, err := c.zones(providerCtx)
	if err != nil {
		return rep, err
	}
	byZone, unplaced := assignZones(desired, zones, c.Config.DomainFilter)
	rep.Problems = append(rep.Problems, unplaced...)
	if len(rep.SourceErrors) == 0 && !c.Config.DryRun && !c.Config.OneShot && allIncremental(c.Sources) {
		c.desired = previous.reuse(results, slices.Concat(refused, adjustProblems, unplaced), p)
	}

	guard := deletionGuard{protected: objectsWithErrors(rep.Problems), sourceFailed: len(rep.SourceErrors) > 0, fullRead: !onlyChanged}
	if guard.sourceFailed {
		// Any record may merely be unread: no deletion waiting for confirmation may
		// count this reconcile, nor the ones before it.
		c.pending.forgetAll()
	}
	// Only a registry taking over a former owner's records asks which objects exist,
	// and only about records of that owner: the set is built on the first question.
	var existing map[string]bool
	exists := func(resource string) bool {
		if existing == nil {
			existing = existingObjects(desired, rep.Problems)
		}
		return existing[resource]
	}
	if c.Config.KeepRecordsOfExistingObjects {
		guard.awaiting = namesAwaitingTargets(rep.Problems)
	}
	guard.refusedByPolicy = namesRefusedByPolicy(rep.Problems)
	logProblems(c.Logger, rep.Problems)
	for _, z := range zones {
		if ctx.Err() != nil {
			rep.Interrupted = true
			break
		}
		// Hashed once here, the desired endpoints serve the fingerprint, the names an
		// event changed and the cache the reconcile leaves.
		sums := nameSums(byZone[z.Name])
		fingerprint := fingerprintOf(sums)
		// A resync skips such a zone only while its cache could stand in for reading it
		// (cacheProven), so that MaxCacheAge bounds how long an edit the provider's proof
		// cannot see goes unrepaired in an idle zone too.
		if last, ok := c.settled[z.ID]; ok && last.desired == fingerprint && len(rep.SourceErrors) == 0 &&
			(onlyChanged || c.cacheProven(providerCtx, z)) {
			rep.Zones = append(rep.Zones, ZoneReport{Zone: z, Owned: last.report.Owned, Conflicts: last.report.Conflicts,
				RecordTypes: last.report.RecordTypes, Verified: last.report.Verified, Skipped: true})
			continue
		}
		zr, incremental := ZoneReport{}, false
		// A resync may plan only the names whose desired records changed when the
		// provider proves the rest of the zone holds what was read and written
		// (planNames asks the ChangeDetector): under a steady stream of events there
		// always are a few, and reading and planning 100,000 names for them holds the
		// next event back by seconds.
		if _, proves := provider.DetectorOf(c.Provider); (onlyChanged || proves) && len(rep.SourceErrors) == 0 {
			zr, incremental = c.reconcileNames(providerCtx, z, byZone[z.Name], sums, guard, exists)
		}
		if !incremental {
			zr = c.reconcileZone(providerCtx, z, byZone[z.Name], guard, exists)
		}
		c.logZone(zr)
		c.verifyServed(ctx, &zr)
		rep.Zones = append(rep.Zones, zr)
		c.remember(zr, fingerprint, len(rep.SourceErrors) == 0)
		c.keepCache(zr, sums, incremental)
	}
	if rep.Interrupted {
		// The zones left out were not reconciled against the index.
		c.desired = nil
	}
	return rep, nil
}

// allIncremental reports whether every source can say which objects changed.
func allIncremental(sources []source.Source) bool {
	for _, s := range sources {
		if _, ok := s.(source.Incremental); !ok {
			return false
		}
	}
	return true
}

// provenUnchanged reports whether the provider can prove, cheaply, that zone holds what
// it held after its last reconcile (provider.ChangeDetector: RFC2136's SOA serial). A
// settled zone that wants the same records is then left alone even by RunOnce, while its
// cache is young enough (cacheProven): reading and planning it would find nothing to do.
func (c *Controller) provenUnchanged(ctx context.Context, z provider.Zone) bool {
	detector, ok := provider.DetectorOf(c.Provider)
	if !ok {
		return false
	}
	unchanged, err := detector.Unchanged(ctx, z)
	return err == nil && unchanged
}

// remember records whether zr left its zone settled: read and written without error,
// nothing refused or withheld, from sources that could all be read. Only then may
// RunChanged skip the zone while what it wants stays the same. A dry run settles
// nothing, since it leaves every change undone.
func (c *Controller) remember(zr ZoneReport, desired uint64, sourcesRead bool) {
	if c.settled == nil {
		c.settled = map[string]settledZone{}
	}
	if !sourcesRead || c.Config.DryRun || zr.Err != nil || len(zr.Failed) > 0 || len(zr.Withheld) > 0 {
		delete(c.settled, zr.Zone.ID)
		return
	}
	// What RunChanged reads of the report, without the changes: the first reconcile of
	// 100,000 names would otherwise keep its 100,000 changes as long as the zone stays
	// settled.
	verified := zr.Verified
	if zr.verifiedAfter != nil {
		verified = zr.verifiedAfter
	}
	c.settled[zr.Zone.ID] = settledZone{desired: desired, report: ZoneReport{Zone: zr.Zone, Withheld: zr.Withheld,
		Problems: zr.Problems, Conflicts: zr.Conflicts, Owned: zr.Owned, RecordTypes: zr.RecordTypes, Verified: verified}}
}

// desiredFingerprint condenses a zone's desired endpoints into a number that changes,
// but for a 64-bit hash collision, whenever anything the planner or the registry reads
// of them changes: names, types, set identifiers, targets, TTLs, properties, labels and
// the objects asking. The order of the endpoints does not matter, since sources list
// objects in no fixed order.
func desiredFingerprint(desired []*endpoint.Endpoint) uint64 {
	return fingerprintOf(nameSums(desired))
}

// fingerprintOf is desiredFingerprint of the desired endpoints whose nameSums are sums.
// Each name's sum covers its name (endpointSum hashes it), so the sorted sums alone
// tell the zones' desired records apart.
//
// It is a sum over the names, so that reconcileDelta can update it name by name, of
// each name's sum passed through a mixing function, so that sums moving between names
// do not cancel out.
func fingerprintOf(sums map[string]uint64) uint64 {
	var fp uint64
	for _, s := range sums {
		fp += fingerprintTerm(s, true)
	}
	return fp
}

// fingerprintTerm is what a name whose nameSums entry is sum (absent: present false)
// adds to fingerprintOf: splitmix64's finaliser of the sum.
func fingerprintTerm(sum uint64, present bool) uint64 {
	if !present {
		return 0
	}
	z := sum + 0x9e3779b97f4a7c15
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// endpointSum is the hash of what the planner or the registry reads of one desired
// endpoint (see desiredFingerprint).
func endpointSum(e *endpoint.Endpoint) uint64 {
	// Each field ends in a 0 byte and each list in a 1 byte, which no name, target
	// or label holds, so that different endpoints never write the same bytes.
	var buf []byte
	field := func(s string) { buf = append(append(buf, s...), 0) }
	field(e.DNSName)
	field(e.RecordType)
	field(e.SetIdentifier)
	buf = append(strconv.AppendInt(buf, int64(e.RecordTTL), 10), 0)
	for _, t := range e.Targets {
		field(t)
	}
	buf = append(buf, 1)
	for _, p := range e.ProviderSpecific {
		field(p.Name)
		field(p.Value)
	}
	buf = append(buf, 1)
	for _, r := range e.Refs {
		field(r.Kind)
		field(r.Namespace)
		field(r.Name)
		field(r.Source)
	}
	buf = append(buf, 1)
	for _, k := range slices.Sorted(maps.Keys(e.Labels)) {
		field(k)
		field(e.Labels[k])
	}
	h := fnv.New64a()
	h.Write(buf)
	return h.Sum64()
}

func (c *Controller) zones(ctx context.Context) ([]provider.Zone, error) {
	all, err := c.Provider.Zones(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing zones: %w", err)
	}
	var out []provider.Zone
	for _, z := range all {
		if len(c.Config.ZoneIDFilter) > 0 && !slices.Contains(c.Config.ZoneIDFilter, z.ID) {
			continue
		}
		if c.Config.DomainFilter.MatchZone(z.Name) {
			out = append(out, z)
		}
	}
	return out, nil
}

// withMinTTL raises every TTL in eps that is unset or below MinTTL. A raised endpoint is
// replaced by a copy in eps, which must be the controller's own slice: the endpoints
// themselves belong to the sources, which may hand out the same ones every cycle.
func (c *Controller) withMinTTL(eps []*endpoint.Endpoint) []*endpoint.Endpoint {
	if c.Config.MinTTL <= 0 {
		return eps
	}
	for i, e := range eps {
		if e.RecordTTL < c.Config.MinTTL {
			raised := e.Clone()
			raised.RecordTTL = c.Config.MinTTL
			eps[i] = raised
		}
	}
	return eps
}

// assignZones puts each desired endpoint in the zone that is the longest label-wise
// suffix of its name. A managed name that no zone holds is reported on its objects.
func assignZones(desired []*endpoint.Endpoint, zones []provider.Zone, filter endpoint.DomainFilter) (map[string][]*endpoint.Endpoint, []endpoint.Problem) {
	byZone := make(map[string][]*endpoint.Endpoint, len(zones))
	var problems []endpoint.Problem
	for _, e := range desired {
		z, ok := provider.ZoneFor(e.DNSName, zones)
		if ok {
			byZone[z.Name] = append(byZone[z.Name], e)
			continue
		}
		if !filter.Match(e.DNSName) {
			continue
		}
		for _, ref := range e.Refs {
			problems = append(problems, endpoint.Problem{
				Ref: ref, DNSName: e.DNSName, Warning: true,
				Err: errNoZone,
			})
		}
	}
	return byZone, problems
}

// objectsWithErrors lists the objects whose input was rejected. Their records stay as
// they are: a typo in an annotation must not delete a live record.
func objectsWithErrors(problems []endpoint.Problem) map[string]bool {
	out := map[string]bool{}
	for _, p := range problems {
		if !p.Warning {
			out[p.Ref.String()] = true
		}
	}
	return out
}

// objectName is a name one object asks for.
type objectName struct{ object, dnsName string }

// namesAwaitingTargets lists the names that objects ask for but have no address for
// (source.ErrNoTargets).
func namesAwaitingTargets(problems []endpoint.Problem) map[objectName]bool {
	out := map[objectName]bool{}
	for _, p := range problems {
		if errors.Is(p.Err, source.ErrNoTargets) {
			out[objectName{p.Ref.String(), p.DNSName}] = true
		}
	}
	return out
}

// deletionGuard is what the safety checks on planned deletions know of the sources.
type deletionGuard struct {
	// sourceFailed: a source could not be read (safety invariant 3).
	sourceFailed bool
	// fullRead: the reconcile reads every zone (RunOnce), which counts towards the
	// confirmation of deletions over the budget.
	fullRead bool
	// protected are the objects with invalid input, by ObjectRef.String.
	protected map[string]bool
	// awaiting are the names existing objects ask for without an address.
	awaiting map[objectName]bool
	// refusedByPolicy are the names existing objects ask for that the domain policy
	// refuses.
	refusedByPolicy map[objectName]bool
}

// existingObjects lists the objects the sources saw, by ObjectRef.String: those asking
// for records and those with problems.
func existingObjects(desired []*endpoint.Endpoint, problems []endpoint.Problem) map[string]bool {
	out := map[string]bool{}
	for _, e := range desired {
		for _, r := range e.Refs {
			out[r.String()] = true
		}
	}
	for _, p := range problems {
		out[p.Ref.String()] = true
	}
	return out
}

func (c *Controller) reconcileZone(ctx context.Context, z provider.Zone, desired []*endpoint.Endpoint, guard deletionGuard, exists func(resource string) bool) ZoneReport {
	zr := ZoneReport{Zone: z}
	records, cache, err := c.readZone(ctx, z)
	if err != nil {
		zr.Err = fmt.Errorf("reading records: %w", err)
		c.pending.forgetZone(z.ID) // unseen, the deletions' wait is broken
		c.pending.forgetZone(policyZoneKey(z.ID))
		return zr
	}
	var owned registry.Zone
	if adopter, ok := c.Registry.(registry.Adopter); ok {
		owned = adopter.LoadAdopting(z, records, exists)
	} else {
		owned = c.Registry.Load(z, records)
	}
	current := owned.Records()
	zr.read = &zoneRead{records: records, cache: cache}
	zr.Owned = countOwned(current, c.Registry.OwnerID())
	held, recordTypes := holdingsOf(current)
	zr.RecordTypes, zr.Verified = recordTypes, held.verified(desired)
	res := plan.Calculate(plan.Input{
		Desired:      desired,
		Current:      current,
		OwnerID:      c.Registry.OwnerID(),
		Policy:       c.Config.Policy,
		ManagedTypes: c.Config.ManagedTypes,
		DomainFilter: c.Config.DomainFilter,
	})
	zr.Problems = res.Problems
	zr.Conflicts = conflicts(res.Problems)
	res.Changes.Delete, zr.Withheld = guard.withhold(res.Changes.Delete)
	var policyConfirmed []*endpoint.Endpoint
	zr.Withheld, policyConfirmed = c.confirmPolicyDeletions(z.ID, zr.Withheld, guard.fullRead)
	res.Changes.Delete = append(res.Changes.Delete, policyConfirmed...)
	if why := c.budgetExceeded(z.ID, len(res.Changes.Delete), zr.Owned); why != "" {
		var budgetWithheld []Withheld
		zr.Confirmed, budgetWithheld = c.overBudget(z.ID, res.Changes.Delete, why, guard.fullRead)
		zr.Withheld = append(zr.Withheld, budgetWithheld...)
		res.Changes.Delete = zr.Confirmed
	} else {
		c.pending.forgetZone(z.ID)
	}
	var waitingCreates []endpoint.Problem
	res.Changes.Create, waitingCreates = withholdClashingCreates(res.Changes.Create, zr.Withheld)
	zr.Problems = append(zr.Problems, waitingCreates...)

	changes, problems := owned.Changes(res.Changes)
	zr.Problems = append(zr.Problems, problems...)
	changes, problems = enforceZoneRules(z.Name, records, changes)
	zr.Changes = changes
	zr.Problems = append(zr.Problems, problems...)
	c.apply(ctx, &zr)
	// What the next reconcile would find, which one that skips the zone as proven
	// unchanged reports instead of reading it.
	held.write(zr.Applied)
	zr.verifiedAfter = held.verified(desired)
	return zr
}

// apply carries out zr.Changes, unless this is a dry run, and records in zr what became
// of them.
func (c *Controller) apply(ctx context.Context, zr *ZoneReport) {
	z, changes := zr.Zone, zr.Changes
	if c.Config.DryRun || len(changes) == 0 {
		return
	}
	if c.refused == nil {
		c.refused = refusals{}
	}
	ready, setAside := c.refused.setAside(z, changes, c.now())
	zr.Failed = setAside
	if len(ready) == 0 {
		return
	}
	outcome := provider.OutcomeOf(ready, c.Provider.Apply(ctx, z, ready))
	zr.Applied, zr.Unknown, zr.NotAttempted = outcome.Applied, outcome.Unknown, outcome.NotAttempted
	if c.Config.Budget.Window > 0 {
		c.recent.handedOver(z.ID, c.now(), outcome.Applied, outcome.Unknown)
	}
	zr.Failed = append(zr.Failed, c.refused.record(z, outcome, c.now())...)
	zr.refusedNow = len(outcome.Failed) > 0
	if outcome.Stopped != nil {
		// An outage, not a bad change: what had no answer is not set aside, and the
		// next reconcile plans it again from what the zone then holds.
		zr.Err = fmt.Errorf("applying changes: %w", outcome.Stopped)
	}
}

// now is the controller's clock.
func (c *Controller) now() time.Time {
	if c.clock != nil {
		return c.clock()
	}
	return time.Now()
}

// withhold keeps the deletions that are safe to make. When a source could not be read,
// every absent record may merely be unread, so nothing is deleted (safety invariant 3); a
// record whose owning object was rejected, or still asks for the name without an
// address, is kept as it is.
func (g deletionGuard) withhold(deletes []*endpoint.Endpoint) (keep []*endpoint.Endpoint, withheld []Withheld) {
	for _, d := range deletes {
		object := d.Labels[endpoint.ResourceLabelKey]
		switch {
		case g.sourceFailed:
			withheld = append(withheld, Withheld{Record: d, Cause: CauseSourceError, Reason: "a source could not be read"})
		case g.protected[object]:
			withheld = append(withheld, Withheld{Record: d, Cause: CauseObjectError,
				Reason: "its object " + object + " has invalid input"})
		case g.awaiting[objectName{object, d.DNSName}]:
			withheld = append(withheld, Withheld{Record: d, Cause: CauseNoTargets,
				Reason: "its object " + object + " still asks for the name but has no address for it"})
		case g.refusedByPolicy[objectName{object, d.DNSName}]:
			// Its Reason is completed by confirmPolicyDeletions, which decides its wait.
			withheld = append(withheld, Withheld{Record: d, Cause: CausePolicy, Reason: policyWithheld})
		default:
			keep = append(keep, d)
		}
	}
	return keep, withheld
}

// withholdClashingCreates leaves out the creates that could only live beside a record
// whose deletion was withheld: a CNAME where another record of its name and set
// identifier stays, or any record where a CNAME stays (RFC 1034 3.6.2). A provider would
// have to refuse them. They are reported on their objects and made once the deletion
// goes through.
func withholdClashingCreates(creates []*endpoint.Endpoint, withheld []Withheld) (keep []*endpoint.Endpoint, waiting []endpoint.Problem) {
	if len(withheld) == 0 {
		return creates, nil
	}
	staying := make(map[endpoint.Key][]Withheld, len(withheld))
	for _, w := range withheld {
		staying[w.Record.Key()] = append(staying[w.Record.Key()], w)
	}
	for _, cr := range creates {
		i := slices.IndexFunc(staying[cr.Key()], func(w Withheld) bool {
			return w.Record.RecordType == endpoint.RecordTypeCNAME || cr.RecordType == endpoint.RecordTypeCNAME
		})
		if i < 0 {
			keep = append(keep, cr)
			continue
		}
		w := staying[cr.Key()][i]
		err := fmt.Errorf("%s record not created yet: it cannot coexist with the %s record it replaces, whose deletion is withheld because %s",
			cr.RecordType, w.Record.RecordType, w.Reason)
		for _, ref := range cr.Refs {
			waiting = append(waiting, endpoint.Problem{Ref: ref, DNSName: cr.DNSName, Warning: true, Err: err})
		}
	}
	return keep, waiting
}

// countOwned counts the records of current (as the registry labelled them) that are
// ours, by the planner's rule.
func countOwned(current []*endpoint.Endpoint, ownerID string) int {
	n := 0
	for _, r := range current {
		if r.Labels[endpoint.OwnerLabelKey] == ownerID {
			n++
		}
	}
	return n
}

// nameType is a record's name and type: what a zone must hold for an endpoint to count
// as verified.
type nameType struct{ name, recordType string }

// holdings counts a zone's records by name and type.
type holdings map[nameType]int

// holdingsOf counts current's records by name and type, and by type alone.
func holdingsOf(current []*endpoint.Endpoint) (holdings, map[string]int) {
	held := make(holdings, len(current))
	byType := map[string]int{}
	for _, r := range current {
		byType[r.RecordType]++
		held[nameType{r.DNSName, r.RecordType}]++
	}
	return held, byType
}

// write counts in the records applied creates and deletes.
func (h holdings) write(applied []provider.Change) {
	for _, c := range applied {
		for _, rc := range c.Records {
			switch rc.Op {
			case provider.OpCreate:
				h[nameType{rc.New.DNSName, rc.New.RecordType}]++
			case provider.OpDelete:
				h[nameType{rc.Old.DNSName, rc.Old.RecordType}]--
			}
		}
	}
}

// verified counts, by type, the endpoints of desired whose name and type the zone holds
// (external-dns's "verified" records).
func (h holdings) verified(desired []*endpoint.Endpoint) map[string]int {
	verified := map[string]int{}
	for _, e := range desired {
		if h[nameType{e.DNSName, e.RecordType}] > 0 {
			verified[e.RecordType]++
		}
	}
	return verified
}

// conflicts names the records on which the planner reported an object losing to another
// (plan.ConflictError).
func conflicts(planned []endpoint.Problem) []string {
	var names []string
	for _, p := range planned {
		var ce *plan.ConflictError
		if errors.As(p.Err, &ce) {
			names = append(names, p.DNSName)
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// logZone logs what happened in one zone: one line per change, naming the record and the
// objects that asked for it. Only main records are logged, never ownership records: their
// values are the registry's business (and encrypted when a key is set).
func (c *Controller) logZone(zr ZoneReport) {
	if c.Logger == nil {
		return
	}
	log := c.Logger.With("zone", zr.Zone.Name)
	for _, w := range zr.Withheld {
		log.Warn("deletion withheld", recordAttrs(w.Record), "cause", string(w.Cause), "reason", w.Reason)
	}
	c.logBudget(log, zr)
	logProblems(log, zr.Problems)
	for _, f := range zr.Failed {
		main := f.Change.Main()
		log.Warn("change refused", "op", main.Op.String(), recordAttrs(main.Endpoint()), "err", f.Err)
	}
	logged, msg := zr.Applied, "change applied"
	if c.Config.DryRun {
		logged, msg = zr.Changes, "change planned (dry run)"
	}
	for _, ch := range logged {
		main := ch.Main()
		log.Info(msg, "op", main.Op.String(), recordAttrs(main.Endpoint()))
	}
	for _, ch := range zr.Unknown {
		main := ch.Main()
		log.Warn("change in flight when writing stopped; the next reconcile reads what the zone holds",
			"op", main.Op.String(), recordAttrs(main.Endpoint()))
	}
	if zr.Err != nil {
		log.Error("zone not reconciled", "err", zr.Err, "planned", len(zr.Changes), "applied", len(zr.Applied),
			"refused", len(zr.Failed), "unknown", len(zr.Unknown), "notAttempted", len(zr.NotAttempted))
	}
}

// logProblems logs each per-object problem to log, which may be nil.
func logProblems(log *slog.Logger, problems []endpoint.Problem) {
	if log == nil {
		return
	}
	for _, p := range problems {
		log.Warn("object problem", "object", p.Ref.String(), "source", p.Ref.Source, "name", p.DNSName, "err", p.Err, "warning", p.Warning)
	}
}

// recordAttrs describes a record for a log line: name, type, targets, set identifier, and
// the objects that asked for it (from Refs, or the resource label of a record read back
// from the provider).
func recordAttrs(e *endpoint.Endpoint) slog.Attr {
	objects := make([]string, 0, len(e.Refs))
	for _, r := range e.Refs {
		objects = append(objects, r.String())
	}
	if len(objects) == 0 && e.Labels[endpoint.ResourceLabelKey] != "" {
		objects = append(objects, e.Labels[endpoint.ResourceLabelKey])
	}
	attrs := []any{"name", e.DNSName, "type", e.RecordType, "targets", []string(e.Targets), "objects", objects}
	if e.SetIdentifier != "" {
		attrs = append(attrs, "setIdentifier", e.SetIdentifier)
	}
	return slog.Group("record", attrs...)
}
