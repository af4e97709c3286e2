package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/zonekeeper/zonekeeper/provider/internal/apitest"
)

func TestRunServesZones(t *testing.T) {
	out, stop := apitest.StartCommand(t, run, []string{"--listen", "127.0.0.1:0", "--zone", "example.com", "--private-zone", "internal.example"}, 3)
	if !strings.HasPrefix(out[0], "listening on http://127.0.0.1:") ||
		!strings.HasPrefix(out[1], "zone example.com Z") || !strings.HasPrefix(out[2], "zone internal.example Z") {
		t.Fatalf("output = %q", out)
	}
	url := strings.TrimPrefix(out[0], "listening on ")
	resp, err := http.Get(url + "/2013-04-01/hostedzone")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || strings.Count(string(body), "<HostedZone>") != 2 {
		t.Errorf("ListHostedZones: %d %s", resp.StatusCode, body)
	}
	if err := stop(); err != nil {
		t.Errorf("run after cancel: %v", err)
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--throttle-rate", "1.5"}, "--throttle-rate 1.5 is outside 0..1"},
		{[]string{"--throttle-rate", "0.6", "--server-error-rate", "0.6"}, "add up to more than 1"},
		{[]string{"--zone", ""}, "must not be empty"},
		{[]string{"extra"}, "unexpected arguments"},
	}
	for _, tc := range tests {
		err := run(context.Background(), append([]string{"--listen", "127.0.0.1:0"}, tc.args...), io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("run(%q) = %v, want an error containing %q", tc.args, err, tc.want)
		}
	}
}
