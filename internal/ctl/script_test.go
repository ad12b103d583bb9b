package ctl

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// scriptFixture adapts a running script to the daemon helpers.
type scriptFixture struct{ ts *testscript.TestScript }

func (f scriptFixture) Helper()                           {}
func (f scriptFixture) Fatalf(format string, args ...any) { f.ts.Fatalf(format, args...) }
func (f scriptFixture) Cleanup(fn func())                 { f.ts.Defer(fn) }

// scriptDaemons is the daemon each running script borrowed.
var scriptDaemons sync.Map // *testscript.TestScript → *daemon

// TestScripts runs testdata/ctl/scripts/*.txtar: each command of
// supervisorctl against a live daemon, with its output and exit status.
//
// Extra script commands:
//
//	ctl [<file] code args...
//	                    run supervisorctl, with file as its input,
//	                    expecting exit status code
//	startd [file]       borrow a daemon on the base config, or on file;
//	                    $WORK/supervisord.conf links to its config, which
//	                    is also $CONF; $SOCK and $PORT are its socket and
//	                    TCP port
//	appendconf file     append file to the daemon's config
//	waitstate name ST   wait until process name is in state ST
//
// scriptEnv is the surroundings of a command the script runs: its
// environment and current directory.
func scriptEnv(ts *testscript.TestScript) Env {
	return Env{
		Getenv: ts.Getenv,
		Environ: func() []string {
			var env []string
			keys := append(ts.Value(envKeys{}).([]string), "SOCK", "CONF", "PORT")
			for _, k := range keys {
				if v := ts.Getenv(k); v != "" {
					env = append(env, k+"="+v)
				}
			}
			return env
		},
		Cwd:         ts.MkAbs("."),
		SearchPaths: DefaultSearchPaths("supervisorctl"),
	}
}

// envKeys is the key of a script's value holding the names of the
// variables its environment starts with.
type envKeys struct{}

func TestScripts(t *testing.T) {
	t.Parallel()
	requireDaemon(t)
	testscript.Run(t, testscript.Params{
		Dir: filepath.Join("..", "..", "testdata", "ctl", "scripts"),
		Setup: func(env *testscript.Env) error {
			env.Setenv("NO_COLOR", "1")
			var keys []string
			for _, kv := range env.Vars {
				k, _, _ := strings.Cut(kv, "=")
				keys = append(keys, k)
			}
			env.Values[envKeys{}] = keys
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"ctl": func(ts *testscript.TestScript, neg bool, args []string) {
				stdin := ""
				if len(args) > 0 && strings.HasPrefix(args[0], "<") {
					stdin = ts.ReadFile(args[0][1:])
					args = args[1:]
				}
				if len(args) < 1 {
					ts.Fatalf("usage: ctl [<file] exitcode [args...]")
				}
				want, err := strconv.Atoi(args[0])
				ts.Check(err)
				// In this process: see runOurs.
				got := Run("supervisorctl", args[1:], strings.NewReader(stdin), ts.Stdout(), ts.Stderr(), scriptEnv(ts))
				if got != want {
					ts.Fatalf("supervisorctl exited with %d, want %d", got, want)
				}
			},
			"startd": func(ts *testscript.TestScript, neg bool, args []string) {
				text := baseConfig
				if len(args) > 0 {
					text = ts.ReadFile(args[0])
				}
				d := shared.get(scriptFixture{ts}, text)
				scriptDaemons.Store(ts, d)
				ts.Defer(func() { scriptDaemons.Delete(ts) })
				ts.Check(os.Symlink(d.conf, filepath.Join(ts.Getenv("WORK"), "supervisord.conf")))
				ts.Setenv("SOCK", d.Paths.Socket)
				ts.Setenv("CONF", d.conf)
				ts.Setenv("PORT", strconv.Itoa(d.port))
			},
			"appendconf": func(ts *testscript.TestScript, neg bool, args []string) {
				conf := filepath.Join(ts.Getenv("WORK"), "supervisord.conf")
				f, err := os.OpenFile(conf, os.O_APPEND|os.O_WRONLY, 0)
				ts.Check(err)
				_, err = f.WriteString("\n" + ts.ReadFile(args[0]))
				ts.Check(err)
				ts.Check(f.Close())
			},
			"waitstate": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 2 {
					ts.Fatalf("usage: waitstate name STATE")
				}
				d, ok := scriptDaemons.Load(ts)
				if !ok {
					ts.Fatalf("waitstate before startd")
				}
				d.(*daemon).waitState(scriptFixture{ts}, args[0], args[1])
			},
		},
	})
}
