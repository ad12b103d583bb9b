//go:build !linux

package fdpoll

// Handle is one registered descriptor; there are none here.
type Handle struct{}

// Register always fails here: the caller keeps a goroutine per descriptor.
func Register(int, func()) (*Handle, error) { return nil, ErrUnsupported }

// Rearm does nothing here.
func (*Handle) Rearm() error { return ErrUnsupported }

// Remove does nothing here.
func (*Handle) Remove() {}
