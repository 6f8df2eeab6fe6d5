// Package webhook holds the rules of an organization's outgoing webhooks
// (PRODUCT.md §14) in one place: which URLs a webhook may have (Policy,
// checked when a webhook is created and again on the resolved address of
// every delivery, so a name that later resolves elsewhere, DNS
// rebinding, reaches nothing it may not), how a delivery is signed
// (Sign), and how it is sent (Policy.Send: 10 s, no redirects).
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Timeout bounds one delivery attempt, connection and answer.
const Timeout = 10 * time.Second

// The headers of a delivery.
const (
	HeaderID        = "Spectra-Webhook-Id"
	HeaderTimestamp = "Spectra-Webhook-Timestamp"
	HeaderSignature = "Spectra-Webhook-Signature"
)

// Policy is the operator's allow-list. By default a webhook's URL is
// https and its host resolves only to public addresses: never loopback,
// link-local (the cloud metadata address 169.254.169.254), private,
// shared (100.64/10), unspecified or multicast ones.
type Policy struct {
	// AllowHTTP lets a URL be http (SPECTRA_WEBHOOK_ALLOW_HTTP; tests
	// and labs).
	AllowHTTP bool
	// Allow are the addresses allowed although not public
	// (SPECTRA_WEBHOOK_ALLOW_HOSTS, its CIDRs and addresses).
	Allow []netip.Prefix
	// Hosts are the host names allowed whatever they resolve to
	// (SPECTRA_WEBHOOK_ALLOW_HOSTS, its names).
	Hosts []string
	// Resolver resolves host names (nil: net.DefaultResolver).
	Resolver *net.Resolver
}

// ParseAllowHosts reads SPECTRA_WEBHOOK_ALLOW_HOSTS: comma-separated
// CIDRs, addresses and host names.
func ParseAllowHosts(s string) (prefixes []netip.Prefix, hosts []string, err error) {
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		switch {
		case f == "":
		case strings.Contains(f, "/"):
			p, err := netip.ParsePrefix(f)
			if err != nil {
				return nil, nil, fmt.Errorf("%q is not a CIDR", f)
			}
			prefixes = append(prefixes, p.Masked())
		default:
			if a, err := netip.ParseAddr(f); err == nil {
				prefixes = append(prefixes, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
				continue
			}
			if strings.ContainsAny(f, " :/@") {
				return nil, nil, fmt.Errorf("%q is neither a CIDR, an address nor a host name", f)
			}
			hosts = append(hosts, strings.ToLower(strings.TrimSuffix(f, ".")))
		}
	}
	return prefixes, hosts, nil
}

var sharedAddressSpace = netip.MustParsePrefix("100.64.0.0/10")

// public reports whether a is an address a webhook may reach without
// the allow-list.
func public(a netip.Addr) bool {
	a = a.Unmap()
	return a.IsValid() && !a.IsLoopback() && !a.IsLinkLocalUnicast() && !a.IsLinkLocalMulticast() &&
		!a.IsInterfaceLocalMulticast() && !a.IsMulticast() && !a.IsPrivate() && !a.IsUnspecified() &&
		!sharedAddressSpace.Contains(a)
}

func (p Policy) hostAllowed(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, h := range p.Hosts {
		if h == host {
			return true
		}
	}
	return false
}

func (p Policy) addrAllowed(a netip.Addr) error {
	a = a.Unmap()
	if public(a) {
		return nil
	}
	for _, pf := range p.Allow {
		if pf.Contains(a) {
			return nil
		}
	}
	return fmt.Errorf("%s is not a public address (an operator may allow it: SPECTRA_WEBHOOK_ALLOW_HOSTS)", a)
}

