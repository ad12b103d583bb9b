package pycompat

import "strings"

// SplitNamespec splits a process specification as the reference does:
// "name" names the process of that name in the group of that name,
// "group:name" one process of a group, and "group:" or "group:*" the whole
// group, for which process is "".
func SplitNamespec(spec string) (group, process string) {
	g, p, ok := strings.Cut(spec, ":")
	if !ok {
		return spec, spec
	}
	if p == "*" {
		p = ""
	}
	return g, p
}

// Namespec is the name users see for a process: "name" when it shares
// its group's name, else "group:name".
func Namespec(group, process string) string {
	if group == process {
		return process
	}
	return group + ":" + process
}
