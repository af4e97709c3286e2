package source

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// slice is an EndpointSlice of Service prod/svc.
func slice(addressType discoveryv1.AddressType, eps ...discoveryv1.Endpoint) *discoveryv1.EndpointSlice {
	return &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{
			Name: "svc-" + string(addressType), Namespace: "prod",
			Labels: map[string]string{discoveryv1.LabelServiceName: "svc"},
		},
		AddressType: addressType,
		Endpoints:   eps,
	}
}

// ep is an endpoint of pod on node; ready nil means unknown.
func ep(address, pod, node string, ready *bool) discoveryv1.Endpoint {
	e := discoveryv1.Endpoint{Addresses: []string{address}, Conditions: discoveryv1.EndpointConditions{Ready: ready}}
	if pod != "" {
		e.TargetRef = &corev1.ObjectReference{Kind: "Pod", Name: pod}
	}
	if node != "" {
		e.NodeName = &node
	}
	return e
}

func pod(name, hostname string, hostIPs ...string) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "prod"}, Spec: corev1.PodSpec{Hostname: hostname}}
	for _, ip := range hostIPs {
		p.Status.HostIPs = append(p.Status.HostIPs, corev1.HostIP{IP: ip})
	}
	return p
}

func node(name string, addresses ...corev1.NodeAddress) *corev1.Node {
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}, Status: corev1.NodeStatus{Addresses: addresses}}
}

func extIP(a string) corev1.NodeAddress {
	return corev1.NodeAddress{Type: corev1.NodeExternalIP, Address: a}
}
func intIP(a string) corev1.NodeAddress {
	return corev1.NodeAddress{Type: corev1.NodeInternalIP, Address: a}
}

var (
	yes = func() *bool { b := true; return &b }()
	no  = func() *bool { b := false; return &b }()
)

func TestHeadless(t *testing.T) {
	host := newPrefix + "hostname"
	headless := corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, ClusterIP: corev1.ClusterIPNone}
	notReadyToo := headless
	notReadyToo.PublishNotReadyAddresses = true
	pods := []*corev1.Pod{pod("web-0", "web-0", "198.51.100.1"), pod("web-1", "", "198.51.100.2", "2001:db8:1::2"), pod("other", "x")}
	nodes := []*corev1.Node{
		node("n1", extIP("203.0.113.1"), extIP("2001:db8:f::1"), intIP("10.1.0.1")),
		node("n2", intIP("10.1.0.2")),
	}
	v4 := slice(discoveryv1.AddressTypeIPv4,
		ep("10.0.0.1", "web-0", "n1", yes),
		ep("10.0.0.2", "web-1", "n2", nil),
		ep("10.0.0.3", "gone", "n2", no),
	)
	v6 := slice(discoveryv1.AddressTypeIPv6, ep("fd00::1", "web-0", "n1", yes))
	fqdn := slice(discoveryv1.AddressTypeFQDN, ep("x.example.net", "", "", yes))
	tests := []struct {
		name         string
		annotations  map[string]string
		spec         corev1.ServiceSpec
		slices       []*discoveryv1.EndpointSlice
		want         []string
		wantProblems []problemCheck
	}{
		{
			name:        "ready addresses of both families, pod hostname records, FQDN slices skipped",
			annotations: map[string]string{host: "svc.example.com"},
			spec:        headless,
			slices:      []*discoveryv1.EndpointSlice{v4, v6, fqdn},
			want: []string{
				"svc.example.com A 10.0.0.1,10.0.0.2",
				"svc.example.com AAAA fd00::1",
				"web-0.svc.example.com A 10.0.0.1",
				"web-0.svc.example.com AAAA fd00::1",
			},
		},
		{
			name:        "publishNotReadyAddresses adds not-ready endpoints",
			annotations: map[string]string{host: "svc.example.com"},
			spec:        notReadyToo,
			slices:      []*discoveryv1.EndpointSlice{v4},
			want:        []string{"svc.example.com A 10.0.0.1,10.0.0.2,10.0.0.3", "web-0.svc.example.com A 10.0.0.1"},
		},
		{
			name:        "NodeExternalIP: the ExternalIPs of the endpoints' Nodes",
			annotations: map[string]string{host: "svc.example.com", alphaPrefix + "endpoints-type": "NodeExternalIP"},
			spec:        headless,
			slices:      []*discoveryv1.EndpointSlice{v4},
			want: []string{
				"svc.example.com A 203.0.113.1",
				"svc.example.com AAAA 2001:db8:f::1",
				"web-0.svc.example.com A 203.0.113.1",
				"web-0.svc.example.com AAAA 2001:db8:f::1",
			},
		},
		{
			name:        "HostIP: the host IPs of the endpoints' Pods",
			annotations: map[string]string{host: "svc.example.com", newPrefix + "endpoints-type": "HostIP"},
			spec:        headless,
			slices:      []*discoveryv1.EndpointSlice{v4},
			want: []string{
				"svc.example.com A 198.51.100.1,198.51.100.2",
				"svc.example.com AAAA 2001:db8:1::2",
				"web-0.svc.example.com A 198.51.100.1",
			},
		},
		{
			name:         "unknown endpoints-type: warning, endpoint addresses",
			annotations:  map[string]string{host: "svc.example.com", newPrefix + "endpoints-type": "hostip"},
			spec:         headless,
			slices:       []*discoveryv1.EndpointSlice{v6},
			want:         []string{"svc.example.com AAAA fd00::1", "web-0.svc.example.com AAAA fd00::1"},
			wantProblems: []problemCheck{warning("endpoints-type", `"hostip"`, "NodeExternalIP")},
		},
		{
			name:         "no endpoints: no records, a warning",
			annotations:  map[string]string{host: "svc.example.com"},
			spec:         headless,
			wantProblems: []problemCheck{warning("svc.example.com", "no address to publish")},
		},
		{
			name:        "wildcard hostname gets no pod hostname records",
			annotations: map[string]string{host: "*.svc.example.com"},
			spec:        headless,
			slices:      []*discoveryv1.EndpointSlice{v6},
			want:        []string{"*.svc.example.com AAAA fd00::1"},
		},
		{
			name:        "target annotation wins",
			annotations: map[string]string{host: "svc.example.com", newPrefix + "target": "192.0.2.1"},
			spec:        headless,
			slices:      []*discoveryv1.EndpointSlice{v4},
			want:        []string{"svc.example.com A 192.0.2.1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "svc", Namespace: "prod", Annotations: tt.annotations}, Spec: tt.spec}
			c := NewObjectCluster(tt.slices, pods, nodes)
			eps, problems := ServiceEndpoints(svc, mustCompile(t, Config{}), c)
			checkResult(t, eps, problems, tt.want, tt.wantProblems)
		})
	}
}

