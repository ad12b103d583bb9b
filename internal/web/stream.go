package web

import (
	"bytes"
	"encoding/json"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"supervisord/internal/supervisor"
)

// Subscriber is what a Backend implements for the live console:
// *supervisor.Supervisor does. Without it the page works as before, with
// no stream.
type Subscriber interface {
	Subscribe(buffer int) *supervisor.Subscription
}

// rowsSource is the optional restart counter (metrics.RestartSource).
type rowsSource interface {
	Restarts() map[string]uint64
}

const (
	// clientFrames is how many frames (each one burst of changes) may
	// wait for a slow client before it is dropped.
	clientFrames = 64
	// subBuffer is the transition buffer the hub asks of the daemon; a
	// hub that falls further behind resubscribes and resends what
	// changed.
	subBuffer = 8192
	// maxBurst bounds how many transitions go into one frame.
	maxBurst = 4096
	// sparkSamples is how many usage samples a sparkline shows.
	sparkSamples = 30
)

// hub fans the daemon's state changes out to the event-stream clients.
// One goroutine (run) follows the daemon while anyone listens; clients
// get frames through bounded channels, and a client that does not keep
// up is dropped and counted, so the daemon and the other clients never
// wait for it.
type hub struct {
	h *handler

	dropped atomic.Uint64 // clients dropped for not keeping up
	wake    chan struct{} // a client left
	start   sync.Mutex    // serialises join, so one starts the follower

	mu      sync.Mutex // guards the fields below
	running bool
	clients map[*client]struct{}
	rows    map[string]rowData   // as last sent
	order   []string             // specs in table order
	since   map[string]int64     // when each process's state began, Unix ms
	spark   map[string][]float64 // CPU % samples
	cpu     map[string]cpuSample // last CPU reading
	desc    map[string]string    // descriptions as last read
}

type cpuSample struct {
	at  time.Time
	sec float64
}

type client struct {
	ch chan []byte // closed when dropped
}

func newHub(h *handler) *hub {
	return &hub{h: h, wake: make(chan struct{}, 1), clients: map[*client]struct{}{}, since: map[string]int64{}, spark: map[string][]float64{}, cpu: map[string]cpuSample{}, desc: map[string]string{}}
}

// event is one JSON object of the stream.
type event struct {
	Type string `json:"type"`
	// hello
	Identifier string `json:"identifier,omitempty"`
	Daemon     string `json:"daemon,omitempty"`
	Dropped    uint64 `json:"droppedClients,omitempty"`
	// snapshot
	Rows []rowJSON `json:"rows,omitempty"`
	// change
	Group    string `json:"group,omitempty"`
	Name     string `json:"name,omitempty"`
	From     string `json:"from,omitempty"`
	To       string `json:"to,omitempty"`
	Pid      int    `json:"pid,omitempty"`
	Expected *bool  `json:"expected,omitempty"`
	Time     int64  `json:"time,omitempty"`
	// process
	Row *rowJSON `json:"row,omitempty"`
	// removed
	Spec string `json:"spec,omitempty"`
}

type rowJSON struct {
	rowData
	Desc  string    `json:"desc"` // the reference's description, as now
	Spark []float64 `json:"spark,omitempty"`
}

// appendEvent adds one server-sent event holding ev as one line of JSON.
func appendEvent(b []byte, ev event) []byte {
	js, err := json.Marshal(ev)
	if err != nil {
		js = []byte(`{"type":"error"}`)
	}
	b = append(b, "data: "...)
	b = append(b, js...)
	return append(b, '\n', '\n')
}

// serveEvents is GET /events: the stream of state changes.
//
// Every event is one "data:" line holding one JSON object whose "type"
// says what it is: "hello" first, then "snapshot" (all rows; only with
// ?snapshot=1, which the page asks for so that it catches up after a
// reconnect), then "change" (a transition, as the daemon made it) and
// "process" (a row that changed, after each burst of changes), and
// "removed" (a process that is gone). `curl -N URL/events` shows them.
func (h *handler) serveEvents(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "Method Not Allowed", http.StatusMethodNotAllowed)
		return
	}
	sb, ok := h.b.(Subscriber)
	if !ok {
		http.Error(w, "Not Found: this daemon has no event stream", http.StatusNotFound)
		return
	}
	rc := http.NewResponseController(w)
	rc.SetWriteDeadline(time.Time{})
	hd := w.Header()
	hd.Set("Content-Type", "text/event-stream")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Accel-Buffering", "no")
	hd.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	c, first := h.hub.join(sb, r.URL.Query().Get("snapshot") == "1")
	defer h.hub.leave(c)
	// A short retry makes the page come back quickly after a daemon
	// restart.
	if _, err := w.Write(append([]byte("retry: 1000\n\n"), first...)); err != nil {
		return
	}
	rc.Flush()
	for {
		select {
		case <-r.Context().Done():
			return
		case frame, ok := <-c.ch:
			if !ok {
				return // dropped: the browser reconnects and catches up
			}
			if _, err := w.Write(frame); err != nil {
				return
			}
			// Send what else is queued in the same write.
			for more := true; more; {
				select {
				case f, ok := <-c.ch:
					if !ok {
						rc.Flush()
						return
					}
					w.Write(f)
				default:
					more = false
				}
			}
			if err := rc.Flush(); err != nil {
				return
			}
		}
	}
}

