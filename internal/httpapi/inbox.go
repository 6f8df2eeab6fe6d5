package httpapi

import (
	"context"
	"net/http"

	"github.com/google/uuid"

	"github.com/spectra-lab/spectra/internal/spectra"
)

// The in-app inbox (PRODUCT.md §14): every member reads and marks their
// own notifications and chooses their channels; another user's
// notification is a 404, like another organization's.
func (s *server) addInboxRoutes() {
	register(s, Route{Method: http.MethodGet, Path: "/api/inbox", Permission: spectra.PermProfileRead,
		OperationID: "list-inbox", Summary: "My notifications, newest first, and how many are unread"}, s.listInbox)
	register(s, Route{Method: http.MethodPost, Path: "/api/inbox/{id}/read", Permission: spectra.PermProfileRead,
		OperationID: "mark-notification-read", Summary: "Mark one of my notifications read"}, s.markRead)
	register(s, Route{Method: http.MethodPost, Path: "/api/inbox/read-all", Permission: spectra.PermProfileRead,
		OperationID: "mark-all-notifications-read", Summary: "Mark my notifications read, up to the newest I have seen"}, s.markAllRead)
	register(s, Route{Method: http.MethodGet, Path: "/api/inbox/preferences", Permission: spectra.PermProfileRead,
		OperationID: "get-notification-preferences", Summary: "My channels for each kind of notification"}, s.getPreferences)
	register(s, Route{Method: http.MethodPut, Path: "/api/inbox/preferences", Permission: spectra.PermProfileRead,
		OperationID: "set-notification-preferences", Summary: "Choose my channels for some kinds of notification (the others keep theirs)"}, s.setPreferences)
}

type listInboxInput struct {
	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"50" doc:"At most 200."`
	Cursor string `query:"cursor" maxLength:"64" doc:"next_cursor of the previous page."`
	Unread bool   `query:"unread" doc:"Only the unread ones."`
}

type inboxOutput struct {
	Body struct {
		Items      []spectra.Notification `json:"items" nullable:"false"`
		NextCursor *string                `json:"next_cursor"`
		Unread     int                    `json:"unread" doc:"How many of all my notifications are unread."`
	}
}

type notificationIDInput struct {
	ID uuid.UUID `path:"id"`
}

type notificationOutput struct {
	Body spectra.Notification
}

type readAllOutput struct {
	Body struct {
		Marked int64 `json:"marked" doc:"How many notifications were marked read."`
	}
}

type preferencesOutput struct {
	Body spectra.NotificationPreferences
}

type setPreferencesInput struct {
	Body struct {
		Items   []spectra.NotificationPreference `json:"items" nullable:"false" maxItems:"50" doc:"The kinds to change; the others keep theirs."`
		Version int                              `json:"version,omitempty" minimum:"1" doc:"The version read (required: without it 428); a stale one answers 409."`
	}
}

type readAllInput struct {
	Body struct {
		UpTo uuid.UUID `json:"up_to" doc:"The newest notification seen: those after it stay unread."`
	}
}

func (s *server) listInbox(ctx context.Context, in *listInboxInput) (*inboxOutput, error) {
	pg, err := page(in.Limit, in.Cursor)
	if err != nil {
		return nil, err
	}
	items, cursor, unread, err := s.store.Inbox(ctx, s.tenant(ctx), in.Unread, pg)
	if err != nil {
		return nil, err
	}
	out := &inboxOutput{}
	l := newList(items, cursor)
	out.Body.Items, out.Body.NextCursor = l.Items, l.NextCursor
	out.Body.Unread = unread
	return out, nil
}

func (s *server) markRead(ctx context.Context, in *notificationIDInput) (*notificationOutput, error) {
	n, err := s.store.MarkRead(ctx, s.tenant(ctx), in.ID)
	if err != nil {
		return nil, err
	}
	return &notificationOutput{Body: n}, nil
}

func (s *server) markAllRead(ctx context.Context, in *readAllInput) (*readAllOutput, error) {
	n, err := s.store.MarkAllRead(ctx, s.tenant(ctx), in.Body.UpTo)
	if err != nil {
		return nil, err
	}
	out := &readAllOutput{}
	out.Body.Marked = n
	return out, nil
}

func (s *server) getPreferences(ctx context.Context, _ *struct{}) (*preferencesOutput, error) {
	ps, err := s.store.NotificationPreferences(ctx, s.tenant(ctx))
	if err != nil {
		return nil, err
	}
	return &preferencesOutput{Body: ps}, nil
}

func (s *server) setPreferences(ctx context.Context, in *setPreferencesInput) (*preferencesOutput, error) {
	if _, err := updateVersion("", in.Body.Version); err != nil {
		return nil, err
	}
	ps, err := s.store.SetNotificationPreferences(ctx, s.tenant(ctx), in.Body.Items, in.Body.Version)
	if err != nil {
		return nil, err
	}
	return &preferencesOutput{Body: ps}, nil
}
