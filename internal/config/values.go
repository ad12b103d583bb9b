package config

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"supervisord/internal/pycompat"
)

// This file holds the value types of Supervisor's datatypes module:
// each parser accepts what the reference accepts and fails with the
// reference's message where it has one of its own.

func pyInt(s string) (int64, error) { return pycompat.Int(s) }

func parseInt(s string) (int, error) {
	n, err := pyInt(s)
	if err != nil {
		return 0, err
	}
	if int64(int(n)) != n {
		return 0, fmt.Errorf("invalid integer %q", s)
	}
	return int(n), nil
}

// parseBool accepts yes/no, true/false, on/off and 1/0 in any case.
func parseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "yes", "true", "on", "1":
		return true, nil
	case "no", "false", "off", "0":
		return false, nil
	}
	return false, fmt.Errorf("not a valid boolean value: %s", pyRepr(s))
}

// parseByteSize reads a byte count with an optional KB, MB or GB suffix
// (any case). Like the reference, a one-letter suffix ("1M") is invalid.
func parseByteSize(s string) (int64, error) {
	l := strings.ToLower(s)
	mult := int64(1)
	num := l
	if len(l) >= 2 {
		switch l[len(l)-2:] {
		case "kb":
			mult, num = 1024, l[:len(l)-2]
		case "mb":
			mult, num = 1024*1024, l[:len(l)-2]
		case "gb":
			mult, num = 1024*1024*1024, l[:len(l)-2]
		}
	}
	n, err := pyInt(num)
	if err != nil {
		return 0, fmt.Errorf("invalid byte size %q (want an integer with an optional KB, MB or GB suffix)", s)
	}
	return n * mult, nil
}

// parseSignal reads a signal name (with or without SIG, any case) or
// number.
func parseSignal(s string) (syscall.Signal, error) { return pycompat.SignalNumber(s) }

// parseExitCodes reads a comma-separated list of exit statuses (0-255).
func parseExitCodes(s string) ([]int, error) {
	if s == "" {
		return []int{}, nil
	}
	var out []int
	for _, part := range strings.Split(s, ",") {
		n, err := pyInt(part)
		if err != nil || n < 0 || n > 255 {
			return nil, fmt.Errorf("not a valid list of exit codes: %s", pyRepr(s))
		}
		out = append(out, int(n))
	}
	return out, nil
}

// parseOctal reads a file mode written in octal ("022", "0o022").
func parseOctal(s string) (os.FileMode, error) {
	t := pyStrip(s)
	neg := strings.HasPrefix(t, "-")
	t = strings.TrimLeft(t, "+-")
	if len(t) > 2 && (t[:2] == "0o" || t[:2] == "0O") {
		t = t[2:]
		t = strings.TrimPrefix(t, "_")
	}
	if neg || t == "" || t[0] == '_' || t[len(t)-1] == '_' || strings.Contains(t, "__") {
		return 0, fmt.Errorf("%s can not be converted to an octal type", s)
	}
	n, err := strconv.ParseUint(strings.ReplaceAll(t, "_", ""), 8, 32)
	if err != nil {
		return 0, fmt.Errorf("%s can not be converted to an octal type", s)
	}
	return os.FileMode(n), nil
}

// parseLevel reads a log level name.
func parseLevel(s string) (Level, error) { return pycompat.ParseLevel(s) }

// parseAutoRestart reads the autorestart option.
func parseAutoRestart(s string) (AutoRestart, error) {
	l := strings.ToLower(s)
	switch l {
	case "yes", "true", "on", "1":
		return RestartAlways, nil
	case "no", "false", "off", "0":
		return RestartNever, nil
	case "unexpected":
		return RestartUnexpected, nil
	}
	return 0, fmt.Errorf("invalid 'autorestart' value %s", pyRepr(l))
}

// parsePort reads a TCP port number (1-65535).
func parsePort(s string) (int, error) {
	n, err := pyInt(s)
	if err != nil {
		return 0, err
	}
	if n < 1 {
		return 0, fmt.Errorf("%d is below lower bound (1)", n)
	}
	if n > 0xffff {
		return 0, fmt.Errorf("%d is above upper bound (65535)", n)
	}
	return int(n), nil
}

