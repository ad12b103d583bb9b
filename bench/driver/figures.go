//go:build linux

package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"supervisord/test/harness"
)

// forkExecLimit runs the fork/exec limit command for n children and
// returns its seconds to start them all and, once started, to SIGTERM and
// reap them all: the floors for starting and stopping n programs,
// measured in the same run as the daemons.
func (b *bench) forkExecLimit(ctx context.Context, n, pipes int, cgroups ...bool) (start, stop float64, err error) {
	if b.opts.forkexec == "" {
		return 0, 0, nil
	}
	args := []string{"-n", strconv.Itoa(n), "-pipes", strconv.Itoa(pipes)}
	if len(cgroups) > 0 && cgroups[0] {
		args = append(args, "-cgroups")
	}
	out, err := exec.CommandContext(ctx, b.opts.forkexec, args...).Output()
	if err != nil {
		return 0, 0, fmt.Errorf("fork/exec limit: %w", err)
	}
	f := strings.Fields(string(out))
	if len(f) != 2 {
		return 0, 0, fmt.Errorf("fork/exec limit: unexpected output %q", out)
	}
	if start, err = strconv.ParseFloat(f[0], 64); err == nil {
		stop, err = strconv.ParseFloat(f[1], 64)
	}
	return start, stop, err
}

// callCPU is the daemon CPU one getProcessInfo costs in steady state,
// from one client making sequential calls (their own CPU is the
// client's). A quarter of calls warm the daemon up first (a daemon that
// has been idle has returned its free pages, and the first calls fault
// them in again); the rest run in ten batches, and the cheapest batch is
// the figure, since whatever else the machine does only adds to a batch.
// Both sides get the same calls (a side given fewer would count its
// fixed costs over fewer calls), within a time budget per side.
func (b *bench) callCPU(ctx context.Context, d *harness.Daemon, name string, calls int) (float64, error) {
	c := harness.NewUnixClient(d.Paths.Socket, time.Minute)
	defer c.Close()
	if _, err := c.Call(ctx, "supervisor.getProcessInfo", name); err != nil {
		return 0, err
	}
	// Warm up with a quarter of the calls, for two seconds at the most,
	// and time them: a batch is calls/batches calls, fewer when that
	// would take a side more than callBudget/batches, so both sides make
	// the same calls unless one is too slow for them.
	const batches = 10
	const callBudget = 15 * time.Second
	warm, t0 := 0, time.Now()
	for ; warm < calls/4 && time.Since(t0) < 2*time.Second; warm++ {
		if _, err := c.CallDiscard(ctx, "supervisor.getProcessInfo", name); err != nil {
			return 0, err
		}
	}
	per := max(calls/batches, 1)
	if warm > 0 {
		each := time.Since(t0) / time.Duration(warm)
		per = max(min(per, int(callBudget/batches/max(each, time.Microsecond))), 5)
	}
	best := math.Inf(1)
	for range batches {
		before := cpuNanos(d.Pid())
		for range per {
			if _, err := c.CallDiscard(ctx, "supervisor.getProcessInfo", name); err != nil {
				return 0, err
			}
		}
		best = min(best, float64(cpuNanos(d.Pid())-before)/1e6/float64(per))
	}
	return best, nil
}

// cpuNanos is the CPU time of pid's threads in nanoseconds, from their
// schedstat (the tick-based utime and stime are too coarse for one call).
func cpuNanos(pid int) int64 {
	dir := "/proc/" + strconv.Itoa(pid) + "/task"
	ents, err := os.ReadDir(dir)
	if err != nil {
		return 0
	}
	var sum int64
	for _, e := range ents {
		b, err := os.ReadFile(dir + "/" + e.Name() + "/schedstat")
		if err != nil {
			continue
		}
		if f := strings.Fields(string(b)); len(f) > 0 {
			n, _ := strconv.ParseInt(f[0], 10, 64)
			sum += n
		}
	}
	return sum
}

