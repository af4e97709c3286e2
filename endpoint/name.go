package endpoint

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"golang.org/x/net/idna"
)

// Limits from RFC 1035 2.3.4, in presentation form without the trailing dot.
const (
	MaxLabelLength = 63
	MaxNameLength  = 253
)

// punycode converts Unicode labels to their ASCII form without imposing the host-name
// rules of IDNA lookup: DNS names legitimately hold "_" (SRV, TXT) and a leading "*".
var punycode = idna.New(idna.MapForLookup(), idna.Transitional(false), idna.StrictDomainName(false))

// ideographicDots are the label separators IDNA accepts besides "." (RFC 3490 3.1), so
// that "bücher。" ends in a trailing dot just as "bücher." does.
var ideographicDots = strings.NewReplacer("\u3002", ".", "\uff0e", ".", "\uff61", ".")

// NormalizeName returns name in the form zonekeeper compares and stores: surrounding
// spaces and one trailing dot removed, lower case, Unicode labels in punycode. It
// returns an error when name cannot be converted to ASCII, or when the result would
// still end in a dot or white space ("a..", "a .", "a\u3002."): such a name is never
// valid, and normalising the result again would change it. Apart from that it does not
// check lengths or characters (see ValidateName). NormalizeName(n) == n for every n it
// returns.
func NormalizeName(name string) (string, error) {
	n := strings.TrimSpace(name)
	if !isASCII(n) {
		n = ideographicDots.Replace(n)
	}
	n, err := labelsToASCII(strings.TrimSuffix(n, "."))
	if err != nil {
		return "", fmt.Errorf("name %s: %w", Quote(name), err)
	}
	if strings.HasSuffix(n, ".") {
		return "", fmt.Errorf("name %s ends with an empty label", Quote(name))
	}
	if n != strings.TrimSpace(n) {
		return "", fmt.Errorf("name %s has white space next to its trailing dot", Quote(name))
	}
	return n, nil
}

// labelsToASCII lower-cases ASCII labels and converts the others to punycode, one label
// at a time so that an ASCII label is never subject to IDNA's rules.
func labelsToASCII(n string) (string, error) {
	if isASCII(n) {
		return strings.ToLower(n), nil
	}
	labels := strings.Split(n, ".")
	for i, l := range labels {
		if isASCII(l) {
			labels[i] = strings.ToLower(l)
			continue
		}
		a, err := punycode.ToASCII(l)
		if err != nil {
			msg := fmt.Sprintf("label %s cannot be converted to punycode", Quote(l))
			// A label error of idna quotes the whole label, unbounded; a rune error
			// names the rune, which the bounded label may not show.
			if reason := err.Error(); !strings.HasPrefix(reason, "idna: invalid label ") {
				msg += ": " + reason
			}
			return "", errors.New(msg)
		}
		labels[i] = a
	}
	return strings.Join(labels, "."), nil
}

// NormalizeNameLoose is NormalizeName for names read from a provider, which are ASCII
// already; a name that cannot be converted is returned lower-cased.
func NormalizeNameLoose(name string) string {
	n, err := NormalizeName(name)
	if err != nil {
		return strings.ToLower(strings.TrimSuffix(strings.TrimSpace(name), "."))
	}
	return n
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// ValidateName checks a normalised name: at most 253 bytes, labels of 1 to 63 bytes made
// of letters, digits, "-" and "_", no label starting or ending with "-", and "*" only as
// the whole leftmost label.
func ValidateName(name string) error {
	if name == "" {
		return errors.New("empty name")
	}
	if len(name) > MaxNameLength {
		return fmt.Errorf("name %s is %d bytes long, the limit is %d", Quote(name), len(name), MaxNameLength)
	}
	for i, l := range strings.Split(name, ".") {
		if err := validateLabel(l, i == 0); err != nil {
			return fmt.Errorf("name %s: %w", Quote(name), err)
		}
	}
	return nil
}

// ValidateOwnerName checks a normalised name that needs to be a valid DNS name but not a
// host name, such as the name of an ownership TXT record: upstream external-dns names the
// TXT of "*.app.example.com" "a-*.app.example.com", whose first label holds a literal "*".
// It allows any printable ASCII in labels except the characters zone files treat
// specially (`\ " ; ( ) @ $`), so the name is written unescaped everywhere, with the length
// limits of ValidateName.
func ValidateOwnerName(name string) error {
	if name == "" {
		return errors.New("empty name")
	}
	if len(name) > MaxNameLength {
		return fmt.Errorf("name %s is %d bytes long, the limit is %d", Quote(name), len(name), MaxNameLength)
	}
	for _, l := range strings.Split(name, ".") {
		switch {
		case l == "":
			return fmt.Errorf("name %s: empty label", Quote(name))
		case len(l) > MaxLabelLength:
			return fmt.Errorf("name %s: label %s is %d bytes long, the limit is %d", Quote(name), Quote(l), len(l), MaxLabelLength)
		}
		for _, c := range []byte(l) {
			if c <= ' ' || c >= 0x7f || c == '\\' || c == '"' || c == ';' || c == '(' || c == ')' || c == '@' || c == '$' {
				return fmt.Errorf("name %s: label %s holds the character %q", Quote(name), Quote(l), c)
			}
		}
	}
	return nil
}

func validateLabel(l string, leftmost bool) error {
	switch {
	case l == "":
		return errors.New("empty label")
	case len(l) > MaxLabelLength:
		return fmt.Errorf("label %s is %d bytes long, the limit is %d", Quote(l), len(l), MaxLabelLength)
	case l == "*":
		if !leftmost {
			return errors.New(`"*" is only allowed as the leftmost label`)
		}
		return nil
	case l[0] == '-' || l[len(l)-1] == '-':
		return fmt.Errorf("label %s starts or ends with a hyphen", Quote(l))
	}
	for _, c := range []byte(l) {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return fmt.Errorf("label %s holds the character %q", Quote(l), c)
		}
	}
	return nil
}

