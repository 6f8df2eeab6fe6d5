package httpapi

import (
	"context"
	"net/http"

	"github.com/google/uuid"

	"github.com/spectra-lab/spectra/internal/postgres"
	"github.com/spectra-lab/spectra/internal/spectra"
)

// Revisioned documents (recipes, SOPs): the handlers of their shared life
// — get, approve with an e-signature, retire, new version, approvals —
// once, for a revisionAPI that names what differs. Listing, creating and
// editing differ in their fields and stay in recipes.go and sops.go.

// revisionAPI is one kind of revisioned document as the API serves it.
type revisionAPI[T spectra.Revisioned, A, B any] struct {
	what  string               // the kind in messages and summaries: "recipe", "SOP"
	aWhat string               // the same with its article, capitalized: "A recipe", "An SOP"
	slug  string               // the kind in operation ids: "recipe" (list-recipes, approve-recipe)
	path  string               // the collection: "/api/lims/recipes"
	kind  spectra.RevisionKind // the permissions to read, draft and approve: the domain's

	store    func(*postgres.DB) postgres.Revisions[T, A]
	approved func(T, A) B // the body an approval answers with
}

// addRevisionRoutes registers a kind's routes: list, create and update
// (the kind's own handlers), get, approve, retire, new version and
// approvals (the shared ones). Everyone reads; the draft permission
// drafts and starts new versions; the approve permission approves and
// retires.
func addRevisionRoutes[T spectra.Revisioned, A, B, LI, CI, UI any](s *server, k revisionAPI[T, A, B],
	list func(context.Context, *LI) (*listOutput[T], error),
	create func(context.Context, *CI) (*revisionOutput[T], error),
	update func(context.Context, *UI) (*revisionOutput[T], error)) {
	read, draft, approve := k.kind.Read, k.kind.Draft, k.kind.Approve
	one := k.path + "/{id}"
	register(s, Route{Method: http.MethodGet, Path: k.path, Permission: read,
		OperationID: "list-" + k.slug + "s", Summary: "List " + k.what + " revisions, newest first"}, list)
	register(s, Route{Method: http.MethodPost, Path: k.path, Permission: draft,
		OperationID: "create-" + k.slug, Summary: "Draft a new " + k.what + " (revision 1 of a new lineage)", Status: http.StatusCreated}, create)
	register(s, Route{Method: http.MethodGet, Path: one, Permission: read,
		OperationID: "get-" + k.slug, Summary: "One " + k.what + " revision"}, k.get(s))
	register(s, Route{Method: http.MethodPut, Path: one, Permission: draft,
		OperationID: "update-" + k.slug, Summary: "Edit a draft " + k.what + " (approved and retired revisions are immutable)"}, update)
	register(s, Route{Method: http.MethodPost, Path: one + "/submit", Permission: draft,
		OperationID: "submit-" + k.slug, Summary: "Submit a draft " + k.what + " for review (it cannot change until withdrawn or rejected)"}, k.move(s, Revisions[T, A].Submit))
	register(s, Route{Method: http.MethodPost, Path: one + "/withdraw", Permission: draft,
		OperationID: "withdraw-" + k.slug, Summary: "Take a submitted " + k.what + " back from review (the submitter only)"}, k.move(s, Revisions[T, A].Withdraw))
	register(s, Route{Method: http.MethodPost, Path: one + "/reject", Permission: approve,
		OperationID: "reject-" + k.slug, Summary: "Send a submitted " + k.what + " back to draft with a reason"}, k.reject(s))
	register(s, Route{Method: http.MethodPost, Path: one + "/approve", Permission: approve,
		OperationID: "approve-" + k.slug, Summary: "Approve a " + k.what + " submitted for review with an e-signature (password re-entered; not by its own author when the organization requires independent approval)"}, k.approve(s))
	register(s, Route{Method: http.MethodPost, Path: one + "/retire", Permission: approve,
		OperationID: "retire-" + k.slug, Summary: "Retire an approved " + k.what + " revision"}, k.move(s, Revisions[T, A].Retire))
	register(s, Route{Method: http.MethodPost, Path: one + "/versions", Permission: draft,
		OperationID: "new-" + k.slug + "-version", Summary: "Start the next revision, a draft copied from an approved or retired one", Status: http.StatusCreated}, k.newVersion(s))
	register(s, Route{Method: http.MethodGet, Path: one + "/approvals", Permission: read,
		OperationID: "list-" + k.slug + "-approvals", Summary: k.aWhat + " revision's approvals and their signatures"}, k.approvals(s))
}