// parseInetAddress reads "host:port", ":port", "*:port" or "port".
// An empty host means every interface.
func parseInetAddress(s string) (string, int, error) {
	host := ""
	var port int
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		host, s = s[:i], s[i+1:]
		if s == "" {
			return "", 0, fmt.Errorf("no port number specified in %s", pyRepr(host+":"))
		}
		p, err := parsePort(s)
		if err != nil {
			return "", 0, err
		}
		port = p
		host = strings.ToLower(host)
	} else {
		p, err := parsePort(s)
		if err != nil {
			return "", 0, fmt.Errorf("not a valid port number: %s", pyRepr(s))
		}
		port = p
	}
	if host == "*" {
		host = ""
	}
	return host, port, nil
}

// checkName refuses process and group names that would break the
// event listener protocol or web URLs.
func checkName(name string) (string, error) {
	s := pyStrip(name)
	for _, c := range " :/" {
		if strings.ContainsRune(s, c) {
			return "", fmt.Errorf("Invalid name: %s because of character: %s", pyRepr(name), pyRepr(string(c)))
		}
	}
	return s, nil
}

// lookupUser resolves a user name or numeric id to an account, with its
// primary and supplementary groups.
func lookupUser(name string) (*User, error) {
	var u *user.User
	var err error
	if n, perr := pyInt(name); perr == nil {
		u, err = user.LookupId(strconv.FormatInt(n, 10))
		if err != nil {
			return nil, fmt.Errorf("Invalid user id %s", name)
		}
	} else {
		u, err = user.Lookup(name)
		if err != nil {
			return nil, fmt.Errorf("Invalid user name %s", name)
		}
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	res := &User{Name: u.Username, Uid: uint32(uid), Gid: uint32(gid), Home: u.HomeDir}
	if ids, err := u.GroupIds(); err == nil {
		for _, id := range ids {
			if g, err := strconv.ParseUint(id, 10, 32); err == nil {
				res.Groups = append(res.Groups, uint32(g))
			}
		}
	}
	return res, nil
}

// lookupGroup resolves a group name or numeric id to a gid.
func lookupGroup(name string) (uint32, error) {
	if n, err := pyInt(name); err == nil {
		g, err := user.LookupGroupId(strconv.FormatInt(n, 10))
		if err != nil {
			return 0, fmt.Errorf("Invalid group id %s", name)
		}
		gid, _ := strconv.ParseUint(g.Gid, 10, 32)
		return uint32(gid), nil
	}
	g, err := user.LookupGroup(name)
	if err != nil {
		return 0, fmt.Errorf("Invalid group name %s", name)
	}
	gid, _ := strconv.ParseUint(g.Gid, 10, 32)
	return uint32(gid), nil
}

// KeepID in User.Gid of a chown or socket owner means "leave the group
// unchanged", as chown(2) reads (gid_t)-1.
const KeepID = ^uint32(0)

// parseUserGroup reads "user" or "user:group" for chown and socket_owner.
// With no group, Gid is KeepID.
func parseUserGroup(s string) (*User, error) {
	parts := strings.SplitN(s, ":", 2)
	u, err := lookupUser(parts[0])
	if err != nil {
		return nil, err
	}
	if len(parts) == 1 {
		u.Gid = KeepID
		return u, nil
	}
	gid, err := lookupGroup(parts[1])
	if err != nil {
		return nil, err
	}
	u.Gid = gid
	return u, nil
}

// expandUser replaces a leading ~ or ~user like os.path.expanduser.
func expandUser(p string) string {
	if !strings.HasPrefix(p, "~") {
		return p
	}
	i := strings.IndexByte(p, '/')
	if i < 0 {
		i = len(p)
	}
	var home string
	if i == 1 {
		home = os.Getenv("HOME")
		if home == "" {
			if u, err := user.Current(); err == nil {
				home = u.HomeDir
			}
		}
	} else if u, err := user.Lookup(p[1:i]); err == nil {
		home = u.HomeDir
	}
	if home == "" {
		return p
	}
	if home != "/" {
		home = strings.TrimRight(home, "/")
	}
	return home + p[i:]
}

// normalizePath makes p absolute and clean after expanding ~.
func normalizePath(p string) string {
	a, err := filepath.Abs(expandUser(p))
	if err != nil {
		return filepath.Clean(expandUser(p))
	}
	return a
}

// existingDirectory requires p (after ~ expansion) to be a directory.
func existingDirectory(p string) (string, error) {
	np := expandUser(p)
	if st, err := os.Stat(np); err == nil && st.IsDir() {
		return np, nil
	}
	return "", fmt.Errorf("%s is not an existing directory", p)
}

// existingDirpath requires the directory part of p, if any, to exist.
func existingDirpath(p string) (string, error) {
	np := expandUser(p)
	dir := filepath.Dir(np)
	if !strings.Contains(np, "/") {
		return np, nil
	}
	if dir == "" {
		dir = "/"
	}
	if st, err := os.Stat(dir); err == nil && st.IsDir() {
		return np, nil
	}
	return "", fmt.Errorf("The directory named as part of the path %s does not exist", p)
}

// errNoClosingQuote is shlex's complaint about an unterminated quote.
var errNoClosingQuote = errors.New("No closing quotation")

// parseKeyValuePairs reads "KEY=val,KEY2='a, b'" the way the reference's
// dict_of_key_value_pairs does (a non-POSIX shlex with extra word
// characters, every fourth token taken as a separator). Pairs keep the
// order of their first appearance; a repeated key keeps its last value.
func parseKeyValuePairs(s string) ([]EnvVar, error) {
	toks, err := shlexTokens(s)
	if err != nil {
		return nil, err
	}
	var out []EnvVar
	index := map[string]int{}
	for i := 0; i < len(toks); i += 4 {
		if len(toks)-i < 3 || toks[i+1] != "=" {
			return nil, fmt.Errorf("Unexpected end of key/value pairs in value '%s'", s)
		}
		k, v := toks[i], strings.Trim(toks[i+2], `'"`)
		if j, ok := index[k]; ok {
			out[j].Value = v
			continue
		}
		index[k] = len(out)
		out = append(out, EnvVar{Key: k, Value: v})
	}
	return out, nil
}

func isShlexWordChar(r rune) bool {
	return r < 0x80 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
		strings.ContainsRune("_/.+-():", r))
}

