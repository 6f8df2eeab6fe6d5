package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spectra-lab/spectra/internal/mail/mailpittest"
	"github.com/spectra-lab/spectra/internal/postgres/pgtest"
)

// serve with SPECTRA_SMTP_* sends an SPC alert's e-mails to the lab's
// engineers and PIs through a real SMTP server, with links under
// SPECTRA_PUBLIC_URL.
func TestServeSendsNotificationEmails(t *testing.T) {
	smtp := mailpittest.Start(t, mailpittest.Options{})
	d := startDemo(t, map[string]string{"SPECTRA_DATABASE_URL": pgtest.NewDatabase(t, true),
		"SPECTRA_DATA_DIR": filepath.Join(traversableDir(t), "data"), "SPECTRA_ADDR": "127.0.0.1:0",
		"SPECTRA_PUBLIC_URL": "https://lims.example.org", "SPECTRA_SMTP_HOST": smtp.SMTPHost,
		"SPECTRA_SMTP_PORT": strconv.Itoa(smtp.SMTPPort), "SPECTRA_SMTP_TLS": "none", "SPECTRA_SMTP_FROM": "SPECTRA-Lab <lims@demo.lab>"})
	token := loginToken(t, d.base, "engineer@demo.lab", "eng123")
	req, _ := http.NewRequest(http.MethodGet, d.base+"/api/analysis/spc/series?metric=threshold_voltage", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	code, body := resp.StatusCode, string(raw)
	var list struct {
		Items []struct {
			ID    string  `json:"id"`
			Name  string  `json:"name"`
			UCL   float64 `json:"ucl"`
			Sigma float64 `json:"sigma"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(body), &list); code != http.StatusOK || err != nil || len(list.Items) == 0 {
		t.Fatalf("series: %d %s", code, body)
	}
	s := list.Items[0]
	value := strconv.FormatFloat(s.UCL+10*s.Sigma, 'f', -1, 64)
	if code, b, _ := postAs(d.base+"/api/analysis/spc/series/"+s.ID+"/points", token, `{"points":[{"value":`+value+`}]}`); code != http.StatusCreated {
		t.Fatalf("points: %d %s", code, b)
	}
	var to []string
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		ms, err := smtp.Messages(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		to = to[:0]
		for _, m := range ms {
			to = append(to, m.To[0].Address)
		}
		if slices.Contains(to, "engineer@demo.lab") && slices.Contains(to, "pi@demo.lab") {
			m, err := smtp.Message(context.Background(), ms[0].ID)
			if err != nil {
				t.Fatal(err)
			}
			if link := "https://lims.example.org/spc/" + s.ID; !strings.Contains(m.Text, link) || !strings.Contains(m.HTML, link) ||
				m.From.Address != "lims@demo.lab" || m.Subject != "[Demo Lab] SPC alert on "+s.Name {
				t.Fatalf("e-mail: from %v, subject %q\n%s", m.From, m.Subject, m.Text)
			}
			for _, a := range to {
				if a != "engineer@demo.lab" && a != "pi@demo.lab" {
					t.Fatalf("an e-mail to %s", a)
				}
			}
			d.stop(t)
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("e-mails received for %v\n%s", to, d.errOut.String())
}
