package source

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/zonekeeper/zonekeeper/endpoint"
)

// Annotation keys, after the prefix.
const (
	keyHostname              = "hostname"
	keyInternalHostname      = "internal-hostname"
	keyTarget                = "target"
	keyTTL                   = "ttl"
	keyController            = "controller"
	keyIngressHostnameSource = "ingress-hostname-source"
	keySetIdentifier         = "set-identifier"
	keyAlias                 = "alias"
	awsKeyPrefix             = "aws-"
)

// controllerName is the only value of the controller annotation that keeps an object.
const controllerName = "dns-controller"

// Provider-specific property names set from annotations.
const (
	propertyAlias     = "alias"
	awsPropertyPrefix = "aws/"
)

// cloudflareKeys become properties of the same name.
var cloudflareKeys = []string{"cloudflare-proxied", "cloudflare-record-comment", "cloudflare-tags"}

// annotation is one of our annotations, resolved across prefixes.
type annotation struct {
	key   string // the full key it was read from, for messages
	value string
}

// readAnnotations picks our annotations out of all, keyed by the name after the prefix.
// When several prefixes carry one name, the best-ranked prefix wins, and every other
// prefix carrying a different value yields a conflict error. An annotation whose value is
// empty or blank says nothing and is treated as absent, except the controller annotation:
// external-dns skips an object whose controller annotation is present with any value but
// dns-controller, the empty one included.
func readAnnotations(all map[string]string, rank map[string]int) (map[string]annotation, []error) {
	type candidate struct {
		rank int
		annotation
	}
	byName := map[string][]candidate{}
	for key, value := range all {
		prefix, name, ok := strings.Cut(key, "/")
		if !ok || strings.TrimSpace(value) == "" && name != keyController {
			continue
		}
		r, ours := rank[prefix+"/"]
		if !ours {
			continue
		}
		byName[name] = append(byName[name], candidate{r, annotation{key, value}})
	}
	out := make(map[string]annotation, len(byName))
	var conflicts []error
	for _, name := range slices.Sorted(maps.Keys(byName)) {
		cs := byName[name]
		slices.SortFunc(cs, func(a, b candidate) int { return a.rank - b.rank })
		winner := cs[0].annotation
		out[name] = winner
		for _, c := range cs[1:] {
			if c.value != winner.value {
				conflicts = append(conflicts, fmt.Errorf("annotations %s=%s and %s=%s disagree; using %s",
					winner.key, endpoint.Quote(winner.value), c.key, endpoint.Quote(c.value), winner.key))
			}
		}
	}
	return out, conflicts
}

// splitList splits a comma-separated list, trimming spaces and skipping empty entries.
func splitList(s string) []string {
	var out []string
	for _, e := range strings.Split(s, ",") {
		if e = strings.TrimSpace(e); e != "" {
			out = append(out, e)
		}
	}
	return out
}

// recordSettings are what an object's annotations say about each of its records.
type recordSettings struct {
	ttl           endpoint.TTL
	setIdentifier string
	properties    []endpoint.Property
}

// readSettings reads the ttl, set-identifier, alias and provider-specific annotations.
// A TTL that cannot be used is a warning; a bad alias value is an error.
func (r *objectResult) readSettings(ann map[string]annotation) {
	s := &r.settings
	if a, ok := ann[keyTTL]; ok {
		ttl, err := endpoint.ParseTTL(a.value)
		if err == nil && strings.TrimSpace(a.value) != a.value {
			// external-dns parses the value as it stands and ignores one with spaces;
			// reading it would change the TTL of a record external-dns wrote.
			ttl, err = 0, errors.New("spaces around the value (external-dns ignores such a TTL too)")
		}
		if err != nil {
			r.warn(fmt.Errorf("annotation %s: TTL %s ignored: %v", a.key, endpoint.Quote(a.value), err))
		}
		s.ttl = ttl
	}
	if a, ok := ann[keySetIdentifier]; ok {
		s.setIdentifier = strings.TrimSpace(a.value)
	}
	if a, ok := ann[keyAlias]; ok {
		switch a.value {
		case "true":
			s.properties = append(s.properties, endpoint.Property{Name: propertyAlias, Value: "true"})
		case endpoint.RecordTypeA, endpoint.RecordTypeAAAA:
			// external-dns sets the alias property for "true" only; publishing an alias
			// here would rewrite the record it wrote.
			r.warn(fmt.Errorf("annotation %s: %s ignored: only \"true\" asks for an alias, as in external-dns", a.key, endpoint.Quote(a.value)))
		case "false":
			// Upstream reads every value but "true" as no alias; "false" keeps
			// meaning that, so that such objects keep their records here.
		default:
			r.fail("", fmt.Errorf("annotation %s: %s is not true, false, A or AAAA", a.key, endpoint.Quote(a.value)))
		}
	}
	for name, a := range ann {
		switch {
		case strings.HasPrefix(name, awsKeyPrefix) && len(name) > len(awsKeyPrefix):
			s.properties = append(s.properties, endpoint.Property{Name: awsPropertyPrefix + name[len(awsKeyPrefix):], Value: a.value})
		case slices.Contains(cloudflareKeys, name):
			s.properties = append(s.properties, endpoint.Property{Name: name, Value: a.value})
		}
	}
}
