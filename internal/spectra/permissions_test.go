package spectra

import "testing"

func TestRolesAreOrdered(t *testing.T) {
	for i, hi := range Roles {
		for j, lo := range Roles {
			if got, want := hi.AtLeast(lo), i <= j; got != want {
				t.Errorf("%s.AtLeast(%s) = %v, want %v", hi, lo, got, want)
			}
		}
	}
	if Role("root").AtLeast(RoleViewer) || Role("").Valid() {
		t.Error("an unknown role holds something")
	}
}

func TestHigherRolesHoldEverythingLowerRolesHold(t *testing.T) {
	for i := 0; i+1 < len(Roles); i++ {
		hi, lo := Roles[i], Roles[i+1]
		held := map[Permission]bool{}
		for _, p := range hi.Permissions() {
			held[p] = true
		}
		for _, p := range lo.Permissions() {
			if !held[p] {
				t.Errorf("%s lacks %s which %s holds", hi, p, lo)
			}
		}
		if len(hi.Permissions()) <= len(lo.Permissions()) {
			t.Errorf("%s holds no more than %s", hi, lo)
		}
	}
}

// PRODUCT.md §4, spot checks of the table.
func TestMatrixFollowsTheProduct(t *testing.T) {
	cases := []struct {
		role Role
		perm Permission
		want bool
	}{
		{RolePI, PermRecipeApprove, true}, {RoleEngineer, PermRecipeApprove, false},
		{RoleTechnician, PermRunExecute, true}, {RoleViewer, PermRunExecute, false},
		{RoleEngineer, PermCalibrationCreate, true}, {RoleTechnician, PermCalibrationCreate, false},
		{RoleViewer, PermReportDownload, true}, {RoleAdmin, PermAuditRead, true}, {RolePI, PermAuditRead, false},
		{RoleTechnician, PermCustodyCreate, true}, {RoleViewer, PermSampleCreate, false},
		{RoleAdmin, Permission("nonsense"), false},
	}
	for _, c := range cases {
		if got := c.role.Can(c.perm); got != c.want {
			t.Errorf("%s.Can(%s) = %v, want %v", c.role, c.perm, got, c.want)
		}
	}
	for p, r := range Matrix {
		if !r.Valid() {
			t.Errorf("%s maps to invalid role %q", p, r)
		}
	}
}
