package controller

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/zonekeeper/zonekeeper/plan"
	"github.com/zonekeeper/zonekeeper/provider/inmemory"
)

func TestHandler(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	src := &countingSource{}
	d := NewDaemon(newController(t, inmemory.New("example.com"), Config{Policy: plan.PolicySync}, src), DaemonConfig{}, m, nil)
	srv := httptest.NewServer(NewHandler(d, reg))
	defer srv.Close()

	get := func(method, path string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, string(body)
	}
	steps := []struct {
		name string
		// before runs ahead of the request: a reconcile, or nothing.
		before     func()
		method     string
		path       string
		wantStatus int
		wantBody   string
	}{
		{name: "alive from the start", method: http.MethodGet, path: "/healthz", wantStatus: http.StatusOK, wantBody: "ok\n"},
		{name: "not ready before the first reconcile", method: http.MethodGet, path: "/readyz",
			wantStatus: http.StatusServiceUnavailable, wantBody: "not ready: no reconcile has finished yet"},
		{name: "ready after a good reconcile", before: func() { d.reconcile(context.Background()) },
			method: http.MethodGet, path: "/readyz", wantStatus: http.StatusOK, wantBody: "ok\n"},
		{name: "metrics", method: http.MethodGet, path: "/metrics", wantStatus: http.StatusOK,
			wantBody: `zonekeeper_reconciles_total{result="success"} 1`},
		{name: "not ready after a source error", before: func() {
			src.err = errors.New("ingress cache not synced")
			d.reconcile(context.Background())
		}, method: http.MethodGet, path: "/readyz", wantStatus: http.StatusServiceUnavailable,
			wantBody: "not ready: the last reconcile failed: a source could not be read: ingress cache not synced"},
		{name: "alive while not ready", method: http.MethodGet, path: "/healthz", wantStatus: http.StatusOK, wantBody: "ok\n"},
		{name: "unknown path", method: http.MethodGet, path: "/debug", wantStatus: http.StatusNotFound},
		{name: "wrong method", method: http.MethodPost, path: "/healthz", wantStatus: http.StatusMethodNotAllowed},
	}
	for _, s := range steps {
		if s.before != nil {
			s.before()
		}
		status, body := get(s.method, s.path)
		if status != s.wantStatus || !strings.Contains(body, s.wantBody) {
			t.Errorf("%s: %s %s = %d %q, want %d with %q", s.name, s.method, s.path, status, body, s.wantStatus, s.wantBody)
		}
	}
}
