package httpapi

// addELNRoutes registers the electronic lab notebook: entries, search, signatures, amendments (/api/lims/eln).
func (s *server) addELNRoutes() {}
