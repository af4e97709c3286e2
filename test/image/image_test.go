// Package image builds the offline container image (build.sh: FROM scratch, the
// static binary and Debian's CA bundle) with podman and runs it the way a cluster
// that swapped external-dns's image for zonekeeper's would: external-dns's
// arguments as they are, under the chart's securityContext.
//
// Without podman (or runc) the test is skipped, naming the packages to install,
// unless the environment variable CI is set: then it fails, so that CI cannot pass
// by skipping.
package image

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// tag is the image the test builds and runs; a fixed name, so repeated runs
// replace it instead of piling up images.
const tag = "localhost/zonekeeper:image-test"

// nonRoot is the uid and gid of the chart's securityContext.
const nonRoot = 65532

func dir() string {
	_, self, _, _ := goruntime.Caller(0)
	return filepath.Dir(self)
}

// podman returns the podman command with this folder's containers.conf, or skips
// (fails under CI) when podman or runc is missing.
func podman(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	for _, bin := range []string{"podman", "runc"} {
		if _, err := exec.LookPath(bin); err != nil {
			msg := fmt.Sprintf("%s is not installed (apt-get install -y podman runc; .ci/run installs them): %v", bin, err)
			if os.Getenv("CI") != "" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
	}
	cmd := exec.CommandContext(t.Context(), "podman", append([]string{"--runtime", "runc"}, args...)...)
	cmd.Env = append(os.Environ(), "CONTAINERS_CONF="+filepath.Join(dir(), "containers.conf"))
	return cmd
}

func run(t *testing.T, cmd *exec.Cmd) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\n%s%s", strings.Join(cmd.Args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String() + stderr.String()
}

const manifests = `apiVersion: v1
kind: Service
metadata:
  name: api
  namespace: shop
  annotations:
    external-dns.alpha.kubernetes.io/hostname: api.example.com
    external-dns.alpha.kubernetes.io/ttl: "60"
spec:
  type: LoadBalancer
status:
  loadBalancer:
    ingress:
      - ip: 192.0.2.20
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: shop
spec:
  rules:
    - host: www.example.com
status:
  loadBalancer:
    ingress:
      - hostname: lb.example.net
`

// TestOfflineImage builds the image, then runs it with external-dns's style of
// arguments (no subcommand, --log-level=warning) as the chart runs it: read-only
// root, uid and gid 65532, every capability dropped, no new privileges, and no
// network. The manifests and the zone folder are mounted volumes; the zone file
// the container writes must hold exactly the records and ownership TXT records
// external-dns would publish for them.
func TestOfflineImage(t *testing.T) {
	podman(t, "version") // skips here when podman is missing

	start := time.Now()
	build := exec.CommandContext(t.Context(), "bash", filepath.Join(dir(), "build.sh"), tag)
	build.Env = append(os.Environ(), "CONTAINERS_CONF="+filepath.Join(dir(), "containers.conf"))
	if got := strings.TrimSpace(run(t, build)); !strings.HasSuffix(got, tag) {
		t.Fatalf("build.sh printed %q, want %s", got, tag)
	}
	// Each run's image replaces the last under the tag; removing it keeps
	// untagged copies from piling up. Its layers are a copy of two files.
	t.Cleanup(func() {
		// Not podman(): the test's context is done by the time cleanups run.
		rmi := exec.Command("podman", "--runtime", "runc", "rmi", "--force", tag)
		rmi.Env = append(os.Environ(), "CONTAINERS_CONF="+filepath.Join(dir(), "containers.conf"))
		if out, err := rmi.CombinedOutput(); err != nil {
			t.Logf("podman rmi %s: %v\n%s", tag, err, out)
		}
	})
	size := strings.TrimSpace(run(t, podman(t, "image", "inspect", "--format", "{{.Size}}", tag)))
	t.Logf("image %s built in %s, %s bytes", tag, time.Since(start).Round(time.Millisecond), size)

	// The image holds the binary and the CA bundle, and runs as 65532 by itself.
	user := strings.TrimSpace(run(t, podman(t, "image", "inspect", "--format", "{{.Config.User}}", tag)))
	if user != "65532:65532" {
		t.Errorf("image user %q, want 65532:65532", user)
	}

	root := t.TempDir()
	in, zones := filepath.Join(root, "manifests"), filepath.Join(root, "zones")
	for _, d := range []string{in, zones} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(in, "objects.yaml"), []byte(manifests), 0o644); err != nil {
		t.Fatal(err)
	}
	// The container's uid must be able to write the zone folder, as a volume
	// with the chart's fsGroup would allow.
	if err := os.Chmod(zones, 0o777); err != nil {
		t.Fatal(err)
	}

	out := run(t, podman(t, "run", "--rm", "--network=none", "--read-only",
		"--user", fmt.Sprintf("%d:%d", nonRoot, nonRoot), "--cap-drop=ALL", "--security-opt", "no-new-privileges",
		"-v", in+":/manifests:ro", "-v", zones+":/zones",
		tag,
		// external-dns's argument style: no subcommand, logrus level names.
		"--source=manifest", "--manifest=/manifests", "--provider=zonefile", "--zonefile-dir=/zones",
		"--zonefile-zone=example.com", "--txt-owner-id=cluster-a", "--policy=sync", "--log-level=warning", "--once"))
	if strings.Contains(out, "level=info") {
		t.Errorf("--log-level=warning logged at info:\n%s", out)
	}

	path := filepath.Join(zones, "example.com.zone")
	info, err := os.Stat(path)
	if err != nil {
		t.Fatalf("no zone file written: %v\ncontainer output:\n%s", err, out)
	}
	if st, ok := info.Sys().(*syscall.Stat_t); !ok || st.Uid != nonRoot || st.Gid != nonRoot {
		t.Errorf("zone file owned by %+v, want %d:%d: the container did not run as the chart's user", info.Sys(), nonRoot, nonRoot)
	}
	got := records(t, path)
	owner := func(kind, obj string) string {
		return `"heritage=external-dns,external-dns/owner=cluster-a,external-dns/resource=` + kind + "/shop/" + obj + `"`
	}
	want := []string{
		"api.example.com. 60 A 192.0.2.20",
		"a-api.example.com. 300 TXT " + owner("service", "api"),
		"www.example.com. 300 CNAME lb.example.net.",
		"cname-www.example.com. 300 TXT " + owner("ingress", "web"),
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("zone records:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// records parses the zone file at path and returns its records other than SOA
// and NS as "name ttl type data", sorted.
func records(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	zp := dns.NewZoneParser(f, "example.com.", path)
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		h := rr.Header()
		if h.Rrtype == dns.TypeSOA || h.Rrtype == dns.TypeNS {
			continue
		}
		data := strings.TrimPrefix(rr.String(), h.String())
		out = append(out, h.Name+" "+strconv.FormatUint(uint64(h.Ttl), 10)+" "+dns.TypeToString[h.Rrtype]+" "+data)
	}
	if err := zp.Err(); err != nil {
		t.Fatalf("zone file %s: %v", path, err)
	}
	slices.Sort(out)
	return out
}
