package spectra

import (
	"slices"
	"testing"
)

func TestRoleAbove(t *testing.T) {
	cases := []struct {
		r    Role
		want []Role
	}{
		{RoleAdmin, nil},
		{RolePI, []Role{RoleAdmin}},
		{RoleTechnician, []Role{RoleAdmin, RolePI, RoleEngineer}},
		{RoleViewer, []Role{RoleAdmin, RolePI, RoleEngineer, RoleTechnician}},
		{"", Roles},
		{"owner", Roles},
	}
	for _, c := range cases {
		if got := c.r.Above(); !slices.Equal(got, c.want) {
			t.Errorf("%q.Above() = %v, want %v", c.r, got, c.want)
		}
		for _, x := range c.r.Above() {
			if c.r.Valid() && (!x.AtLeast(c.r) || x == c.r) {
				t.Errorf("%q above %q disagrees with AtLeast", x, c.r)
			}
		}
	}
}
