package cloudflare

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cloudflare/cloudflare-go/v7/option"

	"github.com/zonekeeper/zonekeeper/provider"
)

// Operation names passed to Config.Observer, after the API's own.
const (
	OperationZonesList    = "zones.list"
	OperationRecordsList  = "dns_records.list"
	OperationRecordsBatch = "dns_records.batch"
	OperationOther        = "other"
)

const (
	// maxRateLimitWaits is how often one request is retried after 429 answers before
	// the provider gives up on it.
	maxRateLimitWaits = 10
	// defaultRetryAfter is the wait after a 429 answer without a usable Retry-After.
	defaultRetryAfter = 5 * time.Second
	// maxReadRetries is how often a read (GET) is retried after a 5xx answer; writes are
	// not retried, since their outcome is then unknown.
	maxReadRetries = 3
	// readRetryDelay is the first wait before retrying a read; it doubles each time.
	readRetryDelay = 500 * time.Millisecond
)

// RateLimitedError is what Config.Observer is told for a request the API answered 429
// (Too Many Requests): the provider waits Wait and sends it again.
type RateLimitedError struct{ Wait time.Duration }

func (e *RateLimitedError) Error() string {
	return fmt.Sprintf("rate limited by the Cloudflare API, retrying in %s", e.Wait)
}

// statusError is what Config.Observer is told for other answers of status 400 or above.
type statusError struct{ code int }

func (e statusError) Error() string {
	return fmt.Sprintf("HTTP %d %s", e.code, http.StatusText(e.code))
}

// middleware meters every request through the provider's token bucket, reports it to
// the observer, and resends it after a 429 answer once Retry-After has passed (and
// reads after a 5xx answer). It replaces the SDK's own retries, which neither the
// bucket nor the observer would see.
func (p *Provider) middleware(req *http.Request, next option.MiddlewareNext) (*http.Response, error) {
	ctx := req.Context()
	op := operationName(req.Method, req.URL.Path)
	rateLimited, serverErrors := 0, 0
	for {
		if err := p.limiter.Wait(ctx); err != nil {
			return nil, err
		}
		attempt, err := rewind(req)
		if err != nil {
			return nil, err
		}
		res, err := next(attempt)
		if err != nil {
			provider.ObserveCall(p.s.Observer, op, err)
			return nil, err
		}
		var wait time.Duration
		switch {
		case res.StatusCode == http.StatusTooManyRequests && rateLimited < maxRateLimitWaits:
			rateLimited++
			wait = retryAfter(res.Header.Get("Retry-After"))
			provider.ObserveCall(p.s.Observer, op, &RateLimitedError{Wait: wait})
		case res.StatusCode >= 500 && req.Method == http.MethodGet && serverErrors < maxReadRetries:
			wait = readRetryDelay << serverErrors
			serverErrors++
			provider.ObserveCall(p.s.Observer, op, statusError{res.StatusCode})
		default:
			var outcome error
			if res.StatusCode >= 400 {
				outcome = statusError{res.StatusCode}
			}
			provider.ObserveCall(p.s.Observer, op, outcome)
			return res, nil
		}
		_, _ = io.Copy(io.Discard, res.Body)
		_ = res.Body.Close()
		if err := p.sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// rewind returns req ready to be sent (again), with a fresh body.
func rewind(req *http.Request) (*http.Request, error) {
	if req.GetBody == nil {
		return req, nil
	}
	body, err := req.GetBody()
	if err != nil {
		return nil, err
	}
	out := req.Clone(req.Context())
	out.Body = body
	return out, nil
}

// retryAfter reads a Retry-After header: seconds (fractions accepted) or an HTTP date.
func retryAfter(v string) time.Duration {
	if s, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && s >= 0 {
		return time.Duration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return defaultRetryAfter
}

// operationName names a request for the observer, as the API's reference names it.
func operationName(method, path string) string {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	i := len(parts) - 1
	for i >= 0 && parts[i] != "zones" {
		i--
	}
	if i < 0 {
		return OperationOther
	}
	switch rest := parts[i+1:]; {
	case len(rest) == 0 && method == http.MethodGet:
		return OperationZonesList
	case len(rest) == 2 && rest[1] == "dns_records" && method == http.MethodGet:
		return OperationRecordsList
	case len(rest) == 3 && rest[1] == "dns_records" && rest[2] == "batch" && method == http.MethodPost:
		return OperationRecordsBatch
	}
	return OperationOther
}
