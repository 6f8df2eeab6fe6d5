package mail_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spectra-lab/spectra/internal/config"
	"github.com/spectra-lab/spectra/internal/mail"
	"github.com/spectra-lab/spectra/internal/mail/mailpittest"
	"github.com/spectra-lab/spectra/internal/spectra"
)

// Every kind renders a subject, a text and an HTML body naming the lab,
// the object and the link; the HTML escapes what the names hold.
func TestEveryKindRenders(t *testing.T) {
	link := mail.Link("https://lims.example.org/", "/instruments/42")
	if link != "https://lims.example.org/instruments/42" {
		t.Fatalf("link = %q", link)
	}
	for _, k := range spectra.NotificationKinds {
		r, err := mail.Render(k, mail.Data{Lab: "Demo Lab", Recipient: "Ada", Object: "SMU <2450> & co", Detail: "on 2026-12-24", Link: link})
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		if !strings.Contains(r.Subject, "Demo Lab") || !strings.Contains(r.Subject, "SMU <2450> & co") || strings.ContainsAny(r.Subject, "\r\n") {
			t.Errorf("%s subject: %q", k, r.Subject)
		}
		for _, want := range []string{"Ada", "Demo Lab", "SMU <2450> & co", link} {
			if !strings.Contains(r.Text, want) {
				t.Errorf("%s text lacks %q:\n%s", k, want, r.Text)
			}
		}
		for _, want := range []string{"Demo Lab", "SMU &lt;2450&gt; &amp; co", `href="` + link + `"`} {
			if !strings.Contains(r.HTML, want) {
				t.Errorf("%s HTML lacks %q:\n%s", k, want, r.HTML)
			}
		}
		if strings.Contains(r.HTML, "<2450>") {
			t.Errorf("%s HTML does not escape the name", k)
		}
	}
	if _, err := mail.Render("gossip", mail.Data{}); err == nil {
		t.Fatal("an unknown kind rendered")
	}
	// A line break in a name does not reach the subject.
	if r, _ := mail.Render(spectra.NotifySPCAlert, mail.Data{Lab: "L", Object: "a\r\nBcc: x@y"}); strings.ContainsAny(r.Subject, "\r\n") {
		t.Fatalf("subject %q", r.Subject)
	}
}

// The password reset e-mail: its own subject, the link in both parts
// (escaped in the HTML), the recipient's and the lab's names escaped too.
func TestPasswordResetRenders(t *testing.T) {
	r, err := mail.RenderMessage(spectra.EmailMessage{Template: spectra.EmailPasswordReset, ToName: "Ada <admin>", Lab: "Demo & Lab",
		Link: "/reset-password?token=spr_abc&x=1", Detail: "This link works once."}, "https://lims.example.org/")
	if err != nil {
		t.Fatal(err)
	}
	link := "https://lims.example.org/reset-password?token=spr_abc&x=1"
	if r.Subject != "Reset your SPECTRA-Lab password" || !strings.Contains(r.Text, link) || !strings.Contains(r.Text, "This link works once.") {
		t.Fatalf("subject %q, text:\n%s", r.Subject, r.Text)
	}
	for _, want := range []string{`href="https://lims.example.org/reset-password?token=spr_abc&amp;x=1"`, "Ada &lt;admin&gt;", "Demo &amp; Lab"} {
		if !strings.Contains(r.HTML, want) {
			t.Errorf("HTML lacks %q:\n%s", want, r.HTML)
		}
	}
	if _, err := mail.RenderMessage(spectra.EmailMessage{Template: "gossip"}, "https://x"); err == nil {
		t.Fatal("an unknown template rendered")
	}
	// Notifications still render after a reset e-mail did (one template set).
	if _, err := mail.Render(spectra.NotifySPCAlert, mail.Data{Lab: "L", Object: "o"}); err != nil {
		t.Fatalf("a notification after a reset e-mail: %v", err)
	}
}

