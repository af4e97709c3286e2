package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/provider"
	"github.com/zonekeeper/zonekeeper/registry"
)

// ServerConfig configures NewHandler.
type ServerConfig struct {
	// Provider is the provider served. Required.
	Provider provider.Provider
	// DomainFilter keeps the zones served: those where it may hold managed names.
	DomainFilter endpoint.DomainFilter
	// MaxBodySize bounds a request body; DefaultMaxBodySize when zero.
	MaxBodySize int64
	// Logger receives a line per failed request; nil discards them.
	Logger *slog.Logger
	// Observe, when set, is told of every request answered: its route ("negotiate",
	// "records", "apply", "adjustendpoints", "other") and status code.
	Observe func(route string, code int)
}

// Server answers external-dns's webhook protocol for a provider.Provider.
type Server struct {
	cfg ServerConfig
	log *slog.Logger
	// ready is set once the provider's Zones has answered.
	ready atomic.Bool
}

// NewHandler returns the protocol's handler for cfg.Provider:
//
//	GET  /                 the zones served, as the domain filter's include list
//	GET  /records          every record of every zone
//	POST /records          the changes, applied all or nothing (see README.md)
//	POST /adjustendpoints  the provider's AdjustEndpoints
func NewHandler(cfg ServerConfig) *Server {
	if cfg.MaxBodySize <= 0 {
		cfg.MaxBodySize = DefaultMaxBodySize
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Server{cfg: cfg, log: log}
}

// Ready reports whether the provider's Zones has answered once, for /healthz.
func (s *Server) Ready() bool { return s.ready.Load() }

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	route, code := s.serve(w, r)
	if s.cfg.Observe != nil {
		s.cfg.Observe(route, code)
	}
}

// serve answers r and returns its route and status code.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) (string, int) {
	var route string
	switch {
	case r.URL.Path == pathNegotiate && r.Method == http.MethodGet:
		route = "negotiate"
	case r.URL.Path == pathRecords && r.Method == http.MethodGet:
		route = "records"
	case r.URL.Path == pathRecords && r.Method == http.MethodPost:
		route = "apply"
	case r.URL.Path == pathAdjust && r.Method == http.MethodPost:
		route = "adjustendpoints"
	case r.URL.Path == pathNegotiate || r.URL.Path == pathRecords || r.URL.Path == pathAdjust:
		return "other", s.fail(w, r, http.StatusMethodNotAllowed, "", fmt.Errorf("method %s not allowed", r.Method))
	default:
		return "other", s.fail(w, r, http.StatusNotFound, "", fmt.Errorf("no such path %s", r.URL.Path))
	}
	if a := r.Header.Get("Accept"); a != "" && !accepts(a) {
		return route, s.fail(w, r, http.StatusNotAcceptable, "", fmt.Errorf("Accept %q does not take %s", a, MediaType))
	}
	if r.Method == http.MethodPost {
		if ct := r.Header.Get("Content-Type"); ct != "" && !isMediaType(ct) {
			return route, s.fail(w, r, http.StatusUnsupportedMediaType, "", fmt.Errorf("Content-Type %q, want %s", ct, MediaType))
		}
		r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodySize)
	}
	switch route {
	case "negotiate":
		return route, s.negotiate(w, r)
	case "records":
		return route, s.records(w, r)
	case "apply":
		return route, s.apply(w, r)
	}
	return route, s.adjust(w, r)
}

// accepts reports whether an Accept header takes the protocol's media type.
func accepts(header string) bool {
	for _, part := range strings.Split(header, ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err == nil && (mt == "*/*" || mt == "application/*") || isMediaType(strings.TrimSpace(part)) {
			return true
		}
	}
	return false
}

// fail answers an error and logs it; outcome, when set, goes into outcomeHeader.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, code int, outcome string, err error) int {
	s.log.Warn("webhook request failed", "method", r.Method, "path", r.URL.Path, "code", code, "err", err)
	if outcome != "" {
		w.Header().Set(outcomeHeader, outcome)
	}
	http.Error(w, err.Error(), code)
	return code
}

