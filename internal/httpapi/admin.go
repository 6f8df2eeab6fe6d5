package httpapi

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/spectra-lab/spectra/internal/auth"
	"github.com/spectra-lab/spectra/internal/spectra"
)

type listMembersInput struct {
	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"50" doc:"At most 200."`
	Cursor string `query:"cursor" maxLength:"64" doc:"next_cursor of the previous page."`
	Q      string `query:"q" maxLength:"200" doc:"Part of an email or name."`
	Role   string `query:"role" enum:"admin,pi,engineer,technician,viewer,"`
	Active string `query:"active" enum:"true,false," doc:"Only active (true) or deactivated (false) members."`
}

type memberOutput struct {
	ETag string `header:"ETag"`
	Body spectra.Member
}

func outMember(m spectra.Member) *memberOutput {
	return &memberOutput{ETag: etag(m.Version), Body: m}
}

type userIDInput struct {
	ID uuid.UUID `path:"id" doc:"The user's id."`
}

type inviteInput struct {
	Body struct {
		Email string       `json:"email" format:"email" maxLength:"320"`
		Role  spectra.Role `json:"role" enum:"admin,pi,engineer,technician,viewer"`
	}
}

type invitationCreated struct {
	spectra.Invitation
	Token string `json:"token" doc:"The one-time token the person accepts with (POST /auth/invitations/accept). It is shown this once: pass it to the person."`
}

type inviteOutput struct {
	CacheControl string `header:"Cache-Control"`
	Body         invitationCreated
}

type listInvitationsInput struct {
	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"50" doc:"At most 200."`
	Cursor string `query:"cursor" maxLength:"64" doc:"next_cursor of the previous page."`
}

type invitationIDInput struct {
	ID uuid.UUID `path:"id" doc:"The invitation's id."`
}

type updateMemberInput struct {
	ID      uuid.UUID `path:"id"`
	IfMatch string    `header:"If-Match" doc:"The ETag of the member as last read; a stale one answers 412."`
	Body    struct {
		Role   *spectra.Role `json:"role,omitempty" enum:"admin,pi,engineer,technician,viewer"`
		Active *bool         `json:"active,omitempty" doc:"false deactivates, true reactivates."`
	}
}

type setPasswordInput struct {
	ID   uuid.UUID `path:"id"`
	Body struct {
		Password string `json:"password" minLength:"8" maxLength:"1024"`
	}
}

func (s *server) listMembers(ctx context.Context, in *listMembersInput) (*listOutput[spectra.Member], error) {
	pg, err := page(in.Limit, in.Cursor)
	if err != nil {
		return nil, err
	}
	f := spectra.MemberFilter{Q: in.Q, Role: spectra.Role(in.Role)}
	if in.Active != "" {
		a := in.Active == "true"
		f.Active = &a
	}
	items, cursor, err := s.store.ListMembers(ctx, s.tenant(ctx), f, pg)
	if err != nil {
		return nil, err
	}
	return &listOutput[spectra.Member]{Body: newList(items, cursor)}, nil
}

func (s *server) getMember(ctx context.Context, in *userIDInput) (*memberOutput, error) {
	m, err := s.store.Member(ctx, s.tenant(ctx), in.ID)
	if err != nil {
		return nil, err
	}
	return outMember(m), nil
}

// grantable fails when p would grant a role above its own.
func grantable(p spectra.Principal, r spectra.Role) error {
	if !p.Role.AtLeast(r) {
		return &spectra.Error{Code: spectra.CodeForbidden, Message: "nobody can grant a role above their own (" + string(p.Role) + ")",
			Fields: []spectra.FieldError{{Field: "role", Message: "above your own role"}}}
	}
	return nil
}

