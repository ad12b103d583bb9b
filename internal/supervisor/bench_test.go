package supervisor

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"supervisord/internal/config"
	"supervisord/internal/process"
	"supervisord/internal/rpc"
	"supervisord/internal/xmlrpc"
)

// benchGroup is one group of n programs that do not start by themselves,
// so the benchmarks measure the daemon's own work and not fork/exec.
func benchGroup(dir string, n int) *config.Group {
	g := &config.Group{Name: "p", Priority: 999}
	for i := range n {
		name := fmt.Sprintf("p%05d", i)
		g.Processes = append(g.Processes, &config.Process{
			Name: name, Group: "p", ProgramSec: "p",
			Command: []string{"/bin/sleep", "1000"}, CommandLine: "/bin/sleep 1000",
			Priority: 999, Startsecs: time.Second, Startretries: 3,
			AutoRestart: config.RestartUnexpected, ExitCodes: []int{0},
			StopSignal: syscall.SIGTERM, StopWaitSecs: 10 * time.Second,
			Stdout: config.StreamLog{Targets: []config.LogTarget{{Kind: config.LogFile, Path: filepath.Join(dir, name+".out")}}},
			Stderr: config.StreamLog{Targets: []config.LogTarget{{Kind: config.LogFile, Path: filepath.Join(dir, name+".err")}}},
		})
	}
	return g
}

func benchSupervisor(b *testing.B, n int) *Supervisor {
	b.Helper()
	dir := b.TempDir()
	cfg := &config.Config{File: filepath.Join(dir, "supervisord.conf"), Groups: []*config.Group{benchGroup(dir, n)}}
	cfg.Supervisord.Identifier = "supervisor"
	sup := New(cfg, Options{Logger: slog.New(slog.DiscardHandler), Reload: func() (*config.Config, error) { return cfg, nil }})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { sup.Run(ctx); close(done) }()
	b.Cleanup(func() { cancel(); <-done })
	return sup
}

// BenchmarkGetProcessInfo is one getProcessInfo call, encoded, against a
// daemon with N programs: its cost must not depend on N.
func BenchmarkGetProcessInfo(b *testing.B) {
	for _, n := range []int{100, 1000, 10000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			sup := benchSupervisor(b, n)
			api := rpc.New(sup, rpc.Options{})
			args := []any{fmt.Sprintf("p:p%05d", n/2)}
			if _, err := api.Call(context.Background(), "supervisor.getProcessInfo", args); err != nil {
				b.Fatal(err)
			}
			var buf []byte
			b.ReportAllocs()
			for b.Loop() {
				v, err := api.Call(context.Background(), "supervisor.getProcessInfo", args)
				if err != nil {
					b.Fatal(err)
				}
				if buf, err = xmlrpc.AppendResponse(buf[:0], v); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkGetAllProcessInfo is one getAllProcessInfo call, encoded, with
// N programs: it must grow no faster than N.
func BenchmarkGetAllProcessInfo(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			sup := benchSupervisor(b, n)
			api := rpc.New(sup, rpc.Options{})
			var buf []byte
			b.ReportAllocs()
			for b.Loop() {
				v, err := api.Call(context.Background(), "supervisor.getAllProcessInfo", nil)
				if err != nil {
					b.Fatal(err)
				}
				if buf, err = xmlrpc.AppendResponse(buf[:0], v); err != nil {
					b.Fatal(err)
				}
				if r, ok := v.(xmlrpc.Releaser); ok { // as the server does
					r.Release()
				}
			}
			b.SetBytes(int64(len(buf)))
		})
	}
}

// idleLoop is a loop over one group of n programs, none started, settled
// once and driven by hand (no Run); its timer is stopped at the end.
func idleLoop(b *testing.B, n int) *loop {
	dir := b.TempDir()
	cfg := &config.Config{File: filepath.Join(dir, "supervisord.conf"), Groups: []*config.Group{benchGroup(dir, n)}}
	l := New(cfg, Options{Logger: slog.New(slog.DiscardHandler)}).loop
	l.timer = l.s.opts.Clock.NewTimer(time.Hour)
	b.Cleanup(func() { l.timer.Stop() })
	l.settle()
	return l
}

