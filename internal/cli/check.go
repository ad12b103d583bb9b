package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"time"

	"supervisord/internal/config"
	"supervisord/internal/faults"
	"supervisord/internal/spawn"
)

// `supervisord check -c FILE [--json]` validates a configuration without
// starting anything, like `nginx -t`: for image builds, CI and config
// management before a reload. It reports every error and warning with
// file and line and exits 0 when the daemon would start with the file, 1
// when it would not, 2 on a usage error.

// checkFinding is one error or warning, as --json writes it.
type checkFinding struct {
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"`
	Section string `json:"section,omitempty"`
	Key     string `json:"key,omitempty"`
	Message string `json:"message"`
	Text    string `json:"text"` // the whole line as the text output shows it
}

type checkReport struct {
	File     string         `json:"file"`
	OK       bool           `json:"ok"`
	Files    []string       `json:"files,omitempty"`
	Groups   int            `json:"groups"`
	Programs int            `json:"programs"`
	Errors   []checkFinding `json:"errors"`
	Warnings []checkFinding `json:"warnings"`
}

const checkUsage = `usage: %s check [-c FILE] [--json]

Parse and validate the configuration without starting anything. Every
error and warning is printed with its file and line; the exit status is 0
when the file is valid and every program can be started as written
(commands found, directories present), 1 otherwise.

  -c, --configuration FILE  the file (searched for as the daemon does when absent)
  --json                    one JSON object on stdout instead of lines
`

func runCheck(prog string, args []string, stdout, stderr io.Writer) int {
	var path string
	asJSON := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--json":
			asJSON = true
		case a == "-h" || a == "--help":
			fmt.Fprintf(stdout, checkUsage, prog)
			return 0
		case a == "-c" || a == "--configuration":
			if i+1 >= len(args) {
				fmt.Fprintf(stderr, "Error: option %s requires argument\n", a)
				return 2
			}
			i++
			path = args[i]
		case len(a) > 2 && a[:2] == "-c":
			path = a[2:]
		case len(a) > 16 && a[:16] == "--configuration=":
			path = a[16:]
		default:
			fmt.Fprintf(stderr, "Error: check: unexpected argument %q\n", a)
			fmt.Fprintf(stderr, checkUsage, prog)
			return 2
		}
	}
	if path == "" {
		cwd, _ := os.Getwd()
		exe, _ := os.Executable()
		found, err := config.Find(cwd, exe)
		if err != nil {
			fmt.Fprintf(stderr, "Error: %v\n", err)
			return 2
		}
		path = found
	}
	rep := checkConfig(path)
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(rep)
	} else {
		for _, e := range rep.Errors {
			fmt.Fprintf(stdout, "error: %s\n", e.Text)
		}
		for _, w := range rep.Warnings {
			fmt.Fprintf(stdout, "warning: %s\n", w.Text)
		}
		if rep.OK {
			fmt.Fprintf(stdout, "%s: configuration is valid (%d programs in %d groups, %d warnings)\n",
				rep.File, rep.Programs, rep.Groups, len(rep.Warnings))
		} else {
			fmt.Fprintf(stdout, "%s: configuration is invalid (%d errors, %d warnings)\n",
				rep.File, len(rep.Errors), len(rep.Warnings))
		}
	}
	if !rep.OK {
		return 1
	}
	return 0
}