// invite offers a membership to an e-mail address. The answer is the same
// whether or not the address has an account anywhere, and tells nothing
// of it: no account is read or changed until the person accepts.
func (s *server) invite(ctx context.Context, in *inviteInput) (*inviteOutput, error) {
	p, _ := PrincipalFrom(ctx)
	if err := grantable(p, in.Body.Role); err != nil {
		return nil, err
	}
	token, o, err := auth.NewOpaque(auth.InvitationPrefix, p.OrgID)
	if err != nil {
		return nil, err
	}
	inv, err := s.store.Invite(ctx, s.tenant(ctx), o.ID, in.Body.Email, in.Body.Role, o.Hash(), s.now().Add(spectra.InvitationTTL))
	if err != nil {
		return nil, err
	}
	return &inviteOutput{CacheControl: "no-store", Body: invitationCreated{Invitation: inv, Token: token}}, nil
}

func (s *server) listInvitations(ctx context.Context, in *listInvitationsInput) (*listOutput[spectra.Invitation], error) {
	pg, err := page(in.Limit, in.Cursor)
	if err != nil {
		return nil, err
	}
	items, cursor, err := s.store.ListInvitations(ctx, s.tenant(ctx), pg)
	if err != nil {
		return nil, err
	}
	return &listOutput[spectra.Invitation]{Body: newList(items, cursor)}, nil
}

func (s *server) revokeInvitation(ctx context.Context, in *invitationIDInput) (*struct{}, error) {
	return nil, s.store.RevokeInvitation(ctx, s.tenant(ctx), in.ID)
}

func (s *server) updateMember(ctx context.Context, in *updateMemberInput) (*memberOutput, error) {
	p, _ := PrincipalFrom(ctx)
	if in.Body.Role == nil && in.Body.Active == nil {
		return nil, invalid("role", "give role or active (or both)")
	}
	if in.Body.Role != nil {
		if err := grantable(p, *in.Body.Role); err != nil {
			return nil, err
		}
	}
	version, err := updateVersion(in.IfMatch, 0)
	if err != nil {
		return nil, err
	}
	m, err := s.store.UpdateMember(ctx, s.tenant(ctx), in.ID, spectra.MemberUpdate{Role: in.Body.Role, Active: in.Body.Active}, version)
	if err != nil {
		return nil, err
	}
	return outMember(m), nil
}

func (s *server) removeMember(ctx context.Context, in *userIDInput) (*struct{}, error) {
	return nil, s.store.RemoveMember(ctx, s.tenant(ctx), in.ID)
}

func (s *server) setMemberPassword(ctx context.Context, in *setPasswordInput) (*struct{}, error) {
	hash, err := s.auth.Hasher().Hash(ctx, in.Body.Password)
	if err != nil {
		return nil, err
	}
	return nil, s.store.SetMemberPassword(ctx, s.tenant(ctx), in.ID, hash)
}

type settingsOutput struct {
	ETag string `header:"ETag"`
	Body spectra.OrgSettings
}

type updateSettingsInput struct {
	Body struct {
		Name                       string `json:"name" minLength:"1" maxLength:"200"`
		CalibrationWarningDays     int    `json:"calibration_warning_days" minimum:"0" maximum:"365" doc:"An instrument whose calibration expires within this many days is 'expiring'."`
		AccessTokenTTLSeconds      int    `json:"access_token_ttl_seconds" minimum:"60" maximum:"86400"`
		RefreshTokenTTLSeconds     int    `json:"refresh_token_ttl_seconds" minimum:"300" maximum:"7776000"`
		RequireIndependentApproval *bool  `json:"require_independent_approval,omitempty" doc:"An author of a recipe or SOP revision may not approve it; omitted keeps the setting as it is."`
		Version                    int    `json:"version,omitempty" minimum:"1" doc:"The version read (required: without it 428); a stale one answers 409."`
	}
}

func (s *server) getSettings(ctx context.Context, _ *struct{}) (*settingsOutput, error) {
	st, err := s.store.OrgSettings(ctx, s.tenant(ctx))
	if err != nil {
		return nil, err
	}
	return &settingsOutput{ETag: etag(st.Version), Body: st}, nil
}

