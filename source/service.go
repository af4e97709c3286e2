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
//	headless      the ready endpoint addresses of its EndpointSlices (all of them with
//	              publishNotReadyAddresses), or by the endpoints-type annotation the
//	              ExternalIPs of their Nodes or the host IPs of their Pods; and
//	              <pod spec.hostname>.<hostname> with the addresses of that Pod
//	NodePort      Node ExternalIPs, else InternalIPs (the access annotation chooses);
//	              with externalTrafficPolicy Local only Nodes running an endpoint of
//	              the best readiness (see addNodePort); without unschedulable Nodes
//	              unless ExcludeUnschedulable is off;
//	              plus SRV _<name>._<protocol>.<hostname> "0 50 <nodePort> <hostname>"
//	              per port when SRV is among ManagedTypes
//	ExternalName  spec.externalIPs, else spec.externalName (CNAME)
//
// Hostnames in the internal-hostname annotation are published the same way, except that
// LoadBalancer and ClusterIP Services publish them with spec.clusterIP (with
// PublishInternalServices or not), as external-dns does: the target annotation applies
// to them, a headless Service publishes its endpoints under them, a NodePort Service its
// Nodes. Headless and NodePort Services read the other objects from c; with
// a nil c they yield a warning and, without a target annotation, no records.
//
// Every returned record is valid (endpoint.ValidateName, endpoint.ValidateTargets),
// refers to svc and carries the TTL, set identifier and provider-specific properties of
// its annotations. Any error Problem means no records at all. The result is sorted.
func ServiceEndpoints(svc *corev1.Service, o *Options, c Cluster) ([]*endpoint.Endpoint, []endpoint.Problem) {
	return serviceEndpoints(svc, o, c, "")
}

// serviceEndpoints is ServiceEndpoints for a Service read from the place named origin.
func serviceEndpoints(svc *corev1.Service, o *Options, c Cluster, origin string) ([]*endpoint.Endpoint, []endpoint.Problem) {
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
	for _, set := range []struct {
		names    []string
		internal bool
	}{{hostnames, false}, {internal, true}} {
		if len(set.names) == 0 {
			continue
		}
		if targetOrigin, targets := r.targetAnnotation(); len(targets) > 0 {
			r.add(set.names, r.targets(targetOrigin, targets))
		} else {
			r.addTypeTargets(svc, svcType, set.names, c, set.internal)
		}
	}
	return r.result()
}

// addTypeTargets publishes hostnames with the addresses a Service of type svcType has.
// Internal hostnames differ only for LoadBalancer and non-headless ClusterIP Services,
// which they publish with spec.clusterIP (one address, never the second family of a
// dual-stack Service), as external-dns does.
func (r *objectResult) addTypeTargets(svc *corev1.Service, svcType corev1.ServiceType, hostnames []string, c Cluster, internal bool) {
	if internal && svc.Spec.ClusterIP != corev1.ClusterIPNone &&
		(svcType == corev1.ServiceTypeLoadBalancer || svcType == corev1.ServiceTypeClusterIP) {
		r.add(hostnames, r.targets("spec.clusterIP", nonEmpty(svc.Spec.ClusterIP)))
		return
	}
	switch svcType {
	case corev1.ServiceTypeLoadBalancer:
		if len(svc.Spec.ExternalIPs) > 0 {
			r.add(hostnames, r.targets("spec.externalIPs", svc.Spec.ExternalIPs))
			return
		}
		var targets []string
		for _, in := range svc.Status.LoadBalancer.Ingress {
			targets = append(targets, in.IP, in.Hostname)
		}
		r.add(hostnames, r.targets("status.loadBalancer.ingress", targets))
	case corev1.ServiceTypeClusterIP:
		switch {
		case svc.Spec.ClusterIP != corev1.ClusterIPNone:
			if r.opts.publishInternal {
				r.add(hostnames, r.targets("spec.clusterIPs", clusterIPs(svc)))
			}
		case c == nil:
			r.warn(errors.New("headless Service: its records come from EndpointSlices and Pods, which this source does not read; no records"))
		default:
			r.addHeadless(svc, hostnames, c)
		}
	case corev1.ServiceTypeNodePort:
		if c == nil {
			r.warn(errors.New("NodePort Service: its records come from Node addresses and EndpointSlices, which this source does not read; no records"))
			return
		}
		r.addNodePort(svc, hostnames, c)
	case corev1.ServiceTypeExternalName:
		if len(svc.Spec.ExternalIPs) > 0 {
			r.add(hostnames, r.targets("spec.externalIPs", svc.Spec.ExternalIPs))
			return
		}
		r.add(hostnames, r.targets("spec.externalName", []string{svc.Spec.ExternalName}))
	default:
		r.warn(fmt.Errorf("unknown Service type %s; no records", endpoint.Quote(string(svcType))))
	}
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
