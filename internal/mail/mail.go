// Package mail sends the notification e-mails (PRODUCT.md §14) over SMTP
// with github.com/wneessen/go-mail: STARTTLS (required, not merely tried),
// implicit TLS or, to a server on this machine only, none; SMTP
// authentication when a user name is configured. Each message has a text
// and an HTML part, rendered from the embedded templates of its kind.
package mail

import (
	"bytes"
	"context"
	"crypto/tls"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/spectra-lab/spectra/internal/config"
	"github.com/spectra-lab/spectra/internal/spectra"
)

//go:embed templates/*.tmpl
var templateFiles embed.FS

var (
	textTemplates = texttemplate.Must(texttemplate.ParseFS(templateFiles, "templates/text.tmpl"))
	htmlTemplates = htmltemplate.Must(htmltemplate.ParseFS(templateFiles, "templates/html.tmpl"))
)

// Data is what a notification e-mail names: the lab (organization), the
// object by its name (never an id), a detail of the event, and the link.
type Data struct {
	Lab       string // the organization's name
	Recipient string // the recipient's display name
	Object    string // e.g. the instrument's or the series' name
	Detail    string // e.g. "on 2026-12-24", the rule broken; may be empty
	Link      string // absolute: Link(publicURL, relative)
}

// Rendered is one e-mail's subject and its two bodies.
type Rendered struct {
	Subject, Text, HTML string
}

// Link makes a notification's relative app link absolute under the
// server's public URL (SPECTRA_PUBLIC_URL).
func Link(publicURL, relative string) string {
	return strings.TrimRight(publicURL, "/") + "/" + strings.TrimLeft(relative, "/")
}

// Render renders kind's e-mail for d. Every kind of
// spectra.NotificationKinds has a template (TestEveryKindRenders).
func Render(kind spectra.NotificationKind, d Data) (Rendered, error) {
	var out Rendered
	if !kind.Valid() {
		return out, fmt.Errorf("mail: unknown notification kind %q", kind)
	}
	var b bytes.Buffer
	if err := textTemplates.ExecuteTemplate(&b, "subject "+string(kind), d); err != nil {
		return out, err
	}
	// A name with a line break must not start a header of its own.
	out.Subject = strings.Join(strings.Fields(b.String()), " ")
	view := struct {
		Data
		Subject string
	}{d, out.Subject}

	t, err := textTemplates.Clone()
	if err != nil {
		return out, err
	}
	if _, err := t.AddParseTree("body", textTemplates.Lookup("body "+string(kind)).Tree.Copy()); err != nil {
		return out, err
	}
	b.Reset()
	if err := t.ExecuteTemplate(&b, "text", view); err != nil {
		return out, err
	}
	out.Text = b.String()

	h, err := htmlTemplates.Clone()
	if err != nil {
		return out, err
	}
	if _, err := h.AddParseTree("body", htmlTemplates.Lookup("body "+string(kind)).Tree.Copy()); err != nil {
		return out, err
	}
	b.Reset()
	if err := h.ExecuteTemplate(&b, "html", view); err != nil {
		return out, err
	}
	out.HTML = b.String()
	return out, nil
}

// RenderMessage renders one job's e-mail (spectra.EmailMessage), its link
// made absolute under publicURL: a notification's kind, or the password
// reset.
func RenderMessage(m spectra.EmailMessage, publicURL string) (Rendered, error) {
	d := Data{Lab: m.Lab, Recipient: m.ToName, Object: m.ObjectName, Detail: m.Detail, Link: Link(publicURL, m.Link)}
	if m.Template != spectra.EmailPasswordReset {
		return Render(spectra.NotificationKind(m.Template), d)
	}
	var out Rendered
	var b bytes.Buffer
	if err := textTemplates.ExecuteTemplate(&b, "subject "+m.Template, d); err != nil {
		return out, err
	}
	out.Subject = b.String()
	view := struct {
		Data
		Subject string
	}{d, out.Subject}
	b.Reset()
	if err := textTemplates.ExecuteTemplate(&b, m.Template+" text", view); err != nil {
		return out, err
	}
	out.Text = b.String()
	// Executed on a clone: html/template refuses to Clone a set that has
	// executed, and Render clones the shared set for every notification.
	h, err := htmlTemplates.Clone()
	if err != nil {
		return out, err
	}
	b.Reset()
	if err := h.ExecuteTemplate(&b, m.Template+" html", view); err != nil {
		return out, err
	}
	out.HTML = b.String()
	return out, nil
}

