package dnsserver

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"time"
)

// certificateLifetime covers any test run; the clock may also be a little behind, hence the
// same margin before now.
const certificateLifetime = 24 * time.Hour

// certificateAuthority is a throwaway CA that exists only for one server (or one test).
type certificateAuthority struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte // cert in PEM
}

// newCertificateAuthority generates an ECDSA P-256 CA named commonName, valid for a day.
func newCertificateAuthority(commonName string) (*certificateAuthority, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generating the key of CA %q: %w", commonName, err)
	}
	template := certificateTemplate(commonName)
	template.IsCA = true
	template.BasicConstraintsValid = true
	template.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("signing CA %q: %w", commonName, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("reading back CA %q: %w", commonName, err)
	}
	return &certificateAuthority{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}, nil
}

// issue generates an ECDSA P-256 certificate for commonName, signed by ca, for usage, and
// returns it and its private key (PKCS #8), both in PEM. A server certificate is for
// 127.0.0.1 and localhost; a client certificate names only its commonName.
func (ca *certificateAuthority) issue(commonName string, usage x509.ExtKeyUsage) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generating the key of %q: %w", commonName, err)
	}
	template := certificateTemplate(commonName)
	template.KeyUsage = x509.KeyUsageDigitalSignature
	template.ExtKeyUsage = []x509.ExtKeyUsage{usage}
	if usage == x509.ExtKeyUsageServerAuth {
		template.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
		template.DNSNames = []string{nameServerHost}
	}
	der, err := x509.CreateCertificate(rand.Reader, template, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		return nil, nil, fmt.Errorf("signing the certificate of %q: %w", commonName, err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("encoding the key of %q: %w", commonName, err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}), nil
}

// nameServerHost is the host name the server certificate holds besides 127.0.0.1.
const nameServerHost = "localhost"

func certificateTemplate(commonName string) *x509.Certificate {
	// crypto/rand.Read never returns an error (it crashes the program instead) since Go 1.24.
	random := make([]byte, 16)
	rand.Read(random)
	serial := new(big.Int).SetBytes(random)
	now := time.Now()
	return &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: commonName, Organization: []string{"zonekeeper tests"}},
		NotBefore:    now.Add(-certificateLifetime),
		NotAfter:     now.Add(certificateLifetime),
	}
}

// tlsFiles are the PEM files of a TLS listener and of a client certificate, in the instance
// folder, and the client configuration that trusts exactly the CA, presents the client
// certificate and offers ALPN "dot", without which BIND refuses zone transfers over TLS
// (RFC 9103 section 7.1).
type tlsFiles struct {
	ca, cert, key         string
	clientCert, clientKey string
	client                *tls.Config
}

// writeTLSFiles generates a CA and a server and a client certificate signed by it, and writes
// them and their keys into inst's folder.
func writeTLSFiles(inst instance) (tlsFiles, error) {
	files := tlsFiles{
		ca:   inst.path("ca.pem"),
		cert: inst.path("server.pem"), key: inst.path("server.key"),
		clientCert: inst.path("client.pem"), clientKey: inst.path("client.key"),
	}
	ca, err := newCertificateAuthority("zonekeeper test CA")
	if err != nil {
		return tlsFiles{}, err
	}
	certPEM, keyPEM, err := ca.issue(nameServerHost, x509.ExtKeyUsageServerAuth)
	if err != nil {
		return tlsFiles{}, err
	}
	clientCertPEM, clientKeyPEM, err := ca.issue("zonekeeper test client", x509.ExtKeyUsageClientAuth)
	if err != nil {
		return tlsFiles{}, err
	}
	for path, data := range map[string][]byte{
		files.ca:   ca.pem,
		files.cert: certPEM, files.key: keyPEM,
		files.clientCert: clientCertPEM, files.clientKey: clientKeyPEM,
	} {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			return tlsFiles{}, err
		}
	}
	clientCert, err := tls.X509KeyPair(clientCertPEM, clientKeyPEM)
	if err != nil {
		return tlsFiles{}, fmt.Errorf("reading back the client certificate: %w", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	files.client = &tls.Config{
		RootCAs:      pool,
		ServerName:   "127.0.0.1",
		Certificates: []tls.Certificate{clientCert},
		NextProtos:   []string{"dot"},
		MinVersion:   tls.VersionTLS12,
	}
	return files, nil
}

// WriteUnrelatedCA writes to path (mode 0600) the PEM certificate of a freshly generated CA
// that has signed nothing: a client that verifies a server of this package with it must refuse
// the server's certificate.
func WriteUnrelatedCA(path string) error {
	ca, err := newCertificateAuthority("zonekeeper unrelated test CA")
	if err != nil {
		return fmt.Errorf("dnsserver: %w", err)
	}
	if err := os.WriteFile(path, ca.pem, 0o600); err != nil {
		return fmt.Errorf("dnsserver: %w", err)
	}
	return nil
}
