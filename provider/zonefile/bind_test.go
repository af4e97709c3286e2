package zonefile

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/provider"
	"github.com/zonekeeper/zonekeeper/provider/providertest"
)

// TestBINDLoadsWrittenZone hands what the provider writes to BIND's own zone loader with
// its strictest checks, so "BIND can serve it" is a fact, not a hope. make test installs
// bind9-utils (make dns-servers); without it the test fails rather than skips.
func TestBINDLoadsWrittenZone(t *testing.T) {
	checkzone := lookCheckzone(t)
	dir := t.TempDir()
	p := newProvider(t, dir, "example.com")
	long := `"` + strings.Repeat("0123456789", 60) + `"`
	changes := []provider.Change{
		providertest.CreateOf(rec("example.com", "A", 0, "192.0.2.1")),
		providertest.CreateOf(rec("www.example.com", "A", 60, "192.0.2.1", "192.0.2.2")),
		providertest.CreateOf(rec("www.example.com", "AAAA", 60, "2001:db8::1")),
		providertest.CreateOf(rec("*.apps.example.com", "CNAME", 0, "lb.example.net")),
		providertest.CreateOf(rec("xn--bcher-kva.example.com", "CNAME", 0, "www.example.com")),
		providertest.CreateOf(rec("long.example.com", "TXT", 0, long)),
		providertest.CreateOf(rec("example.com", "MX", 0, "10 mail.example.net")),
		providertest.CreateOf(rec("_https._tcp.example.com", "SRV", 0, "0 50 443 www.example.com")),
	}
	if err := p.Apply(context.Background(), exampleZone, changes); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	file := filepath.Join(dir, "example.com.zone")
	if out := namedCheckzone(t, checkzone, file); !strings.Contains(out, "loaded serial 1") {
		t.Errorf("named-checkzone output %q: want serial 1", out)
	}

	recs, err := p.Records(context.Background(), exampleZone)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range recs {
		if r.DNSName == "long.example.com" && r.RecordType == endpoint.RecordTypeTXT {
			found = true
			if len(r.Targets) != 1 || r.Targets[0] != long {
				t.Errorf("long TXT read back as %q", r.Targets)
			}
		}
	}
	if !found {
		t.Error("long TXT not read back")
	}
}

func lookCheckzone(t *testing.T) string {
	t.Helper()
	checkzone, err := exec.LookPath("named-checkzone")
	if err != nil {
		t.Fatal("named-checkzone is not installed: make dns-servers installs it (bind9-utils)")
	}
	return checkzone
}

// namedCheckzone runs named-checkzone with its strictest checks on the file of
// example.com and returns its output, failing the test if BIND would not load it.
func namedCheckzone(t *testing.T, checkzone, file string) string {
	t.Helper()
	out, err := exec.Command(checkzone, "-k", "fail", "-n", "fail", "-m", "fail", "-M", "fail", "-S", "fail", "-W", "warn", "example.com", file).CombinedOutput()
	if err != nil {
		content, _ := os.ReadFile(file)
		t.Fatalf("named-checkzone refused the written zone: %v\n%s\nzone file:\n%s", err, out, content)
	}
	return string(out)
}

// d2Zone holds data a CNAME may not join, and hand-written CNAMEs other data may not
// join.
const d2Zone = `$ORIGIN example.com.
$TTL 300
@          IN SOA ns1 hostmaster 1 3600 600 604800 300
@          IN NS  ns1
ns1        IN A   192.0.2.53
www        IN TXT "google-site-verification=abc"
mail       IN MX  10 mx.example.net.
alias      IN CNAME lb.example.net.
cname-app  IN CNAME lb.example.net.
`