// waitMessages polls mailpit until it holds n messages.
func waitMessages(t *testing.T, s *mailpittest.Server, n int) []mailpittest.Summary {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ms, err := s.Messages(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) >= n || time.Now().After(deadline) {
			if len(ms) != n {
				t.Fatalf("mailpit holds %d messages, want %d", len(ms), n)
			}
			return ms
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func send(t *testing.T, s *mailpittest.Server, cfg config.SMTP) error {
	t.Helper()
	m, err := mail.New(cfg, s.TLSConfig())
	if err != nil {
		t.Fatal(err)
	}
	return m.Send(context.Background(), []mail.Recipient{{Name: "Ada Lovelace", Address: "ada@demo.lab"}, {Name: "Bob", Address: "bob@demo.lab"}},
		spectra.NotifySPCAlert, mail.Data{Lab: "Demo Lab", Object: "Threshold voltage", Detail: "Rule 1: one point beyond 3σ.",
			Link: mail.Link("https://lims.example.org", "/spc/123")})
}

// What mailpit received over each transport: one message per recipient,
// from the sender, with both parts and the link.
func TestSendThroughMailpit(t *testing.T) {
	for _, tc := range []struct {
		name  string
		opts  mailpittest.Options
		tls   string
		users bool
	}{
		{"plain to localhost", mailpittest.Options{}, "none", false},
		{"STARTTLS with authentication", mailpittest.Options{TLS: "starttls", Users: map[string]string{"lab": "s3cret"}}, "starttls", true},
		{"implicit TLS with authentication", mailpittest.Options{TLS: "tls", Users: map[string]string{"lab": "s3cret"}}, "tls", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := mailpittest.Start(t, tc.opts)
			cfg := config.SMTP{Host: s.SMTPHost, Port: s.SMTPPort, From: "SPECTRA-Lab <lab@demo.lab>", TLS: tc.tls}
			if tc.users {
				cfg.Username, cfg.Password = "lab", "s3cret"
			}
			if err := send(t, s, cfg); err != nil {
				t.Fatal(err)
			}
			ms := waitMessages(t, s, 2)
			got := map[string]mailpittest.Message{}
			for _, sum := range ms {
				m, err := s.Message(context.Background(), sum.ID)
				if err != nil {
					t.Fatal(err)
				}
				if len(m.To) != 1 {
					t.Fatalf("recipients of one message: %+v", m.To)
				}
				got[m.To[0].Address] = m
			}
			ada, ok := got["ada@demo.lab"]
			if !ok || got["bob@demo.lab"].ID == "" {
				t.Fatalf("received for %v", got)
			}
			if ada.From.Address != "lab@demo.lab" || ada.From.Name != "SPECTRA-Lab" || ada.To[0].Name != "Ada Lovelace" {
				t.Errorf("from %+v to %+v", ada.From, ada.To)
			}
			if ada.Subject != "[Demo Lab] SPC alert on Threshold voltage" {
				t.Errorf("subject %q", ada.Subject)
			}
			for _, want := range []string{"Hello Ada Lovelace", "Threshold voltage", "Rule 1: one point beyond 3σ.", "https://lims.example.org/spc/123"} {
				if !strings.Contains(ada.Text, want) {
					t.Errorf("text lacks %q:\n%s", want, ada.Text)
				}
			}
			for _, want := range []string{"<strong>Threshold voltage</strong>", `href="https://lims.example.org/spc/123"`} {
				if !strings.Contains(ada.HTML, want) {
					t.Errorf("HTML lacks %q:\n%s", want, ada.HTML)
				}
			}
		})
	}
}

// A wrong password, a server without the required STARTTLS, and a
// certificate nobody trusts are refused: nothing is delivered.
func TestSendRefusals(t *testing.T) {
	secured := mailpittest.Start(t, mailpittest.Options{TLS: "starttls", Users: map[string]string{"lab": "s3cret"}})
	cfg := config.SMTP{Host: secured.SMTPHost, Port: secured.SMTPPort, From: "lab@demo.lab", TLS: "starttls", Username: "lab", Password: "wrong"}
	if err := send(t, secured, cfg); err == nil {
		t.Error("a wrong password was accepted")
	}
	cfg.Password = ""
	cfg.Username = ""
	if err := send(t, secured, cfg); err == nil {
		t.Error("no login was accepted")
	}
	untrusted, err := mail.New(config.SMTP{Host: secured.SMTPHost, Port: secured.SMTPPort, From: "lab@demo.lab", TLS: "starttls", Username: "lab", Password: "s3cret"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := untrusted.Send(context.Background(), []mail.Recipient{{Name: "A", Address: "a@demo.lab"}}, spectra.NotifyRunBlocked, mail.Data{Lab: "L", Object: "R"}); err == nil {
		t.Error("an untrusted certificate was accepted")
	}
	if ms, err := secured.Messages(context.Background()); err != nil || len(ms) != 0 {
		t.Fatalf("delivered: %d, %v", len(ms), err)
	}
	plain := mailpittest.Start(t, mailpittest.Options{})
	if err := send(t, plain, config.SMTP{Host: plain.SMTPHost, Port: plain.SMTPPort, From: "lab@demo.lab", TLS: "starttls"}); err == nil {
		t.Error("a server without STARTTLS was used although STARTTLS is required")
	}
	if ms, err := plain.Messages(context.Background()); err != nil || len(ms) != 0 {
		t.Fatalf("delivered without TLS: %d, %v", len(ms), err)
	}
}

// Workers render e-mails at once (each send_email job in its own
// goroutine): under -race, concurrent renders of every kind and of the
// reset share nothing they write.
func TestConcurrentRenders(t *testing.T) {
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, k := range spectra.NotificationKinds {
				r, err := mail.Render(k, mail.Data{Lab: "Lab", Object: fmt.Sprintf("object %d", i), Link: "https://x/y"})
				if err == nil && !strings.Contains(r.HTML, fmt.Sprintf("object %d", i)) {
					err = fmt.Errorf("%s: the HTML lacks its own object", k)
				}
				if err != nil {
					errs <- err
				}
			}
			if _, err := mail.RenderMessage(spectra.EmailMessage{Template: spectra.EmailPasswordReset, Link: "/reset-password?token=t"}, "https://x"); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
