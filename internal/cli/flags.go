package cli

import (
	"fmt"
	"strings"
)

// daemonFlags are supervisord's command-line options. Values are kept as
// written; the [supervisord] ones are handed to the config loader as
// overrides so they are checked by the same rules as the file.
type daemonFlags struct {
	config    string
	help      bool
	version   bool
	daemonize bool // a trailing -d with no value (the older Go port's usage)
	overrides map[string]string
	profile   string
}

// option describes one flag: its short and long names, the [supervisord]
// key it overrides ("" for none), and whether it takes a value.
type option struct {
	short, long string
	key         string
	value       bool
}

var daemonOptions = []option{
	{"c", "configuration", "", true},
	{"n", "nodaemon", "nodaemon", false},
	{"s", "silent", "silent", false},
	{"h", "help", "", false},
	{"?", "help", "", false}, // as in the reference's getopt string
	{"v", "version", "", false},
	{"u", "user", "user", true},
	{"m", "umask", "umask", true},
	{"d", "directory", "directory", true},
	{"l", "logfile", "logfile", true},
	{"y", "logfile_maxbytes", "logfile_maxbytes", true},
	{"z", "logfile_backups", "logfile_backups", true},
	{"e", "loglevel", "loglevel", true},
	{"j", "pidfile", "pidfile", true},
	{"i", "identifier", "identifier", true},
	{"q", "childlogdir", "childlogdir", true},
	{"k", "nocleanup", "nocleanup", false},
	{"a", "minfds", "minfds", true},
	{"t", "strip_ansi", "strip_ansi", false},
	{"", "minprocs", "minprocs", true},
	{"", "profile_options", "", true},
}

// parseDaemonFlags reads argv (without the program name) the way getopt
// does for the reference: short options may be bundled (-nc file) or take
// their value attached (-cfile); long ones take --name=value or --name
// value. A -d that ends the command line has no value and means
// "daemonize", as in the older Go port.
func parseDaemonFlags(args []string) (*daemonFlags, error) {
	f := &daemonFlags{overrides: map[string]string{}}
	set := func(o option, v string) {
		switch o.long {
		case "configuration":
			f.config = v
		case "help":
			f.help = true
		case "version":
			f.version = true
		case "profile_options":
			f.profile = v
		default:
			if !o.value {
				v = "true"
			}
			f.overrides[o.key] = v
		}
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			if i+1 < len(args) {
				return nil, fmt.Errorf("positional arguments are not supported: %s", strings.Join(args[i+1:], " "))
			}
			return f, nil
		case strings.HasPrefix(a, "--"):
			name, val, hasVal := strings.Cut(a[2:], "=")
			o, ok := findLong(name)
			if !ok {
				return nil, fmt.Errorf("option --%s not recognized", name)
			}
			if o.value && !hasVal {
				if i+1 >= len(args) {
					return nil, fmt.Errorf("option --%s requires argument", name)
				}
				i++
				val = args[i]
			} else if !o.value && hasVal {
				return nil, fmt.Errorf("option --%s must not have an argument", name)
			}
			set(o, val)
		case strings.HasPrefix(a, "-") && len(a) > 1:
			for j := 1; j < len(a); j++ {
				o, ok := findShort(a[j : j+1])
				if !ok {
					return nil, fmt.Errorf("option -%s not recognized", a[j:j+1])
				}
				if !o.value {
					set(o, "")
					continue
				}
				val := a[j+1:]
				if val == "" {
					if i+1 >= len(args) {
						if o.short == "d" {
							f.daemonize = true
							break
						}
						return nil, fmt.Errorf("option -%s requires argument", o.short)
					}
					i++
					val = args[i]
				}
				set(o, val)
				break
			}
		default:
			return nil, fmt.Errorf("positional arguments are not supported: %s", strings.Join(args[i:], " "))
		}
	}
	return f, nil
}

func findShort(s string) (option, bool) {
	for _, o := range daemonOptions {
		if o.short == s {
			return o, true
		}
	}
	return option{}, false
}

func findLong(s string) (option, bool) {
	for _, o := range daemonOptions {
		if o.long == s {
			return o, true
		}
	}
	return option{}, false
}

const daemonUsage = `supervisord -- run a set of applications as daemons (compatible with Supervisor 4).

Usage: %s [options]
       %s ctl [options] [command [args]]   (the supervisorctl client)
       %s version | check [-c FILE] [--json] | service ... | pidproxy ... | echo_supervisord_conf

Options:
-c/--configuration FILENAME -- configuration file (searched for when not given)
-n/--nodaemon -- stay in the foreground (as nodaemon=true in the file)
-s/--silent -- do not echo the log to stdout (as silent=true)
-h/-?/--help -- print this message and exit
-v/--version -- print the version and exit
-u/--user USER -- run as this user (name or numeric uid)
-m/--umask UMASK -- umask of the daemonized process (default 022)
-d/--directory DIRECTORY -- directory to change to when daemonized
                            (a -d ending the command line means: daemonize)
-l/--logfile FILENAME -- use FILENAME as the daemon's log file
-y/--logfile_maxbytes BYTES -- rotate the log file when it reaches BYTES
-z/--logfile_backups NUM -- number of rotated log files to keep
-e/--loglevel LEVEL -- critical, error, warn, info, debug, trace or blather
-j/--pidfile FILENAME -- write the daemon's pid to FILENAME
-i/--identifier STR -- identifier of this supervisord instance
-q/--childlogdir DIRECTORY -- directory for AUTO child log files
-k/--nocleanup -- keep old AUTO child log files at start
-a/--minfds NUM -- file descriptors that must be available to start
-t/--strip_ansi -- strip ANSI escape sequences from child output
--minprocs NUM -- processes that must be available to start
--profile_options OPTIONS -- accepted for compatibility; ignored
`
