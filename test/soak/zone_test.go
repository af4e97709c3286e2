package soak

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/zonekeeper/zonekeeper/registry"
)

// hostnameAnnotation is the key the churn's Services carry their name in.
const hostnameAnnotation = "external-dns.alpha.kubernetes.io/hostname"

// wanted is the A record one name should have: its addresses, sorted, and the object
// its ownership record names.
type wanted struct {
	ips      []string
	resource string
}

// desiredRecords computes what the churn's objects ask for, for the simple shapes the
// churn makes: Ingress rule hosts and Service hostname annotations, each with the
// status IPs of its object. A name asked for by several objects gets the union of
// their addresses and the first resource in sorted order, as COMPAT.md has it.
func desiredRecords(ingresses []networkingv1.Ingress, services []corev1.Service) map[string]wanted {
	out := map[string]wanted{}
	add := func(resource string, hosts, ips []string) {
		if len(ips) == 0 {
			return
		}
		for _, host := range hosts {
			host = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(host), "."))
			if host == "" {
				continue
			}
			w := out[host]
			w.ips = slices.Compact(slices.Sorted(slices.Values(append(slices.Clone(w.ips), ips...))))
			if w.resource == "" || resource < w.resource {
				w.resource = resource
			}
			out[host] = w
		}
	}
	for _, ing := range ingresses {
		var hosts, ips []string
		for _, r := range ing.Spec.Rules {
			hosts = append(hosts, r.Host)
		}
		for _, lb := range ing.Status.LoadBalancer.Ingress {
			if lb.IP != "" {
				ips = append(ips, lb.IP)
			}
		}
		add("ingress/"+ing.Namespace+"/"+ing.Name, hosts, ips)
	}
	for _, svc := range services {
		var ips []string
		for _, lb := range svc.Status.LoadBalancer.Ingress {
			if lb.IP != "" {
				ips = append(ips, lb.IP)
			}
		}
		add("service/"+svc.Namespace+"/"+svc.Name, strings.Split(svc.Annotations[hostnameAnnotation], ","), ips)
	}
	return out
}

// zoneDiff compares a zone transfer of zone with the records desired for owner id
// owner and with seeds, the records in presentation format (dns.RR.String) that were in
// the zone before the daemon ran and must stay byte for byte. It returns one line per
// difference, sorted; none means the zone is exactly right. The apex SOA and NS are
// ignored; TTLs of owned records are not compared.
func zoneDiff(zone, owner string, transfer []dns.RR, want map[string]wanted, seeds []string) []string {
	var diff []string
	seedNames := map[string]bool{}
	unseen := map[string]bool{}
	for _, s := range seeds {
		unseen[s] = true
		seedNames[strings.Fields(s)[0]] = true
	}
	addrs := map[string][]string{}
	txts := map[string][]string{}
	for _, rr := range transfer {
		h := rr.Header()
		if strings.EqualFold(h.Name, dns.Fqdn(zone)) && (h.Rrtype == dns.TypeSOA || h.Rrtype == dns.TypeNS) {
			continue
		}
		if seedNames[h.Name] {
			if unseen[rr.String()] {
				delete(unseen, rr.String())
			} else {
				diff = append(diff, "seed name has a record it did not have: "+rr.String())
			}
			continue
		}
		name := strings.ToLower(strings.TrimSuffix(h.Name, "."))
		switch rr := rr.(type) {
		case *dns.A:
			addrs[name] = append(addrs[name], rr.A.String())
		case *dns.TXT:
			txts[name] = append(txts[name], strings.Join(rr.Txt, ""))
		default:
			diff = append(diff, "unexpected record: "+rr.String())
		}
	}
	for s := range unseen {
		diff = append(diff, "seed record changed or gone: "+s)
	}

	for _, name := range slices.Sorted(maps.Keys(want)) {
		w := want[name]
		if got := slices.Sorted(slices.Values(addrs[name])); !slices.Equal(got, w.ips) {
			diff = append(diff, fmt.Sprintf("%s: A %v, want %v (%s)", name, got, w.ips, w.resource))
		}
		ownership := txts["a-"+name]
		if len(ownership) != 1 {
			diff = append(diff, fmt.Sprintf("%s: %d ownership TXT records %q, want one for owner %s, resource %s", name, len(ownership), ownership, owner, w.resource))
		} else if labels, ok := registry.ParseOwnership(ownership[0]); !ok || labels["owner"] != owner || labels["resource"] != w.resource {
			diff = append(diff, fmt.Sprintf("%s: ownership TXT %s, want owner %s, resource %s", name, ownership[0], owner, w.resource))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(addrs)) {
		if _, ok := want[name]; ok {
			continue
		}
		if _, owned := txts["a-"+name]; owned {
			diff = append(diff, fmt.Sprintf("%s: A %v and its ownership TXT %q left, no object asks for them", name, addrs[name], txts["a-"+name]))
		} else {
			diff = append(diff, fmt.Sprintf("%s: A %v without ownership TXT (orphaned record)", name, addrs[name]))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(txts)) {
		recordName, isOwnership := strings.CutPrefix(name, "a-")
		if _, ok := want[recordName]; isOwnership && ok {
			continue
		}
		if _, ok := addrs[recordName]; isOwnership && ok {
			continue // reported with its A record above
		}
		diff = append(diff, fmt.Sprintf("%s: TXT %q without the record it owns (orphaned ownership record)", name, txts[name]))
	}
	slices.Sort(diff)
	return diff
}
