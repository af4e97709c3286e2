// Package route53test is an in-process emulator of the Amazon Route53 API, for tests
// and demos: it speaks the REST/XML wire format the AWS SDK for Go v2 uses, keeps hosted
// zones in memory, enforces Route53's rules for change batches, and can inject the
// faults a client meets in production (throttling, server errors, a prior change still
// in progress, latency). README.md lists what it emulates and what it does not.
package route53test

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/route53/types"

	"github.com/zonekeeper/zonekeeper/provider"
	"github.com/zonekeeper/zonekeeper/provider/internal/apitest"
)

// Defaults AWS uses for list page sizes.
const (
	defaultRecordSetPage = 300
	defaultZonePage      = 100
	maxTagResources      = 10
	maxRequestBody       = 16 << 20
	defaultSeed          = 1
	changeIDPrefix       = "/change/"
	zoneIDPrefix         = "/hostedzone/"
)

// Names of the faults Options can inject, as Faults counts them.
const (
	FaultThrottling              = "Throttling"
	FaultInternalFailure         = "InternalFailure"
	FaultPriorRequestNotComplete = "PriorRequestNotComplete"
)

// Options configure an Emulator. The zero value is a faithful, fault-free Route53.
type Options struct {
	ThrottleRate     float64       // share of calls answered HTTP 400 <Code>Throttling</Code> "Rate exceeded"
	ServerErrorRate  float64       // share answered HTTP 500 InternalFailure
	PriorRequestRate float64       // share of ChangeResourceRecordSets answered 400 PriorRequestNotComplete
	Latency          time.Duration // added to every call
	Seed             int64         // for the fault dice; 0 = fixed default, so runs repeat
	ListMaxItems     int           // default page size cap for ListResourceRecordSets (AWS: 300), ListHostedZones (100)

	// LegacyChangeBatchErrors answers InvalidChangeBatch with the older document rooted
	// at <InvalidChangeBatch><Messages>, which the SDK decodes into
	// types.InvalidChangeBatch.Messages, instead of today's ErrorResponse whose Message
	// is "[m1, m2]". Real Route53 has sent both; a client should cope with either.
	LegacyChangeBatchErrors bool

	// InSyncAfter is how long after ChangeResourceRecordSets accepted a change GetChange
	// starts answering INSYNC for it; before, it answers PENDING. 0 answers INSYNC from
	// the first GetChange on; a negative value keeps every change PENDING for ever, as a
	// change Route 53 never propagates.
	InSyncAfter time.Duration
}

// Emulator is a Route53 API endpoint holding hosted zones in memory. It is an
// http.Handler; all its methods are safe for concurrent use. Each ChangeResourceRecordSets
// call is atomic: it is validated as a whole against the zone and applied whole or not
// at all, and no other call sees it half done.
type Emulator struct {
	mux      *http.ServeMux
	counters apitest.Counters

	mu          sync.Mutex
	opts        Options
	dice        *rand.Rand
	zones       map[string]*zone
	zoneOrder   []string
	changes     map[string]*changeInfoXML
	zoneSerial  int
	changeCount int
	requests    int
}

// New returns an Emulator without zones; add them with CreateZone.
func New(opts Options) *Emulator {
	seed := opts.Seed
	if seed == 0 {
		seed = defaultSeed
	}
	e := &Emulator{
		mux:     http.NewServeMux(),
		opts:    opts,
		dice:    rand.New(rand.NewPCG(uint64(seed), uint64(seed)>>1^0x9e3779b97f4a7c15)),
		zones:   map[string]*zone{},
		changes: map[string]*changeInfoXML{},
	}
	routes := []struct {
		pattern, op string
		handle      func(*http.Request) (any, *apiError)
	}{
		{"GET /2013-04-01/hostedzone", "ListHostedZones", e.listHostedZones},
		{"GET /2013-04-01/hostedzonesbyname", "ListHostedZonesByName", e.listHostedZonesByName},
		{"GET /2013-04-01/hostedzone/{id}", "GetHostedZone", e.getHostedZone},
		{"GET /2013-04-01/hostedzone/{id}/rrset", "ListResourceRecordSets", e.listResourceRecordSets},
		{"GET /2013-04-01/hostedzone/{id}/rrset/", "ListResourceRecordSets", e.listResourceRecordSets},
		{"POST /2013-04-01/hostedzone/{id}/rrset", "ChangeResourceRecordSets", e.changeResourceRecordSets},
		{"POST /2013-04-01/hostedzone/{id}/rrset/", "ChangeResourceRecordSets", e.changeResourceRecordSets},
		{"GET /2013-04-01/change/{id}", "GetChange", e.getChange},
		{"GET /2013-04-01/tags/{type}/{id}", "ListTagsForResource", e.listTagsForResource},
		{"POST /2013-04-01/tags/{type}", "ListTagsForResources", e.listTagsForResources},
	}
	for _, rt := range routes {
		e.mux.HandleFunc(rt.pattern, e.serveOperation(rt.op, rt.handle))
	}
	return e
}

