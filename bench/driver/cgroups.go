//go:build linux

package main

import (
	"context"
	"fmt"
	"time"

	"supervisord/test/harness"
)

// cgroupCost starts n programs with our daemon twice, once with
// cgroups=off and once with cgroups=auto (a cgroup per program, made and
// joined at spawn), one after the other, and reports both times in one
// row: the left column is without cgroups, the right with them.
func (b *bench) cgroupCost(ctx context.Context) error {
	var secs [2]float64
	for i, mode := range []string{"off", "auto"} {
		t0 := time.Now()
		d, err := b.newDaemonWith(side{"ours", b.opts.ours}, b.opts.programs, manyPrograms(b.opts.programs), "cgroups="+mode)
		if err != nil {
			return err
		}
		tail := &logTail{path: d.Paths.Log}
		deadline := time.Now().Add(5 * time.Minute)
		for tail.count(" success: ") < b.opts.programs {
			if err := b.check(ctx, d, deadline, fmt.Sprintf("%d programs to start", b.opts.programs)); err != nil {
				return err
			}
			time.Sleep(5 * time.Millisecond) // polling the log
		}
		secs[i] = time.Since(t0).Seconds()
		b.logf("ours, cgroups=%s: %d programs RUNNING after %.2fs", mode, b.opts.programs, secs[i])
		b.stop(d)
	}
	b.table.add(row{fmt.Sprintf("start %d programs, ours: cgroups=off | cgroups=auto", b.opts.programs), "s", secs[0], secs[1], true})
	return nil
}

// newDaemonWith is newDaemon with extra [supervisord] lines.
func (b *bench) newDaemonWith(s side, n int, program string, extra ...string) (*harness.Daemon, error) {
	dir, err := harness.ShortTempDir("sdb")
	if err != nil {
		return nil, err
	}
	b.dirs = append(b.dirs, dir)
	p := harness.PathsIn(dir)
	lines := append([]string{fmt.Sprintf("minfds=%d", 6*n+256), fmt.Sprintf("minprocs=%d", n+256)}, extra...)
	d, err := harness.Start(s.bin, p, p.Header(lines...)+program)
	if err != nil {
		return nil, err
	}
	b.daemons = append(b.daemons, d)
	return d, nil
}
