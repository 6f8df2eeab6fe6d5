package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/spectra-lab/spectra/internal/auth"
	"github.com/spectra-lab/spectra/internal/spectra"
)

// refreshCookie carries the refresh token for the browser: HttpOnly (no
// script reads it), Secure, SameSite=Strict (no other site's page can make
// the browser send it), and only to /auth.
const refreshCookie = "spectra_refresh"

type loginInput struct {
	Body struct {
		Username     string `json:"username" minLength:"1" maxLength:"320" doc:"The login email."`
		Password     string `json:"password" minLength:"1" maxLength:"1024"`
		Organization string `json:"organization,omitempty" maxLength:"63" doc:"Slug of the organization to work in; default: the user's first."`
	}
}

type refreshInput struct {
	Cookie string `cookie:"spectra_refresh" doc:"The refresh token, for browsers."`
	Body   *struct {
		RefreshToken string `json:"refresh_token,omitempty" maxLength:"256"`
	}
}

type orgBody struct {
	ID   uuid.UUID `json:"id"`
	Slug string    `json:"slug"`
	Name string    `json:"name"`
}

type userBody struct {
	ID           uuid.UUID    `json:"id"`
	Email        string       `json:"email"`
	Name         string       `json:"name"`
	Organization orgBody      `json:"organization"`
	Role         spectra.Role `json:"role"`
}

type sessionBody struct {
	AccessToken  string   `json:"access_token"`
	RefreshToken string   `json:"refresh_token"`
	TokenType    string   `json:"token_type" enum:"bearer"`
	ExpiresIn    int      `json:"expires_in" doc:"Seconds until the access token expires."`
	User         userBody `json:"user"`
}

type sessionOutput struct {
	SetCookie    string `header:"Set-Cookie"`
	CacheControl string `header:"Cache-Control"`
	Body         sessionBody
}

type membershipBody struct {
	Organization orgBody      `json:"organization"`
	Role         spectra.Role `json:"role"`
}

type meOutput struct {
	Body struct {
		User         userBody             `json:"user"`
		Organization orgBody              `json:"organization"`
		Role         spectra.Role         `json:"role"`
		Auth         spectra.AuthMethod   `json:"auth" doc:"How the caller authenticated: password, oidc or api_key."`
		Permissions  []spectra.Permission `json:"permissions"`
		Memberships  []membershipBody     `json:"memberships" doc:"Every organization the user belongs to."`
	}
}

type permissionsOutput struct {
	Body struct {
		Roles       []spectra.Role                      `json:"roles" doc:"Highest first; each holds every permission of those after it."`
		Permissions map[spectra.Permission]spectra.Role `json:"permissions" doc:"Each permission and the lowest role that holds it."`
	}
}

type logoutOutput struct {
	SetCookie string `header:"Set-Cookie"`
}

func (s *server) login(ctx context.Context, in *loginInput) (*sessionOutput, error) {
	c := clientFrom(ctx)
	sess, err := s.auth.Login(ctx, in.Body.Username, in.Body.Password, in.Body.Organization,
		auth.Client{IP: c.IP, UserAgent: c.UserAgent, RequestID: RequestID(ctx)})
	if err != nil {
		return nil, err
	}
	return s.sessionOutput(ctx, sess)
}

func (s *server) refresh(ctx context.Context, in *refreshInput) (*sessionOutput, error) {
	token := in.Cookie
	if in.Body != nil && in.Body.RefreshToken != "" {
		token = in.Body.RefreshToken
	}
	if token == "" {
		return nil, &spectra.Error{Code: spectra.CodeUnauthenticated, Message: "no refresh token",
			Fields: []spectra.FieldError{{Field: "refresh_token", Message: "send it in the body or the " + refreshCookie + " cookie"}}}
	}
	c := clientFrom(ctx)
	sess, err := s.auth.Refresh(ctx, token, auth.Client{IP: c.IP, UserAgent: c.UserAgent, RequestID: RequestID(ctx)})
	if err != nil {
		return nil, err
	}
	return s.sessionOutput(ctx, sess)
}

