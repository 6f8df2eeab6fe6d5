package config

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestDefaults(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Managed() || c.DataDir != ".spectra" || c.Addr != ":8080" || !c.Migrate ||
		c.MaxBodyBytes != 1<<20 || c.ShutdownTimeout != 20*time.Second || c.DBMaxConns != 20 || c.LogFormat != "text" ||
		c.Jobs != "serve" || c.JobsPollOnly {
		t.Fatalf("defaults = %+v", c)
	}
}

func TestEveryProblemReportedAtOnce(t *testing.T) {
	_, err := Load(env(map[string]string{
		"SPECTRA_ADDR":             "nonsense",
		"SPECTRA_MIGRATE":          "perhaps",
		"SPECTRA_DB_MAX_CONNS":     "0",
		"SPECTRA_SHUTDOWN_TIMEOUT": "soon",
		"SPECTRA_LOG_FORMAT":       "xml",
		"SPECTRA_DATABASE_URL":     "mysql://x",
		"SPECTRA_JOBS":             "sometimes",
		"SPECTRA_JOBS_POLL_ONLY":   "maybe",
	}))
	if err == nil {
		t.Fatal("invalid configuration accepted")
	}
	for _, name := range []string{"SPECTRA_ADDR", "SPECTRA_MIGRATE", "SPECTRA_DB_MAX_CONNS", "SPECTRA_SHUTDOWN_TIMEOUT", "SPECTRA_LOG_FORMAT", "SPECTRA_DATABASE_URL",
		"SPECTRA_JOBS", "SPECTRA_JOBS_POLL_ONLY"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s:\n%v", name, err)
		}
	}
}

func TestSecretFromFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "url")
	if err := os.WriteFile(f, []byte("postgres://u:p@db/spectra\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(env(map[string]string{"SPECTRA_DATABASE_URL_FILE": f}))
	if err != nil {
		t.Fatal(err)
	}
	if c.DatabaseURL != "postgres://u:p@db/spectra" || c.Managed() {
		t.Fatalf("DatabaseURL = %q", c.DatabaseURL)
	}
	_, err = Load(env(map[string]string{"SPECTRA_DATABASE_URL_FILE": f, "SPECTRA_DATABASE_URL": "postgres://x/y"}))
	if err == nil || !strings.Contains(err.Error(), "not both") {
		t.Fatalf("both set: got %v", err)
	}
}

func TestEveryVarIsRead(t *testing.T) {
	// Each declared variable, set to garbage, must make Load complain about
	// it (or, for free-form strings, show up in the Config): nothing
	// documented is silently ignored.
	read := map[string]bool{}
	_, _ = Load(func(k string) string { read[k] = true; return "" })
	for _, v := range Vars {
		if !read[v.Name] {
			t.Errorf("%s is documented but never read", v.Name)
		}
	}
}

// The README's configuration table documents every variable.
func TestREADMEDocumentsEveryVar(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range Vars {
		if !strings.Contains(string(readme), "| `"+v.Name+"` |") {
			t.Errorf("README.md's configuration table lacks %s", v.Name)
		}
	}
}

func TestOIDCConfiguration(t *testing.T) {
	base := map[string]string{"SPECTRA_OIDC_AUDIENCE": "spectra"}
	for issuer, ok := range map[string]bool{
		"https://idp.example/realms/lab": true,
		"https://tenant.auth0.com/":      true,
		"http://localhost:8081/realms/x": true,
		"http://127.0.0.1:9000":          true,
		"http://idp.example/realms/lab":  false,
		"ftp://idp.example":              false,
		"https://":                       false,
	} {
		vars := map[string]string{"SPECTRA_OIDC_ISSUER": issuer}
		for k, v := range base {
			vars[k] = v
		}
		c, err := Load(env(vars))
		if (err == nil) != ok {
			t.Errorf("issuer %q: err %v, want ok=%v", issuer, err, ok)
		}
		if ok && c.OIDC.Issuer != issuer {
			t.Errorf("issuer %q stored as %q", issuer, c.OIDC.Issuer)
		}
	}
	if _, err := Load(env(map[string]string{"SPECTRA_OIDC_ISSUER": "https://idp.example"})); err == nil || !strings.Contains(err.Error(), "SPECTRA_OIDC_AUDIENCE") {
		t.Errorf("issuer without audience: %v", err)
	}
	if _, err := Load(env(map[string]string{"SPECTRA_PASSWORD_LOGIN": "false"})); err == nil {
		t.Error("password login off without an identity provider accepted")
	}
	c, err := Load(env(map[string]string{"SPECTRA_OIDC_GROUP_MAP": "lab-admins=demo-lab:admin, staff=demo-lab:engineer", "SPECTRA_TRUSTED_PROXIES": "10.0.0.0/8, 192.168.1.1"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.OIDC.GroupMap["staff"] != (GroupRole{Org: "demo-lab", Role: "engineer"}) || len(c.TrustedProxies) != 2 {
		t.Errorf("group map %v, proxies %v", c.OIDC.GroupMap, c.TrustedProxies)
	}
	if _, err := Load(env(map[string]string{"SPECTRA_OIDC_GROUP_MAP": "broken", "SPECTRA_TRUSTED_PROXIES": "nonsense", "SPECTRA_JWT_SECRET": "short"})); err == nil ||
		!strings.Contains(err.Error(), "SPECTRA_OIDC_GROUP_MAP") || !strings.Contains(err.Error(), "SPECTRA_TRUSTED_PROXIES") || !strings.Contains(err.Error(), "SPECTRA_JWT_SECRET") {
		t.Errorf("bad values: %v", err)
	}
}

func TestAppDatabaseURL(t *testing.T) {
	if _, err := Load(env(map[string]string{"SPECTRA_APP_DATABASE_URL": "postgres://app@db/spectra"})); err == nil ||
		!strings.Contains(err.Error(), "SPECTRA_APP_DATABASE_URL") {
		t.Fatalf("a run-time URL without the owner's: %v", err)
	}
	c, err := Load(env(map[string]string{"SPECTRA_DATABASE_URL": "postgres://owner@db/spectra", "SPECTRA_APP_DATABASE_URL": "postgres://app@db/spectra"}))
	if err != nil || c.AppDatabaseURL != "postgres://app@db/spectra" {
		t.Fatalf("both URLs: %+v, %v", c, err)
	}
	if _, err := Load(env(map[string]string{"SPECTRA_DATABASE_URL": "postgres://owner@db/spectra", "SPECTRA_APP_DATABASE_URL": "mysql://x"})); err == nil {
		t.Fatal("a mysql run-time URL was accepted")
	}
}

func TestUnknownVariables(t *testing.T) {
	if err := Unknown([]string{"SPECTRA_ADDR=:1", "SPECTRA_DATABASE_URL_FILE=/x", "SPECTRA_TEST_DATABASE_URL=x", "PATH=/bin", "HOME"}); err != nil {
		t.Fatalf("known variables refused: %v", err)
	}
	err := Unknown([]string{"SPECTRA_ADRR=:1", "SPECTRA_LOG_LEVLE=debug"})
	if err == nil || !strings.Contains(err.Error(), "SPECTRA_ADRR: unknown variable (did you mean SPECTRA_ADDR?)") ||
		!strings.Contains(err.Error(), "did you mean SPECTRA_LOG_LEVEL?") {
		t.Fatalf("misspelt variables: %v", err)
	}
}

func TestGroupMapRoles(t *testing.T) {
	base := map[string]string{"SPECTRA_OIDC_ISSUER": "https://idp.example", "SPECTRA_OIDC_AUDIENCE": "spectra"}
	base["SPECTRA_OIDC_GROUP_MAP"] = "staff=demo-lab:engineer,boss=demo-lab:superuser"
	if _, err := Load(env(base)); err == nil || !strings.Contains(err.Error(), `"superuser" is not a role`) {
		t.Fatalf("a group map granting superuser: %v", err)
	}
	base["SPECTRA_OIDC_GROUP_MAP"] = "staff=demo-lab:engineer"
	if c, err := Load(env(base)); err != nil || c.OIDC.GroupMap["staff"] != (GroupRole{Org: "demo-lab", Role: "engineer"}) {
		t.Fatalf("a valid group map: %+v, %v", c.OIDC.GroupMap, err)
	}
}

func TestPublicURLFromTheBoundAddress(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.WithBoundAddr("[::]:41234").PublicURL; got != "http://localhost:41234" {
		t.Fatalf("derived public URL = %q", got)
	}
	c, _ = Load(env(map[string]string{"SPECTRA_PUBLIC_URL": "https://lab.example/"}))
	if got := c.WithBoundAddr("[::]:41234").PublicURL; got != "https://lab.example" {
		t.Fatalf("configured public URL = %q", got)
	}
}

func TestOIDCScopes(t *testing.T) {
	for in, want := range map[string][]string{
		"":                                 {"openid", "profile", "email"},
		"openid profile email groups":      {"openid", "profile", "email", "groups"},
		"profile,email, groups":            {"openid", "profile", "email", "groups"},
		"groups openid  offline_access":    {"openid", "groups", "offline_access"},
		"email email\tprofile\nemail":      {"openid", "email", "profile"},
		"urn:zitadel:iam:org:project:id:x": {"openid", "urn:zitadel:iam:org:project:id:x"},
	} {
		c, err := Load(env(map[string]string{"SPECTRA_OIDC_SCOPES": in}))
		if err != nil {
			t.Errorf("scopes %q: %v", in, err)
			continue
		}
		if !slices.Equal(c.OIDC.Scopes, want) {
			t.Errorf("scopes %q = %q, want %q", in, c.OIDC.Scopes, want)
		}
	}
	for _, bad := range []string{`openid "groups"`, `back\slash`, "naïve"} {
		if _, err := Load(env(map[string]string{"SPECTRA_OIDC_SCOPES": bad})); err == nil || !strings.Contains(err.Error(), "SPECTRA_OIDC_SCOPES") {
			t.Errorf("scopes %q: %v, want an error naming SPECTRA_OIDC_SCOPES", bad, err)
		}
	}
}

func TestFileStorage(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil || c.S3.Bucket != "" || c.FilesDir != "" {
		t.Fatalf("default: %+v %v", c.S3, err)
	}
	secret := filepath.Join(t.TempDir(), "s3-secret")
	if err := os.WriteFile(secret, []byte("s3cret-key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err = Load(env(map[string]string{"SPECTRA_S3_BUCKET": "lab-files", "SPECTRA_S3_ENDPOINT": "http://127.0.0.1:7070",
		"SPECTRA_S3_ACCESS_KEY_ID": "lab", "SPECTRA_S3_SECRET_ACCESS_KEY_FILE": secret, "SPECTRA_S3_PATH_STYLE": "true"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.S3 != (S3{Bucket: "lab-files", Endpoint: "http://127.0.0.1:7070", Region: "us-east-1", AccessKeyID: "lab", SecretAccessKey: "s3cret-key", PathStyle: true}) {
		t.Fatalf("S3 = %+v", c.S3)
	}
	_, err = Load(env(map[string]string{"SPECTRA_S3_BUCKET": "b", "SPECTRA_S3_ENDPOINT": "ftp://x/path",
		"SPECTRA_S3_ACCESS_KEY_ID": "only-the-id", "SPECTRA_FILES_DIR": "/srv/files"}))
	for _, name := range []string{"SPECTRA_S3_ENDPOINT", "SPECTRA_S3_ACCESS_KEY_ID", "SPECTRA_FILES_DIR"} {
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s: %v", name, err)
		}
	}
}

func TestSMTPConfiguration(t *testing.T) {
	load := func(env map[string]string) (Config, error) {
		return Load(func(k string) string { return env[k] })
	}
	c, err := load(map[string]string{})
	if err != nil || c.SMTP.Enabled() || c.SMTP.Port != 587 || c.SMTP.TLS != "starttls" {
		t.Fatalf("defaults: %+v, %v", c.SMTP, err)
	}
	c, err = load(map[string]string{"SPECTRA_SMTP_HOST": "mail.example.org", "SPECTRA_SMTP_FROM": "SPECTRA-Lab <lab@example.org>",
		"SPECTRA_SMTP_USERNAME": "lab", "SPECTRA_SMTP_PASSWORD": "secret", "SPECTRA_SMTP_PORT": "465", "SPECTRA_SMTP_TLS": "tls"})
	if err != nil || !c.SMTP.Enabled() || c.SMTP.Port != 465 || c.SMTP.TLS != "tls" || c.SMTP.Password != "secret" {
		t.Fatalf("set: %+v, %v", c.SMTP, err)
	}
	for name, env := range map[string]map[string]string{
		"SPECTRA_SMTP_FROM":     {"SPECTRA_SMTP_HOST": "mail.example.org"},
		"SPECTRA_SMTP_TLS":      {"SPECTRA_SMTP_HOST": "mail.example.org", "SPECTRA_SMTP_FROM": "lab@example.org", "SPECTRA_SMTP_TLS": "none"},
		"SPECTRA_SMTP_USERNAME": {"SPECTRA_SMTP_HOST": "mail.example.org", "SPECTRA_SMTP_FROM": "lab@example.org", "SPECTRA_SMTP_PASSWORD": "x"},
		"SPECTRA_SMTP_PORT":     {"SPECTRA_SMTP_PORT": "0"},
	} {
		if _, err := load(env); err == nil || !strings.Contains(err.Error(), name+":") {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Without TLS only to this machine.
	if _, err := load(map[string]string{"SPECTRA_SMTP_HOST": "127.0.0.1", "SPECTRA_SMTP_FROM": "lab@example.org", "SPECTRA_SMTP_TLS": "none"}); err != nil {
		t.Fatal(err)
	}
}
