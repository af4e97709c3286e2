package registry

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/provider"
)

// recordTypeTemplate in a prefix or suffix is replaced by the lower-case record type.
const recordTypeTemplate = "%{record_type}"

// aliasProperty marks a Route53 ALIAS record; older upstream versions named the
// ownership record of an ALIAS A record as if the record were a CNAME.
const aliasProperty = "alias"

// TXTConfig configures the TXT ownership registry; cmd maps the --txt-* flags onto it.
type TXTConfig struct {
	// OwnerID is written into every ownership record and decides which records are
	// ours (--txt-owner-id). Required.
	OwnerID string
	// Prefix and Suffix are put around the first label of the ownership record's name
	// (--txt-prefix, --txt-suffix). At most one may be set. Either may contain
	// %{record_type}, which then replaces the default "<type>-" in front of the label.
	Prefix, Suffix string
	// WildcardReplacement replaces a leading "*" label in ownership names
	// (--txt-wildcard-replacement).
	WildcardReplacement string
	// EncryptionKey turns on AES-256-GCM encryption of ownership values when set; it
	// must then be exactly 32 bytes (see ParseAESKey). Nil leaves values in plain text.
	EncryptionKey []byte
	// ManagedTypes are the record types whose missing ownership records get written;
	// empty means A, AAAA and CNAME.
	ManagedTypes []string
	// DomainFilter limits, in the same way, which names get missing ownership records
	// written. The zero value matches every name.
	DomainFilter endpoint.DomainFilter
	// MigrateFromOwner is a former owner id whose records this registry takes over
	// (--migrate-from-txt-owner), through LoadAdopting only. Empty adopts nothing.
	MigrateFromOwner string
}

// TXT is the registry that records ownership in TXT records, byte-compatible with
// upstream external-dns. It holds only its configuration and is safe for concurrent use.
type TXT struct {
	ownerID             string
	prefix, suffix      string
	typedAffixes        []typedAffix // of every type, for isTypedName
	wildcardReplacement string
	key                 []byte
	managedTypes        map[string]bool
	domainFilter        endpoint.DomainFilter
	migrateFrom         string
}

var (
	_ Registry = (*TXT)(nil)
	_ Adopter  = (*TXT)(nil)
)

// NewTXT checks cfg and returns the registry. Prefix, suffix and wildcard replacement
// are lower-cased, since the names they become part of are compared normalised.
func NewTXT(cfg TXTConfig) (*TXT, error) {
	switch {
	case cfg.OwnerID == "":
		return nil, errors.New("--txt-owner-id must not be empty")
	case strings.Contains(cfg.OwnerID, ","):
		return nil, fmt.Errorf("--txt-owner-id %q holds a comma, which the ownership record format cannot carry", cfg.OwnerID)
	case cfg.Prefix != "" && cfg.Suffix != "":
		return nil, fmt.Errorf("--txt-prefix (%q) and --txt-suffix (%q) exclude each other: set at most one", cfg.Prefix, cfg.Suffix)
	case cfg.MigrateFromOwner == cfg.OwnerID:
		return nil, fmt.Errorf("--migrate-from-txt-owner %q is --txt-owner-id itself: name the owner id the records are taken over from", cfg.MigrateFromOwner)
	case cfg.EncryptionKey != nil && len(cfg.EncryptionKey) != AESKeySize:
		return nil, fmt.Errorf("--txt-encrypt-aes-key: the key is %d bytes, want %d (AES-256)", len(cfg.EncryptionKey), AESKeySize)
	}
	if err := validateAffixes(cfg); err != nil {
		return nil, err
	}
	types := cfg.ManagedTypes
	if len(types) == 0 {
		types = endpoint.DefaultManagedTypes()
	}
	managed := map[string]bool{}
	for _, t := range types {
		managed[strings.ToUpper(t)] = true
	}
	prefix, suffix := strings.ToLower(cfg.Prefix), strings.ToLower(cfg.Suffix)
	return &TXT{
		ownerID:             cfg.OwnerID,
		prefix:              prefix,
		suffix:              suffix,
		typedAffixes:        typedAffixes(prefix, suffix),
		wildcardReplacement: strings.ToLower(cfg.WildcardReplacement),
		key:                 bytes.Clone(cfg.EncryptionKey),
		managedTypes:        managed,
		domainFilter:        cfg.DomainFilter,
		migrateFrom:         cfg.MigrateFromOwner,
	}, nil
}