func (s *server) updateSettings(ctx context.Context, in *updateSettingsInput) (*settingsOutput, error) {
	b := in.Body
	if _, err := updateVersion("", b.Version); err != nil {
		return nil, err
	}
	st, err := s.store.UpdateOrgSettings(ctx, s.tenant(ctx), spectra.OrgSettings{Name: b.Name, CalibrationWarningDays: b.CalibrationWarningDays,
		AccessTokenTTLSeconds: b.AccessTokenTTLSeconds, RefreshTokenTTLSeconds: b.RefreshTokenTTLSeconds, Version: b.Version}, b.RequireIndependentApproval)
	if err != nil {
		return nil, err
	}
	return &settingsOutput{ETag: etag(st.Version), Body: st}, nil
}

type auditInput struct {
	Limit  int       `query:"limit" minimum:"1" maximum:"200" default:"50" doc:"At most 200."`
	Cursor string    `query:"cursor" maxLength:"64" doc:"next_cursor of the previous page."`
	Table  string    `query:"table" maxLength:"63"`
	RowID  string    `query:"row_id" format:"uuid"`
	Actor  string    `query:"actor" format:"uuid" doc:"The actor's user id."`
	Action string    `query:"action" maxLength:"32" doc:"INSERT, UPDATE, DELETE, LOGIN, LOGIN_FAILED, LOGOUT, REFRESH_REUSED…"`
	From   time.Time `query:"from" doc:"At or after (RFC 3339)."`
	To     time.Time `query:"to" doc:"Before (RFC 3339)."`
}

func (s *server) listAudit(ctx context.Context, in *auditInput) (*listOutput[spectra.AuditEntry], error) {
	pg, err := page(in.Limit, in.Cursor)
	if err != nil {
		return nil, err
	}
	f := spectra.AuditFilter{Table: in.Table, Action: in.Action, From: in.From, To: in.To}
	if in.RowID != "" {
		f.RowID = uuid.MustParse(in.RowID) // validated by the format
	}
	if in.Actor != "" {
		f.ActorID = uuid.MustParse(in.Actor)
	}
	items, cursor, err := s.store.ListAudit(ctx, s.tenant(ctx), f, pg)
	if err != nil {
		return nil, err
	}
	return &listOutput[spectra.AuditEntry]{Body: newList(items, cursor)}, nil
}

type deletedInput struct {
	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"50" doc:"At most 200."`
	Cursor string `query:"cursor" maxLength:"64" doc:"next_cursor of the previous page."`
	Table  string `query:"table" required:"true" doc:"memberships, samples, …: a table whose deletes are soft."`
}

type restoreInput struct {
	Table string    `path:"table"`
	ID    uuid.UUID `path:"id"`
}

func (s *server) listDeleted(ctx context.Context, in *deletedInput) (*listOutput[spectra.DeletedRow], error) {
	pg, err := page(in.Limit, in.Cursor)
	if err != nil {
		return nil, err
	}
	items, cursor, err := s.store.ListDeleted(ctx, s.tenant(ctx), in.Table, pg)
	if err != nil {
		return nil, err
	}
	return &listOutput[spectra.DeletedRow]{Body: newList(items, cursor)}, nil
}

func (s *server) restore(ctx context.Context, in *restoreInput) (*struct{}, error) {
	return nil, s.store.Restore(ctx, s.tenant(ctx), in.Table, in.ID)
}

type switchOrgInput struct {
	Body struct {
		Organization string `json:"organization" minLength:"1" maxLength:"63" doc:"Slug of the organization to work in."`
	}
}

func (s *server) switchOrg(ctx context.Context, in *switchOrgInput) (*sessionOutput, error) {
	p, _ := PrincipalFrom(ctx)
	c := clientFrom(ctx)
	sess, err := s.auth.SwitchOrg(ctx, p, in.Body.Organization, auth.Client{IP: c.IP, UserAgent: c.UserAgent, RequestID: RequestID(ctx)})
	if err != nil {
		return nil, err
	}
	return s.sessionOutput(ctx, sess)
}
