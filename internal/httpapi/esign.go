package httpapi

import (
	"context"

	"github.com/spectra-lab/spectra/internal/auth"
	"github.com/spectra-lab/spectra/internal/spectra"
)

// esign is the one e-signature flow, for signing an ELN entry and for
// approving a recipe or SOP revision (21 CFR 11.200: the signer proves who
// they are at the moment of signing):
//
//  1. lookup reads what is to be signed, so that a missing or foreign
//     record (404), or one that cannot be signed (409, 412), neither
//     checks a password nor counts a login attempt;
//  2. the caller re-enters their password, checked outside any tenant
//     transaction, since re-authentication uses connections of its own and
//     must not wait for one while holding another; a wrong one is 401
//     naming the field password, and counts as a failed login;
//  3. sign stores the signature, in the store's one transaction, which
//     checks again under a lock what lookup returned.
func esign[L, R any](ctx context.Context, s *server, password string,
	lookup func(spectra.Tenant) (L, error),
	sign func(spectra.Tenant, spectra.Principal, L) (R, error)) (R, error) {
	var none R
	p, _ := PrincipalFrom(ctx)
	t := s.tenant(ctx)
	looked, err := lookup(t)
	if err != nil {
		return none, err
	}
	c := clientFrom(ctx)
	if err := s.auth.Reauthenticate(ctx, p, password, auth.Client{IP: c.IP, UserAgent: c.UserAgent, RequestID: RequestID(ctx)}); err != nil {
		return none, err
	}
	return sign(t, p, looked)
}
