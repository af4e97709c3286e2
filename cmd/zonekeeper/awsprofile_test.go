package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/zonekeeper/zonekeeper/provider/route53/route53test"
)

// TestAWSProfile runs the command against the Route 53 emulator with nothing but an AWS
// shared config file: --aws-profile picks the profile whose endpoint_url leads to the
// emulator and whose keys sign the requests.
func TestAWSProfile(t *testing.T) {
	em := route53test.New(route53test.Options{})
	zoneID := em.CreateZone("example.com", route53test.ZoneOptions{})
	var (
		mu    sync.Mutex
		auths []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auths = append(auths, r.Header.Get("Authorization"))
		mu.Unlock()
		em.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)

	dir := t.TempDir()
	conf := filepath.Join(dir, "config")
	body := "[default]\nregion = us-east-1\nendpoint_url = http://127.0.0.1:1\n\n" +
		"[profile dns]\nregion = eu-west-1\nendpoint_url = " + srv.URL + "\naws_access_key_id = PROFILEKEY\naws_secret_access_key = PROFILESECRET\n"
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"AWS_CONFIG_FILE": conf, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull, "AWS_EC2_METADATA_DISABLED": "true",
		"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": "", "AWS_PROFILE": "",
		"AWS_REGION": "", "AWS_DEFAULT_REGION": "", "AWS_ENDPOINT_URL": "", "AWS_ENDPOINT_URL_ROUTE_53": "",
	} {
		t.Setenv(k, v)
	}
	args := []string{"--source=manifest", "--manifest=../../examples", "--provider=aws", "--aws-batch-change-interval=0"}

	r := runCLI(t, nil, append([]string{"run", "--once", "--aws-profile=dns"}, args...)...)
	if r.code != 0 {
		t.Fatalf("run --once --aws-profile=dns exit %d:\n%s", r.code, r.stderr)
	}
	var names []string
	for _, rs := range em.RecordSets(zoneID) {
		names = append(names, *rs.Name+" "+string(rs.Type))
	}
	if got := strings.Join(names, "\n"); !strings.Contains(got, "api.example.com. A") {
		t.Errorf("the emulator holds no api.example.com A record; it holds:\n%s", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(auths) == 0 {
		t.Fatal("no request reached the emulator")
	}
	for _, a := range auths {
		if !strings.Contains(a, "Credential=PROFILEKEY/") {
			t.Fatalf("a request was not signed with the profile's key: %q", a)
		}
	}

	missing := runCLI(t, nil, append([]string{"plan", "--aws-profile=nosuch"}, args...)...)
	if missing.code == 0 || !strings.Contains(missing.stderr, "nosuch") {
		t.Errorf("plan --aws-profile=nosuch exit %d, want a failure naming the profile:\n%s", missing.code, missing.stderr)
	}
}