// latencies runs method from n clients on the socket for d and returns
// the sorted latencies and the calls per second. Each client reads replies
// into a buffer it reuses (a fresh megabyte per call made the client's
// collector, not the server, the tail); check, if set, vets each reply.
func latencies(ctx context.Context, socket string, n int, d time.Duration, check func([]byte) error, method string, args ...any) ([]time.Duration, float64, error) {
	var mu sync.Mutex // guards lat, failed
	var lat []time.Duration
	var failed error
	end := time.Now().Add(d)
	var wg sync.WaitGroup
	t0 := time.Now()
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := harness.NewUnixClient(socket, time.Minute)
			defer c.Close()
			var mine []time.Duration
			for time.Now().Before(end) && ctx.Err() == nil {
				start := time.Now()
				body, err := c.CallReused(ctx, method, args...)
				if err == nil && check != nil {
					err = check(body)
				}
				if err != nil {
					mu.Lock()
					failed = err
					mu.Unlock()
					return
				}
				mine = append(mine, time.Since(start))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(t0).Seconds()
	if ctx.Err() != nil {
		return nil, 0, errInterrupted
	}
	if failed != nil {
		return nil, 0, failed
	}
	if len(lat) == 0 {
		return nil, 0, fmt.Errorf("no %s call completed", method)
	}
	sort.Slice(lat, func(a, b int) bool { return lat[a] < lat[b] })
	return lat, float64(len(lat)) / elapsed, nil
}

// perCall measures getProcessInfo on the big daemons: daemon CPU per call
// at 100 and at o.programs programs, and p50/p99 under 8 clients.
func (b *bench) perCall(ctx context.Context, big map[string]*harness.Daemon) error {
	o := b.opts
	var small [2]*harness.Daemon
	for i, s := range b.sides() {
		d, _, err := b.startMany(ctx, s, 100)
		if err != nil {
			return err
		}
		small[i] = d
	}
	defer func() {
		for _, d := range small {
			b.stop(d)
		}
	}()
	var cpuSmall, cpuBig, p50, p99 [2]float64
	for i, s := range b.sides() {
		var err error
		if cpuSmall[i], err = b.callCPU(ctx, small[i], "p:p0050", o.calls); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		if cpuBig[i], err = b.callCPU(ctx, big[s.name], fmt.Sprintf("p:p%04d", o.programs/2), o.calls); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		lat, _, err := latencies(ctx, big[s.name].Paths.Socket, 8, o.rpcDuration, nil, "supervisor.getProcessInfo", fmt.Sprintf("p:p%04d", o.programs/2))
		if err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		p50[i], p99[i] = ms(percentile(lat, 50)), ms(percentile(lat, 99))
		b.logf("%s: getProcessInfo daemon CPU %.4f ms/call at 100, %.4f at %d; 8 clients p50 %.2fms p99 %.2fms",
			s.name, cpuSmall[i], cpuBig[i], o.programs, p50[i], p99[i])
	}
	b.table.add(row{"getProcessInfo, 100 programs: daemon CPU per call", "ms", cpuSmall[0], cpuSmall[1], true})
	b.table.add(row{fmt.Sprintf("getProcessInfo, %d programs: daemon CPU per call", o.programs), "ms", cpuBig[0], cpuBig[1], true})
	b.table.add(row{fmt.Sprintf("getProcessInfo, %d programs, 8 clients p50", o.programs), "ms", p50[0], p50[1], true})
	b.table.add(row{fmt.Sprintf("getProcessInfo, %d programs, 8 clients p99", o.programs), "ms", p99[0], p99[1], true})
	return nil
}

// idleRSS is the RSS of idle daemons with 0 and 100 programs (the big
// daemons give the o.programs figure).
func (b *bench) idleRSS(ctx context.Context) error {
	for _, n := range []int{0, 100} {
		var kb [2]float64
		for i, s := range b.sides() {
			d, err := b.startIdle(ctx, s, n)
			if err != nil {
				return err
			}
			kb[i] = float64(rssKB(d.Pid()))
			b.stop(d)
		}
		b.table.add(row{fmt.Sprintf("idle RSS with %d programs", n), "MiB", kb[0] / 1024, kb[1] / 1024, true})
	}
	return nil
}

// startIdle starts a daemon with n programs and waits until they are all
// RUNNING (or, with none, until it answers), then lets it settle.
func (b *bench) startIdle(ctx context.Context, s side, n int) (*harness.Daemon, error) {
	var d *harness.Daemon
	var err error
	if n > 0 {
		d, _, err = b.startMany(ctx, s, n)
	} else {
		d, err = b.newDaemon(s, 0, "")
		if err == nil {
			err = waitAnswer(ctx, d)
		}
	}
	if err != nil {
		return nil, err
	}
	return d, sleepCtx(ctx, time.Second)
}

func waitAnswer(ctx context.Context, d *harness.Daemon) error {
	deadline := time.Now().Add(time.Minute)
	for {
		c := harness.NewUnixClient(d.Paths.Socket, 5*time.Second)
		_, err := c.Call(ctx, "supervisor.getState")
		c.Close()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("%s never answered: %w", d.Bin, err)
		}
		time.Sleep(20 * time.Millisecond) // polling a daemon starting up
	}
}

