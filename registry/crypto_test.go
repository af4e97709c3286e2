package registry

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
)

var (
	testKey   = []byte("0123456789abcdef0123456789abcdef")
	testNonce = []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
)

// fixtureSealed was produced outside Go (Python: gzip level 9, mtime 0, then AESGCM
// from the cryptography package) with testKey and testNonce, as upstream encrypts.
const (
	fixturePlain  = "heritage=external-dns,external-dns/owner=default,external-dns/resource=service/default/web"
	fixtureSealed = "AQIDBAUGBwgJCgsMEWMZLiD8/bcBkvGFrsDdLsiptfkSrUkZ1W872RqnlZ1FCKF7ZQPYcgbZXOBwE7FpXcdVBBOJtl1nwNzIQDVpIU0XgOCbyozbbys9wf3Kbb5xwoIwOPThMEQmchJCIt2Yk8Mq"
)

func TestParseAESKey(t *testing.T) {
	raw := "0123456789abcdef0123456789abcdef"
	tests := []struct {
		name    string
		in      string
		want    []byte
		wantErr string
	}{
		{"32 raw bytes", raw, []byte(raw), ""},
		{"base64 of 32 bytes", base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xAB}, 32)), bytes.Repeat([]byte{0xAB}, 32), ""},
		{"base64 of 16 bytes", base64.StdEncoding.EncodeToString(make([]byte, 16)), nil, "decodes to 16 bytes"},
		{"neither", "short-key", nil, "neither a 32-byte key nor standard base64"},
		{"empty", "", nil, "decodes to 0 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseAESKey(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "--txt-encrypt-aes-key") {
					t.Fatalf("err = %v, want one naming --txt-encrypt-aes-key and containing %q", err, tt.wantErr)
				}
				if tt.in != "" && strings.Contains(err.Error(), tt.in) {
					t.Errorf("error repeats the key: %v", err)
				}
				return
			}
			if err != nil || !bytes.Equal(got, tt.want) {
				t.Fatalf("ParseAESKey = %x, %v; want %x", got, err, tt.want)
			}
		})
	}
}

func TestDecryptKnownValue(t *testing.T) {
	plain, nonce, err := Decrypt(testKey, fixtureSealed)
	if err != nil {
		t.Fatal(err)
	}
	if plain != fixturePlain || !bytes.Equal(nonce, testNonce) {
		t.Errorf("Decrypt = %q, %x; want %q, %x", plain, nonce, fixturePlain, testNonce)
	}
}

func TestEncryptRoundTrip(t *testing.T) {
	for _, nonce := range [][]byte{testNonce, nil} {
		sealed, err := Encrypt(testKey, nonce, fixturePlain)
		if err != nil {
			t.Fatal(err)
		}
		plain, gotNonce, err := Decrypt(testKey, sealed)
		if err != nil || plain != fixturePlain {
			t.Fatalf("Decrypt(Encrypt) = %q, %v", plain, err)
		}
		if nonce != nil && !bytes.Equal(gotNonce, nonce) {
			t.Errorf("nonce read back %x, sealed with %x", gotNonce, nonce)
		}
		if raw, _ := base64.StdEncoding.DecodeString(sealed); !bytes.Equal(raw[:NonceSize], gotNonce) {
			t.Errorf("value does not start with its nonce")
		}
	}
}

func TestEncryptSameNonceSameValue(t *testing.T) {
	a, errA := Encrypt(testKey, testNonce, fixturePlain)
	b, errB := Encrypt(testKey, testNonce, fixturePlain)
	if errA != nil || errB != nil || a != b {
		t.Fatalf("two seals with one nonce differ: %q (%v), %q (%v)", a, errA, b, errB)
	}
	fresh1, _ := Encrypt(testKey, nil, fixturePlain)
	fresh2, _ := Encrypt(testKey, nil, fixturePlain)
	if fresh1 == fresh2 {
		t.Error("fresh nonces gave identical values")
	}
}

func TestEncryptRejectsBadInput(t *testing.T) {
	if _, err := Encrypt(testKey[:16], testNonce, "x"); err == nil || !strings.Contains(err.Error(), "16 bytes") {
		t.Errorf("short key: err = %v", err)
	}
	if _, err := Encrypt(testKey, testNonce[:8], "x"); err == nil || !strings.Contains(err.Error(), "nonce is 8 bytes") {
		t.Errorf("short nonce: err = %v", err)
	}
}

func TestDecryptFailures(t *testing.T) {
	otherKey := bytes.Repeat([]byte{7}, 32)
	tests := []struct {
		name, value, wantErr string
		key                  []byte
	}{
		{"plain value", `heritage=external-dns,external-dns/owner=x`, "not base64", testKey},
		{"too short", base64.StdEncoding.EncodeToString([]byte("short")), "too short", testKey},
		{"wrong key", fixtureSealed, "decrypting", otherKey},
		{"tampered", "B" + fixtureSealed[1:], "decrypting", testKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := Decrypt(tt.key, tt.value); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}