// Start serves a new Emulator on a local httptest server, closed when the test ends, and
// returns it with the server's base URL for the SDK's BaseEndpoint.
func Start(t testing.TB, opts Options) (*Emulator, string) {
	t.Helper()
	e := New(opts)
	return e, apitest.Start(t, e)
}

// ServeHTTP answers one Route53 API request. Requests for operations the emulator does
// not implement get HTTP 404 (or 405 for a known path with another method).
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e.mux.ServeHTTP(w, r)
}

// SetFaults changes the fault rates and Latency while the emulator runs; Seed and
// ListMaxItems keep the values given to New, and the dice go on rolling where they were.
func (e *Emulator) SetFaults(opts Options) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.opts.ThrottleRate = opts.ThrottleRate
	e.opts.ServerErrorRate = opts.ServerErrorRate
	e.opts.PriorRequestRate = opts.PriorRequestRate
	e.opts.Latency = opts.Latency
}

// CreateZone adds a hosted zone named name, with the apex SOA and four NS records AWS
// gives a new zone, and returns its id (shaped like AWS's, "Z" and 20 characters).
// Several zones may share a name, as on AWS. A name that is not a valid DNS name is
// stored lower-cased with a trailing dot.
func (e *Emulator) CreateZone(name string, o ZoneOptions) (id string) {
	canonical, err := canonicalName(name)
	if err != nil {
		canonical = strings.TrimSuffix(lowerASCII(name), ".") + "."
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.zoneSerial++
	id = zoneID(canonical, e.zoneSerial)
	e.zones[id] = newZone(id, canonical, e.zoneSerial, o)
	e.zoneOrder = append(e.zoneOrder, id)
	return id
}

// DeleteZone removes the hosted zone with that id and all its records, whatever they
// are (unlike AWS, which refuses to delete a zone holding more than SOA and NS). An
// unknown id is ignored.
func (e *Emulator) DeleteZone(id string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	id = strings.TrimPrefix(id, zoneIDPrefix)
	delete(e.zones, id)
	e.zoneOrder = slices.DeleteFunc(e.zoneOrder, func(z string) bool { return z == id })
}

// Calls returns how many requests each operation received, by AWS operation name,
// including requests answered with an injected fault.
func (e *Emulator) Calls() map[string]int {
	return e.counters.Calls()
}

// Faults returns how many faults were injected, by kind: FaultThrottling,
// FaultInternalFailure, FaultPriorRequestNotComplete.
func (e *Emulator) Faults() map[string]int {
	return e.counters.Faults()
}

// ResetCounters zeroes what Calls and Faults report.
func (e *Emulator) ResetCounters() {
	e.counters.Reset()
}

// admit counts a call to op and rolls the fault dice for it: one roll per call, so a
// fixed seed and call sequence inject the same faults every run.
func (e *Emulator) admit(op string) (latency time.Duration, fault *apiError, requestID string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.counters.Call(op)
	e.requests++
	requestID = fmt.Sprintf("00000000-0000-4000-8000-%012x", e.requests)
	o := e.opts
	priorRequestRate := 0.0
	if op == "ChangeResourceRecordSets" {
		priorRequestRate = o.PriorRequestRate
	}
	switch apitest.PickFault(e.dice.Float64(), o.ThrottleRate, o.ServerErrorRate, priorRequestRate) {
	case 0:
		fault = &apiError{Status: http.StatusBadRequest, Code: FaultThrottling, Message: "Rate exceeded"}
	case 1:
		fault = &apiError{Status: http.StatusInternalServerError, Code: FaultInternalFailure, Message: "The request processing has failed because of an unknown error, exception or failure."}
	case 2:
		fault = &apiError{Status: http.StatusBadRequest, Code: FaultPriorRequestNotComplete, Message: "The request was rejected because Route 53 was still processing a prior request."}
	}
	if fault != nil {
		e.counters.Fault(fault.Code)
	}
	return o.Latency, fault, requestID
}

func (e *Emulator) serveOperation(op string, handle func(*http.Request) (any, *apiError)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		latency, fault, requestID := e.admit(op)
		if latency > 0 && provider.Sleep(r.Context(), latency) != nil {
			return
		}
		status, doc := http.StatusOK, any(nil)
		if fault == nil {
			doc, fault = handle(r)
		}
		if fault != nil {
			status = fault.Status
			doc = errorDocument(fault, requestID, e.legacyErrors())
		}
		var body bytes.Buffer
		body.WriteString(xml.Header)
		if err := xml.NewEncoder(&body).Encode(doc); err != nil {
			http.Error(w, fmt.Sprintf("route53test: encoding the %s response: %v", op, err), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/xml")
		w.Header().Set("X-Amzn-Requestid", requestID)
		w.WriteHeader(status)
		_, _ = w.Write(body.Bytes())
	}
}

func (e *Emulator) legacyErrors() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.opts.LegacyChangeBatchErrors
}

func (e *Emulator) pageLimit(awsDefault int) int {
	if e.opts.ListMaxItems > 0 {
		return e.opts.ListMaxItems
	}
	return awsDefault
}

// zoneLocked finds the zone a request names by id, with or without "/hostedzone/".
func (e *Emulator) zoneLocked(id string) (*zone, *apiError) {
	id = strings.TrimPrefix(id, zoneIDPrefix)
	z, ok := e.zones[id]
	if !ok {
		return nil, noSuchHostedZone(id)
	}
	return z, nil
}

// zonePageLimit reads the maxitems of a hosted zone list, capped as AWS caps it.
func (e *Emulator) zonePageLimit(q url.Values) (int, *apiError) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return parseMaxItems(q.Get("maxitems"), e.pageLimit(defaultZonePage))
}

