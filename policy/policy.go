// Package policy is zonekeeper's domain policy: which namespaces may publish which DNS
// names. It is pure: Parse reads a policy from bytes, Allows decides one name for one
// namespace. Reading the policy from a file or a ConfigMap, and a namespace's labels
// from the cluster, is the caller's business.
//
// The rule of Allows, in order:
//
//  1. A name that an exclusion covers is refused: the top-level exclusions, and those
//     of every rule that selects the namespace. Exclusions win over everything.
//  2. A name that a rule selecting the namespace admits (one of its suffixes, or one
//     of its exact names) is allowed.
//  3. A namespace that some rule selects gets nothing else.
//  4. A namespace that no rule selects gets everything under Default allow, nothing
//     under Default deny.
//
// Names are compared as zonekeeper stores them (endpoint.NormalizeName: lower case,
// punycode, no trailing dot), and suffixes and exclusions match whole labels:
// "example.com" covers "example.com" and "www.example.com", never "badexample.com".
package policy

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"

	"github.com/zonekeeper/zonekeeper/endpoint"
)

// Mode is what a namespace that no rule selects may publish.
type Mode string

// The modes.
const (
	// Deny: nothing. The mode of a platform that hands names out.
	Deny Mode = "deny"
	// Allow: everything the exclusions leave. The mode of a cluster that fences off a
	// few names and trusts the rest.
	Allow Mode = "allow"
)

// Document is the policy as written, in YAML or JSON (docs/tenancy.md).
type Document struct {
	// Default is "deny" or "allow"; required, so that nobody gets the one they did not
	// mean.
	Default Mode `json:"default"`
	// Exclude are suffixes no namespace may publish under.
	Exclude []string `json:"exclude,omitempty"`
	Rules   []Rule   `json:"rules,omitempty"`
}

// Rule gives the namespaces it selects the names it admits.
type Rule struct {
	// Name names the rule in messages; optional, "rule N" (1-based) otherwise.
	Name string `json:"name,omitempty"`
	// Namespaces and NamespaceSelector select namespaces: a namespace is selected when
	// it is listed or its labels match the selector. At least one must be set.
	Namespaces        []string              `json:"namespaces,omitempty"`
	NamespaceSelector *metav1.LabelSelector `json:"namespaceSelector,omitempty"`
	// Suffixes admit every name equal to or below one of them; Names admit exactly
	// themselves. At least one of the two must be set.
	Suffixes []string `json:"suffixes,omitempty"`
	Names    []string `json:"names,omitempty"`
	// Exclude are suffixes the selected namespaces may not publish under, even if this
	// or another rule admits them.
	Exclude []string `json:"exclude,omitempty"`
}

// Policy is a parsed, checked Document, ready to decide. Its zero value is not valid:
// use Parse or New.
type Policy struct {
	mode    Mode
	exclude []string
	rules   []rule
	doc     Document
}

type rule struct {
	label      string
	namespaces []string
	selector   labels.Selector // nil when the rule has no selector
	suffixes   []string
	names      []string
	exclude    []string
}

// Parse reads a policy document in YAML or JSON. Unknown fields are errors, as are
// names that are not DNS names, and rules that select no namespace or admit no name;
// every error names the rule and the problem.
func Parse(data []byte) (*Policy, error) {
	var doc Document
	if err := yaml.UnmarshalStrict(data, &doc); err != nil {
		return nil, fmt.Errorf("domain policy: %w", err)
	}
	return New(doc)
}

// New checks doc and compiles it into a Policy.
func New(doc Document) (*Policy, error) {
	p := &Policy{mode: doc.Default, doc: doc}
	switch doc.Default {
	case Deny, Allow:
	case "":
		return nil, errors.New(`domain policy: "default" is required: deny (namespaces no rule selects publish nothing) or allow (they publish everything not excluded)`)
	default:
		return nil, fmt.Errorf(`domain policy: "default" %s: want deny or allow`, endpoint.Quote(string(doc.Default)))
	}
	var err error
	if p.exclude, err = normalizeNames(doc.Exclude); err != nil {
		return nil, fmt.Errorf("domain policy: exclude: %w", err)
	}
	for i, r := range doc.Rules {
		cr, err := compileRule(i, r)
		if err != nil {
			return nil, err
		}
		p.rules = append(p.rules, cr)
	}
	return p, nil
}

