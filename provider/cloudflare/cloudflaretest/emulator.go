// Package cloudflaretest emulates the subset of Cloudflare's v4 API that zonekeeper's Cloudflare
// provider uses: zones list and get; dns_records list, get, create, update (PUT), patch, delete
// and batch. It answers with the API's JSON envelope, pagination, validation and error codes,
// and can inject 429 and 5xx answers deterministically. README.md lists what it leaves out.
package cloudflaretest

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zonekeeper/zonekeeper/provider"
	"github.com/zonekeeper/zonekeeper/provider/internal/apitest"
)

// Options configure an Emulator. The zero value is a fault-free emulator without authentication
// that allows 200 operations per batch.
type Options struct {
	// RateLimitRate is the share of calls, 0 to 1, answered 429 with a Retry-After header.
	RateLimitRate float64
	// RetryAfter is the value of the Retry-After header of those answers, in whole seconds
	// rounded up, at least 1.
	RetryAfter time.Duration
	// ServerErrorRate is the share of calls, 0 to 1, answered 500 or 502 (half each).
	ServerErrorRate float64
	// Latency delays every answer.
	Latency time.Duration
	// Seed fixes which calls get a fault and which record ids are handed out; 0 means a fixed
	// default, so that runs repeat.
	Seed int64
	// MaxBatchOperations caps the operations of one batch call (deletes, patches, puts and
	// posts together); 0 means 200, the free-plan limit.
	MaxBatchOperations int
	// Token, when set, is the API token every request must carry as
	// "Authorization: Bearer <Token>"; others get 403 with code 10000 "Authentication error".
	Token string
}

// defaultSeed stands in for Seed 0.
const defaultSeed = 0x5eed

// Operation names counted by Calls.
const (
	OpZonesList         = "zones.list"
	OpZonesGet          = "zones.get"
	OpRecordsList       = "dns_records.list"
	OpRecordsGet        = "dns_records.get"
	OpRecordsCreate     = "dns_records.create"
	OpRecordsUpdate     = "dns_records.update"
	OpRecordsPatch      = "dns_records.patch"
	OpRecordsDelete     = "dns_records.delete"
	OpRecordsBatch      = "dns_records.batch"
	OpUnknown           = "unknown"
	apiPrefix           = "/client/v4/"
	maxRequestBodyBytes = 64 << 20
)

// Emulator is an in-memory Cloudflare v4 API. It is an http.Handler serving the API under
// /client/v4/, and is safe for concurrent use: every request is applied atomically under one
// lock, so a batch is all or nothing and a list never sees half of a write.
type Emulator struct {
	counters apitest.Counters

	mu        sync.Mutex
	opts      Options
	faultRand *rand.Rand
	idRand    *rand.Rand
	zones     map[string]*zone
	now       func() time.Time
}

// New returns an emulator without zones.
func New(opts Options) *Emulator {
	if opts.MaxBatchOperations <= 0 {
		opts.MaxBatchOperations = defaultBatchOperation
	}
	seed := uint64(opts.Seed)
	if seed == 0 {
		seed = defaultSeed
	}
	return &Emulator{
		opts:      opts,
		faultRand: rand.New(rand.NewPCG(seed, 1)),
		idRand:    rand.New(rand.NewPCG(seed, 2)),
		zones:     map[string]*zone{},
		now:       func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) },
	}
}

// Start serves a new emulator on a local httptest server closed at t's cleanup, and returns it
// with the base URL to hand to cloudflare-go's option.WithBaseURL (it ends in "/client/v4").
func Start(t testing.TB, opts Options) (*Emulator, string) {
	t.Helper()
	e := New(opts)
	return e, apitest.Start(t, e) + strings.TrimSuffix(apiPrefix, "/")
}

// SetFaults replaces the fault settings (RateLimitRate, RetryAfter, ServerErrorRate, Latency)
// and restarts the fault sequence from opts.Seed; MaxBatchOperations and Token stay as New set
// them.
func (e *Emulator) SetFaults(opts Options) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.opts.RateLimitRate = opts.RateLimitRate
	e.opts.RetryAfter = opts.RetryAfter
	e.opts.ServerErrorRate = opts.ServerErrorRate
	e.opts.Latency = opts.Latency
	seed := uint64(opts.Seed)
	if seed == 0 {
		seed = defaultSeed
	}
	e.faultRand = rand.New(rand.NewPCG(seed, 1))
}