// revisionOutput is one revision and its ETag.
type revisionOutput[T spectra.Revisioned] struct {
	ETag string `header:"ETag"`
	Body T
}

// outRevision is x as the caller's answer: with the actions the domain
// allows them.
func outRevision[T spectra.Revisioned](ctx context.Context, x T) *revisionOutput[T] {
	p, _ := PrincipalFrom(ctx)
	return &revisionOutput[T]{ETag: etag(spectra.Head(x).Version), Body: spectra.WithActions(x, p)}
}

type approvedOutput[B any] struct {
	ETag string `header:"ETag"`
	Body B
}

// RevisionListParams are the list parameters of every revisioned kind;
// each kind's list input embeds them and adds its own filters.
type RevisionListParams struct {
	Limit     int    `query:"limit" minimum:"1" maximum:"200" default:"50" doc:"At most 200."`
	Cursor    string `query:"cursor" maxLength:"64" doc:"next_cursor of the previous page."`
	Status    string `query:"status" enum:"draft,approved,retired,"`
	LineageID string `query:"lineage_id" format:"uuid" doc:"Only the revisions of this lineage (every revision of one recipe or SOP)."`
}

// listRevisions answers a kind's list: the shared parameters become a page
// and a spectra.RevisionFilter; list adds the kind's own filters.
func listRevisions[T spectra.Revisioned](ctx context.Context, s *server, in RevisionListParams,
	list func(spectra.Tenant, spectra.RevisionFilter, spectra.Page) ([]T, string, error)) (*listOutput[T], error) {
	pg, err := page(in.Limit, in.Cursor)
	if err != nil {
		return nil, err
	}
	f := spectra.RevisionFilter{Status: spectra.MethodStatus(in.Status)}
	if in.LineageID != "" {
		f.LineageID = uuid.MustParse(in.LineageID) // validated by the format
	}
	items, cursor, err := list(s.tenant(ctx), f, pg)
	if err != nil {
		return nil, err
	}
	p, _ := PrincipalFrom(ctx)
	for i := range items {
		items[i] = spectra.WithActions(items[i], p)
	}
	return &listOutput[T]{Body: newList(items, cursor)}, nil
}

// createRevisionInput drafts a new document of a kind whose fields are F.
type createRevisionInput[F any] struct {
	Body F
}

// updateRevisionInput edits a draft revision: F is the kind's fields and
// the version read.
type updateRevisionInput[F any] struct {
	ID      uuid.UUID `path:"id"`
	IfMatch string    `header:"If-Match" doc:"The ETag of the revision as last read; a stale one answers 412."`
	Body    F
}

// revisionPathID is the path id of a revision, of either kind.
type revisionPathID struct {
	ID uuid.UUID `path:"id" doc:"The revision's id."`
}

// approveMethodInput is an approval: the approver re-enters their password, so
// the signature is theirs and made knowingly (21 CFR 11.200).
type approveMethodInput struct {
	ID      uuid.UUID `path:"id"`
	IfMatch string    `header:"If-Match" doc:"The ETag of the revision the approver reviewed; a stale one answers 412."`
	Body    struct {
		Comment  string `json:"comment,omitempty" maxLength:"2000"`
		Password string `json:"password" minLength:"1" maxLength:"1024" doc:"The approver's own password, re-entered to sign."`
	}
}

// revisionMoveInput moves a revision (submit, withdraw, retire) at the version read.
type revisionMoveInput struct {
	ID      uuid.UUID `path:"id"`
	IfMatch string    `header:"If-Match" doc:"The ETag of the revision as last read; a stale one answers 412."`
}

type listMethodApprovalsInput struct {
	ID     uuid.UUID `path:"id"`
	Limit  int       `query:"limit" minimum:"1" maximum:"200" default:"50" doc:"At most 200."`
	Cursor string    `query:"cursor" maxLength:"64" doc:"next_cursor of the previous page."`
}

func (k revisionAPI[T, A, B]) get(s *server) func(context.Context, *revisionPathID) (*revisionOutput[T], error) {
	return func(ctx context.Context, in *revisionPathID) (*revisionOutput[T], error) {
		x, err := k.store(s.store).Get(ctx, s.tenant(ctx), in.ID)
		if err != nil {
			return nil, err
		}
		return outRevision(ctx, x), nil
	}
}