func (s *server) sessionOutput(ctx context.Context, sess auth.Session) (*sessionOutput, error) {
	p := sess.Principal
	prof, err := s.store.Profile(ctx, p, RequestID(ctx))
	if err != nil {
		return nil, err
	}
	out := &sessionOutput{CacheControl: "no-store"}
	out.SetCookie = s.cookie(sess.RefreshToken, time.Until(sess.RefreshExpires))
	out.Body = sessionBody{AccessToken: sess.AccessToken, RefreshToken: sess.RefreshToken, TokenType: "bearer",
		ExpiresIn: int(time.Until(sess.AccessExpires).Round(time.Second).Seconds()), User: userOf(prof, p.Role)}
	return out, nil
}

// cookie is the Set-Cookie value of the refresh cookie (maxAge ≤ 0 clears it).
func (s *server) cookie(value string, maxAge time.Duration) string {
	c := http.Cookie{Name: refreshCookie, Value: value, Path: "/auth", HttpOnly: true, Secure: true,
		SameSite: http.SameSiteStrictMode, MaxAge: int(maxAge.Seconds())}
	if maxAge <= 0 {
		c.MaxAge = -1
	}
	return c.String()
}

func userOf(p spectra.Profile, role spectra.Role) userBody {
	return userBody{ID: p.User.ID, Email: p.User.Email, Name: p.User.Name, Role: role,
		Organization: orgBody{ID: p.Org.ID, Slug: p.Org.Slug, Name: p.Org.Name}}
}

func (s *server) me(ctx context.Context, _ *struct{}) (*meOutput, error) {
	p, _ := PrincipalFrom(ctx)
	prof, err := s.store.Profile(ctx, p, RequestID(ctx))
	if err != nil {
		return nil, err
	}
	out := &meOutput{}
	out.Body.User = userOf(prof, p.Role)
	out.Body.Organization = out.Body.User.Organization
	out.Body.Role, out.Body.Auth, out.Body.Permissions = p.Role, p.Auth, p.Role.Permissions()
	out.Body.Memberships = []membershipBody{}
	for _, m := range prof.Memberships {
		out.Body.Memberships = append(out.Body.Memberships, membershipBody{
			Organization: orgBody{ID: m.Org.ID, Slug: m.Org.Slug, Name: m.Org.Name}, Role: m.Role})
	}
	return out, nil
}

func (s *server) permissions(context.Context, *struct{}) (*permissionsOutput, error) {
	out := &permissionsOutput{}
	out.Body.Roles, out.Body.Permissions = spectra.Roles, spectra.Matrix
	return out, nil
}

func (s *server) logout(ctx context.Context, _ *struct{}) (*logoutOutput, error) {
	p, _ := PrincipalFrom(ctx)
	if err := s.auth.Logout(ctx, p, RequestID(ctx)); err != nil {
		return nil, err
	}
	return &logoutOutput{SetCookie: s.cookie("", 0)}, nil
}

type authConfigOutput struct {
	Body struct {
		PasswordLogin bool `json:"password_login" doc:"POST /auth/login accepts passwords."`
		OIDC          bool `json:"oidc" doc:"Single sign-on is configured: /auth/oidc/login starts it."`
	}
}

// authConfig tells the login page which ways of signing in exist.
func (s *server) authConfig(context.Context, *struct{}) (*authConfigOutput, error) {
	out := &authConfigOutput{}
	if s.auth != nil {
		out.Body.PasswordLogin, out.Body.OIDC = s.auth.PasswordLogin(), s.auth.OIDC() != nil
	}
	return out, nil
}

type changePasswordInput struct {
	Body struct {
		CurrentPassword string `json:"current_password" minLength:"1" maxLength:"1024"`
		NewPassword     string `json:"new_password" minLength:"8" maxLength:"1024"`
	}
}

