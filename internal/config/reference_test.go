package config

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"
)

const referencePython = "/usr/bin/python3"

// referenceDump loads path with Supervisor's own parser and prints the
// process configs as JSON.
const referenceDump = `
import json, os, sys
from supervisor.options import ServerOptions
from supervisor.datatypes import Automatic, RestartUnconditionally, RestartWhenExitUnexpected
o = ServerOptions()
path = sys.argv[1]
o.configfile = path
o.here = os.path.dirname(os.path.abspath(path))
sec = o.read_config(path)
def lf(v):
    if v is Automatic: return "AUTO"
    if v is None: return ""
    return os.path.abspath(v)
def ar(v):
    if v is RestartUnconditionally: return 1
    if v is RestartWhenExitUnexpected: return 0
    return 2
out = []
for g in sec.process_group_configs:
    for p in g.process_configs:
        out.append(dict(group=g.name, group_priority=g.priority, name=p.name, command=p.command,
            priority=p.priority, autostart=bool(p.autostart), autorestart=ar(p.autorestart),
            startsecs=p.startsecs, startretries=p.startretries, stopsignal=int(p.stopsignal),
            stopwaitsecs=p.stopwaitsecs, stopasgroup=bool(p.stopasgroup), killasgroup=bool(p.killasgroup),
            exitcodes=p.exitcodes, redirect_stderr=bool(p.redirect_stderr), uid=p.uid,
            environment=p.environment or {}, directory=p.directory, umask=p.umask,
            stdout_logfile=lf(p.stdout_logfile), stderr_logfile=lf(p.stderr_logfile),
            stdout_maxbytes=p.stdout_logfile_maxbytes, stderr_maxbytes=p.stderr_logfile_maxbytes,
            stdout_backups=p.stdout_logfile_backups, stdout_capture=p.stdout_capture_maxbytes,
            stdout_syslog=bool(p.stdout_syslog), stderr_syslog=bool(p.stderr_syslog),
            serverurl=p.serverurl))
json.dump(out, sys.stdout)
`

func haveReference(t *testing.T) {
	t.Helper()
	err := exec.Command(referencePython, "-c", "import supervisor.options").Run()
	if err != nil {
		if os.Getenv("SUPERVISORD_REQUIRE_REFERENCE") == "1" {
			t.Fatalf("reference Supervisor not usable via %s: %v", referencePython, err)
		}
		t.Skipf("reference Supervisor (python3 supervisor module at %s) not available: %v", referencePython, err)
	}
}

// ours renders a loaded config in the reference dump's shape.
func ours(cfg *Config) []map[string]any {
	var out []map[string]any
	lf := func(s StreamLog) string {
		if s.Auto {
			return "AUTO"
		}
		if len(s.Targets) == 0 {
			return ""
		}
		if s.Targets[0].Kind == LogStdout {
			return "/dev/stdout"
		}
		return s.Targets[0].Path
	}
	for _, g := range cfg.Groups {
		for _, p := range g.Processes {
			env := map[string]any{}
			for _, e := range cfg.Supervisord.Environment {
				env[e.Key] = e.Value
			}
			for _, e := range p.Environment {
				env[e.Key] = e.Value
			}
			var uid any
			if p.User != nil {
				uid = float64(p.User.Uid)
			}
			var umask any
			if p.Umask != nil {
				umask = float64(*p.Umask)
			}
			var dir any
			if p.Directory != "" {
				dir = p.Directory
			}
			var surl any
			if p.ServerURL != "" {
				surl = p.ServerURL
			}
			codes := []any{}
			for _, c := range p.ExitCodes {
				codes = append(codes, float64(c))
			}
			out = append(out, map[string]any{
				"group": g.Name, "group_priority": float64(g.Priority), "name": p.Name, "command": p.CommandLine,
				"priority": float64(p.Priority), "autostart": p.Autostart, "autorestart": float64(p.AutoRestart),
				"startsecs": p.Startsecs.Seconds(), "startretries": float64(p.Startretries), "stopsignal": float64(p.StopSignal),
				"stopwaitsecs": p.StopWaitSecs.Seconds(), "stopasgroup": p.StopAsGroup, "killasgroup": p.KillAsGroup,
				"exitcodes": codes, "redirect_stderr": p.RedirectStderr, "uid": uid,
				"environment": env, "directory": dir, "umask": umask,
				"stdout_logfile": lf(p.Stdout), "stderr_logfile": lf(p.Stderr),
				"stdout_maxbytes": float64(p.Stdout.MaxBytes), "stderr_maxbytes": float64(p.Stderr.MaxBytes),
				"stdout_backups": float64(p.Stdout.Backups), "stdout_capture": float64(p.Stdout.CaptureMaxBytes),
				"stdout_syslog": p.Stdout.Syslog, "stderr_syslog": p.Stderr.Syslog, "serverurl": surl,
			})
		}
	}
	return out
}