// shlexTokens splits like Python's shlex.shlex(s) in non-POSIX mode with
// the word characters Supervisor adds: quoted tokens keep their quotes,
// '#' starts a comment, and every other character is a token by itself.
func shlexTokens(s string) ([]string, error) {
	rs := []rune(s)
	var toks []string
	i := 0
	for i < len(rs) {
		r := rs[i]
		switch {
		case r == ' ' || r == '\t' || r == '\r' || r == '\n':
			i++
		case r == '#':
			for i < len(rs) && rs[i] != '\n' {
				i++
			}
		case isShlexWordChar(r):
			var tok []rune
			for i < len(rs) {
				c := rs[i]
				if c == '#' {
					// A comment inside a word swallows the rest of the line
					// and the word carries on with the next line.
					for i < len(rs) && rs[i] != '\n' {
						i++
					}
					i++
					continue
				}
				if isShlexWordChar(c) || c == '\'' || c == '"' {
					tok = append(tok, c)
					i++
					continue
				}
				break
			}
			toks = append(toks, string(tok))
		case r == '\'' || r == '"':
			j := i + 1
			for j < len(rs) && rs[j] != r {
				j++
			}
			if j >= len(rs) {
				return nil, errNoClosingQuote
			}
			toks = append(toks, string(rs[i:j+1]))
			i = j + 1
		default:
			toks = append(toks, string(r))
			i++
		}
	}
	return toks, nil
}

// splitCommand splits a command line with POSIX shell quoting, like
// Python's shlex.split.
func splitCommand(s string) ([]string, error) {
	var args []string
	var cur strings.Builder
	inWord := false
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case r == ' ' || r == '\t' || r == '\r' || r == '\n':
			if inWord {
				args = append(args, cur.String())
				cur.Reset()
				inWord = false
			}
		case r == '\\':
			inWord = true
			i++
			if i >= len(rs) {
				return nil, errors.New("No escaped character")
			}
			cur.WriteRune(rs[i])
		case r == '\'':
			inWord = true
			j := i + 1
			for j < len(rs) && rs[j] != '\'' {
				j++
			}
			if j >= len(rs) {
				return nil, errNoClosingQuote
			}
			cur.WriteString(string(rs[i+1 : j]))
			i = j
		case r == '"':
			inWord = true
			j := i + 1
			for ; j < len(rs) && rs[j] != '"'; j++ {
				if rs[j] == '\\' && j+1 < len(rs) && (rs[j+1] == '"' || rs[j+1] == '\\') {
					j++
				}
				cur.WriteRune(rs[j])
			}
			if j >= len(rs) {
				return nil, errNoClosingQuote
			}
			i = j
		default:
			inWord = true
			cur.WriteRune(r)
		}
	}
	if inWord {
		args = append(args, cur.String())
	}
	return args, nil
}
