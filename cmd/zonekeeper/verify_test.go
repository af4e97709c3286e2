package main

import (
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/zonekeeper/zonekeeper/controller"
)

// verifyConfigOf is the verification the daemon's prepare makes of args, as `run`
// registers its flags.
func verifyConfigOf(t *testing.T, args ...string) (controller.VerifyConfig, error) {
	t.Helper()
	o := &options{}
	cmd := &cobra.Command{}
	addVerifyFlags(cmd.Flags(), &o.verify)
	addFlags(cmd.Flags(), o)
	if err := cmd.Flags().Parse(append(args, "--source=manifest", "--manifest="+t.TempDir())); err != nil {
		t.Fatal(err)
	}
	a, err := prepare(cmd, o, os.LookupEnv, io.Discard, modeDaemon, controller.NewMetrics(prometheus.NewRegistry()), nil)
	if err != nil {
		return controller.VerifyConfig{}, err
	}
	return a.controller.Config.Verify, nil
}

func TestVerifyFlags(t *testing.T) {
	fakeAWSEnv(t)
	t.Setenv("CF_API_TOKEN", "tok")
	rfc2136 := []string{"--provider=rfc2136", "--rfc2136-host=127.0.0.1", "--rfc2136-zone=example.com", "--rfc2136-insecure"}
	on := func(name string, timeout time.Duration) controller.VerifyConfig {
		return controller.VerifyConfig{Enabled: true, Timeout: timeout, Provider: name}
	}
	for _, tt := range []struct {
		name    string
		args    []string
		want    controller.VerifyConfig
		wantErr string
	}{
		{"rfc2136: on by default", rfc2136, on("rfc2136", controller.DefaultVerifyTimeout), ""},
		{"rfc2136: turned off", append([]string{"--verify-propagation=false"}, rfc2136...), controller.VerifyConfig{}, ""},
		{"rfc2136: turned off the upstream way", append([]string{"--no-verify-propagation"}, rfc2136...), controller.VerifyConfig{}, ""},
		{"rfc2136: every NS, shorter timeout", append([]string{"--rfc2136-verify-all-ns", "--verify-timeout=5s"}, rfc2136...), on("rfc2136", 5*time.Second), ""},
		{"route53: off by default", []string{"--provider=route53"}, controller.VerifyConfig{}, ""},
		{"aws alias: turned on", []string{"--provider=aws", "--verify-propagation"}, on("route53", controller.DefaultVerifyTimeout), ""},
		{"cloudflare: off by default", []string{"--provider=cloudflare"}, controller.VerifyConfig{}, ""},
		{"cloudflare: turned on", []string{"--provider=cloudflare", "--verify-propagation=true"}, on("cloudflare", controller.DefaultVerifyTimeout), ""},
		{"zonefile cannot verify", []string{"--provider=zonefile", "--zonefile-dir=" + t.TempDir(), "--zonefile-zone=example.com", "--verify-propagation"}, controller.VerifyConfig{},
			"--verify-propagation: provider zonefile cannot verify that changes are served"},
		{"negative timeout", append([]string{"--verify-timeout=-1s"}, rfc2136...), controller.VerifyConfig{}, "--verify-timeout -1s: want a positive duration"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := verifyConfigOf(t, tt.args...)
			switch {
			case tt.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("error %v, want one containing %q", err, tt.wantErr)
				}
			case err != nil:
				t.Fatal(err)
			case got != tt.want:
				t.Errorf("verification %+v, want %+v", got, tt.want)
			}
		})
	}
}
