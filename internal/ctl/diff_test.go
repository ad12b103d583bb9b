package ctl

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

const referenceCtl = "/usr/bin/supervisorctl"

// normalise hides what differs between two runs against the same daemon:
// pids, uptimes, times of day and the catch-all's source location.
func normalise(s string) string {
	for _, r := range []struct{ re, with string }{
		{`pid \d+, uptime \d+:\d\d:\d\d`, "pid N, uptime T"},
		{`(?m)^\d+$`, "N"},
		{`[A-Z][a-z]{2} \d\d \d\d:\d\d [AP]M`, "DATE"},
		{`(?m): file: .* line: \d+$`, ": file: F line: L"},
	} {
		s = regexp.MustCompile(r.re).ReplaceAllString(s, r.with)
	}
	return s
}

type ctlRun struct {
	stdout string
	code   int
}

func runCtl(t *testing.T, bin string, env []string, dir string, args ...string) ctlRun {
	t.Helper()
	// A bounded run: the reference's fg never exits once its input ends.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = env
	var out bytes.Buffer
	cmd.Stdout = &out
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s %v: %v", bin, args, err)
	}
	return ctlRun{normalise(out.String()), code}
}

// runOurs runs our supervisorctl in this process, as runCtl runs the
// reference: in dir, with no input, the environment given. Running it
// here rather than re-executing the race-instrumented test binary saves
// most of each run's CPU, and concurrent runs check that Run keeps no
// state of its own.
func runOurs(env []string, dir string, args ...string) ctlRun {
	var out bytes.Buffer
	code := Run("supervisorctl", args, strings.NewReader(""), &out, io.Discard, envFrom(env, dir))
	return ctlRun{normalise(out.String()), code}
}

// envFrom is the Env of a process with environment env started in dir.
func envFrom(env []string, dir string) Env {
	vars := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	return Env{
		Getenv:      func(k string) string { return vars[k] },
		Environ:     func() []string { return env },
		Cwd:         dir,
		SearchPaths: DefaultSearchPaths("supervisorctl"),
	}
}

// TestDifferential runs each command with the reference supervisorctl and
// with ours against the same daemon, over the unix socket and over TCP,
// and compares stdout and exit status.
func TestDifferential(t *testing.T) {
	t.Parallel()
	requireDaemon(t)
	if _, err := os.Stat(referenceCtl); err != nil {
		if os.Getenv("SUPERVISORD_REQUIRE_REFERENCE") == "1" {
			t.Fatal("reference supervisorctl not installed")
		}
		t.Skip("reference supervisorctl not installed")
	}

	// Commands that change nothing, compared in parallel.
	readOnly := []string{
		"status", "status sleeper pool:*", "status nope", "status grp:*", "status nope:*",
		"pid grp:cat", "pid nope", "avail", "version", "reread", "tail quick",
		"tail quick stderr", "tail nope", "tail quick bogus", "tail -x quick",
		"signal BOGUS sleeper", "signal HUP grp:cat", "fg nope", "fg grp:cat", "fg a b",
		"start nope", "start nope:*", "stop nope", "clear nope:*", "add nope", "remove nope",
		"remove sleeper", "update nope", "foo bar", "stat-us", "help", "help foo", "open ftp://x",
		"start sleeper", "maintail x", "maintail a", "quit",
	}
	// Commands whose output ends with help text in our own words: only the
	// first line and the exit status must match.
	firstLine := []string{"start", "stop", "tail", "signal HUP", "clear", "version x", "avail x", "restart", "shutdown x", "reload x"}
	// Sequences that leave the daemon as they found it.
	stateful := [][]string{
		{"stop sleeper", "start sleeper"},
		{"start grp:*", "stop grp:cat", "stop grp:cat"},
		{"restart pool:*"},
		// WINCH, which sleep ignores: a signal that killed the pool
		// would race its restart against the next command's listing.
		{"signal WINCH pool:*", "signal USR1 all"},
		{"stop all", "start sleeper pool:*"},
	}
	// Over TCP a sample is enough: the transport is all that differs.
	tcpSample := []string{"status", "status nope", "pid grp:cat", "version", "tail quick", "start nope:*", "help foo"}
	transports := []struct {
		name      string
		url       func(*daemon) string
		readOnly  []string
		firstLine []string
	}{{"unix", (*daemon).unixURL, readOnly, firstLine}, {"tcp", (*daemon).httpURL, tcpSample, []string{"start"}}}
	// args is a command line for d over the transport.
	args := func(d *daemon, url func(*daemon) string, cmd string) []string {
		return append([]string{"-c", d.conf, "-s", url(d)}, strings.Fields(cmd)...)
	}
	compare := func(t *testing.T, cmd string, ref, got ctlRun, onlyFirst bool) {
		t.Helper()
		if onlyFirst {
			ref.stdout, _, _ = strings.Cut(ref.stdout, "\n")
			got.stdout, _, _ = strings.Cut(got.stdout, "\n")
		}
		if ref != got {
			t.Errorf("%s:\nreference (exit %d):\n%s\nours (exit %d):\n%s", cmd, ref.code, ref.stdout, got.code, got.stdout)
		}
	}
	// The commands that change nothing, and each sequence, have a daemon
	// to themselves over each transport; they mostly wait on the
	// reference daemon's one-second poll, so they run at once.
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			t.Parallel()
			t.Run("read-only", func(t *testing.T) {
				t.Parallel()
				d := shared.get(t, baseConfig)
				var wg sync.WaitGroup
				sem := make(chan struct{}, 4)
				all := append(append([]string{}, tr.readOnly...), tr.firstLine...)
				for i, cmd := range all {
					wg.Add(1)
					go func() {
						defer wg.Done()
						sem <- struct{}{}
						defer func() { <-sem }()
						ref := runCtl(t, referenceCtl, os.Environ(), d.dir, args(d, tr.url, cmd)...)
						got := runOurs(os.Environ(), d.dir, args(d, tr.url, cmd)...)
						compare(t, cmd, ref, got, i >= len(tr.readOnly))
					}()
				}
				wg.Wait()
			})
			for _, seq := range stateful {
				t.Run(strings.Join(seq, ", "), func(t *testing.T) {
					t.Parallel()
					d := shared.get(t, baseConfig)
					var refs, gots []ctlRun
					for _, cmd := range seq {
						refs = append(refs, runCtl(t, referenceCtl, os.Environ(), d.dir, args(d, tr.url, cmd)...))
					}
					d.waitSettled(t)
					for _, cmd := range seq {
						gots = append(gots, runOurs(os.Environ(), d.dir, args(d, tr.url, cmd)...))
					}
					d.waitSettled(t)
					for i, cmd := range seq {
						// The daemon chooses the order of a group's results.
						compare(t, cmd, sortLines(refs[i]), sortLines(gots[i]), false)
					}
				})
			}
		})
	}
}

func sortLines(r ctlRun) ctlRun {
	lines := strings.Split(r.stdout, "\n")
	sort.Strings(lines)
	r.stdout = strings.Join(lines, "\n")
	return r
}