// approve is an e-signature (esign): the revision is looked up and must be
// a draft awaiting review, at the If-Match version, that the caller may
// approve (separation of duties), the approver re-enters their password,
// and the store approves it at the version the approver reviewed,
// re-checked under a lock.
func (k revisionAPI[T, A, B]) approve(s *server) func(context.Context, *approveMethodInput) (*approvedOutput[B], error) {
	return func(ctx context.Context, in *approveMethodInput) (*approvedOutput[B], error) {
		want, err := ifMatch(in.IfMatch)
		if err != nil {
			return nil, err
		}
		store := k.store(s.store)
		var approved T
		a, err := esign(ctx, s, in.Body.Password,
			func(t spectra.Tenant) (int, error) {
				cur, err := store.Get(ctx, t, in.ID)
				if err != nil {
					return 0, err
				}
				h := spectra.Head(cur)
				if err := h.CanApprove(t.UserID); err != nil {
					return 0, err
				}
				if want > 0 && want != h.Version {
					return 0, spectra.Errorf(spectra.CodePrecondition, "the %s changed since version %d (now %d); review it again", k.what, want, h.Version)
				}
				return h.Version, nil
			},
			func(t spectra.Tenant, p spectra.Principal, version int) (A, error) {
				var a A
				var err error
				approved, a, err = store.Approve(ctx, t, in.ID, version,
					spectra.Approval{Role: p.Role, Comment: in.Body.Comment, AuthMethod: string(spectra.AuthPassword)})
				return a, err
			})
		if err != nil {
			return nil, err
		}
		p, _ := PrincipalFrom(ctx)
		return &approvedOutput[B]{ETag: etag(spectra.Head(approved).Version), Body: k.approved(spectra.WithActions(approved, p), a)}, nil
	}
}

// Revisions is the store's life of a kind, for method expressions.
type Revisions[T spectra.Revisioned, A any] = postgres.Revisions[T, A]

// move answers a move without a body (submit, withdraw, retire): the
// revision at the If-Match version, moved by the store's method.
func (k revisionAPI[T, A, B]) move(s *server, m func(Revisions[T, A], context.Context, spectra.Tenant, uuid.UUID, int) (T, error)) func(context.Context, *revisionMoveInput) (*revisionOutput[T], error) {
	return func(ctx context.Context, in *revisionMoveInput) (*revisionOutput[T], error) {
		version, err := ifMatch(in.IfMatch)
		if err != nil {
			return nil, err
		}
		x, err := m(k.store(s.store), ctx, s.tenant(ctx), in.ID, version)
		if err != nil {
			return nil, err
		}
		return outRevision(ctx, x), nil
	}
}

// rejectMethodInput sends a submitted draft back with a reason.
type rejectMethodInput struct {
	ID      uuid.UUID `path:"id"`
	IfMatch string    `header:"If-Match" doc:"The ETag of the revision as last read; a stale one answers 412."`
	Body    struct {
		Reason string `json:"reason" minLength:"1" maxLength:"2000" doc:"Why it goes back to draft; shown on the revision until the next rejection."`
	}
}

func (k revisionAPI[T, A, B]) reject(s *server) func(context.Context, *rejectMethodInput) (*revisionOutput[T], error) {
	return func(ctx context.Context, in *rejectMethodInput) (*revisionOutput[T], error) {
		version, err := ifMatch(in.IfMatch)
		if err != nil {
			return nil, err
		}
		x, err := k.store(s.store).Reject(ctx, s.tenant(ctx), in.ID, version, in.Body.Reason)
		if err != nil {
			return nil, err
		}
		return outRevision(ctx, x), nil
	}
}

func (k revisionAPI[T, A, B]) newVersion(s *server) func(context.Context, *revisionPathID) (*revisionOutput[T], error) {
	return func(ctx context.Context, in *revisionPathID) (*revisionOutput[T], error) {
		x, err := k.store(s.store).NewVersion(ctx, s.tenant(ctx), in.ID)
		if err != nil {
			return nil, err
		}
		return outRevision(ctx, x), nil
	}
}

func (k revisionAPI[T, A, B]) approvals(s *server) func(context.Context, *listMethodApprovalsInput) (*listOutput[A], error) {
	return func(ctx context.Context, in *listMethodApprovalsInput) (*listOutput[A], error) {
		pg, err := page(in.Limit, in.Cursor)
		if err != nil {
			return nil, err
		}
		items, cursor, err := k.store(s.store).Approvals(ctx, s.tenant(ctx), in.ID, pg)
		if err != nil {
			return nil, err
		}
		return &listOutput[A]{Body: newList(items, cursor)}, nil
	}
}
