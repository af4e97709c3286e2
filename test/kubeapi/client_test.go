package kubeapi

import (
	"testing"

	"k8s.io/client-go/rest"
)

func TestFastClient(t *testing.T) {
	cfg := &rest.Config{Host: "https://127.0.0.1:6443", QPS: 5, Burst: 10}
	client, err := FastClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if qps := client.CoreV1().RESTClient().GetRateLimiter().QPS(); qps < 1000 {
		t.Errorf("client-side limit %v QPS, want at least 1000", qps)
	}
	if cfg.QPS != 5 || cfg.Burst != 10 || cfg.WarningHandler != nil {
		t.Errorf("FastClient modified its argument: QPS %v, Burst %d, WarningHandler %v", cfg.QPS, cfg.Burst, cfg.WarningHandler)
	}
}

func TestFastClientRejectsBadConfig(t *testing.T) {
	if _, err := FastClient(&rest.Config{Host: "http://[::1"}); err == nil {
		t.Error("FastClient accepted a host that is no URL")
	}
}