// ValidateTargets checks that targets suit the record type: IPv4 addresses for A, IPv6
// for AAAA, exactly one host name for CNAME, host names for NS, "pref host" for MX,
// "prio weight port host" for SRV. TXT and unknown types accept anything non-empty.
func ValidateTargets(recordType string, targets Targets) error {
	if len(targets) == 0 {
		return errors.New("no targets")
	}
	if recordType == RecordTypeCNAME && len(targets) > 1 {
		return fmt.Errorf("a CNAME has exactly one target, got %d: %s", len(targets), Quote(strings.Join(targets, ", ")))
	}
	for _, t := range targets {
		if err := validateTarget(recordType, t); err != nil {
			return fmt.Errorf("%s target %s: %w", recordType, Quote(t), err)
		}
	}
	return nil
}

func validateTarget(recordType, t string) error {
	switch recordType {
	case RecordTypeA:
		a, err := netip.ParseAddr(t)
		if err == nil && a.Is4In6() {
			return fmt.Errorf("an IPv4-mapped IPv6 address: write it as %s", a.Unmap())
		}
		if err != nil || !a.Is4() {
			return errors.New("not an IPv4 address")
		}
	case RecordTypeAAAA:
		a, err := netip.ParseAddr(t)
		if err == nil && a.Is4In6() {
			return fmt.Errorf("an IPv4-mapped IPv6 address: publish it as %s in an A record", a.Unmap())
		}
		if err != nil || !a.Is6() {
			return errors.New("not an IPv6 address")
		}
		if a.Zone() != "" {
			return errors.New("an IPv6 address with a zone cannot be published")
		}
	case RecordTypeCNAME, RecordTypeNS:
		return validateHost(t)
	case RecordTypeMX:
		f := strings.Fields(t)
		if len(f) != 2 {
			return errors.New(`want "preference host"`)
		}
		if _, err := strconv.ParseUint(f[0], 10, 16); err != nil {
			return fmt.Errorf("preference %s is not a number from 0 to 65535", Quote(f[0]))
		}
		return validateHost(f[1])
	case RecordTypeSRV:
		f := strings.Fields(t)
		if len(f) != 4 {
			return errors.New(`want "priority weight port host"`)
		}
		for _, n := range f[:3] {
			if _, err := strconv.ParseUint(n, 10, 16); err != nil {
				return fmt.Errorf("%s is not a number from 0 to 65535", Quote(n))
			}
		}
		return validateHost(f[3])
	default:
		if t == "" {
			return errors.New("empty target")
		}
	}
	return nil
}

func validateHost(h string) error {
	n, err := NormalizeName(h)
	if err != nil {
		return err
	}
	if n == "" {
		return errors.New("empty host name")
	}
	if _, err := netip.ParseAddr(n); err == nil {
		return errors.New("an address where a host name is needed")
	}
	return ValidateName(n)
}

// TargetTypeOf says which address record type a target calls for: A for an IPv4
// address (also in its IPv4-mapped IPv6 spelling, which ValidateTargets accepts only
// after netip.Addr.Unmap), AAAA for IPv6, CNAME for anything else.
func TargetTypeOf(target string) string {
	a, err := netip.ParseAddr(target)
	switch {
	case err != nil:
		return RecordTypeCNAME
	case a.Is4() || a.Is4In6():
		return RecordTypeA
	default:
		return RecordTypeAAAA
	}
}

// CanonicalTarget returns the form in which two targets are compared: IPv6 addresses in
// canonical form, host names lower case without a trailing dot, anything else as is
// (TXT is case-sensitive).
func CanonicalTarget(recordType, t string) string {
	switch recordType {
	case RecordTypeA, RecordTypeAAAA:
		if a, err := netip.ParseAddr(t); err == nil {
			return a.Unmap().String()
		}
		return strings.ToLower(t)
	case RecordTypeCNAME, RecordTypeNS:
		return NormalizeNameLoose(t)
	case RecordTypeMX, RecordTypeSRV:
		f := strings.Fields(t)
		if len(f) > 0 {
			f[len(f)-1] = NormalizeNameLoose(f[len(f)-1])
		}
		return strings.Join(f, " ")
	}
	return t
}

// SameTargets reports whether a and b hold the same targets for recordType, ignoring
// order, duplicates, the case of host names and the spelling of IPv6 addresses.
func SameTargets(recordType string, a, b Targets) bool {
	set := make(map[string]bool, len(a))
	for _, t := range a {
		set[CanonicalTarget(recordType, t)] = true
	}
	other := make(map[string]bool, len(b))
	for _, t := range b {
		c := CanonicalTarget(recordType, t)
		if !set[c] {
			return false
		}
		other[c] = true
	}
	return len(other) == len(set)
}
