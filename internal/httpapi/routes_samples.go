package httpapi

import (
	"net/http"

	"github.com/spectra-lab/spectra/internal/spectra"
)

// addSampleRoutes registers projects, samples, wafers, devices and the chain of custody (/api/lims).
func (s *server) addSampleRoutes() {
	// Projects: everyone reads; PI and above manage.
	register(s, Route{Method: http.MethodGet, Path: "/api/lims/projects", Permission: spectra.PermProjectRead,
		OperationID: "list-projects", Summary: "List projects, newest first"}, s.listProjects)
	register(s, Route{Method: http.MethodGet, Path: "/api/lims/projects/{id}", Permission: spectra.PermProjectRead,
		OperationID: "get-project", Summary: "One project"}, s.getProject)
	register(s, Route{Method: http.MethodPost, Path: "/api/lims/projects", Permission: spectra.PermProjectManage,
		OperationID: "create-project", Summary: "Create a project", Status: http.StatusCreated}, s.createProject)
	register(s, Route{Method: http.MethodPut, Path: "/api/lims/projects/{id}", Permission: spectra.PermProjectManage,
		OperationID: "update-project", Summary: "Edit a project (If-Match or version)"}, s.updateProject)
	register(s, Route{Method: http.MethodDelete, Path: "/api/lims/projects/{id}", Permission: spectra.PermProjectManage,
		OperationID: "delete-project", Summary: "Delete a project (soft: restorable)", Status: http.StatusNoContent}, s.deleteProject)

	// Samples: everyone reads; engineers create, edit and delete; a
	// technician changes status and location.
	register(s, Route{Method: http.MethodGet, Path: "/api/lims/samples", Permission: spectra.PermSampleRead,
		OperationID: "list-samples", Summary: "List samples, newest first; find one by barcode"}, s.listSamples)
	register(s, Route{Method: http.MethodGet, Path: "/api/lims/samples/{id}", Permission: spectra.PermSampleRead,
		OperationID: "get-sample", Summary: "One sample"}, s.getSample)
	register(s, Route{Method: http.MethodPost, Path: "/api/lims/samples", Permission: spectra.PermSampleCreate,
		OperationID: "create-sample", Summary: "Register a sample", Status: http.StatusCreated}, s.createSample)
	register(s, Route{Method: http.MethodPut, Path: "/api/lims/samples/{id}", Permission: spectra.PermSampleUpdate,
		OperationID: "update-sample", Summary: "Edit a sample (If-Match or version)"}, s.updateSample)
	register(s, Route{Method: http.MethodPatch, Path: "/api/lims/samples/{id}", Permission: spectra.PermSampleUpdateStatus,
		OperationID: "edit-sample-status", Summary: "Change a sample's status or location"}, s.editSampleStatus)
	register(s, Route{Method: http.MethodDelete, Path: "/api/lims/samples/{id}", Permission: spectra.PermSampleDelete,
		OperationID: "delete-sample", Summary: "Delete a sample (soft: restorable)", Status: http.StatusNoContent}, s.deleteSample)

	// Wafers belong to a sample, devices to a wafer.
	register(s, Route{Method: http.MethodGet, Path: "/api/lims/samples/{id}/wafers", Permission: spectra.PermSampleRead,
		OperationID: "list-wafers", Summary: "A sample's wafers, newest first"}, s.listWafers)
	register(s, Route{Method: http.MethodPost, Path: "/api/lims/samples/{id}/wafers", Permission: spectra.PermSampleCreate,
		OperationID: "create-wafer", Summary: "Add a wafer to a sample", Status: http.StatusCreated}, s.createWafer)
	register(s, Route{Method: http.MethodGet, Path: "/api/lims/devices", Permission: spectra.PermSampleRead,
		OperationID: "list-devices", Summary: "List devices, newest first, by wafer or sample"}, s.listDevices)
	register(s, Route{Method: http.MethodGet, Path: "/api/lims/devices/{id}", Permission: spectra.PermSampleRead,
		OperationID: "get-device", Summary: "One device"}, s.getDevice)
	register(s, Route{Method: http.MethodPost, Path: "/api/lims/devices", Permission: spectra.PermSampleCreate,
		OperationID: "create-device", Summary: "Add a device to a wafer", Status: http.StatusCreated}, s.createDevice)
	register(s, Route{Method: http.MethodPut, Path: "/api/lims/devices/{id}", Permission: spectra.PermSampleUpdate,
		OperationID: "update-device", Summary: "Edit a device (If-Match or version)"}, s.updateDevice)

	// Chain of custody: everyone reads; technicians and above record.
	register(s, Route{Method: http.MethodGet, Path: "/api/lims/custody", Permission: spectra.PermCustodyRead,
		OperationID: "list-custody", Summary: "Custody events, most recently recorded first"}, s.listCustody)
	register(s, Route{Method: http.MethodPost, Path: "/api/lims/custody", Permission: spectra.PermCustodyCreate,
		OperationID: "record-custody", Summary: "Record a custody event; moves the sample", Status: http.StatusCreated}, s.recordCustody)
	register(s, Route{Method: http.MethodGet, Path: "/api/lims/samples/{id}/custody", Permission: spectra.PermCustodyRead,
		OperationID: "sample-custody", Summary: "A sample's chain of custody, oldest first"}, s.sampleCustody)
}