// TestBINDLoadsWrittenZoneRefusesConflicts asks for Changes that would make BIND refuse
// the zone: each fails alone, naming what stands at its name, and the file BIND reads
// is never one it refuses.
func TestBINDLoadsWrittenZoneRefusesConflicts(t *testing.T) {
	checkzone := lookCheckzone(t)
	const rfc = "(RFC 1034 3.6.2: a CNAME cannot stand beside other data)"
	refused := []struct {
		change provider.Change
		want   string
	}{
		{providertest.CreateOf(rec("www.example.com", "CNAME", 0, "lb.example.net")), "create www.example.com CNAME: www.example.com already holds TXT " + rfc},
		{providertest.CreateOf(rec("mail.example.com", "CNAME", 0, "lb.example.net")), "create mail.example.com CNAME: mail.example.com already holds MX " + rfc},
		{providertest.CreateOf(rec("example.com", "CNAME", 0, "lb.example.net")), "create example.com CNAME: example.com already holds NS, SOA (RFC 1034 3.6.2: a CNAME cannot stand at the zone apex"},
		{providertest.CreateOf(rec("alias.example.com", "A", 0, "192.0.2.1")), "create alias.example.com A: alias.example.com already holds CNAME " + rfc},
		{providertest.CreateOf(rec("app.example.com", "CNAME", 0, "lb.example.net"), rec("cname-app.example.com", "TXT", 0, `"heritage=external-dns,external-dns/owner=default"`)), "create cname-app.example.com TXT: cname-app.example.com already holds CNAME " + rfc},
		{providertest.CreateOf(rec("a-alias.example.com", "TXT", 0, `"heritage=external-dns"`), rec("alias.example.com", "TXT", 0, `"heritage=external-dns"`)), "create alias.example.com TXT: alias.example.com already holds CNAME " + rfc},
		{providertest.DeleteOf(rec("example.com", "NS", 0, "ns1.example.com")), "delete example.com NS: example.com would hold no NS records"},
		{providertest.CreateOf(rec("*.w.example.com", "NS", 0, "ns.example.net")), "create *.w.example.com NS: *.w.example.com holds NS records (RFC 4592 4.2"},
		{providertest.CreateOf(rec("_x.example.com", "A", 0, "192.0.2.1")), "create _x.example.com A: _x.example.com A: _x.example.com is not a host name"},
		{providertest.CreateOf(rec("example.com", "MX", 0, "10 _m.example.net")), "create example.com MX: example.com MX: _m.example.net is not a host name"},
	}
	t.Run("all refused, file unchanged", func(t *testing.T) {
		dir := t.TempDir()
		file := filepath.Join(dir, "example.com.zone")
		if err := os.WriteFile(file, []byte(d2Zone), 0o644); err != nil {
			t.Fatal(err)
		}
		namedCheckzone(t, checkzone, file)
		var changes []provider.Change
		for _, r := range refused {
			changes = append(changes, r.change)
		}
		err := newProvider(t, dir).Apply(context.Background(), exampleZone, changes)
		failed := provider.FailedChanges(err)
		if len(failed) != len(refused) {
			t.Fatalf("Apply: %v; want all %d changes refused", err, len(refused))
		}
		for i, r := range refused {
			if got := failed[i].Err.Error(); !strings.HasPrefix(got, r.want) {
				t.Errorf("change %d failed with\n %q\nwant one starting\n %q", i, got, r.want)
			}
		}
		if content, _ := os.ReadFile(file); string(content) != d2Zone {
			t.Errorf("file rewritten although every change was refused:\n%s", content)
		}
		namedCheckzone(t, checkzone, file)
	})
	t.Run("the others proceed, judged in order", func(t *testing.T) {
		dir := t.TempDir()
		file := filepath.Join(dir, "example.com.zone")
		if err := os.WriteFile(file, []byte(d2Zone), 0o644); err != nil {
			t.Fatal(err)
		}
		p := newProvider(t, dir)
		changes := []provider.Change{
			refused[0].change,
			providertest.CreateOf(rec("new.example.com", "CNAME", 0, "lb.example.net"), rec("cname-new.example.com", "TXT", 0, `"heritage=external-dns"`)),
			providertest.CreateOf(rec("new.example.com", "TXT", 0, `"v=spf1 -all"`)),
			refused[3].change,
			providertest.CreateOf(rec("web.example.com", "A", 0, "192.0.2.7")),
		}
		err := p.Apply(context.Background(), exampleZone, changes)
		failed := provider.FailedChanges(err)
		if len(failed) != 3 || failed[0].Change.Main() != changes[0].Main() || failed[1].Change.Main() != changes[2].Main() || failed[2].Change.Main() != changes[3].Main() {
			t.Fatalf("Apply: %v; want changes 0, 2 and 3 refused", err)
		}
		if want := "create new.example.com TXT: new.example.com already holds CNAME " + rfc; failed[1].Err.Error() != want {
			t.Errorf("TXT beside a CNAME created in the same Apply failed with %q, want %q", failed[1].Err, want)
		}
		namedCheckzone(t, checkzone, file)
		got := recordLines(t, p, exampleZone)
		for _, want := range []string{"new.example.com 300 CNAME lb.example.net", `cname-new.example.com 300 TXT "heritage=external-dns"`, "web.example.com 300 A 192.0.2.7", `www.example.com 300 TXT "google-site-verification=abc"`} {
			if !slices.Contains(got, want) {
				t.Errorf("records lack %q: %q", want, got)
			}
		}
		if slices.Contains(got, "www.example.com 300 CNAME lb.example.net") || slices.Contains(got, "alias.example.com 300 A 192.0.2.1") {
			t.Errorf("a refused record was written: %q", got)
		}
	})
}

