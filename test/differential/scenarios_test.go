//go:build linux

package differential

import (
	"syscall"
)

const (
	up0 = "entered RUNNING state, process has stayed up for > than 0 seconds (startsecs)"
	up1 = "entered RUNNING state, process has stayed up for > than 1 seconds (startsecs)"
)

// counterScript runs as "sh script N": it counts its runs in a file and
// exits with the run's code from the list, sleeping first so it reaches
// RUNNING; past the list it stays up.
const counterScript = `n=$(cat {dir}/count 2>/dev/null || echo 0)
n=$((n+1))
echo $n > {dir}/count
shift $((n-1)) 2>/dev/null || exec sleep 1000
[ $# -gt 0 ] || exec sleep 1000
sleep 0.3
exit $1
`

func scenarios() []scenario {
	return []scenario{
		{
			name: "priorities_start_in_order",
			programs: `
[program:c]
command=sleep 1000
priority=300

[program:a]
command=sleep 1000
priority=100

[program:b]
command=sleep 1000
priority=200
`,
			drive: func(r *run) { r.waitFor("success:", 3) },
			want: []string{
				"INFO spawned: 'a' with pid N",
				"INFO spawned: 'b' with pid N",
				"INFO spawned: 'c' with pid N",
				"INFO success: a " + up1,
				"INFO success: b " + up1,
				"INFO success: c " + up1,
				"INFO waiting for a, b, c to die",
				"WARN stopped: c (terminated by SIGTERM)",
				"WARN stopped: b (terminated by SIGTERM)",
				"WARN stopped: a (terminated by SIGTERM)",
			},
		},
		{
			name: "shutdown_reverse_priority_waits_for_each_group",
			files: map[string]string{
				// The script says it is ready once its trap is set: a
				// TERM that came before would kill the shell outright.
				"slowstop.sh": "trap 'sleep 0.2; exit 0' TERM\necho $$ > {dir}/$1.ready\nsleep 1000 &\nwait\n",
			},
			programs: `
[program:first]
command=sh {dir}/slowstop.sh first
priority=1
startsecs=0
stopasgroup=true

[program:second]
command=sh {dir}/slowstop.sh second
priority=2
startsecs=0
stopasgroup=true

[program:third]
command=sh {dir}/slowstop.sh third
priority=3
startsecs=0
stopasgroup=true
`,
			drive: func(r *run) {
				r.waitFor("success:", 3)
				for _, name := range []string{"first", "second", "third"} {
					r.pidFile(name + ".ready")
				}
			},
			want: []string{
				"INFO spawned: 'first' with pid N",
				"INFO spawned: 'second' with pid N",
				"INFO spawned: 'third' with pid N",
				"INFO success: first " + up0,
				"INFO success: second " + up0,
				"INFO success: third " + up0,
				"INFO waiting for first, second, third to die",
				"INFO stopped: third (exit status 0)",
				"INFO stopped: second (exit status 0)",
				"INFO stopped: first (exit status 0)",
			},
		},
		{
			name: "startsecs_0_and_1",
			programs: `
[program:quick]
command=sleep 1000
startsecs=0

[program:slow]
command=sleep 1000
startsecs=1
`,
			mode:    perProcess,
			ordered: []string{"spawned:"},
			drive:   func(r *run) { r.waitFor("success:", 2) },
			want: []string{
				"INFO spawned: 'quick' with pid N",
				"INFO spawned: 'slow' with pid N",
				"INFO success: quick " + up0,
				"INFO success: slow " + up1,
				"INFO waiting for quick, slow to die",
				"WARN stopped: slow (terminated by SIGTERM)",
				"WARN stopped: quick (terminated by SIGTERM)",
			},
		},
		{
			name: "exits_too_quickly_backoff_then_fatal",
			programs: `
[program:flap]
command=sh -c "exit 1"
startsecs=10
startretries=2
`,
			drive: func(r *run) { r.waitFor("gave up:", 1) },
			want: []string{
				"INFO spawned: 'flap' with pid N",
				"WARN exited: flap (exit status 1; not expected)",
				"INFO spawned: 'flap' with pid N",
				"WARN exited: flap (exit status 1; not expected)",
				"INFO spawned: 'flap' with pid N",
				"WARN exited: flap (exit status 1; not expected)",
				"INFO gave up: flap entered FATAL state, too many start retries too quickly",
			},
		},
		{
			name: "missing_command_fatal",
			programs: `
[program:ghost]
command=/nonexistent/ghost --flag
startretries=1
`,
			drive: func(r *run) { r.waitFor("gave up:", 1) },
			want: []string{
				"INFO spawnerr: can't find command '/nonexistent/ghost'",
				"INFO spawnerr: can't find command '/nonexistent/ghost'",
				"INFO gave up: ghost entered FATAL state, too many start retries too quickly",
			},
		},
		{
			name:  "autorestart_true_restarts_after_exit",
			files: map[string]string{"counter.sh": counterScript},
			programs: `
[program:again]
command=sh {dir}/counter.sh 0 0
startsecs=0
autorestart=true
`,
			drive: func(r *run) {
				r.waitFor("success:", 3)
				r.call("supervisor.stopProcess", "again", true)
			},
			want: []string{
				"INFO spawned: 'again' with pid N",
				"INFO success: again " + up0,
				"INFO exited: again (exit status 0; expected)",
				"INFO spawned: 'again' with pid N",
				"INFO success: again " + up0,
				"INFO exited: again (exit status 0; expected)",
				"INFO spawned: 'again' with pid N",
				"INFO success: again " + up0,
				"WARN stopped: again (terminated by SIGTERM)",
			},
		},
		{
			name:  "autorestart_unexpected_honours_exitcodes",
			files: map[string]string{"counter.sh": counterScript},
			programs: `
[program:picky]
command=sh {dir}/counter.sh 3 2
startsecs=0
autorestart=unexpected
exitcodes=0,2
`,
			drive: func(r *run) {
				r.waitFor("exit status 2", 1)
				r.stays("picky") // an expected exit must not restart
			},
			want: []string{
				"INFO spawned: 'picky' with pid N",
				"INFO success: picky " + up0,
				"WARN exited: picky (exit status 3; not expected)",
				"INFO spawned: 'picky' with pid N",
				"INFO success: picky " + up0,
				"INFO exited: picky (exit status 2; expected)",
			},
		},
		{
			name:  "autorestart_false_stays_exited",
			files: map[string]string{"counter.sh": counterScript},
			programs: `
[program:once]
command=sh {dir}/counter.sh 1
startsecs=0
autorestart=false
`,
			drive: func(r *run) {
				r.waitFor("exited:", 1)
				r.stays("once") // must not restart
			},
			want: []string{
				"INFO spawned: 'once' with pid N",
				"INFO success: once " + up0,
				"WARN exited: once (exit status 1; not expected)",
			},
		},
		{
			name: "stop_and_start_over_rpc",
			programs: `
[program:svc]
command=sleep 1000
`,
			drive: func(r *run) {
				r.waitFor("success:", 1)
				if v := r.call("supervisor.stopProcess", "svc", true); v != true {
					r.t.Errorf("stopProcess returned %v", v)
				}
				r.waitFor("stopped:", 1)
				if v := r.call("supervisor.startProcess", "svc", true); v != true {
					r.t.Errorf("startProcess returned %v", v)
				}
				r.waitFor("success:", 2)
			},
			want: []string{
				"INFO spawned: 'svc' with pid N",
				"INFO success: svc " + up1,
				"WARN stopped: svc (terminated by SIGTERM)",
				"INFO spawned: 'svc' with pid N",
				"INFO success: svc " + up1,
				"INFO waiting for svc to die",
				"WARN stopped: svc (terminated by SIGTERM)",
			},
		},
		{
			name:  "ignores_sigterm_killed_after_stopwaitsecs",
			files: map[string]string{"stubborn.sh": "trap '' TERM\necho $$ > {dir}/ready.pid\nwhile :; do sleep 0.2; done\n"},
			programs: `
[program:stubborn]
command=sh {dir}/stubborn.sh
startsecs=0
stopwaitsecs=1
`,
			drive: func(r *run) {
				r.waitFor("success:", 1)
				r.pidFile("ready.pid") // the trap is set
				r.call("supervisor.stopProcess", "stubborn", true)
			},
			want: []string{
				"INFO spawned: 'stubborn' with pid N",
				"INFO success: stubborn " + up0,
				"WARN killing 'stubborn' (N) with SIGKILL",
				"WARN stopped: stubborn (terminated by SIGKILL)",
			},
		},
		{
			name:  "stopasgroup_stops_grandchild",
			files: map[string]string{"parent.sh": "sleep 1000 &\necho $! > {dir}/grandchild.pid\nwait\n"},
			programs: `
[program:family]
command=sh {dir}/parent.sh
startsecs=0
stopasgroup=true
`,
			drive: func(r *run) {
				r.waitFor("success:", 1)
				r.pidFile("grandchild.pid")
				r.call("supervisor.stopProcess", "family", true)
			},
			after: func(r *run) { r.waitGone(r.pidFile("grandchild.pid")) },
			want: []string{
				"INFO spawned: 'family' with pid N",
				"INFO success: family " + up0,
				"WARN stopped: family (terminated by SIGTERM)",
			},
		},
		{
			name: "killasgroup_kills_grandchild",
			files: map[string]string{
				"parent.sh": "trap '' TERM\nsleep 1000 &\necho $! > {dir}/grandchild.pid\nwait\n",
			},
			programs: `
[program:clan]
command=sh {dir}/parent.sh
startsecs=0
stopwaitsecs=1
killasgroup=true
`,
			drive: func(r *run) {
				r.waitFor("success:", 1)
				r.pidFile("grandchild.pid")
				r.call("supervisor.stopProcess", "clan", true)
			},
			after: func(r *run) { r.waitGone(r.pidFile("grandchild.pid")) },
			want: []string{
				"INFO spawned: 'clan' with pid N",
				"INFO success: clan " + up0,
				"WARN killing 'clan' (N) with SIGKILL",
				"WARN stopped: clan (terminated by SIGKILL)",
			},
		},
		{
			name: "numprocs_expands_process_name",
			programs: `
[program:worker]
command=sleep 1000
numprocs=3
process_name=%(program_name)s_%(process_num)02d
`,
			mode:    perProcess,
			ordered: []string{"spawned:", "success:", "waiting for"},
			drive: func(r *run) {
				r.waitFor("success:", 3)
				r.pid("worker:worker_02")
			},
			want: []string{
				"INFO spawned: 'worker_00' with pid N",
				"INFO spawned: 'worker_01' with pid N",
				"INFO spawned: 'worker_02' with pid N",
				"INFO success: worker_00 " + up1,
				"INFO success: worker_01 " + up1,
				"INFO success: worker_02 " + up1,
				"INFO waiting for worker_00, worker_01, worker_02 to die",
				"WARN stopped: worker_02 (terminated by SIGTERM)",
				"WARN stopped: worker_01 (terminated by SIGTERM)",
				"WARN stopped: worker_00 (terminated by SIGTERM)",
			},
		},
		{
			name: "group_members_start_in_programs_order",
			programs: `
[group:team]
programs=yank,zulu,xray

[program:xray]
command=sleep 1000
priority=30

[program:yank]
command=sleep 1000
priority=20

[program:zulu]
command=sleep 1000
priority=10
`,
			mode:    perProcess,
			ordered: []string{"spawned:", "success:"},
			drive: func(r *run) {
				r.waitFor("success:", 3)
				r.pid("team:xray")
			},
			// Autostart follows the order of programs=; priority orders
			// only stopping (and startProcessGroup).
			want: []string{
				"INFO spawned: 'yank' with pid N",
				"INFO spawned: 'zulu' with pid N",
				"INFO spawned: 'xray' with pid N",
				"INFO success: yank " + up1,
				"INFO success: zulu " + up1,
				"INFO success: xray " + up1,
				"INFO waiting for yank, zulu, xray to die",
				"WARN stopped: xray (terminated by SIGTERM)",
				"WARN stopped: yank (terminated by SIGTERM)",
				"WARN stopped: zulu (terminated by SIGTERM)",
			},
		},
		{
			name: "group_started_and_stopped_over_rpc_by_priority",
			programs: `
[group:crew]
programs=bravo,alpha,charlie

[program:alpha]
command=sleep 1000
priority=20
autostart=false

[program:bravo]
command=sleep 1000
priority=30
autostart=false

[program:charlie]
command=sleep 1000
priority=10
autostart=false
`,
			// The reference reports RUNNING in programs= order on its next
			// tick, whatever order the children were spawned in; only the
			// spawn order follows priority.
			mode:    perProcess,
			ordered: []string{"spawned:"},
			drive: func(r *run) {
				r.call("supervisor.startProcessGroup", "crew", true)
				r.waitFor("success:", 3)
				r.call("supervisor.stopProcessGroup", "crew", true)
				r.waitFor("stopped:", 3)
			},
			want: []string{
				"INFO spawned: 'charlie' with pid N",
				"INFO spawned: 'alpha' with pid N",
				"INFO spawned: 'bravo' with pid N",
				"INFO success: bravo " + up1,
				"INFO success: alpha " + up1,
				"INFO success: charlie " + up1,
				"WARN stopped: bravo (terminated by SIGTERM)",
				"WARN stopped: alpha (terminated by SIGTERM)",
				"WARN stopped: charlie (terminated by SIGTERM)",
			},
		},
		{
			name: "sighup_restarts_everything",
			programs: `
[program:one]
command=sleep 1000
priority=1
startsecs=0

[program:two]
command=sleep 1000
priority=2
startsecs=0
`,
			drive: func(r *run) {
				r.waitFor("success:", 2)
				if err := syscall.Kill(r.d.Pid(), syscall.SIGHUP); err != nil {
					r.t.Fatal(err)
				}
				r.waitFor("success:", 4)
				r.d.WaitReady(r.t)
			},
			want: []string{
				"INFO spawned: 'one' with pid N",
				"INFO spawned: 'two' with pid N",
				"INFO success: one " + up0,
				"INFO success: two " + up0,
				"INFO waiting for one, two to die",
				"WARN stopped: two (terminated by SIGTERM)",
				"WARN stopped: one (terminated by SIGTERM)",
				"INFO spawned: 'one' with pid N",
				"INFO spawned: 'two' with pid N",
				"INFO success: one " + up0,
				"INFO success: two " + up0,
				"INFO waiting for one, two to die",
				"WARN stopped: two (terminated by SIGTERM)",
				"WARN stopped: one (terminated by SIGTERM)",
			},
		},
		{
			name: "sigkill_crash_restarts",
			programs: `
[program:crashy]
command=sleep 1000
startsecs=0
autorestart=true
`,
			drive: func(r *run) {
				r.waitFor("success:", 1)
				if err := syscall.Kill(r.pid("crashy"), syscall.SIGKILL); err != nil {
					r.t.Fatal(err)
				}
				r.waitFor("success:", 2)
			},
			want: []string{
				"INFO spawned: 'crashy' with pid N",
				"INFO success: crashy " + up0,
				"WARN exited: crashy (terminated by SIGKILL; not expected)",
				"INFO spawned: 'crashy' with pid N",
				"INFO success: crashy " + up0,
				"INFO waiting for crashy to die",
				"WARN stopped: crashy (terminated by SIGTERM)",
			},
		},
	}
}
