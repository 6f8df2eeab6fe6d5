package httpapi

// addSampleRoutes registers projects, samples, wafers, devices and the chain of custody (/api/lims).
func (s *server) addSampleRoutes() {}
