package registry

import (
	"strings"
	"testing"
)

// Every row of COMPAT.md's TXT-name table.
func TestOwnershipName(t *testing.T) {
	tests := []struct {
		record, recordType string
		cfg                TXTConfig
		want               string
	}{
		{"app.example.com", "A", TXTConfig{}, "a-app.example.com"},
		{"app.example.com", "CNAME", TXTConfig{}, "cname-app.example.com"},
		{"app.example.com", "A", TXTConfig{Prefix: "txt-"}, "txt-a-app.example.com"},
		{"app.example.com", "A", TXTConfig{Prefix: "%{record_type}-owner."}, "a-owner.app.example.com"},
		{"app.example.com", "A", TXTConfig{Suffix: "-txt"}, "a-app-txt.example.com"},
		{"*.app.example.com", "A", TXTConfig{WildcardReplacement: "wildcard"}, "a-wildcard.app.example.com"},
		{"example.com", "A", TXTConfig{}, "a-example.com"},
		{"example.com", "A", TXTConfig{Prefix: "_zk-%{record_type}."}, "_zk-a.example.com"},
		// Beyond the table: the template in a suffix, no wildcard replacement, one label.
		{"app.example.com", "AAAA", TXTConfig{Suffix: "-%{record_type}"}, "app-aaaa.example.com"},
		{"*.app.example.com", "A", TXTConfig{}, "a-*.app.example.com"},
		{"localhost", "A", TXTConfig{}, "a-localhost"},
		{"app.example.com", "A", TXTConfig{Prefix: "TXT-"}, "txt-a-app.example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.record+"/"+tt.recordType+"/"+tt.cfg.Prefix+tt.cfg.Suffix, func(t *testing.T) {
			reg := newTestTXT(t, tt.cfg)
			if got := reg.OwnershipName(tt.record, tt.recordType); got != tt.want {
				t.Errorf("OwnershipName(%s, %s) = %s, want %s", tt.record, tt.recordType, got, tt.want)
			}
		})
	}
}

func TestLegacyName(t *testing.T) {
	tests := []struct {
		record string
		cfg    TXTConfig
		want   string
	}{
		{"app.example.com", TXTConfig{}, "app.example.com"},
		{"app.example.com", TXTConfig{Prefix: "txt-"}, "txt-app.example.com"},
		{"app.example.com", TXTConfig{Suffix: "-txt"}, "app-txt.example.com"},
		{"app.example.com", TXTConfig{Prefix: "%{record_type}-owner."}, "-owner.app.example.com"},
	}
	for _, tt := range tests {
		if got := newTestTXT(t, tt.cfg).legacyName(tt.record); got != tt.want {
			t.Errorf("legacyName(%s) with %+v = %s, want %s", tt.record, tt.cfg, got, tt.want)
		}
	}
}

func TestNewTXTValidates(t *testing.T) {
	tests := []struct {
		name    string
		cfg     TXTConfig
		wantErr []string
	}{
		{"no owner", TXTConfig{}, []string{"--txt-owner-id"}},
		{"comma in owner", TXTConfig{OwnerID: "a,b"}, []string{"--txt-owner-id", "comma"}},
		{"prefix and suffix", TXTConfig{OwnerID: "o", Prefix: "p-", Suffix: "-s"}, []string{"--txt-prefix", "--txt-suffix"}},
		{"short key", TXTConfig{OwnerID: "o", EncryptionKey: make([]byte, 16)}, []string{"--txt-encrypt-aes-key", "16 bytes"}},
		{"empty non-nil key", TXTConfig{OwnerID: "o", EncryptionKey: []byte{}}, []string{"--txt-encrypt-aes-key", "0 bytes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewTXT(tt.cfg)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
	if _, err := NewTXT(TXTConfig{OwnerID: "o", EncryptionKey: testKey}); err != nil {
		t.Errorf("valid config refused: %v", err)
	}
}

// newTestTXT builds a registry with owner "default" unless cfg names one.
func newTestTXT(t *testing.T, cfg TXTConfig) *TXT {
	t.Helper()
	if cfg.OwnerID == "" {
		cfg.OwnerID = "default"
	}
	reg, err := NewTXT(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return reg
}
