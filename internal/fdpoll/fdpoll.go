// Package fdpoll waits for many descriptors at once with one epoll
// instance and one goroutine, so that a descriptor that is rarely ready (a
// quiet child's output pipe, the cgroups' shared OOM eventfds) costs a map entry
// rather than a parked goroutine and its stack.
//
// Descriptors are registered one-shot: when one becomes ready its
// callback runs on a goroutine of its own, and it is not watched again
// until the callback calls Rearm. So a slow callback holds up only its
// own descriptor, and a descriptor never has two callbacks at once.
//
// On platforms without epoll Register fails with ErrUnsupported, and the
// caller keeps a goroutine per descriptor.
package fdpoll

import "errors"

// ErrUnsupported is Register's error where there is no shared poller.
var ErrUnsupported = errors.New("fdpoll: not supported on this platform")