// busyRSS runs one client calling getAllProcessInfo in a loop for o.busy
// against a daemon with 200 programs and reports its RSS before and at the
// peak (sampled every 20 ms).
// afterBusy is how long after the busy client the RSS is taken again.
const afterBusy = 7 * time.Second

func (b *bench) busyRSS(ctx context.Context) error {
	const n = 200
	var idle, one, peak, idleAnon, peakAnon, after [2]float64
	for i, s := range b.sides() {
		d, err := b.startIdle(ctx, s, n)
		if err != nil {
			return err
		}
		idle[i] = float64(rssKB(d.Pid())) / 1024
		idleAnon[i] = float64(anonKB(d.Pid())) / 1024
		// One call first: what a daemon maps again to serve at all (its
		// serving code, which ours hands back when idle), apart from what
		// the load adds.
		c := harness.NewUnixClient(d.Paths.Socket, time.Minute)
		_, err = c.CallDiscard(ctx, "supervisor.getAllProcessInfo")
		c.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		if err := sleepCtx(ctx, 200*time.Millisecond); err != nil {
			return err
		}
		one[i] = float64(rssKB(d.Pid())) / 1024
		done := make(chan error, 1)
		go func() {
			_, _, err := latencies(ctx, d.Paths.Socket, 1, b.opts.busy, nil, "supervisor.getAllProcessInfo")
			done <- err
		}()
		peakKB, peakAnonKB := 0, 0
		tick := time.NewTicker(20 * time.Millisecond)
	sample:
		for {
			select {
			case err := <-done:
				if err != nil {
					tick.Stop()
					return fmt.Errorf("%s: %w", s.name, err)
				}
				break sample
			case <-tick.C:
				peakKB = max(peakKB, rssKB(d.Pid()))
				peakAnonKB = max(peakAnonKB, anonKB(d.Pid()))
			}
		}
		tick.Stop()
		peak[i] = float64(peakKB) / 1024
		peakAnon[i] = float64(peakAnonKB) / 1024
		// Ours hands memory back 5 s after the last request.
		if err := sleepCtx(ctx, afterBusy); err != nil {
			return err
		}
		after[i] = float64(rssKB(d.Pid())) / 1024
		b.logf("%s: RSS with %d programs, one busy getAllProcessInfo client: %.1f → %.1f MiB (anonymous %.1f → %.1f; %.1f MiB after one call), %.1f MiB %v after",
			s.name, n, idle[i], peak[i], idleAnon[i], peakAnon[i], one[i], after[i], afterBusy)
		b.stop(d)
	}
	b.table.add(row{fmt.Sprintf("RSS, %d programs, idle", n), "MiB", idle[0], idle[1], true})
	b.table.add(row{fmt.Sprintf("RSS, %d programs, peak with a client calling getAllProcessInfo for %v", n, b.opts.busy), "MiB", peak[0], peak[1], true})
	b.table.add(row{"  peak ÷ idle", "×", peak[0] / idle[0], peak[1] / idle[1], true})
	b.table.add(row{"  after a single call, before the busy client", "MiB", one[0], one[1], true})
	b.table.add(row{"  peak ÷ that", "×", peak[0] / one[0], peak[1] / one[1], true})
	// The rest of RSS is clean file-backed pages of the executable,
	// shared with the page cache and dropped by the kernel when memory is
	// short: the anonymous part is what the load costs.
	b.table.add(row{"  anonymous part: idle", "MiB", idleAnon[0], idleAnon[1], true})
	b.table.add(row{"  anonymous part: peak", "MiB", peakAnon[0], peakAnon[1], true})
	b.table.add(row{fmt.Sprintf("  %v after the client stopped", afterBusy), "MiB", after[0], after[1], true})
	return nil
}

