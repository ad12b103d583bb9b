package authz

import (
	"context"
	"testing"
)

func TestRoleTravelsInContext(t *testing.T) {
	if got := FromContext(context.Background()); got != Admin {
		t.Fatalf("default role = %v, want admin", got)
	}
	ctx := WithRole(context.Background(), ReadOnly)
	if got := FromContext(ctx); got != ReadOnly {
		t.Fatalf("role = %v, want read-only", got)
	}
	if ReadOnly.String() != "read-only" || Admin.String() != "admin" {
		t.Fatal("role names changed")
	}
}
