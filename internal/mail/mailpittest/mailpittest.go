// Package mailpittest runs a real SMTP server for tests: mailpit
// (github.com/axllent/mailpit), the binary built from the Go module proxy
// by `make tools` (bin/tools), found on PATH or named by
// $SPECTRA_TEST_MAILPIT. It listens on free loopback ports, optionally
// with STARTTLS or implicit TLS on a self-signed certificate made for the
// test and with SMTP authentication, and the test reads what it received
// through mailpit's HTTP API. Without the binary the tests that need it
// fail, saying how to get it: they never skip.
package mailpittest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spectra-lab/spectra/internal/testserver"
)

// EnvBinary names the mailpit binary to use, overriding the search.
const EnvBinary = "SPECTRA_TEST_MAILPIT"

// Version is the mailpit that `make tools` builds.
const Version = "v1.33.1"

// Options choose how the SMTP side runs.
type Options struct {
	// TLS: "" (plain), "starttls" (required of clients) or "tls"
	// (implicit TLS, required).
	TLS string
	// Users, when not empty, are the only accepted logins (user → password).
	Users map[string]string
	// SMTPAddr, when set, is where SMTP listens (a server started again
	// where a stopped one was); else a free loopback port.
	SMTPAddr string
}

// Server is a running mailpit.
type Server struct {
	SMTPHost string // 127.0.0.1
	SMTPPort int
	APIURL   string // http://127.0.0.1:port
	// RootCAs trusts the server's certificate (with TLS).
	RootCAs *x509.CertPool
	proc    *testserver.Process
}

// Binary finds mailpit: $SPECTRA_TEST_MAILPIT, bin/tools/mailpit of the
// module, or PATH.
func Binary() (string, error) {
	p, err := testserver.Find(EnvBinary, "mailpit", "go install github.com/axllent/mailpit@"+Version)
	if err != nil {
		return "", fmt.Errorf("mailpittest: %w", err)
	}
	return p, nil
}

// Start runs mailpit with opts and stops it when tb ends.
func Start(tb testing.TB, opts Options) *Server {
	tb.Helper()
	s, err := start(opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Stop)
	return s
}

func start(opts Options) (*Server, error) {
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "spectra-mailpit-")
	if err != nil {
		return nil, err
	}
	smtpAddr := opts.SMTPAddr
	if smtpAddr == "" {
		if smtpAddr, err = testserver.FreeAddr(); err != nil {
			return nil, err
		}
	}
	httpAddr, err := testserver.FreeAddr()
	if err != nil {
		return nil, err
	}
	host, port, _ := net.SplitHostPort(smtpAddr)
	s := &Server{SMTPHost: host, APIURL: "http://" + httpAddr}
	s.SMTPPort, _ = strconv.Atoi(port)
	args := []string{"--smtp", smtpAddr, "--listen", httpAddr, "--database", filepath.Join(dir, "mailpit.db"),
		"--disable-version-check", "--smtp-disable-rdns", "--quiet"}
	switch opts.TLS {
	case "":
	case "starttls", "tls":
		cert, key, pool, err := selfSigned(dir)
		if err != nil {
			return nil, err
		}
		s.RootCAs = pool
		args = append(args, "--smtp-tls-cert", cert, "--smtp-tls-key", key)
		if opts.TLS == "tls" {
			args = append(args, "--smtp-require-tls")
		} else {
			args = append(args, "--smtp-require-starttls")
		}
	default:
		return nil, fmt.Errorf("mailpittest: TLS %q is not starttls or tls", opts.TLS)
	}
	if len(opts.Users) > 0 {
		var b strings.Builder
		for u, p := range opts.Users {
			fmt.Fprintf(&b, "%s:%s\n", u, p)
		}
		f := filepath.Join(dir, "users")
		if err := os.WriteFile(f, []byte(b.String()), 0o600); err != nil {
			return nil, err
		}
		args = append(args, "--smtp-auth-file", f)
	}
	// Ready: the SMTP port accepts connections and the API answers.
	ready := func() error {
		if err := testserver.Listening(smtpAddr)(); err != nil {
			return err
		}
		_, err := s.Messages(context.Background())
		return err
	}
	if s.proc, err = testserver.Start("mailpit", bin, args, dir, ready); err != nil {
		return nil, fmt.Errorf("mailpittest: %w", err)
	}
	return s, nil
}

// Stop ends the server and removes its directory.
func (s *Server) Stop() { s.proc.Stop() }

// TLSConfig trusts the server's certificate.
func (s *Server) TLSConfig() *tls.Config {
	return &tls.Config{RootCAs: s.RootCAs, ServerName: s.SMTPHost, MinVersion: tls.VersionTLS12}
}

// Address is an e-mail address as mailpit reports it.
type Address struct {
	Name    string `json:"Name"`
	Address string `json:"Address"`
}

// Summary is one message of the list.
type Summary struct {
	ID      string    `json:"ID"`
	From    Address   `json:"From"`
	To      []Address `json:"To"`
	Subject string    `json:"Subject"`
}

// Message is one message with its text and HTML parts.
type Message struct {
	Summary
	Text string `json:"Text"`
	HTML string `json:"HTML"`
}

func (s *Server) get(ctx context.Context, path string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.APIURL+path, nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("mailpittest: GET %s: %s", path, res.Status)
	}
	return json.NewDecoder(res.Body).Decode(v)
}

// Messages lists what the server received, newest first.
func (s *Server) Messages(ctx context.Context) ([]Summary, error) {
	var out struct {
		Messages []Summary `json:"messages"`
	}
	err := s.get(ctx, "/api/v1/messages?limit=1000", &out)
	return out.Messages, err
}

// Await waits (up to 30 s) until the server holds at least want messages
// whose subject contains about, then a second longer (a duplicate would
// arrive by then), and returns those it holds, oldest first.
func (s *Server) Await(tb testing.TB, about string, want int) []Summary {
	tb.Helper()
	list := func() []Summary {
		all, err := s.Messages(context.Background())
		if err != nil {
			tb.Fatal(err)
		}
		var out []Summary
		for i := len(all) - 1; i >= 0; i-- {
			if strings.Contains(all[i].Subject, about) {
				out = append(out, all[i])
			}
		}
		return out
	}
	for deadline := time.Now().Add(30 * time.Second); len(list()) < want && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(time.Second)
	return list()
}

// Message reads one message, its text and HTML parts.
func (s *Server) Message(ctx context.Context, id string) (Message, error) {
	var m Message
	err := s.get(ctx, "/api/v1/message/"+id, &m)
	return m, err
}

// selfSigned writes a certificate for 127.0.0.1 and localhost and its key
// into dir and returns their paths and a pool that trusts it.
func selfSigned(dir string) (certFile, keyFile string, pool *x509.CertPool, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "mailpittest"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:     []string{"localhost"},
		IsCA:         true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return "", "", nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return "", "", nil, err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return "", "", nil, err
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		return "", "", nil, err
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return "", "", nil, err
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool, nil
}