func (s *Server) answer(w http.ResponseWriter, r *http.Request, v any) int {
	b, err := json.Marshal(v)
	if err != nil {
		return s.fail(w, r, http.StatusInternalServerError, "", err)
	}
	w.Header().Set("Content-Type", MediaType)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
	return http.StatusOK
}

// zones lists the provider's zones that the domain filter keeps.
func (s *Server) zones(ctx context.Context) ([]provider.Zone, error) {
	all, err := s.cfg.Provider.Zones(ctx)
	if err != nil {
		return nil, err
	}
	s.ready.Store(true)
	if !s.cfg.DomainFilter.IsConfigured() {
		return all, nil
	}
	return slices.DeleteFunc(all, func(z provider.Zone) bool { return !s.cfg.DomainFilter.MatchZone(z.Name) }), nil
}

func (s *Server) negotiate(w http.ResponseWriter, r *http.Request) int {
	zones, err := s.zones(r.Context())
	if err != nil {
		return s.fail(w, r, http.StatusServiceUnavailable, outcomeUnavailable, fmt.Errorf("listing zones: %w", err))
	}
	f := wireFilter{Include: []string{}}
	for _, z := range zones {
		f.Include = append(f.Include, z.Name)
	}
	slices.Sort(f.Include)
	return s.answer(w, r, f)
}

func (s *Server) records(w http.ResponseWriter, r *http.Request) int {
	zones, err := s.zones(r.Context())
	if err != nil {
		return s.fail(w, r, http.StatusServiceUnavailable, outcomeUnavailable, fmt.Errorf("listing zones: %w", err))
	}
	out := []wireEndpoint{}
	for _, z := range zones {
		records, err := s.cfg.Provider.Records(r.Context(), z)
		if err != nil {
			return s.fail(w, r, http.StatusServiceUnavailable, outcomeUnavailable, fmt.Errorf("reading zone %s: %w", z.Name, err))
		}
		out = append(out, toWireList(records)...)
	}
	return s.answer(w, r, out)
}

func (s *Server) decode(w http.ResponseWriter, r *http.Request, v any) (int, bool) {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return s.fail(w, r, http.StatusRequestEntityTooLarge, "", fmt.Errorf("the body is larger than %d bytes (--webhook-provider-max-body-size)", tooBig.Limit)), false
		}
		return s.fail(w, r, http.StatusBadRequest, "", fmt.Errorf("the body: %w", err)), false
	}
	return 0, true
}

// requestRefKind is the object kind that stands, on the endpoints of one
// POST /adjustendpoints, for their position in the request.
const requestRefKind = "webhook-request"

// maxProblemsHeader bounds the problems header (about, in bytes): far below the 10 MiB
// of response headers Go's client accepts, and enough for thousands of problems.
const maxProblemsHeader = 256 << 10

func (s *Server) adjust(w http.ResponseWriter, r *http.Request) int {
	var ws []wireEndpoint
	if code, ok := s.decode(w, r, &ws); !ok {
		return code
	}
	desired, err := fromWireList(ws)
	if err != nil {
		return s.fail(w, r, http.StatusBadRequest, "", err)
	}
	// Providers report a problem on the objects of an endpoint (its Refs); each endpoint
	// sent gets its position as its object, so that the problem can name it back.
	for i, e := range desired {
		e.Refs = []endpoint.ObjectRef{{Kind: requestRefKind, Name: strconv.Itoa(i)}}
	}
	adjusted, problems := s.cfg.Provider.AdjustEndpoints(desired)
	var reported []wireProblem
	size := 0
	for _, p := range problems {
		i, err := strconv.Atoi(p.Ref.Name)
		if p.Ref.Kind != requestRefKind || err != nil {
			continue
		}
		wp := wireProblem{Index: i, Warning: p.Warning, Message: p.Err.Error()}
		if size += len(wp.Message) + 40; size > maxProblemsHeader {
			s.log.Warn("a problem with a record is not reported to the client: too many for one answer", "record", p.DNSName, "err", p.Err)
			continue
		}
		reported = append(reported, wp)
	}
	if len(reported) > 0 {
		b, err := json.Marshal(reported)
		if err != nil {
			return s.fail(w, r, http.StatusInternalServerError, "", err)
		}
		w.Header().Set(problemsHeader, string(b))
	}
	return s.answer(w, r, toWireList(adjusted))
}

