package httpapi

import (
	"net/http"
	"reflect"

	"github.com/danielgtaylor/huma/v2"

	"github.com/spectra-lab/spectra/internal/spectra"
)

// addAnalysisRoutes registers instruments, calibrations, runs with the calibration lockout, results, reports, SPC and ML metadata (/api/analysis).
func (s *server) addAnalysisRoutes() {
	const a = "/api/analysis"

	// Instruments: viewers read, engineers manage.
	register(s, Route{Method: http.MethodGet, Path: a + "/instruments", Permission: spectra.PermInstrumentRead,
		OperationID: "list-instruments", Summary: "List instruments, newest first"}, s.listInstruments)
	register(s, Route{Method: http.MethodPost, Path: a + "/instruments", Permission: spectra.PermInstrumentManage,
		OperationID: "create-instrument", Summary: "Record an instrument", Status: http.StatusCreated}, s.createInstrument)
	register(s, Route{Method: http.MethodGet, Path: a + "/instruments/{id}", Permission: spectra.PermInstrumentRead,
		OperationID: "get-instrument", Summary: "One instrument"}, s.getInstrument)
	register(s, Route{Method: http.MethodPut, Path: a + "/instruments/{id}", Permission: spectra.PermInstrumentManage,
		OperationID: "update-instrument", Summary: "Change an instrument (If-Match)"}, s.updateInstrument)

	// Calibrations: viewers read, engineers record and revoke.
	register(s, Route{Method: http.MethodGet, Path: a + "/calibrations", Permission: spectra.PermCalibrationRead,
		OperationID: "list-calibrations", Summary: "List calibration certificates, newest first"}, s.listCalibrations)
	register(s, Route{Method: http.MethodGet, Path: a + "/calibrations/status", Permission: spectra.PermCalibrationRead,
		OperationID: "calibration-status", Summary: "Every instrument's calibration state, with counts per state"}, s.calibrationStatus)
	register(s, Route{Method: http.MethodPost, Path: a + "/calibrations", Permission: spectra.PermCalibrationCreate,
		OperationID: "create-calibration", Summary: "Record a calibration certificate", Status: http.StatusCreated}, s.createCalibration)
	register(s, Route{Method: http.MethodGet, Path: a + "/calibrations/{id}", Permission: spectra.PermCalibrationRead,
		OperationID: "get-calibration", Summary: "One calibration certificate"}, s.getCalibration)
	register(s, Route{Method: http.MethodPost, Path: a + "/calibrations/{id}/revoke", Permission: spectra.PermCalibrationCreate,
		OperationID: "revoke-calibration", Summary: "Revoke a certificate recorded in error"}, s.revokeCalibration)

	// Runs: viewers read, engineers create, technicians execute.
	register(s, Route{Method: http.MethodGet, Path: a + "/runs", Permission: spectra.PermRunRead,
		OperationID: "list-runs", Summary: "List runs, newest first"}, s.listRuns)
	register(s, Route{Method: http.MethodPost, Path: a + "/runs", Permission: spectra.PermRunCreate,
		OperationID: "create-run", Summary: "Plan a run; 409 with the instruments when a calibration has expired or is missing", Status: http.StatusCreated}, s.createRun)
	register(s, Route{Method: http.MethodGet, Path: a + "/runs/{id}", Permission: spectra.PermRunRead,
		OperationID: "get-run", Summary: "A run with its instruments, certificates, results and history"}, s.getRun)
	for _, act := range []struct {
		action  spectra.RunAction
		summary string
	}{
		{spectra.ActStart, "Start a run; re-checks calibrations (a lapsed one blocks the run: 409)"},
		{spectra.ActComplete, "Complete a running run"},
		{spectra.ActFail, "Mark a running run as failed"},
		{spectra.ActAbort, "Abort a planned, blocked or running run"},
	} {
		register(s, Route{Method: http.MethodPost, Path: a + "/runs/{id}/" + string(act.action), Permission: spectra.PermRunExecute,
			OperationID: string(act.action) + "-run", Summary: act.summary}, s.runAction(act.action))
	}
	register(s, Route{Method: http.MethodPost, Path: a + "/runs/{id}/results", Permission: spectra.PermResultUpload,
		OperationID: "upload-results", Summary: "Append results (JSON or CSV); feeds SPC series", Status: http.StatusCreated}, s.uploadResults)

	// Amendments: a completed run's results are corrected only so (engineer+).
	register(s, Route{Method: http.MethodPost, Path: a + "/runs/{id}/amendments", Permission: spectra.PermResultAmend,
		OperationID: "amend-run", Summary: "Correct a completed run's results: an amendment with a reason that corrects, withdraws or adds results (409 unless completed)",
		Status: http.StatusCreated}, s.amendRun)

	// Data series: whoever uploads results uploads curves; viewers read them.
	register(s, Route{Method: http.MethodPost, Path: a + "/runs/{id}/series", Permission: spectra.PermResultUpload, Upload: true,
		OperationID: "create-series", Summary: "Store a data series (a curve: CSV/TSV with a header row, or JSON) on a run", Status: http.StatusCreated}, s.createDataSeries)
	register(s, Route{Method: http.MethodGet, Path: a + "/series", Permission: spectra.PermRunRead,
		OperationID: "list-series", Summary: "List data series, newest first (of a recipe's or a sample's runs, by name: for overlays)"}, s.listDataSeries)
	register(s, Route{Method: http.MethodGet, Path: a + "/series/{id}", Permission: spectra.PermRunRead,
		OperationID: "get-series", Summary: "A data series with all its values"}, s.getDataSeries)
	register(s, Route{Method: http.MethodGet, Path: a + "/series/{id}/data.csv", Permission: spectra.PermRunRead,
		OperationID: "get-series-csv", Summary: "A data series as CSV (header with units in brackets)"}, s.dataSeriesCSV)
	register(s, Route{Method: http.MethodGet, Path: a + "/series/{id}/plot", Permission: spectra.PermRunRead,
		OperationID: "plot-series", Summary: "One y column of a series downsampled for plotting (LTTB), optionally in an x range"}, s.dataSeriesPlot)

	// Reports: viewers download.
	register(s, Route{Method: http.MethodGet, Path: a + "/runs/{id}/report.csv", Permission: spectra.PermReportDownload,
		OperationID: "run-report-csv", Summary: "A run's results as CSV"}, s.runReportCSV)
	register(s, Route{Method: http.MethodGet, Path: a + "/runs/{id}/report", Permission: spectra.PermReportDownload,
		OperationID: "run-report", Summary: "A printable run report (HTML): lab, operator, recipe approval, certificates, parameters, results, plots, signatures, history"}, s.runReportHTML)
	register(s, Route{Method: http.MethodGet, Path: a + "/runs/{id}/report.pdf", Permission: spectra.PermReportDownload,
		OperationID: "run-report-pdf", Summary: "The run report as a PDF (A4, plots as vector paths)"}, s.runReportPDF)
	register(s, Route{Method: http.MethodGet, Path: reportCSSPath, Permission: PermPublic,
		OperationID: "run-report-styles", Summary: "The printable report's stylesheet"}, s.runReportStyles)

	// SPC: viewers read, engineers manage and acknowledge.
	register(s, Route{Method: http.MethodGet, Path: a + "/spc/series", Permission: spectra.PermSPCRead,
		OperationID: "list-spc-series", Summary: "List SPC series"}, s.listSeries)
	register(s, Route{Method: http.MethodPost, Path: a + "/spc/series", Permission: spectra.PermSPCManage,
		OperationID: "create-spc-series", Summary: "Create an SPC series (limits given or from a baseline)", Status: http.StatusCreated}, s.createSeries)
	register(s, Route{Method: http.MethodGet, Path: a + "/spc/series/{id}", Permission: spectra.PermSPCRead,
		OperationID: "get-spc-series", Summary: "One SPC series"}, s.getSeries)
	register(s, Route{Method: http.MethodGet, Path: a + "/spc/series/{id}/points", Permission: spectra.PermSPCRead,
		OperationID: "list-spc-points", Summary: "A series' latest points, newest first"}, s.seriesPoints)
	register(s, Route{Method: http.MethodPost, Path: a + "/spc/series/{id}/points", Permission: spectra.PermSPCManage,
		OperationID: "add-spc-points", Summary: "Append points; evaluates the Western Electric rules", Status: http.StatusCreated}, s.addPoints)
	register(s, Route{Method: http.MethodGet, Path: a + "/spc/alerts", Permission: spectra.PermSPCRead,
		OperationID: "list-spc-alerts", Summary: "List SPC alerts (open ones by default)"}, s.listAlerts)
	register(s, Route{Method: http.MethodPost, Path: a + "/spc/alerts/{id}/acknowledge", Permission: spectra.PermSPCAcknowledge,
		OperationID: "acknowledge-spc-alert", Summary: "Acknowledge an SPC alert"}, s.acknowledgeAlert)

	// ML metadata: viewers read, engineers manage. Feature sets and
	// models are versioned by name + revision; a model's status goes
	// draft → validated → deployed, and to retired from any of them.
	register(s, Route{Method: http.MethodGet, Path: a + "/feature-sets", Permission: spectra.PermMLRead,
		OperationID: "list-feature-sets", Summary: "List feature-set revisions, newest first"}, s.listFeatureSets)
	register(s, Route{Method: http.MethodPost, Path: a + "/feature-sets", Permission: spectra.PermMLManage,
		OperationID: "create-feature-set", Summary: "Create a feature set (an existing name: its next revision)", Status: http.StatusCreated}, s.createFeatureSet)
	register(s, Route{Method: http.MethodGet, Path: a + "/feature-sets/{id}", Permission: spectra.PermMLRead,
		OperationID: "get-feature-set", Summary: "One feature-set revision"}, s.getFeatureSet)
	register(s, Route{Method: http.MethodPut, Path: a + "/feature-sets/{id}", Permission: spectra.PermMLManage,
		OperationID: "update-feature-set", Summary: "Change a feature-set revision (If-Match or version; 409 once a model uses it)"}, s.updateFeatureSet)
	register(s, Route{Method: http.MethodGet, Path: a + "/models", Permission: spectra.PermMLRead,
		OperationID: "list-models", Summary: "List model revisions, newest first"}, s.listModels)
	register(s, Route{Method: http.MethodPost, Path: a + "/models", Permission: spectra.PermMLManage,
		OperationID: "create-model", Summary: "Record a draft model (an existing name: its next revision)", Status: http.StatusCreated}, s.createModel)
	register(s, Route{Method: http.MethodGet, Path: a + "/models/{id}", Permission: spectra.PermMLRead,
		OperationID: "get-model", Summary: "One model revision"}, s.getModel)
	register(s, Route{Method: http.MethodPut, Path: a + "/models/{id}", Permission: spectra.PermMLManage,
		OperationID: "update-model", Summary: "Change a model or move its status (If-Match or version; illegal transition 409)"}, s.updateModel)

	s.documentAnalysis(a)
}

