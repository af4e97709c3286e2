package registry

import (
	"bytes"
	"compress/gzip"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
)

// Sizes of upstream's TXT encryption: AES-256 in GCM with the standard 12-byte nonce.
const (
	AESKeySize = 32
	NonceSize  = 12
	// maxPlaintext bounds decompression: ownership values are a few hundred bytes, and a
	// crafted record must not make us inflate without limit.
	maxPlaintext = 64 << 10
)

// ParseAESKey reads the --txt-encrypt-aes-key value as upstream does: a string of exactly
// 32 bytes is the key itself; anything else must be the standard base64 encoding of 32
// bytes. The error never repeats the key.
func ParseAESKey(s string) ([]byte, error) {
	if len(s) == AESKeySize {
		return []byte(s), nil
	}
	key, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("--txt-encrypt-aes-key: a %d-byte value is neither a 32-byte key nor standard base64: %v", len(s), err)
	}
	if len(key) != AESKeySize {
		return nil, fmt.Errorf("--txt-encrypt-aes-key: the base64 value decodes to %d bytes, want %d (AES-256)", len(key), AESKeySize)
	}
	return key, nil
}

// Encrypt produces upstream's encrypted ownership value (without the surrounding
// quotes): plaintext gzipped, sealed with AES-256-GCM under key and nonce, and encoded as
// standard base64 of nonce‖ciphertext‖tag. A nil nonce means a fresh one from
// crypto/rand; a given nonce must be NonceSize bytes. Sealing one plaintext with one key
// and nonce always gives the same value, which is what lets a rewrite leave a record
// unchanged; never reuse a nonce for a different plaintext.
func Encrypt(key, nonce []byte, plaintext string) (string, error) {
	gcm, err := newGCM(key)
	if err != nil {
		return "", err
	}
	if nonce == nil {
		nonce = make([]byte, NonceSize)
		if _, err := rand.Read(nonce); err != nil {
			return "", fmt.Errorf("drawing a nonce: %w", err)
		}
	}
	if len(nonce) != NonceSize {
		return "", fmt.Errorf("nonce is %d bytes, want %d", len(nonce), NonceSize)
	}
	var compressed bytes.Buffer
	zw, err := gzip.NewWriterLevel(&compressed, gzip.BestCompression)
	if err != nil {
		return "", err
	}
	if _, err := io.WriteString(zw, plaintext); err != nil {
		return "", err
	}
	if err := zw.Close(); err != nil {
		return "", err
	}
	sealed := gcm.Seal(bytes.Clone(nonce), nonce, compressed.Bytes(), nil)
	return base64.StdEncoding.EncodeToString(sealed), nil
}

// Decrypt reverses Encrypt: value is the base64 text without quotes. It returns the
// plaintext and the nonce the value was sealed with, or an error when value is not
// base64, is too short, fails authentication under key, or does not inflate to at most
// 64 KiB.
func Decrypt(key []byte, value string) (plaintext string, nonce []byte, err error) {
	gcm, err := newGCM(key)
	if err != nil {
		return "", nil, err
	}
	sealed, err := base64.StdEncoding.DecodeString(value)
	if err != nil {
		return "", nil, fmt.Errorf("encrypted value is not base64: %w", err)
	}
	if len(sealed) < NonceSize+gcm.Overhead() {
		return "", nil, fmt.Errorf("encrypted value is %d bytes, too short to hold a nonce and a tag", len(sealed))
	}
	nonce = sealed[:NonceSize]
	compressed, err := gcm.Open(nil, nonce, sealed[NonceSize:], nil)
	if err != nil {
		return "", nil, fmt.Errorf("decrypting: %w", err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(compressed))
	if err != nil {
		return "", nil, fmt.Errorf("decrypted value is not gzip: %w", err)
	}
	out, err := io.ReadAll(io.LimitReader(zr, maxPlaintext+1))
	if err != nil {
		return "", nil, fmt.Errorf("inflating decrypted value: %w", err)
	}
	if len(out) > maxPlaintext {
		return "", nil, errors.New("decrypted value inflates beyond 64 KiB")
	}
	return string(out), bytes.Clone(nonce), nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	if len(key) != AESKeySize {
		return nil, fmt.Errorf("AES key is %d bytes, want %d (AES-256)", len(key), AESKeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}
