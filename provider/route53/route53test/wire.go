package route53test

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// xmlns is the namespace of every Route53 response document.
const xmlns = "https://route53.amazonaws.com/doc/2013-04-01/"

// recordSet is a resource record set in Route53's XML form; it is both the request
// element and what the emulator stores and lists. Field order is the order AWS writes.
type recordSet struct {
	Name                    string                `xml:"Name"`
	Type                    string                `xml:"Type"`
	SetIdentifier           string                `xml:"SetIdentifier,omitempty"`
	Weight                  *int64                `xml:"Weight,omitempty"`
	Region                  string                `xml:"Region,omitempty"`
	GeoLocation             *geoLocation          `xml:"GeoLocation,omitempty"`
	Failover                string                `xml:"Failover,omitempty"`
	MultiValueAnswer        *bool                 `xml:"MultiValueAnswer,omitempty"`
	TTL                     *int64                `xml:"TTL,omitempty"`
	Values                  valueList             `xml:"ResourceRecords,omitempty"`
	AliasTarget             *aliasTarget          `xml:"AliasTarget,omitempty"`
	HealthCheckID           string                `xml:"HealthCheckId,omitempty"`
	TrafficPolicyInstanceID string                `xml:"TrafficPolicyInstanceId,omitempty"`
	CidrRoutingConfig       *cidrRoutingConfig    `xml:"CidrRoutingConfig,omitempty"`
	GeoProximityLocation    *geoProximityLocation `xml:"GeoProximityLocation,omitempty"`
}

// valueList is the values of a record set, written as AWS writes them:
// <ResourceRecords><ResourceRecord><Value>…</Value></ResourceRecord>…</ResourceRecords>,
// and left out entirely (not written empty) when there are none, as for an alias.
type valueList []string

type resourceRecordXML struct {
	Value string `xml:"Value"`
}

// MarshalXML writes one ResourceRecord element per value.
func (l valueList) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	records := struct {
		Records []resourceRecordXML `xml:"ResourceRecord"`
	}{}
	for _, v := range l {
		records.Records = append(records.Records, resourceRecordXML{Value: v})
	}
	return e.EncodeElement(records, start)
}

// UnmarshalXML appends the Value of every ResourceRecord element.
func (l *valueList) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	var records struct {
		Records []resourceRecordXML `xml:"ResourceRecord"`
	}
	if err := d.DecodeElement(&records, &start); err != nil {
		return err
	}
	for _, r := range records.Records {
		*l = append(*l, r.Value)
	}
	return nil
}

type geoLocation struct {
	ContinentCode   string `xml:"ContinentCode,omitempty"`
	CountryCode     string `xml:"CountryCode,omitempty"`
	SubdivisionCode string `xml:"SubdivisionCode,omitempty"`
}

type aliasTarget struct {
	HostedZoneID         string `xml:"HostedZoneId"`
	DNSName              string `xml:"DNSName"`
	EvaluateTargetHealth bool   `xml:"EvaluateTargetHealth"`
}

type cidrRoutingConfig struct {
	CollectionID string `xml:"CollectionId"`
	LocationName string `xml:"LocationName"`
}

type geoProximityLocation struct {
	AWSRegion      string       `xml:"AWSRegion,omitempty"`
	LocalZoneGroup string       `xml:"LocalZoneGroup,omitempty"`
	Coordinates    *coordinates `xml:"Coordinates,omitempty"`
	Bias           *int32       `xml:"Bias,omitempty"`
}

type coordinates struct {
	Latitude  string `xml:"Latitude"`
	Longitude string `xml:"Longitude"`
}

type change struct {
	Action string    `xml:"Action"`
	Set    recordSet `xml:"ResourceRecordSet"`
}

type changeRequest struct {
	XMLName xml.Name `xml:"ChangeResourceRecordSetsRequest"`
	Comment string   `xml:"ChangeBatch>Comment"`
	Changes []change `xml:"ChangeBatch>Changes>Change"`
}

// parseChangeRequest decodes a ChangeResourceRecordSets body. It checks only the
// document's shape; what the changes mean is checked by applyBatch.
func parseChangeRequest(body []byte) (changeRequest, error) {
	var req changeRequest
	if err := xml.Unmarshal(body, &req); err != nil {
		return changeRequest{}, fmt.Errorf("Invalid XML ; %v", err)
	}
	if len(req.Changes) == 0 {
		return changeRequest{}, fmt.Errorf("Invalid request: ChangeBatch must contain at least one Change")
	}
	return req, nil
}

type hostedZoneXML struct {
	ID                     string `xml:"Id"`
	Name                   string `xml:"Name"`
	CallerReference        string `xml:"CallerReference"`
	Comment                string `xml:"Config>Comment,omitempty"`
	PrivateZone            bool   `xml:"Config>PrivateZone"`
	ResourceRecordSetCount int    `xml:"ResourceRecordSetCount"`
}

type changeInfoXML struct {
	ID          string `xml:"Id"`
	Status      string `xml:"Status"`
	SubmittedAt string `xml:"SubmittedAt"`
	Comment     string `xml:"Comment,omitempty"`

	submitted time.Time // when the change was accepted, for Options.InSyncAfter
}

type vpcXML struct {
	VPCRegion string `xml:"VPCRegion"`
	VPCID     string `xml:"VPCId"`
}

type tagXML struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

type resourceTagSetXML struct {
	ResourceType string   `xml:"ResourceType"`
	ResourceID   string   `xml:"ResourceId"`
	Tags         []tagXML `xml:"Tags>Tag"`
}

