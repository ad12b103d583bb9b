// Package pycompat holds the rules the daemon and its client must follow
// byte for byte because Supervisor, written in Python, follows them: how
// Python's repr() quotes a str or bytes, which signal names and numbers
// the reference knows, its log levels, how a "group:name" namespec splits
// and joins, and the fault codes of its XML-RPC interface.
//
// Each rule lives here once, so a fix made against the reference reaches
// every message that depends on it. The package imports only the standard
// library; every other package may import it.
package pycompat