// stopTime sends SIGTERM to each big daemon and times it until it has
// exited, every child stopped.
func (b *bench) stopTime(big map[string]*harness.Daemon) error {
	var secs [2]float64
	for i, s := range b.sides() {
		d := big[s.name]
		t0 := time.Now()
		if err := d.Stop(time.Minute); err != nil {
			return err
		}
		secs[i] = time.Since(t0).Seconds()
		b.logf("%s: SIGTERM → exited with %d programs in %.3fs", s.name, b.opts.programs, secs[i])
	}
	b.table.add(row{fmt.Sprintf("SIGTERM → exited, %d programs", b.opts.programs), "s", secs[0], secs[1], true})
	if l := b.stopLimit; l[0] > 0 && l[1] > 0 {
		b.table.add(row{fmt.Sprintf("SIGTERM limit: kill and reap %d children alone", b.opts.programs), "s", l[0], l[1], true})
		b.table.add(row{"SIGTERM → exited ÷ that limit", "×", secs[0] / l[0], secs[1] / l[1], true})
	}
	return nil
}

// scaleRow is one program count of the scale run.
type scaleRow struct {
	cgroups      string // the daemon's cgroups= setting
	n            int
	limit, start float64 // s
	stopLimit    float64 // s: SIGTERM to every child and reap them, forkexec
	// The same limits with a cgroup per child (forkexec -cgroups), for a
	// daemon with cgroups; zero otherwise.
	cgLimit, cgStopLimit float64
	all50, all99         float64 // getAllProcessInfo, one client, ms
	callCPU              float64 // getProcessInfo daemon CPU, ms per call
	scrapeCPU            float64 // /metrics daemon CPU, ms per scrape
	sweepCPU             float64 // ms: the usage sweep a scrape starts (cgroups)
	rss                  float64 // MiB
	idleCPU              float64 // ms per 30 s
	stop                 float64 // s
}

// scale runs our daemon alone at each count of o.scale, once for each
// cgroups= setting of o.scaleCgroups: start-up against the fork/exec
// limit, getAllProcessInfo and getProcessInfo, idle RSS and CPU, and
// SIGTERM to exit. Programs log nowhere and share one stream for stdout
// and stderr, so the child writes to /dev/null and the daemon holds one
// descriptor per program (its stdin pipe), with or without cgroups (on a
// host whose memory controller is v1 256 groups share an OOM eventfd).
func (b *bench) scale(ctx context.Context) ([]scaleRow, error) {
	var rows []scaleRow
	for _, mode := range b.opts.scaleCgroups {
		for _, n := range b.opts.scale {
			r, err := b.scaleOne(ctx, mode, n)
			if err != nil {
				return rows, err
			}
			rows = append(rows, r)
		}
	}
	return rows, nil
}

