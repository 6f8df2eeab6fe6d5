package spectra

import (
	"time"

	"github.com/google/uuid"
)

// Notifications (PRODUCT.md §14): what the lab tells a person, in the
// in-app inbox and by e-mail, and each person's choice of channels.

// NotificationKind is what a notification is about.
type NotificationKind string

// The kinds, one per event that notifies.
const (
	NotifyCalibrationWarning NotificationKind = "calibration_warning"
	NotifyCalibrationExpired NotificationKind = "calibration_expired"
	NotifyReviewSubmitted    NotificationKind = "review_submitted"
	NotifySPCAlert           NotificationKind = "spc_alert"
	NotifyRunBlocked         NotificationKind = "run_blocked"
)

// NotificationKinds lists every kind, in the order a preferences form
// shows them.
var NotificationKinds = []NotificationKind{NotifyCalibrationWarning, NotifyCalibrationExpired, NotifyReviewSubmitted, NotifySPCAlert, NotifyRunBlocked}

// Valid says whether k is one of NotificationKinds.
func (k NotificationKind) Valid() bool {
	for _, x := range NotificationKinds {
		if k == x {
			return true
		}
	}
	return false
}

// ObjectRef names the object a notification is about.
type ObjectRef struct {
	Kind string    `json:"kind" doc:"e.g. spc_series, calibration, recipe, run."`
	ID   uuid.UUID `json:"id"`
}

// Notification is one inbox entry of one user.
type Notification struct {
	ID        uuid.UUID        `json:"id"`
	Kind      NotificationKind `json:"kind" enum:"calibration_warning,calibration_expired,review_submitted,spc_alert,run_blocked"`
	Subject   string           `json:"subject"`
	Body      string           `json:"body" doc:"Plain text."`
	Link      string           `json:"link" doc:"The object in the app, a path relative to the app's root."`
	Object    ObjectRef        `json:"object"`
	CreatedAt time.Time        `json:"created_at"`
	ReadAt    *time.Time       `json:"read_at"`
}

// NewNotification is what a producer asks Notify to deliver.
type NewNotification struct {
	Kind    NotificationKind
	Subject string
	Body    string
	Link    string // relative: /spc/series/…
	Object  ObjectRef
	// DedupeKey makes delivery idempotent: a recipient who already has a
	// notification with this key gets nothing new (a retried job).
	DedupeKey string
	// ObjectName and Detail are what the e-mail names: the object by its
	// name (never an id) and what happened to it.
	ObjectName, Detail string
}

// NotificationPreference is one user's channels for one kind.
type NotificationPreference struct {
	Kind        NotificationKind `json:"kind" enum:"calibration_warning,calibration_expired,review_submitted,spc_alert,run_blocked"`
	Inbox       bool             `json:"inbox"`
	Email       bool             `json:"email"`
	Webhook     bool             `json:"webhook"`
	DailyDigest bool             `json:"daily_digest" doc:"E-mail once a day instead of at once."`
}

// DefaultNotificationPreference is the choice of a user who made none:
// the inbox and e-mail, at once.
func DefaultNotificationPreference(k NotificationKind) NotificationPreference {
	return NotificationPreference{Kind: k, Inbox: true, Email: true}
}

// NotificationPreferences is a user's whole choice, one per kind, and its
// version (an update names the version it replaces).
type NotificationPreferences struct {
	Items   []NotificationPreference `json:"items" nullable:"false"`
	Version int                      `json:"version" doc:"Send it back with a change; a stale one answers 409."`
}

// EmailRecipient is a user Notify says wants an e-mail now.
type EmailRecipient struct {
	UserID uuid.UUID
	Email  string
	Name   string
	// NotificationID is the inbox entry this e-mail is about (uuid.Nil
	// when the user turned the inbox off for the kind).
	NotificationID uuid.UUID
}

// EmailDelivery is the e-mail a committed transaction's notification
// asks for: to whom, about what, in which lab.
type EmailDelivery struct {
	OrgID      uuid.UUID
	Lab        string // the organization's name
	Kind       NotificationKind
	ObjectName string
	Detail     string
	Link       string // relative, as the inbox's
	DedupeKey  string // the notification's
	To         []EmailRecipient
}

// Messages are d's e-mails, one per recipient, each keyed by the
// notification's dedupe key and the recipient so that it is sent once.
func (d EmailDelivery) Messages() []EmailMessage {
	out := make([]EmailMessage, len(d.To))
	for i, r := range d.To {
		out[i] = EmailMessage{Key: "notification:" + d.OrgID.String() + ":" + d.DedupeKey + ":" + r.UserID.String(),
			OrgID: d.OrgID, Template: string(d.Kind), ToName: r.Name, ToAddress: r.Email,
			Lab: d.Lab, ObjectName: d.ObjectName, Detail: d.Detail, Link: d.Link}
	}
	return out
}

// EmailMessage is one e-mail to one recipient, as the send_email job
// carries it (its JSON is the job's arguments).
type EmailMessage struct {
	// Key makes the job unique: the same message is queued, and sent,
	// once however many instances or retries produce it.
	Key string `json:"key" river:"unique"`
	// OrgID: the organization whose notification it is (its admins see
	// the job); uuid.Nil for an account's own e-mail (password reset).
	OrgID uuid.UUID `json:"organization_id"`
	// Template: a NotificationKind, or EmailPasswordReset.
	Template  string `json:"template"`
	ToName    string `json:"to_name"`
	ToAddress string `json:"to_address"`
	Lab       string `json:"lab,omitempty"`
	// ObjectName, Detail: what the notification is about.
	ObjectName string `json:"object_name,omitempty"`
	Detail     string `json:"detail,omitempty"`
	// Link: relative to the public URL, as the inbox's. A password
	// reset's is made when it is sent, with its token (ResetID).
	Link string `json:"link"`
	// ResetID: the password reset request a reset e-mail is for.
	ResetID uuid.UUID `json:"reset_id,omitzero"`
}

// EmailPasswordReset is the template of the password reset e-mail.
const EmailPasswordReset = "password_reset"
