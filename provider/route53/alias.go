package route53

import "strings"

// canonicalZone is the hosted zone that AWS keeps for the host names of one service: the
// HostedZoneId an ALIAS record pointing at one of those names must carry.
type canonicalZone struct {
	suffix string // a label-wise suffix of the host names, without a trailing dot
	zoneID string
}

// The canonical hosted zone ids below are AWS's published ones:
//   - Classic, Application and Network Load Balancers: "Elastic Load Balancing endpoints
//     and quotas", https://docs.aws.amazon.com/general/latest/gr/elb.html (the "Route 53
//     Hosted Zone ID" columns; NLBs have ids of their own), as also tabulated by
//     hashicorp/terraform-provider-aws internal/service/elb and internal/service/elbv2
//     hosted_zone_id_data_source.go.
//   - API Gateway regional endpoints: https://docs.aws.amazon.com/general/latest/gr/apigateway.html.
//   - CloudFront (Z2FDTNDATAQYW2) and Global Accelerator (Z2BJ6XQ5FK7U4H): the Route 53
//     AliasTarget reference, https://docs.aws.amazon.com/Route53/latest/APIReference/API_AliasTarget.html.

// elbZoneIDs are the zones of Classic and Application Load Balancers by region; their
// names end in <region>.elb.amazonaws.com (.cn in China).
var elbZoneIDs = map[string]string{
	"af-south-1": "Z268VQBMOI5EKX", "ap-east-1": "Z3DQVH9N71FHZ0", "ap-northeast-1": "Z14GRHDCWA56QT",
	"ap-northeast-2": "ZWKZPGTI48KDX", "ap-northeast-3": "Z5LXEXXYW11ES", "ap-south-1": "ZP97RAFLXTNZK",
	"ap-south-2": "Z0173938T07WNTVAEPZN", "ap-southeast-1": "Z1LMS91P8CMLE5", "ap-southeast-2": "Z1GM3OXH4ZPM65",
	"ap-southeast-3": "Z08888821HLRG5A9ZRTER", "ca-central-1": "ZQSVJUPU6J1EY", "cn-north-1": "Z1GDH35T77C1KE",
	"cn-northwest-1": "ZM7IZAIOVVDZF", "eu-central-1": "Z215JYRZR1TBD5", "eu-central-2": "Z06391101F2ZOEP8P5EB3",
	"eu-north-1": "Z23TAZ6LKFMNIO", "eu-south-1": "Z3ULH7SSC9OV64", "eu-south-2": "Z0956581394HF5D5LXGAP",
	"eu-west-1": "Z32O12XQLNTSW2", "eu-west-2": "ZHURV8PSTC4K8", "eu-west-3": "Z3Q77PNBQS71R4",
	"me-central-1": "Z08230872XQRWHG2XF6I", "me-south-1": "ZS929ML54UICD", "sa-east-1": "Z2P70J7HTTTPLU",
	"us-east-1": "Z35SXDOTRQ7X7K", "us-east-2": "Z3AADJGX6KTTL2", "us-gov-east-1": "Z166TLBEWOO7G0",
	"us-gov-west-1": "Z33AYJ8TM3BH4J", "us-west-1": "Z368ELLRRE2KJ0", "us-west-2": "Z1H1FL5HABSF5",
}

// nlbZoneIDs are the zones of Network Load Balancers by region; their names end in
// elb.<region>.amazonaws.com (.cn in China).
var nlbZoneIDs = map[string]string{
	"af-south-1": "Z203XCE67M25HM", "ap-east-1": "Z12Y7K3UBGUAD1", "ap-northeast-1": "Z31USIVHYNEOWT",
	"ap-northeast-2": "ZIBE1TIR4HY56", "ap-northeast-3": "Z1GWIQ4HH19I5X", "ap-south-1": "ZVDDRBQ08TROA",
	"ap-south-2": "Z0711778386UTO08407HT", "ap-southeast-1": "ZKVM4W9LS7TM", "ap-southeast-2": "ZCT6FZBF4DROD",
	"ap-southeast-3": "Z01971771FYVNCOVWJU1G", "ca-central-1": "Z2EPGBW3API2WT", "cn-north-1": "Z3QFB96KMJ7ED6",
	"cn-northwest-1": "ZQEIKTCZ8352D", "eu-central-1": "Z3F0SRJ5LGBH90", "eu-central-2": "Z02239872DOALSIDCX66S",
	"eu-north-1": "Z1UDT6IFJ4EJM", "eu-south-1": "Z23146JA1KNAFP", "eu-south-2": "Z1011216NVTVYADP1SSV",
	"eu-west-1": "Z2IFOLAFXWLO4F", "eu-west-2": "ZD4D7Y8KGAS4G", "eu-west-3": "Z1CMS0P5QUZ6D5",
	"me-central-1": "Z00282643NTTLPANJJG2P", "me-south-1": "Z3QSRYVP46NYYV", "sa-east-1": "ZTK26PT1VY4CU",
	"us-east-1": "Z26RNL4JYFTOTI", "us-east-2": "ZLMOA37VPKANP", "us-gov-east-1": "Z1ZSMQQ6Q24QQ8",
	"us-gov-west-1": "ZMG1MZ2THAWF1", "us-west-1": "Z24FKFUX50B4VW", "us-west-2": "Z18D5FSROUN65G",
}