func (b *bench) scaleOne(ctx context.Context, mode string, n int) (scaleRow, error) {
	s := side{"ours", b.opts.ours}
	var lim syscall.Rlimit
	syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
	if need := uint64(n) + 256; need > lim.Max {
		m := int(lim.Max - 256)
		b.logf("scale: %d programs with cgroups=%s need %d descriptors, the hard limit is %d: running %d", n, mode, need, lim.Max, m)
		n = m
	}
	r := scaleRow{cgroups: mode, n: n}
	var err error
	if r.limit, r.stopLimit, err = b.forkExecLimit(ctx, n, 2); err != nil {
		return r, err
	}
	if mode != "off" {
		if r.cgLimit, r.cgStopLimit, err = b.forkExecLimit(ctx, n, 2, true); err != nil {
			return r, err
		}
	}
	prog := fmt.Sprintf(`[program:p]
command=sleep 100000
numprocs=%d
process_name=p%%(process_num)05d
startsecs=0
autorestart=true
redirect_stderr=true
stdout_logfile=NONE
`, n)
	t0 := time.Now()
	d, err := b.newDaemonFds(s, n, prog, n+256, "cgroups="+mode)
	if err != nil {
		return r, err
	}
	tail := &logTail{path: d.Paths.Log}
	deadline := time.Now().Add(10 * time.Minute)
	for tail.count(" success: ") < n {
		if err := b.check(ctx, d, deadline, fmt.Sprintf("%d programs to start", n)); err != nil {
			return r, err
		}
		time.Sleep(5 * time.Millisecond) // polling the log
	}
	r.start = time.Since(t0).Seconds()
	if err := sleepCtx(ctx, time.Second); err != nil {
		return r, err
	}
	r.rss = float64(rssKB(d.Pid())) / 1024
	before := cpuSeconds(d.Pid())
	if err := sleepCtx(ctx, b.opts.scaleIdle); err != nil {
		return r, err
	}
	r.idleCPU = (cpuSeconds(d.Pid()) - before) * 1000 * 30 / b.opts.scaleIdle.Seconds()
	// getProcessInfo before getAllProcessInfo: the collection of the
	// big replies' garbage would otherwise land in the small calls.
	if r.callCPU, err = b.callCPU(ctx, d, fmt.Sprintf("p:p%05d", n/2), b.opts.calls); err != nil {
		return r, err
	}
	lat, _, err := latencies(ctx, d.Paths.Socket, 1, 2*time.Second, nil, "supervisor.getAllProcessInfo")
	if err != nil {
		return r, err
	}
	r.all50, r.all99 = ms(percentile(lat, 50)), ms(percentile(lat, 99))
	if r.scrapeCPU, r.sweepCPU, err = scrapeCPU(ctx, d, n, mode != "off"); err != nil {
		return r, err
	}
	t1 := time.Now()
	if err := d.Stop(2 * time.Minute); err != nil {
		return r, err
	}
	r.stop = time.Since(t1).Seconds()
	b.logf("scale %d, cgroups=%s: limit %.2fs (with cgroups %.2fs) start %.2fs, getAllProcessInfo p50 %.1fms p99 %.1fms, getProcessInfo %.4f ms CPU/call, /metrics %.1f ms CPU/scrape (usage sweep %.1f ms), RSS %.1f MiB, idle CPU %.0f ms/30s, stop %.2fs (limits %.2fs, with cgroups %.2fs)",
		n, mode, r.limit, r.cgLimit, r.start, r.all50, r.all99, r.callCPU, r.scrapeCPU, r.sweepCPU, r.rss, r.idleCPU, r.stop, r.stopLimit, r.cgStopLimit)
	return r, nil
}