// join adds a client and returns it with its first frame (hello, and the
// snapshot when asked for). The hub starts following the daemon if it
// was not.
func (hb *hub) join(sb Subscriber, snapshot bool) (*client, []byte) {
	hb.start.Lock()
	defer hb.start.Unlock()
	c := &client{ch: make(chan []byte, clientFrames)}
	var sub *supervisor.Subscription
	hb.mu.Lock()
	if !hb.running {
		// Subscribe before reading the rows, so no change falls between.
		sub = sb.Subscribe(subBuffer)
		hb.running = true
		hb.mu.Unlock()
		hb.refresh(nil) // nobody to send the frame to yet
		hb.mu.Lock()
	}
	hb.clients[c] = struct{}{}
	first := appendEvent(nil, event{Type: "hello", Identifier: hb.h.b.Identifier(), Daemon: hb.h.b.State().String(), Dropped: hb.dropped.Load()})
	if snapshot {
		rows := make([]rowJSON, 0, len(hb.order))
		for _, spec := range hb.order {
			rows = append(rows, rowJSON{hb.rows[spec], hb.desc[spec], hb.spark[spec]})
		}
		first = appendEvent(first, event{Type: "snapshot", Rows: rows})
	}
	hb.mu.Unlock()
	if sub != nil {
		go hb.run(sb, sub)
	}
	return c, first
}

func (hb *hub) leave(c *client) {
	hb.mu.Lock()
	delete(hb.clients, c)
	hb.mu.Unlock()
	select {
	case hb.wake <- struct{}{}:
	default:
	}
}

// broadcast sends frame to every client; one whose queue is full is
// dropped.
func (hb *hub) broadcastLocked(frame []byte) {
	if len(frame) == 0 {
		return
	}
	for c := range hb.clients {
		select {
		case c.ch <- frame:
		default:
			delete(hb.clients, c)
			close(c.ch)
			hb.dropped.Add(1)
		}
	}
}

// refreshGap is the least time between two reads of the snapshot for
// the stream.
const refreshGap = 100 * time.Millisecond

// usagePeriod is how often usage is sampled while someone watches.
const usagePeriod = 5 * time.Second

// run follows the daemon until no client is left.
func (hb *hub) run(sb Subscriber, sub *supervisor.Subscription) {
	defer func() { sub.Close() }()
	var done <-chan struct{}
	if d, ok := hb.h.b.(interface{ Done() <-chan struct{} }); ok {
		done = d.Done()
	}
	usage := time.NewTicker(usagePeriod)
	defer usage.Stop()
	var changes []supervisor.Change
	// pace keeps reads of the snapshot at least refreshGap apart: an
	// isolated change goes out at once, a burst is sent in a few frames
	// and costs the loop a few snapshots rather than one per transition.
	var last time.Time
	pace := func(done <-chan struct{}) bool {
		if wait := refreshGap - time.Since(last); wait > 0 {
			t := time.NewTimer(wait)
			defer t.Stop()
			select {
			case <-t.C:
			case <-done:
				return false
			}
		}
		last = time.Now()
		return true
	}
	for {
		var frame []byte
		select {
		case c, ok := <-sub.C:
			if !ok {
				// Fell behind: start again and resend what differs.
				sub = sb.Subscribe(subBuffer)
				frame = hb.refresh(nil)
				break
			}
			if !pace(done) {
				continue // done: handled on the next pass
			}
			frame = hb.refresh(drain(sub, append(changes[:0], c)))
		case <-sub.Dirty:
			if !pace(done) {
				continue
			}
			// The transitions behind the signal (if any) go first.
			frame = hb.refresh(drain(sub, changes[:0]))
		case <-usage.C:
			frame = hb.sample()
		case <-hb.wake:
		case <-done:
			hb.mu.Lock()
			for c := range hb.clients {
				delete(hb.clients, c)
				close(c.ch)
			}
			hb.running = false
			hb.mu.Unlock()
			return
		}
		hb.mu.Lock()
		hb.broadcastLocked(frame)
		if len(hb.clients) == 0 {
			hb.running = false
			hb.mu.Unlock()
			return
		}
		hb.mu.Unlock()
	}
}