func TestNodePort(t *testing.T) {
	host := newPrefix + "hostname"
	ports := []corev1.ServicePort{
		{Name: "http", Protocol: corev1.ProtocolTCP, Port: 80, NodePort: 30080},
		{Name: "alt", Port: 81, NodePort: 30081},
		{Name: "dns", Protocol: corev1.ProtocolUDP, Port: 53, NodePort: 30053},
		{Name: "unallocated", Protocol: corev1.ProtocolTCP, Port: 82},
	}
	cluster := corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort, ClusterIP: "10.0.0.9", Ports: ports}
	local := cluster
	local.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
	withExternal := []*corev1.Node{
		node("n1", extIP("203.0.113.1"), intIP("10.1.0.1")),
		node("n2", extIP("203.0.113.2"), extIP("2001:db8::2"), intIP("10.1.0.2")),
		node("n3", intIP("10.1.0.3")),
	}
	internalOnly := []*corev1.Node{node("n1", intIP("10.1.0.1")), node("n2", intIP("10.1.0.2"))}
	endpoints := []*discoveryv1.EndpointSlice{slice(discoveryv1.AddressTypeIPv4,
		ep("10.0.0.1", "p1", "n1", yes), ep("10.0.0.2", "p2", "n2", no), ep("10.0.0.3", "p3", "n3", nil))}
	tests := []struct {
		name         string
		config       Config
		annotations  map[string]string
		spec         corev1.ServiceSpec
		nodes        []*corev1.Node
		want         []string
		wantProblems []problemCheck
	}{
		{
			name:        "ExternalIPs of every Node",
			annotations: map[string]string{host: "np.example.com"},
			spec:        cluster,
			nodes:       withExternal,
			want:        []string{"np.example.com A 203.0.113.1,203.0.113.2", "np.example.com AAAA 2001:db8::2"},
		},
		{
			name:        "no Node has an ExternalIP: InternalIPs",
			annotations: map[string]string{host: "np.example.com"},
			spec:        cluster,
			nodes:       internalOnly,
			want:        []string{"np.example.com A 10.1.0.1,10.1.0.2"},
		},
		{
			name:        "access private: InternalIPs",
			annotations: map[string]string{host: "np.example.com", alphaPrefix + "access": "private"},
			spec:        cluster,
			nodes:       withExternal,
			want:        []string{"np.example.com A 10.1.0.1,10.1.0.2,10.1.0.3"},
		},
		{
			name:         "access public: ExternalIPs only, never InternalIPs",
			annotations:  map[string]string{host: "np.example.com", newPrefix + "access": "public"},
			spec:         cluster,
			nodes:        internalOnly,
			wantProblems: []problemCheck{warning("np.example.com", "no address to publish")},
		},
		{
			name:         "unknown access: warning, the default",
			annotations:  map[string]string{host: "np.example.com", newPrefix + "access": "Private"},
			spec:         cluster,
			nodes:        internalOnly,
			want:         []string{"np.example.com A 10.1.0.1,10.1.0.2"},
			wantProblems: []problemCheck{warning("access", `"Private"`)},
		},
		{
			name:        "externalTrafficPolicy Local: only Nodes with a ready endpoint",
			annotations: map[string]string{host: "np.example.com"},
			spec:        local,
			nodes:       withExternal,
			want:        []string{"np.example.com A 203.0.113.1"},
		},
		{
			name:        "Local, the ready Nodes lack ExternalIPs: their InternalIPs",
			annotations: map[string]string{host: "np.example.com"},
			spec:        local,
			nodes:       []*corev1.Node{node("n1", intIP("10.1.0.1")), node("n2", extIP("203.0.113.2"))},
			want:        []string{"np.example.com A 10.1.0.1"},
		},
		{
			name:        "SRV per protocol when SRV is managed; wildcards get none",
			config:      Config{ManagedTypes: []string{"A", "srv"}},
			annotations: map[string]string{host: "np.example.com,*.w.example.com"},
			spec:        cluster,
			nodes:       internalOnly,
			want: []string{
				"*.w.example.com A 10.1.0.1,10.1.0.2",
				"_svc._tcp.np.example.com SRV 0 50 30080 np.example.com,0 50 30081 np.example.com",
				"_svc._udp.np.example.com SRV 0 50 30053 np.example.com",
				"np.example.com A 10.1.0.1,10.1.0.2",
			},
		},
		{
			name:         "no Nodes: no records, a warning",
			annotations:  map[string]string{host: "np.example.com"},
			spec:         cluster,
			wantProblems: []problemCheck{warning("np.example.com", "no address to publish")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "svc", Namespace: "prod", Annotations: tt.annotations}, Spec: tt.spec}
			eps, problems := ServiceEndpoints(svc, mustCompile(t, tt.config), NewObjectCluster(endpoints, nil, tt.nodes))
			checkResult(t, eps, problems, tt.want, tt.wantProblems)
		})
	}
}

