package source

import (
	"errors"
	"fmt"

	"github.com/zonekeeper/zonekeeper/endpoint"
	corev1 "k8s.io/api/core/v1"
)

// ServiceEndpoints returns the records svc asks for and what is wrong with it.
//
// A Service outside the namespace, label, annotation or type filters, or handed to
// another controller by the controller annotation, yields nothing. Hostnames come from
// the hostname annotation, else (or also, with CombineFQDNAnnotation) from the FQDN
// template, and are published with the target annotation or else with the addresses of
// the Service's type:
//
//	LoadBalancer  spec.externalIPs, else status.loadBalancer.ingress[] ip and hostname
//	ClusterIP     the cluster IPs with PublishInternalServices, else nothing
//	ExternalName  spec.externalIPs, else spec.externalName (CNAME)
//
// Hostnames in the internal-hostname annotation are published with the cluster IPs,
// whatever the type. Headless and NodePort Services need EndpointSlices and Nodes, which
// this function does not see: they yield a warning and, without a target annotation, no
// records.
//
// Every returned record is valid (endpoint.ValidateName, endpoint.ValidateTargets),
// refers to svc and carries the TTL, set identifier and provider-specific properties of
// its annotations. Any error Problem means no records at all. The result is sorted.
func ServiceEndpoints(svc *corev1.Service, o *Options) ([]*endpoint.Endpoint, []endpoint.Problem) {
	return serviceEndpoints(svc, o, "")
}

// serviceEndpoints is ServiceEndpoints for a Service read from the place named origin.
func serviceEndpoints(svc *corev1.Service, o *Options, origin string) ([]*endpoint.Endpoint, []endpoint.Problem) {
	if svc == nil || !o.selects(&svc.ObjectMeta) {
		return nil, nil
	}
	svcType := svc.Spec.Type
	if svcType == "" {
		svcType = corev1.ServiceTypeClusterIP
	}
	if o.serviceTypes != nil && !o.serviceTypes[svcType] {
		return nil, nil
	}
	ref := endpoint.ObjectRef{Kind: KindService, Namespace: svc.Namespace, Name: svc.Name, Source: origin}
	r, ok := newObjectResult(ref, &svc.ObjectMeta, o)
	if !ok {
		return nil, nil
	}
	var hostnames, internal []string
	if !o.ignoreHostnameAnnotation {
		hostnames = r.annotationHostnames(keyHostname)
		internal = r.annotationHostnames(keyInternalHostname)
	}
	if len(hostnames)+len(internal) == 0 || o.combineFQDN {
		hostnames = append(hostnames, r.templateHostnames(svc)...)
	}
	if len(hostnames) > 0 {
		targetOrigin, targets := r.targetAnnotation()
		if len(targets) == 0 {
			var unsupported error
			targetOrigin, targets, unsupported = serviceTargets(svc, svcType, o)
			if unsupported != nil {
				r.warn(unsupported)
			}
		}
		r.add(hostnames, r.targets(targetOrigin, targets))
	}
	if len(internal) > 0 {
		r.add(internal, r.targets("spec.clusterIPs", clusterIPs(svc)))
	}
	return r.result()
}

// serviceTargets returns the addresses a Service of type svcType is published with,
// and where they were read. The error says why a Service gets no records here.
func serviceTargets(svc *corev1.Service, svcType corev1.ServiceType, o *Options) (origin string, targets []string, unsupported error) {
	switch svcType {
	case corev1.ServiceTypeLoadBalancer:
		if len(svc.Spec.ExternalIPs) > 0 {
			return "spec.externalIPs", svc.Spec.ExternalIPs, nil
		}
		for _, in := range svc.Status.LoadBalancer.Ingress {
			targets = append(targets, in.IP, in.Hostname)
		}
		return "status.loadBalancer.ingress", targets, nil
	case corev1.ServiceTypeClusterIP:
		if svc.Spec.ClusterIP == corev1.ClusterIPNone {
			return "", nil, errors.New("headless Service: its records come from EndpointSlices, which this source does not read yet; no records")
		}
		if o.publishInternal {
			return "spec.clusterIPs", clusterIPs(svc), nil
		}
		return "", nil, nil
	case corev1.ServiceTypeNodePort:
		return "", nil, errors.New("NodePort Service: its records come from Node addresses, which this source does not read yet; no records")
	case corev1.ServiceTypeExternalName:
		if len(svc.Spec.ExternalIPs) > 0 {
			return "spec.externalIPs", svc.Spec.ExternalIPs, nil
		}
		return "spec.externalName", []string{svc.Spec.ExternalName}, nil
	}
	return "", nil, fmt.Errorf("unknown Service type %q; no records", svcType)
}

// clusterIPs returns the Service's cluster IPs (both families when dual-stack).
func clusterIPs(svc *corev1.Service) []string {
	ips := svc.Spec.ClusterIPs
	if len(ips) == 0 {
		ips = []string{svc.Spec.ClusterIP}
	}
	var out []string
	for _, ip := range ips {
		if ip != "" && ip != corev1.ClusterIPNone {
			out = append(out, ip)
		}
	}
	return out
}