var differentialConfigs = map[string]string{
	"expansions.conf": `
[supervisord]
environment=SUP="s v",OTHER=o
[program:w]
command=/bin/echo %(program_name)s %(group_name)s %(ENV_SUP)s %(ENV_LOCAL)s %(here)s
process_name=w_%(process_num)03d
numprocs=3
numprocs_start=2
priority=4
environment=LOCAL="l %(process_num)d",QUOTED='a, b'
stdout_logfile=%(here)s/w-%(process_num)d.log
stderr_logfile=NONE
stdout_logfile_maxbytes=1KB
directory=/tmp
umask=002
[group:grp]
programs=x,y
priority=3
[program:x]
command=x ; comment
  continued
stopsignal=kill
exitcodes=1,2 ,3
autorestart=true
stopasgroup=true
serverurl=AUTO
[program:y]
command=y
stdout_syslog=yes
stderr_logfile=syslog
redirect_stderr=true
stdout_capture_maxbytes=2mb
killasgroup=on
user=0
[eventlistener:ev]
command=ev
events=TICK_60,process_state
[DEFAULT]
startretries=7
`,
}

func TestDifferentialAgainstReference(t *testing.T) {
	haveReference(t)
	dir := t.TempDir()
	paths := []string{}
	for name, text := range differentialConfigs {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	root := goldenDir(t)
	paths = append(paths, filepath.Join(root, "debian", "supervisord.conf"), filepath.Join(root, "sample", "supervisord.conf"))
	for _, path := range paths {
		t.Run(filepath.Base(filepath.Dir(path))+"/"+filepath.Base(path), func(t *testing.T) {
			cmd := exec.Command(referencePython, "-c", referenceDump, path)
			cmd.Dir = dir
			for k, v := range testEnv {
				cmd.Env = append(cmd.Env, k+"="+v)
			}
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("reference: %v\n%s", err, out)
			}
			var want []map[string]any
			if err := json.Unmarshal(out, &want); err != nil {
				t.Fatal(err)
			}
			cfg, err := Load(path, LoadOptions{Env: testEnv})
			if err != nil {
				t.Fatal(err)
			}
			got := ours(cfg)
			if len(got) != len(want) {
				t.Fatalf("%d processes, reference has %d", len(got), len(want))
			}
			// The reference lists a [group:x]'s processes in program order;
			// compare by name within the same group order.
			for i := range want {
				w := want[i]
				var g map[string]any
				for _, c := range got {
					if c["group"] == w["group"] && c["name"] == w["name"] {
						g = c
					}
				}
				if g == nil {
					t.Errorf("missing process %v:%v", w["group"], w["name"])
					continue
				}
				for k, wv := range w {
					if k == "exitcodes" || k == "environment" {
						if !reflect.DeepEqual(g[k], wv) && !(k == "exitcodes" && len(wv.([]any)) == 0) {
							t.Errorf("%v %s: got %v, reference %v", w["name"], k, g[k], wv)
						}
						continue
					}
					if !reflect.DeepEqual(g[k], wv) {
						t.Errorf("%v %s: got %#v, reference %#v", w["name"], k, g[k], wv)
					}
				}
			}
		})
	}
}
