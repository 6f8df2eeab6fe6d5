package httpapi

// addMethodRoutes registers recipes and SOPs, their approvals, versions and retirement (/api/lims).
func (s *server) addMethodRoutes() {}
