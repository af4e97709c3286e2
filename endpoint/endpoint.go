// Package endpoint holds zonekeeper's model of a DNS record set and the rules every
// component agrees on: how names are normalised, what makes a name or a target valid,
// and which names a domain filter lets through.
//
// Terminology follows RFC 9499: an Endpoint is one RRset (all records of one type at one
// owner name), extended with a set identifier so that providers with routing policies
// (Route53) can hold several RRsets of one type at one name.
package endpoint

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Record types zonekeeper understands.
const (
	RecordTypeA     = "A"
	RecordTypeAAAA  = "AAAA"
	RecordTypeCNAME = "CNAME"
	RecordTypeTXT   = "TXT"
	RecordTypeMX    = "MX"
	RecordTypeNS    = "NS"
	RecordTypeSRV   = "SRV"
)

// DefaultManagedTypes returns the record types managed when --managed-record-types is not
// given, as upstream: A, AAAA and CNAME. Each call returns a new slice.
func DefaultManagedTypes() []string {
	return []string{RecordTypeA, RecordTypeAAAA, RecordTypeCNAME}
}

// Label keys carried by endpoints. On the wire they become external-dns/<key> in the
// ownership TXT value (see package registry).
const (
	OwnerLabelKey    = "owner"
	ResourceLabelKey = "resource"
)

// TTL is a record's time to live in seconds. Zero means "not set": the provider's
// default applies.
type TTL int64

// IsConfigured reports whether the TTL was set explicitly.
func (t TTL) IsConfigured() bool { return t > 0 }

// Targets are the record data of an RRset in presentation form: addresses for A and AAAA,
// a host name for CNAME and NS, "pref host" for MX, "prio weight port host" for SRV, and
// for TXT the value wrapped in double quotes (upstream's convention, see TXTStrings).
type Targets []string

// Labels are zonekeeper's own metadata about a record (owner id, owning resource); they
// are stored in the ownership TXT record, never in the record itself.
type Labels map[string]string

// Property is one provider-specific setting of a record, such as "aws/weight" or
// "cloudflare-proxied".
type Property struct {
	Name  string
	Value string
}

// ProviderSpecific is a record's provider-specific settings, kept sorted by name so that
// two endpoints with the same settings compare equal.
type ProviderSpecific []Property

// ObjectRef names the Kubernetes object that asked for a record.
type ObjectRef struct {
	Kind      string // "service", "ingress": lower case, as in upstream's resource label
	Namespace string
	Name      string
	// Source says where the object was read: a manifest file path, or empty for the API.
	Source string
}

// String renders the reference the way upstream's resource label does: kind/namespace/name.
func (r ObjectRef) String() string {
	return r.Kind + "/" + r.Namespace + "/" + r.Name
}

// Endpoint is one RRset zonekeeper wants (from a source) or found (from a provider).
type Endpoint struct {
	// DNSName is the owner name, normalised: lower case, ASCII (punycode), no trailing dot.
	DNSName    string
	RecordType string
	Targets    Targets
	RecordTTL  TTL
	// SetIdentifier distinguishes RRsets of one name and type under a routing policy.
	SetIdentifier    string
	Labels           Labels
	ProviderSpecific ProviderSpecific
	// Refs are the objects that asked for this record, sorted; empty for records read
	// from a provider.
	Refs []ObjectRef
}

// New returns an endpoint with a normalised name; it does not validate.
func New(name, recordType string, ttl TTL, targets ...string) *Endpoint {
	return &Endpoint{
		DNSName:    NormalizeNameLoose(name),
		RecordType: recordType,
		Targets:    slices.Clone(targets),
		RecordTTL:  ttl,
		Labels:     Labels{},
	}
}

// Key identifies the records that the planner compares with each other: all types at one
// name and set identifier.
type Key struct {
	DNSName       string
	SetIdentifier string
}

// RecordKey identifies one RRset.
type RecordKey struct {
	DNSName       string
	RecordType    string
	SetIdentifier string
}

// Key returns the planner key of e.
func (e *Endpoint) Key() Key { return Key{DNSName: e.DNSName, SetIdentifier: e.SetIdentifier} }

