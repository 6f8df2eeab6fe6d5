// Command zitadelop is the example OpenID provider of
// github.com/zitadel/oidc (example/server, pinned in go.mod) with one
// client more. The protocol, the login, the keys and the tokens are all
// zitadel's code; this file only registers the clients, as the example's
// own main does, and adds "jwt": a confidential web client whose access
// tokens are JWTs signed with the provider's keys (the example's clients
// all get opaque ones), so that bearer tokens from a third-party provider
// can be tested the way resource servers meet them.
//
// It is its own module so that spectra's go.mod does not grow; the tests
// build it once per run (internal/auth/oidctest).
package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"

	"github.com/zitadel/oidc/v3/example/server/config"
	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// JWTClient and JWTSecret name the client whose access tokens are JWTs.
const (
	JWTClient = "jwt"
	JWTSecret = "secret"
)

// jwtStorage is the example's storage, answering for JWTClient with
// JWT access tokens.
type jwtStorage struct{ *storage.Storage }

func (s jwtStorage) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	c, err := s.Storage.GetClientByClientID(ctx, id)
	if err != nil || id != JWTClient {
		return c, err
	}
	return jwtAccessTokens{c}, nil
}

type jwtAccessTokens struct{ op.Client }

func (jwtAccessTokens) AccessTokenType() op.AccessTokenType { return op.AccessTokenTypeJWT }

func main() {
	cfg := config.FromEnvVars(&config.Config{Port: "9998"})
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	issuer := fmt.Sprintf("http://localhost:%s/", cfg.Port)

	storage.RegisterClients(
		storage.NativeClient("native", cfg.RedirectURI...),
		storage.WebClient("web", "secret", cfg.RedirectURI...),
		storage.WebClient("api", "secret", cfg.RedirectURI...),
		storage.WebClient(JWTClient, JWTSecret, cfg.RedirectURI...),
	)
	stor := jwtStorage{storage.NewStorage(storage.NewUserStore(issuer))}
	router := exampleop.SetupServer(issuer, stor, logger, false)
	server := &http.Server{Addr: ":" + cfg.Port, Handler: router}
	logger.Info("server listening", "addr", issuer)
	if err := server.ListenAndServe(); err != http.ErrServerClosed {
		logger.Error("server terminated", "error", err)
		os.Exit(1)
	}
}