// documentAnalysis adds to the OpenAPI document what the handlers'
// types cannot say: the lockout's 409 body (its own error type, so huma
// does not know it) and the JSON form of a results upload (read raw, to
// take CSV too).
func (s *server) documentAnalysis(a string) {
	oapi := s.api.OpenAPI()
	reg := oapi.Components.Schemas
	lockoutBody := &huma.Response{Description: "Calibration lockout (a problem with the instruments whose calibration has expired or is missing), " +
		"or another conflict (a plain problem: the recipe is not approved, the run's status does not allow it…).",
		Content: map[string]*huma.MediaType{problemJSON: {Schema: &huma.Schema{AnyOf: []*huma.Schema{
			reg.Schema(reflect.TypeFor[lockoutProblem](), true, ""),
			reg.Schema(reflect.TypeFor[Problem](), true, ""),
		}}}}}
	for _, path := range []string{a + "/runs", a + "/runs/{id}/start"} {
		if item := oapi.Paths[path]; item != nil && item.Post != nil {
			item.Post.Responses["409"] = lockoutBody
		}
	}
	// The status filter's values are the domain's, not a second list.
	if item := oapi.Paths[a+"/runs"]; item != nil && item.Get != nil {
		for _, p := range item.Get.Parameters {
			if p.Name == "status" && p.In == "query" && p.Schema != nil {
				p.Schema.Enum = nil
				for _, st := range spectra.RunStatuses {
					p.Schema.Enum = append(p.Schema.Enum, string(st))
				}
				p.Schema.Enum = append(p.Schema.Enum, "") // no filter
			}
		}
	}
	if item := oapi.Paths[a+"/runs/{id}/results"]; item != nil && item.Post != nil && item.Post.RequestBody != nil {
		item.Post.RequestBody.Content["application/json"] = &huma.MediaType{Schema: reg.Schema(reflect.TypeFor[resultsUpload](), true, "")}
	}
	if item := oapi.Paths[a+"/runs/{id}/series"]; item != nil && item.Post != nil && item.Post.RequestBody != nil {
		item.Post.RequestBody.Content["application/json"] = &huma.MediaType{Schema: reg.Schema(reflect.TypeFor[dataSeriesUpload](), true, "")}
		for _, mt := range []string{"text/tab-separated-values", "text/plain", "chemical/x-jcamp-dx", "application/octet-stream"} {
			item.Post.RequestBody.Content[mt] = item.Post.RequestBody.Content["text/csv"]
		}
	}
}