// checkConfig loads path and, when it loads, checks what the daemon would
// only find out later: commands missing from PATH, program directories
// that do not exist, unix sockets that cannot be created or are in use,
// addresses that do not resolve.
func checkConfig(path string) checkReport {
	rep := checkReport{File: path, Errors: []checkFinding{}, Warnings: []checkFinding{}}
	if abs, err := filepath.Abs(path); err == nil {
		rep.File = abs
	}
	cfg, warnings, err := config.Check(path, config.LoadOptions{})
	for _, w := range warnings {
		rep.Warnings = append(rep.Warnings, parseFinding(w))
	}
	if err != nil {
		var es config.Errors
		if errors.As(err, &es) {
			for _, e := range es {
				rep.Errors = append(rep.Errors, findingOf(e))
			}
		} else {
			rep.Errors = append(rep.Errors, checkFinding{File: path, Message: err.Error(), Text: err.Error()})
		}
		return rep
	}
	rep.Files = cfg.Files
	errorf := func(pos config.Pos, section, key, format string, args ...any) {
		rep.Errors = append(rep.Errors, findingOf(&config.Error{Pos: pos, Section: section, Key: key, Msg: fmt.Sprintf(format, args...)}))
	}
	warnf := func(pos config.Pos, section, key, format string, args ...any) {
		rep.Warnings = append(rep.Warnings, findingOf(&config.Error{Pos: pos, Section: section, Key: key, Msg: fmt.Sprintf(format, args...)}))
	}
	basePath := os.Getenv("PATH")
	for _, kv := range cfg.Supervisord.Environment {
		if kv.Key == "PATH" {
			basePath = kv.Value
		}
	}
	for _, g := range cfg.Groups {
		rep.Groups++
		for _, p := range g.Processes {
			rep.Programs++
			if p.CommandError != "" {
				errorf(p.Pos, p.Section, "command", "%s", p.CommandError)
				continue
			}
			path := basePath
			for _, kv := range p.Environment {
				if kv.Key == "PATH" {
					path = kv.Value
				}
			}
			if len(p.Command) > 0 {
				if _, err := spawn.Resolve(p.Command[0], path); err != nil {
					errorf(p.Pos, p.Section, "command", "%s", spawnDetail(err))
				}
			}
			if p.Directory != "" {
				if st, err := os.Stat(p.Directory); err != nil || !st.IsDir() {
					errorf(p.Pos, p.Section, "directory", "%s is not an existing directory", p.Directory)
				}
			}
		}
	}
	for _, u := range cfg.UnixServers {
		pos := config.Pos{File: cfg.File}
		dir := filepath.Dir(u.File)
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			errorf(pos, u.Section, "file", "the directory of the socket %s does not exist", u.File)
			continue
		}
		if c, err := net.DialTimeout("unix", u.File, time.Second); err == nil {
			c.Close()
			warnf(pos, u.Section, "file", "%s is in use (a running supervisord?); the daemon cannot start while it is", u.File)
		}
	}
	for _, in := range cfg.InetServers {
		if in.Host == "" || in.Host == "*" {
			continue
		}
		if _, err := net.LookupHost(in.Host); err != nil {
			errorf(config.Pos{File: cfg.File}, in.Section, "port", "cannot resolve host %s: %v", in.Host, err)
		}
	}
	rep.OK = len(rep.Errors) == 0
	return rep
}

// spawnDetail is the message of a spawn.Resolve error (Supervisor's
// spawnerr text).
func spawnDetail(err error) string {
	var f *faults.Error
	if errors.As(err, &f) {
		return f.Detail
	}
	return err.Error()
}

func findingOf(e *config.Error) checkFinding {
	return checkFinding{File: e.Pos.File, Line: e.Pos.Line, Section: e.Section, Key: e.Key, Message: e.Msg, Text: e.Error()}
}

// A line number is written as the loader writes it: positive, with no
// leading zero.
var findingRE = regexp.MustCompile(`^(.+?):([1-9]\d*): (?:\[([^\]]+)\] )?(.*)$`)

// parseFinding splits a warning the loader formatted ("file:line:
// [section] key: message") back into fields.
func parseFinding(s string) checkFinding {
	m := findingRE.FindStringSubmatch(s)
	if m == nil {
		return checkFinding{Message: s, Text: s}
	}
	line, err := strconv.Atoi(m[2])
	if err != nil {
		return checkFinding{Message: s, Text: s}
	}
	return checkFinding{File: m[1], Line: line, Section: m[3], Message: m[4], Text: s}
}