// TestBrokenFileIsNotRewritten: a file someone else broke is read as it is, Changes that
// leave it broken fail saying so, and one that mends it is written.
func TestBrokenFileIsNotRewritten(t *testing.T) {
	checkzone := lookCheckzone(t)
	const broken = d2Zone + "www IN CNAME lb.example.net.\n"
	dir := t.TempDir()
	file := filepath.Join(dir, "example.com.zone")
	if err := os.WriteFile(file, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	p := newProvider(t, dir)
	got := recordLines(t, p, exampleZone)
	if !slices.Contains(got, "www.example.com 300 CNAME lb.example.net") || !slices.Contains(got, `www.example.com 300 TXT "google-site-verification=abc"`) {
		t.Errorf("Records of a broken file = %q, want both the CNAME and the TXT at www", got)
	}

	err := p.Apply(context.Background(), exampleZone, []provider.Change{
		providertest.CreateOf(rec("web.example.com", "A", 0, "192.0.2.7")),
		providertest.CreateOf(rec("www.example.com", "A", 0, "192.0.2.7")),
	})
	failed := provider.FailedChanges(err)
	if want := "create www.example.com A: www.example.com already holds CNAME"; len(failed) != 2 || !strings.HasPrefix(failed[1].Err.Error(), want) {
		t.Fatalf("Apply on a broken file: %v\nwant the A beside the CNAME refused with %q", err, want)
	}
	want := "not written: the zone file " + file + " already breaks rules a DNS server's zone loader enforces, and no change fixed that: www.example.com holds CNAME beside TXT (RFC 1034 3.6.2: a CNAME cannot stand beside other data)"
	if failed[0].Err.Error() != want {
		t.Fatalf("Apply on a broken file: %v\nwant the other change failed with %q", err, want)
	}
	if content, _ := os.ReadFile(file); string(content) != broken {
		t.Errorf("broken file rewritten:\n%s", content)
	}

	err = p.Apply(context.Background(), exampleZone, []provider.Change{
		providertest.CreateOf(rec("web.example.com", "A", 0, "192.0.2.7")),
		providertest.DeleteOf(rec("www.example.com", "CNAME", 0, "lb.example.net")),
	})
	if err != nil {
		t.Fatalf("Apply mending the file: %v", err)
	}
	namedCheckzone(t, checkzone, file)
}
