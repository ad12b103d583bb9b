// Package reaper collects the exit statuses of children and describes them
// the way Supervisor does.
//
// The supervisor loop is the only caller of Reap: it forks every child and,
// on SIGCHLD, collects every finished child with wait4(-1, WNOHANG), routing
// each status by pid. Nothing here starts goroutines or waits for a
// particular pid, so no exit can be consumed by a second waiter.
//
// Being told of SIGCHLD: the loop owns a buffered channel and registers it
// with Notify:
//
//	sigchld := make(chan os.Signal, 1)
//	reaper.Notify(sigchld)
//	defer reaper.Stop(sigchld)
//	for {
//		select {
//		case <-sigchld:
//			for _, e := range reaper.Reap() { ... route e.Pid ... }
//		...
//		}
//	}
//
// Signals coalesce (a capacity of one is enough, since one wake-up must
// collect every exit), so the loop always reaps until Reap returns nothing
// rather than once per signal. A child forked before the channel is
// registered may exit unseen; call Reap once after Notify to collect it.
//
// When the daemon runs as PID 1 (IsPID1) or calls SetSubreaper, orphaned
// grandchildren are reparented to it; Reap collects them too and the loop
// reports them as unknown pids.
package reaper
