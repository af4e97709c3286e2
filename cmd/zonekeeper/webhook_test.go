package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/provider"
	"github.com/zonekeeper/zonekeeper/provider/webhook"
)

// freeAddress returns a loopback address nothing listens on now.
func freeAddress(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestWebhookCommand runs `zonekeeper webhook` over the inmemory provider: it becomes
// healthy, serves the protocol to zonekeeper's client, counts requests in /metrics, and
// exits 0 when its context ends (SIGTERM).
func TestWebhookCommand(t *testing.T) {
	serverAddr, healthAddr := freeAddress(t), freeAddress(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	exited := make(chan int, 1)
	go func() {
		exited <- execute(ctx, []string{"webhook", "--provider=inmemory", "--inmemory-zone=example.com", "--inmemory-zone=example.org",
			"--domain-filter=example.com", "--webhook-server-address=" + serverAddr, "--webhook-health-address=" + healthAddr},
			io.Discard, io.Discard, func(string) (string, bool) { return "", false })
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get("http://" + healthAddr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("not healthy within 10s: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}

	c, err := webhook.New(webhook.Config{URL: "http://" + serverAddr})
	if err != nil {
		t.Fatal(err)
	}
	zones, err := c.Zones(ctx)
	if err != nil || len(zones) != 1 || zones[0].Name != "example.com" {
		t.Fatalf("Zones: %v, %v; want example.com alone (--domain-filter)", zones, err)
	}
	rec := endpoint.New("www.example.com", "A", 300, "192.0.2.1")
	if err := c.Apply(ctx, zones[0], []provider.Change{{Records: []provider.RecordChange{{Op: provider.OpCreate, New: rec}}}}); err != nil {
		t.Fatal(err)
	}
	records, err := c.Records(ctx, zones[0])
	if err != nil || len(records) != 1 || records[0].String() != rec.String() {
		t.Fatalf("Records: %v, %v", records, err)
	}

	resp, err := http.Get("http://" + healthAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`zonekeeper_webhook_requests_total{code="204",route="apply"} 1`, `zonekeeper_webhook_requests_total{code="200",route="records"} 1`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	cancel()
	select {
	case code := <-exited:
		if code != 0 {
			t.Errorf("exit code %d after the context ended, want 0", code)
		}
	case <-time.After(webhookShutdownTimeout + 5*time.Second):
		t.Fatal("still serving after the context ended")
	}
}

// TestWebhookProviderFlags: --provider=webhook refuses an unsafe URL and an unbounded
// body size, and builds a client behind provider.Cached for the daemon.
func TestWebhookProviderFlags(t *testing.T) {
	for _, tt := range []struct {
		args    []string
		wantErr string
	}{
		{[]string{"--webhook-provider-url=http://192.0.2.10:8888"}, "--webhook-provider-insecure"},
		{[]string{"--webhook-provider-max-body-size=0"}, "--webhook-provider-max-body-size 0"},
		{[]string{"--webhook-provider-url=unix://relative"}, "unix:///absolute/path"},
		{[]string{"--webhook-provider-url=http://192.0.2.10:8888", "--webhook-provider-insecure"}, ""},
		{[]string{"--webhook-provider-url=unix:///run/provider.sock"}, ""},
	} {
		o := &options{}
		fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
		addFlags(fs, o)
		if err := fs.Parse(append([]string{"--provider=webhook"}, tt.args...)); err != nil {
			t.Fatal(err)
		}
		cfg, err := controllerConfig(o)
		if err != nil {
			t.Fatal(err)
		}
		p, err := buildProvider(o, cfg, modeDaemon, nil)
		switch {
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("%v: %v, want an error with %q", tt.args, err, tt.wantErr)
		case tt.wantErr == "" && err != nil:
			t.Errorf("%v: %v", tt.args, err)
		case tt.wantErr == "":
			if _, cached := p.(*provider.Cached); !cached {
				t.Errorf("%v: the daemon gets %T, want a *provider.Cached", tt.args, p)
			}
		}
	}
}
