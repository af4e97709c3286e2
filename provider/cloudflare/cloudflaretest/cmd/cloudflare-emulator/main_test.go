package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/zonekeeper/zonekeeper/provider/internal/apitest"
)

func TestRunServesUntilCancelled(t *testing.T) {
	lines, stop := apitest.StartCommand(t, run, []string{"--listen", "127.0.0.1:0", "--zone", "example.com", "--zone", "example.org", "--token", "tok"}, 3)
	var baseURL string
	zones := map[string]string{}
	for _, line := range lines {
		if url, ok := strings.CutPrefix(line, "listening on "); ok {
			baseURL = url
		} else if f := strings.Fields(line); len(f) == 3 && f[0] == "zone" {
			zones[f[1]] = f[2]
		}
	}
	if baseURL == "" || len(zones["example.com"]) != 32 || len(zones["example.org"]) != 32 {
		t.Fatalf("printed base URL %q and zones %v", baseURL, zones)
	}

	req, _ := http.NewRequest(http.MethodGet, baseURL+"/zones?name=example.org", nil)
	req.Header.Set("Authorization", "Bearer tok")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var body struct {
		Success bool `json:"success"`
		Result  []struct {
			ID string `json:"id"`
		} `json:"result"`
	}
	err = json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	if err != nil || !body.Success || len(body.Result) != 1 || body.Result[0].ID != zones["example.org"] {
		t.Errorf("zones list = %+v, %v", body, err)
	}

	if err := stop(); err != nil {
		t.Errorf("run after cancel: %v", err)
	}
}

func TestRunRefusesBadFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--rate-limit-rate", "0.7", "--server-error-rate", "0.5"}, "add up to at most 1"},
		{[]string{"--listen", "not an address"}, "listen on not an address"},
		{[]string{"extra"}, "unexpected arguments"},
		{[]string{"--bogus"}, "unknown flag"},
	}
	for _, tt := range tests {
		err := run(context.Background(), tt.args, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("run %v = %v, want an error containing %q", tt.args, err, tt.want)
		}
	}
}
