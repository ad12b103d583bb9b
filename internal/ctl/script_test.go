package ctl

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
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
//	ctl code args...    run supervisorctl, expecting exit status code
//	startd [file]       borrow a daemon on the base config, or on file;
//	                    $WORK/supervisord.conf links to its config, which
//	                    is also $CONF; $SOCK and $PORT are its socket and
//	                    TCP port
//	appendconf file     append file to the daemon's config
//	waitstate name ST   wait until process name is in state ST
func TestScripts(t *testing.T) {
	t.Parallel()
	requireDaemon(t)
	testscript.Run(t, testscript.Params{
		Dir: filepath.Join("..", "..", "testdata", "ctl", "scripts"),
		Setup: func(env *testscript.Env) error {
			env.Setenv("NO_COLOR", "1")
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"ctl": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) < 1 {
					ts.Fatalf("usage: ctl exitcode [args...]")
				}
				want, err := strconv.Atoi(args[0])
				ts.Check(err)
				got := 0
				if err := ts.Exec("supervisorctl", args[1:]...); err != nil {
					var ee *exec.ExitError
					if !errors.As(err, &ee) {
						ts.Fatalf("supervisorctl: %v", err)
					}
					got = ee.ExitCode()
				}
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