// Recipient is whom an e-mail goes to.
type Recipient struct {
	Name, Address string
}

// Mailer sends e-mails through one SMTP server.
type Mailer struct {
	cfg       config.SMTP
	tlsConfig *tls.Config
}

// New is a Mailer for cfg (cfg.Enabled must hold). tlsConfig, when not
// nil, replaces the default (the system's roots, the host's name):
// tests trust their own certificate with it.
func New(cfg config.SMTP, tlsConfig *tls.Config) (*Mailer, error) {
	if !cfg.Enabled() {
		return nil, fmt.Errorf("mail: no SMTP host configured")
	}
	if err := gomail.NewMsg().From(cfg.From); err != nil {
		return nil, fmt.Errorf("mail: sender %q: %w", cfg.From, err)
	}
	if tlsConfig == nil {
		tlsConfig = &tls.Config{ServerName: cfg.Host, MinVersion: tls.VersionTLS12}
	}
	return &Mailer{cfg: cfg, tlsConfig: tlsConfig}, nil
}

func (m *Mailer) client() (*gomail.Client, error) {
	opts := []gomail.Option{gomail.WithPort(m.cfg.Port), gomail.WithTimeout(30 * time.Second), gomail.WithTLSConfig(m.tlsConfig)}
	switch m.cfg.TLS {
	case "tls":
		opts = append(opts, gomail.WithSSL())
	case "none":
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default: // starttls: a server that does not offer it is refused
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if m.cfg.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(m.cfg.Username), gomail.WithPassword(m.cfg.Password))
	}
	return gomail.NewClient(m.cfg.Host, opts...)
}

// Send sends kind's e-mail for d to each recipient, one message each (no
// recipient sees another's address), over one connection.
func (m *Mailer) Send(ctx context.Context, to []Recipient, kind spectra.NotificationKind, d Data) error {
	var msgs []*gomail.Msg
	for _, r := range to {
		d := d
		d.Recipient = r.Name
		out, err := Render(kind, d)
		if err != nil {
			return err
		}
		msg, err := m.message(r, out)
		if err != nil {
			return err
		}
		msgs = append(msgs, msg)
	}
	return m.send(ctx, msgs)
}

// SendMessage sends one job's e-mail, its link under publicURL.
func (m *Mailer) SendMessage(ctx context.Context, msg spectra.EmailMessage, publicURL string) error {
	out, err := RenderMessage(msg, publicURL)
	if err != nil {
		return err
	}
	gm, err := m.message(Recipient{Name: msg.ToName, Address: msg.ToAddress}, out)
	if err != nil {
		return err
	}
	return m.send(ctx, []*gomail.Msg{gm})
}

func (m *Mailer) message(r Recipient, out Rendered) (*gomail.Msg, error) {
	msg := gomail.NewMsg()
	if err := msg.From(m.cfg.From); err != nil {
		return nil, fmt.Errorf("mail: sender %q: %w", m.cfg.From, err)
	}
	if err := msg.AddToFormat(r.Name, r.Address); err != nil {
		return nil, fmt.Errorf("mail: recipient %q: %w", r.Address, err)
	}
	msg.Subject(out.Subject)
	msg.SetMessageID()
	msg.SetDate()
	msg.SetBodyString(gomail.TypeTextPlain, out.Text)
	msg.AddAlternativeString(gomail.TypeTextHTML, out.HTML)
	return msg, nil
}

func (m *Mailer) send(ctx context.Context, msgs []*gomail.Msg) error {
	if len(msgs) == 0 {
		return nil
	}
	c, err := m.client()
	if err != nil {
		return err
	}
	if err := c.DialAndSendWithContext(ctx, msgs...); err != nil {
		return fmt.Errorf("mail: send through %s:%d: %w", m.cfg.Host, m.cfg.Port, err)
	}
	return nil
}
