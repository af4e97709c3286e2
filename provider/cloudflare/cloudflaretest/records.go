package cloudflaretest

import (
	"bytes"
	"encoding/json"
	"math"
	"net/netip"
	"strings"
	"time"

	"golang.org/x/net/idna"
)

// Record is one DNS record as the API stores and returns it: one value of an RRset, with the
// JSON field names of the v4 API. Name is the lower-case FQDN without trailing dot (Punycode for
// IDNs); TTL is 1 ("automatic") for every proxied record; Proxiable is computed from Type and
// Content; Priority is set for MX only; Data holds the structured data of types such as SRV or
// CAA exactly as the client sent it.
type Record struct {
	ID         string          `json:"id"`
	Type       string          `json:"type"`
	Name       string          `json:"name"`
	Content    string          `json:"content"`
	TTL        int             `json:"ttl"`
	Proxied    bool            `json:"proxied"`
	Proxiable  bool            `json:"proxiable"`
	Comment    string          `json:"comment"`
	Tags       []string        `json:"tags"`
	Priority   *int            `json:"priority,omitempty"`
	Data       json.RawMessage `json:"data,omitempty"`
	Meta       struct{}        `json:"meta"`
	Settings   struct{}        `json:"settings"`
	CreatedOn  time.Time       `json:"created_on"`
	ModifiedOn time.Time       `json:"modified_on"`
}

// clone returns r with its own copy of the slices, so a stored record never shares memory with
// what a caller holds.
func (r Record) clone() Record {
	r.Tags = append([]string{}, r.Tags...)
	if r.Data != nil {
		r.Data = append(json.RawMessage{}, r.Data...)
	}
	return r
}

// recordInput is a record as a request body carries it. A nil field was absent, which matters
// for PATCH (absent fields keep their value) and PUT (absent fields get their default).
type recordInput struct {
	ID       *string         `json:"id"`
	Type     *string         `json:"type"`
	Name     *string         `json:"name"`
	Content  *string         `json:"content"`
	TTL      json.RawMessage `json:"ttl"`
	Proxied  *bool           `json:"proxied"`
	Comment  *string         `json:"comment"`
	Tags     *[]string       `json:"tags"`
	Priority *float64        `json:"priority"`
	Data     json.RawMessage `json:"data"`
}

// batchInput is the body of POST /zones/{id}/dns_records/batch.
type batchInput struct {
	Deletes []recordInput `json:"deletes"`
	Patches []recordInput `json:"patches"`
	Puts    []recordInput `json:"puts"`
	Posts   []recordInput `json:"posts"`
}

func (b batchInput) size() int {
	return len(b.Deletes) + len(b.Patches) + len(b.Puts) + len(b.Posts)
}

// Limits of the v4 API the emulator enforces.
const (
	minTTL                = 60
	maxTTL                = 86400
	automaticTTL          = 1
	maxCommentLength      = 500
	maxTags               = 20
	maxContentLength      = 4080
	maxCombinedContent    = 8192
	maxNameLength         = 253
	maxLabelLength        = 63
	defaultBatchOperation = 200
)

// decodeJSON decodes one JSON object of a request body into v, refusing trailing data.
func decodeJSON(body []byte, v any) *apiError {
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		return badRequest(CodeMalformedJSON, "Malformed JSON in request body: %v", err)
	}
	if dec.More() {
		return badRequest(CodeMalformedJSON, "Malformed JSON in request body: data after the object")
	}
	return nil
}

func decodeRecordInput(body []byte) (recordInput, *apiError) {
	var in recordInput
	return in, decodeJSON(body, &in)
}

func decodeBatchInput(body []byte) (batchInput, *apiError) {
	var in batchInput
	return in, decodeJSON(body, &in)
}

// proxiableTypes are the only types Cloudflare can proxy.
var proxiableTypes = map[string]bool{"A": true, "AAAA": true, "CNAME": true}

// knownTypes are the record types the v4 API accepts.
var knownTypes = map[string]bool{
	"A": true, "AAAA": true, "CAA": true, "CERT": true, "CNAME": true, "DNSKEY": true, "DS": true,
	"HTTPS": true, "LOC": true, "MX": true, "NAPTR": true, "NS": true, "OPENPGPKEY": true, "PTR": true,
	"SMIMEA": true, "SRV": true, "SSHFP": true, "SVCB": true, "TLSA": true, "TXT": true, "URI": true,
}

// dataTypes carry their value in "data"; the API derives content from it.
var dataTypes = map[string]bool{
	"CAA": true, "CERT": true, "DNSKEY": true, "DS": true, "HTTPS": true, "LOC": true, "NAPTR": true,
	"SMIMEA": true, "SRV": true, "SSHFP": true, "SVCB": true, "TLSA": true, "URI": true,
}

