package httpapi

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/spectra-lab/spectra/internal/spectra"
)

type principalKey struct{}

// authResult is what authentication made of a request's credentials: a
// principal, or the reason there is none.
type authResult struct {
	principal spectra.Principal
	err       error // nil with a zero principal: no credentials at all
}

// PrincipalFrom returns the authenticated caller of the request, if any.
func PrincipalFrom(ctx context.Context) (spectra.Principal, bool) {
	r, ok := ctx.Value(principalKey{}).(authResult)
	return r.principal, ok && r.err == nil && r.principal.UserID != uuid.Nil
}

// authenticate reads the bearer credential (Authorization: Bearer …) and
// puts what it proves into the context. It never answers by itself: a
// public route works with bad credentials; the guard of any other route
// turns a missing or failed authentication into 401.
func (s *server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := context.WithValue(r.Context(), clientKey{}, s.clientOf(r))
		if h := r.Header.Get("Authorization"); h != "" && s.auth != nil {
			var res authResult
			scheme, cred, _ := strings.Cut(h, " ")
			if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(cred) == "" {
				res.err = spectra.Errorf(spectra.CodeUnauthenticated, "use Authorization: Bearer <token>")
			} else {
				res.principal, res.err = s.auth.Authenticate(ctx, strings.TrimSpace(cred), RequestID(ctx))
			}
			if res.err != nil && spectra.ErrorCode(res.err) == spectra.CodeUnauthenticated {
				s.log.InfoContext(ctx, "authentication failed", "request_id", RequestID(ctx), "err", res.err)
			}
			ctx = context.WithValue(ctx, principalKey{}, res)
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// guard is the huma middleware of every non-public route: 401 without a
// valid principal, 403 (naming the permission) when the role is below the
// permission's bar in the matrix.
func (s *server) guard(perm spectra.Permission) func(huma.Context, func(huma.Context)) {
	return func(ctx huma.Context, next func(huma.Context)) {
		res, _ := ctx.Context().Value(principalKey{}).(authResult)
		p, ok := PrincipalFrom(ctx.Context())
		switch {
		case res.err != nil && spectra.ErrorCode(res.err) != spectra.CodeUnauthenticated:
			s.writeErr(ctx, res.err) // the database failed, not the caller
		case !ok:
			s.writeErr(ctx, &spectra.Error{Code: spectra.CodeUnauthenticated, Message: "authentication required"})
		case !p.Can(perm):
			s.writeErr(ctx, &spectra.Error{Code: spectra.CodeForbidden,
				Message: "your role (" + string(p.Role) + ") lacks the permission " + string(perm)})
		default:
			next(ctx)
		}
	}
}

func (s *server) writeErr(ctx huma.Context, err error) {
	p := problemFor(err)
	for k, vs := range p.headers {
		for _, v := range vs {
			ctx.AppendHeader(k, v)
		}
	}
	_ = huma.WriteErr(s.api, ctx, p.Status, p.Detail, fieldErrors(p)...)
}

// fieldErrors lets a Problem's field errors travel through huma.WriteErr.
func fieldErrors(p *Problem) []error {
	out := make([]error, 0, len(p.Errors))
	for _, f := range p.Errors {
		out = append(out, &huma.ErrorDetail{Location: "body." + f.Field, Message: f.Message})
	}
	return out
}

// tenant is the tenant transaction of the request's principal.
func (s *server) tenant(ctx context.Context) spectra.Tenant {
	p, _ := PrincipalFrom(ctx)
	return spectra.TenantOf(p, RequestID(ctx))
}

type clientKey struct{}

// client is who is on the other end, as far as we can tell.
type client struct {
	IP, UserAgent string
}

func clientFrom(ctx context.Context) client {
	c, _ := ctx.Value(clientKey{}).(client)
	return c
}

// clientOf finds the client's address: the peer's, or, when the peer is a
// trusted proxy, the nearest untrusted address in X-Forwarded-For.
func (s *server) clientOf(r *http.Request) client {
	c := client{UserAgent: r.UserAgent()}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return c
	}
	addr = addr.Unmap()
	if s.trusted(addr) {
		hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
		for i := len(hops) - 1; i >= 0; i-- {
			hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
			if err != nil {
				break
			}
			addr = hop.Unmap()
			if !s.trusted(addr) {
				break
			}
		}
	}
	c.IP = addr.String()
	return c
}

func (s *server) trusted(a netip.Addr) bool {
	for _, p := range s.proxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
