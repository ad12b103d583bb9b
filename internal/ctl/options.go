package ctl

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// usageText is printed by -h; "%s" becomes the program name.
const usageText = `supervisorctl -- control applications run by supervisord from the command line.

Usage: %s [options] [action [arguments]]

Options:
-c/--configuration FILENAME -- config file to read (searched for if not given)
-h/--help -- show this message and exit
-i/--interactive -- start an interactive shell after the command
-s/--serverurl URL -- where supervisord listens
     (default "http://localhost:9001").
-u/--username USERNAME -- user name for the server's authentication
-p/--password PASSWORD -- password for the server's authentication
-r/--history-file -- keep the shell's line history in this file
--cafile FILE -- CA certificates (PEM) that an https:// server's certificate
     must chain to (default: the system's)

action [arguments] -- see below

Actions are commands such as "tail" or "stop". With -i, or when no action is
given, an interactive shell reads actions from the terminal. The action
"help" lists the available actions.
`

// options is the realized client configuration.
type options struct {
	progname    string
	configFile  string
	interactive bool
	serverURL   string
	username    *string
	password    *string
	prompt      string
	historyFile string
	caFile      string // PEM CAs for https:// servers; "" for the system's
	args        []string
}

type optSpec struct {
	name   string // attribute, "" for help
	hasArg bool
}

var shortOpts = map[byte]optSpec{
	'h': {"help", false}, '?': {"help", false},
	'c': {"configfile", true}, 'i': {"interactive", false},
	's': {"serverurl", true}, 'u': {"username", true},
	'p': {"password", true}, 'r': {"history", true},
}

// longOpts in the reference's declaration order.
var longOpts = []struct {
	long string
	spec optSpec
}{
	{"help", optSpec{"help", false}},
	{"configuration", optSpec{"configfile", true}},
	{"interactive", optSpec{"interactive", false}},
	{"serverurl", optSpec{"serverurl", true}},
	{"username", optSpec{"username", true}},
	{"password", optSpec{"password", true}},
	{"history_file", optSpec{"history", true}},
	{"cafile", optSpec{"cafile", true}},
}

type parsedOpt struct {
	display string // "-s" or "--serverurl"
	spec    optSpec
	arg     string
}

// getopt splits args the way Python's getopt.getopt does: options stop at
// the first non-option argument or "--"; long options may be abbreviated
// to a unique prefix.
func getopt(args []string) ([]parsedOpt, []string, error) {
	var out []parsedOpt
	for len(args) > 0 {
		a := args[0]
		if a == "--" {
			return out, args[1:], nil
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			return out, args, nil
		}
		args = args[1:]
		if strings.HasPrefix(a, "--") {
			name, val, hasVal := strings.Cut(a[2:], "=")
			if name == "history-file" {
				name = "history_file" // the spelling the help text uses
			}
			full, spec, err := matchLong(name)
			if err != nil {
				return nil, nil, err
			}
			switch {
			case spec.hasArg && !hasVal:
				if len(args) == 0 {
					return nil, nil, fmt.Errorf("option --%s requires argument", full)
				}
				val, args = args[0], args[1:]
			case !spec.hasArg && hasVal:
				return nil, nil, fmt.Errorf("option --%s must not have an argument", full)
			}
			out = append(out, parsedOpt{"--" + full, spec, val})
			continue
		}
		cluster := a[1:]
		for cluster != "" {
			ch := cluster[0]
			cluster = cluster[1:]
			spec, ok := shortOpts[ch]
			if !ok {
				return nil, nil, fmt.Errorf("option -%c not recognized", ch)
			}
			val := ""
			if spec.hasArg {
				if cluster == "" {
					if len(args) == 0 {
						return nil, nil, fmt.Errorf("option -%c requires argument", ch)
					}
					cluster, args = args[0], args[1:]
				}
				val, cluster = cluster, ""
			}
			out = append(out, parsedOpt{"-" + string(ch), spec, val})
		}
	}
	return out, nil, nil
}

func matchLong(name string) (string, optSpec, error) {
	var matches []int
	for i, l := range longOpts {
		if l.long == name {
			return l.long, l.spec, nil
		}
		// --cafile is ours: "--c" keeps meaning --configuration, as in
		// the reference.
		if strings.HasPrefix(l.long, name) && (l.long != "cafile" || strings.HasPrefix(name, "ca")) {
			matches = append(matches, i)
		}
	}
	switch len(matches) {
	case 0:
		return "", optSpec{}, fmt.Errorf("option --%s not recognized", name)
	case 1:
		l := longOpts[matches[0]]
		return l.long, l.spec, nil
	}
	return "", optSpec{}, fmt.Errorf("option --%s not a unique prefix", name)
}

