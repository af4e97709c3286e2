package child

import "strings"

// CleanEnv returns env (as os.Environ gives it) without the variables that would
// reconfigure a zonekeeper child behind its flags' back: flag values set as
// EXTERNAL_DNS_<FLAG> or ZONEKEEPER_<FLAG>, and KUBECONFIG and KUBERNETES_SERVICE_HOST,
// which steer its kubeconfig and in-cluster lookups. The other variables keep their
// order; env is not modified.
func CleanEnv(env []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "EXTERNAL_DNS_") || strings.HasPrefix(name, "ZONEKEEPER_") ||
			name == "KUBECONFIG" || name == "KUBERNETES_SERVICE_HOST" {
			continue
		}
		out = append(out, kv)
	}
	return out
}
