package dnsserver

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// powerDNSSchema is the gsqlite3 backend's schema as Debian's pdns-backend-sqlite3 ships it.
const powerDNSSchema = "/usr/share/doc/pdns-backend-sqlite3/schema.sqlite3.sql"

// powerDNSConfig renders pdns.conf. security-poll-suffix= stops the version check PowerDNS
// otherwise sends through the system resolver at start and every few hours; dnsupdate=yes is
// needed because PowerDNS otherwise drops UPDATEs without an answer; the caches are off so that a
// SOA query right after an UPDATE sees the new serial.
func powerDNSConfig(inst instance) string {
	return fmt.Sprintf(`launch=gsqlite3
gsqlite3-database=%s
gsqlite3-dnssec=yes
local-address=127.0.0.1
local-port=%d
socket-dir=%s
daemon=no
guardian=no
disable-syslog=yes
write-pid=no
security-poll-suffix=
api=no
webserver=no
primary=no
secondary=no
dnsupdate=yes
allow-dnsupdate-from=127.0.0.0/8
allow-axfr-ips=
cache-ttl=0
negquery-cache-ttl=0
query-cache-ttl=0
receiver-threads=1
distributor-threads=1
loglevel=4
`, inst.path("pdns.sqlite3"), inst.port, inst.dir)
}

// powerDNSSetup lists the pdnsutil commands (without the --config-dir option) that load the key
// and zones and grant the key UPDATE and, where allowed, AXFR. PowerDNS only sees zones that
// exist when it starts (or 300 s later), so all of this happens before.
func powerDNSSetup(inst instance) [][]string {
	steps := [][]string{{"import-tsig-key", KeyName, inst.algorithm, inst.secret}}
	for _, z := range inst.zones {
		steps = append(steps,
			[]string{"load-zone", z.name, inst.path(z.fileName())},
			[]string{"set-meta", z.name, "TSIG-ALLOW-DNSUPDATE", KeyName},
			// +1 per UPDATE message, as BIND and Knot do.
			[]string{"set-meta", z.name, "SOA-EDIT-DNSUPDATE", "INCREASE"},
		)
		if z.transfer {
			steps = append(steps, []string{"set-meta", z.name, "TSIG-ALLOW-AXFR", KeyName})
		}
	}
	return steps
}

func preparePowerDNS(ctx context.Context, inst instance) ([]string, error) {
	if err := os.WriteFile(inst.path("pdns.conf"), []byte(powerDNSConfig(inst)), 0o600); err != nil {
		return nil, err
	}
	schema, err := os.Open(powerDNSSchema)
	if err != nil {
		return nil, err
	}
	defer schema.Close()
	if err := runTool(ctx, inst, schema, "sqlite3", "-batch", inst.path("pdns.sqlite3")); err != nil {
		return nil, err
	}
	configDir := "--config-dir=" + inst.dir
	for _, step := range powerDNSSetup(inst) {
		if err := runTool(ctx, inst, nil, "pdnsutil", append([]string{configDir}, step...)...); err != nil {
			return nil, err
		}
	}
	server, err := findBinary("pdns_server")
	if err != nil {
		return nil, err
	}
	return []string{server, configDir}, nil
}

// runTool runs a preparatory command in the instance folder and returns its output in the error
// when it fails.
func runTool(ctx context.Context, inst instance, stdin *os.File, name string, args ...string) error {
	path, err := findBinary(name)
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Dir = inst.dir
	if stdin != nil {
		cmd.Stdin = stdin
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(out.String()))
	}
	return nil
}
