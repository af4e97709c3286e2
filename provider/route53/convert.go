package route53

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53/types"

	"github.com/zonekeeper/zonekeeper/endpoint"
)

// Provider-specific properties this provider reads and writes. The sources set them from
// the annotations of the same names (alias, aws-<attr>); Records sets them from the
// record sets, so that a record read back equals the desired one.
const (
	PropertyAlias           = "alias"             // "true": an ALIAS record
	PropertyAliasRecordType = "alias-record-type" // "A" or "AAAA": only that ALIAS type
	PropertyEvaluateHealth  = "aws/evaluate-target-health"
	PropertyWeight          = "aws/weight"
	PropertyRegion          = "aws/region"
	PropertyFailover        = "aws/failover"
	PropertyContinent       = "aws/geolocation-continent-code"
	PropertyCountry         = "aws/geolocation-country-code"
	PropertySubdivision     = "aws/geolocation-subdivision-code"
	PropertyMultiValue      = "aws/multi-value-answer"
	PropertyHealthCheckID   = "aws/health-check-id"
	PropertyGeoRegion       = "aws/geoproximity-region"
	PropertyGeoBias         = "aws/geoproximity-bias"
	PropertyGeoCoordinates  = "aws/geoproximity-coordinates"
	PropertyGeoLocalZone    = "aws/geoproximity-local-zone-group"
)

// awsPropertyPrefix marks the properties that belong to this provider.
const awsPropertyPrefix = "aws/"

// DefaultTTL is written for non-ALIAS records without a TTL, as upstream does.
const DefaultTTL endpoint.TTL = 300

// Routing policy kinds; a record set has at most one.
const (
	policyWeighted     = "weighted"
	policyLatency      = "latency"
	policyFailover     = "failover"
	policyGeolocation  = "geolocation"
	policyGeoproximity = "geoproximity"
	policyMultiValue   = "multi-value answer"
)

// policyOf names the routing policy kind each property selects.
var policyOf = map[string]string{
	PropertyWeight: policyWeighted, PropertyRegion: policyLatency, PropertyFailover: policyFailover,
	PropertyContinent: policyGeolocation, PropertyCountry: policyGeolocation, PropertySubdivision: policyGeolocation,
	PropertyGeoRegion: policyGeoproximity, PropertyGeoBias: policyGeoproximity,
	PropertyGeoCoordinates: policyGeoproximity, PropertyGeoLocalZone: policyGeoproximity,
	PropertyMultiValue: policyMultiValue,
}

// continents are Route 53's geolocation continent codes.
var continents = []string{"AF", "AN", "AS", "EU", "NA", "OC", "SA"}

// isAlias reports whether ep asks for an ALIAS record.
func isAlias(ep *endpoint.Endpoint) bool {
	v, _ := ep.Property(PropertyAlias)
	return v == "true"
}

// recordSet is ep as Route 53 stores it, in zone zoneID, with ttl for records without
// one. An ALIAS target outside AWS's service domains is taken to be a name in the zone
// itself. TXT records never become ALIAS records (ownership records carry the
// properties of the record they own); routing properties apply to every type. It fails
// on anything Route 53 would refuse that can be told without asking.
func recordSet(ep *endpoint.Endpoint, zoneID string, canonical canonicalZoneIndex) (types.ResourceRecordSet, error) {
	rrs := types.ResourceRecordSet{Name: aws.String(ep.DNSName + "."), Type: types.RRType(ep.RecordType)}
	if ep.SetIdentifier != "" {
		rrs.SetIdentifier = aws.String(ep.SetIdentifier)
	}
	if err := setRouting(&rrs, ep); err != nil {
		return rrs, err
	}
	if len(ep.Targets) == 0 {
		return rrs, errors.New("the record has no targets")
	}
	if isAlias(ep) && ep.RecordType != endpoint.RecordTypeTXT {
		if ep.RecordType != endpoint.RecordTypeA && ep.RecordType != endpoint.RecordTypeAAAA {
			return rrs, fmt.Errorf("an ALIAS record must be of type A or AAAA, not %s", ep.RecordType)
		}
		if len(ep.Targets) != 1 {
			return rrs, fmt.Errorf("an ALIAS record needs exactly one target host name, not %d", len(ep.Targets))
		}
		target := normalizeHost(ep.Targets[0])
		if endpoint.TargetTypeOf(target) != endpoint.RecordTypeCNAME {
			return rrs, fmt.Errorf("ALIAS target %q is not a host name", ep.Targets[0])
		}
		evaluate, err := boolProperty(ep, PropertyEvaluateHealth)
		if err != nil {
			return rrs, err
		}
		hostedZone, ok := canonical.lookup(target)
		if !ok {
			hostedZone = zoneID
		}
		rrs.AliasTarget = &types.AliasTarget{DNSName: aws.String(target + "."), HostedZoneId: aws.String(hostedZone), EvaluateTargetHealth: evaluate}
		return rrs, nil
	}
	ttl := ep.RecordTTL
	if !ttl.IsConfigured() {
		ttl = DefaultTTL
	}
	rrs.TTL = aws.Int64(int64(ttl))
	for _, t := range ep.Targets {
		value := t
		if ep.RecordType == endpoint.RecordTypeTXT {
			value = encodeTXT(endpoint.TXTStrings(t))
		}
		rrs.ResourceRecords = append(rrs.ResourceRecords, types.ResourceRecord{Value: aws.String(value)})
	}
	return rrs, nil
}

