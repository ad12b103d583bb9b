package spawn

import (
	"fmt"
	"strings"
	"syscall"
	"unicode"
	"unicode/utf8"

	"supervisord/internal/faults"
)

// SearchDirs splits a PATH value into the directories Resolve searches; an
// empty value (the daemon has no PATH) means /bin, /usr/bin and
// /usr/local/bin, as in Supervisor.
func SearchDirs(path string) []string {
	if path == "" {
		return []string{"/bin", "/usr/bin", "/usr/local/bin"}
	}
	return strings.Split(path, ":")
}

// Resolve finds the file to execute for a command's first word as
// Supervisor does. A name with a slash is used as is; otherwise the
// directories of path (a PATH value, see SearchDirs) are tried in order and
// the first entry that exists wins, whatever it is. The result is then
// checked, with Supervisor's messages and fault codes:
//
//	NO_FILE         can't find command 'foo'
//	NOT_EXECUTABLE  command at '/x' is a directory
//	NOT_EXECUTABLE  command at '/x' is not executable
//	NOT_EXECUTABLE  no permission to run command '/x'
//
// The returned error is a *faults.Error whose Detail is the text Supervisor
// records as spawnerr.
func Resolve(argv0, path string) (string, error) {
	return ResolveIn(argv0, SearchDirs(path))
}

// ResolveIn is Resolve with the search directories given as a list. An
// empty directory means the daemon's working directory, as in Supervisor.
func ResolveIn(argv0 string, dirs []string) (string, error) {
	var st syscall.Stat_t
	filename := argv0
	found := false
	if strings.Contains(argv0, "/") {
		found = stat(argv0, &st) == nil
	} else {
		for _, dir := range dirs {
			candidate := joinPath(dir, argv0)
			if stat(candidate, &st) == nil {
				filename, found = candidate, true
				break
			}
		}
	}
	switch {
	case !found:
		return "", faults.New(faults.NoFile, "can't find command "+pyRepr(filename))
	case st.Mode&syscall.S_IFMT == syscall.S_IFDIR:
		return "", faults.New(faults.NotExecutable, fmt.Sprintf("command at %s is a directory", pyRepr(filename)))
	case st.Mode&0o111 == 0:
		return "", faults.New(faults.NotExecutable, fmt.Sprintf("command at %s is not executable", pyRepr(filename)))
	case syscall.Access(filename, 1 /* X_OK */) != nil:
		return "", faults.New(faults.NotExecutable, "no permission to run command "+pyRepr(filename))
	}
	return filename, nil
}

func stat(name string, st *syscall.Stat_t) error {
	for {
		err := syscall.Stat(name, st)
		if err != syscall.EINTR {
			return err
		}
	}
}

// joinPath joins like Python's os.path.join for a name without slashes.
func joinPath(dir, name string) string {
	if dir == "" || strings.HasSuffix(dir, "/") {
		return dir + name
	}
	return dir + "/" + name
}

// pyRepr quotes s as Python's repr() quotes a str, which is how Supervisor
// puts file names in its messages: single quotes unless s holds a single
// quote and no double quote, with backslash escapes for the rest. Bytes
// that are not UTF-8 appear as Python shows undecodable file-name bytes
// (\udcXX).
func pyRepr(s string) string {
	quote := '\''
	if strings.ContainsRune(s, '\'') && !strings.ContainsRune(s, '"') {
		quote = '"'
	}
	var b strings.Builder
	b.WriteRune(quote)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			fmt.Fprintf(&b, `\udc%02x`, s[i])
			i++
			continue
		}
		i += size
		switch {
		case r == quote || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r < 0x7f || unicode.IsPrint(r):
			b.WriteRune(r)
		case r <= 0xff:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r <= 0xffff:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			fmt.Fprintf(&b, `\U%08x`, r)
		}
	}
	b.WriteRune(quote)
	return b.String()
}
