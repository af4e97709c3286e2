package registry

import (
	"slices"
	"strings"

	"github.com/zonekeeper/zonekeeper/endpoint"
)

// The vocabulary of upstream's ownership TXT values.
const (
	heritageKey   = "heritage"
	heritageValue = "external-dns"
	labelPrefix   = "external-dns/"
)

// FormatOwnership renders labels as an ownership TXT target, byte for byte as upstream
// writes it: `"heritage=external-dns,external-dns/<key>=<value>,…"` with the keys in
// sorted order and the double quotes part of the string.
//
// Keys containing "," or "=" and values containing "," cannot be read back; label values
// zonekeeper writes (owner ids, kind/namespace/name) never hold them.
func FormatOwnership(labels endpoint.Labels) string {
	return `"` + formatPlain(labels) + `"`
}

// formatPlain is FormatOwnership without the quotes: the plaintext that gets encrypted.
func formatPlain(labels endpoint.Labels) string {
	var b strings.Builder
	b.WriteString(heritageKey + "=" + heritageValue)
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		b.WriteString("," + labelPrefix + k + "=" + labels[k])
	}
	return b.String()
}

// ParseOwnership reads an ownership TXT value (plain text, not encrypted) with upstream's
// rules: surrounding double quotes are stripped (repeatedly, so a value a provider quoted
// twice still reads), the rest is split on ",", each token on its first "=". Tokens
// without "=" are skipped; only keys starting with "external-dns/" become labels (with the
// prefix removed; a repeated key keeps its last value).
//
// ok is false unless a token heritage=external-dns is present and no heritage token holds
// anything else: such a TXT record is not an ownership record. The labels returned for
// an accepted value are never nil and read back unchanged through FormatOwnership.
func ParseOwnership(value string) (labels endpoint.Labels, ok bool) {
	labels = endpoint.Labels{}
	for _, token := range strings.Split(stripQuotes(value), ",") {
		key, val, found := strings.Cut(token, "=")
		switch {
		case !found:
		case key == heritageKey:
			if val != heritageValue {
				return nil, false
			}
			ok = true
		case strings.HasPrefix(key, labelPrefix):
			labels[strings.TrimPrefix(key, labelPrefix)] = val
		}
	}
	if !ok {
		return nil, false
	}
	return labels, true
}

// stripQuotes removes pairs of surrounding double quotes until none is left.
func stripQuotes(s string) string {
	for {
		u := endpoint.Unquote(s)
		if u == s {
			return s
		}
		s = u
	}
}
