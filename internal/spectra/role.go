package spectra

import "fmt"

// Role is a member's role in an organization. Higher roles hold every
// permission of the lower ones.
type Role string

// The roles, highest first.
const (
	RoleAdmin      Role = "admin"
	RolePI         Role = "pi"
	RoleEngineer   Role = "engineer"
	RoleTechnician Role = "technician"
	RoleViewer     Role = "viewer"
)

// Roles lists every role, highest first.
var Roles = []Role{RoleAdmin, RolePI, RoleEngineer, RoleTechnician, RoleViewer}

func (r Role) rank() int {
	for i, x := range Roles {
		if x == r {
			return len(Roles) - i
		}
	}
	return 0
}

// Valid reports whether r is one of the five roles.
func (r Role) Valid() bool { return r.rank() > 0 }

// AtLeast reports whether r is min or higher.
func (r Role) AtLeast(min Role) bool { return r.Valid() && r.rank() >= min.rank() }

// Above lists the roles higher than r, highest first; every role when r
// is not a role (e.g. "").
func (r Role) Above() []Role {
	var out []Role
	for _, x := range Roles {
		if x.rank() > r.rank() {
			out = append(out, x)
		}
	}
	return out
}

// ParseRole validates s as a role.
func ParseRole(s string) (Role, error) {
	r := Role(s)
	if !r.Valid() {
		return "", &Error{Code: CodeInvalid, Message: fmt.Sprintf("unknown role %q", s),
			Fields: []FieldError{{Field: "role", Message: "must be one of admin, pi, engineer, technician, viewer"}}}
	}
	return r, nil
}
