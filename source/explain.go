package source

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/zonekeeper/zonekeeper/endpoint"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// Provenance says where the hostnames of one object come from, for zonekeeper explain:
// which filter keeps the object out, or which field, annotation or template yields each
// hostname and which rule drops it. It follows the rules of ServiceEndpoints and
// IngressEndpoints; what it calls kept is what they ask records for (given an address).
type Provenance struct {
	Ref endpoint.ObjectRef
	// Excluded names the filter that keeps the object from the sources, with the
	// value that fails it; "" when the object is read.
	Excluded string
	// Hostnames are every hostname the object names, in the order the source reads them.
	Hostnames []HostnameOrigin
}

// HostnameOrigin is one hostname an object names and what became of it.
type HostnameOrigin struct {
	// Name is the hostname normalised; as written when it is invalid.
	Name string
	// From is where it was read: "annotation <key>", "spec.rules[0].host",
	// "spec.tls[1].hosts", "--fqdn-template".
	From string
	// Internal marks an internal-hostname annotation's name, published with the
	// Service's cluster IPs.
	Internal bool
	// Dropped says why the name asks for no record (a flag, an annotation, an invalid
	// name); "" for a kept name.
	Dropped string
}

// Kept reports whether the name asks for records.
func (h HostnameOrigin) Kept() bool { return h.Dropped == "" }

// ExplainObject is the Provenance of obj, a *v1.Service or a *networking/v1.Ingress.
func ExplainObject(obj any, o *Options) (Provenance, error) {
	switch v := obj.(type) {
	case *corev1.Service:
		return ExplainService(v, o), nil
	case *networkingv1.Ingress:
		return ExplainIngress(v, o), nil
	}
	return Provenance{}, fmt.Errorf("cannot explain a %T: only Services and Ingresses", obj)
}

// ExplainService is the Provenance of svc under o.
func ExplainService(svc *corev1.Service, o *Options) Provenance {
	p := Provenance{Ref: endpoint.ObjectRef{Kind: KindService, Namespace: svc.Namespace, Name: svc.Name}}
	svcType := svc.Spec.Type
	if svcType == "" {
		svcType = corev1.ServiceTypeClusterIP
	}
	ann, handedOff := o.explainAnnotations(&svc.ObjectMeta)
	p.Excluded = o.excludedBy(KindService, &svc.ObjectMeta)
	if p.Excluded == "" && o.serviceTypes != nil && !o.serviceTypes[svcType] {
		p.Excluded = fmt.Sprintf("--service-type-filter: the Service is of type %s", svcType)
	}
	p.Excluded = cmpOr(p.Excluded, handedOff)
	hostnames := annotationOrigins(ann, keyHostname, o.ignoreHostnameAnnotation, "--ignore-hostname-annotation")
	internal := annotationOrigins(ann, keyInternalHostname, o.ignoreHostnameAnnotation, "--ignore-hostname-annotation")
	for i := range internal {
		internal[i].Internal = true
	}
	p.Hostnames = append(hostnames, internal...)
	p.Hostnames = append(p.Hostnames, o.templateOrigins(svc, keptCount(p.Hostnames) > 0)...)
	p.dropAllIfExcluded()
	return p
}

// ExplainIngress is the Provenance of ing under o.
func ExplainIngress(ing *networkingv1.Ingress, o *Options) Provenance {
	p := Provenance{Ref: endpoint.ObjectRef{Kind: KindIngress, Namespace: ing.Namespace, Name: ing.Name}}
	ann, handedOff := o.explainAnnotations(&ing.ObjectMeta)
	p.Excluded = o.excludedBy(KindIngress, &ing.ObjectMeta)
	if p.Excluded == "" && !o.selectsIngressClass(ing) {
		class := ing.Annotations[ingressClassAnnotation]
		from := "annotation " + ingressClassAnnotation
		if ing.Spec.IngressClassName != nil && *ing.Spec.IngressClassName != "" {
			class, from = *ing.Spec.IngressClassName, "spec.ingressClassName"
		}
		if class == "" {
			p.Excluded = "--ingress-class: the Ingress names no class"
		} else {
			p.Excluded = fmt.Sprintf("--ingress-class: the Ingress is of class %s (%s)", endpoint.Quote(class), from)
		}
	}
	p.Excluded = cmpOr(p.Excluded, handedOff)
	specDropped, annotationDropped := "", ""
	if a, ok := ann[keyIngressHostnameSource]; ok {
		switch strings.ToLower(strings.TrimSpace(a.value)) {
		case hostnameSourceDefinedHostsOnly:
			annotationDropped = "annotation " + a.key + "=" + hostnameSourceDefinedHostsOnly
		case hostnameSourceAnnotationOnly:
			specDropped = "annotation " + a.key + "=" + hostnameSourceAnnotationOnly
		}
	}
	rulesDropped := cmpOr(specDropped, flagIf(o.ignoreIngressRules, "--ignore-ingress-rules-spec"))
	for i, rule := range ing.Spec.Rules {
		p.Hostnames = append(p.Hostnames, origins(fmt.Sprintf("spec.rules[%d].host", i), nonEmpty(rule.Host), rulesDropped)...)
	}
	tlsDropped := cmpOr(specDropped, flagIf(o.ignoreIngressTLS, "--ignore-ingress-tls-spec"))
	for i, tls := range ing.Spec.TLS {
		p.Hostnames = append(p.Hostnames, origins(fmt.Sprintf("spec.tls[%d].hosts", i), nonEmpty(tls.Hosts...), tlsDropped)...)
	}
	if a, ok := ann[keyHostname]; ok {
		dropped := cmpOr(flagIf(o.ignoreHostnameAnnotation, "--ignore-hostname-annotation"), annotationDropped)
		p.Hostnames = append(p.Hostnames, origins("annotation "+a.key, splitList(a.value), dropped)...)
	}
	p.Hostnames = append(p.Hostnames, o.templateOrigins(ing, keptCount(p.Hostnames) > 0)...)
	p.dropAllIfExcluded()
	return p
}

