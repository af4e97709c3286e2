package registry

import (
	"bytes"
	"maps"
	"testing"
)

func FuzzParseOwnership(f *testing.F) {
	for _, seed := range []string{
		`"heritage=external-dns,external-dns/owner=default,external-dns/resource=service/default/web"`,
		`heritage=external-dns`,
		`""heritage=external-dns,external-dns/a=b=c""`,
		`"heritage=external-dns,external-dns/z=b""`,
		`"external-dns/a=x",heritage=external-dns,external-dns/b=y"`,
		`"heritage=other"`,
		`"v=spf1 -all"`,
		`"`,
		``,
		`,,,=,==`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, value string) {
		labels, ok := ParseOwnership(value)
		if !ok {
			return
		}
		formatted := FormatOwnership(labels)
		again, ok := ParseOwnership(formatted)
		if !ok || !maps.Equal(again, labels) {
			t.Fatalf("%q parsed to %v, formatted to %q, which parses to %v, %v", value, labels, formatted, again, ok)
		}
		if FormatOwnership(again) != formatted {
			t.Fatalf("formatting %q is not stable", formatted)
		}
	})
}

func FuzzDecrypt(f *testing.F) {
	sealed, err := Encrypt(testKey, testNonce, fixturePlain)
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{fixtureSealed, sealed, "", "AAAA", "not base64!", fixtureSealed[:40], "B" + fixtureSealed[1:]} {
		f.Add(seed)
	}
	reg, err := NewTXT(TXTConfig{OwnerID: "default", EncryptionKey: testKey})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, value string) {
		reg.decodeValue(`"` + value + `"`)
		plain, nonce, err := Decrypt(testKey, value)
		if err != nil {
			return
		}
		resealed, err := Encrypt(testKey, nonce, plain)
		if err != nil {
			t.Fatal(err)
		}
		back, backNonce, err := Decrypt(testKey, resealed)
		if err != nil || back != plain || !bytes.Equal(backNonce, nonce) {
			t.Fatalf("reseal of %q read back as %q, %x, %v", plain, back, backNonce, err)
		}
	})
}
