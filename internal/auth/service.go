package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/spectra-lab/spectra/internal/spectra"
)

// Store is what authentication keeps in the database.
type Store interface {
	// FindAccount: CodeNotFound when no user has this email.
	FindAccount(ctx context.Context, email string) (spectra.Account, error)
	// AccountByID: CodeNotFound when no user has this id.
	AccountByID(ctx context.Context, id uuid.UUID) (spectra.Account, error)
	LoginFailures(ctx context.Context, username, clientIP string, since time.Time) (spectra.Failures, error)
	RecordLoginAttempt(ctx context.Context, a spectra.Attempt) error
	CreateSession(ctx context.Context, s spectra.NewSession, rehash string) error
	// Rotate: CodeUnauthenticated for an unknown, spent, revoked or expired token.
	Rotate(ctx context.Context, org, id uuid.UUID, hash []byte, next spectra.NewSession) (spectra.Rotated, error)
	EndSession(ctx context.Context, p spectra.Principal, requestID string) error
	// APIKey: CodeUnauthenticated for an unknown, revoked or expired key.
	APIKey(ctx context.Context, org, id uuid.UUID, hash []byte, requestID string) (spectra.KeyRecord, error)
	// ProvisionExternal finds or creates the user of an identity provider's
	// subject and their membership, and returns the principal's ids.
	ProvisionExternal(ctx context.Context, u spectra.ExternalUser, requestID string) (user, org uuid.UUID, role spectra.Role, err error)
	// Memberships lists a user's active memberships, oldest first.
	Memberships(ctx context.Context, user uuid.UUID) ([]spectra.Membership, error)
	// Organization: CodeNotFound for an unknown or deleted organization.
	Organization(ctx context.Context, id uuid.UUID) (spectra.Organization, error)
	// InvitationByToken: CodeUnauthenticated unless the invitation is open
	// and hash is its token's.
	InvitationByToken(ctx context.Context, org, id uuid.UUID, hash []byte, requestID string) (spectra.Invitation, error)
	// InvitationsFor lists the open invitations addressed to an e-mail.
	InvitationsFor(ctx context.Context, email string) ([]spectra.PendingInvitation, error)
	// InvitationOrg: the organization of an open invitation addressed to
	// email (CodeNotFound otherwise).
	InvitationOrg(ctx context.Context, id uuid.UUID, email string) (uuid.UUID, error)
	// AcceptInvitation makes the membership (creating the account first for
	// a new one) and returns it with the account's id.
	AcceptInvitation(ctx context.Context, a spectra.Acceptance) (spectra.Membership, uuid.UUID, error)
	// ChangePassword stores the caller's new password hash and ends their
	// other sessions everywhere.
	ChangePassword(ctx context.Context, p spectra.Principal, requestID, passwordHash string) error
	// ResetRequests counts the password reset requests since a time, for
	// an address and from a client address.
	ResetRequests(ctx context.Context, email, clientIP string, since time.Time) (spectra.ResetCounts, error)
	// RecordResetRequest stores a request and queues its e-mail, if any.
	RecordResetRequest(ctx context.Context, r spectra.ResetRequest) error
	// ResetPassword sets the password of the open reset token with this
	// hash, uses it and ends the account's sessions; CodeUnauthenticated
	// for an unknown, used or expired token.
	ResetPassword(ctx context.Context, hash []byte, now time.Time, passwordHash, requestID string) error
}

// Lockout is the brute-force policy. Failures are counted in the database,
// so every instance sees them.
type Lockout struct {
	MaxFailures int           // failures of one account name before it locks
	Base, Max   time.Duration // the first lock lasts Base, each further failure doubles it, up to Max
	IPFailures  int           // failures from one client address within IPWindow before it is refused
	IPWindow    time.Duration
}

// DefaultLockout: 5 failures lock an account name for 1 minute, then 2, 4…
// up to an hour; 50 failures from one address in 15 minutes block it.
var DefaultLockout = Lockout{MaxFailures: 5, Base: time.Minute, Max: time.Hour, IPFailures: 50, IPWindow: 15 * time.Minute}

