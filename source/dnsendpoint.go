package source

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/zonekeeper/zonekeeper/endpoint"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// DefaultCRDAPIVersion and DefaultCRDKind name external-dns's DNSEndpoint, the default
// of --crd-source-apiversion and --crd-source-kind.
const (
	DefaultCRDAPIVersion = "externaldns.k8s.io/v1alpha1"
	DefaultCRDKind       = "DNSEndpoint"
)

// Record types a DNSEndpoint may carry beyond those endpoint names.
const (
	recordTypeCAA   = "CAA"
	recordTypeNAPTR = "NAPTR"
	recordTypePTR   = "PTR"
)

// dnsEndpointTypes are the record types a DNSEndpoint may ask for. Whether a provider
// can store one is its AdjustEndpoints' business, which refuses the record on the object.
var dnsEndpointTypes = []string{
	endpoint.RecordTypeA, endpoint.RecordTypeAAAA, endpoint.RecordTypeCNAME, endpoint.RecordTypeTXT,
	endpoint.RecordTypeSRV, endpoint.RecordTypeMX, endpoint.RecordTypeNS, recordTypeCAA, recordTypeNAPTR, recordTypePTR,
}

// DNSEndpoint is external-dns's DNSEndpoint custom resource, in the fields zonekeeper
// reads: records spelled out by hand.
type DNSEndpoint struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              DNSEndpointSpec   `json:"spec,omitempty"`
	Status            DNSEndpointStatus `json:"status,omitempty"`

	// decodeErr is set by the informer's transform when the object did not fit these
	// types (a CRD other than external-dns's under the same name): the conversion then
	// reports it as the object's problem instead of dropping the object silently.
	decodeErr error
}

// DNSEndpointSpec lists the records the object asks for.
type DNSEndpointSpec struct {
	Endpoints []*DNSEndpointRecord `json:"endpoints,omitempty"`
}

// DNSEndpointRecord is one record set of a DNSEndpoint. Its labels are accepted as the
// CRD allows them, and not read (DNSEndpointEndpoints).
type DNSEndpointRecord = endpoint.ExternalRecord

// DNSEndpointProperty is one provider-specific setting of a record.
type DNSEndpointProperty = endpoint.ExternalProperty

// DNSEndpointStatus is what the controller reports back on the object.
type DNSEndpointStatus struct {
	// ObservedGeneration is the metadata.generation whose records were all applied.
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
}

// DeepCopyObject makes DNSEndpoint a runtime.Object, as informer caches need.
func (d *DNSEndpoint) DeepCopyObject() runtime.Object {
	if d == nil {
		return nil
	}
	out := &DNSEndpoint{TypeMeta: d.TypeMeta, Status: d.Status, decodeErr: d.decodeErr}
	d.ObjectMeta.DeepCopyInto(&out.ObjectMeta)
	if d.Spec.Endpoints != nil {
		out.Spec.Endpoints = make([]*DNSEndpointRecord, len(d.Spec.Endpoints))
		for i, r := range d.Spec.Endpoints {
			if r == nil {
				continue
			}
			c := *r
			c.Targets = slices.Clone(r.Targets)
			c.ProviderSpecific = slices.Clone(r.ProviderSpecific)
			if r.Labels != nil {
				c.Labels = make(map[string]string, len(r.Labels))
				for k, v := range r.Labels {
					c.Labels[k] = v
				}
			}
			out.Spec.Endpoints[i] = &c
		}
	}
	return out
}

// crdTarget is the custom resource the crd source reads: --crd-source-apiversion and
// --crd-source-kind, with the resource name the API serves it under.
type crdTarget struct {
	gvk schema.GroupVersionKind
	gvr schema.GroupVersionResource
}

// parseCRDTarget checks --crd-source-apiversion and --crd-source-kind. The resource is
// the kind in lower case plus "s", as kubebuilder names it for DNSEndpoint
// (dnsendpoints); kinds with another plural are not supported.
func parseCRDTarget(apiVersion, kind string) (crdTarget, error) {
	if apiVersion == "" {
		apiVersion = DefaultCRDAPIVersion
	}
	if kind == "" {
		kind = DefaultCRDKind
	}
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil || gv.Group == "" || gv.Version == "" {
		return crdTarget{}, fmt.Errorf("--crd-source-apiversion %s: want group/version, such as %s", endpoint.Quote(apiVersion), DefaultCRDAPIVersion)
	}
	for _, c := range kind {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return crdTarget{}, fmt.Errorf("--crd-source-kind %s: a kind is letters and digits, such as %s", endpoint.Quote(kind), DefaultCRDKind)
		}
	}
	return crdTarget{gvk: gv.WithKind(kind), gvr: gv.WithResource(strings.ToLower(kind) + "s")}, nil
}

