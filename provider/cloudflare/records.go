package cloudflare

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/zonekeeper/zonekeeper/endpoint"
)

// automaticTTL is how the API spells "let Cloudflare choose"; proxied records always
// have it.
const automaticTTL endpoint.TTL = 1

// record is one API record: one value of an RRset, with the settings Cloudflare keeps
// per value.
type record struct {
	ID      string
	Name    string // normalised
	Type    string
	Target  string // the value in endpoint form ("10 mx.example.com" for MX, quoted for TXT)
	TTL     endpoint.TTL
	Proxied bool
	Comment string
	Tags    []string // sorted
}

// sameSettings reports whether a and b differ in nothing but their id and value.
func (r record) sameSettings(o record) bool {
	return r.TTL == o.TTL && r.Proxied == o.Proxied && r.Comment == o.Comment && slices.Equal(r.Tags, o.Tags)
}

// apiRecord is a record as the API returns it. The provider decodes response bodies into
// it itself (option.WithResponseBodyInto) instead of letting the SDK build its
// dns.RecordResponse: the SDK's union decoding drops fields of some types (the priority
// of MX records), and it costs about 2 ms of CPU per record — 20 s to list a zone of
// 10,000 records, against well under one second here.
type apiRecord struct {
	ID       string         `json:"id"`
	Name     string         `json:"name"`
	Type     string         `json:"type"`
	Content  string         `json:"content"`
	Priority *float64       `json:"priority"`
	Data     map[string]any `json:"data"`
	TTL      float64        `json:"ttl"`
	Proxied  bool           `json:"proxied"`
	Comment  string         `json:"comment"`
	Tags     []string       `json:"tags"`
}

// recordFromAPI turns an API record into a record; types other than MX, SRV and TXT
// keep their content as the target.
func recordFromAPI(a apiRecord) record {
	out := record{
		ID:      a.ID,
		Name:    endpoint.NormalizeNameLoose(a.Name),
		Type:    a.Type,
		Target:  a.Content,
		TTL:     endpoint.TTL(a.TTL),
		Proxied: a.Proxied,
		Comment: a.Comment,
		Tags:    slices.Sorted(slices.Values(a.Tags)),
	}
	switch out.Type {
	case endpoint.RecordTypeMX:
		if a.Priority != nil {
			out.Target = strconv.FormatFloat(*a.Priority, 'f', -1, 64) + " " + a.Content
		}
	case endpoint.RecordTypeTXT:
		out.Target = endpoint.TXTTarget(parseCharacterStrings(a.Content))
	case endpoint.RecordTypeSRV:
		if a.Data != nil {
			out.Target = fmt.Sprintf("%v %v %v %v", a.Data["priority"], a.Data["weight"], a.Data["port"], a.Data["target"])
		}
	}
	return out
}

// recordsFor returns the records that make up ep once written: one per target, each
// with ep's settings. ep must have passed AdjustEndpoints (or be an ownership record,
// which has no settings).
func recordsFor(ep *endpoint.Endpoint) []record {
	base := record{Name: ep.DNSName, Type: ep.RecordType, TTL: cmp.Or(ep.RecordTTL, automaticTTL)}
	if v, _ := ep.Property(PropertyProxied); v == "true" {
		base.Proxied = true
		base.TTL = automaticTTL
	}
	base.Comment, _ = ep.Property(PropertyComment)
	if v, ok := ep.Property(PropertyTags); ok && v != "" {
		base.Tags = strings.Split(v, ",")
	}
	out := make([]record, len(ep.Targets))
	for i, t := range ep.Targets {
		out[i] = base
		out[i].Target = t
	}
	return out
}

// endpointsFrom groups records into endpoints by name and type, in the form Records
// returns: targets sorted, the settings of the first record by target as the RRset's
// (Cloudflare keeps them per value; zonekeeper writes them alike).
func endpointsFrom(byKey map[endpoint.RecordKey][]record) []*endpoint.Endpoint {
	out := make([]*endpoint.Endpoint, 0, len(byKey))
	for _, k := range slices.SortedFunc(maps.Keys(byKey), compareKeys) {
		recs := byKey[k]
		ep := endpoint.New(k.DNSName, k.RecordType, recs[0].TTL)
		for _, r := range recs {
			ep.Targets = append(ep.Targets, r.Target)
		}
		first := recs[0]
		if first.Proxied {
			ep.SetProperty(PropertyProxied, "true")
		}
		if first.Comment != "" {
			ep.SetProperty(PropertyComment, first.Comment)
		}
		if len(first.Tags) > 0 {
			ep.SetProperty(PropertyTags, strings.Join(first.Tags, ","))
		}
		out = append(out, ep)
	}
	return out
}

