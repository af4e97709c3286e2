package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/zonekeeper/zonekeeper/controller"
	"github.com/zonekeeper/zonekeeper/provider/cloudflare/cloudflaretest"
	"github.com/zonekeeper/zonekeeper/provider/route53/route53test"
)

// reconcileManifest builds the command's app for mode from args, with the Service in
// manifest as the only object, and runs one reconcile; it fails t unless the reconcile
// succeeds.
func reconcileManifest(t *testing.T, mode runMode, manifest string, args ...string) *controller.Report {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "svc.yaml"), []byte(manifest), 0o600); err != nil {
		t.Fatal(err)
	}
	a, _ := preparedApp(t, mode, dir, args...)
	rep, err := a.controller.RunOnce(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if err := rep.Err(); err != nil {
		t.Fatalf("reconcile: %v", err)
	}
	return rep
}

// A Service behind an AWS load balancer gets ALIAS A and AAAA records in Route53, in the
// daemon as in one-shot runs. The daemon's provider.Cached once dropped the provider's
// AdjustEndpoints and wrote a CNAME instead.
func TestDaemonWritesRoute53Alias(t *testing.T) {
	const manifest = `apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
  annotations:
    external-dns.kubernetes.io/hostname: web.example.com
spec:
  type: LoadBalancer
status:
  loadBalancer:
    ingress: [{hostname: my-lb-123.us-east-1.elb.amazonaws.com}]
`
	for _, mode := range []runMode{modeOneShot, modeDaemon} {
		em, url := route53test.Start(t, route53test.Options{})
		zone := em.CreateZone("example.com", route53test.ZoneOptions{})
		fakeAWSEnv(t)
		reconcileManifest(t, mode, manifest, "--provider=aws", "--aws-endpoint-url="+url, "--aws-batch-change-interval=0")
		var got []string
		for _, rs := range em.RecordSets(zone) {
			if *rs.Name == "web.example.com." {
				kind := string(rs.Type)
				if rs.AliasTarget != nil {
					kind += " ALIAS"
				}
				got = append(got, kind)
			}
		}
		slices.Sort(got)
		if want := []string{"A ALIAS", "AAAA ALIAS"}; !slices.Equal(got, want) {
			t.Errorf("mode %d: web.example.com holds %q, want %q", mode, got, want)
		}
	}
}

// A proxied record and its ownership record are written, in both modes: the registry
// once copied the proxied flag onto the ownership TXT, which the API refuses (code 9004).
func TestProxiedRecordIsWritten(t *testing.T) {
	const manifest = `apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
  annotations:
    external-dns.kubernetes.io/hostname: web.example.com
    external-dns.kubernetes.io/cloudflare-proxied: "true"
spec:
  type: LoadBalancer
status:
  loadBalancer:
    ingress: [{ip: 203.0.113.10}]
`
	for _, mode := range []runMode{modeOneShot, modeDaemon} {
		const token = "seam-token"
		em, url := cloudflaretest.Start(t, cloudflaretest.Options{Token: token})
		zone := em.CreateZone("example.com")
		t.Setenv("CF_API_TOKEN", token)
		reconcileManifest(t, mode, manifest, "--provider=cloudflare", "--cloudflare-api-url="+url, "--batch-change-interval=0")
		var proxied, ownership int
		for _, r := range em.Records(zone) {
			switch {
			case r.Name == "web.example.com" && r.Type == "A" && r.Proxied:
				proxied++
			case r.Name == "a-web.example.com" && r.Type == "TXT" && !r.Proxied:
				ownership++
			}
		}
		if proxied != 1 || ownership != 1 {
			t.Errorf("mode %d: %d proxied A records and %d unproxied ownership records, want 1 and 1: %+v", mode, proxied, ownership, em.Records(zone))
		}
	}
}
