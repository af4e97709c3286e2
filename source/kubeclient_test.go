package source

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeKubeconfig(t *testing.T, path, server string) string {
	t.Helper()
	content := `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "` + server + `"}
users:
- name: u
  user: {token: t}
contexts:
- name: x
  context: {cluster: c, user: u}
current-context: x
`
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestClientConfigPrecedence(t *testing.T) {
	dir := t.TempDir()
	flagFile := writeKubeconfig(t, filepath.Join(dir, "flag"), "https://flag.example:6443")
	envFile := writeKubeconfig(t, filepath.Join(dir, "env"), "https://env.example:6443")
	home := filepath.Join(dir, "home")
	writeKubeconfig(t, filepath.Join(home, ".kube", "config"), "https://home.example:6443")
	emptyHome := filepath.Join(dir, "empty")
	tests := []struct {
		name      string
		config    ClientConfig
		env       string // $KUBECONFIG
		inCluster bool   // $KUBERNETES_SERVICE_HOST set
		home      string
		wantHost  string
		wantErr   []string
	}{
		{"--kubeconfig wins over everything", ClientConfig{Kubeconfig: flagFile}, envFile, true, home, "https://flag.example:6443", nil},
		{"$KUBECONFIG before in-cluster", ClientConfig{}, envFile, true, home, "https://env.example:6443", nil},
		{"$KUBECONFIG lists several files", ClientConfig{}, filepath.Join(dir, "missing") + string(os.PathListSeparator) + envFile, false, home, "https://env.example:6443", nil},
		{"in-cluster before the home file", ClientConfig{}, "", true, home, "", []string{"in-cluster", "KUBERNETES_SERVICE_HOST"}},
		{"the home file", ClientConfig{}, "", false, home, "https://home.example:6443", nil},
		{"--server overrides the file", ClientConfig{Server: "https://override.example"}, "", false, home, "https://override.example", nil},
		{"--server alone", ClientConfig{Server: "https://alone.example"}, "", false, emptyHome, "https://alone.example", nil},
		{"nothing at all", ClientConfig{}, "", false, emptyHome, "", []string{"--kubeconfig", "$KUBECONFIG", "KUBERNETES_SERVICE_HOST", filepath.Join(emptyHome, ".kube", "config")}},
		{"missing --kubeconfig", ClientConfig{Kubeconfig: filepath.Join(dir, "nope")}, envFile, false, home, "", []string{"--kubeconfig", filepath.Join(dir, "nope")}},
		{"$KUBECONFIG without a usable file", ClientConfig{}, filepath.Join(dir, "missing"), true, home, "", []string{"$KUBECONFIG", "missing"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("KUBECONFIG", tt.env)
			t.Setenv("HOME", tt.home)
			t.Setenv("KUBERNETES_SERVICE_HOST", "")
			if tt.inCluster {
				t.Setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1")
				t.Setenv("KUBERNETES_SERVICE_PORT", "443")
			}
			cfg, err := tt.config.REST()
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("REST() = host %s, want an error", cfg.Host)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not mention %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Host != tt.wantHost {
				t.Errorf("Host = %q, want %q", cfg.Host, tt.wantHost)
			}
		})
	}
}

func TestClientConfigLimits(t *testing.T) {
	file := writeKubeconfig(t, filepath.Join(t.TempDir(), "kc"), "https://k.example")
	cfg, err := ClientConfig{Kubeconfig: file, QPS: 50, Burst: 100, Timeout: 30 * time.Second, UserAgent: "zonekeeper/test"}.REST()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.QPS != 50 || cfg.Burst != 100 || cfg.Timeout != 30*time.Second || cfg.UserAgent != "zonekeeper/test" || cfg.BearerToken != "t" {
		t.Errorf("config %+v", cfg)
	}
}
