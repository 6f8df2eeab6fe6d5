// Command upload measures a large file's upload and download through the
// API and the server's memory meanwhile (PRODUCT.md §13: a 100 MB upload
// streams with flat server memory). It logs in as the demo engineer,
// plans and starts an IV run, streams -mb megabytes of pseudo-random bytes
// (never held in memory here either) as a multipart upload, samples the
// server's resident set (VmRSS of -pid) every 10 ms, then downloads the
// file and checks its digest. bench/upload.sh runs it against a fresh demo
// server, once per object store.
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

func main() {
	url := flag.String("url", "http://127.0.0.1:18080", "the server")
	pid := flag.Int("pid", 0, "the server's process id (its RSS is sampled)")
	mb := flag.Int("mb", 100, "megabytes (10^6 bytes) to upload")
	label := flag.String("label", "", "what the line reports (e.g. the store)")
	flag.Parse()
	if err := run(*url, *pid, *mb, *label); err != nil {
		fmt.Fprintln(os.Stderr, "upload:", err)
		os.Exit(1)
	}
}

func run(url string, pid, mb int, label string) error {
	c := &client{url: url}
	if err := c.login("engineer@demo.lab", "eng123"); err != nil {
		return err
	}
	runID, err := c.runningRun()
	if err != nil {
		return err
	}
	before, err := rss(pid)
	if err != nil {
		return err
	}
	peak := newPeak(pid)
	size := int64(mb) * 1_000_000 // MB, as the limit's 100 MiB default takes a 100 MB file
	h := sha256.New()
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		part, err := mw.CreateFormFile("file", "raw.bin")
		if err == nil {
			_, err = io.CopyN(io.MultiWriter(part, h), &prng{r: rand.New(rand.NewPCG(1, 2))}, size)
		}
		if err == nil {
			err = mw.Close()
		}
		pw.CloseWithError(err)
	}()
	req, _ := http.NewRequest(http.MethodPost, url+"/api/analysis/runs/"+runID+"/files", pr)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+c.token)
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	up := time.Since(start)
	upPeak := peak.stop()
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("upload: %d %s", resp.StatusCode, body)
	}
	var f struct {
		ID     string `json:"id"`
		SHA256 string `json:"sha256"`
	}
	if err := json.Unmarshal(body, &f); err != nil {
		return err
	}
	if f.SHA256 != hex.EncodeToString(h.Sum(nil)) {
		return fmt.Errorf("the server's digest %s is not the upload's", f.SHA256)
	}
	peak = newPeak(pid)
	req, _ = http.NewRequest(http.MethodGet, url+"/api/analysis/runs/"+runID+"/files/"+f.ID, nil)
	req.Header.Set("Authorization", "Bearer "+c.token)
	start = time.Now()
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	dh := sha256.New()
	n, err := io.Copy(dh, resp.Body)
	resp.Body.Close()
	down := time.Since(start)
	downPeak := peak.stop()
	if err != nil || n != size || hex.EncodeToString(dh.Sum(nil)) != f.SHA256 {
		return fmt.Errorf("download: %d bytes, %v", n, err)
	}
	fmt.Printf("%-4s %d MB: upload %v (%.0f MB/s), download %v (%.0f MB/s); server RSS %d MiB before, peak %d MiB during the upload, %d MiB during the download\n",
		label, mb, up.Round(time.Millisecond), float64(mb)/up.Seconds(), down.Round(time.Millisecond), float64(mb)/down.Seconds(),
		before>>20, upPeak>>20, downPeak>>20)
	return nil
}

// prng is a fast source of incompressible bytes.
type prng struct{ r *rand.Rand }

func (p *prng) Read(b []byte) (int, error) {
	for i := 0; i+8 <= len(b); i += 8 {
		v := p.r.Uint64()
		for k := 0; k < 8; k++ {
			b[i+k] = byte(v >> (8 * k))
		}
	}
	return len(b) &^ 7, nil
}

// rss reads a process's resident set in bytes.
func rss(pid int) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmRSS for %d", pid)
}

// peak samples a process's RSS every 10 ms until stop.
type peak struct {
	done chan struct{}
	wg   sync.WaitGroup
	max  int64
}

func newPeak(pid int) *peak {
	p := &peak{done: make(chan struct{})}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			if v, err := rss(pid); err == nil && v > p.max {
				p.max = v
			}
			select {
			case <-p.done:
				return
			case <-t.C:
			}
		}
	}()
	return p
}

func (p *peak) stop() int64 {
	close(p.done)
	p.wg.Wait()
	return p.max
}

type client struct{ url, token string }

func (c *client) login(user, pw string) error {
	var out struct {
		AccessToken string `json:"access_token"`
	}
	if err := c.json(http.MethodPost, "/auth/login", map[string]string{"username": user, "password": pw}, &out); err != nil {
		return err
	}
	c.token = out.AccessToken
	return nil
}

func (c *client) json(method, path string, in, out any) error {
	b, _ := json.Marshal(in)
	req, _ := http.NewRequest(method, c.url+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, body)
	}
	return json.Unmarshal(body, out)
}

// runningRun plans and starts a run of the demo IV sweep on the SMU.
func (c *client) runningRun() (string, error) {
	var recipes, samples, status struct {
		Items []json.RawMessage `json:"items"`
	}
	if err := c.json(http.MethodGet, "/api/lims/recipes?status=approved&q=IV%20Sweep", nil, &recipes); err != nil {
		return "", err
	}
	if err := c.json(http.MethodGet, "/api/lims/samples?limit=1", nil, &samples); err != nil {
		return "", err
	}
	if err := c.json(http.MethodGet, "/api/analysis/calibrations/status", nil, &status); err != nil {
		return "", err
	}
	var recipe, sample struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	for _, r := range recipes.Items {
		if json.Unmarshal(r, &recipe) == nil && recipe.Name == "IV Sweep" {
			break
		}
	}
	if len(samples.Items) == 0 {
		return "", fmt.Errorf("no sample")
	}
	_ = json.Unmarshal(samples.Items[0], &sample)
	smu := ""
	for _, s := range status.Items {
		var st struct {
			Instrument struct{ ID, Name string } `json:"instrument"`
		}
		if json.Unmarshal(s, &st) == nil && st.Instrument.Name == "Keithley 2450 SMU" {
			smu = st.Instrument.ID
		}
	}
	var run struct {
		ID string `json:"id"`
	}
	if err := c.json(http.MethodPost, "/api/analysis/runs", map[string]any{"recipe_id": recipe.ID, "sample_id": sample.ID,
		"instrument_ids": []string{smu}, "parameters": map[string]any{}}, &run); err != nil {
		return "", err
	}
	var started map[string]any
	return run.ID, c.json(http.MethodPost, "/api/analysis/runs/"+run.ID+"/start", map[string]any{}, &started)
}
