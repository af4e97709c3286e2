// Package webhook speaks external-dns's webhook provider protocol, both ways: Client is a
// provider.Provider backed by any external-dns webhook provider (a sidecar serving the
// protocol over HTTP), and NewHandler serves any provider.Provider over the same
// protocol, so that an external-dns installation can use zonekeeper's providers. See
// README.md for the protocol, the flags and the rules both sides follow.
package webhook

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/zonekeeper/zonekeeper/endpoint"
)

// MediaType is the protocol's media type and version, sent in Accept and Content-Type.
const MediaType = "application/external.dns.webhook+json;version=1"

// The protocol's paths.
const (
	pathNegotiate = "/"
	pathRecords   = "/records"
	pathAdjust    = "/adjustendpoints"
)

// wireEndpoint is an endpoint as external-dns encodes it on the wire.
type wireEndpoint = endpoint.ExternalRecord

type wireProperty = endpoint.ExternalProperty

// wireProblem is one problem of problemsHeader: Index is the position, in the request's
// list, of the endpoint it is about.
type wireProblem struct {
	Index   int    `json:"index"`
	Warning bool   `json:"warning,omitempty"`
	Message string `json:"message"`
}

// wireChanges is the body of POST /records: external-dns's plan.Changes. updateOld[i]
// and updateNew[i] are the two sides of one update.
type wireChanges struct {
	Create    []wireEndpoint `json:"create,omitempty"`
	UpdateOld []wireEndpoint `json:"updateOld,omitempty"`
	UpdateNew []wireEndpoint `json:"updateNew,omitempty"`
	Delete    []wireEndpoint `json:"delete,omitempty"`
}

// wireFilter is the answer to GET /: the provider's domain filter. external-dns sends
// include/exclude (or regexInclude/regexExclude); before v0.14 it sent its DomainFilter
// struct as it was, whose only exported field was Filters. Both are read; include and
// exclude are sent.
type wireFilter struct {
	Include      []string `json:"include,omitempty"`
	Exclude      []string `json:"exclude,omitempty"`
	RegexInclude string   `json:"regexInclude,omitempty"`
	RegexExclude string   `json:"regexExclude,omitempty"`
	// Filters is the include list of the old shape, read only.
	Filters []string `json:"Filters,omitempty"`
}

// includes returns the include list of f, whichever shape it came in.
func (f wireFilter) includes() []string {
	return slices.Concat(f.Include, f.Filters)
}

func toWire(e *endpoint.Endpoint) wireEndpoint {
	w := wireEndpoint{
		DNSName:       e.DNSName,
		Targets:       slices.Clone([]string(e.Targets)),
		RecordType:    e.RecordType,
		SetIdentifier: e.SetIdentifier,
		RecordTTL:     int64(e.RecordTTL),
	}
	if len(e.Labels) > 0 {
		w.Labels = maps.Clone(map[string]string(e.Labels))
	}
	for _, p := range e.ProviderSpecific {
		w.ProviderSpecific = append(w.ProviderSpecific, wireProperty{Name: p.Name, Value: p.Value})
	}
	return w
}

func toWireList(eps []*endpoint.Endpoint) []wireEndpoint {
	out := make([]wireEndpoint, 0, len(eps))
	for _, e := range eps {
		out = append(out, toWire(e))
	}
	return out
}

// fromWire turns a wire endpoint into zonekeeper's, its name normalised. An endpoint
// without a name or a type is refused: nothing could be done with it safely.
func fromWire(w wireEndpoint) (*endpoint.Endpoint, error) {
	if w.DNSName == "" || w.RecordType == "" {
		return nil, fmt.Errorf("an endpoint without a dnsName or a recordType: %+v", w)
	}
	targets := w.Targets
	if strings.EqualFold(w.RecordType, endpoint.RecordTypeTXT) {
		targets = quoteTXT(targets)
	}
	e := endpoint.New(w.DNSName, w.RecordType, endpoint.TTL(w.RecordTTL), targets...)
	e.SetIdentifier = w.SetIdentifier
	maps.Copy(e.Labels, w.Labels)
	for _, p := range w.ProviderSpecific {
		e.ProviderSpecific = append(e.ProviderSpecific, endpoint.Property{Name: p.Name, Value: p.Value})
	}
	return e, nil
}

// quoteTXT returns TXT targets in zonekeeper's form, each in double quotes
// (endpoint.TXTTarget). Webhook providers answer with or without the quotes
// (external-dns's RFC2136 provider returns the bare string) and external-dns's registry
// reads both; a bare one is quoted, so that a record read back compares equal to the
// one that was written.
func quoteTXT(targets []string) []string {
	out := make([]string, len(targets))
	for i, t := range targets {
		if len(t) >= 2 && t[0] == '"' && t[len(t)-1] == '"' {
			out[i] = t
		} else {
			out[i] = endpoint.TXTTarget([]string{t})
		}
	}
	return out
}

func fromWireList(ws []wireEndpoint) ([]*endpoint.Endpoint, error) {
	out := make([]*endpoint.Endpoint, 0, len(ws))
	for _, w := range ws {
		e, err := fromWire(w)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// encodedSize is the length of v's JSON encoding, for packing requests under the body
// size limit.
func encodedSize(v any) (int, error) {
	b, err := json.Marshal(v)
	return len(b), err
}
