package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"supervisord/test/harness"
)

// eventLines is how many lines the chatty program writes for the
// PROCESS_LOG figure.
const eventLines = 20000

// countingListener is an event listener speaking the protocol with the
// standard library only: it counts PROCESS_LOG events and the lines in
// them, and once it has seen them all writes "events unix-time" to the
// file named by its first argument.
const countingListener = `import sys, time
out, want = sys.argv[1], int(sys.argv[2])
events = lines = 0
done = False
while True:
    sys.stdout.write("READY\n"); sys.stdout.flush()
    header = dict(x.split(":", 1) for x in sys.stdin.readline().split())
    body = sys.stdin.read(int(header["len"]))
    data = body.split("\n", 1)[1] if "\n" in body else ""
    events += 1
    lines += data.count("\n")
    sys.stdout.write("RESULT 2\nOK"); sys.stdout.flush()
    if lines >= want and not done:
        done = True
        with open(out + ".tmp", "w") as f:
            f.write("%d %.6f\n" % (events, time.time()))
        import os; os.rename(out + ".tmp", out)
`

// processLogDelivery starts a program writing eventLines lines with
// stdout_events_enabled and a listener subscribed to PROCESS_LOG, and
// reports how many events carried the lines and how long from the start
// request until the listener had every line.
func (b *bench) processLogDelivery(ctx context.Context) error {
	var events, secs [2]float64
	for i, s := range b.sides() {
		dir, err := harness.ShortTempDir("sdev")
		if err != nil {
			return err
		}
		b.dirs = append(b.dirs, dir)
		script := filepath.Join(dir, "listener.py")
		if err := os.WriteFile(script, []byte(countingListener), 0o644); err != nil {
			return err
		}
		result := filepath.Join(dir, "result")
		d, err := b.newDaemon(s, 1, fmt.Sprintf(`[program:chatty]
command=/bin/sh -c 'seq 1 %d; exec sleep 100000'
autostart=false
startsecs=0
stdout_events_enabled=true

[eventlistener:counter]
command=python3 %s %s %d
events=PROCESS_LOG_STDOUT
buffer_size=100000
`, eventLines, script, result, eventLines))
		if err != nil {
			return err
		}
		if err := waitAnswer(ctx, d); err != nil {
			return err
		}
		c := harness.NewUnixClient(d.Paths.Socket, time.Minute)
		// The listener must be READY before the lines come.
		deadline := time.Now().Add(time.Minute)
		for {
			v, err := c.Call(ctx, "supervisor.getProcessInfo", "counter")
			if err != nil {
				c.Close()
				return err
			}
			if m, ok := v.(map[string]any); ok && m["statename"] == "RUNNING" {
				break
			}
			if time.Now().After(deadline) {
				c.Close()
				return fmt.Errorf("%s: the listener never ran", s.name)
			}
			time.Sleep(20 * time.Millisecond) // polling the daemon's state
		}
		t0 := time.Now()
		if _, err := c.Call(ctx, "supervisor.startProcess", "chatty", true); err != nil {
			c.Close()
			return err
		}
		c.Close()
		var got []byte
		for {
			if got, err = os.ReadFile(result); err == nil {
				break
			}
			if time.Since(t0) > time.Minute || ctx.Err() != nil {
				return fmt.Errorf("%s: the listener did not get %d lines in a minute", s.name, eventLines)
			}
			time.Sleep(5 * time.Millisecond) // polling the listener's result file
		}
		f := strings.Fields(string(got))
		if len(f) != 2 {
			return fmt.Errorf("%s: listener result %q", s.name, got)
		}
		events[i], _ = strconv.ParseFloat(f[0], 64)
		at, _ := strconv.ParseFloat(f[1], 64)
		secs[i] = at - float64(t0.UnixNano())/1e9
		b.logf("%s: %d lines reached a PROCESS_LOG listener in %.0f events, %.3fs after the start request", s.name, eventLines, events[i], secs[i])
		b.stop(d)
	}
	b.table.add(row{fmt.Sprintf("PROCESS_LOG events carrying %d lines", eventLines), "events", events[0], events[1], true})
	b.table.add(row{fmt.Sprintf("%d lines: start request → listener has them all", eventLines), "s", secs[0], secs[1], true})
	return nil
}