// mergeInput lays in over base: every field in carries replaces the one of base. With replace
// set (PUT, POST) the fields in does not carry get their defaults instead of base's values.
func mergeInput(base Record, in recordInput, replace bool) (Record, *apiError) {
	r := base.clone()
	if replace {
		r.Type, r.Name, r.Content, r.TTL, r.Proxied = "", "", "", automaticTTL, false
		r.Comment, r.Tags, r.Priority, r.Data = "", []string{}, nil, nil
	}
	if in.Type != nil {
		r.Type = strings.ToUpper(*in.Type)
	}
	if in.Name != nil {
		r.Name = *in.Name
	}
	if in.Content != nil {
		r.Content = *in.Content
	}
	if in.TTL != nil {
		ttl, err := parseTTL(in.TTL)
		if err != nil {
			return Record{}, err
		}
		r.TTL = ttl
	}
	if in.Proxied != nil {
		r.Proxied = *in.Proxied
	}
	if in.Comment != nil {
		r.Comment = *in.Comment
	}
	if in.Tags != nil {
		r.Tags = append([]string{}, (*in.Tags)...)
	}
	if in.Priority != nil {
		p := *in.Priority
		if p != math.Trunc(p) || p < 0 || p > 65535 {
			return Record{}, badRequest(CodeInvalidField, "priority %v must be a whole number from 0 to 65535", p)
		}
		n := int(p)
		r.Priority = &n
	}
	if in.Data != nil && !bytes.Equal(bytes.TrimSpace(in.Data), []byte("null")) {
		r.Data = append(json.RawMessage{}, in.Data...)
	}
	return r, nil
}

func parseTTL(raw json.RawMessage) (int, *apiError) {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return 0, badRequest(CodeMalformedJSON, "Malformed JSON in request body: ttl: %v", err)
	}
	switch t := v.(type) {
	case nil:
		return automaticTTL, nil
	case float64:
		if t != math.Trunc(t) || t < math.MinInt32 || t > math.MaxInt32 {
			return 0, validationError(CodeInvalidTTL, "TTL must be between %d and %d seconds, or 1 for Automatic.", minTTL, maxTTL)
		}
		return int(t), nil
	case string:
		return 0, badRequest(CodeTTLNotNumber, "TTL must be a number, not a string.")
	default:
		return 0, badRequest(CodeTTLNotNumber, "TTL must be a number, not %T.", v)
	}
}

// normalizeRecord checks r the way the API checks a record before storing it, and returns it in
// the stored form: the name made a lower-case FQDN inside zone, the content canonical, proxiable
// computed and the TTL of a proxied record set to 1. It looks at r alone; conflicts with other
// records are the zone's business.
func normalizeRecord(r Record, zone string) (Record, *apiError) {
	if r.Type == "" {
		return Record{}, badRequest(CodeInvalidField, "DNS record type is required.")
	}
	if !knownTypes[r.Type] {
		return Record{}, badRequest(CodeInvalidField, "DNS record type %q is invalid.", r.Type)
	}
	name, err := normalizeName(r.Name, zone)
	if err != nil {
		return Record{}, err
	}
	r.Name = name
	if r.Content, err = normalizeContent(r.Type, r.Content, r.Data); err != nil {
		return Record{}, err
	}
	if r.TTL != automaticTTL && (r.TTL < minTTL || r.TTL > maxTTL) {
		return Record{}, validationError(CodeInvalidTTL, "TTL must be between %d and %d seconds, or 1 for Automatic.", minTTL, maxTTL)
	}
	if r.Type == "MX" && r.Priority == nil {
		return Record{}, badRequest(CodeInvalidField, "MX record %s requires a priority.", r.Name)
	}
	if r.Type != "MX" && r.Type != "URI" {
		r.Priority = nil
	}
	if len(r.Comment) > maxCommentLength {
		return Record{}, badRequest(CodeInvalidField, "DNS record comment is %d characters long, at most %d are allowed.", len(r.Comment), maxCommentLength)
	}
	if r.Tags, err = normalizeTags(r.Tags); err != nil {
		return Record{}, err
	}
	r.Proxiable = proxiable(r.Type, r.Content)
	if r.Proxied {
		if !proxiableTypes[r.Type] {
			return Record{}, validationError(CodeRecordNotProxiable, "This record type cannot be proxied.")
		}
		if !r.Proxiable {
			return Record{}, badRequest(CodeTargetNotProxiable, "Target %s is not allowed for a proxied record.", r.Content)
		}
		r.TTL = automaticTTL
	}
	return r, nil
}