// RecordKey returns the RRset key of e.
func (e *Endpoint) RecordKey() RecordKey {
	return RecordKey{DNSName: e.DNSName, RecordType: e.RecordType, SetIdentifier: e.SetIdentifier}
}

// Clone returns a deep copy of e.
func (e *Endpoint) Clone() *Endpoint {
	c := *e
	c.Targets = slices.Clone(e.Targets)
	c.Labels = maps.Clone(e.Labels)
	if c.Labels == nil {
		c.Labels = Labels{}
	}
	c.ProviderSpecific = slices.Clone(e.ProviderSpecific)
	c.Refs = slices.Clone(e.Refs)
	return &c
}

// Property returns the value of the provider-specific property name.
func (e *Endpoint) Property(name string) (string, bool) {
	for _, p := range e.ProviderSpecific {
		if p.Name == name {
			return p.Value, true
		}
	}
	return "", false
}

// SetProperty sets a provider-specific property, keeping the list sorted.
func (e *Endpoint) SetProperty(name, value string) {
	i, found := slices.BinarySearchFunc(e.ProviderSpecific, name, func(p Property, n string) int {
		return strings.Compare(p.Name, n)
	})
	if found {
		e.ProviderSpecific[i].Value = value
		return
	}
	e.ProviderSpecific = slices.Insert(e.ProviderSpecific, i, Property{Name: name, Value: value})
}

// DeleteProperty removes a provider-specific property.
func (e *Endpoint) DeleteProperty(name string) {
	e.ProviderSpecific = slices.DeleteFunc(e.ProviderSpecific, func(p Property) bool { return p.Name == name })
}

// String is a one-line rendering for logs and plans: "name TTL TYPE target,target [set-id]".
func (e *Endpoint) String() string {
	var b strings.Builder
	b.WriteString(e.DNSName)
	if e.RecordTTL.IsConfigured() {
		fmt.Fprintf(&b, " %d", e.RecordTTL)
	}
	b.WriteString(" ")
	b.WriteString(e.RecordType)
	b.WriteString(" ")
	b.WriteString(strings.Join(e.Targets, ","))
	if e.SetIdentifier != "" {
		fmt.Fprintf(&b, " [%s]", e.SetIdentifier)
	}
	return b.String()
}

// SortEndpoints orders endpoints by name, type and set identifier, for deterministic output.
func SortEndpoints(eps []*Endpoint) { slices.SortStableFunc(eps, Compare) }

// Compare orders endpoints by name, type and set identifier, as slices.SortFunc wants.
func Compare(a, b *Endpoint) int {
	return cmp.Or(
		strings.Compare(a.DNSName, b.DNSName),
		strings.Compare(a.RecordType, b.RecordType),
		strings.Compare(a.SetIdentifier, b.SetIdentifier),
	)
}

// Less orders endpoints by name, type and set identifier.
func Less(a, b *Endpoint) bool { return Compare(a, b) < 0 }

// Problem is something wrong with what one object asked for. It affects only that object:
// the object's records (or the one record named) are left out, everything else proceeds.
type Problem struct {
	Ref ObjectRef
	// DNSName is the record concerned, when the problem is about one record.
	DNSName string
	Err     error
	// Warning marks a problem that did not stop the object's records (an ignored TTL, say).
	Warning bool
}

// maxRefLength is the longest ObjectRef.String of an object the API server accepts: the
// longest kind read, a namespace of 63 bytes and a name of 253.
const maxRefLength = len("endpointslice") + 1 + 63 + 1 + 253

// Error renders the problem as "kind/namespace/name (source) dnsName: err", leaving out
// an empty source or DNSName. A reference longer than an object's from the API server
// can be (a manifest's objects are not validated) is rendered by Quote.
func (p Problem) Error() string {
	var b strings.Builder
	if ref := p.Ref.String(); len(ref) > maxRefLength {
		b.WriteString(Quote(ref))
	} else {
		b.WriteString(ref)
	}
	if p.Ref.Source != "" {
		fmt.Fprintf(&b, " (%s)", p.Ref.Source)
	}
	if p.DNSName != "" {
		fmt.Fprintf(&b, " %s", p.DNSName)
	}
	fmt.Fprintf(&b, ": %v", p.Err)
	return b.String()
}
