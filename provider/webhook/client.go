package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/provider"
	"github.com/zonekeeper/zonekeeper/provider/batch"
)

// Defaults of Config, external-dns's where it has them.
const (
	DefaultURL          = "http://localhost:8888"
	DefaultReadTimeout  = 5 * time.Second
	DefaultWriteTimeout = 10 * time.Second
	// DefaultMaxBodySize is external-dns's default of --webhook-provider-max-body-size.
	DefaultMaxBodySize = 32 << 20
	// DefaultAttempts is how many times a request that fails with a 5xx or before it
	// was sent is made in all, external-dns's number.
	DefaultAttempts = 5
	// DefaultBackoff is the pause after the first failed attempt; it doubles after each.
	DefaultBackoff = 250 * time.Millisecond
	// DefaultRecordsReuse is how long one GET /records answer serves Records of every
	// zone (see Client.Records).
	DefaultRecordsReuse = 10 * time.Second
)

// outcomeHeader is set by zonekeeper's server (NewHandler) on a failed POST /records,
// whose status is 500 or 503 as external-dns's own server answers: "refused" when the
// provider refused what the request holds (nothing of it was applied), "unavailable"
// when the provider could not be reached (nothing applied), "unknown" when some of it
// may have been applied. Other webhook providers do not set it; see Client.Apply.
const outcomeHeader = "Zonekeeper-Outcome"

// problemsHeader is set by zonekeeper's server on the answer to POST /adjustendpoints
// when its provider reported problems with the endpoints sent (a TTL raised to the
// provider's minimum, a record it cannot hold): a JSON list of wireProblem. The
// protocol's body has no room for them, and without them an object would never hear
// what the provider made of its records, as it does when the provider runs in-process.
// Other webhook providers do not set it.
const problemsHeader = "Zonekeeper-Problems"

const (
	outcomeRefused     = "refused"
	outcomeUnavailable = "unavailable"
	outcomeUnknown     = "unknown"
)

// Config configures a Client.
type Config struct {
	// URL is the webhook provider's address: http on a loopback address, https, or
	// unix:///path/to/socket (see CheckURL). Required.
	URL string
	// Insecure allows a plain-http URL that is not on a loopback address.
	Insecure bool
	// ReadTimeout bounds a GET (and POST /adjustendpoints, which reads), WriteTimeout a
	// POST /records, each whole exchange from the request to the last byte of the
	// answer. Zero takes the defaults.
	ReadTimeout, WriteTimeout time.Duration
	// MaxBodySize bounds every request and answer body, in bytes. Zero takes the
	// default; it must not be negative.
	MaxBodySize int64
	// DomainFilter is zonekeeper's own --domain-filter: zones the provider announces
	// are kept only where it may hold managed names (endpoint.DomainFilter.MatchZone).
	DomainFilter endpoint.DomainFilter
	// FallbackZones are the zones when the provider announces none: the entries of
	// --domain-filter.
	FallbackZones []string
	// Observer is told of every HTTP request, retries included; may be nil.
	Observer provider.CallObserver
	// Logger receives warnings (a failed /adjustendpoints); nil discards them.
	Logger *slog.Logger
	// Attempts and Backoff shape retries (see DefaultAttempts, DefaultBackoff); zero
	// takes the defaults. Sleep waits out a pause (provider.Sleep when nil).
	Attempts int
	Backoff  time.Duration
	Sleep    func(ctx context.Context, d time.Duration) error
	// RecordsReuse is DefaultRecordsReuse when zero; negative reads at every Records.
	RecordsReuse time.Duration
}

// Client is a provider.Provider backed by an external-dns webhook provider.
type Client struct {
	cfg    Config
	base   *url.URL
	client *http.Client
	log    *slog.Logger

	mu     sync.Mutex
	zones  []provider.Zone
	list   []*endpoint.Endpoint // the last GET /records answer; nil: none to reuse
	listAt time.Time
	// stale holds the zones Apply wrote to since list was read: list no longer
	// says what they hold.
	stale map[string]bool
}

var _ provider.Provider = (*Client)(nil)