// dropAllIfExcluded drops every kept hostname of an excluded object: the hostnames are
// listed all the same, since "which names would it have" is what its owner asks.
func (p *Provenance) dropAllIfExcluded() {
	if p.Excluded == "" {
		return
	}
	for i := range p.Hostnames {
		if p.Hostnames[i].Kept() {
			p.Hostnames[i].Dropped = "the object is not read: " + p.Excluded
		}
	}
}

// excludedBy names the --source, namespace, label or annotation filter that keeps an
// object of kind out, or returns "".
func (o *Options) excludedBy(kind string, meta *metav1.ObjectMeta) string {
	switch {
	case !o.reads(kind):
		return fmt.Sprintf("--source: %s objects are not read", kind)
	case o.namespace != "" && meta.Namespace != o.namespace:
		return fmt.Sprintf("--namespace=%s: the object is in namespace %s", o.namespace, meta.Namespace)
	case o.labelFilter != nil && !o.labelFilter.Matches(labels.Set(meta.Labels)):
		return fmt.Sprintf("--label-filter=%s: the object's labels do not match", o.labelFilter)
	case o.annotationFilter != nil && !o.annotationFilter.Matches(labels.Set(meta.Annotations)):
		return fmt.Sprintf("--annotation-filter=%s: the object's annotations do not match", o.annotationFilter)
	}
	return ""
}

// explainAnnotations reads the object's annotations as the sources do, and names the
// controller annotation when it hands the object to another controller ("" otherwise).
func (o *Options) explainAnnotations(meta *metav1.ObjectMeta) (map[string]annotation, string) {
	ann, _ := readAnnotations(meta.Annotations, o.prefixRank)
	if c, ok := ann[keyController]; ok && strings.TrimSpace(c.value) != controllerName {
		return ann, fmt.Sprintf("annotation %s=%s: the object is handed to another controller (only %s is ours)",
			c.key, endpoint.Quote(c.value), controllerName)
	}
	return ann, ""
}

// annotationOrigins lists the hostnames of annotation name, all dropped for why when
// ignored is set.
func annotationOrigins(ann map[string]annotation, name string, ignored bool, why string) []HostnameOrigin {
	a, ok := ann[name]
	if !ok {
		return nil
	}
	return origins("annotation "+a.key, splitList(a.value), flagIf(ignored, why))
}

// templateOrigins lists the hostnames --fqdn-template yields for obj. The sources use
// them only when the object names no valid hostname of its own, or with
// --combine-fqdn-annotation.
func (o *Options) templateOrigins(obj any, named bool) []HostnameOrigin {
	if o.fqdnTemplate == nil {
		return nil
	}
	var out strings.Builder
	if err := o.fqdnTemplate.Execute(&out, obj); err != nil {
		return []HostnameOrigin{{From: "--fqdn-template", Dropped: err.Error()}}
	}
	dropped := ""
	if named && !o.combineFQDN {
		dropped = "the object names hostnames of its own; --fqdn-template adds to them only with --combine-fqdn-annotation"
	}
	return origins("--fqdn-template", splitList(out.String()), dropped)
}

// origins normalises and validates raw names read from, dropping each for dropped
// (when set) or for being invalid.
func origins(from string, raw []string, dropped string) []HostnameOrigin {
	var out []HostnameOrigin
	for _, h := range raw {
		n, err := endpoint.NormalizeName(h)
		if err == nil {
			err = endpoint.ValidateName(n)
		}
		switch {
		case err != nil:
			out = append(out, HostnameOrigin{Name: h, From: from, Dropped: "invalid: " + err.Error()})
		default:
			out = append(out, HostnameOrigin{Name: n, From: from, Dropped: dropped})
		}
	}
	return out
}

func keptCount(hs []HostnameOrigin) int {
	n := 0
	for _, h := range hs {
		if h.Kept() {
			n++
		}
	}
	return n
}

func flagIf(set bool, why string) string {
	if set {
		return why
	}
	return ""
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// ErrObjectNotFound is the error FindManifestObject wraps when no manifest holds the
// object.
var ErrObjectNotFound = errors.New("not found")

// FindManifestObject returns the Service or Ingress ref names (Kind KindService or
// KindIngress; Source ignored) from the manifest files under paths, read as
// NewManifest reads them, and the file it was read from. An object in no file is an
// error wrapping ErrObjectNotFound; a path or file that cannot be read is an error
// naming it.
func FindManifestObject(paths []string, o *Options, ref endpoint.ObjectRef) (any, string, error) {
	files, err := manifestFiles(paths)
	if err != nil {
		return nil, "", err
	}
	d := newManifestDecoder(kubeKinds(o))
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, "", fmt.Errorf("manifest: %w", err)
		}
		if err := d.decodeFile(file, data); err != nil {
			return nil, "", err
		}
	}
	switch ref.Kind {
	case KindService:
		for _, s := range d.Services {
			if s.Namespace == ref.Namespace && s.Name == ref.Name {
				return s, d.file[s], nil
			}
		}
	case KindIngress:
		for _, i := range d.Ingresses {
			if i.Namespace == ref.Namespace && i.Name == ref.Name {
				return i, d.file[i], nil
			}
		}
	default:
		return nil, "", fmt.Errorf("%s: kind %s cannot be explained; want %s or %s", ref, endpoint.Quote(ref.Kind), KindService, KindIngress)
	}
	return nil, "", fmt.Errorf("%s: %w in the manifests %s", ref, ErrObjectNotFound, strings.Join(paths, ", "))
}