// validateAffixes refuses a prefix, suffix or wildcard replacement that cannot make a
// valid ownership record name (a space, a quote, an empty label), at start, rather than
// on the first record that needs one. It tries the longest type label, for the longest
// name the affixes produce.
func validateAffixes(cfg TXTConfig) error {
	sample := &TXT{prefix: strings.ToLower(cfg.Prefix), suffix: strings.ToLower(cfg.Suffix), wildcardReplacement: strings.ToLower(cfg.WildcardReplacement)}
	for _, name := range []string{"x.example.com", "*.example.com"} {
		got := sample.OwnershipName(name, endpoint.RecordTypeCNAME)
		if err := endpoint.ValidateOwnerName(got); err != nil {
			return fmt.Errorf("--txt-prefix %q, --txt-suffix %q, --txt-wildcard-replacement %q make ownership names such as %q, which is not a valid DNS name: %w",
				cfg.Prefix, cfg.Suffix, cfg.WildcardReplacement, got, err)
		}
	}
	return nil
}

// OwnerID returns the configured owner id.
func (t *TXT) OwnerID() string { return t.ownerID }

// OwnershipName returns the name of the ownership record that upstream's current
// ("new") format gives a record called name of type recordType: name is split at its
// first dot into first and rest; a first label "*" becomes the wildcard replacement when
// one is set; "<type>-" goes in front of first unless the prefix or suffix holds
// %{record_type}, which becomes the lower-case type; the result is
// prefix + first + suffix + "." + rest. The name may lie outside the record's zone
// (an apex record without a prefix ending in "."): Zone.Changes refuses those.
func (t *TXT) OwnershipName(name, recordType string) string {
	rt := strings.ToLower(recordType)
	typeLabel := rt + "-"
	if strings.Contains(t.prefix+t.suffix, recordTypeTemplate) {
		typeLabel = ""
	}
	return t.affixName(name, typeLabel, rt)
}

// legacyName is the name of upstream's pre-typed ownership record: OwnershipName with
// neither a type label nor a type in the affixes.
func (t *TXT) legacyName(name string) string { return t.affixName(name, "", "") }

func (t *TXT) affixName(name, typeLabel, recordType string) string {
	first, rest, hasRest := strings.Cut(name, ".")
	if first == "*" && t.wildcardReplacement != "" {
		first = t.wildcardReplacement
	}
	prefix := strings.ReplaceAll(t.prefix, recordTypeTemplate, recordType)
	suffix := strings.ReplaceAll(t.suffix, recordTypeTemplate, recordType)
	out := prefix + typeLabel + first + suffix
	if hasRest {
		out += "." + rest
	}
	return out
}

// isTypedName reports whether name is the current-format ownership name of some record
// (OwnershipName of some name and one of typedTypes). Such a TXT record owns only the
// record it names; it is never read as the legacy ownership record of records at its own
// name, as upstream never reads it so: otherwise a name like a-team.example.com, which
// our ownership record of team.example.com takes, would hand us whatever someone else
// keeps at a-team.example.com.
func (t *TXT) isTypedName(name string) bool {
	for _, a := range t.typedAffixes {
		rest, ok := strings.CutPrefix(name, a.prefix)
		if !ok || a.prefix == "" && a.suffix == "" {
			continue
		}
		first, domain, hasDomain := strings.Cut(rest, ".")
		first, ok = strings.CutSuffix(first, a.suffix)
		if !ok || first == "" {
			continue
		}
		candidate := first
		if hasDomain {
			candidate += "." + domain
		}
		if t.OwnershipName(candidate, a.recordType) == name {
			return true
		}
		if first == t.wildcardReplacement && hasDomain && t.OwnershipName("*."+domain, a.recordType) == name {
			return true
		}
	}
	return false
}

