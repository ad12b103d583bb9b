package logfile

// Dropped reports how many writes each shared destination dropped since
// start, by its name: the console buffers ("/dev/stdout", "/dev/stderr")
// and the syslog connections in use ("syslog" for the local one, the
// server's address for a remote one).
func (o *Outputs) Dropped() map[string]uint64 {
	out := map[string]uint64{
		o.Stdout.name: uint64(o.Stdout.Stats().DroppedWrites),
		o.Stderr.name: uint64(o.Stderr.Stats().DroppedWrites),
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.local != nil {
		out["syslog"] = uint64(o.local.Stats().Dropped)
	}
	for addr, s := range o.remote {
		out[addr] = uint64(s.Stats().Dropped)
	}
	return out
}