func compileRule(i int, r Rule) (rule, error) {
	cr := rule{label: fmt.Sprintf("rule %d", i+1)}
	if r.Name != "" {
		cr.label += " (" + endpoint.Quote(r.Name) + ")"
	}
	fail := func(format string, args ...any) (rule, error) {
		return rule{}, fmt.Errorf("domain policy: %s: %s", cr.label, fmt.Sprintf(format, args...))
	}
	if len(r.Namespaces) == 0 && r.NamespaceSelector == nil {
		return fail("selects no namespace: set namespaces, namespaceSelector or both")
	}
	if len(r.Suffixes) == 0 && len(r.Names) == 0 {
		return fail("admits no name: set suffixes, names or both (to take names away, use exclude)")
	}
	for _, ns := range r.Namespaces {
		if ns == "" || len(ns) > 63 || strings.ToLower(ns) != ns || strings.Trim(ns, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" ||
			strings.HasPrefix(ns, "-") || strings.HasSuffix(ns, "-") {
			return fail("namespace %s is not a namespace name (lower-case letters, digits and '-', at most 63)", endpoint.Quote(ns))
		}
	}
	cr.namespaces = slices.Clone(r.Namespaces)
	if r.NamespaceSelector != nil {
		sel, err := metav1.LabelSelectorAsSelector(r.NamespaceSelector)
		if err != nil {
			return fail("namespaceSelector: %v", err)
		}
		if sel.Empty() {
			return fail("namespaceSelector is empty and would select every namespace; list the labels to match")
		}
		cr.selector = sel
	}
	var err error
	if cr.suffixes, err = normalizeNames(r.Suffixes); err != nil {
		return fail("suffixes: %v", err)
	}
	if cr.names, err = normalizeNames(r.Names); err != nil {
		return fail("names: %v", err)
	}
	if cr.exclude, err = normalizeNames(r.Exclude); err != nil {
		return fail("exclude: %v", err)
	}
	return cr, nil
}

// normalizeNames normalises a list of names as zonekeeper stores them, refusing names
// that are empty or not valid DNS names.
func normalizeNames(in []string) ([]string, error) {
	out := make([]string, 0, len(in))
	for _, n := range in {
		norm, err := endpoint.NormalizeName(n)
		if err != nil {
			return nil, err
		}
		if norm == "" {
			return nil, errors.New("an empty name")
		}
		if err := endpoint.ValidateName(norm); err != nil {
			return nil, err
		}
		out = append(out, norm)
	}
	return out, nil
}

// Mode returns the policy's default mode.
func (p *Policy) Mode() Mode { return p.mode }

// Document returns the document the policy was made of.
func (p *Policy) Document() Document { return p.doc }

// UsesSelectors reports whether any rule selects namespaces by label: only then does
// Allows need a namespace's labels.
func (p *Policy) UsesSelectors() bool {
	return slices.ContainsFunc(p.rules, func(r rule) bool { return r.selector != nil })
}

// Namespace is what Allows knows of a namespace.
type Namespace struct {
	Name   string
	Labels map[string]string
}

// Allows reports whether namespace ns may publish dnsName, and why in words fit for an
// Event message (for both answers). dnsName is normalised first; a name that cannot be
// normalised is refused.
func (p *Policy) Allows(ns Namespace, dnsName string) (bool, string) {
	name, err := endpoint.NormalizeName(dnsName)
	if err != nil {
		return false, err.Error()
	}
	if s, ok := coveredBy(name, p.exclude); ok {
		return false, fmt.Sprintf("%s is excluded for every namespace (exclude %s)", name, s)
	}
	var selecting []*rule
	for i := range p.rules {
		if p.rules[i].selects(ns) {
			selecting = append(selecting, &p.rules[i])
		}
	}
	for _, r := range selecting {
		if s, ok := coveredBy(name, r.exclude); ok {
			return false, fmt.Sprintf("%s is excluded for namespace %s by %s (exclude %s)", name, ns.Name, r.label, s)
		}
	}
	for _, r := range selecting {
		if slices.Contains(r.names, name) {
			return true, fmt.Sprintf("%s admits the name %s to namespace %s", r.label, name, ns.Name)
		}
		if s, ok := coveredBy(name, r.suffixes); ok {
			return true, fmt.Sprintf("%s admits names under %s to namespace %s", r.label, s, ns.Name)
		}
	}
	if len(selecting) > 0 {
		return false, fmt.Sprintf("namespace %s may publish only %s", ns.Name, describe(selecting))
	}
	if p.mode == Allow {
		return true, fmt.Sprintf("no rule selects namespace %s, and the policy's default is allow", ns.Name)
	}
	return false, fmt.Sprintf("no rule selects namespace %s, and the policy's default is deny", ns.Name)
}

// Allowed returns what the rules selecting ns admit, as suffixes and exact names, for
// messages; both empty when no rule selects it.
func (p *Policy) Allowed(ns Namespace) (suffixes, names []string) {
	for _, r := range p.rules {
		if r.selects(ns) {
			suffixes = append(suffixes, r.suffixes...)
			names = append(names, r.names...)
		}
	}
	slices.Sort(suffixes)
	slices.Sort(names)
	return slices.Compact(suffixes), slices.Compact(names)
}

func (r *rule) selects(ns Namespace) bool {
	if slices.Contains(r.namespaces, ns.Name) {
		return true
	}
	return r.selector != nil && r.selector.Matches(labels.Set(ns.Labels))
}

// describe lists what rules admit, for the message of a refusal.
func describe(rules []*rule) string {
	var parts []string
	for _, r := range rules {
		for _, s := range r.suffixes {
			parts = append(parts, "names under "+s)
		}
		for _, n := range r.names {
			parts = append(parts, n)
		}
	}
	slices.Sort(parts)
	return strings.Join(slices.Compact(parts), ", ")
}

// coveredBy returns the first of suffixes that name equals or lies below, label-wise.
func coveredBy(name string, suffixes []string) (string, bool) {
	for _, s := range suffixes {
		if endpoint.IsSubdomain(name, s) {
			return s, true
		}
	}
	return "", false
}
