// Package reaper collects the exit statuses of children and describes them
// the way Supervisor does.
//
// The supervisor loop is the only caller of Reap: it forks every child and,
// on SIGCHLD, collects every finished child with wait4(-1, WNOHANG), routing
// each status by pid. Nothing here starts goroutines or waits for a
// particular pid, so no exit can be consumed by a second waiter.
//
// Being told of SIGCHLD: the supervisor's Run owns a buffered channel and
// registers it with Notify before the loop starts; the loop reaps on every
// wake-up of that channel and at no other time, since wait4(-1) costs in
// proportion to the number of children:
//
//	chld := make(chan os.Signal, 1)
//	reaper.Notify(chld)
//	defer reaper.Stop(chld)
//	... in the loop ...
//	case <-chld:
//		for _, e := range reaper.Reap() { ... route e.Pid ... }
//
// Signals coalesce (a capacity of one is enough, since one wake-up must
// collect every exit), so the loop always reaps until Reap returns nothing
// rather than once per signal.
//
// When the daemon runs as PID 1 of a pid namespace (IsPID1), orphaned
// grandchildren are reparented to it; Reap collects them too and the loop
// logs them as unknown pids. SetSubreaper gives the same to a daemon that is
// not PID 1; the daemon does not call it today.
package reaper