// typedAffix is what an ownership name of one record type starts and ends its first
// label with: the prefix with its type filled in and the type label, and the suffix.
type typedAffix struct {
	recordType, prefix, suffix string
}

// typedAffixes lists the affixes of the record types upstream puts into ownership names
// and recognises in them, for prefix and suffix (lower case).
func typedAffixes(prefix, suffix string) []typedAffix {
	var out []typedAffix
	for _, rt := range []string{
		endpoint.RecordTypeA, endpoint.RecordTypeAAAA, endpoint.RecordTypeCNAME, endpoint.RecordTypeNS,
		endpoint.RecordTypeMX, endpoint.RecordTypeSRV, endpoint.RecordTypeTXT, "PTR", "NAPTR", "CAA",
	} {
		lower := strings.ToLower(rt)
		typeLabel := lower + "-"
		if strings.Contains(prefix+suffix, recordTypeTemplate) {
			typeLabel = ""
		}
		out = append(out, typedAffix{
			recordType: rt,
			prefix:     strings.ReplaceAll(prefix, recordTypeTemplate, lower) + typeLabel,
			suffix:     strings.ReplaceAll(suffix, recordTypeTemplate, lower),
		})
	}
	return out
}

// RelatedNames implements Registry: name, and every name ownershipCandidates may give a
// record of one of types at name (its new-format ownership name, the legacy one, and
// the CNAME one an ALIAS A record is also owned through).
func (t *TXT) RelatedNames(name string, types []string) []string {
	out := []string{name, t.legacyName(name), t.OwnershipName(name, endpoint.RecordTypeCNAME)}
	for _, rt := range types {
		out = append(out, t.OwnershipName(name, rt))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// ownershipCandidates lists, in the order they are looked up, the names of the
// ownership records that may own ep: the current format; the legacy format (never used
// by upstream for AAAA); and for ALIAS A records the older CNAME-typed name. A legacy
// candidate holding a typed name owns nothing at its own name (see txtZone.owner).
func (t *TXT) ownershipCandidates(ep *endpoint.Endpoint) []txtKey {
	keys := []txtKey{{t.OwnershipName(ep.DNSName, ep.RecordType), ep.SetIdentifier}}
	if ep.RecordType != endpoint.RecordTypeAAAA {
		keys = append(keys, txtKey{t.legacyName(ep.DNSName), ep.SetIdentifier})
	}
	if alias, _ := ep.Property(aliasProperty); ep.RecordType == endpoint.RecordTypeA && alias == "true" {
		keys = append(keys, txtKey{t.OwnershipName(ep.DNSName, endpoint.RecordTypeCNAME), ep.SetIdentifier})
	}
	return keys
}

// encodeValue renders labels as an ownership target, encrypted when a key is set. A nil
// nonce draws a fresh one.
func (t *TXT) encodeValue(labels endpoint.Labels, nonce []byte) (string, error) {
	if t.key == nil {
		return FormatOwnership(labels), nil
	}
	sealed, err := Encrypt(t.key, nonce, formatPlain(labels))
	if err != nil {
		return "", err
	}
	return `"` + sealed + `"`, nil
}

// decodeValue reads an ownership target. With a key set it first tries to decrypt
// (returning the nonce, for reuse on rewrite); a value that does not decrypt is parsed
// as plain text, as upstream does.
func (t *TXT) decodeValue(target string) (labels endpoint.Labels, nonce []byte, ok bool) {
	if t.key != nil {
		if plain, n, err := Decrypt(t.key, stripQuotes(target)); err == nil {
			labels, ok = ParseOwnership(plain)
			return labels, n, ok
		}
	}
	labels, ok = ParseOwnership(target)
	return labels, nil, ok
}

// Load splits records into ownership records and the others, and labels each of the
// others with the labels of the first ownership record found for it among
// ownershipCandidates, matching the set identifier too. An ownership record is a TXT
// record one of whose targets decodes with heritage=external-dns, whoever owns it.
// records are not modified. The Zone returned is never modified after Load, so its
// methods are safe for concurrent use.
func (t *TXT) Load(zone provider.Zone, records []*endpoint.Endpoint) Zone {
	return t.LoadAdopting(zone, records, nil)
}

// LoadAdopting is Load for an owner id change (TXTConfig.MigrateFromOwner): a record
// whose ownership record names the former owner id, and as resource an object for which
// exists returns true, is ours — labelled with our owner id, and its ownership record
// rewritten with it by the Zone's Changes, whether or not the plan changes the record
// itself. Records of the former owner whose object does not exist (here, or at all: an
// object of another cluster sharing the owner id) stay the former owner's, untouched.
// A nil exists, or no former owner id, adopts nothing.
func (t *TXT) LoadAdopting(zone provider.Zone, records []*endpoint.Endpoint, exists func(resource string) bool) Zone {
	z := &txtZone{reg: t, zone: zone, owners: map[txtKey]*ownershipRecord{}, otherTXT: map[txtKey]bool{}}
	var others []*endpoint.Endpoint
	for _, r := range records {
		if o := t.ownershipRecordOf(r); o != nil {
			if t.migrateFrom != "" && exists != nil && o.owner() == t.migrateFrom && exists(o.labels[endpoint.ResourceLabelKey]) {
				o.adopted = true
				o.labels = maps.Clone(o.labels)
				o.labels[endpoint.OwnerLabelKey] = t.ownerID
			}
			o.typed = t.isTypedName(r.DNSName)
			z.owners[txtKey{r.DNSName, r.SetIdentifier}] = o
			continue
		}
		if r.RecordType == endpoint.RecordTypeTXT {
			z.otherTXT[txtKey{r.DNSName, r.SetIdentifier}] = true
		}
		others = append(others, r)
	}
	for _, r := range others {
		lr := loadedRecord{ep: r.Clone()}
		// Ownership comes only from ownership records: labels a provider handed back are
		// not evidence that the record is ours.
		lr.ep.Labels = endpoint.Labels{}
		for _, k := range t.ownershipCandidates(r) {
			if o := z.owner(k, r); o != nil {
				lr.via, lr.owned = k, true
				for key, v := range o.labels {
					lr.ep.Labels[key] = v
				}
				break
			}
		}
		z.records = append(z.records, lr)
	}
	return z
}

// ownershipRecordOf reads the ownership record in r, if r is one: the first of its values
// that is an ownership value, with the others kept aside. An RRset holding ownership
// values of more than one owner id is contested: it is nobody's, and the records it
// would own are labelled with ContestedOwner so that no owner changes them (whichever
// value came first must not decide who may delete a record).
func (t *TXT) ownershipRecordOf(r *endpoint.Endpoint) *ownershipRecord {
	if r.RecordType != endpoint.RecordTypeTXT {
		return nil
	}
	var found *ownershipRecord
	owners := map[string]bool{}
	for i, target := range r.Targets {
		labels, nonce, ok := t.decodeValue(target)
		if !ok {
			continue
		}
		owners[labels[endpoint.OwnerLabelKey]] = true
		if found == nil {
			others := slices.Concat(r.Targets[:i], r.Targets[i+1:])
			found = &ownershipRecord{ep: r, labels: labels, nonce: nonce, others: others}
		}
	}
	if len(owners) > 1 {
		found.labels = endpoint.Labels{endpoint.OwnerLabelKey: ContestedOwner(slices.Sorted(maps.Keys(owners)))}
	}
	return found
}

// ContestedOwner is the owner label of records whose ownership RRset holds values of
// several owner ids: "several owners (a, b)", so that a message saying "owned by" it
// reads right. No owner id can be it, since an owner id holds no comma.
func ContestedOwner(owners []string) string {
	return "several owners (" + strings.Join(owners, ", ") + ")"
}
