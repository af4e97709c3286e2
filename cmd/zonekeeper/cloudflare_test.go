package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/zonekeeper/zonekeeper/provider/cloudflare"
)

func TestCloudflareConfig(t *testing.T) {
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte("  from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	emptyFile := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(emptyFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    cloudflare.Config
		wantErr string
	}{
		{name: "defaults with a token", env: map[string]string{"CF_API_TOKEN": "tok"},
			want: cloudflare.Config{APIToken: "tok", RecordsPerPage: 100, BatchSize: 200, BatchInterval: time.Second}},
		{name: "every flag", env: map[string]string{"CF_API_TOKEN": "tok"},
			args: []string{"--cloudflare-proxied", "--cloudflare-dns-records-per-page=5000", "--cloudflare-record-comment=by zonekeeper",
				"--batch-change-size=50", "--batch-change-interval=3s", "--cloudflare-api-url=http://127.0.0.1:1/client/v4"},
			want: cloudflare.Config{APIToken: "tok", Proxied: true, RecordsPerPage: 5000, Comment: "by zonekeeper", BatchSize: 50,
				BatchInterval: 3 * time.Second, BaseURL: "http://127.0.0.1:1/client/v4"}},
		{name: "no pause", env: map[string]string{"CF_API_TOKEN": "tok"}, args: []string{"--batch-change-interval=0"},
			want: cloudflare.Config{APIToken: "tok", RecordsPerPage: 100, BatchSize: 200, BatchInterval: -1}},
		{name: "token from a file", env: map[string]string{"CF_API_TOKEN": "file:" + tokenFile},
			want: cloudflare.Config{APIToken: "from-file", RecordsPerPage: 100, BatchSize: 200, BatchInterval: time.Second}},
		{name: "key and email", env: map[string]string{"CF_API_KEY": "k", "CF_API_EMAIL": "me@example.com"},
			want: cloudflare.Config{APIKey: "k", APIEmail: "me@example.com", RecordsPerPage: 100, BatchSize: 200, BatchInterval: time.Second}},
		{name: "no credentials", wantErr: "no Cloudflare credentials"},
		{name: "key without email", env: map[string]string{"CF_API_KEY": "k"}, wantErr: "no Cloudflare credentials"},
		{name: "both kinds", env: map[string]string{"CF_API_TOKEN": "t", "CF_API_KEY": "k"}, wantErr: "keep one"},
		{name: "missing token file", env: map[string]string{"CF_API_TOKEN": "file:/nonexistent/token"}, wantErr: "CF_API_TOKEN"},
		{name: "empty token file", env: map[string]string{"CF_API_TOKEN": "file:" + emptyFile}, wantErr: "is empty"},
		{name: "page too large", env: map[string]string{"CF_API_TOKEN": "t"}, args: []string{"--cloudflare-dns-records-per-page=5001"}, wantErr: "records-per-page"},
		{name: "batch too large", env: map[string]string{"CF_API_TOKEN": "t"}, args: []string{"--batch-change-size=3501"}, wantErr: "--batch-change-size"},
		{name: "negative interval", env: map[string]string{"CF_API_TOKEN": "t"}, args: []string{"--batch-change-interval=-1s"}, wantErr: "--batch-change-interval"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
			var o cloudflareOptions
			addCloudflareFlags(fs, &o)
			if err := fs.Parse(tc.args); err != nil {
				t.Fatal(err)
			}
			got, err := cloudflareConfig(&o, func(k string) string { return tc.env[k] })
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.APIToken != tc.want.APIToken || got.APIKey != tc.want.APIKey || got.APIEmail != tc.want.APIEmail ||
				got.Proxied != tc.want.Proxied || got.Comment != tc.want.Comment || got.RecordsPerPage != tc.want.RecordsPerPage ||
				got.BatchSize != tc.want.BatchSize || got.BatchInterval != tc.want.BatchInterval || got.BaseURL != tc.want.BaseURL {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}