// CreateZone adds an active zone named name (lower-cased, without trailing dot) and returns its
// 32-hex id; for a name that already has a zone it returns that zone's id.
func (e *Emulator) CreateZone(name string) (id string) {
	name = strings.TrimSuffix(strings.ToLower(name), ".")
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, z := range e.zones {
		if z.name == name {
			return z.id
		}
	}
	id = e.newID()
	e.zones[id] = newZone(id, name, e.now())
	return id
}

// Records returns a copy of the records of the zone with id zoneID in list order (name, type,
// content, id), or nil when there is no such zone.
func (e *Emulator) Records(zoneID string) []Record {
	e.mu.Lock()
	defer e.mu.Unlock()
	z := e.zones[zoneID]
	if z == nil {
		return nil
	}
	out := z.sorted(func(Record) bool { return true })
	for i := range out {
		out[i] = out[i].clone()
	}
	return out
}

// Calls returns how many requests each operation received ("zones.list", "dns_records.batch",
// …, "unknown" for requests no route matched), faulted and refused ones included.
func (e *Emulator) Calls() map[string]int {
	return e.counters.Calls()
}

// Faults returns how many injected faults were answered, by HTTP status ("429", "500", "502").
func (e *Emulator) Faults() map[string]int {
	return e.counters.Faults()
}

// ResetCounters sets Calls and Faults back to empty; records, zones and the fault sequence stay.
func (e *Emulator) ResetCounters() {
	e.counters.Reset()
}

// newID returns a fresh 32-hex identifier; the caller holds e.mu.
func (e *Emulator) newID() string {
	for {
		id := fmt.Sprintf("%016x%016x", e.idRand.Uint64(), e.idRand.Uint64())
		if _, taken := e.zones[id]; !taken && !e.recordIDTaken(id) {
			return id
		}
	}
}

func (e *Emulator) recordIDTaken(id string) bool {
	for _, z := range e.zones {
		if _, ok := z.records[id]; ok {
			return true
		}
	}
	return false
}

// route is a parsed request path.
type route struct {
	op       string
	zoneID   string
	recordID string
}

// parseRoute maps a method and path to the operation it names; op is OpUnknown for anything
// outside the emulated subset.
func parseRoute(method, path string) route {
	rest, ok := strings.CutPrefix(path, apiPrefix)
	if !ok {
		return route{op: OpUnknown}
	}
	parts := strings.Split(strings.TrimSuffix(rest, "/"), "/")
	if parts[0] != "zones" {
		return route{op: OpUnknown}
	}
	switch {
	case len(parts) == 1 && method == http.MethodGet:
		return route{op: OpZonesList}
	case len(parts) == 2 && method == http.MethodGet:
		return route{op: OpZonesGet, zoneID: parts[1]}
	case len(parts) == 3 && parts[2] == "dns_records" && method == http.MethodGet:
		return route{op: OpRecordsList, zoneID: parts[1]}
	case len(parts) == 3 && parts[2] == "dns_records" && method == http.MethodPost:
		return route{op: OpRecordsCreate, zoneID: parts[1]}
	case len(parts) == 4 && parts[2] == "dns_records" && parts[3] == "batch" && method == http.MethodPost:
		return route{op: OpRecordsBatch, zoneID: parts[1]}
	case len(parts) == 4 && parts[2] == "dns_records":
		op := map[string]string{
			http.MethodGet:    OpRecordsGet,
			http.MethodPut:    OpRecordsUpdate,
			http.MethodPatch:  OpRecordsPatch,
			http.MethodDelete: OpRecordsDelete,
		}[method]
		if op == "" {
			return route{op: OpUnknown}
		}
		return route{op: op, zoneID: parts[1], recordID: parts[3]}
	}
	return route{op: OpUnknown}
}

