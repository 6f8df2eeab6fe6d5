package httpapi

import (
	"net/http"

	"github.com/spectra-lab/spectra/internal/spectra"
)

// addELNRoutes registers the electronic lab notebook: entries, search, signatures, amendments (/api/lims/eln).
func (s *server) addELNRoutes() {
	// Reading (viewer+).
	read := spectra.PermELNRead
	register(s, Route{Method: http.MethodGet, Path: "/api/lims/eln", Permission: read,
		OperationID: "list-eln", Summary: "List notebook entries, newest first, or search them (q), best first, with snippets"}, s.listELN)
	register(s, Route{Method: http.MethodGet, Path: "/api/lims/eln/{id}", Permission: read,
		OperationID: "get-eln", Summary: "One notebook entry, with its links and amendments"}, s.getELN)
	register(s, Route{Method: http.MethodGet, Path: "/api/lims/eln/{id}/signatures", Permission: read,
		OperationID: "get-eln-signatures", Summary: "An entry's signature manifest: who signed what, and whether it still matches"}, s.elnSignatures)

	// Writing (engineer+): a signed entry is locked (409); corrections are amendments.
	write := spectra.PermELNWrite
	register(s, Route{Method: http.MethodPost, Path: "/api/lims/eln", Permission: write,
		OperationID: "create-eln", Summary: "Write a notebook entry", Status: http.StatusCreated}, s.createELN)
	register(s, Route{Method: http.MethodPut, Path: "/api/lims/eln/{id}", Permission: write,
		OperationID: "update-eln", Summary: "Replace an unsigned entry's content and links"}, s.updateELN)
	register(s, Route{Method: http.MethodDelete, Path: "/api/lims/eln/{id}", Permission: write,
		OperationID: "delete-eln", Summary: "Delete an unsigned entry (soft: restorable)", Status: http.StatusNoContent}, s.deleteELN)
	register(s, Route{Method: http.MethodPost, Path: "/api/lims/eln/{id}/amendments", Permission: write,
		OperationID: "amend-eln", Summary: "Correct an entry with an amendment; the original and its signatures stay", Status: http.StatusCreated}, s.amendELN)

	// Signing (engineer+): an e-signature with the password re-entered.
	register(s, Route{Method: http.MethodPost, Path: "/api/lims/eln/{id}/sign", Permission: spectra.PermELNSign,
		OperationID: "sign-eln", Summary: "Sign an entry (password re-entered, meaning stated); locks it", Status: http.StatusCreated}, s.signELN)
}