// lockedFor is how long an account with f failures stays locked after its
// last failure (0: not locked).
func (l Lockout) lockedFor(f spectra.Failures, now time.Time) time.Duration {
	if f.Account < l.MaxFailures {
		return 0
	}
	d := l.Base
	for i := l.MaxFailures; i < f.Account && d < l.Max; i++ {
		d *= 2
	}
	d = min(d, l.Max)
	return max(0, f.LastAccountFailure.Add(d).Sub(now))
}

// Service is authentication: password login, refresh, logout, and turning
// a bearer credential into a principal.
type Service struct {
	store         Store
	hasher        *Hasher
	tokens        *Tokens
	oidc          *OIDC // nil without an identity provider
	passwordLogin bool
	lockout       Lockout
	reset         ResetPolicy
	now           func() time.Time
	log           *slog.Logger
	dummyHash     string
	provisioned   sync.Map // provisionKey → provisioned
}

// Options configure a Service.
type Options struct {
	Store         Store
	Hasher        *Hasher
	Tokens        *Tokens
	OIDC          *OIDC
	PasswordLogin bool
	Lockout       Lockout
	Reset         ResetPolicy // DefaultResetPolicy when zero
	Now           func() time.Time
	Logger        *slog.Logger
}

// NewService assembles a Service. It hashes one dummy password up front: an
// unknown user's login verifies against it, costing what a real one costs.
func NewService(ctx context.Context, o Options) (*Service, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Lockout == (Lockout{}) {
		o.Lockout = DefaultLockout
	}
	if o.Reset == (ResetPolicy{}) {
		o.Reset = DefaultResetPolicy
	}
	dummy, err := o.Hasher.Hash(ctx, uuid.NewString())
	if err != nil {
		return nil, err
	}
	return &Service{store: o.Store, hasher: o.Hasher, tokens: o.Tokens, oidc: o.OIDC, passwordLogin: o.PasswordLogin,
		lockout: o.Lockout, reset: o.Reset, now: o.Now, log: o.Logger, dummyHash: dummy}, nil
}

// PasswordLogin reports whether password login is on.
func (s *Service) PasswordLogin() bool { return s.passwordLogin }

// OIDC is the identity provider, or nil.
func (s *Service) OIDC() *OIDC { return s.oidc }

// Client describes where a request came from, for the counters and logs.
type Client struct {
	IP, UserAgent, RequestID string
}

// Session is what a login or refresh hands the client.
type Session struct {
	AccessToken    string
	AccessExpires  time.Time
	RefreshToken   string
	RefreshExpires time.Time
	Principal      spectra.Principal
}

// errLoginFailed is the one answer to every failed login: unknown user,
// wrong password, deactivated user or no membership look the same.
var errLoginFailed = &spectra.Error{Code: spectra.CodeUnauthenticated, Message: "invalid username or password"}

