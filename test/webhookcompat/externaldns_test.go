// Package webhookcompat runs zonekeeper's webhook client against webhook providers
// zonekeeper's team did not write.
package webhookcompat

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zonekeeper/zonekeeper/provider"
	"github.com/zonekeeper/zonekeeper/provider/providertest"
	"github.com/zonekeeper/zonekeeper/provider/webhook"
	"github.com/zonekeeper/zonekeeper/test/dnsserver"
	"github.com/zonekeeper/zonekeeper/test/internal/child"
)

// externalDNSCases are the conformance cases external-dns's RFC2136 provider, served by
// external-dns's own webhook server, passes. Left out, each for a fact of external-dns
// v0.23.0's provider/rfc2136 (seen against BIND9, and in its source):
//   - RefusedChanges, AtomicChange: it sends UPDATEs without prerequisites, so a create
//     of an existing RRset adds to it and a delete of a missing one succeeds; it refuses
//     nothing, so there is nothing to isolate.
//   - OwnershipSettings: it has no provider settings to refuse.
//   - LongTXT: it returns each character-string of a TXT record as a target of its own,
//     so a value over 255 bytes comes back in pieces.
//   - OthersUntouched: it reads back only A, AAAA, CNAME, DNAME, TXT, NS and PTR
//     records, so the MX record this case writes for another owner never comes back.
//   - MultipleZones: it picks a record's zone by string suffix (findMsgZone), so
//     www.badexample.com goes to example.com and BIND refuses the UPDATE (NOTZONE).
var externalDNSCases = []string{
	"Lifecycle", "Idempotent", "Bulk", "Wildcard", "Apex", "IDN",
	"MixedTypes", "ConcurrentRecords",
}

// TestExternalDNSWebhookServer runs zonekeeper's webhook client against a webhook provider
// zonekeeper's team did not write: external-dns v0.23.0 in its own --webhook-server mode,
// built from its published module (test/externaldns-webhook), serving its RFC2136
// provider over a real BIND9. The conformance cases that provider supports pass, in both
// modes, which includes a record set converging to a plan of no changes.
func TestExternalDNSWebhookServer(t *testing.T) {
	bin := externalDNSWebhookBinary(t)
	newClient := func(t *testing.T, zones []string) provider.Provider {
		srv := dnsserver.StartT(t, dnsserver.BIND9, dnsserver.Config{Zones: zones})
		args := []string{
			// external-dns's flag parser demands a source even in this mode, which reads none.
			"--webhook-server", "--source=service", "--provider=rfc2136",
			"--rfc2136-host=" + srv.Host, "--rfc2136-port=" + strconv.Itoa(srv.Port),
			"--rfc2136-tsig-keyname=" + strings.TrimSuffix(srv.KeyName, "."),
			"--rfc2136-tsig-secret=" + srv.Secret,
			"--rfc2136-tsig-secret-alg=" + srv.Algorithm,
			"--rfc2136-tsig-axfr",
		}
		for _, z := range srv.Zones {
			args = append(args, "--rfc2136-zone="+z, "--domain-filter="+z)
		}
		// external-dns's RFC2136 provider announces no domain filter at negotiation (as
		// many webhook providers do), so the zones are zonekeeper's --domain-filter.
		c, err := webhook.New(webhook.Config{URL: startExternalDNSWebhook(t, bin, args), FallbackZones: srv.Zones})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	daemon := func(t *testing.T, zones []string) provider.Provider {
		return provider.NewCachedWith(newClient(t, zones), provider.CacheConfig{MaxAge: time.Minute})
	}
	providertest.RunModes(t,
		providertest.Mode{Name: "one-shot", Harness: providertest.Harness{New: newClient, Cases: externalDNSCases}},
		providertest.Mode{Name: "daemon", Harness: providertest.Harness{New: daemon, Cases: externalDNSCases}},
	)
}

// externalDNSWebhookBinary builds (or finds built) external-dns's webhook server.
func externalDNSWebhookBinary(t *testing.T) string {
	t.Helper()
	_, self, _, _ := runtime.Caller(0)
	script := filepath.Join(filepath.Dir(self), "..", "..", "test", "externaldns-webhook", "build.sh")
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(t.Context(), script)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("building external-dns's webhook server (make externaldns-webhook-bin): %v\n%s", err, stderr.String())
	}
	return strings.TrimSpace(stdout.String())
}

// startExternalDNSWebhook runs bin with args on a free loopback port until the test ends,
// and returns its URL once it answers the negotiation.
func startExternalDNSWebhook(t *testing.T, bin string, args []string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	var logs bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "EXTERNALDNS_WEBHOOK_LISTEN="+addr)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	done, err := child.Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		for range done {
		}
		if t.Failed() {
			t.Logf("external-dns webhook server's log:\n%s", logs.String())
		}
	})
	url := "http://" + addr
	deadline := time.Now().Add(20 * time.Second)
	for {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, url+"/", nil)
		req.Header.Set("Accept", webhook.MediaType)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return url
			}
			err = fmt.Errorf("status %s", resp.Status)
		}
		select {
		case err, ok := <-done:
			if !ok {
				err = fmt.Errorf("exited")
			}
			t.Fatalf("external-dns's webhook server exited: %v\n%s", err, logs.String())
		default:
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			for range done {
			}
			t.Fatalf("external-dns's webhook server at %s did not answer: %v\n%s", addr, err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