// settleOne is one input about p (a state change to the state it is in)
// and the loop's work after it; it reports whether the shutdown ended.
func settleOne(l *loop, p *proc) bool {
	l.now = time.Now()
	l.StateChanged(p.Proc, p.State, true)
	return l.settle()
}

// BenchmarkSettleOneChange is the loop's work after an input that changed
// one process, with N processes: it must not grow with N.
func BenchmarkSettleOneChange(b *testing.B) {
	for _, n := range []int{100, 1000, 10000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			l := idleLoop(b, n)
			p := l.groups[0].procs[n/2]
			b.ReportAllocs()
			for b.Loop() {
				settleOne(l, p)
			}
		})
	}
}

// BenchmarkShutdownOneExit is the loop's work after an input during a
// shutdown, with N processes still STOPPING: it must not grow with N (it
// walked every process after every exit).
func BenchmarkShutdownOneExit(b *testing.B) {
	for _, n := range []int{100, 1000, 10000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			l := idleLoop(b, n)
			// As if the shutdown had signalled them all.
			for _, p := range l.groups[0].procs {
				p.Proc.State = process.Running
				l.StateChanged(p.Proc, process.Stopped, true)
				p.Proc.State = process.Stopping
				l.StateChanged(p.Proc, process.Running, true)
			}
			l.requestShutdown(process.SupervisorShutdown)
			if l.settle() {
				b.Fatal("shutdown over with every process STOPPING")
			}
			p := l.groups[0].procs[n/2]
			b.ReportAllocs()
			for b.Loop() {
				if settleOne(l, p) {
					b.Fatal("shutdown over")
				}
			}
		})
	}
}

// BenchmarkStartStop starts N real programs (startsecs=0) until all are
// RUNNING, then shuts down until all have exited, and reports both times.
// It forks N children per iteration: run it alone, with -benchtime=1x.
func BenchmarkStartStop(b *testing.B) {
	for _, n := range []int{1000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			var start, stop time.Duration
			for b.Loop() {
				dir := b.TempDir()
				g := benchGroup(dir, n)
				for _, p := range g.Processes {
					p.Autostart, p.Startsecs = true, 0
				}
				cfg := &config.Config{File: filepath.Join(dir, "supervisord.conf"), Groups: []*config.Group{g}}
				rec := newLogRecorder()
				sup := New(cfg, Options{Logger: slog.New(rec), Reload: func() (*config.Config, error) { return cfg, nil }})
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan struct{})
				t0 := time.Now()
				go func() { sup.Run(ctx); close(done) }()
				waitLines(b, rec, "success: ", n)
				t1 := time.Now()
				cancel()
				<-done
				start += t1.Sub(t0)
				stop += time.Since(t1)
			}
			b.ReportMetric(start.Seconds()/float64(b.N), "start-s")
			b.ReportMetric(stop.Seconds()/float64(b.N), "stop-s")
		})
	}
}

func waitLines(b *testing.B, r *logRecorder, sub string, n int) {
	deadline := time.AfterFunc(2*time.Minute, r.cond.Broadcast)
	defer deadline.Stop()
	r.mu.Lock()
	defer r.mu.Unlock()
	seen, count := 0, 0
	for count < n {
		for ; seen < len(r.lines); seen++ {
			if len(r.lines[seen]) >= len(sub) && r.lines[seen][:len(sub)] == sub {
				count++
			}
		}
		if count >= n {
			return
		}
		r.cond.Wait()
		if !deadline.Stop() && count < n && seen == len(r.lines) {
			b.Fatalf("timed out: %d of %d %q lines", count, n, sub)
		}
		deadline.Reset(2 * time.Minute)
	}
}