// Login checks a password and starts a session in organization org (a slug;
// empty: the user's default organization).
func (s *Service) Login(ctx context.Context, username, password, org string, c Client) (Session, error) {
	if !s.passwordLogin {
		return Session{}, spectra.Errorf(spectra.CodeForbidden, "password login is turned off; sign in with single sign-on")
	}
	username = strings.ToLower(strings.TrimSpace(username))
	now := s.now()
	f, err := s.store.LoginFailures(ctx, username, c.IP, now.Add(-s.lockout.IPWindow))
	if err != nil {
		return Session{}, err
	}
	if f.ClientIP >= s.lockout.IPFailures {
		return Session{}, &spectra.Error{Code: spectra.CodeRateLimited, Message: "too many failed logins from this address", RetryAfter: s.lockout.IPWindow}
	}
	if wait := s.lockout.lockedFor(f, now); wait > 0 {
		return Session{}, &spectra.Error{Code: spectra.CodeRateLimited, Message: "too many failed logins; try again later", RetryAfter: wait}
	}

	acct, err := s.store.FindAccount(ctx, username)
	known := err == nil
	if err != nil && spectra.ErrorCode(err) != spectra.CodeNotFound {
		return Session{}, err
	}
	phc := acct.PasswordHash
	if !known || phc == "" {
		phc = s.dummyHash
	}
	ok, rehash, err := s.hasher.Verify(ctx, password, phc)
	if err != nil && !errors.Is(err, ErrMalformedHash) {
		return Session{}, err
	}
	m, member := pick(acct.Memberships, org)
	reason := ""
	switch {
	case !known:
		reason = "unknown user"
	case acct.PasswordHash == "" || !ok:
		reason = "wrong password"
	case !acct.User.Active:
		reason = "user deactivated"
	case !member:
		reason = "no active membership"
	}
	attempt := spectra.Attempt{Username: username, ClientIP: c.IP, Reason: reason, RequestID: c.RequestID, Succeeded: reason == "", At: now}
	if known {
		attempt.UserID = acct.User.ID
		if len(acct.Memberships) > 0 {
			attempt.OrgID = acct.Memberships[0].Org.ID
		}
		if member {
			attempt.OrgID = m.Org.ID
		}
	}
	if err := s.store.RecordLoginAttempt(ctx, attempt); err != nil {
		return Session{}, err
	}
	if reason != "" {
		s.log.InfoContext(ctx, "login failed", "username", username, "reason", reason, "client_ip", c.IP, "request_id", c.RequestID)
		return Session{}, errLoginFailed
	}
	newHash := ""
	if rehash {
		if newHash, err = s.hasher.Hash(ctx, password); err != nil {
			return Session{}, err
		}
	}
	return s.startSession(ctx, acct.User.ID, m, spectra.AuthPassword, newHash, c)
}

// pick chooses the membership in org (a slug), or the default one.
func pick(ms []spectra.Membership, org string) (spectra.Membership, bool) {
	for _, m := range ms {
		if org == "" || strings.EqualFold(m.Org.Slug, org) {
			return m, true
		}
	}
	return spectra.Membership{}, false
}

// startSession stores a new refresh family for user in m's organization and
// issues its first tokens.
func (s *Service) startSession(ctx context.Context, user uuid.UUID, m spectra.Membership, how spectra.AuthMethod, rehash string, c Client) (Session, error) {
	refresh, o, err := NewOpaque(RefreshPrefix, m.Org.ID)
	if err != nil {
		return Session{}, err
	}
	ns := spectra.NewSession{OrgID: m.Org.ID, UserID: user, Family: o.ID, TokenID: o.ID, TokenHash: o.Hash(),
		Expires: s.now().Add(m.Org.RefreshTokenTTL), Auth: how, UserAgent: c.UserAgent, ClientIP: c.IP, RequestID: c.RequestID}
	if err := s.store.CreateSession(ctx, ns, rehash); err != nil {
		return Session{}, err
	}
	p := spectra.Principal{UserID: user, OrgID: m.Org.ID, Role: m.Role, Auth: how, Session: o.ID}
	return s.issue(p, m.Org.AccessTokenTTL, refresh, ns.Expires)
}

func (s *Service) issue(p spectra.Principal, ttl time.Duration, refresh string, refreshExpires time.Time) (Session, error) {
	access, err := s.tokens.Issue(&p, ttl)
	if err != nil {
		return Session{}, err
	}
	return Session{AccessToken: access, AccessExpires: p.Expires, RefreshToken: refresh, RefreshExpires: refreshExpires, Principal: p}, nil
}

// Refresh spends a refresh token and returns the session's next tokens,
// with the member's current role. A token presented twice revokes its
// whole session, unless within spectra.RefreshGrace of its rotation.
func (s *Service) Refresh(ctx context.Context, token string, c Client) (Session, error) {
	o, err := ParseOpaque(RefreshPrefix, token)
	if err != nil {
		return Session{}, unauthenticated(err)
	}
	acct, err := s.orgSettings(ctx, o.Org)
	if spectra.ErrorCode(err) == spectra.CodeNotFound {
		return Session{}, unauthenticated(err)
	}
	if err != nil {
		return Session{}, err
	}
	next, no, err := NewOpaque(RefreshPrefix, o.Org)
	if err != nil {
		return Session{}, err
	}
	now := s.now()
	ns := spectra.NewSession{TokenID: no.ID, TokenHash: no.Hash(), At: now, Expires: now.Add(acct.RefreshTokenTTL),
		UserAgent: c.UserAgent, ClientIP: c.IP, RequestID: c.RequestID}
	r, err := s.store.Rotate(ctx, o.Org, o.ID, o.Hash(), ns)
	if err != nil {
		if spectra.ErrorCode(err) == spectra.CodeUnauthenticated {
			s.log.WarnContext(ctx, "refresh refused", "err", err, "client_ip", c.IP, "request_id", c.RequestID)
		}
		return Session{}, err
	}
	p := spectra.Principal{UserID: r.UserID, OrgID: o.Org, Role: r.Role, Auth: r.Auth, Session: r.Family}
	return s.issue(p, acct.AccessTokenTTL, next, ns.Expires)
}