// DNSEndpointEndpoints returns the records d asks for and what is wrong with it.
//
// A DNSEndpoint outside the namespace, label or annotation filters yields nothing; the
// other annotations mean nothing on it (its records are spelled out). Each entry of
// spec.endpoints is one record set: dnsName (normalised like a hostname annotation),
// recordType (one of A, AAAA, CNAME, TXT, SRV, MX, NS, CAA, NAPTR, PTR, in any case),
// targets (checked for the type; CNAME, NS, PTR, MX and SRV hosts normalised, a TXT value
// put in double quotes unless it is), recordTTL (0: the provider's default),
// setIdentifier and providerSpecific (an entry without a name is left out with a
// warning). Labels are not read: zonekeeper's ownership record holds only its owner and
// the object, whatever the entry says. An entry that is invalid is left out with an error Problem naming
// the object, the entry's index and its dnsName; the object's other entries are still
// published. Two entries of one name, type and set identifier are merged into one record
// when their TTLs and properties agree, else the second is refused. The result is sorted.
func DNSEndpointEndpoints(d *DNSEndpoint, o *Options) ([]*endpoint.Endpoint, []endpoint.Problem) {
	return dnsEndpointEndpoints(d, o, "")
}

func dnsEndpointEndpoints(d *DNSEndpoint, o *Options, origin string) ([]*endpoint.Endpoint, []endpoint.Problem) {
	if d == nil || !o.selects(&d.ObjectMeta) {
		return nil, nil
	}
	ref := endpoint.ObjectRef{Kind: KindCRD, Namespace: d.Namespace, Name: d.Name, Source: origin}
	if d.decodeErr != nil {
		return nil, []endpoint.Problem{{Ref: ref, Err: d.decodeErr}}
	}
	var problems []endpoint.Problem
	records := map[endpoint.RecordKey]*endpoint.Endpoint{}
	for i, rec := range d.Spec.Endpoints {
		if rec == nil {
			continue
		}
		ep, warnings, err := dnsEndpointRecord(rec, ref)
		field := fmt.Sprintf("spec.endpoints[%d] (dnsName %s)", i, endpoint.Quote(rec.DNSName))
		for _, w := range warnings {
			problems = append(problems, endpoint.Problem{Ref: ref, Warning: true, Err: fmt.Errorf("%s: %w", field, w)})
		}
		if err == nil {
			err = mergeRecord(records, ep)
		}
		if err != nil {
			problems = append(problems, endpoint.Problem{Ref: ref, Err: fmt.Errorf("%s: %w", field, err)})
		}
	}
	eps := make([]*endpoint.Endpoint, 0, len(records))
	for _, ep := range records {
		slices.Sort(ep.Targets)
		eps = append(eps, ep)
	}
	endpoint.SortEndpoints(eps)
	return eps, problems
}

// mergeRecord adds ep to records, or its targets to the record of the same key.
func mergeRecord(records map[endpoint.RecordKey]*endpoint.Endpoint, ep *endpoint.Endpoint) error {
	have, ok := records[ep.RecordKey()]
	if !ok {
		records[ep.RecordKey()] = ep
		return nil
	}
	if have.RecordTTL != ep.RecordTTL || !slices.Equal(have.ProviderSpecific, ep.ProviderSpecific) {
		return errors.New("an earlier entry asks for the same name, type and set identifier with another recordTTL or providerSpecific")
	}
	merged := slices.Clone(have.Targets)
	for _, t := range ep.Targets {
		if !slices.Contains(merged, t) {
			merged = append(merged, t)
		}
	}
	if err := validateRecordTargets(ep.RecordType, merged); err != nil {
		return fmt.Errorf("merged with an earlier entry of the same name and type: %w", err)
	}
	have.Targets = merged
	return nil
}

