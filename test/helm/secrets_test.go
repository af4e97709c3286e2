package helm

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// secretTakingFlags are the flags, of zonekeeper and of external-dns, whose value is a
// secret. On the command line ps shows it to every user of the node, and the Pod spec to
// everyone who may read Pods; the chart passes secrets as files or from Secrets instead.
var secretTakingFlags = []string{
	"--rfc2136-tsig-secret", "--txt-encrypt-aes-key", "--cloudflare-api-token", "--cloudflare-api-key",
	"--aws-access-key-id", "--aws-secret-access-key", "--rfc2136-kerberos-password", "--pdns-api-key",
	"--godaddy-api-secret", "--exoscale-apisecret", "--pihole-password",
}

// secretArg says whether arg passes a secret: a secret-taking flag with its value
// (--flag=value) or before it (--flag value).
func secretArg(arg string) bool {
	name, _, _ := strings.Cut(arg, "=")
	return slices.Contains(secretTakingFlags, name)
}

func TestSecretArg(t *testing.T) {
	for arg, want := range map[string]bool{
		"--rfc2136-tsig-secret=c2VjcmV0":                         true,
		"--rfc2136-tsig-secret":                                  true,
		"--rfc2136-tsig-secret-file=/etc/zonekeeper/tsig":        false,
		"--rfc2136-tsig-secret-alg=hmac-sha256":                  false,
		"--txt-encrypt-aes-key=MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3": true,
		"--txt-encrypt-enabled":                                  false,
	} {
		if got := secretArg(arg); got != want {
			t.Errorf("secretArg(%q) = %t, want %t", arg, got, want)
		}
	}
}

// TestNoSecretInArgs renders the chart with every values file in ci/ and with each
// provider's credentials configured every way the chart offers, and checks that no
// container of the pod, sidecars and init containers included, gets a secret in its
// args or command, nor a literal value in a variable that holds a secret.
func TestNoSecretInArgs(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(ChartDir(), "ci", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 4 {
		t.Fatalf("only %d values files in ci/", len(files))
	}
	cases := map[string][]string{"defaults": nil}
	for _, f := range files {
		cases[filepath.Base(f)] = []string{"-f", f}
	}
	set := func(kv ...string) []string {
		var out []string
		for _, s := range kv {
			out = append(out, "--set", s)
		}
		return out
	}
	cases["route53 keys from a Secret"] = set("provider.name=aws", "aws.credentials.secretName=aws-keys", "aws.credentials.mode=env")
	cases["route53 credentials file"] = set("provider.name=aws", "aws.credentials.secretName=aws-keys", "aws.credentials.mode=file")
	cases["cloudflare global API key"] = set("provider.name=cloudflare", "cloudflare.credentials.secretName=cf",
		"cloudflare.credentials.apiKeyKey=apiKey", "cloudflare.credentials.emailKey=email")
	cases["rfc2136 with TSIG and encrypted ownership"] = set("provider.name=rfc2136", "rfc2136.host={ns1.example.com}",
		"rfc2136.zones={example.com}", "rfc2136.tsigKeyname=zk", "rfc2136.tsigSecret.secretName=tsig",
		"txtEncryption.enabled=true", "txtEncryption.secretName=txt-key")
	for name, args := range cases {
		t.Run(name, func(t *testing.T) {
			objs := Template(t, release, namespace, args...)
			dep := deployment(t, objs)
			spec := dep.Spec.Template.Spec
			containers := slices.Concat(spec.InitContainers, spec.Containers)
			if len(containers) == 0 {
				t.Fatal("no containers rendered")
			}
			for _, c := range containers {
				checkNoSecretInContainer(t, c)
			}
		})
	}
}

func checkNoSecretInContainer(t *testing.T, c corev1.Container) {
	t.Helper()
	for _, arg := range slices.Concat(c.Command, c.Args) {
		if secretArg(arg) {
			t.Errorf("container %s: secret on the command line: %s", c.Name, arg)
		}
	}
	for _, e := range c.Env {
		if e.ValueFrom == nil && slices.Contains(secretEnv, e.Name) && !strings.HasPrefix(e.Value, "file:") {
			t.Errorf("container %s: variable %s holds a literal secret", c.Name, e.Name)
		}
	}
}