// apiGatewayZoneIDs are the zones of API Gateway regional endpoints by region; their
// names end in execute-api.<region>.amazonaws.com.
var apiGatewayZoneIDs = map[string]string{
	"af-south-1": "Z2DHW2332DAMTN", "ap-east-1": "Z3FD1VL90ND7K5", "ap-northeast-1": "Z1YSHQZHG15GKL",
	"ap-northeast-2": "Z20JF4UZKIW1U8", "ap-northeast-3": "Z22ILHG95FLSZ2", "ap-south-1": "Z3VO1THU9YC4UR",
	"ap-south-2": "Z0853509Q1135NJ66RUH", "ap-southeast-1": "ZL327KTPIQFUL", "ap-southeast-2": "Z2RPCDW04V8134",
	"ap-southeast-3": "Z10132843TYUYSLUG4HA3", "ca-central-1": "Z19DQILCV0OWEC", "eu-central-1": "Z1U9ULNL0V5AJ3",
	"eu-central-2": "Z09222482MK253X48U76H", "eu-north-1": "Z3UWIKFBOOGXPP", "eu-south-1": "Z3BT4WSQ9TDYZV",
	"eu-south-2": "Z02499852UI5HEQ5JVWX3", "eu-west-1": "ZLY8HYME6SFDD", "eu-west-2": "ZJ5UAJN8Y3Z2Q",
	"eu-west-3": "Z3KY65QIEKYHQQ", "il-central-1": "Z07264553HBI44N5X2CKP", "me-central-1": "Z08780021BKYYY8U0YHTV",
	"me-south-1": "Z20ZBPC0SS8806", "sa-east-1": "ZCMLWB8V5SYIT", "us-east-1": "Z1UJRXOUMOOFQ8",
	"us-east-2": "ZOJJZC49E0EPZ", "us-gov-east-1": "Z3SE9ATJYCRCZJ", "us-gov-west-1": "Z1K6XKP9SAGWDV",
	"us-west-1": "Z2MUQ32089INYE", "us-west-2": "Z2OJLYMUO9EFXC",
}

// Global services, one zone each.
const (
	cloudFrontZoneID        = "Z2FDTNDATAQYW2"
	globalAcceleratorZoneID = "Z2BJ6XQ5FK7U4H"
)

// canonicalZones lists every suffix with its zone, built once from the tables above.
func canonicalZones() []canonicalZone {
	out := []canonicalZone{
		{"cloudfront.net", cloudFrontZoneID},
		{"awsglobalaccelerator.com", globalAcceleratorZoneID},
	}
	for region, id := range elbZoneIDs {
		out = append(out, canonicalZone{region + ".elb." + amazonDomain(region), id})
	}
	for region, id := range nlbZoneIDs {
		out = append(out, canonicalZone{"elb." + region + "." + amazonDomain(region), id})
	}
	for region, id := range apiGatewayZoneIDs {
		out = append(out, canonicalZone{"execute-api." + region + "." + amazonDomain(region), id})
	}
	return out
}

// amazonDomain is the parent domain of AWS's regional service names in region.
func amazonDomain(region string) string {
	if strings.HasPrefix(region, "cn-") {
		return "amazonaws.com.cn"
	}
	return "amazonaws.com"
}

// canonicalZoneIndex finds the canonical hosted zone of AWS service host names.
type canonicalZoneIndex map[string]string // suffix → zone id

func newCanonicalZoneIndex() canonicalZoneIndex {
	idx := canonicalZoneIndex{}
	for _, z := range canonicalZones() {
		idx[z.suffix] = z.zoneID
	}
	return idx
}

// lookup returns the canonical hosted zone of host (normalised: lower case, no trailing
// dot), when host lies strictly below one of the known suffixes. It tries each suffix
// of host, so the cost grows with the number of labels, not with the table.
func (idx canonicalZoneIndex) lookup(host string) (string, bool) {
	for rest := host; ; {
		_, after, found := strings.Cut(rest, ".")
		if !found {
			return "", false
		}
		if id, ok := idx[after]; ok {
			return id, true
		}
		rest = after
	}
}
