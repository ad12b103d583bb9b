//go:build linux

// Command driver measures two supervisord daemons side by side on this
// machine — normally the Python reference and ours — and prints a table:
// start-up time with many programs, restart latency after a crash, idle
// RSS and CPU, and getAllProcessInfo latency and throughput. It runs only
// the daemons it starts, talks to them over unix sockets, and stops them
// (and their children) before it exits. bench/compare.sh is the usual way
// to run it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

type options struct {
	ref, ours    string
	only         map[string]bool
	programs     int
	idlePrograms []int
	idle         time.Duration
	kills        int
	rpcDuration  time.Duration
	clients      []int
	keep         bool

	forkexec string // the fork/exec limit command
	rpcfloor string // the getAllProcessInfo latency floor (bench/rpcfloor)
	calls    int
	busy     time.Duration
	scale    []int
	// scaleCgroups are the cgroups= settings the scale run is made with.
	scaleCgroups []string
	scaleIdle    time.Duration
}

const allBenchmarks = "start,restart,rss,cpu,rpc,call,stop,busy,events,scale,cgroups"

func main() {
	var o options
	var only, idleProgs, clients, scale, scaleCgroups string
	flag.StringVar(&o.ref, "ref", "/usr/bin/supervisord", "reference daemon")
	flag.StringVar(&o.ours, "ours", "", "daemon under test (required)")
	flag.StringVar(&only, "only", allBenchmarks, "comma-separated subset of "+allBenchmarks)
	flag.IntVar(&o.programs, "programs", 1000, "programs for start, rss and rpc")
	flag.StringVar(&idleProgs, "idle-programs", "100,1000", "program counts for the idle CPU measurement")
	flag.DurationVar(&o.idle, "idle", 30*time.Second, "idle CPU measurement window")
	flag.IntVar(&o.kills, "kills", 50, "kill -9 rounds for restart latency")
	flag.DurationVar(&o.rpcDuration, "rpc-duration", 5*time.Second, "duration of each getAllProcessInfo run")
	flag.StringVar(&clients, "clients", "1,8", "concurrent clients for getAllProcessInfo")
	flag.BoolVar(&o.keep, "keep", false, "keep the temporary directories (configs and logs)")
	flag.StringVar(&o.forkexec, "forkexec", "", "fork/exec limit command (bench/forkexec), run before each start")
	flag.StringVar(&o.rpcfloor, "rpcfloor", "", "latency floor server (bench/rpcfloor), run with each side's reply before it")
	flag.IntVar(&o.calls, "calls", 2000, "sequential getProcessInfo calls for the per-call CPU")
	flag.DurationVar(&o.busy, "busy", 4*time.Second, "duration of the busy getAllProcessInfo client (RSS)")
	flag.StringVar(&scale, "scale", "100,1000,10000", "program counts for the scale run (ours alone)")
	flag.StringVar(&scaleCgroups, "scale-cgroups", "off,auto", "cgroups= settings for the scale run, each a run of its own")
	flag.DurationVar(&o.scaleIdle, "scale-idle", 5*time.Second, "idle CPU window of the scale run")
	flag.Parse()
	if o.ours == "" {
		fmt.Fprintln(os.Stderr, "driver: -ours is required")
		os.Exit(2)
	}
	o.only = map[string]bool{}
	for _, b := range strings.Split(only, ",") {
		b = strings.TrimSpace(b)
		if b == "" {
			continue
		}
		if !strings.Contains(","+allBenchmarks+",", ","+b+",") {
			fmt.Fprintf(os.Stderr, "driver: unknown benchmark %q (have %s)\n", b, allBenchmarks)
			os.Exit(2)
		}
		o.only[b] = true
	}
	var err error
	if o.idlePrograms, err = intList(idleProgs); err != nil {
		fmt.Fprintln(os.Stderr, "driver: -idle-programs:", err)
		os.Exit(2)
	}
	if o.clients, err = intList(clients); err != nil {
		fmt.Fprintln(os.Stderr, "driver: -clients:", err)
		os.Exit(2)
	}
	for _, m := range strings.Split(scaleCgroups, ",") {
		if m = strings.TrimSpace(m); m != "" {
			o.scaleCgroups = append(o.scaleCgroups, m)
		}
	}
	if o.scale, err = intList(scale); err != nil {
		fmt.Fprintln(os.Stderr, "driver: -scale:", err)
		os.Exit(2)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	b := &bench{opts: o, log: os.Stderr}
	err = b.run(ctx)
	b.cleanup()
	b.table.print(os.Stdout)
	printScale(os.Stdout, b.scaled)
	if err != nil {
		fmt.Fprintln(os.Stderr, "driver:", err)
		os.Exit(1)
	}
}

func intList(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		var n int
		if _, err := fmt.Sscan(strings.TrimSpace(f), &n); err != nil || n <= 0 {
			return nil, fmt.Errorf("bad count %q", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// row is one line of the result table.
type row struct {
	metric        string
	unit          string
	ref, ours     float64
	lowerIsBetter bool
}

type table struct{ rows []row }

func (t *table) add(r row) { t.rows = append(t.rows, r) }

func (t *table) print(w io.Writer) {
	if len(t.rows) == 0 {
		return
	}
	fmt.Fprintf(w, "\n%-58s %12s %12s %8s\n", "metric", "reference", "ours", "ours ×")
	fmt.Fprintln(w, strings.Repeat("-", 93))
	for _, r := range t.rows {
		adv := "-"
		switch {
		case r.lowerIsBetter && r.ours == 0 && r.ref > 0:
			adv = "∞"
		case r.lowerIsBetter && r.ours > 0:
			adv = fmt.Sprintf("%.1f", r.ref/r.ours)
		case !r.lowerIsBetter && r.ref > 0:
			adv = fmt.Sprintf("%.1f", r.ours/r.ref)
		}
		fmt.Fprintf(w, "%-58s %12s %12s %8s\n", r.metric+" ("+r.unit+")", num(r.ref), num(r.ours), adv)
	}
	fmt.Fprintln(w, "\n\"ours ×\" is how many times better ours is: reference/ours for times, sizes and CPU; ours/reference for rates.")
}

func num(v float64) string {
	switch {
	case v == 0:
		return "0"
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 1:
		return fmt.Sprintf("%.2f", v)
	default:
		return fmt.Sprintf("%.4f", v)
	}
}

var errInterrupted = errors.New("interrupted")
