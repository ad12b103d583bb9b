package supervisor

import "supervisord/internal/logfile"

// maxCoalesced is the most output one PROCESS_LOG event carries after
// coalescing: the reference's largest read of a child pipe (128 KiB),
// which is the most one of its events carries.
const maxCoalesced = 128 << 10

// coalesce merges into ev the PROCESS_LOG events already waiting in ch
// that continue it (same process, pid and channel), as the reference's
// larger reads do: a chatty child then costs a listener a few large
// events rather than one per read. It stops at the first event that does
// not continue ev and returns it (ok true) to be handled next, in order;
// it never waits for an event and takes at most cap(ch) of them.
func coalesce(ev *logfile.Event, ch <-chan logfile.Event) (next logfile.Event, ok bool) {
	if ev.Kind != logfile.EventLog {
		return logfile.Event{}, false
	}
	for range cap(ch) {
		select {
		case n := <-ch:
			if n.Kind != logfile.EventLog || n.Process != ev.Process || n.Group != ev.Group ||
				n.Pid != ev.Pid || n.Channel != ev.Channel || len(ev.Data)+len(n.Data) > maxCoalesced {
				return n, true
			}
			ev.Data = append(ev.Data, n.Data...)
		default:
			return logfile.Event{}, false
		}
	}
	return logfile.Event{}, false
}