// normalizeName turns a record name as a client sends it ("www", "@", "www.example.com.",
// "Bücher.example.com") into the stored FQDN, or fails naming what is wrong.
func normalizeName(name, zone string) (string, *apiError) {
	n := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(name)), ".")
	switch {
	case n == "":
		return "", validationError(CodeInvalidName, "DNS name is invalid: the name is empty.")
	case n == "@":
		n = zone
	case n != zone && !strings.HasSuffix(n, "."+zone):
		n += "." + zone
	}
	ascii, err := idna.Punycode.ToASCII(n)
	if err != nil {
		return "", validationError(CodeInvalidName, "DNS name %q is invalid: %v", name, err)
	}
	if len(ascii) > maxNameLength {
		return "", validationError(CodeInvalidName, "DNS name %q is invalid: longer than %d characters.", name, maxNameLength)
	}
	for _, label := range strings.Split(ascii, ".") {
		if label == "" || len(label) > maxLabelLength {
			return "", validationError(CodeInvalidName, "DNS name %q is invalid: every label must be 1 to %d characters.", name, maxLabelLength)
		}
		if strings.IndexFunc(label, notHostChar) >= 0 {
			return "", validationError(CodeInvalidName, "DNS name %q is invalid: label %q has a character other than a-z, 0-9, '-', '_' or '*'.", name, label)
		}
	}
	return ascii, nil
}

func notHostChar(c rune) bool {
	return !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '*')
}

// normalizeContent checks content against its type and returns the stored form: IP addresses in
// canonical text, host names lower case without trailing dot, everything else as sent.
func normalizeContent(typ, content string, data json.RawMessage) (string, *apiError) {
	switch typ {
	case "A":
		ip, err := netip.ParseAddr(content)
		if err != nil || !ip.Is4() {
			return "", badRequest(CodeInvalidIPv4, "Content for A record must be a valid IPv4 address.")
		}
		return ip.String(), nil
	case "AAAA":
		ip, err := netip.ParseAddr(content)
		if err != nil || !ip.Is6() || ip.Zone() != "" {
			return "", badRequest(CodeInvalidIPv6, "Content for AAAA record must be a valid IPv6 address.")
		}
		return ip.String(), nil
	case "CNAME", "MX", "NS", "PTR":
		host := strings.TrimSuffix(strings.ToLower(content), ".")
		if !validHost(host) {
			return "", badRequest(CodeInvalidCNAME, "Content for %s record is invalid.", typ)
		}
		return host, nil
	case "TXT":
		if content == "" {
			return "", badRequest(CodeInvalidCNAME, "Content for TXT record is invalid: it is empty.")
		}
		if len(content) > maxContentLength {
			return "", badRequest(CodeInvalidField, "Content for TXT record is %d characters long, at most %d are allowed.", len(content), maxContentLength)
		}
		return content, nil
	}
	if dataTypes[typ] && data == nil && content == "" {
		return "", badRequest(CodeInvalidCNAME, "Content or data for %s record is required.", typ)
	}
	if !dataTypes[typ] && content == "" {
		return "", badRequest(CodeInvalidCNAME, "Content for %s record is invalid: it is empty.", typ)
	}
	return content, nil
}

func validHost(host string) bool {
	if host == "" || len(host) > maxNameLength {
		return false
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return false
	}
	for _, label := range strings.Split(host, ".") {
		if label == "" || len(label) > maxLabelLength || strings.IndexFunc(label, notHostChar) >= 0 {
			return false
		}
	}
	return true
}

// normalizeTags checks the "name:value" form of each tag and the count.
func normalizeTags(tags []string) ([]string, *apiError) {
	if len(tags) > maxTags {
		return nil, badRequest(CodeInvalidField, "DNS record has %d tags, at most %d are allowed.", len(tags), maxTags)
	}
	out := make([]string, 0, len(tags))
	seen := make(map[string]bool, len(tags))
	for _, tag := range tags {
		name, _, ok := strings.Cut(tag, ":")
		if !ok || name == "" {
			return nil, badRequest(CodeInvalidField, "DNS record tag %q must have the form name:value.", tag)
		}
		name = strings.ToLower(name)
		if seen[name] {
			return nil, badRequest(CodeInvalidField, "DNS record tag name %q appears twice.", name)
		}
		seen[name] = true
		out = append(out, tag)
	}
	return out, nil
}

// proxiable reports whether Cloudflare could proxy a record: A, AAAA and CNAME only, and for A
// and AAAA only to a public address.
func proxiable(typ, content string) bool {
	if !proxiableTypes[typ] {
		return false
	}
	if typ == "CNAME" {
		return true
	}
	ip, err := netip.ParseAddr(content)
	if err != nil {
		return false
	}
	return !(ip.IsPrivate() || ip.IsLoopback() || ip.IsLinkLocalUnicast() || ip.IsUnspecified() ||
		ip.IsMulticast() || sharedAddressSpace.Contains(ip))
}

// sharedAddressSpace is the carrier-grade NAT range of RFC 6598, private in all but name.
var sharedAddressSpace = netip.MustParsePrefix("100.64.0.0/10")

// identical reports whether a and b are the same record in the API's sense: equal type, name
// and content (and priority for MX), whatever the TTL, proxy status, comment and tags.
func identical(a, b Record) bool {
	if a.Type != b.Type || a.Name != b.Name || a.Content != b.Content || !bytes.Equal(a.Data, b.Data) {
		return false
	}
	if a.Priority == nil || b.Priority == nil {
		return a.Priority == nil && b.Priority == nil
	}
	return *a.Priority == *b.Priority
}