// orgSettings reads org's token lifetimes.
func (s *Service) orgSettings(ctx context.Context, org uuid.UUID) (spectra.Organization, error) {
	return s.store.Organization(ctx, org)
}

// Logout ends p's session: its refresh family is revoked and its access
// token denied until it expires.
func (s *Service) Logout(ctx context.Context, p spectra.Principal, requestID string) error {
	return s.store.EndSession(ctx, p, requestID)
}

// Authenticate turns a bearer credential into a principal: an API key,
// spectra's own access token, or (when configured) the identity provider's
// access token. The principal's standing (membership, role, revocation) is
// checked again by the request's tenant transaction.
func (s *Service) Authenticate(ctx context.Context, bearer, requestID string) (spectra.Principal, error) {
	if strings.HasPrefix(bearer, APIKeyPrefix) {
		return s.apiKey(ctx, bearer, requestID)
	}
	// Our own tokens, by far the most frequent, are parsed once; only a
	// token they refuse has its issuer read to find its verifier.
	p, verr := s.tokens.Verify(bearer)
	if verr == nil {
		return p, nil
	}
	iss, err := unverifiedIssuer(bearer)
	if err != nil {
		return spectra.Principal{}, unauthenticated(err)
	}
	switch {
	case iss == s.tokens.Issuer():
		return spectra.Principal{}, verr
	case s.oidc != nil && iss == s.oidc.Issuer():
		return s.external(ctx, bearer, requestID)
	}
	return spectra.Principal{}, unauthenticated(fmt.Errorf("%w: unknown issuer %q", errInvalidToken, iss))
}

// unverifiedIssuer reads iss without trusting it: it only chooses which
// verifier, each with its own fixed algorithms, checks the token.
func unverifiedIssuer(raw string) (string, error) {
	var c jwt.RegisteredClaims
	if _, _, err := jwt.NewParser().ParseUnverified(raw, &c); err != nil {
		return "", err
	}
	return c.Issuer, nil
}

func (s *Service) apiKey(ctx context.Context, key, requestID string) (spectra.Principal, error) {
	o, err := ParseOpaque(APIKeyPrefix, key)
	if err != nil {
		return spectra.Principal{}, unauthenticated(err)
	}
	k, err := s.store.APIKey(ctx, o.Org, o.ID, o.Hash(), requestID)
	if err != nil {
		return spectra.Principal{}, err
	}
	return spectra.Principal{UserID: k.UserID, OrgID: o.Org, Role: k.Role, Auth: spectra.AuthAPIKey, APIKey: o.ID, Expires: k.Expires}, nil
}

func (s *Service) external(ctx context.Context, raw, requestID string) (spectra.Principal, error) {
	id, err := s.oidc.VerifyAccessToken(ctx, raw)
	if err != nil {
		return spectra.Principal{}, err
	}
	user, org, role, err := s.provision(ctx, id, requestID)
	if err != nil {
		return spectra.Principal{}, err
	}
	p := spectra.Principal{UserID: user, OrgID: org, Role: role, Auth: spectra.AuthOIDC, Expires: id.ExpiresAt, IssuedAt: id.IssuedAt}
	if jti, err := uuid.Parse(id.TokenID); err == nil {
		p.TokenID = jti
	}
	return p, nil
}