func compareKeys(a, b endpoint.RecordKey) int {
	return cmp.Or(strings.Compare(a.DNSName, b.DNSName), strings.Compare(a.RecordType, b.RecordType))
}

// index is what the provider knows a zone holds: its records by RRset, each RRset's
// records sorted by target. An index is never modified once shared; writers copy it.
type index map[endpoint.RecordKey][]record

// newIndex groups records by RRset.
func newIndex(recs []record) index {
	idx := index{}
	for _, r := range recs {
		k := endpoint.RecordKey{DNSName: r.Name, RecordType: r.Type}
		idx[k] = append(idx[k], r)
	}
	for _, rs := range idx {
		slices.SortFunc(rs, func(a, b record) int { return strings.Compare(a.Target, b.Target) })
	}
	return idx
}

// formatCharacterStrings writes a TXT target the way the API and upstream store TXT
// content: each character-string of at most 255 bytes in double quotes, separated by
// spaces, with quotes and backslashes escaped.
func formatCharacterStrings(target string) string {
	strs := endpoint.TXTStrings(target)
	var b strings.Builder
	for i, s := range strs {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteByte('"')
		for j := 0; j < len(s); j++ {
			if s[j] == '"' || s[j] == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(s[j])
		}
		b.WriteByte('"')
	}
	return b.String()
}

// parseCharacterStrings reads TXT content as formatCharacterStrings writes it, and as
// the API splits long values. Content that does not start with a quote (written
// by hand in the dashboard) is one string as it stands.
func parseCharacterStrings(content string) []string {
	if !strings.HasPrefix(content, `"`) {
		return []string{content}
	}
	var out []string
	var cur strings.Builder
	inside := false
	for i := 0; i < len(content); i++ {
		c := content[i]
		switch {
		case !inside && c == '"':
			inside = true
			cur.Reset()
		case !inside:
			// Spaces between strings.
		case c == '\\' && i+1 < len(content):
			i++
			cur.WriteByte(content[i])
		case c == '"':
			inside = false
			out = append(out, cur.String())
		default:
			cur.WriteByte(c)
		}
	}
	if inside {
		out = append(out, cur.String())
	}
	return out
}

// recordBody is a record as the batch endpoint's "posts" and "patches" carry it. Every
// setting is always sent, so that a patch also clears a comment or tags.
type recordBody struct {
	ID       string         `json:"id,omitempty"`
	Name     string         `json:"name"`
	Type     string         `json:"type"`
	Content  string         `json:"content,omitempty"`
	Priority *float64       `json:"priority,omitempty"`
	Data     map[string]any `json:"data,omitempty"`
	TTL      endpoint.TTL   `json:"ttl"`
	Proxied  bool           `json:"proxied"`
	Comment  string         `json:"comment"`
	Tags     []string       `json:"tags"`
}

// bodyOf is the body that writes r into the record with id ("" for a new record).
func bodyOf(id string, r record) (recordBody, error) {
	b := recordBody{ID: id, Name: r.Name, Type: r.Type, TTL: r.TTL, Proxied: r.Proxied, Comment: r.Comment, Tags: r.Tags}
	if b.Tags == nil {
		b.Tags = []string{}
	}
	switch r.Type {
	case endpoint.RecordTypeMX:
		prio, host, err := splitMX(r.Target)
		if err != nil {
			return recordBody{}, err
		}
		b.Priority, b.Content = &prio, host
	case endpoint.RecordTypeSRV:
		data, err := srvData(r.Target)
		if err != nil {
			return recordBody{}, err
		}
		b.Data = data
	case endpoint.RecordTypeTXT:
		b.Content = formatCharacterStrings(r.Target)
	default:
		b.Content = r.Target
	}
	return b, nil
}

// splitMX splits an MX target "preference host".
func splitMX(target string) (float64, string, error) {
	pref, host, ok := strings.Cut(target, " ")
	n, err := strconv.ParseUint(pref, 10, 16)
	if !ok || err != nil || host == "" {
		return 0, "", fmt.Errorf("MX target %q is not \"preference host\"", target)
	}
	return float64(n), host, nil
}

// srvData is an SRV target "priority weight port host" as the API's data object.
func srvData(target string) (map[string]any, error) {
	f := strings.Fields(target)
	if len(f) != 4 {
		return nil, fmt.Errorf("SRV target %q is not \"priority weight port host\"", target)
	}
	data := map[string]any{"target": f[3]}
	for i, key := range []string{"priority", "weight", "port"} {
		n, err := strconv.ParseUint(f[i], 10, 16)
		if err != nil {
			return nil, fmt.Errorf("SRV target %q: %s %q is not a number from 0 to 65535", target, key, f[i])
		}
		data[key] = n
	}
	return data, nil
}