// drain adds the transitions waiting in sub to changes, up to maxBurst,
// and clears the dirty signal they raised.
func drain(sub *supervisor.Subscription, changes []supervisor.Change) []supervisor.Change {
	for len(changes) < maxBurst {
		select {
		case c, ok := <-sub.C:
			if !ok {
				return changes // resubscribed on the next pass
			}
			changes = append(changes, c)
			continue
		default:
		}
		break
	}
	select {
	case <-sub.Dirty:
	default:
	}
	return changes
}

// refresh reads the snapshot, records the transitions, and returns the
// frame of events for what changed.
func (hb *hub) refresh(changes []supervisor.Change) []byte {
	groups := hb.h.b.Groups()
	var restarts map[string]uint64
	if rs, ok := hb.h.b.(rowsSource); ok {
		restarts = rs.Restarts()
	}
	infos := sortedInfos(groups)
	var frame []byte
	hb.mu.Lock()
	defer hb.mu.Unlock()
	for _, c := range changes {
		spec := namespec(c.Group, c.Name)
		hb.since[spec] = c.When.UnixMilli()
		exp := c.Expected
		frame = appendEvent(frame, event{Type: "change", Group: c.Group, Name: c.Name, From: c.From.String(), To: c.To.String(), Pid: c.Pid, Expected: &exp, Time: c.When.UnixMilli()})
	}
	seen := make(map[string]bool, len(infos))
	order := make([]string, 0, len(infos))
	fresh := hb.rows == nil
	if fresh {
		hb.rows = map[string]rowData{}
	}
	for _, p := range infos {
		spec := namespec(p.Group, p.Name)
		seen[spec] = true
		order = append(order, spec)
		rd := infoRow(p, restarts[p.FullName()], hb.since[spec])
		old, had := hb.rows[spec]
		rd.CPU = old.CPU
		hb.desc[spec] = p.Description
		if had && old == rd {
			continue
		}
		hb.rows[spec] = rd
		if !fresh {
			frame = appendEvent(frame, event{Type: "process", Row: &rowJSON{rd, p.Description, hb.spark[spec]}})
		}
	}
	for spec := range hb.rows {
		if !seen[spec] {
			delete(hb.rows, spec)
			delete(hb.since, spec)
			delete(hb.spark, spec)
			delete(hb.cpu, spec)
			delete(hb.desc, spec)
			frame = appendEvent(frame, event{Type: "removed", Spec: spec})
		}
	}
	hb.order = order
	return frame
}

// sample records a usage sample of every measured process and returns
// the frame of rows whose usage changed. Nothing is read when no
// process is measured.
func (hb *hub) sample() []byte {
	hb.mu.Lock()
	any := false
	for _, r := range hb.rows {
		if r.Measured {
			any = true
			break
		}
	}
	hb.mu.Unlock()
	if !any {
		// Usage may have become measured without a state change.
		return hb.refresh(nil)
	}
	groups := hb.h.b.Groups()
	now := time.Now()
	var frame bytes.Buffer
	hb.mu.Lock()
	defer hb.mu.Unlock()
	for _, p := range sortedInfos(groups) {
		spec := namespec(p.Group, p.Name)
		rd, ok := hb.rows[spec]
		if !ok || !p.Usage.Measured {
			continue
		}
		pct := 0.0
		if last, ok := hb.cpu[spec]; ok && now.After(last.at) && p.Usage.CPUSeconds >= last.sec {
			pct = 100 * (p.Usage.CPUSeconds - last.sec) / now.Sub(last.at).Seconds()
		}
		hb.cpu[spec] = cpuSample{now, p.Usage.CPUSeconds}
		s := append(hb.spark[spec], pct)
		if len(s) > sparkSamples {
			s = s[len(s)-sparkSamples:]
		}
		hb.spark[spec] = s
		rd.Measured, rd.CPU, rd.Mem, rd.Tasks, rd.OOM = true, pct, p.Usage.MemoryBytes, p.Usage.Tasks, p.Usage.OOMKills
		hb.rows[spec] = rd
		hb.desc[spec] = p.Description
		frame.Write(appendEvent(nil, event{Type: "process", Row: &rowJSON{rd, p.Description, s}}))
	}
	return frame.Bytes()
}

// current returns the hub's view of spec (since and spark) for the
// server-rendered page.
func (hb *hub) current(spec string) (since int64, spark []float64, cpu float64) {
	hb.mu.Lock()
	defer hb.mu.Unlock()
	return hb.since[spec], hb.spark[spec], hb.rows[spec].CPU
}