// LoginExternal starts a session for an identity the provider vouched for
// in the browser's authorization-code flow.
func (s *Service) LoginExternal(ctx context.Context, id ExternalIdentity, c Client) (Session, error) {
	user, org, role, err := s.provision(ctx, id, c.RequestID)
	if err != nil {
		return Session{}, err
	}
	st, err := s.orgSettings(ctx, org)
	if err != nil {
		return Session{}, err
	}
	st.ID = org
	return s.startSession(ctx, user, spectra.Membership{Org: st, Role: role, Active: true}, spectra.AuthOIDC, "", c)
}

// provision maps a verified identity to spectra's user, organization and
// role. The mapping of an identity that has not changed is remembered for a
// minute, so a burst of requests with one token provisions once; the
// request's tenant transaction still checks the membership every time.
func (s *Service) provision(ctx context.Context, id ExternalIdentity, requestID string) (uuid.UUID, uuid.UUID, spectra.Role, error) {
	u := spectra.ExternalUser{Issuer: id.Issuer, Subject: id.Subject, Email: id.Email, Name: id.Name, Org: id.Org, Role: id.Role,
		IssuedAt: id.IssuedAt}
	if u.Org == "" && len(id.Memberships) > 0 {
		// Several organizations from group mappings: the first by name is
		// this token's; switching is for our own sessions.
		first := id.Memberships[0]
		for _, m := range id.Memberships[1:] {
			if m.Org < first.Org {
				first = m
			}
		}
		u.Org, u.Role = first.Org, first.Role
	}
	switch {
	case u.Org == "":
		return uuid.Nil, uuid.Nil, "", unauthenticated(fmt.Errorf("oidc %s: %w", u.Subject, ErrNoOrganization))
	case !u.Role.Valid():
		return uuid.Nil, uuid.Nil, "", unauthenticated(fmt.Errorf("oidc %s in %s: %w", u.Subject, u.Org, ErrNoRole))
	}
	// Keyed without the role: the entry remembers the role last
	// provisioned, so a change of role (and back) always reaches the store.
	key := provisionKey{u.Issuer, u.Subject, u.Org}
	if v, ok := s.provisioned.Load(key); ok {
		if e := v.(provisioned); e.role == u.Role && s.now().Before(e.until) {
			return e.user, e.org, u.Role, nil
		}
	}
	user, org, role, err := s.store.ProvisionExternal(ctx, u, requestID)
	if err != nil {
		return uuid.Nil, uuid.Nil, "", err
	}
	s.provisioned.Store(key, provisioned{user: user, org: org, role: role, until: s.now().Add(time.Minute)})
	return user, org, role, nil
}

type provisionKey struct {
	issuer, subject, org string
}

type provisioned struct {
	user, org uuid.UUID
	role      spectra.Role
	until     time.Time
}

// Tokens is the service's own token issuer (and sealer of browser state).
func (s *Service) Tokens() *Tokens { return s.tokens }

// SwitchOrg starts a session for p's user in another organization they
// belong to (org is its slug). API keys belong to one organization and
// cannot switch.
func (s *Service) SwitchOrg(ctx context.Context, p spectra.Principal, org string, c Client) (Session, error) {
	if p.Auth == spectra.AuthAPIKey {
		return Session{}, spectra.Errorf(spectra.CodeForbidden, "an API key belongs to one organization")
	}
	ms, err := s.store.Memberships(ctx, p.UserID)
	if err != nil {
		return Session{}, err
	}
	m, ok := pick(ms, org)
	if !ok || org == "" {
		return Session{}, &spectra.Error{Code: spectra.CodeNotFound, Message: "you are not a member of that organization",
			Fields: []spectra.FieldError{{Field: "organization", Message: "not one of your organizations"}}}
	}
	return s.startSession(ctx, p.UserID, m, p.Auth, "", c)
}

// Hasher is the service's password hasher.
func (s *Service) Hasher() *Hasher { return s.hasher }