// boolProperty reads a "true"/"false" property; absent is false.
func boolProperty(ep *endpoint.Endpoint, name string) (bool, error) {
	v, ok := ep.Property(name)
	if !ok {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil || (v != "true" && v != "false") {
		return false, fmt.Errorf("%s is %q, want true or false", name, v)
	}
	return b, nil
}

// setRouting sets the routing policy and health check of rrs from ep's aws/ properties.
// Properties of other providers are ignored; an unknown aws/ property, a bad value,
// several policy kinds, or a policy without a set identifier (and the reverse) fail.
func setRouting(rrs *types.ResourceRecordSet, ep *endpoint.Endpoint) error {
	kind := ""
	for _, p := range ep.ProviderSpecific {
		if !strings.HasPrefix(p.Name, awsPropertyPrefix) || p.Name == PropertyEvaluateHealth {
			continue
		}
		if p.Name == PropertyHealthCheckID {
			if p.Value == "" {
				return errors.New(PropertyHealthCheckID + " is empty")
			}
			rrs.HealthCheckId = aws.String(p.Value)
			continue
		}
		k, known := policyOf[p.Name]
		if !known {
			return fmt.Errorf("unknown property %s (annotation aws-%s)", p.Name, strings.TrimPrefix(p.Name, awsPropertyPrefix))
		}
		if p.Name == PropertyMultiValue && p.Value == "false" {
			continue
		}
		if kind != "" && kind != k {
			return fmt.Errorf("routing policies %s and %s exclude each other", kind, k)
		}
		kind = k
		if err := setPolicyValue(rrs, p); err != nil {
			return err
		}
	}
	switch {
	case kind == policyGeolocation:
		g := rrs.GeoLocation
		if g.ContinentCode != nil && (g.CountryCode != nil || g.SubdivisionCode != nil) {
			return errors.New("a geolocation continent code excludes a country and subdivision code")
		}
		if g.SubdivisionCode != nil && g.CountryCode == nil {
			return errors.New("a geolocation subdivision code needs a country code")
		}
	case kind == policyGeoproximity:
		g := rrs.GeoProximityLocation
		set := 0
		for _, p := range []bool{g.AWSRegion != nil, g.Coordinates != nil, g.LocalZoneGroup != nil} {
			if p {
				set++
			}
		}
		if set != 1 {
			return errors.New("geoproximity needs exactly one of region, coordinates and local zone group")
		}
	}
	switch {
	case kind != "" && ep.SetIdentifier == "":
		return fmt.Errorf("the %s routing policy needs a set identifier (annotation set-identifier)", kind)
	case kind == "" && ep.SetIdentifier != "":
		return fmt.Errorf("set identifier %q needs a routing policy (annotations aws-weight, aws-region, aws-failover, aws-geolocation-*, aws-geoproximity-*, aws-multi-value-answer)", ep.SetIdentifier)
	}
	return nil
}

// setPolicyValue sets the one field of rrs that property p names.
func setPolicyValue(rrs *types.ResourceRecordSet, p endpoint.Property) error {
	bad := func(want string) error { return fmt.Errorf("%s is %q, want %s", p.Name, p.Value, want) }
	geo := func() *types.GeoLocation {
		if rrs.GeoLocation == nil {
			rrs.GeoLocation = &types.GeoLocation{}
		}
		return rrs.GeoLocation
	}
	prox := func() *types.GeoProximityLocation {
		if rrs.GeoProximityLocation == nil {
			rrs.GeoProximityLocation = &types.GeoProximityLocation{}
		}
		return rrs.GeoProximityLocation
	}
	switch p.Name {
	case PropertyWeight:
		w, err := strconv.ParseInt(p.Value, 10, 64)
		if err != nil || w < 0 || w > 255 {
			return bad("an integer from 0 to 255")
		}
		rrs.Weight = aws.Int64(w)
	case PropertyRegion:
		if !slices.Contains(types.ResourceRecordSetRegion("").Values(), types.ResourceRecordSetRegion(p.Value)) {
			return bad("an AWS region such as us-east-1")
		}
		rrs.Region = types.ResourceRecordSetRegion(p.Value)
	case PropertyFailover:
		v := types.ResourceRecordSetFailover(strings.ToUpper(p.Value))
		if v != types.ResourceRecordSetFailoverPrimary && v != types.ResourceRecordSetFailoverSecondary {
			return bad("PRIMARY or SECONDARY")
		}
		rrs.Failover = v
	case PropertyContinent:
		v := strings.ToUpper(p.Value)
		if !slices.Contains(continents, v) {
			return bad("one of " + strings.Join(continents, ", "))
		}
		geo().ContinentCode = aws.String(v)
	case PropertyCountry:
		v := strings.ToUpper(p.Value)
		if v != "*" && !isLetters(v, 2) {
			return bad(`a two-letter ISO 3166 country code or "*"`)
		}
		geo().CountryCode = aws.String(v)
	case PropertySubdivision:
		v := strings.ToUpper(p.Value)
		if v == "" || len(v) > 3 {
			return bad("a subdivision code of 1 to 3 characters")
		}
		geo().SubdivisionCode = aws.String(v)
	case PropertyMultiValue:
		if p.Value != "true" {
			return bad("true or false")
		}
		rrs.MultiValueAnswer = aws.Bool(true)
	case PropertyGeoRegion:
		if p.Value == "" {
			return bad("an AWS region or Local Zone")
		}
		prox().AWSRegion = aws.String(p.Value)
	case PropertyGeoLocalZone:
		if p.Value == "" {
			return bad("a Local Zone group")
		}
		prox().LocalZoneGroup = aws.String(p.Value)
	case PropertyGeoBias:
		b, err := strconv.ParseInt(p.Value, 10, 32)
		if err != nil || b < -99 || b > 99 {
			return bad("an integer from -99 to 99")
		}
		prox().Bias = aws.Int32(int32(b))
	case PropertyGeoCoordinates:
		lat, long, ok := parseCoordinates(p.Value)
		if !ok {
			return bad(`"latitude,longitude" in degrees, latitude -90..90, longitude -180..180, at most two decimals`)
		}
		prox().Coordinates = &types.Coordinates{Latitude: aws.String(lat), Longitude: aws.String(long)}
	}
	return nil
}

// isLetters reports whether s is n ASCII letters.
func isLetters(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, c := range []byte(s) {
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}

// parseCoordinates reads "lat,long" as Route 53 takes them: decimal degrees with at most
// two decimals. It returns them in the form Route 53 returns them.
func parseCoordinates(s string) (lat, long string, ok bool) {
	a, b, found := strings.Cut(s, ",")
	if !found {
		return "", "", false
	}
	lat, okLat := degrees(strings.TrimSpace(a), 90)
	long, okLong := degrees(strings.TrimSpace(b), 180)
	return lat, long, okLat && okLong
}

func degrees(s string, limit float64) (string, bool) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < -limit || f > limit {
		return "", false
	}
	if _, frac, ok := strings.Cut(s, "."); ok && len(frac) > 2 {
		return "", false
	}
	return strconv.FormatFloat(f, 'f', -1, 64), true
}

// fromRecordSet is the endpoint Records returns for rrs: the inverse of recordSet.
// ALIAS records have no TTL and carry alias=true and aws/evaluate-target-health.
func fromRecordSet(rrs types.ResourceRecordSet) *endpoint.Endpoint {
	ep := &endpoint.Endpoint{
		DNSName:       endpoint.NormalizeNameLoose(decodeName(aws.ToString(rrs.Name))),
		RecordType:    string(rrs.Type),
		SetIdentifier: aws.ToString(rrs.SetIdentifier),
		Labels:        endpoint.Labels{},
	}
	if rrs.AliasTarget != nil {
		ep.Targets = endpoint.Targets{normalizeHost(aws.ToString(rrs.AliasTarget.DNSName))}
		ep.SetProperty(PropertyAlias, "true")
		ep.SetProperty(PropertyEvaluateHealth, strconv.FormatBool(rrs.AliasTarget.EvaluateTargetHealth))
	} else {
		ep.RecordTTL = endpoint.TTL(aws.ToInt64(rrs.TTL))
		for _, r := range rrs.ResourceRecords {
			v := aws.ToString(r.Value)
			if rrs.Type == types.RRTypeTxt || rrs.Type == types.RRTypeSpf {
				v = endpoint.TXTTarget(decodeTXT(v))
			}
			ep.Targets = append(ep.Targets, v)
		}
	}
	routingProperties(ep, rrs)
	return ep
}

// routingProperties sets on ep the properties of rrs's routing policy and health check.
func routingProperties(ep *endpoint.Endpoint, rrs types.ResourceRecordSet) {
	set := func(name string, v *string) {
		if v != nil {
			ep.SetProperty(name, *v)
		}
	}
	if rrs.Weight != nil {
		ep.SetProperty(PropertyWeight, strconv.FormatInt(*rrs.Weight, 10))
	}
	if rrs.Region != "" {
		ep.SetProperty(PropertyRegion, string(rrs.Region))
	}
	if rrs.Failover != "" {
		ep.SetProperty(PropertyFailover, string(rrs.Failover))
	}
	if g := rrs.GeoLocation; g != nil {
		set(PropertyContinent, g.ContinentCode)
		set(PropertyCountry, g.CountryCode)
		set(PropertySubdivision, g.SubdivisionCode)
	}
	if g := rrs.GeoProximityLocation; g != nil {
		set(PropertyGeoRegion, g.AWSRegion)
		set(PropertyGeoLocalZone, g.LocalZoneGroup)
		if g.Bias != nil {
			ep.SetProperty(PropertyGeoBias, strconv.Itoa(int(*g.Bias)))
		}
		if c := g.Coordinates; c != nil {
			ep.SetProperty(PropertyGeoCoordinates, aws.ToString(c.Latitude)+","+aws.ToString(c.Longitude))
		}
	}
	if aws.ToBool(rrs.MultiValueAnswer) {
		ep.SetProperty(PropertyMultiValue, "true")
	}
	set(PropertyHealthCheckID, rrs.HealthCheckId)
}

// normalizeHost is a host name target as Route 53 returns ALIAS targets: lower case,
// no trailing dot.
func normalizeHost(h string) string {
	return strings.ToLower(strings.TrimSuffix(h, "."))
}

// decodeName undoes Route 53's escaping of record names: it lists every byte outside
// letters, digits, hyphen, underscore and dot as a three-digit octal escape (\052 for
// "*"). A backslash not followed by three octal digits is kept as it is.
func decodeName(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			if c, ok := octalAt(s, i+1); ok {
				b.WriteByte(c)
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// octalAt reads a three-digit octal byte value at s[i:].
func octalAt(s string, i int) (byte, bool) {
	if i+3 > len(s) {
		return 0, false
	}
	v := 0
	for _, c := range []byte(s[i : i+3]) {
		if c < '0' || c > '7' {
			return 0, false
		}
		v = v*8 + int(c-'0')
	}
	if v > 0xff {
		return 0, false
	}
	return byte(v), true
}

// encodeTXT renders character-strings as one Route 53 TXT value: each in double quotes,
// separated by spaces, with quote and backslash escaped and bytes outside printable
// ASCII as \ddd octal escapes.
func encodeTXT(strs []string) string {
	var b strings.Builder
	for i, s := range strs {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteByte('"')
		for _, c := range []byte(s) {
			switch {
			case c == '"' || c == '\\':
				b.WriteByte('\\')
				b.WriteByte(c)
			case c < 0x20 || c >= 0x7f:
				fmt.Fprintf(&b, `\%03o`, c)
			default:
				b.WriteByte(c)
			}
		}
		b.WriteByte('"')
	}
	return b.String()
}

// decodeTXT splits one Route 53 TXT value into its character-strings: quoted strings
// with backslash escapes (\" \\ \ddd), or unquoted words.
func decodeTXT(v string) []string {
	var out []string
	for i := 0; i < len(v); {
		if v[i] == ' ' {
			i++
			continue
		}
		var b strings.Builder
		quoted := v[i] == '"'
		if quoted {
			i++
		}
		for ; i < len(v); i++ {
			c := v[i]
			if quoted && c == '"' {
				i++
				break
			}
			if !quoted && c == ' ' {
				break
			}
			if c == '\\' && i+1 < len(v) {
				if o, ok := octalAt(v, i+1); ok {
					b.WriteByte(o)
					i += 3
					continue
				}
				i++
				c = v[i]
			}
			b.WriteByte(c)
		}
		out = append(out, b.String())
	}
	if out == nil {
		out = []string{""}
	}
	return out
}
