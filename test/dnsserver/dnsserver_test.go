package dnsserver

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"
)

func mustRR(t testing.TB, text string) dns.RR {
	t.Helper()
	rr, err := dns.NewRR(text)
	if err != nil {
		t.Fatalf("parsing %q: %v", text, err)
	}
	return rr
}

// processGone reports whether pid no longer names a process (or only a zombie nobody reaps).
func processGone(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return true
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	return err != nil || strings.Contains(string(stat), ") Z ")
}

func TestServers(t *testing.T) {
	for _, kind := range Kinds() {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			s := StartT(t, kind, Config{
				Zones:        []string{"example.com", "Example.ORG."},
				NoTransfer:   []string{"example.org"},
				ExtraRecords: map[string][]string{"example.com": {"seeded 60 IN TXT \"foreign\""}},
			})
			if want := []string{"example.com", "example.org"}; strings.Join(s.Zones, ",") != strings.Join(want, ",") {
				t.Errorf("Zones = %v, want %v", s.Zones, want)
			}

			for _, zone := range s.Zones {
				before, err := s.Serial(ctx, zone)
				if err != nil {
					t.Fatal(err)
				}
				if before != 1 {
					t.Errorf("zone %s: initial serial %d, want 1", zone, before)
				}
				rr := mustRR(t, "www."+zone+". 300 IN A 192.0.2.1")
				if err := s.Update(ctx, zone, []dns.RR{rr}); err != nil {
					t.Fatalf("signed UPDATE: %v", err)
				}
				after, err := s.Serial(ctx, zone)
				if err != nil {
					t.Fatal(err)
				}
				if after != before+1 {
					t.Errorf("zone %s: serial %d after one UPDATE, want %d", zone, after, before+1)
				}
			}

			records, err := s.Transfer(ctx, "example.com")
			if err != nil {
				t.Fatalf("AXFR: %v", err)
			}
			var got []string
			for _, rr := range records {
				got = append(got, rr.String())
			}
			for _, want := range []string{
				"www.example.com.\t300\tIN\tA\t192.0.2.1",
				"seeded.example.com.\t60\tIN\tTXT\t\"foreign\"",
				"example.com.\t300\tIN\tNS\tlocalhost.",
			} {
				if !contains(got, want) {
					t.Errorf("AXFR lacks %q; got:\n%s", want, strings.Join(got, "\n"))
				}
			}
			if records[0].Header().Rrtype != dns.TypeSOA || records[len(records)-1].Header().Rrtype == dns.TypeSOA {
				t.Errorf("AXFR should hold the SOA once, first; got:\n%s", strings.Join(got, "\n"))
			}

			var rcodeErr *RcodeError
			_, err = s.Transfer(ctx, "example.org")
			if !errors.As(err, &rcodeErr) {
				t.Errorf("AXFR of a NoTransfer zone: got %v, want a refusal", err)
			} else {
				t.Logf("AXFR of a NoTransfer zone: %v", err)
			}

			unsigned := new(dns.Msg)
			unsigned.SetUpdate("example.com.")
			unsigned.Insert([]dns.RR{mustRR(t, "intruder.example.com. 300 IN A 192.0.2.66")})
			err = s.update(ctx, "example.com", unsigned, false)
			if !errors.As(err, &rcodeErr) {
				t.Errorf("unsigned UPDATE: got %v, want a refusal", err)
			} else {
				t.Logf("unsigned UPDATE: %v", err)
			}
			if serial, err := s.Serial(ctx, "example.com"); err != nil || serial != 2 {
				t.Errorf("serial after a refused UPDATE = %d, %v; want 2", serial, err)
			}

			pid := s.PID()
			if err := s.Stop(); err != nil {
				t.Fatal(err)
			}
			if !processGone(pid) {
				t.Errorf("process %d still exists after Stop", pid)
			}
			if _, err := os.Stat(s.Dir); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("Dir %s still exists after Stop (%v)", s.Dir, err)
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, item := range list {
		if item == s {
			return true
		}
	}
	return false
}

func TestAlgorithms(t *testing.T) {
	algorithms := []string{"hmac-sha1", "hmac-sha224", "hmac-sha256", "hmac-sha384", "HMAC-SHA512."}
	for _, kind := range Kinds() {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			for _, alg := range algorithms {
				t.Run(alg, func(t *testing.T) {
					s := StartT(t, kind, Config{Zones: []string{"example.com"}, Algorithm: alg})
					if err := s.Update(t.Context(), "example.com", []dns.RR{mustRR(t, "a.example.com. 300 IN A 192.0.2.1")}); err != nil {
						t.Fatal(err)
					}
					records, err := s.Transfer(t.Context(), "example.com")
					if err != nil {
						t.Fatal(err)
					}
					if len(records) != 3 {
						t.Errorf("AXFR holds %d records, want SOA, NS and the new A", len(records))
					}
				})
			}
		})
	}
}