// firstZonePage cuts the first limit zones off zones, in order, and returns the zone
// the next page starts with, nil when all of them fit.
func firstZonePage(zones []*zone, limit int) (page []hostedZoneXML, next *zone) {
	page = []hostedZoneXML{}
	for _, z := range zones {
		if len(page) == limit {
			return page, z
		}
		page = append(page, z.xml())
	}
	return page, nil
}

func (e *Emulator) listHostedZones(r *http.Request) (any, *apiError) {
	q := r.URL.Query()
	limit, err := e.zonePageLimit(q)
	if err != nil {
		return nil, err
	}
	privateOnly := false
	switch t := q.Get("hostedzonetype"); t {
	case "":
	case "PrivateHostedZone":
		privateOnly = true
	default:
		return nil, invalidInput("1 validation error detected: Value '%s' at 'hostedZoneType' failed to satisfy constraint: Member must satisfy enum value set: [PrivateHostedZone]", t)
	}
	marker := strings.TrimPrefix(q.Get("marker"), zoneIDPrefix)
	e.mu.Lock()
	defer e.mu.Unlock()
	start := 0
	if marker != "" {
		start = slices.Index(e.zoneOrder, marker)
		if start < 0 {
			return nil, invalidInput("Invalid request: marker %s does not name a hosted zone", marker)
		}
	}
	var zones []*zone
	for _, id := range e.zoneOrder[start:] {
		if z := e.zones[id]; !privateOnly || z.opts.Private {
			zones = append(zones, z)
		}
	}
	resp := listHostedZonesResponse{Xmlns: xmlns, Marker: q.Get("marker"), MaxItems: limit}
	var next *zone
	if resp.HostedZones, next = firstZonePage(zones, limit); next != nil {
		resp.IsTruncated, resp.NextMarker = true, next.id
	}
	return resp, nil
}

