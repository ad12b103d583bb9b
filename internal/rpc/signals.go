package rpc

import (
	"context"
	"supervisord/internal/faults"
	"supervisord/internal/process"
	"supervisord/internal/pycompat"
	"syscall"
)

// signalProcess and its group and all-process forms.

func (a *API) signalProcess(_ context.Context, args []any) (any, error) {
	var spec string
	if err := a.decode(args, 2, 2, checkState, &spec); err != nil {
		return nil, err
	}
	g, p, err := a.resolve(spec)
	if err != nil {
		return nil, err
	}
	if p == nil {
		return a.signalMany(g.Processes, args[1]), nil
	}
	sig, err := signalNumber(args[1])
	if err != nil {
		return nil, err
	}
	if !p.State.IsSignallable() {
		return nil, faults.New(faults.NotRunning, spec)
	}
	return true, renamed(a.b.SignalProcess(g.Name, p.Name, sig), spec, nameFaults...)
}

func (a *API) signalMany(procs []process.Info, sigArg any) []any {
	results := []any{}
	for _, p := range procs {
		if !p.State.IsSignallable() {
			continue
		}
		sig, err := signalNumber(sigArg)
		if err == nil {
			err = renamed(a.b.SignalProcess(p.Group, p.Name, sig), pycompat.Namespec(p.Group, p.Name), nameFaults...)
		}
		results = append(results, result(p.Group, p.Name, err))
	}
	return results
}

func (a *API) signalProcessGroup(_ context.Context, args []any) (any, error) {
	var name string
	if err := a.decode(args, 2, 2, checkState, &name); err != nil {
		return nil, err
	}
	for _, g := range a.rows() {
		if g.Name == name {
			return a.signalMany(g.Processes, args[1]), nil
		}
	}
	return nil, faults.New(faults.BadName, name)
}

func (a *API) signalAllProcesses(_ context.Context, args []any) (any, error) {
	if err := a.decode(args, 1, 1, anyState); err != nil {
		return nil, err
	}
	var all []process.Info
	for _, g := range a.rows() {
		all = append(all, g.Processes...)
	}
	res := a.signalMany(all, args[0])
	// Supervisor checks its state only after signalling.
	if err := a.checkState(); err != nil {
		return nil, err
	}
	return res, nil
}

// signalNumber parses a signal given as a number or a name with or
// without "SIG", accepting what the reference's signal_number accepts.
func signalNumber(v any) (syscall.Signal, error) {
	var sig syscall.Signal
	var err error
	if n, ierr := integer(v); ierr == nil {
		sig, err = pycompat.SignalNumberOf(n, "")
	} else if s, serr := str(v); serr == nil {
		sig, err = pycompat.SignalNumber(s)
	} else {
		err = serr
	}
	if err != nil {
		return 0, faults.New(faults.BadSignal, pyStr(v))
	}
	return sig, nil
}
