package source

import (
	"fmt"
	"strings"

	"github.com/zonekeeper/zonekeeper/endpoint"
	networkingv1 "k8s.io/api/networking/v1"
)

// ingressClassAnnotation is the class annotation that predates spec.ingressClassName.
const ingressClassAnnotation = "kubernetes.io/ingress.class"

// Values of the ingress-hostname-source annotation, compared case-insensitively.
const (
	hostnameSourceDefinedHostsOnly = "defined-hosts-only"
	hostnameSourceAnnotationOnly   = "annotation-only"
)

// IngressEndpoints returns the records ing asks for and what is wrong with it.
//
// An Ingress outside the namespace, label or annotation filters, of a class not in
// IngressClasses (spec.ingressClassName, else the kubernetes.io/ingress.class
// annotation), or handed to another controller by the controller annotation, yields
// nothing. Hostnames come from spec.rules[].host, spec.tls[].hosts and the hostname
// annotation (each unless its Ignore option is set), narrowed by the
// ingress-hostname-source annotation; with none of them (or also, with
// CombineFQDNAnnotation) from the FQDN template. They are published with the target
// annotation, else with every status.loadBalancer.ingress[] ip and hostname.
//
// Every returned record is valid (endpoint.ValidateName, endpoint.ValidateTargets),
// refers to ing and carries the TTL, set identifier and provider-specific properties of
// its annotations. Any error Problem means no records at all. The result is sorted.
func IngressEndpoints(ing *networkingv1.Ingress, o *Options) ([]*endpoint.Endpoint, []endpoint.Problem) {
	return ingressEndpoints(ing, o, "")
}

// ingressEndpoints is IngressEndpoints for an Ingress read from the place named origin.
func ingressEndpoints(ing *networkingv1.Ingress, o *Options, origin string) ([]*endpoint.Endpoint, []endpoint.Problem) {
	if ing == nil || !o.selects(&ing.ObjectMeta) || !o.selectsIngressClass(ing) {
		return nil, nil
	}
	ref := endpoint.ObjectRef{Kind: KindIngress, Namespace: ing.Namespace, Name: ing.Name, Source: origin}
	r, ok := newObjectResult(ref, &ing.ObjectMeta, o)
	if !ok {
		return nil, nil
	}
	useSpec, useAnnotation := true, !o.ignoreHostnameAnnotation
	if a, ok := r.ann[keyIngressHostnameSource]; ok {
		switch strings.ToLower(strings.TrimSpace(a.value)) {
		case hostnameSourceDefinedHostsOnly:
			useAnnotation = false
		case hostnameSourceAnnotationOnly:
			useSpec = false
		default:
			r.fail("", fmt.Errorf("annotation %s: %s is not %s or %s",
				a.key, endpoint.Quote(a.value), hostnameSourceDefinedHostsOnly, hostnameSourceAnnotationOnly))
		}
	}
	var hostnames []string
	if useSpec && !o.ignoreIngressRules {
		for i, rule := range ing.Spec.Rules {
			hostnames = append(hostnames, r.hostnames(fmt.Sprintf("spec.rules[%d].host", i), nonEmpty(rule.Host))...)
		}
	}
	if useSpec && !o.ignoreIngressTLS {
		for i, tls := range ing.Spec.TLS {
			hostnames = append(hostnames, r.hostnames(fmt.Sprintf("spec.tls[%d].hosts", i), nonEmpty(tls.Hosts...))...)
		}
	}
	if useAnnotation {
		hostnames = append(hostnames, r.annotationHostnames(keyHostname)...)
	}
	if len(hostnames) == 0 || o.combineFQDN {
		hostnames = append(hostnames, r.templateHostnames(ing)...)
	}
	if len(hostnames) > 0 {
		targetOrigin, targets := r.targetAnnotation()
		if len(targets) == 0 {
			targetOrigin = "status.loadBalancer.ingress"
			for _, in := range ing.Status.LoadBalancer.Ingress {
				targets = append(targets, in.IP, in.Hostname)
			}
		}
		r.add(hostnames, r.targets(targetOrigin, targets))
	}
	return r.result()
}

// selectsIngressClass reports whether the IngressClasses option lets ing through.
func (o *Options) selectsIngressClass(ing *networkingv1.Ingress) bool {
	if o.ingressClasses == nil {
		return true
	}
	class := ing.Annotations[ingressClassAnnotation]
	if ing.Spec.IngressClassName != nil && *ing.Spec.IngressClassName != "" {
		class = *ing.Spec.IngressClassName
	}
	return o.ingressClasses[class]
}

// nonEmpty returns the strings that are not blank: an Ingress rule without a host is a
// default backend, not a request for a name.
func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			out = append(out, s)
		}
	}
	return out
}