// dnsEndpointRecord converts one entry; warnings are things left out of a record that is
// still published.
func dnsEndpointRecord(rec *DNSEndpointRecord, ref endpoint.ObjectRef) (*endpoint.Endpoint, []error, error) {
	name, err := endpoint.NormalizeName(rec.DNSName)
	if err == nil {
		err = endpoint.ValidateName(name)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("dnsName: %w", err)
	}
	typ := strings.ToUpper(strings.TrimSpace(rec.RecordType))
	if typ == "" {
		return nil, nil, errors.New("recordType is required")
	}
	if !slices.Contains(dnsEndpointTypes, typ) {
		return nil, nil, fmt.Errorf("recordType %s is not one of %s", endpoint.Quote(rec.RecordType), strings.Join(dnsEndpointTypes, ", "))
	}
	if rec.RecordTTL < 0 || rec.RecordTTL > 2147483647 {
		return nil, nil, fmt.Errorf("recordTTL %d is outside 0..2147483647", rec.RecordTTL)
	}
	targets := make([]string, 0, len(rec.Targets))
	for _, t := range rec.Targets {
		c, err := canonicalRecordTarget(typ, t)
		if err != nil {
			return nil, nil, fmt.Errorf("%s target %s: %w", typ, endpoint.Quote(t), err)
		}
		if !slices.Contains(targets, c) {
			targets = append(targets, c)
		}
	}
	if err := validateRecordTargets(typ, targets); err != nil {
		return nil, nil, err
	}
	ep := &endpoint.Endpoint{
		DNSName:       name,
		RecordType:    typ,
		Targets:       targets,
		RecordTTL:     endpoint.TTL(rec.RecordTTL),
		SetIdentifier: rec.SetIdentifier,
		Labels:        endpoint.Labels{},
		Refs:          []endpoint.ObjectRef{ref},
	}
	var warnings []error
	for _, p := range rec.ProviderSpecific {
		if strings.TrimSpace(p.Name) == "" {
			warnings = append(warnings, errors.New("a providerSpecific entry without a name is ignored"))
			continue
		}
		ep.SetProperty(p.Name, p.Value)
	}
	return ep, warnings, nil
}

// canonicalRecordTarget spells a target the way providers read it back: addresses as Go
// prints them, host names normalised (a trailing dot is allowed, as in a zone file), a
// TXT value in double quotes. Anything else is kept as written.
func canonicalRecordTarget(typ, t string) (string, error) {
	switch typ {
	case endpoint.RecordTypeA, endpoint.RecordTypeAAAA:
		a, err := netip.ParseAddr(strings.TrimSpace(t))
		if err != nil {
			return "", errors.New("not an IP address")
		}
		if a.Zone() != "" {
			return "", errors.New("an address with a zone cannot be published")
		}
		return a.Unmap().String(), nil
	case endpoint.RecordTypeCNAME, endpoint.RecordTypeNS, recordTypePTR:
		return endpoint.NormalizeName(strings.TrimSpace(t))
	case endpoint.RecordTypeMX, endpoint.RecordTypeSRV:
		f := strings.Fields(t)
		if len(f) == 0 {
			return "", errors.New("empty target")
		}
		host, err := endpoint.NormalizeName(f[len(f)-1])
		if err != nil {
			return "", err
		}
		f[len(f)-1] = host
		return strings.Join(f, " "), nil
	case endpoint.RecordTypeTXT:
		return `"` + endpoint.Unquote(t) + `"`, nil
	}
	return strings.TrimSpace(t), nil
}

// validateRecordTargets is endpoint.ValidateTargets with the checks of the types that
// package does not know.
func validateRecordTargets(typ string, targets []string) error {
	if err := endpoint.ValidateTargets(typ, targets); err != nil {
		return err
	}
	for _, t := range targets {
		var err error
		switch typ {
		case recordTypePTR:
			if len(targets) > 1 {
				return fmt.Errorf("a PTR record set here has exactly one target, got %d", len(targets))
			}
			err = endpoint.ValidateName(t)
		case recordTypeCAA:
			err = validateCAA(t)
		case recordTypeNAPTR:
			err = validateNAPTR(t)
		}
		if err != nil {
			return fmt.Errorf("%s target %s: %w", typ, endpoint.Quote(t), err)
		}
	}
	return nil
}

// validateCAA checks `flags tag "value"` (RFC 8659).
func validateCAA(t string) error {
	f := strings.SplitN(strings.TrimSpace(t), " ", 3)
	if len(f) != 3 {
		return errors.New(`want "flags tag value", such as 0 issue "letsencrypt.org"`)
	}
	if _, err := strconv.ParseUint(f[0], 10, 8); err != nil {
		return fmt.Errorf("flags %s is not a number from 0 to 255", endpoint.Quote(f[0]))
	}
	if f[1] == "" || strings.IndexFunc(f[1], func(c rune) bool {
		return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9')
	}) >= 0 {
		return fmt.Errorf("tag %s is not letters and digits", endpoint.Quote(f[1]))
	}
	return nil
}

// validateNAPTR checks `order preference "flags" "service" "regexp" replacement`
// (RFC 3403): six fields, two numbers first.
func validateNAPTR(t string) error {
	f := strings.Fields(t)
	if len(f) != 6 {
		return errors.New(`want order preference "flags" "service" "regexp" replacement`)
	}
	for _, n := range f[:2] {
		if _, err := strconv.ParseUint(n, 10, 16); err != nil {
			return fmt.Errorf("%s is not a number from 0 to 65535", endpoint.Quote(n))
		}
	}
	return nil
}
