package dnsserver

import (
	"fmt"
	"os"
	"strings"
)

// knotConfig renders knot.conf. zonefile-sync -1 keeps Knot from rewriting the whole zone file
// after every UPDATE (its default), which would make large loads crawl; semantic-checks off lets
// tests seed records Knot would otherwise reject at load. Its socket, journal and timers all go
// into the instance folder.
func knotConfig(inst instance) string {
	var b strings.Builder
	fmt.Fprintf(&b, `server:
    rundir: %q
    pidfile: %q
    listen: [ "127.0.0.1@%d" ]

log:
  - target: stderr
    any: info

database:
    storage: %[1]q

key:
  - id: %[4]s
    algorithm: %[5]s
    secret: %[6]s

acl:
  - id: update
    key: %[4]s
    action: update
  - id: transfer
    key: %[4]s
    action: transfer

template:
  - id: default
    storage: %[1]q
    zonefile-sync: -1
    semantic-checks: off

zone:
`, inst.dir, inst.path("knot.pid"), inst.port, KeyName, inst.algorithm, inst.secret)
	for _, z := range inst.zones {
		acl := "update"
		if z.transfer {
			acl = "update, transfer"
		}
		fmt.Fprintf(&b, "  - domain: %s\n    file: %q\n    acl: [ %s ]\n", z.name, inst.path(z.fileName()), acl)
	}
	return b.String()
}

func prepareKnot(inst instance) ([]string, error) {
	conf := inst.path("knot.conf")
	if err := os.WriteFile(conf, []byte(knotConfig(inst)), 0o600); err != nil {
		return nil, err
	}
	knotd, err := findBinary("knotd")
	if err != nil {
		return nil, err
	}
	// Without -d knotd stays in the foreground.
	return []string{knotd, "-c", conf}, nil
}
