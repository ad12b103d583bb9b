package server

import "sync"

// maxPooledReply is the largest reply buffer kept for reuse; a larger one
// (a getAllProcessInfo over many thousands of processes) is left to the
// collector rather than held for the daemon's life.
const maxPooledReply = 1 << 20

// replyBufs recycles the buffers replies are encoded into, so a client
// calling in a loop does not make the daemon allocate a reply-sized buffer,
// grown by doubling, on every call. The zero value is ready to use.
type replyBufs struct{ pool sync.Pool }

func (r *replyBufs) get() *[]byte {
	if b, ok := r.pool.Get().(*[]byte); ok {
		return b
	}
	b := make([]byte, 0, 4096)
	return &b
}

func (r *replyBufs) put(b *[]byte, out []byte) {
	if cap(out) > maxPooledReply {
		return
	}
	*b = out[:0]
	r.pool.Put(b)
}
