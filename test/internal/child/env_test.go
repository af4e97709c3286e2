package child

import (
	"slices"
	"testing"
)

func TestCleanEnv(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []string
		want []string
	}{
		{"empty", nil, []string{}},
		{"unrelated variables kept in order", []string{"PATH=/bin", "HOME=/root", "GOFLAGS=-race"}, []string{"PATH=/bin", "HOME=/root", "GOFLAGS=-race"}},
		{"upstream flag values dropped", []string{"EXTERNAL_DNS_TXT_OWNER_ID=x", "PATH=/bin"}, []string{"PATH=/bin"}},
		{"own flag values dropped", []string{"ZONEKEEPER_RFC2136_TSIG_SECRET=s", "PATH=/bin", "ZONEKEEPER_E2E_CACHE=/c"}, []string{"PATH=/bin"}},
		{"kubeconfig and in-cluster lookups dropped", []string{"KUBECONFIG=/k", "KUBERNETES_SERVICE_HOST=10.0.0.1", "HOME=/root"}, []string{"HOME=/root"}},
		{"only exact names dropped", []string{"KUBECONFIG_OLD=/k", "KUBERNETES_SERVICE_PORT=443", "MY_ZONEKEEPER_X=1"}, []string{"KUBECONFIG_OLD=/k", "KUBERNETES_SERVICE_PORT=443", "MY_ZONEKEEPER_X=1"}},
		{"name matched, not value", []string{"X=ZONEKEEPER_Y", "KUBECONFIG"}, []string{"X=ZONEKEEPER_Y"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := slices.Clone(tc.in)
			if got := CleanEnv(in); !slices.Equal(got, tc.want) {
				t.Errorf("CleanEnv(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if !slices.Equal(in, tc.in) {
				t.Errorf("CleanEnv modified its input: %q, was %q", in, tc.in)
			}
		})
	}
}
