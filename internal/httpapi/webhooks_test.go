package httpapi

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"golang.org/x/net/dns/dnsmessage"

	"github.com/spectra-lab/spectra/internal/webhook"
)

// dnsServer is a real DNS server on the loopback that answers every A
// question with addr: a name an attacker controls.
func dnsServer(t *testing.T, addr [4]byte) *net.Resolver {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	go func() {
		buf := make([]byte, 512)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			var p dnsmessage.Parser
			h, err := p.Start(buf[:n])
			if err != nil {
				continue
			}
			q, err := p.Question()
			if err != nil {
				continue
			}
			b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true})
			_ = b.StartQuestions()
			_ = b.Question(q)
			_ = b.StartAnswers()
			if q.Type == dnsmessage.TypeA {
				_ = b.AResource(dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 60}, dnsmessage.AResource{A: addr})
			}
			msg, _ := b.Finish()
			_, _ = pc.WriteTo(msg, from)
		}
	}()
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", pc.LocalAddr().String())
	}}
}

// TestWebhookAdmin: an admin adds a webhook to the test's receiver (the
// operator allow-list names 127.0.0.1) and sees its secret once; the URL
// rules refuse loopback without the allow-list, http without the
// setting and a name resolving to the metadata address, naming url;
// another organization's webhook is a 404; below admin is a 403.
func TestWebhookAdmin(t *testing.T) {
	e := newAPIEnv(t)
	admin := e.token("admin@demo.lab", "admin123")
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	t.Cleanup(rcv.Close)
	body := func(url string) map[string]any {
		return map[string]any{"url": url, "kinds": []string{"spc_alert", "calibration_warning"}}
	}

	refused := []struct{ name, url string }{
		{"loopback without the allow-list", "https://127.0.0.1/hook"},
		{"loopback by name", "https://localhost/hook"},
		{"a private address", "https://10.1.2.3/hook"},
		{"the metadata address", "https://169.254.169.254/latest/meta-data"},
		{"http without the setting", "http://93.184.215.14/hook"},
		{"a user in the URL", "https://u:p@93.184.215.14/hook"},
		{"not a URL", "ftp://93.184.215.14/x"},
	}
	for _, c := range refused {
		if r := e.call(http.MethodPost, "/api/admin/webhooks", admin, body(c.url)); r.Status != http.StatusUnprocessableEntity || !problemHasField(r, "url") {
			t.Errorf("%s: %d %s, want 422 naming url", c.name, r.Status, r.Raw)
		}
	}
	for name, b := range map[string]map[string]any{
		"no kinds":        {"url": "https://93.184.215.14/hook", "kinds": []string{}},
		"an unknown kind": {"url": "https://93.184.215.14/hook", "kinds": []string{"spc_alert", "lunch"}},
	} {
		if r := e.call(http.MethodPost, "/api/admin/webhooks", admin, b); r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Raw), "kinds") {
			t.Errorf("%s: %d %s, want 422 naming kinds", name, r.Status, r.Raw)
		}
	}
	if n := e.count(`SELECT count(*) FROM webhooks`); n != 0 {
		t.Errorf("refused webhooks stored: %d", n)
	}
	e.srv.webhooks = webhook.Policy{Resolver: dnsServer(t, [4]byte{169, 254, 169, 254})}
	if r := e.call(http.MethodPost, "/api/admin/webhooks", admin, body("https://metadata.attacker.test/hook")); r.Status != http.StatusUnprocessableEntity ||
		!problemHasField(r, "url") || !strings.Contains(string(r.Raw), "169.254.169.254") {
		t.Errorf("a name resolving to 169.254.169.254: %d %s, want 422 naming url", r.Status, r.Raw)
	}

	e.srv.webhooks = webhook.Policy{AllowHTTP: true, Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}
	created := e.call(http.MethodPost, "/api/admin/webhooks", admin, body(rcv.URL+"/hook"))
	secret := created.str("secret")
	if created.Status != http.StatusCreated || !strings.HasPrefix(secret, "whsec_") || len(secret) != 6+64 || created.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("create: %d %s", created.Status, created.Raw)
	}
	id := created.str("id")
	list := e.call(http.MethodGet, "/api/admin/webhooks", admin, nil)
	if list.Status != http.StatusOK || !strings.Contains(string(list.Raw), id) || strings.Contains(string(list.Raw), secret) {
		t.Errorf("list: %d %s; want the webhook without its secret", list.Status, list.Raw)
	}
	if n := e.count(`SELECT count(*) FROM audit_log WHERE table_name = 'webhooks' AND new_values->>'secret' = '[redacted]'`); n != 1 {
		t.Errorf("audit rows with the secret redacted: %d, want 1", n)
	}
	if n := e.count(`SELECT count(*) FROM audit_log WHERE table_name = 'webhooks' AND new_values::text LIKE '%` + secret[6:] + `%'`); n != 0 {
		t.Errorf("audit rows holding the secret: %d", n)
	}
	deliveries := e.call(http.MethodGet, "/api/admin/webhooks/"+id+"/deliveries", admin, nil)
	if items, _ := deliveries.Body["items"].([]any); deliveries.Status != http.StatusOK || items == nil || len(items) != 0 {
		t.Errorf("deliveries of a new webhook: %d %s", deliveries.Status, deliveries.Raw)
	}

	other := e.token("admin@test.org", "admin123")
	for _, c := range []struct{ method, path string }{
		{http.MethodGet, "/api/admin/webhooks/" + id + "/deliveries"},
		{http.MethodPost, "/api/admin/webhooks/" + id + "/deliveries/" + id + "/redeliver"},
		{http.MethodDelete, "/api/admin/webhooks/" + id},
	} {
		if r := e.call(c.method, c.path, other, nil); r.Status != http.StatusNotFound {
			t.Errorf("another organization's %s %s: %d, want 404", c.method, c.path, r.Status)
		}
	}
	if r := e.call(http.MethodGet, "/api/admin/webhooks", other, nil); r.Status != http.StatusOK || strings.Contains(string(r.Raw), id) {
		t.Errorf("another organization's list: %d %s", r.Status, r.Raw)
	}
	for _, who := range [][2]string{{"pi@demo.lab", "pi123"}, {"engineer@demo.lab", "eng123"}} {
		tok := e.token(who[0], who[1])
		if r := e.call(http.MethodGet, "/api/admin/webhooks", tok, nil); r.Status != http.StatusForbidden {
			t.Errorf("%s lists webhooks: %d, want 403", who[0], r.Status)
		}
		if r := e.call(http.MethodPost, "/api/admin/webhooks", tok, body(rcv.URL)); r.Status != http.StatusForbidden {
			t.Errorf("%s adds a webhook: %d, want 403", who[0], r.Status)
		}
	}
	if r := e.call(http.MethodDelete, "/api/admin/webhooks/"+id, admin, nil); r.Status != http.StatusNoContent {
		t.Errorf("delete: %d %s", r.Status, r.Raw)
	}
	if r := e.call(http.MethodGet, "/api/admin/webhooks/"+id+"/deliveries", admin, nil); r.Status != http.StatusNotFound {
		t.Errorf("a deleted webhook's deliveries: %d, want 404", r.Status)
	}
}
