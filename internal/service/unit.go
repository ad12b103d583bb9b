package service

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Unit describes the service to generate.
type Unit struct {
	Description string
	Executable  string // absolute path of the daemon
	Config      string // absolute path of its configuration file
	// StopTimeout is how long systemd lets the daemon stop its children
	// before it kills everything left (TimeoutStopSec).
	StopTimeout time.Duration
	// Watchdog, when > 0, is WatchdogSec=: systemd restarts the service
	// when the daemon's loop has not pinged for that long (it pings at
	// half the interval).
	Watchdog time.Duration
}

// Argv is the daemon's command line: in the foreground, with the given
// configuration.
func (u Unit) Argv() []string {
	return []string{u.Executable, "-n", "-c", u.Config}
}

// Systemd renders the unit file.
func (u Unit) Systemd() (string, error) {
	exec, err := QuoteExec(u.Argv())
	if err != nil {
		return "", err
	}
	desc := strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, u.Description)
	desc = strings.ReplaceAll(desc, "%", "%%")
	stop := int((u.StopTimeout + time.Second - 1) / time.Second)
	if stop <= 0 {
		stop = 90
	}
	var b strings.Builder
	b.WriteString("# Written by 'supervisord service install'; remove it with 'supervisord service uninstall'.\n")
	b.WriteString("[Unit]\n")
	fmt.Fprintf(&b, "Description=%s\n", desc)
	b.WriteString("Documentation=http://supervisord.org\n")
	b.WriteString("After=network-online.target\n")
	b.WriteString("Wants=network-online.target\n")
	b.WriteString("\n[Service]\n")
	// The daemon tells systemd when its servers are bound and its
	// autostart programs launched (READY=1), so units ordered after this
	// one start when supervision has begun, not when the binary was run.
	b.WriteString("Type=notify\n")
	b.WriteString("NotifyAccess=main\n")
	fmt.Fprintf(&b, "ExecStart=%s\n", exec)
	if u.Watchdog > 0 {
		fmt.Fprintf(&b, "WatchdogSec=%dms\n", u.Watchdog.Milliseconds())
	}
	b.WriteString("ExecReload=/bin/kill -HUP $MAINPID\n")
	// SIGTERM to the daemon only: it stops its children itself, in order,
	// with their own stop signals. Whatever is left when TimeoutStopSec
	// runs out gets SIGKILL, so nothing outlives the service.
	b.WriteString("KillMode=mixed\n")
	b.WriteString("KillSignal=SIGTERM\n")
	fmt.Fprintf(&b, "TimeoutStopSec=%d\n", stop)
	b.WriteString("Restart=on-failure\n")
	b.WriteString("RestartSec=5\n")
	b.WriteString("\n[Install]\n")
	b.WriteString("WantedBy=multi-user.target\n")
	return b.String(), nil
}

// QuoteExec writes argv as a systemd command line (the value of
// ExecStart=): words with nothing special as they are, others in double
// quotes with C-style escapes; "%" becomes "%%" and "$" becomes "$$" so
// systemd expands neither specifiers nor variables. argv[0] must be an
// absolute path.
func QuoteExec(argv []string) (string, error) {
	if len(argv) == 0 {
		return "", errors.New("empty command line")
	}
	if !strings.HasPrefix(argv[0], "/") {
		return "", fmt.Errorf("command %q is not an absolute path", argv[0])
	}
	words := make([]string, len(argv))
	for i, a := range argv {
		if !utf8.ValidString(a) || strings.ContainsRune(a, 0) {
			return "", fmt.Errorf("argument %d (%q) cannot be written in a unit file", i, a)
		}
		words[i] = quoteWord(a)
	}
	return strings.Join(words, " "), nil
}

func quoteWord(a string) string {
	if a == ";" {
		return `\;`
	}
	plain := a != ""
	for _, r := range a {
		if r <= ' ' || r == 0x7f || strings.ContainsRune("\"'\\;", r) {
			plain = false
			break
		}
	}
	a = strings.ReplaceAll(a, "%", "%%")
	a = strings.ReplaceAll(a, "$", "$$")
	if plain {
		return a
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range a {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		case '\r':
			b.WriteString(`\r`)
		default:
			if r < ' ' || r == 0x7f {
				fmt.Fprintf(&b, `\x%02x`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// SplitExec parses a systemd command line (as QuoteExec writes it, and the
// common subset of what systemd accepts) back into argv: words separated
// by spaces, single or double quotes, C-style escapes, "%%" and "$$". It
// rejects what it does not understand rather than guess.
func SplitExec(line string) ([]string, error) {
	var argv []string
	var cur strings.Builder
	inWord := false
	var quote byte
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quote == 0 && (c == ' ' || c == '\t'):
			if inWord {
				argv = append(argv, cur.String())
				cur.Reset()
				inWord = false
			}
			continue
		case quote == 0 && (c == '"' || c == '\''):
			quote, inWord = c, true
			continue
		case quote != 0 && c == quote:
			quote = 0
			continue
		case c == '\\':
			if i+1 >= len(line) {
				return nil, errors.New("trailing backslash")
			}
			i++
			switch e := line[i]; e {
			case '\\', '"', '\'', ';', ' ':
				cur.WriteByte(e)
			case 'n':
				cur.WriteByte('\n')
			case 't':
				cur.WriteByte('\t')
			case 'r':
				cur.WriteByte('\r')
			case 's':
				cur.WriteByte(' ')
			case 'x':
				if i+2 >= len(line) {
					return nil, errors.New(`short \x escape`)
				}
				var v byte
				if _, err := fmt.Sscanf(line[i+1:i+3], "%02x", &v); err != nil {
					return nil, fmt.Errorf(`bad \x escape %q`, line[i+1:i+3])
				}
				cur.WriteByte(v)
				i += 2
			default:
				return nil, fmt.Errorf(`unknown escape \%c`, e)
			}
		case c == '%':
			if i+1 >= len(line) || line[i+1] != '%' {
				return nil, errors.New("unexpanded specifier")
			}
			i++
			cur.WriteByte('%')
		case c == '$':
			if i+1 >= len(line) || line[i+1] != '$' {
				return nil, errors.New("unexpanded variable")
			}
			i++
			cur.WriteByte('$')
		default:
			cur.WriteByte(c)
		}
		inWord = true
	}
	if quote != 0 {
		return nil, errors.New("unterminated quote")
	}
	if inWord {
		argv = append(argv, cur.String())
	}
	return argv, nil
}
