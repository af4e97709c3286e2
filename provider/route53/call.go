package route53

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/route53/types"
	"github.com/aws/smithy-go"

	"github.com/zonekeeper/zonekeeper/provider"
)

// Operation names passed to Config.Observer: Route 53's own.
const (
	OperationListHostedZones          = "ListHostedZones"
	OperationListTagsForResources     = "ListTagsForResources"
	OperationListResourceRecordSets   = "ListResourceRecordSets"
	OperationGetHostedZone            = "GetHostedZone"
	OperationChangeResourceRecordSets = "ChangeResourceRecordSets"
)

// Backoff between retries of one request: full jitter (a uniform draw from zero to
// base·2^attempt, at most retryCap), which spreads the retries of many clients hitting
// one account's limit instead of synchronising them.
const (
	retryBase = time.Second
	retryCap  = 20 * time.Second
)

// call sends one API request through the account's token bucket, reports every attempt
// to the observer, and retries throttling (Throttling, PriorRequestNotComplete) and
// server errors (HTTP 5xx) up to Config.APIRetries times with exponential backoff and
// full jitter. Other errors are returned at once.
func (p *Provider) call(ctx context.Context, operation string, send func(context.Context) error) error {
	for attempt := 0; ; attempt++ {
		if err := p.limiter.Wait(ctx); err != nil {
			return err
		}
		err := send(ctx)
		provider.ObserveCall(p.s.observer, operation, err)
		if err == nil || !retryable(err) || attempt >= p.s.retries || ctx.Err() != nil {
			return err
		}
		if err := p.sleep(ctx, p.jitter(backoffCeiling(attempt))); err != nil {
			return err
		}
	}
}

// backoffCeiling is the longest wait before retry number attempt+1.
func backoffCeiling(attempt int) time.Duration {
	if attempt >= 16 {
		return retryCap
	}
	return min(retryBase<<attempt, retryCap)
}

// fullJitter draws a wait uniformly from [0, ceiling].
func fullJitter(ceiling time.Duration) time.Duration {
	return time.Duration(rand.Int64N(int64(ceiling) + 1))
}

// retryable reports whether err is worth sending the same request again: Route 53
// throttled it, had a concurrent change in progress, or failed on its side.
func retryable(err error) bool {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode() {
		case "Throttling", "ThrottlingException", "PriorRequestNotComplete", "RequestLimitExceeded", "ServiceUnavailable":
			return true
		}
	}
	var respErr *awshttp.ResponseError
	return errors.As(err, &respErr) && respErr.HTTPStatusCode() >= 500
}

// rejected reports whether err is Route 53 refusing the content of a change batch, the
// one error that bisecting can narrow down to the changes at fault.
func rejected(err error) bool {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		return false
	}
	switch apiErr.ErrorCode() {
	case "InvalidChangeBatch", "InvalidInput":
		return true
	}
	return false
}

// apiMessage is Route 53's own message of err, without the SDK's request details.
func apiMessage(err error) string {
	var legacy *types.InvalidChangeBatch
	if errors.As(err, &legacy) && len(legacy.Messages) > 0 {
		return legacy.ErrorCode() + ": " + strings.Join(legacy.Messages, "; ")
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode() + ": " + apiErr.ErrorMessage()
	}
	return err.Error()
}
