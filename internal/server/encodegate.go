package server

import "runtime"

// encodeGate bounds how many replies are encoded at once. Encoding is the
// one CPU-heavy part of a call (a getAllProcessInfo over 1,000 processes is
// a few milliseconds of work, and nothing in it blocks); with one encode
// per CPU, eight clients calling it back to back leave the Go scheduler
// no CPU for anything else, and a probe or a page waits behind them for
// a hundred milliseconds or more. With one CPU kept free of encodes the
// rest of the server answers at once, and the encodes, bound by CPU
// anyway, run about as many per second as before. The gate holds only
// the encode: a call that waits (a start with wait=true) never holds it.
type encodeGate chan struct{}

func newEncodeGate() encodeGate {
	return make(encodeGate, max(1, runtime.GOMAXPROCS(0)-1))
}

func (g encodeGate) enter() { g <- struct{}{} }
func (g encodeGate) leave() { <-g }