// ServeHTTP answers one API request: it counts the call, waits the configured latency, checks
// the token, maybe injects a fault, and otherwise applies the request atomically.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rt := parseRoute(r.Method, r.URL.Path)
	e.counters.Call(rt.op)
	e.mu.Lock()
	latency, token := e.opts.Latency, e.opts.Token
	e.mu.Unlock()

	if latency > 0 && provider.Sleep(r.Context(), latency) != nil {
		return
	}
	if token != "" && r.Header.Get("Authorization") != "Bearer "+token {
		writeError(w, &apiError{status: http.StatusForbidden, code: CodeAuthentication, message: "Authentication error"})
		return
	}
	if e.injectFault(w) {
		return
	}
	if rt.op == OpUnknown {
		writeError(w, &apiError{status: http.StatusNotFound, code: CodeNoRoute, message: fmt.Sprintf("No route for that URI: %s %s", r.Method, r.URL.Path)})
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBodyBytes))
	if err != nil {
		writeError(w, badRequest(CodeMalformedJSON, "Failed to read the request body: %v", err))
		return
	}

	e.mu.Lock()
	result, info, apiErr := e.handle(rt, r.URL.Query(), body)
	e.mu.Unlock()
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	writeResult(w, result, info)
}

// injectFault draws whether this call gets a fault and answers it if so.
func (e *Emulator) injectFault(w http.ResponseWriter) bool {
	e.mu.Lock()
	status := 0
	switch apitest.PickFault(e.faultRand.Float64(), e.opts.RateLimitRate, e.opts.ServerErrorRate) {
	case 0:
		status = http.StatusTooManyRequests
	case 1:
		status = http.StatusInternalServerError
		if e.faultRand.IntN(2) == 1 {
			status = http.StatusBadGateway
		}
	}
	if status != 0 {
		e.counters.Fault(strconv.Itoa(status))
	}
	retryAfter := max(1, int(math.Ceil(e.opts.RetryAfter.Seconds())))
	e.mu.Unlock()

	switch status {
	case 0:
		return false
	case http.StatusTooManyRequests:
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
		writeError(w, &apiError{status: status, code: CodeRateLimited, message: "Please wait and consider throttling your request speed"})
	default:
		writeError(w, &apiError{status: status, code: CodeServiceUnavailable, message: "Service temporarily unavailable (injected fault)"})
	}
	return true
}

// handle applies one routed request; the caller holds e.mu.
func (e *Emulator) handle(rt route, query map[string][]string, body []byte) (any, *resultInfo, *apiError) {
	q := queryValues(query)
	if rt.op == OpZonesList {
		return e.listZones(q)
	}
	z := e.zones[rt.zoneID]
	if z == nil {
		return nil, nil, &apiError{status: http.StatusNotFound, code: CodeZoneNotFound,
			message: fmt.Sprintf("Could not route to /zones/%s, perhaps your object identifier is invalid?", rt.zoneID)}
	}
	now := e.now()
	switch rt.op {
	case OpZonesGet:
		return zoneJSON(z), nil, nil
	case OpRecordsList:
		return listRecords(z, q)
	case OpRecordsGet:
		r, ok := z.records[rt.recordID]
		if !ok {
			return nil, nil, recordNotFound(rt.recordID)
		}
		return r.clone(), nil, nil
	case OpRecordsDelete:
		if _, ok := z.records[rt.recordID]; !ok {
			return nil, nil, recordNotFound(rt.recordID)
		}
		z.remove(rt.recordID)
		return map[string]string{"id": rt.recordID}, nil, nil
	case OpRecordsBatch:
		in, err := decodeBatchInput(body)
		if err != nil {
			return nil, nil, err
		}
		res, err := e.batch(z, in, now)
		return res, nil, err
	}
	in, err := decodeRecordInput(body)
	if err != nil {
		return nil, nil, err
	}
	var rec Record
	switch rt.op {
	case OpRecordsCreate:
		rec, _, err = z.write(Record{ID: e.newID(), CreatedOn: now}, in, true, now)
	case OpRecordsUpdate, OpRecordsPatch:
		base, ok := z.records[rt.recordID]
		if !ok {
			return nil, nil, recordNotFound(rt.recordID)
		}
		rec, _, err = z.write(base, in, rt.op == OpRecordsUpdate, now)
	}
	if err != nil {
		return nil, nil, err
	}
	return rec.clone(), nil, nil
}

