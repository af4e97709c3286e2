package endpoint

import (
	"fmt"
	"regexp"
	"strings"
)

// DomainFilter decides which names zonekeeper manages, with upstream's semantics:
//
//   - With a regular expression set (include, exclusion or both), only the expressions
//     count: a name matches when it matches the include expression (if set) and does not
//     match the exclusion (if set). The plain lists are ignored.
//   - Otherwise a name matches when the include list is empty or one entry matches, and
//     no exclusion entry matches. An entry "example.com" matches "example.com" and every
//     name below it; an entry ".example.com" matches only names below it.
//
// Names are compared after NormalizeName. The zero DomainFilter matches everything.
type DomainFilter struct {
	include, exclude []string
	regex, regexExcl *regexp.Regexp
}

// NewDomainFilter builds a filter from the --domain-filter, --exclude-domains,
// --regex-domain-filter and --regex-domain-exclusion values.
func NewDomainFilter(include, exclude []string, regex, regexExclusion string) (DomainFilter, error) {
	var f DomainFilter
	var err error
	if f.include, err = normalizeFilterList(include); err != nil {
		return f, fmt.Errorf("--domain-filter: %w", err)
	}
	if f.exclude, err = normalizeFilterList(exclude); err != nil {
		return f, fmt.Errorf("--exclude-domains: %w", err)
	}
	if regex != "" {
		if f.regex, err = regexp.Compile(regex); err != nil {
			return f, fmt.Errorf("--regex-domain-filter %q: %w", regex, err)
		}
	}
	if regexExclusion != "" {
		if f.regexExcl, err = regexp.Compile(regexExclusion); err != nil {
			return f, fmt.Errorf("--regex-domain-exclusion %q: %w", regexExclusion, err)
		}
	}
	return f, nil
}

func normalizeFilterList(in []string) ([]string, error) {
	var out []string
	for _, raw := range in {
		for _, d := range strings.Split(raw, ",") {
			d = strings.TrimSpace(d)
			if d == "" {
				continue
			}
			subOnly := strings.HasPrefix(d, ".")
			n, err := NormalizeName(strings.TrimPrefix(d, "."))
			if err != nil {
				return nil, err
			}
			if subOnly {
				n = "." + n
			}
			out = append(out, n)
		}
	}
	return out, nil
}

func (f DomainFilter) usesRegex() bool { return f.regex != nil || f.regexExcl != nil }

// IsConfigured reports whether the filter restricts anything.
func (f DomainFilter) IsConfigured() bool {
	return f.usesRegex() || len(f.include) > 0 || len(f.exclude) > 0
}

// Match reports whether name is managed.
func (f DomainFilter) Match(name string) bool {
	n := NormalizeNameLoose(name)
	if f.usesRegex() {
		if f.regex != nil && !f.regex.MatchString(n) {
			return false
		}
		return f.regexExcl == nil || !f.regexExcl.MatchString(n)
	}
	if len(f.include) > 0 && !matchAny(f.include, n) {
		return false
	}
	return !matchAny(f.exclude, n)
}

// MatchZone reports whether a zone may hold managed names: the zone itself matches, or
// an include entry lies below it (a filter "app.example.com" or ".example.com" keeps
// zone "example.com"), and the zone is not excluded. With a regular expression set every
// zone may hold managed names.
func (f DomainFilter) MatchZone(zone string) bool {
	z := NormalizeNameLoose(zone)
	if f.usesRegex() || f.Match(z) {
		return true
	}
	for _, d := range f.include {
		// d keeps the leading dot of a subdomain-only entry, so ".example.com" lies below
		// "example.com" while "badexample.com" does not.
		if strings.HasSuffix(d, "."+z) && !matchAny(f.exclude, z) {
			return true
		}
	}
	return false
}

func matchAny(list []string, name string) bool {
	for _, d := range list {
		if strings.HasPrefix(d, ".") {
			if strings.HasSuffix(name, d) {
				return true
			}
			continue
		}
		if name == d || strings.HasSuffix(name, "."+d) {
			return true
		}
	}
	return false
}

// IsSubdomain reports whether name equals zone or lies below it, comparing whole labels
// ("badexample.com" is not below "example.com").
func IsSubdomain(name, zone string) bool {
	return zone == "" || name == zone || strings.HasSuffix(name, "."+zone)
}