func TestBIND9MaxRecordsPerType(t *testing.T) {
	tests := []struct {
		name      string
		limit     int
		records   int
		wantRcode int
	}{
		{"server default refuses the 101st", 0, 101, dns.RcodeServerFailure},
		{"server default takes 100", 0, 100, dns.RcodeSuccess},
		{"lifted", -1, 101, dns.RcodeSuccess},
		{"explicit limit refuses one more", 5, 6, dns.RcodeServerFailure},
		{"explicit limit takes as many", 5, 5, dns.RcodeSuccess},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := StartT(t, BIND9, Config{Zones: []string{"example.com"}, MaxRecordsPerType: tt.limit})
			var insert []dns.RR
			for i := range tt.records {
				insert = append(insert, mustRR(t, fmt.Sprintf("many.example.com. 300 IN A 10.0.%d.%d", i/256, i%256)))
			}
			err := s.Update(t.Context(), "example.com", insert)
			var rcodeErr *RcodeError
			gotRcode := dns.RcodeSuccess
			if errors.As(err, &rcodeErr) {
				gotRcode = rcodeErr.Rcode
			} else if err != nil {
				t.Fatal(err)
			}
			t.Logf("UPDATE of %d A records with max-records-per-type %d: %s", tt.records, tt.limit, rcodeName(gotRcode))
			if gotRcode != tt.wantRcode {
				t.Errorf("rcode %s, want %s", rcodeName(gotRcode), rcodeName(tt.wantRcode))
			}
			wantSerial := uint32(1)
			if tt.wantRcode == dns.RcodeSuccess {
				wantSerial = 2
			}
			if serial, err := s.Serial(t.Context(), "example.com"); err != nil || serial != wantSerial {
				t.Errorf("serial %d, %v; want %d (a failed UPDATE changes nothing)", serial, err, wantSerial)
			}
		})
	}
}

// TestBIND9DenyUpdates checks that BIND refuses an UPDATE touching a name of
// Config.DenyUpdates, the whole message and nothing else, and takes the others.
func TestBIND9DenyUpdates(t *testing.T) {
	s := StartT(t, BIND9, Config{Zones: []string{"example.com"}, DenyUpdates: []string{"blocked.example.com"}})
	err := s.Update(t.Context(), "example.com", []dns.RR{mustRR(t, "blocked.example.com. 300 IN A 192.0.2.1"), mustRR(t, "open.example.com. 300 IN A 192.0.2.2")})
	var rcodeErr *RcodeError
	if !errors.As(err, &rcodeErr) || rcodeErr.Rcode != dns.RcodeRefused {
		t.Fatalf("UPDATE touching the denied name: %v, want REFUSED", err)
	}
	if err := s.Update(t.Context(), "example.com", []dns.RR{mustRR(t, "open.example.com. 300 IN A 192.0.2.2")}); err != nil {
		t.Fatalf("UPDATE of another name: %v", err)
	}
	if serial, err := s.Serial(t.Context(), "example.com"); err != nil || serial != 2 {
		t.Errorf("serial %d, %v; want 2: the refused UPDATE changes nothing", serial, err)
	}
}