// resolve is host's addresses, each allowed (every one: an attacker's
// name must not mix one public address with a private one).
func (p Policy) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else {
		r := p.Resolver
		if r == nil {
			r = net.DefaultResolver
		}
		if addrs, err = r.LookupNetIP(ctx, "ip", host); err != nil {
			return nil, fmt.Errorf("%s does not resolve", host)
		}
	}
	if p.hostAllowed(host) {
		return addrs, nil
	}
	for _, a := range addrs {
		if err := p.addrAllowed(a); err != nil {
			return nil, fmt.Errorf("%s resolves to %w", host, err)
		}
	}
	return addrs, nil
}

// CheckURL says why raw may not be a webhook's URL (nil: it may). The
// host is resolved now; a delivery checks the addresses again.
func (p Policy) CheckURL(ctx context.Context, raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Host == "" || u.Opaque != "":
		return errors.New("must be an absolute URL")
	case u.User != nil:
		return errors.New("must not carry a user name or password")
	case u.Fragment != "":
		return errors.New("must not have a fragment")
	case u.Scheme == "http" && !p.AllowHTTP:
		return errors.New("must be https (http only where the operator allows it: SPECTRA_WEBHOOK_ALLOW_HTTP)")
	case u.Scheme != "https" && u.Scheme != "http":
		return errors.New("must be https")
	}
	if _, err := p.resolve(ctx, u.Hostname()); err != nil {
		return err
	}
	return nil
}

// dial connects to one of addr's allowed addresses: the check on the
// address actually reached.
func (p Policy) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	addrs, err := p.resolve(ctx, host)
	if err != nil {
		return nil, err
	}
	var d net.Dialer
	var last error
	for _, a := range addrs {
		c, err := d.DialContext(ctx, network, net.JoinHostPort(a.String(), port))
		if err == nil {
			return c, nil
		}
		last = err
	}
	return nil, last
}

// Client is the HTTP client of deliveries: Timeout, no proxy from the
// environment, no redirects followed (a 3xx is an answer, and not a
// success), every connection through the policy's check.
func (p Policy) Client() *http.Client {
	return &http.Client{
		Timeout:       Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport: &http.Transport{
			DialContext:         p.dial,
			TLSHandshakeTimeout: Timeout,
			MaxIdleConns:        10,
			IdleConnTimeout:     90 * time.Second,
		},
	}
}

// Sign is the value of HeaderSignature: v1= and the hex HMAC-SHA256,
// keyed by secret, of the timestamp (Unix seconds), a dot and the body.
func Sign(secret string, timestamp int64, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(timestamp, 10)))
	m.Write([]byte("."))
	m.Write(body)
	return "v1=" + hex.EncodeToString(m.Sum(nil))
}

// Verify checks a delivery's signature and that its timestamp is within
// tolerance of now: what a receiver does.
func Verify(secret string, timestamp, signature string, body []byte, now time.Time, tolerance time.Duration) error {
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return errors.New("bad timestamp")
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return errors.New("timestamp out of tolerance")
	}
	if !hmac.Equal([]byte(Sign(secret, ts, body)), []byte(signature)) {
		return errors.New("bad signature")
	}
	return nil
}

// Result is what one attempt got: the status code (0: no answer) and
// the error, if it was not a success (2xx).
type Result struct {
	Status int
	Err    error
}

// Send POSTs body to rawURL, signed with secret at now, as delivery id.
func (p Policy) Send(ctx context.Context, c *http.Client, rawURL, secret, id string, body []byte, now time.Time) Result {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "https" && !(u.Scheme == "http" && p.AllowHTTP)) {
		return Result{Err: errors.New("the URL is no longer allowed (https only)")}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, bytes.NewReader(body))
	if err != nil {
		return Result{Err: err}
	}
	ts := now.Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "spectra-webhook/1")
	req.Header.Set(HeaderID, id)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderSignature, Sign(secret, ts, body))
	resp, err := c.Do(req)
	if err != nil {
		return Result{Err: err}
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return Result{Status: resp.StatusCode, Err: fmt.Errorf("answered %d", resp.StatusCode)}
	}
	return Result{Status: resp.StatusCode}
}