// Reauthenticate checks the password of p's user once more, for an
// e-signature (21 CFR Part 11: the signer proves who they are at the
// moment of signing). A wrong password is counted like a failed login (and
// so can lock the account) and answers 401; a locked account answers 429.
// API keys and users without a password cannot sign this way (403).
func (s *Service) Reauthenticate(ctx context.Context, p spectra.Principal, password string, c Client) error {
	if p.Auth == spectra.AuthAPIKey {
		return spectra.Errorf(spectra.CodeForbidden, "a service account cannot sign")
	}
	acct, err := s.store.AccountByID(ctx, p.UserID)
	if err != nil {
		return err
	}
	if acct.PasswordHash == "" {
		return spectra.Errorf(spectra.CodeForbidden, "you have no password to sign with; ask an admin to set one")
	}
	now := s.now()
	f, err := s.store.LoginFailures(ctx, acct.User.Email, c.IP, now.Add(-s.lockout.IPWindow))
	if err != nil {
		return err
	}
	if wait := s.lockout.lockedFor(f, now); wait > 0 {
		return &spectra.Error{Code: spectra.CodeRateLimited, Message: "too many failed attempts; try again later", RetryAfter: wait}
	}
	ok, _, err := s.hasher.Verify(ctx, password, acct.PasswordHash)
	if err != nil {
		return err
	}
	attempt := spectra.Attempt{Username: acct.User.Email, ClientIP: c.IP, RequestID: c.RequestID, Succeeded: ok, At: now,
		UserID: p.UserID, OrgID: p.OrgID}
	if !ok {
		attempt.Reason = "wrong password at signing"
	}
	if err := s.store.RecordLoginAttempt(ctx, attempt); err != nil {
		return err
	}
	if !ok {
		return &spectra.Error{Code: spectra.CodeUnauthenticated, Message: "the password is not right",
			Fields: []spectra.FieldError{{Field: "password", Message: "not your password"}}}
	}
	return nil
}

// MinPasswordLength is the shortest password anyone may set.
const MinPasswordLength = 8

// checkNewPassword is the strength rule of a password being chosen (in
// the request field password).
func checkNewPassword(p string) error {
	if len(p) < MinPasswordLength {
		return &spectra.Error{Code: spectra.CodeInvalid, Message: fmt.Sprintf("choose a password of at least %d characters", MinPasswordLength),
			Fields: []spectra.FieldError{{Field: "password", Message: fmt.Sprintf("at least %d characters", MinPasswordLength)}}}
	}
	return nil
}

// ChangePassword replaces p's own password after checking the current one
// (counted like a login, so guessing locks the account), and ends every
// other session of the account in every organization: whoever else held a
// session loses it, p keeps the one in hand.
func (s *Service) ChangePassword(ctx context.Context, p spectra.Principal, current, next string, c Client) error {
	if err := s.Reauthenticate(ctx, p, current, c); err != nil {
		var se *spectra.Error
		if errors.As(err, &se) && len(se.Fields) == 1 && se.Fields[0].Field == "password" {
			return &spectra.Error{Code: se.Code, Message: se.Message,
				Fields: []spectra.FieldError{{Field: "current_password", Message: "not your password"}}}
		}
		return err
	}
	hash, err := s.hasher.Hash(ctx, next)
	if err != nil {
		return err
	}
	return s.store.ChangePassword(ctx, p, c.RequestID, hash)
}

// errInvitation is the one answer to an invitation that cannot be accepted
// with what was given: unknown, used or expired token, or the wrong
// password of an existing account look the same.
var errInvitation = &spectra.Error{Code: spectra.CodeUnauthenticated,
	Message: "the invitation cannot be accepted with these credentials"}