func TestStopIsIdempotent(t *testing.T) {
	s := StartT(t, Knot, Config{Zones: []string{"example.com"}})
	for range 2 {
		if err := s.Stop(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Serial(t.Context(), "example.com"); err == nil {
		t.Error("a stopped server still answers")
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name    string
		kind    Kind
		cfg     Config
		wantErr string
	}{
		{"unknown kind", "nsd", Config{Zones: []string{"example.com"}}, `unknown server kind "nsd"`},
		{"no zones", BIND9, Config{}, "Config.Zones is empty"},
		{"bad zone name", Knot, Config{Zones: []string{"exa mple.com"}}, `zone "exa mple.com" is not a plain domain name`},
		{"path in zone name", Knot, Config{Zones: []string{"../etc"}}, `zone "../etc" is not a plain domain name`},
		{"duplicate zone", PowerDNS, Config{Zones: []string{"example.com", "EXAMPLE.com."}}, `zone "EXAMPLE.com." is listed twice`},
		{"unknown algorithm", BIND9, Config{Zones: []string{"example.com"}, Algorithm: "hmac-md5"}, `TSIG algorithm "hmac-md5" is not one of`},
		{"NoTransfer outside Zones", BIND9, Config{Zones: []string{"example.com"}, NoTransfer: []string{"example.org"}}, `NoTransfer zone "example.org" is not in Config.Zones`},
		{"ExtraRecords outside Zones", BIND9, Config{Zones: []string{"example.com"}, ExtraRecords: map[string][]string{"example.org": {"a A 192.0.2.1"}}}, `ExtraRecords zone "example.org" is not in Config.Zones`},
		{"unparsable record", BIND9, Config{Zones: []string{"example.com"}, ExtraRecords: map[string][]string{"example.com": {"a IN A not-an-address"}}}, `zone example.com.: record "a IN A not-an-address"`},
		{"record outside its zone", BIND9, Config{Zones: []string{"example.com"}, ExtraRecords: map[string][]string{"example.com": {"www.example.org. A 192.0.2.1"}}}, "owner www.example.org. is outside the zone"},
		{"two records in one string", BIND9, Config{Zones: []string{"example.com"}, ExtraRecords: map[string][]string{"example.com": {"a A 192.0.2.1\nb A 192.0.2.2"}}}, "more than one record"},
		{"SOA in extras", BIND9, Config{Zones: []string{"example.com"}, ExtraRecords: map[string][]string{"example.com": {"@ SOA ns hostmaster 7 1 1 1 1"}}}, "the SOA is written by the harness"},
		{"DenyUpdates on Knot", Knot, Config{Zones: []string{"example.com"}, DenyUpdates: []string{"a.example.com"}}, "Config.DenyUpdates is supported for bind9 only"},
		{"DenyUpdates outside Zones", BIND9, Config{Zones: []string{"example.com"}, DenyUpdates: []string{"a.example.org"}}, `DenyUpdates name "a.example.org" is not a plain name inside a zone`},
		{"secondary of Knot", BIND9, Config{Zones: []string{"example.com"}, Primary: &Server{Kind: Knot, Zones: []string{"example.com"}}}, "a bind9 secondary of a bind9 primary only"},
		{"Knot secondary", Knot, Config{Zones: []string{"example.com"}, Primary: &Server{Kind: BIND9, Zones: []string{"example.com"}}}, "a bind9 secondary of a bind9 primary only"},
		{"secondary with extras", BIND9, Config{Zones: []string{"example.com"}, Primary: &Server{Kind: BIND9, Zones: []string{"example.com"}},
			ExtraRecords: map[string][]string{"example.com": {"a A 192.0.2.1"}}}, "takes its zones from the primary"},
		{"secondary of a zone the primary lacks", BIND9, Config{Zones: []string{"example.org"}, Primary: &Server{Kind: BIND9, Zones: []string{"example.com"}}},
			`secondary zone "example.org" is not a zone of the primary (example.com)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newLayout(tt.kind, tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestZoneFile(t *testing.T) {
	got, err := zoneFile("example.com.", []string{"www 60 IN CNAME target.example.net.", "txt TXT \"a b\""})
	if err != nil {
		t.Fatal(err)
	}
	want := "example.com.\t300\tIN\tSOA\tlocalhost. hostmaster.example.com. 1 3600 600 86400 300\n" +
		"example.com.\t300\tIN\tNS\tlocalhost.\n" +
		"www.example.com.\t60\tIN\tCNAME\ttarget.example.net.\n" +
		"txt.example.com.\t300\tIN\tTXT\t\"a b\"\n"
	if got != want {
		t.Errorf("zone file:\n%s\nwant:\n%s", got, want)
	}
}

// BenchmarkLoad sends 10,000 A and 10,000 TXT records to a fresh server in TSIG-signed UPDATEs of
// 1,000 records each, over a new TCP connection per message. Starting the server is not timed.
func BenchmarkLoad(b *testing.B) {
	const total, perMessage = 10_000, 1_000
	var messages [][]dns.RR
	for _, format := range []string{"a%05d.example.com. 300 IN A 10.%d.%d.%d", "t%05d.example.com. 300 IN TXT \"heritage=external-dns,owner=bench,%[2]d.%[3]d.%[4]d\""} {
		for start := 0; start < total; start += perMessage {
			var batch []dns.RR
			for i := start; i < start+perMessage; i++ {
				batch = append(batch, mustRR(b, fmt.Sprintf(format, i, i>>16, (i>>8)&255, i&255)))
			}
			messages = append(messages, batch)
		}
	}
	for _, kind := range Kinds() {
		b.Run(string(kind), func(b *testing.B) {
			if err := Available(kind); err != nil {
				b.Skip(err)
			}
			for range b.N {
				b.StopTimer()
				s, err := Start(b.Context(), kind, Config{Zones: []string{"example.com"}, MaxRecordsPerType: -1})
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				for _, batch := range messages {
					if err := s.Update(b.Context(), "example.com", batch); err != nil {
						s.Stop()
						b.Fatal(err)
					}
				}
				b.StopTimer()
				serial, err := s.Serial(b.Context(), "example.com")
				s.Stop()
				if err != nil || serial != uint32(1+len(messages)) {
					b.Fatalf("serial %d, %v after %d UPDATEs; want %d", serial, err, len(messages), 1+len(messages))
				}
			}
			b.ReportMetric(float64(2*total*b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

// crashHelperEnv makes the test binary a helper that starts a server, prints its PID and Dir, and
// waits to be killed.
const crashHelperEnv = "ZONEKEEPER_DNSSERVER_CRASH_HELPER"

func TestCrashedTestBinaryLeavesNoServer(t *testing.T) {
	if kind := os.Getenv(crashHelperEnv); kind != "" {
		s, err := Start(t.Context(), Kind(kind), Config{Zones: []string{"example.com"}})
		if err != nil {
			t.Fatal(err)
		}
		fmt.Printf("%d %s\n", s.PID(), s.Dir)
		select {}
	}
	for _, kind := range Kinds() {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			if err := Available(kind); err != nil {
				t.Fatalf("%v (make dns-servers installs it)", err)
			}
			helper := exec.Command(os.Args[0], "-test.run=^TestCrashedTestBinaryLeavesNoServer$")
			helper.Env = append(os.Environ(), crashHelperEnv+"="+string(kind))
			stdout, err := helper.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := helper.Start(); err != nil {
				t.Fatal(err)
			}
			var pid int
			var dir string
			_, scanErr := fmt.Fscan(stdout, &pid, &dir)
			helper.Process.Kill()
			helper.Wait()
			if scanErr != nil {
				t.Fatalf("helper did not report its server: %v", scanErr)
			}
			t.Cleanup(func() { os.RemoveAll(dir) })
			// The kernel delivers the parent-death signal as the helper dies; the server then
			// needs a moment to be torn down, which this waits for rather than times.
			for !processGone(pid) {
				select {
				case <-t.Context().Done():
					t.Fatalf("server %d outlived its killed test binary", pid)
				case <-time.After(20 * time.Millisecond):
				}
			}
		})
	}
}