// scrapeCPU is the daemon CPU of one /metrics scrape (the text format, as
// Prometheus asks by default with no protobuf) and, when sweeps is set
// (cgroups), that of the usage sweep a scrape starts, apart. A scrape
// whose readings have aged starts a background sweep of every group's
// usage files (usagesweep.go), and no other sweep starts for a while after
// it (four times its length); a scrape's window would otherwise take in
// whatever part of a sweep ran beside it, more of it the longer the sweep.
// So scrapes are classed by whether they started a sweep, which
// supervisord_usage_sweeps_total tells: three made after a pause, which
// do, and five in a row, which do not; the sweep is the median of the
// first less the median of the others.
func scrapeCPU(ctx context.Context, d *harness.Daemon, programs int, sweeps bool) (scrape, sweep float64, err error) {
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var dl net.Dialer
		return dl.DialContext(ctx, "unix", d.Paths.Socket)
	}}}
	defer hc.CloseIdleConnections()
	// get scrapes once and returns the sweeps begun before it.
	get := func() (float64, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://localhost/metrics", nil)
		if err != nil {
			return 0, err
		}
		resp, err := hc.Do(req)
		if err != nil {
			return 0, err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return 0, err
		}
		if resp.StatusCode != http.StatusOK {
			return 0, fmt.Errorf("/metrics: %s", resp.Status)
		}
		const name = "\nsupervisord_usage_sweeps_total "
		if i := bytes.Index(body, []byte(name)); i >= 0 {
			line, _, _ := bytes.Cut(body[i+len(name):], []byte("\n"))
			return strconv.ParseFloat(string(line), 64)
		}
		return 0, nil
	}
	if _, err := get(); err != nil { // to warm up
		return 0, 0, err
	}
	// measure takes one scrape's CPU, from before it until the daemon is
	// quiet after it (a thread's CPU is brought up to date only when it
	// sleeps or at a tick, and a sweep runs on after the reply), and tells
	// whether it started a sweep by the counter of a scrape right after.
	measure := func() (cpu float64, swept bool, err error) {
		if err := waitQuiet(ctx, d.Pid()); err != nil {
			return 0, false, err
		}
		before := cpuNanos(d.Pid())
		n0, err := get()
		if err != nil {
			return 0, false, err
		}
		if err := waitQuiet(ctx, d.Pid()); err != nil {
			return 0, false, err
		}
		cpu = float64(cpuNanos(d.Pid())-before) / 1e6
		n1, err := get()
		return cpu, n1 > n0, err
	}
	var with, without []float64
	// Three scrapes, each once the readings have aged past their TTL and
	// past the pause the last sweep left (four times its length, which is
	// well under 250 µs a program), so that each starts a sweep...
	for i := 0; sweeps && len(with) < 3; i++ {
		if i == 6 {
			return 0, 0, fmt.Errorf("/metrics: %d of %d scrapes after a pause started a usage sweep", len(with), i)
		}
		if err := sleepCtx(ctx, max(2*time.Second, time.Duration(programs)*time.Millisecond)); err != nil {
			return 0, 0, err
		}
		cpu, swept, err := measure()
		if err != nil {
			return 0, 0, err
		}
		if swept {
			with = append(with, cpu)
		}
	}
	// ...and five right after one another, which find fresh readings.
	for i := 0; len(without) < 5; i++ {
		if i == 20 {
			return 0, 0, fmt.Errorf("/metrics: %d of %d scrapes in a row started no usage sweep", len(without), i)
		}
		cpu, swept, err := measure()
		if err != nil {
			return 0, 0, err
		}
		if !swept {
			without = append(without, cpu)
		}
	}
	scrape = median(without)
	if sweeps {
		sweep = max(median(with)-scrape, 0)
	}
	return scrape, sweep, nil
}

// median is the middle of xs (the mean of the two middle ones for an
// even count): a collection or a page fault in one scrape does not move it.
func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// waitQuiet returns once pid has used less than 0.2 ms of CPU in each of
// two 50 ms windows in a row (ours never wakes when idle), or after 60 s.
func waitQuiet(ctx context.Context, pid int) error {
	deadline := time.Now().Add(time.Minute)
	last, calm := cpuNanos(pid), 0
	for calm < 2 && time.Now().Before(deadline) {
		if err := sleepCtx(ctx, 50*time.Millisecond); err != nil {
			return err
		}
		now := cpuNanos(pid)
		if now-last < 200_000 {
			calm++
		} else {
			calm = 0
		}
		last = now
	}
	return nil
}

