package controller

import (
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/policy"
)

// DefaultNamespace is the namespace of an object that names none: a manifest object
// without metadata.namespace, as kubectl would create it.
const DefaultNamespace = "default"

// DomainPolicy is the domain policy (package policy) the reconcile enforces on the
// objects' names. The zero value enforces none.
//
// What it does: a desired record whose object's namespace may not publish its name is
// left out of the plan, and the object gets a Problem (PolicyError, reason
// NameNotAllowed). A record zonekeeper already published for such a name is kept, not
// deleted (CausePolicy): a policy mistake must not take live names down. It is deleted
// only once confirmed: with ConfirmAfter, when every reconcile of its zone refused it,
// without a break, for that long and DeletionBudget.ConfirmFullReads of them were full
// reconciles (the deletion budget's rule, see pendingDeletions); with DeleteRefused, at
// once (run --once --force).
type DomainPolicy struct {
	// Current returns the policy in force, called once at the start of each
	// reconcile; a nil result, or a nil Current, enforces none.
	Current func() *policy.Policy
	// NamespaceLabels returns the labels of a namespace. It is called only when the
	// policy selects namespaces by label; an error refuses the names of the namespace's
	// objects (a namespace that cannot be seen cannot be shown to be selected).
	NamespaceLabels func(namespace string) (map[string]string, error)
	// ConfirmAfter is how long a record the policy refuses stays before it is deleted;
	// 0 keeps it until an operator acts (DeleteRefused, or a change of the policy).
	ConfirmAfter time.Duration
	// DeleteRefused deletes the records the policy refuses at once: an operator's
	// confirmation, for a one-shot run.
	DeleteRefused bool
	// Metrics, if not nil, counts what the policy refused.
	Metrics *PolicyMetrics
}

// ReasonNameNotAllowed is the reason of the warning Event on an object asking for a name
// the domain policy does not allow its namespace (PolicyError).
const ReasonNameNotAllowed = "NameNotAllowed"

// CausePolicy: the record's object still asks for the name, but the domain policy no
// longer allows it; the record is kept until confirmed (DomainPolicy).
const CausePolicy WithholdCause = "domain_policy"

// PolicyError is the Err of the Problem an object gets for a name the domain policy
// refuses.
type PolicyError struct {
	Namespace string
	DNSName   string
	// Reason is the policy's answer (policy.Policy.Allows).
	Reason string
}

func (e *PolicyError) Error() string {
	return fmt.Sprintf("%s may not be published from namespace %s by the domain policy: %s; the record is not planned, and one already published is kept until confirmed",
		e.DNSName, e.Namespace, e.Reason)
}

// enforcePolicy leaves out of desired the endpoints whose objects may not publish their
// names, and returns a Problem for each object refused. An endpoint several objects ask
// for is kept with the objects allowed. desired is the controller's own slice.
// p is the policy in force (currentPolicy), nil for none.
func (c *Controller) enforcePolicy(p *policy.Policy, desired []*endpoint.Endpoint) ([]*endpoint.Endpoint, []endpoint.Problem) {
	dp := c.Config.DomainPolicy
	if dp.Current == nil {
		return desired, nil
	}
	if p == nil {
		dp.Metrics.observe(nil)
		return desired, nil
	}
	out, problems, refused := c.applyPolicy(p, desired)
	dp.Metrics.observe(refused)
	if c.Logger != nil && len(problems) > 0 {
		c.Logger.Warn("the domain policy refused names; their records are not planned", "refused", len(problems))
	}
	return out, problems
}

// currentPolicy is the domain policy in force, nil for none.
func (c *Controller) currentPolicy() *policy.Policy {
	if c.Config.DomainPolicy.Current == nil {
		return nil
	}
	return c.Config.DomainPolicy.Current()
}

// applyPolicy is enforcePolicy under p, with the refusals counted by namespace.
func (c *Controller) applyPolicy(p *policy.Policy, desired []*endpoint.Endpoint) ([]*endpoint.Endpoint, []endpoint.Problem, map[string]int) {
	dp := c.Config.DomainPolicy
	labelsOf := map[string]map[string]string{}
	labelErrs := map[string]error{}
	namespace := func(name string) (policy.Namespace, error) {
		ns := policy.Namespace{Name: name}
		if !p.UsesSelectors() || dp.NamespaceLabels == nil {
			return ns, nil
		}
		if l, ok := labelsOf[name]; ok {
			ns.Labels = l
			return ns, labelErrs[name]
		}
		l, err := dp.NamespaceLabels(name)
		labelsOf[name], labelErrs[name] = l, err
		ns.Labels = l
		return ns, err
	}
	var problems []endpoint.Problem
	refused := map[string]int{}
	out := desired[:0:0]
	for _, e := range desired {
		var allowed []endpoint.ObjectRef
		for _, ref := range e.Refs {
			name := ref.Namespace
			if name == "" {
				name = DefaultNamespace
			}
			ns, err := namespace(name)
			ok, why := false, ""
			if err != nil {
				why = fmt.Sprintf("the labels of namespace %s cannot be read: %v", name, err)
			} else {
				ok, why = p.Allows(ns, e.DNSName)
			}
			if ok {
				allowed = append(allowed, ref)
				continue
			}
			refused[name]++
			problems = append(problems, endpoint.Problem{Ref: ref, DNSName: e.DNSName, Warning: true,
				Err: &PolicyError{Namespace: name, DNSName: e.DNSName, Reason: why}})
		}
		switch {
		case len(allowed) == len(e.Refs):
			out = append(out, e)
		case len(allowed) > 0:
			kept := e.Clone()
			kept.Refs = allowed
			out = append(out, kept)
		}
	}
	return out, problems, refused
}