// apply carries out POST /records all or nothing: each record change is a Change of its
// own, but for ownership records, which join the record they own (groupOwnership);
// Changes are applied zone by zone;
// when any is refused or cannot be applied, those already applied are undone, so that
// the request as a whole is refused. See README.md for the answers.
func (s *Server) apply(w http.ResponseWriter, r *http.Request) int {
	var wc wireChanges
	if code, ok := s.decode(w, r, &wc); !ok {
		return code
	}
	rcs, err := recordChanges(wc)
	if err != nil {
		return s.fail(w, r, http.StatusBadRequest, "", err)
	}
	zones, err := s.zones(r.Context())
	if err != nil {
		return s.fail(w, r, http.StatusServiceUnavailable, outcomeUnavailable, fmt.Errorf("listing zones: %w", err))
	}
	rcsByZone := map[string][]provider.RecordChange{}
	zoneOf := map[string]provider.Zone{}
	var refused []string
	for _, rc := range rcs {
		z, ok := provider.ZoneFor(rc.Endpoint().DNSName, zones)
		if !ok {
			refused = append(refused, rc.String()+": in none of the zones served")
			continue
		}
		zoneOf[z.Name] = z
		rcsByZone[z.Name] = append(rcsByZone[z.Name], rc)
	}
	byZone := map[string][]provider.Change{}
	for name, zrcs := range rcsByZone {
		byZone[name] = groupOwnership(zrcs)
	}
	if len(refused) > 0 {
		return s.fail(w, r, http.StatusInternalServerError, outcomeRefused, fmt.Errorf("refused: %s", strings.Join(refused, "; ")))
	}
	ctx := r.Context()
	var applied []provider.Change // in the order applied, with their zones in appliedZone
	var appliedZone []provider.Zone
	var stopped error
	for _, name := range slices.Sorted(maps.Keys(byZone)) {
		z := zoneOf[name]
		out := provider.OutcomeOf(byZone[name], s.cfg.Provider.Apply(ctx, z, byZone[name]))
		for _, c := range out.Applied {
			applied = append(applied, c)
			appliedZone = append(appliedZone, z)
		}
		for _, f := range out.Failed {
			refused = append(refused, f.Error())
		}
		if out.Stopped != nil {
			stopped = out.Stopped
			if len(out.Unknown) > 0 {
				return s.fail(w, r, http.StatusInternalServerError, outcomeUnknown, fmt.Errorf("zone %s: stopped with %d change(s) in an unknown state: %w", name, len(out.Unknown), out.Stopped))
			}
			break
		}
		if len(refused) > 0 {
			break
		}
	}
	if stopped == nil && len(refused) == 0 {
		w.WriteHeader(http.StatusNoContent)
		return http.StatusNoContent
	}
	if err := s.undo(context.WithoutCancel(ctx), applied, appliedZone); err != nil {
		return s.fail(w, r, http.StatusInternalServerError, outcomeUnknown, fmt.Errorf("partly applied, and undoing it failed (%v): %s", err, failure(refused, stopped)))
	}
	if stopped != nil {
		return s.fail(w, r, http.StatusServiceUnavailable, outcomeUnavailable, fmt.Errorf("nothing applied: %s", failure(refused, stopped)))
	}
	return s.fail(w, r, http.StatusInternalServerError, outcomeRefused, fmt.Errorf("nothing applied: refused: %s", strings.Join(refused, "; ")))
}