// parseOptions realizes the options like ClientOptions.realize. done is
// true when the program should exit with code now (help or usage error).
func parseOptions(progname string, args []string, stdout, stderr io.Writer, env Env) (opts *options, code int, done bool) {
	usage := func(msg string) (*options, int, bool) {
		fmt.Fprintf(stderr, "Error: %s\n", msg)
		fmt.Fprintf(stderr, "For help, use %s -h\n", progname)
		return nil, 2, true
	}
	parsed, rest, err := getopt(args)
	if err != nil {
		return usage(err.Error())
	}
	o := &options{progname: progname, args: rest}
	set := map[string]bool{}
	var serverURL, username, password, history, caFile string
	for _, p := range parsed {
		if p.spec.name == "help" {
			fmt.Fprint(stdout, strings.ReplaceAll(usageText, "%s", progname)+"\n")
			return nil, 0, true
		}
		if p.spec.name == "serverurl" && !looksLikeURL(p.arg) {
			return usage(fmt.Sprintf("invalid value for %s %s: value %s is not a URL", p.display, pyRepr(p.arg), pyRepr(p.arg)))
		}
		if set[p.spec.name] {
			return usage(fmt.Sprintf("conflicting command line option %s", pyRepr(p.display)))
		}
		set[p.spec.name] = true
		switch p.spec.name {
		case "configfile":
			o.configFile = p.arg
		case "interactive":
			o.interactive = true
		case "serverurl":
			serverURL = p.arg
		case "username":
			username = p.arg
		case "password":
			password = p.arg
		case "history":
			history = p.arg
		case "cafile":
			caFile = p.arg
		}
	}
	if !set["configfile"] {
		for _, path := range env.SearchPaths {
			if _, err := os.Stat(absFrom(env.Cwd, path)); err == nil {
				o.configFile = path
				break
			}
		}
	}
	var sec *ctlSection
	if o.configFile != "" {
		sec, err = readCtlSection(o.configFile, env)
		if err != nil {
			return usage(err.Error())
		}
	}
	o.prompt = "supervisor"
	o.serverURL = "http://localhost:9001"
	if sec != nil {
		o.serverURL = sec.serverURL
		o.prompt = sec.prompt
		o.username = sec.username
		o.password = sec.password
		o.historyFile = sec.historyFile
		o.caFile = sec.caFile
	}
	if set["serverurl"] {
		o.serverURL = serverURL
	}
	if set["username"] {
		o.username = &username
	}
	if set["password"] {
		o.password = &password
	}
	if set["cafile"] {
		o.caFile = normalizePath(env, caFile)
	}
	if set["history"] {
		// The reference accepts -r but never uses it; here it names the
		// shell's history file, as its help text promises.
		o.historyFile = normalizePath(env, history)
	}
	if len(rest) == 0 {
		o.interactive = true
	}
	return o, 0, false
}

// looksLikeURL is the reference's check for -s: a scheme and a host or path.
func looksLikeURL(v string) bool {
	scheme, rest := splitScheme(v)
	if scheme == "" {
		return false
	}
	if strings.HasPrefix(rest, "//") {
		netloc := rest[2:]
		if i := strings.IndexAny(netloc, "/?#"); i >= 0 {
			return i > 0 || netloc[i:] != ""
		}
		return netloc != ""
	}
	return rest != ""
}

// splitScheme splits "scheme:rest" when the prefix is a valid URL scheme.
func splitScheme(v string) (scheme, rest string) {
	i := strings.IndexByte(v, ':')
	if i <= 0 {
		return "", v
	}
	for j := 0; j < i; j++ {
		c := v[j]
		alpha := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !alpha && (j == 0 || !(c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return "", v
		}
	}
	return strings.ToLower(v[:i]), v[i+1:]
}

func absFrom(cwd, p string) string {
	if filepath.IsAbs(p) || cwd == "" {
		return p
	}
	return filepath.Join(cwd, p)
}

// normalizePath expands ~ and makes p absolute and clean.
func normalizePath(env Env, p string) string {
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home := env.Getenv("HOME"); home != "" {
			p = home + p[1:]
		}
	}
	return filepath.Clean(absFrom(env.Cwd, p))
}