// AcceptInvitation accepts the invitation whose one-time token is given
// and starts a session in the inviting organization. If the invited
// address has an account, password must be that account's (counted like a
// login); otherwise the account is made with name and password, as the
// inviting organization's own.
func (s *Service) AcceptInvitation(ctx context.Context, token, name, password string, c Client) (Session, error) {
	o, err := ParseOpaque(InvitationPrefix, token)
	if err != nil {
		return Session{}, errInvitation
	}
	inv, err := s.store.InvitationByToken(ctx, o.Org, o.ID, o.Hash(), c.RequestID)
	if spectra.ErrorCode(err) == spectra.CodeUnauthenticated {
		return Session{}, errInvitation
	}
	if err != nil {
		return Session{}, err
	}
	a := spectra.Acceptance{OrgID: o.Org, InvitationID: o.ID, TokenHash: o.Hash(), Email: inv.Email, RequestID: c.RequestID}
	acct, err := s.store.FindAccount(ctx, inv.Email)
	switch {
	case err == nil:
		if err := s.checkPassword(ctx, acct, password, c); err != nil {
			return Session{}, err
		}
		a.UserID = acct.User.ID
	case spectra.ErrorCode(err) == spectra.CodeNotFound:
		if err := checkNewPassword(password); err != nil {
			return Session{}, err
		}
		if name == "" {
			name = inv.Email
		}
		hash, err := s.hasher.Hash(ctx, password)
		if err != nil {
			return Session{}, err
		}
		a.NewAccount = &spectra.NewAccount{Name: name, PasswordHash: hash}
	default:
		return Session{}, err
	}
	m, user, err := s.store.AcceptInvitation(ctx, a)
	if spectra.ErrorCode(err) == spectra.CodeUnauthenticated {
		return Session{}, errInvitation
	}
	if err != nil {
		return Session{}, err
	}
	return s.startSession(ctx, user, m, spectra.AuthPassword, "", c)
}

// checkPassword verifies an account's password for a step other than login
// (accepting an invitation), with the login's lockout and counting.
func (s *Service) checkPassword(ctx context.Context, acct spectra.Account, password string, c Client) error {
	now := s.now()
	f, err := s.store.LoginFailures(ctx, acct.User.Email, c.IP, now.Add(-s.lockout.IPWindow))
	if err != nil {
		return err
	}
	if wait := s.lockout.lockedFor(f, now); wait > 0 || f.ClientIP >= s.lockout.IPFailures {
		return &spectra.Error{Code: spectra.CodeRateLimited, Message: "too many failed attempts; try again later", RetryAfter: max(wait, time.Second)}
	}
	phc := acct.PasswordHash
	if phc == "" {
		phc = s.dummyHash
	}
	ok, _, err := s.hasher.Verify(ctx, password, phc)
	if err != nil && !errors.Is(err, ErrMalformedHash) {
		return err
	}
	ok = ok && acct.PasswordHash != "" && acct.User.Active
	attempt := spectra.Attempt{Username: acct.User.Email, ClientIP: c.IP, RequestID: c.RequestID, Succeeded: ok, At: now, UserID: acct.User.ID}
	if len(acct.Memberships) > 0 {
		attempt.OrgID = acct.Memberships[0].Org.ID
	}
	if !ok {
		attempt.Reason = "wrong password at invitation"
	}
	if err := s.store.RecordLoginAttempt(ctx, attempt); err != nil {
		return err
	}
	if !ok {
		return errInvitation
	}
	return nil
}

// Invitations lists the open invitations addressed to p's account.
func (s *Service) Invitations(ctx context.Context, p spectra.Principal) ([]spectra.PendingInvitation, error) {
	if p.Auth == spectra.AuthAPIKey {
		return []spectra.PendingInvitation{}, nil
	}
	acct, err := s.store.AccountByID(ctx, p.UserID)
	if err != nil {
		return nil, err
	}
	return s.store.InvitationsFor(ctx, acct.User.Email)
}

// AcceptInvitationAs accepts, for the signed-in p, the open invitation id
// addressed to p's account. Another's invitation is CodeNotFound.
func (s *Service) AcceptInvitationAs(ctx context.Context, p spectra.Principal, id uuid.UUID, requestID string) error {
	if p.Auth == spectra.AuthAPIKey {
		// No invitation is ever addressed to a service account.
		return spectra.Errorf(spectra.CodeNotFound, "invitation not found, or no longer open")
	}
	acct, err := s.store.AccountByID(ctx, p.UserID)
	if err != nil {
		return err
	}
	org, err := s.store.InvitationOrg(ctx, id, acct.User.Email)
	if err != nil {
		return err
	}
	_, _, err = s.store.AcceptInvitation(ctx, spectra.Acceptance{OrgID: org, InvitationID: id, UserID: p.UserID,
		Email: acct.User.Email, RequestID: requestID})
	if spectra.ErrorCode(err) == spectra.CodeUnauthenticated {
		return spectra.Errorf(spectra.CodeNotFound, "invitation not found, or no longer open")
	}
	return err
}