// namesRefusedByPolicy lists the names objects ask for that the domain policy refuses.
func namesRefusedByPolicy(problems []endpoint.Problem) map[objectName]bool {
	out := map[objectName]bool{}
	for _, p := range problems {
		var pe *PolicyError
		if errors.As(p.Err, &pe) {
			out[objectName{p.Ref.String(), p.DNSName}] = true
		}
	}
	return out
}

// policyWithheld is why the deletion of a record the policy refuses is withheld.
const policyWithheld = "the domain policy no longer allows its object the name"

// policyZoneKey keys the refused records of a zone in Controller.pending, apart from
// the zone's deletions over the budget: the two waits are separate.
func policyZoneKey(zoneID string) string { return "domain-policy\x00" + zoneID }

// confirmPolicyDeletions takes the records the policy refuses out of withheld and
// returns those confirmed for deletion (DomainPolicy); the others stay withheld, with
// their wait.
func (c *Controller) confirmPolicyDeletions(zoneID string, withheld []Withheld, full bool) (kept []Withheld, confirmed []*endpoint.Endpoint) {
	dp := c.Config.DomainPolicy
	var refused []*endpoint.Endpoint
	for _, w := range withheld {
		if w.Cause == CausePolicy {
			refused = append(refused, w.Record)
		} else {
			kept = append(kept, w)
		}
	}
	if dp.DeleteRefused {
		return kept, refused
	}
	budget := DeletionBudget{ConfirmAfter: dp.ConfirmAfter, ConfirmFullReads: c.Config.Budget.ConfirmFullReads}
	confirmed, waiting, states := c.pending.observe(policyZoneKey(zoneID), refused, full, c.now(), budget)
	for i, d := range waiting {
		w := Withheld{Record: d, Cause: CausePolicy, Reason: policyWithheld + "; kept until an operator confirms (run --once --force, or --domain-policy-confirm-after)"}
		if states != nil {
			s := states[i]
			w.Pending = &s
			w.Reason = fmt.Sprintf("%s; waiting for confirmation since %s: deleted from %s on if every reconcile until then still refuses it and %d full reconciles did (%d so far)",
				policyWithheld, s.Since.UTC().Format(time.RFC3339), s.ConfirmAt.UTC().Format(time.RFC3339), s.FullReadsNeeded, s.FullReads)
		}
		kept = append(kept, w)
	}
	return kept, confirmed
}

// PolicyMetrics are the domain policy's metrics (docs/metrics.md):
//
//   - zonekeeper_policy_refused{namespace}: names the policy refused in the last
//     reconcile, by namespace (a gauge: it falls when the objects or the policy change);
//   - zonekeeper_policy_loads_total{result}: policy loads, result "loaded" or
//     "refused" (a broken policy, the last good one staying in force);
//   - zonekeeper_policy_last_load_success: 1 when the last load succeeded, 0 when the
//     policy in force is older than the configuration.
type PolicyMetrics struct {
	refused    *prometheus.GaugeVec
	loads      *prometheus.CounterVec
	lastLoadOK prometheus.Gauge
}

// NewPolicyMetrics registers the domain policy's metrics with reg.
func NewPolicyMetrics(reg prometheus.Registerer) *PolicyMetrics {
	m := &PolicyMetrics{
		refused: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "zonekeeper_policy_refused",
			Help: "Names the domain policy refused in the last reconcile, by namespace."}, []string{"namespace"}),
		loads: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "zonekeeper_policy_loads_total",
			Help: "Loads of the domain policy, by result: loaded, or refused (broken; the last good policy stays)."}, []string{"result"}),
		lastLoadOK: prometheus.NewGauge(prometheus.GaugeOpts{Name: "zonekeeper_policy_last_load_success",
			Help: "1 when the last load of the domain policy succeeded, 0 when it was refused and an older policy is in force."}),
	}
	reg.MustRegister(m.refused, m.loads, m.lastLoadOK)
	return m
}

// ObserveLoad counts one load of the policy; err is why it was refused, nil when loaded.
func (m *PolicyMetrics) ObserveLoad(err error) {
	if m == nil {
		return
	}
	if err != nil {
		m.loads.WithLabelValues("refused").Inc()
		m.lastLoadOK.Set(0)
		return
	}
	m.loads.WithLabelValues("loaded").Inc()
	m.lastLoadOK.Set(1)
}

func (m *PolicyMetrics) observe(refused map[string]int) {
	if m == nil {
		return
	}
	m.refused.Reset()
	for ns, n := range refused {
		m.refused.WithLabelValues(ns).Set(float64(n))
	}
}