func (e *Emulator) listHostedZonesByName(r *http.Request) (any, *apiError) {
	q := r.URL.Query()
	limit, err := e.zonePageLimit(q)
	if err != nil {
		return nil, err
	}
	resp := listHostedZonesByNameResponse{Xmlns: xmlns, MaxItems: limit}
	startName, startID := "", strings.TrimPrefix(q.Get("hostedzoneid"), zoneIDPrefix)
	if dns := q.Get("dnsname"); dns != "" {
		name, nameErr := canonicalName(dns)
		if nameErr != nil {
			return nil, &apiError{Status: http.StatusBadRequest, Code: "InvalidDomainName", Message: nameErr.Error()}
		}
		startName, resp.DNSName = name, name
	} else if startID != "" {
		return nil, invalidInput("Invalid request: HostedZoneId requires DNSName")
	}
	resp.HostedZoneID = startID
	e.mu.Lock()
	defer e.mu.Unlock()
	zones := make([]*zone, 0, len(e.zones))
	for _, id := range e.zoneOrder {
		z := e.zones[id]
		if startName != "" {
			if c := compareNames(z.name, startName); c < 0 || c == 0 && z.id < startID {
				continue
			}
		}
		zones = append(zones, z)
	}
	slices.SortFunc(zones, func(a, b *zone) int {
		if c := compareNames(a.name, b.name); c != 0 {
			return c
		}
		return strings.Compare(a.id, b.id)
	})
	var next *zone
	if resp.HostedZones, next = firstZonePage(zones, limit); next != nil {
		resp.IsTruncated, resp.NextDNSName, resp.NextHostedZoneID = true, next.name, next.id
	}
	return resp, nil
}