func TestClusterNeeds(t *testing.T) {
	host := map[string]string{newPrefix + "hostname": "svc.example.com"}
	tests := []struct {
		name        string
		config      Config
		annotations map[string]string
		spec        corev1.ServiceSpec
		want        []kubeResource
	}{
		{"LoadBalancer needs nothing", Config{}, host, corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer}, nil},
		{"headless needs slices and pods", Config{}, host, corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone},
			[]kubeResource{resourceEndpointSlices, resourcePods}},
		{"headless NodeExternalIP also nodes", Config{},
			map[string]string{newPrefix + "hostname": "svc.example.com", newPrefix + "endpoints-type": "NodeExternalIP"},
			corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone},
			[]kubeResource{resourceEndpointSlices, resourceNodes, resourcePods}},
		{"headless without hostname needs nothing", Config{}, nil, corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone}, nil},
		{"headless filtered out by type", Config{ServiceTypeFilter: []string{"LoadBalancer"}}, host, corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone}, nil},
		{"NodePort needs nodes", Config{}, host, corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort}, []kubeResource{resourceNodes}},
		{"NodePort Local also slices", Config{}, host,
			corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort, ExternalTrafficPolicy: corev1.ServiceExternalTrafficPolicyLocal},
			[]kubeResource{resourceEndpointSlices, resourceNodes}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "svc", Namespace: "prod", Annotations: tt.annotations}, Spec: tt.spec}
			got := clusterNeeds(svc, mustCompile(t, tt.config))
			if len(got) != len(tt.want) {
				t.Fatalf("clusterNeeds = %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("clusterNeeds = %v, want %v", got, tt.want)
				}
			}
		})
	}
}