// batchResult is the result of a batch call: the records each kind of operation touched, in
// request order (deletes as they were before deletion).
type batchResult struct {
	Deletes []Record `json:"deletes"`
	Patches []Record `json:"patches"`
	Puts    []Record `json:"puts"`
	Posts   []Record `json:"posts"`
}

// batch applies in to z as one transaction: deletes, then patches, then puts, then posts, each
// list in order. The first failing operation undoes everything before it, and the error's
// source pointer names it ("/posts/3"). The caller holds e.mu.
func (e *Emulator) batch(z *zone, in batchInput, now time.Time) (batchResult, *apiError) {
	if n := in.size(); n > e.opts.MaxBatchOperations {
		return batchResult{}, badRequest(CodeBatchTooLarge, "The batch has %d operations, at most %d are allowed per request.", n, e.opts.MaxBatchOperations)
	}
	res := batchResult{Deletes: []Record{}, Patches: []Record{}, Puts: []Record{}, Posts: []Record{}}
	var undos []undo
	fail := func(err *apiError, kind string, i int) (batchResult, *apiError) {
		z.rollback(undos)
		failed := *err
		failed.status = http.StatusBadRequest
		failed.pointer = fmt.Sprintf("/%s/%d", kind, i)
		return batchResult{}, &failed
	}
	existing := func(op recordInput) (Record, *apiError) {
		if op.ID == nil || *op.ID == "" {
			return Record{}, badRequest(CodeInvalidField, "The operation has no record id.")
		}
		r, ok := z.records[*op.ID]
		if !ok {
			return Record{}, recordNotFound(*op.ID)
		}
		return r, nil
	}
	for i, op := range in.Deletes {
		r, err := existing(op)
		if err != nil {
			return fail(err, "deletes", i)
		}
		undos = append(undos, z.remove(r.ID))
		res.Deletes = append(res.Deletes, r.clone())
	}
	for _, step := range []struct {
		kind    string
		ops     []recordInput
		replace bool
		out     *[]Record
	}{
		{"patches", in.Patches, false, &res.Patches},
		{"puts", in.Puts, true, &res.Puts},
	} {
		for i, op := range step.ops {
			base, err := existing(op)
			if err != nil {
				return fail(err, step.kind, i)
			}
			r, u, err := z.write(base, op, step.replace, now)
			if err != nil {
				return fail(err, step.kind, i)
			}
			undos = append(undos, u)
			*step.out = append(*step.out, r.clone())
		}
	}
	for i, op := range in.Posts {
		r, u, err := z.write(Record{ID: e.newID(), CreatedOn: now}, op, true, now)
		if err != nil {
			return fail(err, "posts", i)
		}
		undos = append(undos, u)
		res.Posts = append(res.Posts, r.clone())
	}
	return res, nil
}

// queryValues gives the first value of each query parameter.
type queryValues map[string][]string