func failure(refused []string, stopped error) string {
	parts := slices.Clone(refused)
	if stopped != nil {
		parts = append(parts, stopped.Error())
	}
	return strings.Join(parts, "; ")
}

// undo reverts applied changes, last first.
func (s *Server) undo(ctx context.Context, applied []provider.Change, zones []provider.Zone) error {
	for i := len(applied) - 1; i >= 0; i-- {
		c := applied[i]
		inv := provider.Change{Primary: len(c.Records) - 1 - c.Primary, Owned: c.Owned}
		for j := len(c.Records) - 1; j >= 0; j-- {
			rc := c.Records[j]
			r := provider.RecordChange{Op: rc.Op, Old: rc.New, New: rc.Old}
			switch rc.Op {
			case provider.OpCreate:
				r.Op = provider.OpDelete
			case provider.OpDelete:
				r.Op = provider.OpCreate
			}
			inv.Records = append(inv.Records, r)
		}
		if err := s.cfg.Provider.Apply(ctx, zones[i], []provider.Change{inv}); err != nil {
			return fmt.Errorf("undoing %s: %w", c, err)
		}
	}
	return nil
}

// groupOwnership makes Changes of one zone's record changes: each ownership TXT record
// (one whose value is an ownership value, registry.ParseOwnership) joins the change of
// the record it owns, found in the same request, as provider.Change describes it:
// ownership created before the record and deleted after it, Owned set. The protocol
// sends flat lists, yet a provider may need the owned record to write its ownership
// record (Route 53 demands the routing policy of a record with a set identifier), and
// the two are then applied atomically where the provider can. An ownership record whose
// owned record is not in the request stays a Change of its own, as does every other
// record change.
//
// The owned record of an ownership record t: a record change of the same kind (create,
// update, delete) that is not an ownership record, with t's set identifier, whose name
// is t's name or the name t's name is made from by the registry's affixes (its first
// label is inside t's first labels, the rest of its name ends t's name); among several,
// the one whose type t's name carries (a-, aaaa-, cname-…), else the first.
func groupOwnership(rcs []provider.RecordChange) []provider.Change {
	isOwnership := make([]bool, len(rcs))
	for i, rc := range rcs {
		e := rc.Endpoint()
		if e.RecordType != endpoint.RecordTypeTXT {
			continue
		}
		for _, t := range e.Targets {
			if _, ok := registry.ParseOwnership(t); ok {
				isOwnership[i] = true
				break
			}
		}
	}
	owned := indexOwned(rcs, isOwnership)
	owners := map[int][]int{} // owned record change → its ownership record changes
	paired := make([]bool, len(rcs))
	for i, rc := range rcs {
		if !isOwnership[i] {
			continue
		}
		if j := ownedIndex(rc, rcs, owned); j >= 0 {
			owners[j] = append(owners[j], i)
			paired[i] = true
		}
	}
	var out []provider.Change
	for i, rc := range rcs {
		if paired[i] {
			continue
		}
		txts := owners[i]
		if len(txts) == 0 {
			out = append(out, provider.Change{Records: []provider.RecordChange{rc}})
			continue
		}
		c := provider.Change{Owned: rc.Endpoint()}
		if rc.Op != provider.OpDelete {
			for _, k := range txts {
				c.Records = append(c.Records, rcs[k])
			}
			c.Primary = len(c.Records)
			c.Records = append(c.Records, rc)
		} else {
			c.Records = append(c.Records, rc)
			for _, k := range txts {
				c.Records = append(c.Records, rcs[k])
			}
		}
		out = append(out, c)
	}
	return out
}

// ownedKey is what an owned record change is looked up by: its operation, set
// identifier, first label and the rest of its name.
type ownedKey struct {
	op                 provider.Op
	setID, first, rest string
}