// CheckURL parses a webhook provider URL and refuses one whose traffic could be read or
// changed by others: it must be http on a loopback address (localhost, 127.0.0.0/8,
// ::1), https, or unix:///absolute/path (a unix socket; its requests go to path "/").
// insecure allows plain http to any host, which warning then describes.
func CheckURL(raw string, insecure bool) (u *url.URL, warning string, err error) {
	u, err = url.Parse(raw)
	if err != nil {
		return nil, "", fmt.Errorf("--webhook-provider-url %q: %w", raw, err)
	}
	switch u.Scheme {
	case "https":
		if u.Host == "" {
			return nil, "", fmt.Errorf("--webhook-provider-url %q: no host", raw)
		}
		return u, "", nil
	case "unix":
		if u.Host != "" || !strings.HasPrefix(u.Path, "/") || len(u.Path) < 2 {
			return nil, "", fmt.Errorf("--webhook-provider-url %q: want unix:///absolute/path/to/socket", raw)
		}
		return u, "", nil
	case "http":
		if u.Host == "" {
			return nil, "", fmt.Errorf("--webhook-provider-url %q: no host", raw)
		}
		if isLoopback(u.Hostname()) {
			return u, "", nil
		}
		if !insecure {
			return nil, "", fmt.Errorf("--webhook-provider-url %q: plain http to %s, which is not a loopback address, would let anyone on the path read and change every DNS change: use https, a loopback address or a unix socket, or pass --webhook-provider-insecure", raw, u.Hostname())
		}
		return u, fmt.Sprintf("INSECURE: --webhook-provider-insecure sends every DNS change in plain http to %s, which is not a loopback address: anyone on the network path can read and change them", u.Host), nil
	}
	return nil, "", fmt.Errorf("--webhook-provider-url %q: want an http, https or unix URL", raw)
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// New returns a client of the webhook provider cfg names. It validates only: it sends
// no request.
func New(cfg Config) (*Client, error) {
	u, _, err := CheckURL(cfg.URL, cfg.Insecure)
	if err != nil {
		return nil, err
	}
	switch {
	case cfg.ReadTimeout < 0 || cfg.WriteTimeout < 0:
		return nil, errors.New("webhook: read and write timeouts must not be negative")
	case cfg.MaxBodySize < 0:
		return nil, fmt.Errorf("--webhook-provider-max-body-size %d: want a positive number of bytes (zonekeeper always bounds bodies)", cfg.MaxBodySize)
	case cfg.Attempts < 0 || cfg.Backoff < 0:
		return nil, errors.New("webhook: attempts and backoff must not be negative")
	}
	cfg.ReadTimeout = orDefault(cfg.ReadTimeout, DefaultReadTimeout)
	cfg.WriteTimeout = orDefault(cfg.WriteTimeout, DefaultWriteTimeout)
	cfg.MaxBodySize = orDefault(cfg.MaxBodySize, DefaultMaxBodySize)
	cfg.Attempts = orDefault(cfg.Attempts, DefaultAttempts)
	cfg.Backoff = orDefault(cfg.Backoff, DefaultBackoff)
	cfg.RecordsReuse = orDefault(cfg.RecordsReuse, DefaultRecordsReuse)
	if cfg.Sleep == nil {
		cfg.Sleep = provider.Sleep
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	base := u
	if u.Scheme == "unix" {
		socket := u.Path
		transport.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", socket)
		}
		base = &url.URL{Scheme: "http", Host: "unix"}
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Client{cfg: cfg, base: base, client: &http.Client{Transport: transport}, log: log}, nil
}

func orDefault[T int | int64 | time.Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

// Zones negotiates with the provider (GET /) and returns its zones: each include entry
// of the domain filter it answers (regular expressions name no zone) that zonekeeper's
// own DomainFilter keeps; when it answers none, Config.FallbackZones. With neither, or
// when the filter keeps none, it is an error: a provider that owns everything is too
// broad to manage safely. Each zone's ID is its name.
func (c *Client) Zones(ctx context.Context) ([]provider.Zone, error) {
	f, err := c.negotiate(ctx)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, inc := range f.includes() {
		n, err := endpoint.NormalizeName(strings.TrimPrefix(inc, "."))
		if err != nil {
			return nil, fmt.Errorf("webhook: the provider's domain filter names %q: %w", inc, err)
		}
		if !c.cfg.DomainFilter.IsConfigured() || c.cfg.DomainFilter.MatchZone(n) {
			names = append(names, n)
		}
	}
	switch {
	case len(f.includes()) == 0 && len(c.cfg.FallbackZones) == 0:
		return nil, errors.New("webhook: the provider announces no domain filter, so it would own every name: set --domain-filter to the zones zonekeeper may manage there")
	case len(f.includes()) == 0:
		for _, z := range c.cfg.FallbackZones {
			n, err := endpoint.NormalizeName(strings.TrimPrefix(z, "."))
			if err != nil {
				return nil, fmt.Errorf("webhook: --domain-filter %q: %w", z, err)
			}
			names = append(names, n)
		}
	case len(names) == 0:
		return nil, fmt.Errorf("webhook: the provider serves %s, and --domain-filter keeps none of them", strings.Join(f.includes(), ", "))
	}
	slices.Sort(names)
	names = slices.Compact(names)
	zones := make([]provider.Zone, len(names))
	for i, n := range names {
		zones[i] = provider.Zone{ID: n, Name: n}
	}
	c.mu.Lock()
	c.zones = zones
	c.mu.Unlock()
	return slices.Clone(zones), nil
}

// negotiate is GET /: the provider's domain filter, in the protocol's media type.
func (c *Client) negotiate(ctx context.Context) (wireFilter, error) {
	resp, err := c.do(ctx, "negotiate", http.MethodGet, pathNegotiate, nil, c.cfg.ReadTimeout, true)
	if err != nil {
		return wireFilter{}, fmt.Errorf("webhook: negotiation with %s: %w", c.cfg.URL, err)
	}
	if !isMediaType(resp.header.Get("Content-Type")) {
		return wireFilter{}, fmt.Errorf("webhook: negotiation with %s: the answer's Content-Type is %q, want %q: not an external-dns webhook provider, or another version of the protocol", c.cfg.URL, resp.header.Get("Content-Type"), MediaType)
	}
	var f wireFilter
	if err := json.Unmarshal(resp.body, &f); err != nil {
		return wireFilter{}, fmt.Errorf("webhook: negotiation with %s: the domain filter: %w", c.cfg.URL, err)
	}
	return f, nil
}

// isMediaType reports whether a Content-Type or Accept value is the protocol's media
// type and version, spacing and case aside.
func isMediaType(v string) bool {
	mt, params, err := mime.ParseMediaType(v)
	want, wantParams, _ := mime.ParseMediaType(MediaType)
	return err == nil && mt == want && params["version"] == wantParams["version"]
}

// Records returns the provider's records (GET /records) whose names fall in zone: the
// zone of the last Zones answer that is their longest suffix. One answer serves every
// zone for Config.RecordsReuse, except a zone Apply wrote to since, so that a reconcile
// reads all its zones with one request.
func (c *Client) Records(ctx context.Context, zone provider.Zone) ([]*endpoint.Endpoint, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.zones == nil {
		c.mu.Unlock()
		_, err := c.Zones(ctx)
		c.mu.Lock()
		if err != nil {
			return nil, err
		}
	}
	if c.list == nil || time.Since(c.listAt) >= c.cfg.RecordsReuse || c.stale[zone.Name] {
		started := time.Now()
		list, err := c.readRecords(ctx)
		if err != nil {
			return nil, err
		}
		c.list, c.listAt, c.stale = list, started, nil
	}
	var out []*endpoint.Endpoint
	for _, e := range c.list {
		if z, ok := provider.ZoneFor(e.DNSName, c.zones); ok && z.Name == zone.Name {
			out = append(out, e.Clone())
		}
	}
	return out, nil
}

func (c *Client) readRecords(ctx context.Context) ([]*endpoint.Endpoint, error) {
	resp, err := c.do(ctx, "records", http.MethodGet, pathRecords, nil, c.cfg.ReadTimeout, true)
	if err != nil {
		return nil, fmt.Errorf("webhook: GET %s: %w", pathRecords, err)
	}
	var ws []wireEndpoint
	if err := json.Unmarshal(resp.body, &ws); err != nil {
		return nil, fmt.Errorf("webhook: GET %s: %w", pathRecords, err)
	}
	list, err := fromWireList(ws)
	if err != nil {
		return nil, fmt.Errorf("webhook: GET %s: %w", pathRecords, err)
	}
	return list, nil
}

// unit is one Change in the protocol's form, and its encoded size.
type unit struct {
	changes wireChanges
	size    int
}

// envelope is what a request body holds besides its units' endpoints: the braces and
// the four keys.
const envelope = len(`{"create":[],"updateOld":[],"updateNew":[],"delete":[]}`)

// Apply sends changes in POST /records requests through provider/batch: each Change
// whole in one request, as many per request as Config.MaxBodySize holds. A refused
// request is bisected down to the Changes the provider refuses. See README.md for
// what counts as a refusal.
func (c *Client) Apply(ctx context.Context, zone provider.Zone, changes []provider.Change) error {
	c.written(zone)
	defer c.written(zone)
	limit := int(c.cfg.MaxBodySize) - envelope
	return batch.Apply(ctx, changes, batch.Config[unit]{
		Zone:    zone.Name,
		Prefix:  "webhook: zone " + zone.Name,
		Convert: convert,
		Pack:    batch.Additive([]int{limit}, func(u unit) []int { return []int{u.size} }),
		TooBig: func(u batch.Unit[unit]) error {
			return fmt.Errorf("the change takes %d bytes of JSON, more than one request may hold (--webhook-provider-max-body-size=%d)", u.Wire.size, c.cfg.MaxBodySize)
		},
		Send: c.send,
	})
}

// written marks zone as written to: its records must be read again. Apply marks it
// before and after, so that a Records that read the list during Apply does not clear it.
func (c *Client) written(zone provider.Zone) {
	c.mu.Lock()
	if c.stale == nil {
		c.stale = map[string]bool{}
	}
	c.stale[zone.Name] = true
	c.mu.Unlock()
}

// convert puts each record change of a Change in the list of its kind.
func convert(ch provider.Change) (unit, error) {
	var u unit
	for _, rc := range ch.Records {
		switch rc.Op {
		case provider.OpCreate:
			u.changes.Create = append(u.changes.Create, toWire(rc.New))
		case provider.OpUpdate:
			u.changes.UpdateOld = append(u.changes.UpdateOld, toWire(rc.Old))
			u.changes.UpdateNew = append(u.changes.UpdateNew, toWire(rc.New))
		case provider.OpDelete:
			u.changes.Delete = append(u.changes.Delete, toWire(rc.Old))
		default:
			return unit{}, fmt.Errorf("unknown operation %v", rc.Op)
		}
	}
	size, err := encodedSize(u.changes)
	if err != nil {
		return unit{}, err
	}
	u.size = size
	return u, nil
}

// send makes one POST /records of units and classifies its failure for batch.Apply.
func (c *Client) send(ctx context.Context, units []batch.Unit[unit]) error {
	var body wireChanges
	for _, u := range units {
		body.Create = append(body.Create, u.Wire.changes.Create...)
		body.UpdateOld = append(body.UpdateOld, u.Wire.changes.UpdateOld...)
		body.UpdateNew = append(body.UpdateNew, u.Wire.changes.UpdateNew...)
		body.Delete = append(body.Delete, u.Wire.changes.Delete...)
	}
	b, err := json.Marshal(body)
	if err != nil {
		return batch.NotSent(err)
	}
	_, err = c.do(ctx, "apply", http.MethodPost, pathRecords, b, c.cfg.WriteTimeout, false)
	var se *statusError
	var ns *notSentError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ns):
		return batch.NotSent(err)
	case !errors.As(err, &se):
		return err // no answer: the provider may or may not have applied it
	case se.outcome == outcomeRefused:
		return batch.Refused(se)
	case se.outcome == outcomeUnknown:
		return se
	case se.outcome == outcomeUnavailable:
		return batch.NotSent(se)
	case se.code == http.StatusBadRequest || se.code == http.StatusConflict ||
		se.code == http.StatusRequestEntityTooLarge || se.code == http.StatusUnprocessableEntity:
		return batch.Refused(se)
	case se.code < 500:
		// Credentials, a wrong path or method: the provider answered and applied
		// nothing, and any other request would fail the same way.
		return batch.NotSent(se)
	}
	// A 5xx that outlived the retries. External-dns webhook providers answer 500 to
	// whatever their DNS service refuses, so when the provider still answers
	// negotiation, the request's content is taken to be the cause.
	if _, perr := c.negotiate(ctx); perr != nil {
		return fmt.Errorf("%w, and the provider no longer answers: %v", se, perr)
	}
	return batch.Refused(fmt.Errorf("%w (taken as a refusal: the provider still answers negotiation)", se))
}

// AdjustEndpoints asks the provider (POST /adjustendpoints) to rewrite desired into
// what it stores. Unlike other providers it does I/O, bounded by Config.ReadTimeout:
// the protocol has no other way to learn the provider's rules. The answer's endpoints
// keep the Refs of the desired endpoints of their name, type and set identifier (or,
// for a type the provider changed, of their name and set identifier). A desired
// endpoint whose name and set identifier the answer no longer holds is reported as a
// Problem on its objects. When the call fails, desired is returned as it is, with no
// problem and a logged warning: a broken sidecar must never make records look unwanted.
func (c *Client) AdjustEndpoints(desired []*endpoint.Endpoint) ([]*endpoint.Endpoint, []endpoint.Problem) {
	if len(desired) == 0 {
		return desired, nil
	}
	adjusted, reported, err := c.adjust(desired)
	if err != nil {
		c.log.Warn("the webhook provider could not adjust the desired records; using them as they are", "err", err)
		return desired, nil
	}
	byRecord := map[endpoint.RecordKey][]endpoint.ObjectRef{}
	byKey := map[endpoint.Key][]endpoint.ObjectRef{}
	for _, d := range desired {
		byRecord[d.RecordKey()] = append(byRecord[d.RecordKey()], d.Refs...)
		byKey[d.Key()] = append(byKey[d.Key()], d.Refs...)
	}
	answered := map[endpoint.Key]bool{}
	for _, e := range adjusted {
		answered[e.Key()] = true
		refs, ok := byRecord[e.RecordKey()]
		if !ok {
			refs = byKey[e.Key()]
		}
		e.Refs = slices.Clone(refs)
	}
	var problems []endpoint.Problem
	told := map[int]bool{}
	for _, wp := range reported {
		if wp.Index < 0 || wp.Index >= len(desired) {
			continue
		}
		d := desired[wp.Index]
		told[wp.Index] = true
		for _, ref := range d.Refs {
			problems = append(problems, endpoint.Problem{Ref: ref, DNSName: d.DNSName, Warning: wp.Warning, Err: errors.New(wp.Message)})
		}
	}
	for i, d := range desired {
		if answered[d.Key()] || told[i] {
			continue
		}
		for _, ref := range d.Refs {
			problems = append(problems, endpoint.Problem{Ref: ref, DNSName: d.DNSName, Err: fmt.Errorf("the webhook provider cannot hold %s %s: its /adjustendpoints left it out", d.RecordType, d.DNSName)})
		}
	}
	return adjusted, problems
}

// adjust sends POST /adjustendpoints, and returns the answer and the problems
// zonekeeper's server reported with it (problemsHeader; none from other providers).
func (c *Client) adjust(desired []*endpoint.Endpoint) ([]*endpoint.Endpoint, []wireProblem, error) {
	b, err := json.Marshal(toWireList(desired))
	if err != nil {
		return nil, nil, err
	}
	resp, err := c.do(context.Background(), "adjustendpoints", http.MethodPost, pathAdjust, b, c.cfg.ReadTimeout, true)
	if err != nil {
		return nil, nil, fmt.Errorf("webhook: POST %s: %w", pathAdjust, err)
	}
	var ws []wireEndpoint
	if err := json.Unmarshal(resp.body, &ws); err != nil {
		return nil, nil, fmt.Errorf("webhook: POST %s: %w", pathAdjust, err)
	}
	var reported []wireProblem
	if h := resp.header.Get(problemsHeader); h != "" {
		if err := json.Unmarshal([]byte(h), &reported); err != nil {
			return nil, nil, fmt.Errorf("webhook: POST %s: the %s header: %w", pathAdjust, problemsHeader, err)
		}
	}
	adjusted, err := fromWireList(ws)
	return adjusted, reported, err
}

// response is a successful answer, its body read whole.
type response struct {
	header http.Header
	body   []byte
}

// statusError is an answer other than 2xx.
type statusError struct {
	method, path string
	code         int
	outcome      string // the outcomeHeader, if any
	body         string // its start, for the message
}

func (e *statusError) Error() string {
	msg := fmt.Sprintf("%s %s: the webhook provider answered %d %s", e.method, e.path, e.code, http.StatusText(e.code))
	if e.body != "" {
		msg += ": " + e.body
	}
	return msg
}

// notSentError is a request that never reached the provider: no connection.
type notSentError struct{ err error }

func (e *notSentError) Error() string { return e.err.Error() }
func (e *notSentError) Unwrap() error { return e.err }

// maxErrorBody is how much of an error answer's body goes into a message.
const maxErrorBody = 2048

// do makes a request, each attempt bounded by timeout, retrying with exponential
// backoff on a connection refused, a 5xx without a zonekeeper outcome of "refused" or
// "unknown", and, when idempotent, any failure without an answer. It never retries a
// 4xx, nor a non-idempotent request that may have reached the provider.
func (c *Client) do(ctx context.Context, op, method, path string, body []byte, timeout time.Duration, idempotent bool) (*response, error) {
	pause := c.cfg.Backoff
	for attempt := 1; ; attempt++ {
		resp, err := c.once(ctx, method, path, body, timeout)
		provider.ObserveCall(c.cfg.Observer, op, err)
		var se *statusError
		var ns *notSentError
		retry := false
		switch {
		case err == nil:
			return resp, nil
		case errors.As(err, &se):
			retry = se.code >= 500 && se.outcome != outcomeRefused && se.outcome != outcomeUnknown
		case errors.As(err, &ns):
			retry = true
		default:
			retry = idempotent && ctx.Err() == nil
		}
		if !retry || attempt >= c.cfg.Attempts {
			if attempt > 1 {
				err = fmt.Errorf("after %d attempts: %w", attempt, err)
			}
			return nil, err
		}
		if serr := c.cfg.Sleep(ctx, pause); serr != nil {
			return nil, fmt.Errorf("%w (retry cut short: %v)", err, serr)
		}
		pause *= 2
	}
}

// once makes one attempt of a request, from sending it to reading the answer's last
// byte within timeout.
func (c *Client) once(ctx context.Context, method, path string, body []byte, timeout time.Duration) (*response, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base.JoinPath(path).String(), rd)
	if err != nil {
		return nil, &notSentError{err}
	}
	req.Header.Set("Accept", MediaType)
	if body != nil {
		req.Header.Set("Content-Type", MediaType)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" {
			return nil, &notSentError{err}
		}
		if errors.Is(err, context.DeadlineExceeded) {
			return nil, fmt.Errorf("no answer within %s: %w", timeout, err)
		}
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, c.cfg.MaxBodySize+1))
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return nil, fmt.Errorf("the answer was not read whole within %s: %w", timeout, err)
		}
		return nil, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		msg := strings.TrimSpace(string(data[:min(len(data), maxErrorBody)]))
		return nil, &statusError{method: method, path: path, code: resp.StatusCode, outcome: resp.Header.Get(outcomeHeader), body: msg}
	}
	if int64(len(data)) > c.cfg.MaxBodySize {
		return nil, fmt.Errorf("the answer is larger than --webhook-provider-max-body-size (%d bytes): raise it if the provider really holds that much", c.cfg.MaxBodySize)
	}
	return &response{header: resp.Header, body: data}, nil
}
