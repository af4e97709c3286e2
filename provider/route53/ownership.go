package route53

import (
	"strings"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/provider"
)

// withOwnershipRouting returns c's record changes with each ownership record that has a
// set identifier but no routing policy given the owned record's policy: Route 53 refuses
// a set identifier without one, and ownership records reach providers without settings
// (provider.Change). The ownership record then answers under the same policy as the
// record it owns, as upstream writes it. An Old side takes the owned record's policy as it
// stood, a New side as it will stand. Ownership records read back from Route 53 keep the
// policy they were stored with, which a DELETE must repeat exactly.
func withOwnershipRouting(c provider.Change) []provider.RecordChange {
	if c.Owned == nil {
		return c.Records
	}
	main := c.Main()
	ownedIsMain := c.Owned == main.New || c.Owned == main.Old
	out := make([]provider.RecordChange, len(c.Records))
	for i, rc := range c.Records {
		out[i] = rc
		if i == c.Primary && ownedIsMain {
			continue
		}
		oldSource, newSource := c.Owned, c.Owned
		if ownedIsMain {
			oldSource, newSource = orElse(main.Old, c.Owned), orElse(main.New, c.Owned)
		}
		out[i].Old = routedLike(rc.Old, oldSource)
		out[i].New = routedLike(rc.New, newSource)
	}
	return out
}

// orElse is e, or fallback when e is nil.
func orElse(e, fallback *endpoint.Endpoint) *endpoint.Endpoint {
	if e != nil {
		return e
	}
	return fallback
}

// routedLike returns e with owned's routing properties when e has a set identifier and
// no routing property of its own; otherwise e itself.
func routedLike(e, owned *endpoint.Endpoint) *endpoint.Endpoint {
	if e == nil || e.SetIdentifier == "" || owned == nil || hasRouting(e) {
		return e
	}
	c := e.Clone()
	for _, p := range owned.ProviderSpecific {
		if isRoutingProperty(p.Name) {
			c.SetProperty(p.Name, p.Value)
		}
	}
	return c
}

// isRoutingProperty reports whether a property is part of a record set's routing: every
// aws/ property but evaluate-target-health, which belongs to ALIAS targets.
func isRoutingProperty(name string) bool {
	return strings.HasPrefix(name, awsPropertyPrefix) && name != PropertyEvaluateHealth
}

func hasRouting(e *endpoint.Endpoint) bool {
	for _, p := range e.ProviderSpecific {
		if isRoutingProperty(p.Name) {
			return true
		}
	}
	return false
}