// indexOwned indexes the record changes of rcs that are not ownership records by
// ownedKey, each list in the order of rcs, so that finding the owned record of each
// ownership record costs the labels of its name rather than the request's size.
func indexOwned(rcs []provider.RecordChange, isOwnership []bool) map[ownedKey][]int {
	index := map[ownedKey][]int{}
	for j, rc := range rcs {
		if isOwnership[j] {
			continue
		}
		e := rc.Endpoint()
		first, rest, _ := strings.Cut(e.DNSName, ".")
		k := ownedKey{rc.Op, e.SetIdentifier, first, rest}
		index[k] = append(index[k], j)
	}
	return index
}

// ownedIndex finds the record change that the ownership record change t owns (see
// groupOwnership) among those indexOwned indexed, or -1. The owned record's first label
// lies inside one label of t's name and the rest of its name ends t's name (or is
// empty), so the candidates are the substrings of t's labels, each with every suffix of
// t's name.
func ownedIndex(t provider.RecordChange, rcs []provider.RecordChange, owned map[ownedKey][]int) int {
	te := t.Endpoint()
	labels := strings.Split(te.DNSName, ".")
	rests := []string{""}
	for i := 1; i < len(labels); i++ {
		rests = append(rests, strings.Join(labels[i:], "."))
	}
	seen := map[int]bool{}
	var candidates []int
	for _, label := range labels {
		for from := range len(label) {
			for to := from + 1; to <= len(label); to++ {
				for _, rest := range rests {
					for _, j := range owned[ownedKey{t.Op, te.SetIdentifier, label[from:to], rest}] {
						if !seen[j] {
							seen[j] = true
							candidates = append(candidates, j)
						}
					}
				}
			}
		}
	}
	slices.Sort(candidates)
	tFirst := labels[0]
	for _, j := range candidates {
		recordType := strings.ToLower(rcs[j].Endpoint().RecordType)
		if strings.HasPrefix(tFirst, recordType+"-") || strings.Contains(te.DNSName, "-"+recordType+".") {
			return j
		}
	}
	if len(candidates) == 0 {
		return -1
	}
	return candidates[0]
}

// recordChanges turns external-dns's change lists into record changes: updateOld[i]
// pairs with updateNew[i], which must be the same RRset.
func recordChanges(wc wireChanges) ([]provider.RecordChange, error) {
	if len(wc.UpdateOld) != len(wc.UpdateNew) {
		return nil, fmt.Errorf("%d updateOld and %d updateNew endpoints: each update needs both", len(wc.UpdateOld), len(wc.UpdateNew))
	}
	var out []provider.RecordChange
	creates, err := fromWireList(wc.Create)
	if err != nil {
		return nil, err
	}
	for _, e := range creates {
		out = append(out, provider.RecordChange{Op: provider.OpCreate, New: e})
	}
	olds, err := fromWireList(wc.UpdateOld)
	if err != nil {
		return nil, err
	}
	news, err := fromWireList(wc.UpdateNew)
	if err != nil {
		return nil, err
	}
	// external-dns keeps the two lists aligned; a provider-side tool that does not is
	// still understood when each RRset is updated once.
	used := make([]bool, len(news))
	for i, old := range olds {
		j := i
		if old.RecordKey() != news[i].RecordKey() || used[i] {
			j = -1
			for k, n := range news {
				if !used[k] && n.RecordKey() == old.RecordKey() {
					j = k
					break
				}
			}
		}
		if j < 0 {
			return nil, fmt.Errorf("updateOld[%d] is %s, and no updateNew holds the same name, type and set identifier once", i, old)
		}
		used[j] = true
		out = append(out, provider.RecordChange{Op: provider.OpUpdate, Old: old, New: news[j]})
	}
	deletes, err := fromWireList(wc.Delete)
	if err != nil {
		return nil, err
	}
	for _, e := range deletes {
		out = append(out, provider.RecordChange{Op: provider.OpDelete, Old: e})
	}
	return out, nil
}
