package ctl

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// ctlSection is what the client takes from a config file: the
// [supervisorctl] section, with its values expanded.
type ctlSection struct {
	serverURL   string
	prompt      string
	username    *string
	password    *string
	historyFile string
	caFile      string
}

// iniFile is a parsed INI file in the dialect of Python's RawConfigParser
// as Supervisor configures it: case-insensitive keys, "=" or ":" between key
// and value, ";" and "#" comments (inline after whitespace), indented
// continuation lines, repeated sections merged.
type iniFile struct {
	sections map[string]map[string]string
	defaults map[string]string
}

func parseINI(data []byte) (*iniFile, error) {
	f := &iniFile{sections: map[string]map[string]string{}, defaults: map[string]string{}}
	var cur map[string]string
	var lastKey string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 16<<20)
	lineno := 0
	for sc.Scan() {
		lineno++
		raw := strings.TrimRight(sc.Text(), "\r")
		line := stripInlineComment(raw)
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || trimmed[0] == '#' || trimmed[0] == ';' {
			continue
		}
		if cur != nil && lastKey != "" && (raw[0] == ' ' || raw[0] == '\t') {
			cur[lastKey] = strings.TrimSpace(cur[lastKey] + "\n" + trimmed)
			continue
		}
		// A header is "[" name "]", the name running to the last "]", as
		// configparser reads it; a line like "[program:b" (no closing
		// bracket) is read as an option, as it is by the reference.
		if end := strings.LastIndexByte(trimmed, ']'); trimmed[0] == '[' && end >= 2 {
			name := trimmed[1:end]
			if name == "DEFAULT" {
				cur = f.defaults
			} else {
				if f.sections[name] == nil {
					f.sections[name] = map[string]string{}
				}
				cur = f.sections[name]
			}
			lastKey = ""
			continue
		}
		if cur == nil {
			return nil, fmt.Errorf("File contains no section headers.\nfile: line: %d\n%s", lineno, pyRepr(raw))
		}
		i := strings.IndexAny(trimmed, "=:")
		if i <= 0 {
			return nil, fmt.Errorf("Source contains parsing errors: [line %2d]: %s", lineno, pyRepr(raw))
		}
		key := strings.ToLower(strings.TrimSpace(trimmed[:i]))
		cur[key] = strings.TrimSpace(trimmed[i+1:])
		lastKey = key
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return f, nil
}

// stripInlineComment removes a ";" or "#" comment that follows whitespace.
func stripInlineComment(s string) string {
	for i := 1; i < len(s); i++ {
		if (s[i] == ';' || s[i] == '#') && (s[i-1] == ' ' || s[i-1] == '\t') {
			return s[:i]
		}
	}
	return s
}

func (f *iniFile) get(section, key string) (string, bool) {
	if s, ok := f.sections[section]; ok {
		if v, ok := s[key]; ok {
			return v, true
		}
	}
	v, ok := f.defaults[key]
	return v, ok
}

// readCtlSection reads the [supervisorctl] section of path the way the
// reference client does; the daemon's own sections are not validated.
func readCtlSection(path string, env Env) (*ctlSection, error) {
	abs := absFrom(env.Cwd, path)
	if _, err := os.Stat(abs); err != nil {
		return nil, fmt.Errorf("could not find config file %s", path)
	}
	data, err := os.ReadFile(abs)
	if err != nil {
		return nil, fmt.Errorf("could not read config file %s", path)
	}
	ini, err := parseINI(data)
	if err != nil {
		return nil, err
	}
	if _, ok := ini.sections["supervisorctl"]; !ok {
		return nil, fmt.Errorf(".ini file does not include supervisorctl section")
	}
	here := filepath.Dir(normalizePath(env, path))
	envExp := map[string]string{}
	for _, kv := range env.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			envExp["ENV_"+k] = v
		}
	}
	withHere := map[string]string{"here": here}
	for k, v := range envExp {
		withHere[k] = v
	}
	get := func(key, def string, exp map[string]string) (string, bool, error) {
		v, ok := ini.get("supervisorctl", key)
		if !ok {
			return def, false, nil
		}
		out, err := pyExpand(v, exp, "supervisorctl."+key)
		return out, true, err
	}
	sec := &ctlSection{}
	if sec.serverURL, _, err = get("serverurl", "http://localhost:9001", withHere); err != nil {
		return nil, err
	}
	if strings.HasPrefix(sec.serverURL, "unix://") {
		sec.serverURL = "unix://" + normalizePath(env, sec.serverURL[7:])
	}
	if sec.prompt, _, err = get("prompt", "supervisor", envExp); err != nil {
		return nil, err
	}
	for _, kv := range []struct {
		key string
		dst **string
	}{{"username", &sec.username}, {"password", &sec.password}} {
		v, ok, err := get(kv.key, "", envExp)
		if err != nil {
			return nil, err
		}
		if ok {
			*kv.dst = &v
		}
	}
	ca, _, err := get("cafile", "", withHere)
	if err != nil {
		return nil, err
	}
	if ca != "" {
		sec.caFile = normalizePath(env, ca)
	}
	h, _, err := get("history_file", "", withHere)
	if err != nil {
		return nil, err
	}
	if h != "" {
		sec.historyFile = normalizePath(env, h)
	}
	return sec, nil
}

// pyExpand performs Python's "%(name)s" interpolation as the reference
// applies it to config values, with its error messages.
func pyExpand(s string, exp map[string]string, where string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 < len(s) && s[i+1] == '%' {
			b.WriteByte('%')
			i++
			continue
		}
		if i+1 < len(s) && s[i+1] == '(' {
			end := strings.IndexByte(s[i+2:], ')')
			if end >= 0 && i+2+end+1 < len(s) && s[i+2+end+1] == 's' {
				name := s[i+2 : i+2+end]
				v, ok := exp[name]
				if !ok {
					names := make([]string, 0, len(exp))
					for k := range exp {
						names = append(names, k)
					}
					sort.Strings(names)
					return "", fmt.Errorf("Format string %s for %s contains names (%s) which cannot be expanded. Available names: %s",
						pyRepr(s), pyRepr(where), pyRepr(name), strings.Join(names, ", "))
				}
				b.WriteString(v)
				i += 2 + end + 1
				continue
			}
		}
		return "", fmt.Errorf("Format string %s for %s is badly formatted: incomplete format", pyRepr(s), pyRepr(where))
	}
	return b.String(), nil
}
