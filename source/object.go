package source

import (
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"

	"github.com/zonekeeper/zonekeeper/endpoint"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// selects reports whether the namespace, label and annotation filters let the object
// through.
func (o *Options) selects(meta *metav1.ObjectMeta) bool {
	if o.namespace != "" && meta.Namespace != o.namespace {
		return false
	}
	if o.labelFilter != nil && !o.labelFilter.Matches(labels.Set(meta.Labels)) {
		return false
	}
	return o.annotationFilter == nil || o.annotationFilter.Matches(labels.Set(meta.Annotations))
}

// objectResult collects the records one object asks for and what is wrong with it. Any
// error withholds all of the object's records: publishing part of what a half-understood
// object asks for could point names at the wrong place.
type objectResult struct {
	ref      endpoint.ObjectRef
	opts     *Options
	ann      map[string]annotation
	settings recordSettings
	records  map[endpoint.RecordKey]*endpoint.Endpoint
	// asked are the names the object asks for, with or without targets.
	asked    []string
	problems []endpoint.Problem
	failed   bool
}

// ErrNoTargets is the Err of the warning Problem an object gets for a name it asks for
// but has no address to publish under yet or any more: typically a load balancer whose
// status is still, or suddenly, empty. The controller keeps such a name's existing
// records rather than deleting them (see controller.Config.KeepRecordsOfExistingObjects).
var ErrNoTargets = errors.New("no address to publish (empty load balancer status, no ready endpoints or no node addresses): the name's existing records are kept until the object has one")

// newObjectResult reads the object's annotations. It returns false when the controller
// annotation hands the object to another controller: such an object is none of our
// business, so it yields neither records nor problems.
func newObjectResult(ref endpoint.ObjectRef, meta *metav1.ObjectMeta, o *Options) (*objectResult, bool) {
	ann, conflicts := readAnnotations(meta.Annotations, o.prefixRank)
	if c, ok := ann[keyController]; ok && strings.TrimSpace(c.value) != controllerName {
		return nil, false
	}
	r := &objectResult{ref: ref, opts: o, ann: ann, records: map[endpoint.RecordKey]*endpoint.Endpoint{}}
	for _, err := range conflicts {
		r.warn(err)
	}
	r.readSettings(ann)
	return r, true
}

func (r *objectResult) warn(err error) {
	r.problems = append(r.problems, endpoint.Problem{Ref: r.ref, Err: err, Warning: true})
}

// fail records an error; dnsName names the record concerned, if one is.
func (r *objectResult) fail(dnsName string, err error) {
	r.failed = true
	r.problems = append(r.problems, endpoint.Problem{Ref: r.ref, DNSName: dnsName, Err: err})
}

// hostnames normalises and validates raw names read from origin (an annotation or a
// field), reporting each bad one.
func (r *objectResult) hostnames(origin string, raw []string) []string {
	var out []string
	for _, h := range raw {
		n, err := endpoint.NormalizeName(h)
		if err == nil {
			err = endpoint.ValidateName(n)
		}
		if err != nil {
			// Both errors name the hostname already.
			r.fail("", fmt.Errorf("%s: %v", origin, err))
			continue
		}
		out = append(out, n)
	}
	return out
}

// annotationHostnames reads the hostname list in annotation name, if present.
func (r *objectResult) annotationHostnames(name string) []string {
	a, ok := r.ann[name]
	if !ok {
		return nil
	}
	return r.hostnames("annotation "+a.key, splitList(a.value))
}

// templateHostnames executes the FQDN template over obj, if there is one.
func (r *objectResult) templateHostnames(obj any) []string {
	if r.opts.fqdnTemplate == nil {
		return nil
	}
	var out strings.Builder
	if err := r.opts.fqdnTemplate.Execute(&out, obj); err != nil {
		r.fail("", fmt.Errorf("--fqdn-template: %v", err))
		return nil
	}
	return r.hostnames("--fqdn-template", splitList(out.String()))
}

// targetAnnotation returns the targets of the target annotation, or nil.
func (r *objectResult) targetAnnotation() (origin string, targets []string) {
	a, ok := r.ann[keyTarget]
	if !ok {
		return "", nil
	}
	return "annotation " + a.key, splitList(a.value)
}

// targets canonicalises raw targets read from origin and groups them by the record type
// they call for, reporting and leaving out bad ones (an invalid host name, several CNAME
// targets). Several CNAME targets beside addresses (a load balancer status with an IP and
// two host names) refuse the CNAME only, with a warning, and the addresses are published:
// external-dns's planner drops a CNAME wanted beside A or AAAA records anyway.
func (r *objectResult) targets(origin string, raw []string) map[string][]string {
	byType := map[string][]string{}
	for _, t := range raw {
		if t = strings.TrimSpace(t); t == "" {
			continue
		}
		c, err := canonicalTarget(t)
		if err != nil {
			r.fail("", fmt.Errorf("%s: target %s: %v", origin, endpoint.Quote(t), err))
			continue
		}
		typ := endpoint.TargetTypeOf(c)
		if !slices.Contains(byType[typ], c) {
			byType[typ] = append(byType[typ], c)
		}
	}
	for _, typ := range slices.Sorted(maps.Keys(byType)) {
		if err := endpoint.ValidateTargets(typ, byType[typ]); err != nil {
			if typ == endpoint.RecordTypeCNAME && len(byType) > 1 {
				r.warn(fmt.Errorf("%s: CNAME record refused, the addresses are published: %v", origin, err))
			} else {
				r.fail("", fmt.Errorf("%s: %v", origin, err))
			}
			delete(byType, typ)
		}
	}
	return byType
}

// canonicalTarget spells an address the way Go prints it (IPv4-mapped IPv6 as IPv4) and
// a host name in normalised form, so that equal targets compare equal.
func canonicalTarget(t string) (string, error) {
	if a, err := netip.ParseAddr(t); err == nil {
		if a.Zone() != "" {
			return "", fmt.Errorf("an address with a zone (%s) cannot be published", endpoint.Quote("%"+a.Zone()))
		}
		return a.Unmap().String(), nil
	}
	return endpoint.NormalizeName(t)
}

// add asks for a record per hostname and target type.
func (r *objectResult) add(hostnames []string, byType map[string][]string) {
	r.asked = append(r.asked, hostnames...)
	for _, name := range hostnames {
		for typ, targets := range byType {
			key := endpoint.RecordKey{DNSName: name, RecordType: typ, SetIdentifier: r.settings.setIdentifier}
			ep, ok := r.records[key]
			if !ok {
				ep = &endpoint.Endpoint{
					DNSName:       name,
					RecordType:    typ,
					RecordTTL:     r.settings.ttl,
					SetIdentifier: r.settings.setIdentifier,
					Labels:        endpoint.Labels{},
					Refs:          []endpoint.ObjectRef{r.ref},
				}
				for _, p := range r.settings.properties {
					ep.SetProperty(p.Name, p.Value)
				}
				r.records[key] = ep
			}
			for _, t := range targets {
				if !slices.Contains(ep.Targets, t) {
					ep.Targets = append(ep.Targets, t)
				}
			}
		}
	}
}

// result returns the object's records, sorted and with sorted targets, and its problems. Records asked for twice
// (the same name from two lists) have been merged; a merge that leaves a record invalid,
// such as a CNAME with two targets, is an error like any other.
func (r *objectResult) result() ([]*endpoint.Endpoint, []endpoint.Problem) {
	eps := slices.Collect(maps.Values(r.records))
	endpoint.SortEndpoints(eps)
	for _, ep := range eps {
		slices.Sort(ep.Targets)
		if err := endpoint.ValidateTargets(ep.RecordType, ep.Targets); err != nil {
			r.fail(ep.DNSName, err)
		}
	}
	if r.failed {
		return nil, r.problems
	}
	published := make(map[string]bool, len(eps))
	for _, ep := range eps {
		published[ep.DNSName] = true
	}
	slices.Sort(r.asked)
	for _, name := range slices.Compact(r.asked) {
		if !published[name] {
			r.problems = append(r.problems, endpoint.Problem{Ref: r.ref, DNSName: name, Warning: true, Err: ErrNoTargets})
		}
	}
	return eps, r.problems
}