func (q queryValues) get(key string) string {
	if v := q[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// paginate cuts one page out of items. page counts from 1; per_page is clamped to
// [minPer, maxPer] the way the API clamps it, and result_info reports what was used.
func paginate[T any](items []T, q queryValues, defPer, minPer, maxPer int) ([]T, *resultInfo) {
	per := defPer
	if v, err := strconv.Atoi(q.get("per_page")); err == nil {
		per = min(max(v, minPer), maxPer)
	}
	page := 1
	if v, err := strconv.Atoi(q.get("page")); err == nil && v > 1 {
		page = v
	}
	total := len(items)
	start := min((page-1)*per, total)
	end := min(start+per, total)
	return items[start:end], &resultInfo{
		Page: page, PerPage: per, Count: end - start, TotalCount: total, TotalPages: (total + per - 1) / per,
	}
}

// listRecords answers GET /zones/{id}/dns_records with the filters name (also name.exact,
// name.contains, name.startswith, name.endswith), type, content (also content.exact) and
// proxied, all of which must match.
func listRecords(z *zone, q queryValues) (any, *resultInfo, *apiError) {
	lower := func(key string) string { return strings.TrimSuffix(strings.ToLower(q.get(key)), ".") }
	exactName := cmpOrEmpty(lower("name"), lower("name.exact"))
	contains, prefix, suffix := lower("name.contains"), lower("name.startswith"), lower("name.endswith")
	typ := strings.ToUpper(q.get("type"))
	content := cmpOrEmpty(q.get("content"), q.get("content.exact"))
	proxied := q.get("proxied")
	keep := func(r Record) bool {
		return (exactName == "" || r.Name == exactName) &&
			strings.Contains(r.Name, contains) && strings.HasPrefix(r.Name, prefix) && strings.HasSuffix(r.Name, suffix) &&
			(typ == "" || r.Type == typ) &&
			(content == "" || strings.EqualFold(r.Content, content)) &&
			(proxied == "" || strconv.FormatBool(r.Proxied) == proxied)
	}
	var records []Record
	if exactName != "" {
		records = z.sortedAt(exactName, keep)
	} else {
		records = z.sorted(keep)
	}
	page, info := paginate(records, q, 100, 5, 5000)
	out := make([]Record, len(page))
	for i := range page {
		out[i] = page[i].clone()
	}
	return out, info, nil
}

func cmpOrEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// zoneJSON is a zone in the shape of the API's zone object.
func zoneJSON(z *zone) map[string]any {
	return map[string]any{
		"id":                    z.id,
		"name":                  z.name,
		"status":                "active",
		"paused":                false,
		"type":                  "full",
		"development_mode":      0,
		"name_servers":          []string{"ada.ns.cloudflare.com", "bob.ns.cloudflare.com"},
		"original_name_servers": nil,
		"original_registrar":    nil,
		"original_dnshost":      nil,
		"created_on":            z.createdOn,
		"modified_on":           z.createdOn,
		"activated_on":          z.createdOn,
		"meta":                  map[string]any{},
		"owner":                 map[string]any{"id": nil, "type": "user", "email": nil},
		"account":               map[string]any{"id": "0123456789abcdef0123456789abcdef", "name": "emulator"},
		"permissions":           []string{"#dns_records:edit", "#dns_records:read", "#zone:read"},
		"plan":                  map[string]any{"id": "0feeeeeeeeeeeeeeeeeeeeeeeeeeeeee", "name": "Free Website", "legacy_id": "free"},
	}
}

// listZones answers GET /zones with the filters name (exact by default, or with one of the
// operators equal:, not_equal:, contains:, starts_with:, ends_with:) and status.
func (e *Emulator) listZones(q queryValues) (any, *resultInfo, *apiError) {
	nameFilter := strings.ToLower(q.get("name"))
	op, want, found := strings.Cut(nameFilter, ":")
	if !found {
		op, want = "equal", nameFilter
	}
	want = strings.TrimSuffix(want, ".")
	match := map[string]func(string) bool{
		"equal":       func(n string) bool { return n == want },
		"not_equal":   func(n string) bool { return n != want },
		"contains":    func(n string) bool { return strings.Contains(n, want) },
		"starts_with": func(n string) bool { return strings.HasPrefix(n, want) },
		"ends_with":   func(n string) bool { return strings.HasSuffix(n, want) },
	}[op]
	if match == nil {
		return nil, nil, badRequest(CodeInvalidField, "Unknown name filter operator %q.", op)
	}
	status := q.get("status")
	var zones []*zone
	for _, z := range e.zones {
		if (nameFilter == "" || match(z.name)) && (status == "" || status == "active") {
			zones = append(zones, z)
		}
	}
	slices.SortFunc(zones, func(a, b *zone) int { return strings.Compare(a.name, b.name) })
	page, info := paginate(zones, q, 20, 5, 50)
	out := make([]map[string]any, len(page))
	for i, z := range page {
		out[i] = zoneJSON(z)
	}
	return out, info, nil
}
