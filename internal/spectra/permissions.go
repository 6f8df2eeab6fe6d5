package spectra

import "sort"

// Permission names one action. The matrix below maps each to the lowest
// role that may take it; it is the single source of truth that the routes,
// /auth/permissions, /auth/me, the UI and the tests all read.
type Permission string

// The actions, grouped by the lowest role that holds them.
const (
	// viewer: read everything of the organization, download reports.
	PermProjectRead     Permission = "project.read"
	PermSampleRead      Permission = "sample.read"
	PermInstrumentRead  Permission = "instrument.read"
	PermCalibrationRead Permission = "calibration.read"
	PermRecipeRead      Permission = "recipe.read"
	PermSOPRead         Permission = "sop.read"
	PermELNRead         Permission = "eln.read"
	PermCustodyRead     Permission = "custody.read"
	PermRunRead         Permission = "run.read"
	PermReportDownload  Permission = "report.download"
	PermSPCRead         Permission = "spc.read"
	PermMLRead          Permission = "ml.read"
	PermProfileRead     Permission = "profile.read"

	// technician: execute runs of approved recipes, custody events, sample
	// location and status.
	PermRunExecute         Permission = "run.execute"
	PermResultUpload       Permission = "result.upload"
	PermCustodyCreate      Permission = "custody.create"
	PermSampleUpdateStatus Permission = "sample.update_status"

	// engineer: samples, wafers, devices, instruments, calibrations, runs,
	// results, draft recipes and SOPs, notebook entries, signatures, SPC, ML.
	PermSampleCreate      Permission = "sample.create"
	PermSampleUpdate      Permission = "sample.update"
	PermSampleDelete      Permission = "sample.delete"
	PermInstrumentManage  Permission = "instrument.manage"
	PermCalibrationCreate Permission = "calibration.create"
	PermRunCreate         Permission = "run.create"
	PermRecipeDraft       Permission = "recipe.draft"
	PermSOPDraft          Permission = "sop.draft"
	PermELNWrite          Permission = "eln.write"
	PermELNSign           Permission = "eln.sign"
	PermReportGenerate    Permission = "report.generate"
	PermSPCManage         Permission = "spc.manage"
	PermSPCAcknowledge    Permission = "spc.acknowledge"
	PermMLManage          Permission = "ml.manage"
	// Technicians start, complete and fail runs of approved recipes only,
	// and upload results only to runs they operate (Run.Check); these two
	// lift those limits.
	PermRunExecuteUnapproved Permission = "run.execute_unapproved"
	PermResultUploadAny      Permission = "result.upload_any"
	// Correcting a completed run's results: an amendment with a reason.
	PermResultAmend Permission = "result.amend"

	// pi: approve and retire recipes and SOPs, manage projects.
	PermRecipeApprove Permission = "recipe.approve"
	PermSOPApprove    Permission = "sop.approve"
	PermProjectManage Permission = "project.manage"

	// admin: users and memberships, organization settings, API keys, the
	// audit log, deleted rows, the background jobs.
	PermUserManage    Permission = "user.manage"
	PermOrgSettings   Permission = "org.settings"
	PermAPIKeyManage  Permission = "apikey.manage"
	PermAuditRead     Permission = "audit.read"
	PermDeletedManage Permission = "deleted.manage"
	PermJobRead       Permission = "job.read"
)

// Matrix maps every permission to the lowest role that holds it.
var Matrix = map[Permission]Role{
	PermProjectRead: RoleViewer, PermSampleRead: RoleViewer, PermInstrumentRead: RoleViewer,
	PermCalibrationRead: RoleViewer, PermRecipeRead: RoleViewer, PermSOPRead: RoleViewer,
	PermELNRead: RoleViewer, PermCustodyRead: RoleViewer, PermRunRead: RoleViewer,
	PermReportDownload: RoleViewer, PermSPCRead: RoleViewer, PermMLRead: RoleViewer, PermProfileRead: RoleViewer,

	PermRunExecute: RoleTechnician, PermResultUpload: RoleTechnician, PermCustodyCreate: RoleTechnician,
	PermSampleUpdateStatus: RoleTechnician,

	PermSampleCreate: RoleEngineer, PermSampleUpdate: RoleEngineer, PermSampleDelete: RoleEngineer,
	PermInstrumentManage: RoleEngineer, PermCalibrationCreate: RoleEngineer, PermRunCreate: RoleEngineer,
	PermRecipeDraft: RoleEngineer, PermSOPDraft: RoleEngineer, PermELNWrite: RoleEngineer, PermELNSign: RoleEngineer,
	PermReportGenerate: RoleEngineer, PermSPCManage: RoleEngineer, PermSPCAcknowledge: RoleEngineer,
	PermMLManage: RoleEngineer, PermRunExecuteUnapproved: RoleEngineer, PermResultUploadAny: RoleEngineer,
	PermResultAmend: RoleEngineer,

	PermRecipeApprove: RolePI, PermSOPApprove: RolePI, PermProjectManage: RolePI,

	PermUserManage: RoleAdmin, PermOrgSettings: RoleAdmin, PermAPIKeyManage: RoleAdmin,
	PermAuditRead: RoleAdmin, PermDeletedManage: RoleAdmin, PermJobRead: RoleAdmin,
}

// Can reports whether role r holds permission p. An unknown permission is
// held by nobody.
func (r Role) Can(p Permission) bool {
	min, ok := Matrix[p]
	return ok && r.AtLeast(min)
}

// Permissions lists the permissions role r holds, sorted.
func (r Role) Permissions() []Permission {
	var out []Permission
	for p := range Matrix {
		if r.Can(p) {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}
