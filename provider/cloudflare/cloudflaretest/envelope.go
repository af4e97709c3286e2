package cloudflaretest

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// Error codes the emulator answers with. The ones marked "observed" are what the real v4 API
// returns (seen in public bug reports); the others are the emulator's choice where the real
// code could not be confirmed, and README.md lists them as such.
const (
	CodeValidation         = 1004  // observed: "DNS Validation Error", wraps an error_chain
	CodeRecordNotProxiable = 9004  // observed: "This record type cannot be proxied."
	CodeTargetNotProxiable = 9003  // observed: "Target … is not allowed for a proxied record."
	CodeInvalidIPv4        = 9005  // observed
	CodeInvalidIPv6        = 9006  // observed
	CodeInvalidCNAME       = 9007  // emulator's choice: invalid content of the other types too
	CodeInvalidTTL         = 9021  // observed: "TTL must be between 60 and 86400 seconds, or 1 for Automatic."
	CodeTTLNotNumber       = 9022  // observed: "TTL must be a number, not a string."
	CodeInvalidName        = 9000  // emulator's choice
	CodeInvalidField       = 9101  // emulator's choice: bad type, priority, comment, tags, sizes
	CodeMalformedJSON      = 6007  // emulator's choice
	CodeIdenticalRecord    = 81058 // observed: "An identical record already exists."
	CodeHostHasRecords     = 81053 // observed: CNAME where an A, AAAA or CNAME is
	CodeHostHasCNAME       = 81054 // observed: A or AAAA where a CNAME is
	CodeRecordNotFound     = 81044 // observed: "Record does not exist."
	CodeBatchTooLarge      = 81097 // emulator's choice
	CodeZoneNotFound       = 7003  // observed: "Could not route to …, perhaps your object identifier is invalid?"
	CodeNoRoute            = 7000  // observed: "No route for that URI"
	CodeMethodNotAllowed   = 7001  // emulator's choice
	CodeAuthentication     = 10000 // observed: "Authentication error"
	CodeRateLimited        = 971   // observed: "Please wait and consider throttling your request speed"
	CodeServiceUnavailable = 10001 // emulator's choice for injected 500 and 502
)

// apiError is one failure as the API reports it: an HTTP status and one entry of the envelope's
// errors array, optionally with the error_chain the API nests under code 1004.
type apiError struct {
	status  int
	code    int
	message string
	chain   []apiError
	// pointer names the part of the request body that failed, e.g. "/posts/3" in a batch.
	pointer string
}

func (e *apiError) Error() string {
	if len(e.chain) > 0 {
		return fmt.Sprintf("%d %s: %d %s", e.code, e.message, e.chain[0].code, e.chain[0].message)
	}
	return fmt.Sprintf("%d %s", e.code, e.message)
}

// badRequest is a 400 answer with a top-level code, the way the API reports most record errors.
func badRequest(code int, format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, code: code, message: fmt.Sprintf(format, args...)}
}

// validationError is a 400 answer wrapped in 1004 "DNS Validation Error", the way the API reports
// TTL and proxy errors.
func validationError(code int, format string, args ...any) *apiError {
	return &apiError{
		status:  http.StatusBadRequest,
		code:    CodeValidation,
		message: "DNS Validation Error",
		chain:   []apiError{{code: code, message: fmt.Sprintf(format, args...)}},
	}
}

type wireError struct {
	Code       int         `json:"code"`
	Message    string      `json:"message"`
	ErrorChain []wireError `json:"error_chain,omitempty"`
	Source     *wireSource `json:"source,omitempty"`
}

type wireSource struct {
	Pointer string `json:"pointer"`
}

func (e *apiError) wire() wireError {
	w := wireError{Code: e.code, Message: e.message}
	for i := range e.chain {
		w.ErrorChain = append(w.ErrorChain, e.chain[i].wire())
	}
	if e.pointer != "" {
		w.Source = &wireSource{Pointer: e.pointer}
	}
	return w
}

// resultInfo is the pagination block of list answers.
type resultInfo struct {
	Page       int `json:"page"`
	PerPage    int `json:"per_page"`
	Count      int `json:"count"`
	TotalCount int `json:"total_count"`
	TotalPages int `json:"total_pages"`
}

type envelope struct {
	Success    bool        `json:"success"`
	Errors     []wireError `json:"errors"`
	Messages   []wireError `json:"messages"`
	Result     any         `json:"result"`
	ResultInfo *resultInfo `json:"result_info,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, body envelope) {
	if body.Errors == nil {
		body.Errors = []wireError{}
	}
	body.Messages = []wireError{}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	// The client hung up if this fails; there is nobody left to tell.
	_ = json.NewEncoder(w).Encode(body)
}

func writeResult(w http.ResponseWriter, result any, info *resultInfo) {
	writeJSON(w, http.StatusOK, envelope{Success: true, Result: result, ResultInfo: info})
}

func writeError(w http.ResponseWriter, e *apiError) {
	writeJSON(w, e.status, envelope{Errors: []wireError{e.wire()}})
}
