package source

import (
	"fmt"
	"slices"
	"strings"
	"text/template"

	"github.com/zonekeeper/zonekeeper/endpoint"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Annotation prefixes read on every object, whatever the flags say. Upstream v0.21 and
// earlier read only the alpha prefix; v0.22 reads only the newer one. Reading both lets a
// cluster move between any of those versions and zonekeeper without losing a record.
const (
	AnnotationPrefix      = "external-dns.kubernetes.io/"
	AlphaAnnotationPrefix = "external-dns.alpha.kubernetes.io/"
)

// Config is the source configuration as the flags state it; cmd/ fills it and calls
// Compile. The zero Config reads every object in every namespace.
type Config struct {
	// Namespace restricts the sources to one namespace; "" means all.
	Namespace string
	// LabelFilter is a label selector (k8s.io/apimachinery/pkg/labels syntax) that an
	// object's labels must match.
	LabelFilter string
	// AnnotationFilter is a selector in the same syntax that an object's annotations
	// must match.
	AnnotationFilter string
	// AnnotationPrefixes are read in addition to AnnotationPrefix and
	// AlphaAnnotationPrefix, and take precedence over both, earlier entries first.
	AnnotationPrefixes []string
	// FQDNTemplate is a Go text/template executed over the typed object (*v1.Service,
	// *networking/v1.Ingress) whose output is a comma-separated list of hostnames.
	FQDNTemplate string
	// CombineFQDNAnnotation uses the template even when the object names hostnames.
	CombineFQDNAnnotation bool
	// IgnoreHostnameAnnotation disregards the hostname and internal-hostname annotations.
	IgnoreHostnameAnnotation bool
	// IgnoreIngressTLSSpec disregards spec.tls[].hosts of Ingresses.
	IgnoreIngressTLSSpec bool
	// IgnoreIngressRulesSpec disregards spec.rules[].host of Ingresses.
	IgnoreIngressRulesSpec bool
	// IngressClasses restricts Ingresses to these classes; empty means every Ingress.
	IngressClasses []string
	// PublishInternalServices publishes ClusterIP Services with their cluster IPs.
	PublishInternalServices bool
	// ExcludeUnschedulable leaves unschedulable (cordoned) Nodes out of NodePort
	// Services' records (--exclude-unschedulable, true by default as in external-dns).
	ExcludeUnschedulable bool
	// ServiceTypeFilter restricts Services to these types; empty means every type.
	ServiceTypeFilter []string
	// Kinds are the object kinds read (KindService, KindIngress, KindCRD,
	// KindGatewayHTTPRoute, …, as --source names them); empty means Services and Ingresses.
	Kinds []string
	// CRDAPIVersion and CRDKind name the custom resource KindCRD reads
	// (--crd-source-apiversion, --crd-source-kind); empty means DefaultCRDAPIVersion
	// and DefaultCRDKind.
	CRDAPIVersion, CRDKind string
	// ManagedTypes are the record types the planner manages (--managed-record-types
	// less --exclude-record-types); empty means endpoint.DefaultManagedTypes(). NodePort
	// Services ask for SRV records only when SRV is among them, as upstream does.
	ManagedTypes []string
	// GatewayName restricts the Gateway API route sources to routes' parents of this
	// name; "" means every Gateway.
	GatewayName string
	// GatewayNamespace restricts them to parent Gateways in this namespace, the only
	// one Gateways are then read in; "" means all, or Namespace's when that is set.
	GatewayNamespace string
	// GatewayLabelFilter is a label selector that a parent Gateway's labels must match;
	// the live source passes it to the API server when listing Gateways.
	GatewayLabelFilter string
}

// The object kinds a source reads, spelled as in --source values, ObjectRef and upstream's
// resource label.
const (
	KindService = "service"
	KindIngress = "ingress"
	// KindCRD is external-dns's DNSEndpoint custom resource (or the kind
	// --crd-source-kind names), spelled as upstream's --source and resource label.
	KindCRD = "crd"
)

// Options is a compiled Config: selectors and the template parsed once. It is immutable
// and safe for concurrent use. Build it with Config.Compile; the zero Options reads no
// annotations.
type Options struct {
	namespace                string
	labelFilter              labels.Selector
	annotationFilter         labels.Selector
	prefixRank               map[string]int // annotation prefix → precedence, 0 wins
	fqdnTemplate             *template.Template
	combineFQDN              bool
	ignoreHostnameAnnotation bool
	ignoreIngressTLS         bool
	ignoreIngressRules       bool
	ingressClasses           map[string]bool // nil: every class
	publishInternal          bool
	excludeUnschedulable     bool
	serviceTypes             map[corev1.ServiceType]bool // nil: every type
	kinds                    map[string]bool             // nil: Services and Ingresses
	crd                      crdTarget
	nodePortSRV              bool
	gatewayName              string
	gatewayNamespace         string
	gatewayLabelFilter       labels.Selector
}

// reads reports whether objects of kind are read.
func (o *Options) reads(kind string) bool {
	if o.kinds == nil {
		return kind == KindService || kind == KindIngress
	}
	return o.kinds[kind]
}

var serviceTypes = []corev1.ServiceType{
	corev1.ServiceTypeClusterIP,
	corev1.ServiceTypeExternalName,
	corev1.ServiceTypeLoadBalancer,
	corev1.ServiceTypeNodePort,
}

// Compile checks c and parses its selectors and template. Errors name the flag at fault.
func (c Config) Compile() (*Options, error) {
	o := &Options{
		namespace:                c.Namespace,
		combineFQDN:              c.CombineFQDNAnnotation,
		ignoreHostnameAnnotation: c.IgnoreHostnameAnnotation,
		ignoreIngressTLS:         c.IgnoreIngressTLSSpec,
		ignoreIngressRules:       c.IgnoreIngressRulesSpec,
		publishInternal:          c.PublishInternalServices,
		excludeUnschedulable:     c.ExcludeUnschedulable,
		gatewayName:              c.GatewayName,
		gatewayNamespace:         c.GatewayNamespace,
	}
	var err error
	if o.gatewayLabelFilter, err = labels.Parse(c.GatewayLabelFilter); err != nil {
		return nil, fmt.Errorf("--gateway-label-filter %q: %w", c.GatewayLabelFilter, err)
	}
	if o.labelFilter, err = labels.Parse(c.LabelFilter); err != nil {
		return nil, fmt.Errorf("--label-filter %q: %w", c.LabelFilter, err)
	}
	if o.annotationFilter, err = labels.Parse(c.AnnotationFilter); err != nil {
		return nil, fmt.Errorf("--annotation-filter %q: %w", c.AnnotationFilter, err)
	}
	if o.prefixRank, err = rankPrefixes(c.AnnotationPrefixes); err != nil {
		return nil, err
	}
	if strings.TrimSpace(c.FQDNTemplate) != "" {
		if o.fqdnTemplate, err = template.New("fqdn").Funcs(templateFuncs).Parse(c.FQDNTemplate); err != nil {
			return nil, fmt.Errorf("--fqdn-template: %w", err)
		}
	}
	for _, class := range c.IngressClasses {
		if class = strings.TrimSpace(class); class == "" {
			continue
		}
		if o.ingressClasses == nil {
			o.ingressClasses = map[string]bool{}
		}
		o.ingressClasses[class] = true
	}
	for _, t := range c.ServiceTypeFilter {
		st := corev1.ServiceType(strings.TrimSpace(t))
		if st == "" {
			continue
		}
		if !slices.Contains(serviceTypes, st) {
			return nil, fmt.Errorf("--service-type-filter: unknown Service type %q (want one of %v)", t, serviceTypes)
		}
		if o.serviceTypes == nil {
			o.serviceTypes = map[corev1.ServiceType]bool{}
		}
		o.serviceTypes[st] = true
	}
	o.nodePortSRV = slices.ContainsFunc(c.ManagedTypes, func(t string) bool {
		return strings.EqualFold(strings.TrimSpace(t), endpoint.RecordTypeSRV)
	})
	if o.crd, err = parseCRDTarget(c.CRDAPIVersion, c.CRDKind); err != nil {
		return nil, err
	}
	for _, k := range c.Kinds {
		if !slices.Contains(SourceKinds(), k) {
			return nil, fmt.Errorf("--source: unknown kind %q (want one of %s)", k, strings.Join(SourceKinds(), ", "))
		}
		if o.kinds == nil {
			o.kinds = map[string]bool{}
		}
		o.kinds[k] = true
	}
	return o, nil
}

// rankPrefixes orders the annotation prefixes by precedence: the configured ones first,
// then the current upstream prefix, then the alpha one.
func rankPrefixes(extra []string) (map[string]int, error) {
	rank := map[string]int{}
	add := func(p string) {
		if _, ok := rank[p]; !ok {
			rank[p] = len(rank)
		}
	}
	for _, p := range extra {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		domain := strings.TrimSuffix(p, "/")
		if errs := validation.IsDNS1123Subdomain(domain); len(errs) > 0 {
			return nil, fmt.Errorf("--annotation-prefix %q: the part before the / must be a DNS subdomain: %s", p, strings.Join(errs, "; "))
		}
		add(domain + "/")
	}
	add(AnnotationPrefix)
	add(AlphaAnnotationPrefix)
	return rank, nil
}

// templateFuncs are the functions FQDN templates may call. Argument orders follow the
// strings package, except replace, which takes the subject last so that it can end a
// pipeline ({{ .Name | replace "-" "." }}) as upstream's does.
var templateFuncs = template.FuncMap{
	"contains":   strings.Contains,
	"hasPrefix":  strings.HasPrefix,
	"hasSuffix":  strings.HasSuffix,
	"replace":    func(old, new, s string) string { return strings.ReplaceAll(s, old, new) },
	"toLower":    strings.ToLower,
	"trim":       strings.TrimSpace,
	"trimPrefix": strings.TrimPrefix,
	"trimSuffix": strings.TrimSuffix,
}
