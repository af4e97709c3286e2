package kubeapi

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"time"
)

// certValidity outlives any test run by far; the certificates die with the
// cluster's directory anyway.
const certValidity = 7 * 24 * time.Hour

// keyPair is a certificate with its private key, kept both parsed (to sign
// with) and PEM-encoded (to hand to kube-apiserver and client-go).
type keyPair struct {
	cert    *x509.Certificate
	key     crypto.Signer
	certPEM []byte
	keyPEM  []byte
}

// newCA creates the self-signed authority that issues every certificate of
// one cluster: the serving certificate and all client certificates, so that
// kube-apiserver's --client-ca-file and the clients' CA data are one file.
func newCA(now time.Time) (keyPair, error) {
	return issue(now, &x509.Certificate{
		Subject:               pkix.Name{CommonName: "zonekeeper-e2e-ca"},
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		IsCA:                  true,
		BasicConstraintsValid: true,
	}, nil)
}

// servingCert issues kube-apiserver's certificate for the loopback names
// clients dial.
func servingCert(now time.Time, ca keyPair) (keyPair, error) {
	return issue(now, &x509.Certificate{
		Subject:     pkix.Name{CommonName: "kube-apiserver"},
		DNSNames:    []string{"localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}, &ca)
}

// clientCert issues a certificate that kube-apiserver's x509 authenticator
// maps to user (the common name) in groups (the organizations).
func clientCert(now time.Time, ca keyPair, user string, groups []string) (keyPair, error) {
	if user == "" {
		return keyPair{}, fmt.Errorf("client certificate: empty user name")
	}
	return issue(now, &x509.Certificate{
		Subject:     pkix.Name{CommonName: user, Organization: groups},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}, &ca)
}

// issue fills in key, serial and validity of tmpl and signs it with parent,
// or with its own key when parent is nil.
func issue(now time.Time, tmpl *x509.Certificate, parent *keyPair) (keyPair, error) {
	key, keyPEM, err := newKey()
	if err != nil {
		return keyPair{}, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return keyPair{}, fmt.Errorf("certificate %q: serial number: %w", tmpl.Subject.CommonName, err)
	}
	tmpl.SerialNumber = serial
	// Backdated so that a clock step between issuing and first use cannot make
	// a fresh certificate "not yet valid".
	tmpl.NotBefore = now.Add(-time.Hour)
	tmpl.NotAfter = now.Add(certValidity)
	signerCert, signerKey := tmpl, key
	if parent != nil {
		signerCert, signerKey = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signerCert, key.Public(), signerKey)
	if err != nil {
		return keyPair{}, fmt.Errorf("certificate %q: %w", tmpl.Subject.CommonName, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return keyPair{}, fmt.Errorf("certificate %q: %w", tmpl.Subject.CommonName, err)
	}
	return keyPair{
		cert:    cert,
		key:     key,
		certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		keyPEM:  keyPEM,
	}, nil
}

// newKey returns a P-256 key and its PKCS#8 PEM encoding. ECDSA rather than
// RSA because generating four keys per cluster should cost nothing, and
// kube-apiserver accepts P-256 for TLS, client certificates and service
// account token signing alike.
func newKey() (crypto.Signer, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generate key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("encode key: %w", err)
	}
	return key, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// publicKeyPEM encodes key's public half as PKIX, the form kube-apiserver's
// --service-account-key-file reads: it does not derive a public key from a
// PKCS#8 private key.
func publicKeyPEM(key crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return nil, fmt.Errorf("encode public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}