func (s *server) changePassword(ctx context.Context, in *changePasswordInput) (*struct{}, error) {
	p, _ := PrincipalFrom(ctx)
	if p.Auth == spectra.AuthAPIKey {
		return nil, spectra.Errorf(spectra.CodeForbidden, "a service account has no password")
	}
	c := clientFrom(ctx)
	return nil, s.auth.ChangePassword(ctx, p, in.Body.CurrentPassword, in.Body.NewPassword,
		auth.Client{IP: c.IP, UserAgent: c.UserAgent, RequestID: RequestID(ctx)})
}

type forgotPasswordInput struct {
	Body struct {
		Email string `json:"email" minLength:"1" maxLength:"320" doc:"The account's e-mail address."`
	}
}

type forgotPasswordOutput struct {
	Body struct {
		Message string `json:"message"`
	}
}

// forgotPassword answers 202 with the same body for every address (an
// account's or not): see auth.Service.ForgotPassword.
func (s *server) forgotPassword(ctx context.Context, in *forgotPasswordInput) (*forgotPasswordOutput, error) {
	c := clientFrom(ctx)
	if err := s.auth.ForgotPassword(ctx, in.Body.Email, auth.Client{IP: c.IP, UserAgent: c.UserAgent, RequestID: RequestID(ctx)}); err != nil {
		return nil, err
	}
	out := &forgotPasswordOutput{}
	out.Body.Message = "If the address belongs to an account that signs in with a password, a link to reset it is on its way."
	return out, nil
}

type resetPasswordInput struct {
	Body struct {
		Token    string `json:"token" minLength:"1" maxLength:"256" doc:"The reset link's one-time token."`
		Password string `json:"password" minLength:"1" maxLength:"1024" doc:"The new password (at least 8 characters)."`
	}
}

func (s *server) resetPassword(ctx context.Context, in *resetPasswordInput) (*struct{}, error) {
	c := clientFrom(ctx)
	return nil, s.auth.ResetPassword(ctx, in.Body.Token, in.Body.Password, auth.Client{IP: c.IP, UserAgent: c.UserAgent, RequestID: RequestID(ctx)})
}

type myInvitationsOutput struct {
	Body struct {
		Items []spectra.PendingInvitation `json:"items"`
	}
}

func (s *server) myInvitations(ctx context.Context, _ *struct{}) (*myInvitationsOutput, error) {
	p, _ := PrincipalFrom(ctx)
	items, err := s.auth.Invitations(ctx, p)
	if err != nil {
		return nil, err
	}
	out := &myInvitationsOutput{}
	out.Body.Items = append([]spectra.PendingInvitation{}, items...)
	return out, nil
}

type myInvitationInput struct {
	ID uuid.UUID `path:"id" doc:"The invitation's id."`
}

func (s *server) acceptMyInvitation(ctx context.Context, in *myInvitationInput) (*struct{}, error) {
	p, _ := PrincipalFrom(ctx)
	return nil, s.auth.AcceptInvitationAs(ctx, p, in.ID, RequestID(ctx))
}

type acceptInvitationInput struct {
	Body struct {
		Token    string `json:"token" minLength:"1" maxLength:"256" doc:"The invitation's one-time token."`
		Password string `json:"password" minLength:"1" maxLength:"1024" doc:"Your account's password if you have one; else the password of the account this makes (at least 8 characters)."`
		Name     string `json:"name,omitempty" maxLength:"200" doc:"Your name, for a new account."`
	}
}

func (s *server) acceptInvitation(ctx context.Context, in *acceptInvitationInput) (*sessionOutput, error) {
	c := clientFrom(ctx)
	sess, err := s.auth.AcceptInvitation(ctx, in.Body.Token, in.Body.Name, in.Body.Password,
		auth.Client{IP: c.IP, UserAgent: c.UserAgent, RequestID: RequestID(ctx)})
	if err != nil {
		return nil, err
	}
	return s.sessionOutput(ctx, sess)
}
