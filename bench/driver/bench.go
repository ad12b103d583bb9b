//go:build linux

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"supervisord/test/harness"
)

// clockTicks is USER_HZ, the unit of utime/stime in /proc/<pid>/stat; it
// is 100 on every Linux architecture Go supports.
const clockTicks = 100

type bench struct {
	opts  options
	log   io.Writer
	table table

	daemons []*harness.Daemon // every daemon started, for cleanup
	dirs    []string
	scaled  []scaleRow
	// stopLimit is, per side, the forkexec run's seconds to SIGTERM and
	// reap its children, measured before that side's big daemon started.
	stopLimit [2]float64
}

// side is one of the two daemons being compared.
type side struct {
	name string
	bin  string
}

func (b *bench) sides() []side {
	return []side{{"reference", b.opts.ref}, {"ours", b.opts.ours}}
}

func (b *bench) logf(format string, args ...any) {
	fmt.Fprintf(b.log, "%s  "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

func (b *bench) run(ctx context.Context) error {
	o := b.opts
	b.logf("reference: %s", o.ref)
	b.logf("ours:      %s", o.ours)

	// Daemons with o.programs programs serve start, rss, cpu and rpc.
	big := map[string]*harness.Daemon{}
	if o.only["start"] || o.only["rss"] || o.only["rpc"] || o.only["call"] || o.only["stop"] || (o.only["cpu"] && contains(o.idlePrograms, o.programs)) {
		var secs, limit [2]float64
		for i, s := range b.sides() {
			var err error
			if o.only["start"] || o.only["stop"] {
				if limit[i], b.stopLimit[i], err = b.forkExecLimit(ctx, o.programs, 3); err != nil {
					return err
				}
				b.logf("fork/exec limit for %d children: %.2fs to start, %.2fs to SIGTERM and reap", o.programs, limit[i], b.stopLimit[i])
			}
			d, took, err := b.startMany(ctx, s, o.programs)
			if err != nil {
				return err
			}
			big[s.name] = d
			secs[i] = took.Seconds()
			b.logf("%s: %d programs RUNNING after %.2fs", s.name, o.programs, secs[i])
		}
		if o.only["start"] {
			b.table.add(row{fmt.Sprintf("start %d programs to RUNNING", o.programs), "s", secs[0], secs[1], true})
			if limit[0] > 0 && limit[1] > 0 {
				b.table.add(row{fmt.Sprintf("fork/exec limit for %d children, just before each start", o.programs), "s", limit[0], limit[1], true})
				b.table.add(row{"start ÷ that fork/exec limit", "×", secs[0] / limit[0], secs[1] / limit[1], true})
			}
		}
	}

	if o.only["cpu"] {
		if err := b.idleCPU(ctx, big); err != nil {
			return err
		}
	}
	if o.only["rss"] {
		// Idle means settled, as for the 0 and 100 figures (startIdle).
		if err := sleepCtx(ctx, time.Second); err != nil {
			return err
		}
		var kb [2]float64
		for i, s := range b.sides() {
			kb[i] = float64(rssKB(big[s.name].Pid()))
		}
		b.table.add(row{fmt.Sprintf("idle RSS with %d programs", o.programs), "MiB", kb[0] / 1024, kb[1] / 1024, true})
		if err := b.idleRSS(ctx); err != nil {
			return err
		}
	}
	if o.only["rpc"] {
		for _, n := range o.clients {
			if err := b.rpcLoad(ctx, big, n); err != nil {
				return err
			}
		}
	}
	if o.only["call"] {
		if err := b.perCall(ctx, big); err != nil {
			return err
		}
	}
	if o.only["stop"] {
		if err := b.stopTime(big); err != nil {
			return err
		}
	}
	for _, s := range b.sides() {
		if d := big[s.name]; d != nil {
			b.stop(d)
		}
	}
	if o.only["restart"] {
		if err := b.restartLatency(ctx); err != nil {
			return err
		}
	}
	if o.only["cgroups"] {
		if err := b.cgroupCost(ctx); err != nil {
			return err
		}
	}
	if o.only["busy"] {
		if err := b.busyRSS(ctx); err != nil {
			return err
		}
	}
	if o.only["events"] {
		if err := b.processLogDelivery(ctx); err != nil {
			return err
		}
	}
	if o.only["scale"] {
		var err error
		if b.scaled, err = b.scale(ctx); err != nil {
			return err
		}
	}
	return nil
}

func contains(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// newDaemon writes a config with n sleeping programs in one group and
// starts bin on it.
func (b *bench) newDaemon(s side, n int, program string) (*harness.Daemon, error) {
	// Each child holds about five descriptors in the reference (three
	// pipes and two log files).
	return b.newDaemonFds(s, n, program, 6*n+256)
}

// newDaemonFds is newDaemon with minfds given.
func (b *bench) newDaemonFds(s side, n int, program string, minfds int, extra ...string) (*harness.Daemon, error) {
	dir, err := harness.ShortTempDir("sdb")
	if err != nil {
		return nil, err
	}
	b.dirs = append(b.dirs, dir)
	p := harness.PathsIn(dir)
	conf := p.Header(append([]string{fmt.Sprintf("minfds=%d", minfds), fmt.Sprintf("minprocs=%d", n+256)}, extra...)...) + program
	d, err := harness.Start(s.bin, p, conf)
	if err != nil {
		return nil, err
	}
	b.daemons = append(b.daemons, d)
	return d, nil
}

func manyPrograms(n int) string {
	return fmt.Sprintf(`[program:p]
command=sleep 100000
numprocs=%d
process_name=p%%(process_num)04d
startsecs=0
autorestart=true
`, n)
}

// startMany starts a daemon with n programs and returns how long it took
// from exec to the n-th "success:" line.
func (b *bench) startMany(ctx context.Context, s side, n int) (*harness.Daemon, time.Duration, error) {
	t0 := time.Now()
	d, err := b.newDaemon(s, n, manyPrograms(n))
	if err != nil {
		return nil, 0, err
	}
	tail := &logTail{path: d.Paths.Log}
	deadline := time.Now().Add(5 * time.Minute)
	for tail.count(" success: ") < n {
		if err := b.check(ctx, d, deadline, fmt.Sprintf("%d programs to start", n)); err != nil {
			return nil, 0, err
		}
		time.Sleep(5 * time.Millisecond) // polling the log
	}
	return d, time.Since(t0), nil
}

// check fails when ctx ended, the daemon died or the deadline passed.
func (b *bench) check(ctx context.Context, d *harness.Daemon, deadline time.Time, what string) error {
	if ctx.Err() != nil {
		return errInterrupted
	}
	if ok, err := d.Exited(); ok {
		return fmt.Errorf("%s exited (%v) waiting for %s; output:\n%s", d.Bin, err, what, d.Output())
	}
	if time.Now().After(deadline) {
		return fmt.Errorf("%s: timed out waiting for %s", d.Bin, what)
	}
	return nil
}

func (b *bench) stop(d *harness.Daemon) {
	if ok, _ := d.Exited(); ok {
		return
	}
	if err := d.Stop(time.Minute); err != nil {
		b.logf("%v (killed)", err)
	}
}

func (b *bench) cleanup() {
	for _, d := range b.daemons {
		b.stop(d)
	}
	if !b.opts.keep {
		for _, dir := range b.dirs {
			os.RemoveAll(dir)
		}
	} else if len(b.dirs) > 0 {
		b.logf("kept %s", strings.Join(b.dirs, " "))
	}
}

// idleCPU measures CPU used by idle daemons for each program count, all
// measured in the same window (they are idle, so they do not disturb each
// other).
func (b *bench) idleCPU(ctx context.Context, big map[string]*harness.Daemon) error {
	o := b.opts
	type probe struct {
		n      int
		d      [2]*harness.Daemon
		before [2]float64
	}
	var probes []*probe
	for _, n := range o.idlePrograms {
		pr := &probe{n: n}
		for i, s := range b.sides() {
			if n == o.programs && big[s.name] != nil {
				pr.d[i] = big[s.name]
				continue
			}
			d, _, err := b.startMany(ctx, s, n)
			if err != nil {
				return err
			}
			pr.d[i] = d
		}
		probes = append(probes, pr)
	}
	b.logf("idle CPU: settling 2s, then measuring for %v", o.idle)
	if err := sleepCtx(ctx, 2*time.Second); err != nil {
		return err
	}
	t0 := time.Now()
	for _, pr := range probes {
		for i := range pr.d {
			pr.before[i] = cpuSeconds(pr.d[i].Pid())
		}
	}
	if err := sleepCtx(ctx, o.idle); err != nil {
		return err
	}
	window := time.Since(t0).Seconds()
	for _, pr := range probes {
		var ms [2]float64
		for i := range pr.d {
			ms[i] = (cpuSeconds(pr.d[i].Pid()) - pr.before[i]) * 1000 * 30 / window
		}
		b.table.add(row{fmt.Sprintf("idle CPU per 30s with %d programs", pr.n), "ms", ms[0], ms[1], true})
		for i := range pr.d {
			if pr.d[i] != big["reference"] && pr.d[i] != big["ours"] {
				b.stop(pr.d[i])
			}
		}
	}
	return nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return errInterrupted
	case <-t.C:
		return nil
	}
}

// rpcLoad calls getAllProcessInfo from n concurrent clients for the
// configured duration on each side. With a floor server, the same clients
// first run against it serving that side's reply: what p99 ÷ p50 this
// machine allows a reply of that size.
func (b *bench) rpcLoad(ctx context.Context, big map[string]*harness.Daemon, n int) error {
	var p50, p99, rate, f50, f99 [2]float64
	for i, s := range b.sides() {
		d := big[s.name]
		c := harness.NewUnixClient(d.Paths.Socket, time.Minute)
		// One checked call first: the answer must list every process.
		reply, err := c.CallRaw(ctx, "supervisor.getAllProcessInfo")
		c.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		if v, err := harness.DecodeResponse(reply); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		} else if got, _ := v.([]any); len(got) != b.opts.programs {
			return fmt.Errorf("%s: getAllProcessInfo listed %d processes, want %d", s.name, len(got), b.opts.programs)
		}
		if b.opts.rpcfloor != "" {
			lat, _, err := b.floorLatencies(ctx, reply, n)
			if err != nil {
				return fmt.Errorf("%s: floor: %w", s.name, err)
			}
			f50[i], f99[i] = ms(percentile(lat, 50)), ms(percentile(lat, 99))
			b.logf("floor with %s's reply (%d bytes) ×%d clients: %d calls, p50 %.2fms p99 %.2fms", s.name, len(reply), n, len(lat), f50[i], f99[i])
		}
		lat, r, err := rpcLatencies(ctx, d.Paths.Socket, n, b.opts.rpcDuration)
		if err != nil {
			return fmt.Errorf("%s: getAllProcessInfo: %w", s.name, err)
		}
		p50[i], p99[i], rate[i] = ms(percentile(lat, 50)), ms(percentile(lat, 99)), r
		b.logf("%s: getAllProcessInfo ×%d clients: %d calls, p50 %.1fms p99 %.1fms", s.name, n, len(lat), p50[i], p99[i])
	}
	what := fmt.Sprintf("getAllProcessInfo, %d programs, %d client(s)", b.opts.programs, n)
	b.table.add(row{what + " p50", "ms", p50[0], p50[1], true})
	b.table.add(row{what + " p99", "ms", p99[0], p99[1], true})
	b.table.add(row{what, "calls/s", rate[0], rate[1], false})
	b.table.add(row{"  p99 ÷ p50", "×", p99[0] / p50[0], p99[1] / p50[1], true})
	if b.opts.rpcfloor != "" {
		b.table.add(row{"  floor, the same reply from a minimal server: p50", "ms", f50[0], f50[1], true})
		b.table.add(row{"  floor p99 ÷ p50", "×", f99[0] / f50[0], f99[1] / f50[1], true})
	}
	return nil
}

// rpcLatencies calls getAllProcessInfo from n clients on the socket for d.
func rpcLatencies(ctx context.Context, socket string, n int, d time.Duration) ([]time.Duration, float64, error) {
	return latencies(ctx, socket, n, d, func(body []byte) error {
		if !bytes.Contains(body, []byte("<methodResponse>")) || bytes.Contains(body, []byte("<fault>")) {
			return fmt.Errorf("bad response: %.200s", body)
		}
		return nil
	}, "supervisor.getAllProcessInfo")
}

// floorLatencies starts the floor server with reply and runs the clients
// against it.
func (b *bench) floorLatencies(ctx context.Context, reply []byte, n int) ([]time.Duration, float64, error) {
	dir, err := os.MkdirTemp("", "sdfloor")
	if err != nil {
		return nil, 0, err
	}
	defer os.RemoveAll(dir)
	file, socket := filepath.Join(dir, "reply.xml"), filepath.Join(dir, "sock")
	if err := os.WriteFile(file, reply, 0o600); err != nil {
		return nil, 0, err
	}
	cmd := exec.Command(b.opts.rpcfloor, "-socket", socket, "-reply", file)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, 0, err
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	for deadline := time.Now().Add(10 * time.Second); ; {
		if conn, err := net.Dial("unix", socket); err == nil {
			conn.Close()
			break
		}
		if time.Now().After(deadline) {
			return nil, 0, errors.New("the floor server made no socket in 10s")
		}
		time.Sleep(5 * time.Millisecond) // polling for the listener
	}
	return rpcLatencies(ctx, socket, n, b.opts.rpcDuration)
}

func percentile(sorted []time.Duration, p int) time.Duration {
	i := (len(sorted)*p + 99) / 100
	if i < 1 {
		i = 1
	}
	if i > len(sorted) {
		i = len(sorted)
	}
	return sorted[i-1]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// restartLatency kills one autorestarting program with SIGKILL repeatedly
// and times each kill until the replacement's "spawned:" line appears.
func (b *bench) restartLatency(ctx context.Context) error {
	var p50, p90 [2]float64
	for i, s := range b.sides() {
		d, err := b.newDaemon(s, 1, manyPrograms(1))
		if err != nil {
			return err
		}
		tail := &logTail{path: d.Paths.Log}
		var lat []time.Duration
		for k := 0; k < b.opts.kills; k++ {
			// Wait until the current child is RUNNING, then kill it.
			deadline := time.Now().Add(time.Minute)
			for tail.count(" success: ") < k+1 {
				if err := b.check(ctx, d, deadline, "RUNNING"); err != nil {
					return err
				}
				time.Sleep(2 * time.Millisecond) // polling the log
			}
			pid := tail.lastPid
			if pid <= 1 {
				return fmt.Errorf("%s: no spawned pid in the log", s.name)
			}
			t0 := time.Now()
			if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
				return fmt.Errorf("%s: kill %d: %w", s.name, pid, err)
			}
			for tail.count(" spawned: ") < k+2 {
				if err := b.check(ctx, d, deadline, "a new pid"); err != nil {
					return err
				}
				time.Sleep(500 * time.Microsecond) // polling the log
			}
			lat = append(lat, time.Since(t0))
		}
		b.stop(d)
		sort.Slice(lat, func(a, b int) bool { return lat[a] < lat[b] })
		p50[i] = ms(percentile(lat, 50))
		p90[i] = ms(percentile(lat, 90))
		b.logf("%s: restart after kill -9 over %d kills: p50 %.1fms p90 %.1fms", s.name, len(lat), p50[i], p90[i])
	}
	b.table.add(row{"restart after kill -9, median", "ms", p50[0], p50[1], true})
	b.table.add(row{"restart after kill -9, p90", "ms", p90[0], p90[1], true})
	return nil
}

// logTail follows a main log, counting complete lines by substring.
type logTail struct {
	path    string
	off     int64
	partial []byte
	counts  map[string]int
	lastPid int
}

// count reads whatever was appended since the last call and returns how
// many complete lines so far contain substr. Only the substrings asked for
// before a line is read are counted, so ask for each from the start.
func (t *logTail) count(substr string) int {
	if t.counts == nil {
		t.counts = map[string]int{" success: ": 0, " spawned: ": 0}
	}
	if _, ok := t.counts[substr]; !ok {
		panic("logTail: uncounted substring " + substr)
	}
	f, err := os.Open(t.path)
	if err != nil {
		return t.counts[substr]
	}
	defer f.Close()
	if _, err := f.Seek(t.off, io.SeekStart); err != nil {
		return t.counts[substr]
	}
	buf, _ := io.ReadAll(f)
	t.off += int64(len(buf))
	data := append(t.partial, buf...)
	for {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			break
		}
		line := string(data[:i])
		data = data[i+1:]
		for k := range t.counts {
			if strings.Contains(line, k) {
				t.counts[k]++
			}
		}
		if j := strings.Index(line, "' with pid "); j >= 0 && strings.Contains(line, " spawned: ") {
			if pid, err := strconv.Atoi(strings.TrimSpace(line[j+len("' with pid "):])); err == nil {
				t.lastPid = pid
			}
		}
	}
	t.partial = append([]byte(nil), data...)
	return t.counts[substr]
}

// cpuSeconds is the user+system CPU time of pid (all its threads).
func cpuSeconds(pid int) float64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	// After the command: state is field 3; utime and stime are 14 and 15.
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / clockTicks
}

// rssKB is VmRSS of pid in KiB.
func rssKB(pid int) int { return statusKB(pid, "VmRSS:") }

// anonKB is the anonymous part of pid's RSS (heap, stacks), without the
// file-backed pages of its executable and libraries.
func anonKB(pid int) int { return statusKB(pid, "RssAnon:") }

// statusKB reads a kB field of /proc/pid/status.
func statusKB(pid int, field string) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return n
		}
	}
	return 0
}
