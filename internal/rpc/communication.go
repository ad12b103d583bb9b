package rpc

import (
	"context"
	"supervisord/internal/faults"
)

// Methods that pass data to a process or to event listeners.

func (a *API) sendProcessStdin(_ context.Context, args []any) (any, error) {
	var spec string
	if err := a.decode(args, 2, 2, checkState, &spec); err != nil {
		return nil, err
	}
	var data []byte
	switch x := args[1].(type) {
	case string:
		data = []byte(x)
	case []byte:
		data = x
	default:
		return nil, faults.New(faults.IncorrectParameters, pyStr(args[1]))
	}
	g, p, err := a.resolve(spec)
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, faults.New(faults.BadName, spec)
	}
	err = a.b.SendProcessStdin(g.Name, p.Name, data)
	return true, renamed(err, spec, append(nameFaults, faults.NoFile)...)
}

func (a *API) sendRemoteCommEvent(_ context.Context, args []any) (any, error) {
	var typ, data string
	if err := a.decode(args, 2, 2, anyState, &typ, &data); err != nil {
		return nil, err
	}
	return true, a.b.SendRemoteCommEvent(typ, data)
}
