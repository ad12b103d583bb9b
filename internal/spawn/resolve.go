package spawn

import (
	"fmt"
	"strings"
	"syscall"

	"supervisord/internal/faults"
	"supervisord/internal/pycompat"
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
		return "", faults.New(faults.NoFile, "can't find command "+pycompat.Repr(filename))
	case st.Mode&syscall.S_IFMT == syscall.S_IFDIR:
		return "", faults.New(faults.NotExecutable, fmt.Sprintf("command at %s is a directory", pycompat.Repr(filename)))
	case st.Mode&0o111 == 0:
		return "", faults.New(faults.NotExecutable, fmt.Sprintf("command at %s is not executable", pycompat.Repr(filename)))
	case syscall.Access(filename, 1 /* X_OK */) != nil:
		return "", faults.New(faults.NotExecutable, "no permission to run command "+pycompat.Repr(filename))
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