type listHostedZonesResponse struct {
	XMLName     xml.Name        `xml:"ListHostedZonesResponse"`
	Xmlns       string          `xml:"xmlns,attr"`
	HostedZones []hostedZoneXML `xml:"HostedZones>HostedZone"`
	Marker      string          `xml:"Marker"`
	IsTruncated bool            `xml:"IsTruncated"`
	NextMarker  string          `xml:"NextMarker,omitempty"`
	MaxItems    int             `xml:"MaxItems"`
}

type listHostedZonesByNameResponse struct {
	XMLName          xml.Name        `xml:"ListHostedZonesByNameResponse"`
	Xmlns            string          `xml:"xmlns,attr"`
	HostedZones      []hostedZoneXML `xml:"HostedZones>HostedZone"`
	DNSName          string          `xml:"DNSName,omitempty"`
	HostedZoneID     string          `xml:"HostedZoneId,omitempty"`
	IsTruncated      bool            `xml:"IsTruncated"`
	NextDNSName      string          `xml:"NextDNSName,omitempty"`
	NextHostedZoneID string          `xml:"NextHostedZoneId,omitempty"`
	MaxItems         int             `xml:"MaxItems"`
}

type getHostedZoneResponse struct {
	XMLName     xml.Name      `xml:"GetHostedZoneResponse"`
	Xmlns       string        `xml:"xmlns,attr"`
	HostedZone  hostedZoneXML `xml:"HostedZone"`
	NameServers []string      `xml:"DelegationSet>NameServers>NameServer,omitempty"`
	VPCs        []vpcXML      `xml:"VPCs>VPC,omitempty"`
}

type listResourceRecordSetsResponse struct {
	XMLName              xml.Name    `xml:"ListResourceRecordSetsResponse"`
	Xmlns                string      `xml:"xmlns,attr"`
	ResourceRecordSets   []recordSet `xml:"ResourceRecordSets>ResourceRecordSet"`
	IsTruncated          bool        `xml:"IsTruncated"`
	NextRecordName       string      `xml:"NextRecordName,omitempty"`
	NextRecordType       string      `xml:"NextRecordType,omitempty"`
	NextRecordIdentifier string      `xml:"NextRecordIdentifier,omitempty"`
	MaxItems             int         `xml:"MaxItems"`
}

type changeResourceRecordSetsResponse struct {
	XMLName    xml.Name      `xml:"ChangeResourceRecordSetsResponse"`
	Xmlns      string        `xml:"xmlns,attr"`
	ChangeInfo changeInfoXML `xml:"ChangeInfo"`
}

type getChangeResponse struct {
	XMLName    xml.Name      `xml:"GetChangeResponse"`
	Xmlns      string        `xml:"xmlns,attr"`
	ChangeInfo changeInfoXML `xml:"ChangeInfo"`
}

type listTagsForResourceResponse struct {
	XMLName        xml.Name          `xml:"ListTagsForResourceResponse"`
	Xmlns          string            `xml:"xmlns,attr"`
	ResourceTagSet resourceTagSetXML `xml:"ResourceTagSet"`
}

type listTagsForResourcesRequest struct {
	XMLName     xml.Name `xml:"ListTagsForResourcesRequest"`
	ResourceIDs []string `xml:"ResourceIds>ResourceId"`
}

type listTagsForResourcesResponse struct {
	XMLName         xml.Name            `xml:"ListTagsForResourcesResponse"`
	Xmlns           string              `xml:"xmlns,attr"`
	ResourceTagSets []resourceTagSetXML `xml:"ResourceTagSets>ResourceTagSet"`
}

// apiError is an error answer of the Route53 API. Messages, when set, makes it an
// InvalidChangeBatch: AWS joins them into Message as "[m1, m2]".
type apiError struct {
	Status   int
	Code     string
	Message  string
	Messages []string
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func invalidInput(format string, args ...any) *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: "InvalidInput", Message: fmt.Sprintf(format, args...)}
}

func invalidChangeBatch(messages []string) *apiError {
	return &apiError{
		Status:   http.StatusBadRequest,
		Code:     "InvalidChangeBatch",
		Message:  "[" + strings.Join(messages, ", ") + "]",
		Messages: messages,
	}
}

func noSuchHostedZone(id string) *apiError {
	return &apiError{Status: http.StatusNotFound, Code: "NoSuchHostedZone", Message: "No hosted zone found with ID: " + id}
}

type errorResponse struct {
	XMLName   xml.Name    `xml:"ErrorResponse"`
	Xmlns     string      `xml:"xmlns,attr"`
	Error     errorDetail `xml:"Error"`
	RequestID string      `xml:"RequestId"`
}

type errorDetail struct {
	Type    string `xml:"Type"`
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
}

// legacyChangeBatchError is the older InvalidChangeBatch document, whose root element is
// the error itself; the SDK turns it into types.InvalidChangeBatch with Messages set.
type legacyChangeBatchError struct {
	XMLName   xml.Name `xml:"InvalidChangeBatch"`
	Xmlns     string   `xml:"xmlns,attr"`
	Messages  []string `xml:"Messages>Message"`
	RequestID string   `xml:"RequestId"`
}

// errorDocument renders e as AWS does: an ErrorResponse whose Type is Receiver for
// server faults and Sender otherwise, or, when legacy is set and e is an
// InvalidChangeBatch, the older document rooted at <InvalidChangeBatch>.
func errorDocument(e *apiError, requestID string, legacy bool) any {
	if legacy && e.Messages != nil {
		return legacyChangeBatchError{Xmlns: xmlns, Messages: e.Messages, RequestID: requestID}
	}
	kind := "Sender"
	if e.Status >= 500 {
		kind = "Receiver"
	}
	return errorResponse{
		Xmlns:     xmlns,
		Error:     errorDetail{Type: kind, Code: e.Code, Message: e.Message},
		RequestID: requestID,
	}
}
