package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/zonekeeper/zonekeeper/source"
)

// kubeconfigWithNamespace writes a kubeconfig whose current context has namespace ns.
func kubeconfigWithNamespace(t *testing.T, ns string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kubeconfig")
	data := `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "https://127.0.0.1:6443"}
users:
- name: u
  user: {token: t}
contexts:
- name: ctx
  context: {cluster: c, user: u, namespace: ` + ns + `}
current-context: ctx
`
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLeaderElectionConfig(t *testing.T) {
	kubeconfig := kubeconfigWithNamespace(t, "from-context")
	tests := []struct {
		name       string
		args       []string
		env        map[string]string
		kubeconfig string
		hostname   string
		// The expected namespace, Lease name and identity before the random suffix.
		wantNamespace, wantLease, wantIdentity string
		wantErr                                string
	}{
		{name: "defaults", env: map[string]string{"POD_NAMESPACE": "dns", "POD_NAME": "zonekeeper-7d9f-abcde"}, hostname: "node-1",
			wantNamespace: "dns", wantLease: "zonekeeper", wantIdentity: "zonekeeper-7d9f-abcde"},
		{name: "flags win", args: []string{"--leader-elect-namespace=ops", "--leader-elect-lease-name=zk-public"},
			env: map[string]string{"POD_NAMESPACE": "dns"}, kubeconfig: kubeconfig, hostname: "node-1",
			wantNamespace: "ops", wantLease: "zk-public", wantIdentity: "node-1"},
		{name: "namespace of the kubeconfig context", kubeconfig: kubeconfig, hostname: "laptop",
			wantNamespace: "from-context", wantLease: "zonekeeper", wantIdentity: "laptop"},
		{name: "no hostname", env: map[string]string{"POD_NAMESPACE": "dns"},
			wantErr: "leader election identity: $POD_NAME unset and no host name: no uts"},
		{name: "unreadable kubeconfig", kubeconfig: filepath.Join(t.TempDir(), "missing"), hostname: "h",
			wantErr: "--leader-elect-namespace not given, $POD_NAMESPACE unset, and the kubeconfig's namespace unreadable"},
		{name: "renew deadline not below lease duration", args: []string{"--leader-elect-lease-duration=10s"},
			env: map[string]string{"POD_NAMESPACE": "dns"}, hostname: "h",
			wantErr: "--leader-elect-*: the renew deadline (10s) must be shorter than the lease duration (10s)"},
		{name: "retry period not below renew deadline", args: []string{"--leader-elect-retry-period=10s"},
			env: map[string]string{"POD_NAMESPACE": "dns"}, hostname: "h",
			wantErr: "--leader-elect-*: the renew deadline (10s) must be longer than 1.2 times the retry period (10s)"},
		{name: "invalid lease name", args: []string{"--leader-elect-lease-name=ZK"},
			env: map[string]string{"POD_NAMESPACE": "dns"}, hostname: "h",
			wantErr: `--leader-elect-*: the Lease name "ZK" is not a valid object name`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := &leaderOptions{}
			fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
			addLeaderElectionFlags(fs, o)
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			lookup := func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok }
			hostname := func() (string, error) {
				if tt.hostname == "" {
					return "", errors.New("no uts")
				}
				return tt.hostname, nil
			}
			cfg, err := leaderElectionConfig(o, source.ClientConfig{Kubeconfig: tt.kubeconfig}, lookup, hostname)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Namespace != tt.wantNamespace || cfg.Name != tt.wantLease {
				t.Errorf("Lease %s/%s, want %s/%s", cfg.Namespace, cfg.Name, tt.wantNamespace, tt.wantLease)
			}
			base, suffix, _ := strings.Cut(cfg.Identity, "_")
			if base != tt.wantIdentity || suffix == "" {
				t.Errorf("identity %q, want %q and a random suffix", cfg.Identity, tt.wantIdentity+"_…")
			}
			if cfg.LeaseDuration != 15*time.Second || cfg.RenewDeadline != 10*time.Second || cfg.RetryPeriod != 2*time.Second {
				t.Errorf("durations %s/%s/%s, want the defaults 15s/10s/2s", cfg.LeaseDuration, cfg.RenewDeadline, cfg.RetryPeriod)
			}
		})
	}
}

// Two processes on one host, started from the same pod spec, must not share an identity.
func TestLeaderIdentitiesDiffer(t *testing.T) {
	env := func(string) (string, bool) { return "", false }
	host := func() (string, error) { return "node-1", nil }
	a, errA := identity(env, host)
	b, errB := identity(env, host)
	if errA != nil || errB != nil || a == b {
		t.Errorf("identities %q (%v) and %q (%v), want two different ones", a, errA, b, errB)
	}
}

func TestLeaderElectFlagsOnTheCommandLine(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		wantErr string
	}{
		{name: "bad durations", args: []string{"run", "--leader-elect", "--leader-elect-renew-deadline=20s", "--metrics-address="},
			env:     map[string]string{"POD_NAMESPACE": "dns"},
			wantErr: "--leader-elect-*: the renew deadline (20s) must be shorter than the lease duration (15s)"},
		{name: "bad durations from the environment", args: []string{"run", "--leader-elect", "--metrics-address="},
			env:     map[string]string{"POD_NAMESPACE": "dns", "ZONEKEEPER_LEADER_ELECT_RETRY_PERIOD": "9s"},
			wantErr: "must be longer than 1.2 times the retry period (9s)"},
		{name: "once", args: []string{"run", "--once", "--leader-elect"},
			wantErr: "--leader-elect applies to the daemon, not to --once"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, tt.env, append(tt.args, zoneArgs(t.TempDir())...)...)
			if r.code != 1 || !strings.Contains(r.stderr, tt.wantErr) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit 1 and %q", r.code, r.stderr, tt.wantErr)
			}
		})
	}
}
