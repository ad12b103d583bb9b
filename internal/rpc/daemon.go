package rpc

import "context"

// Methods about the daemon itself and its groups.

// noArgs serves a method that takes no arguments.
func (a *API) noArgs(state stateCheck, fn func() (any, error)) func(context.Context, []any) (any, error) {
	return func(_ context.Context, args []any) (any, error) {
		if err := a.decode(args, 0, 0, state); err != nil {
			return nil, err
		}
		return fn()
	}
}

// checked serves a method that takes no arguments and refuses to run
// while the daemon is stopping.
func (a *API) checked(fn func() (any, error)) func(context.Context, []any) (any, error) {
	return a.noArgs(checkState, fn)
}

func (a *API) reloadConfig() (any, error) {
	added, changed, removed, err := a.b.ReloadConfig()
	if err != nil {
		return nil, err
	}
	nz := func(s []string) []string {
		if s == nil {
			return []string{}
		}
		return s
	}
	return []any{[]any{nz(added), nz(changed), nz(removed)}}, nil
}

func (a *API) groupName(fn func(string) error) func(context.Context, []any) (any, error) {
	return func(_ context.Context, args []any) (any, error) {
		var name string
		if err := a.decode(args, 1, 1, checkState, &name); err != nil {
			return nil, err
		}
		if err := fn(name); err != nil {
			return nil, err
		}
		return true, nil
	}
}