func (e *Emulator) getHostedZone(r *http.Request) (any, *apiError) {
	e.mu.Lock()
	defer e.mu.Unlock()
	z, err := e.zoneLocked(r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	resp := getHostedZoneResponse{Xmlns: xmlns, HostedZone: z.xml()}
	if z.opts.Private {
		resp.VPCs = []vpcXML{{VPCRegion: z.opts.VPCRegion, VPCID: z.opts.VPCID}}
	} else {
		resp.NameServers = slices.Clone(z.nameServers)
	}
	return resp, nil
}

func (e *Emulator) listResourceRecordSets(r *http.Request) (any, *apiError) {
	q := r.URL.Query()
	e.mu.Lock()
	defer e.mu.Unlock()
	z, err := e.zoneLocked(r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	limit, err := parseMaxItems(q.Get("maxitems"), e.pageLimit(defaultRecordSetPage))
	if err != nil {
		return nil, err
	}
	start, err := listStart(q.Get("name"), q.Get("type"), q.Get("identifier"))
	if err != nil {
		return nil, err
	}
	order := z.order()
	i := 0
	if start.name != "" {
		i, _ = slices.BinarySearchFunc(order, start, compareStart)
	}
	resp := listResourceRecordSetsResponse{Xmlns: xmlns, MaxItems: limit, ResourceRecordSets: []recordSet{}}
	for ; i < len(order) && len(resp.ResourceRecordSets) < limit; i++ {
		resp.ResourceRecordSets = append(resp.ResourceRecordSets, *z.sets[order[i]])
	}
	if i < len(order) {
		next := order[i]
		resp.IsTruncated, resp.NextRecordName, resp.NextRecordType, resp.NextRecordIdentifier = true, next.name, next.typ, next.id
	}
	return resp, nil
}

// listStart reads where a ListResourceRecordSets page starts. A type needs a name and
// an identifier needs a type, as on AWS.
func listStart(name, typ, identifier string) (setKey, *apiError) {
	switch {
	case name == "" && typ != "":
		return setKey{}, invalidInput("Invalid request: StartRecordType requires StartRecordName")
	case typ == "" && identifier != "":
		return setKey{}, invalidInput("Invalid request: StartRecordIdentifier requires StartRecordType")
	case typ != "" && !recordTypes[typ]:
		return setKey{}, invalidInput("Invalid request: StartRecordType %q is not a supported record type", typ)
	case name == "":
		return setKey{}, nil
	}
	canonical, err := canonicalName(name)
	if err != nil {
		return setKey{}, invalidInput("Invalid request: StartRecordName: %v", err)
	}
	return setKey{canonical, typ, identifier}, nil
}

// compareStart orders a set key against a page start whose type or identifier may be
// empty, meaning "the first of that name" or "the first of that name and type".
func compareStart(k, start setKey) int {
	if c := compareNames(k.name, start.name); c != 0 || start.typ == "" {
		return c
	}
	if c := strings.Compare(k.typ, start.typ); c != 0 || start.id == "" {
		return c
	}
	return strings.Compare(k.id, start.id)
}

func (e *Emulator) changeResourceRecordSets(r *http.Request) (any, *apiError) {
	body, readErr := io.ReadAll(io.LimitReader(r.Body, maxRequestBody))
	if readErr != nil {
		return nil, invalidInput("Invalid request: reading the body: %v", readErr)
	}
	req, parseErr := parseChangeRequest(body)
	if parseErr != nil {
		return nil, invalidInput("%v", parseErr)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	z, err := e.zoneLocked(r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	if err := applyBatch(z, req.Changes); err != nil {
		return nil, err
	}
	e.changeCount++
	info := &changeInfoXML{
		ID:          fmt.Sprintf("%sC%013X", changeIDPrefix, e.changeCount),
		Status:      "PENDING",
		SubmittedAt: time.Now().UTC().Format("2006-01-02T15:04:05.000Z"),
		Comment:     req.Comment,
		submitted:   time.Now(),
	}
	e.changes[strings.TrimPrefix(info.ID, changeIDPrefix)] = info
	return changeResourceRecordSetsResponse{Xmlns: xmlns, ChangeInfo: *info}, nil
}

// getChange reports a change INSYNC from the first GetChange on, or once
// Options.InSyncAfter has passed since it was accepted: the emulator applies a batch at
// once, but a client must still see PENDING first, as on AWS.
func (e *Emulator) getChange(r *http.Request) (any, *apiError) {
	id := strings.TrimPrefix(r.PathValue("id"), changeIDPrefix)
	e.mu.Lock()
	defer e.mu.Unlock()
	info, ok := e.changes[id]
	if !ok {
		return nil, &apiError{Status: http.StatusNotFound, Code: "NoSuchChange", Message: "A change with the specified change ID does not exist: " + id}
	}
	if after := e.opts.InSyncAfter; after == 0 || after > 0 && time.Since(info.submitted) >= after {
		info.Status = "INSYNC"
	}
	return getChangeResponse{Xmlns: xmlns, ChangeInfo: *info}, nil
}

func (e *Emulator) listTagsForResource(r *http.Request) (any, *apiError) {
	e.mu.Lock()
	defer e.mu.Unlock()
	set, err := e.tagSetLocked(r.PathValue("type"), r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	return listTagsForResourceResponse{Xmlns: xmlns, ResourceTagSet: set}, nil
}

func (e *Emulator) listTagsForResources(r *http.Request) (any, *apiError) {
	body, readErr := io.ReadAll(io.LimitReader(r.Body, maxRequestBody))
	if readErr != nil {
		return nil, invalidInput("Invalid request: reading the body: %v", readErr)
	}
	var req listTagsForResourcesRequest
	if err := xml.Unmarshal(body, &req); err != nil {
		return nil, invalidInput("Invalid XML ; %v", err)
	}
	if len(req.ResourceIDs) == 0 || len(req.ResourceIDs) > maxTagResources {
		return nil, invalidInput("1 validation error detected: Value at 'resourceIds' failed to satisfy constraint: Member must have length between 1 and %d", maxTagResources)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	resp := listTagsForResourcesResponse{Xmlns: xmlns}
	for _, id := range req.ResourceIDs {
		set, err := e.tagSetLocked(r.PathValue("type"), id)
		if err != nil {
			return nil, err
		}
		resp.ResourceTagSets = append(resp.ResourceTagSets, set)
	}
	return resp, nil
}

func (e *Emulator) tagSetLocked(resourceType, id string) (resourceTagSetXML, *apiError) {
	switch resourceType {
	case "hostedzone":
		z, err := e.zoneLocked(id)
		if err != nil {
			return resourceTagSetXML{}, err
		}
		return z.tagSet(), nil
	case "healthcheck":
		return resourceTagSetXML{}, &apiError{Status: http.StatusNotFound, Code: "NoSuchHealthCheck", Message: "No health check exists with the specified ID " + id}
	}
	return resourceTagSetXML{}, invalidInput("1 validation error detected: Value '%s' at 'resourceType' failed to satisfy constraint: Member must satisfy enum value set: [healthcheck, hostedzone]", resourceType)
}

// RecordSets returns the record sets of a zone in the order ListResourceRecordSets
// lists them, as the SDK decodes them; nil for an unknown zone.
func (e *Emulator) RecordSets(zoneID string) []types.ResourceRecordSet {
	e.mu.Lock()
	defer e.mu.Unlock()
	z, err := e.zoneLocked(zoneID)
	if err != nil {
		return nil
	}
	out := make([]types.ResourceRecordSet, 0, len(z.sets))
	for _, k := range z.order() {
		out = append(out, sdkRecordSet(z.sets[k]))
	}
	return out
}
