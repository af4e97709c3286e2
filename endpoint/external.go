package endpoint

// ExternalRecord is a record set as external-dns encodes it in JSON: an entry of a
// DNSEndpoint's spec.endpoints, and an endpoint of its webhook provider protocol. The
// field names, their order and the omitempty rules are external-dns's, so that the
// bytes are the same.
type ExternalRecord struct {
	DNSName       string   `json:"dnsName,omitempty"`
	Targets       []string `json:"targets,omitempty"`
	RecordType    string   `json:"recordType,omitempty"`
	SetIdentifier string   `json:"setIdentifier,omitempty"`
	RecordTTL     int64    `json:"recordTTL,omitempty"`
	// Labels are external-dns's endpoint labels. The crd source accepts and does not
	// read them; the webhook protocol carries them.
	Labels           map[string]string  `json:"labels,omitempty"`
	ProviderSpecific []ExternalProperty `json:"providerSpecific,omitempty"`
}

// ExternalProperty is one provider-specific setting of an ExternalRecord.
type ExternalProperty struct {
	Name  string `json:"name,omitempty"`
	Value string `json:"value,omitempty"`
}
