package dnsserver

import (
	"fmt"
	"os"
	"strings"
)

// bind9Config renders named.conf: one key, no recursion, no NOTIFY, no control channel, nothing
// listening beyond 127.0.0.1, every file inside the instance folder. With TLS, a second
// listener on inst.tlsPort speaks DNS over TLS with the generated certificate; with client
// authentication its ca-file makes it demand a client certificate signed by the CA (BIND
// 9.18.49 enforces that; a handshake without one ends in EOF).
func bind9Config(inst instance) string {
	var b strings.Builder
	fmt.Fprintf(&b, `key %q {
	algorithm %s;
	secret %q;
};
`, KeyName, inst.algorithm, inst.secret)
	if inst.tls {
		fmt.Fprintf(&b, "tls %s {\n\tcert-file %q;\n\tkey-file %q;\n", bind9TLSName, inst.certs.cert, inst.certs.key)
		if inst.tlsClientAuth {
			fmt.Fprintf(&b, "\tca-file %q;\n", inst.certs.ca)
		}
		b.WriteString("};\n")
	}
	fmt.Fprintf(&b, `options {
	directory %q;
	pid-file %q;
	session-keyfile %q;
	listen-on port %d { 127.0.0.1; };
	listen-on-v6 { none; };
	recursion no;
	notify no;
	dnssec-validation no;
	allow-transfer { none; };
`, inst.dir, inst.path("named.pid"), inst.path("session.key"), inst.port)
	if inst.tls {
		fmt.Fprintf(&b, "\tlisten-on port %d tls %s { 127.0.0.1; };\n", inst.tlsPort, bind9TLSName)
	}
	switch {
	case inst.maxRecordsPerType < 0:
		b.WriteString("\tmax-records-per-type 0;\n")
	case inst.maxRecordsPerType > 0:
		fmt.Fprintf(&b, "\tmax-records-per-type %d;\n", inst.maxRecordsPerType)
	}
	b.WriteString("};\ncontrols { };\n")
	for _, z := range inst.zones {
		if inst.primary != "" {
			fmt.Fprintf(&b, `zone %q {
	type secondary;
	file %q;
	primaries { %s key %q; };
	allow-transfer { none; };
};
`, z.name, z.fileName(), inst.primary, KeyName)
			continue
		}
		transfer := "none;"
		if z.transfer {
			transfer = fmt.Sprintf("key %q;", KeyName)
		}
		// The first rule that matches decides, so the deny rules come first.
		var policy strings.Builder
		for _, name := range z.deny {
			fmt.Fprintf(&policy, "deny %s name %s ANY; ", KeyName, name)
		}
		fmt.Fprintf(&policy, "grant %s zonesub ANY;", KeyName)
		fmt.Fprintf(&b, `zone %q {
	type primary;
	file %q;
	update-policy { %s };
	allow-transfer { %s };
};
`, z.name, z.fileName(), policy.String(), transfer)
	}
	return b.String()
}

// bind9TLSName names the tls statement of named.conf.
const bind9TLSName = "zonekeeper-tls"

func prepareBIND9(inst instance) ([]string, error) {
	conf := inst.path("named.conf")
	if err := os.WriteFile(conf, []byte(bind9Config(inst)), 0o600); err != nil {
		return nil, err
	}
	named, err := findBinary("named")
	if err != nil {
		return nil, err
	}
	// -g: foreground, log to stderr (the instance's log file).
	return []string{named, "-g", "-c", conf}, nil
}
