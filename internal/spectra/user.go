package spectra

import (
	"time"

	"github.com/google/uuid"
)

// User is a person or service account; one identity across organizations.
type User struct {
	ID        uuid.UUID `json:"id"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	IsService bool      `json:"is_service"`
	Active    bool      `json:"active"`
}

// Organization is a tenant: one lab.
type Organization struct {
	ID                     uuid.UUID     `json:"id"`
	Slug                   string        `json:"slug"`
	Name                   string        `json:"name"`
	CalibrationWarningDays int           `json:"calibration_warning_days"`
	AccessTokenTTL         time.Duration `json:"-"`
	RefreshTokenTTL        time.Duration `json:"-"`
}

// Membership is a user's role in one organization.
type Membership struct {
	Org    Organization
	Role   Role
	Active bool
}