func printScale(w *os.File, all []scaleRow) {
	for len(all) > 0 {
		n := 1
		for n < len(all) && all[n].cgroups == all[0].cgroups {
			n++
		}
		printScaleRun(w, all[:n])
		all = all[n:]
	}
}

// printScaleRun prints the rows of one cgroups= setting.
func printScaleRun(w *os.File, rows []scaleRow) {
	fmt.Fprintf(w, "\nscale, ours alone, cgroups=%s (programs: sleep, startsecs=0, stdout_logfile=NONE, redirect_stderr)\n", rows[0].cgroups)
	fmt.Fprintf(w, "%-44s", "figure")
	for _, r := range rows {
		fmt.Fprintf(w, " %10d", r.n)
	}
	var steps []string
	for i := 1; i < len(rows); i++ {
		steps = append(steps, fmt.Sprintf("×%.1f", float64(rows[i].n)/float64(rows[i-1].n)))
	}
	fmt.Fprintf(w, "   growth (programs %s)\n", strings.Join(steps, " "))
	line := func(name string, get func(scaleRow) float64) {
		fmt.Fprintf(w, "%-44s", name)
		for _, r := range rows {
			fmt.Fprintf(w, " %10s", num(get(r)))
		}
		var g []string
		for i := 1; i < len(rows); i++ {
			if a := get(rows[i-1]); a > 0 {
				g = append(g, fmt.Sprintf("×%.1f", get(rows[i])/a))
			} else {
				g = append(g, "-")
			}
		}
		fmt.Fprintf(w, "   %s\n", strings.Join(g, " "))
	}
	line("fork/exec limit (s)", func(r scaleRow) float64 { return r.limit })
	line("start to all RUNNING (s)", func(r scaleRow) float64 { return r.start })
	line("start ÷ fork/exec limit", func(r scaleRow) float64 { return r.start / max(r.limit, 1e-9) })
	cg := rows[0].cgLimit > 0
	if cg {
		line("limit with a cgroup per child (s)", func(r scaleRow) float64 { return r.cgLimit })
		line("start ÷ that limit", func(r scaleRow) float64 { return r.start / max(r.cgLimit, 1e-9) })
	}
	line("getAllProcessInfo p50, 1 client (ms)", func(r scaleRow) float64 { return r.all50 })
	line("getAllProcessInfo p99, 1 client (ms)", func(r scaleRow) float64 { return r.all99 })
	line("getProcessInfo daemon CPU per call (ms)", func(r scaleRow) float64 { return r.callCPU })
	line("/metrics daemon CPU per scrape (ms)", func(r scaleRow) float64 { return r.scrapeCPU })
	if rows[0].cgroups != "off" {
		line("usage sweep a scrape starts: CPU (ms)", func(r scaleRow) float64 { return r.sweepCPU })
		line("  per program (µs)", func(r scaleRow) float64 { return 1000 * r.sweepCPU / float64(r.n) })
	}
	line("idle RSS (MiB)", func(r scaleRow) float64 { return r.rss })
	line("idle CPU per 30 s (ms)", func(r scaleRow) float64 { return r.idleCPU })
	line("SIGTERM → exited (s)", func(r scaleRow) float64 { return r.stop })
	line("SIGTERM limit: kill and reap alone (s)", func(r scaleRow) float64 { return r.stopLimit })
	line("SIGTERM → exited ÷ that limit", func(r scaleRow) float64 { return r.stop / max(r.stopLimit, 1e-9) })
	if cg {
		line("SIGTERM limit with a cgroup per child (s)", func(r scaleRow) float64 { return r.cgStopLimit })
		line("SIGTERM → exited ÷ that limit", func(r scaleRow) float64 { return r.stop / max(r.cgStopLimit, 1e-9) })
	}
	fmt.Fprintln(w, "\n\"growth\" is each figure's ratio from one column to the next: linear growth matches the programs' ratio, less is better than linear.")
}
