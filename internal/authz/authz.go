// Package authz carries the role of the user behind a request from the HTTP
// server, which authenticates it, to the handlers that decide what to show
// or allow (the XML-RPC methods, the web page). It is a leaf: anything may
// import it.
package authz

import "context"

// Role is what an authenticated user may do.
type Role int

const (
	// Admin may call every method and use every page: Supervisor's only
	// kind of user, and the role of a request when no auth is configured.
	Admin Role = iota
	// ReadOnly may only look: methods and pages that change nothing.
	ReadOnly
)

func (r Role) String() string {
	if r == ReadOnly {
		return "read-only"
	}
	return "admin"
}

type roleKey struct{}

// WithRole returns ctx carrying role.
func WithRole(ctx context.Context, role Role) context.Context {
	return context.WithValue(ctx, roleKey{}, role)
}

// FromContext is the role ctx carries: Admin when none was set.
func FromContext(ctx context.Context) Role {
	if r, ok := ctx.Value(roleKey{}).(Role); ok {
		return r
	}
	return Admin
}
