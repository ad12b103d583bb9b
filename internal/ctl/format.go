package ctl

import (
	"fmt"
	"strings"

	"supervisord/internal/pycompat"
)

// makeNamespec is how a process is named to users: "name" when it is alone
// in a group of the same name, else "group:name".
func makeNamespec(group, name string) string { return pycompat.Namespec(group, name) }

// splitNamespec parses "name", "group:name", "group:" and "group:*". An
// empty process means the whole group.
func splitNamespec(spec string) (group, process string, whole bool) {
	group, process = pycompat.SplitNamespec(spec)
	return group, process, process == "" && strings.Contains(spec, ":")
}

// pyRepr renders s as Python's repr() of a str does.
func pyRepr(s string) string { return pycompat.Repr(s) }

// padRight pads s with spaces to width characters, as Python's "%-Ns".
func padRight(s string, width int) string {
	n := len([]rune(s))
	if n >= width {
		return s
	}
	return s + strings.Repeat(" ", width-n)
}

// columnize lays words out in as few rows as fit in width, column-major,
// columns separated by two spaces, the way the shell lists help topics.
func columnize(words []string, width int) []string {
	if len(words) == 0 {
		return []string{"<empty>"}
	}
	size := len(words)
	if size == 1 {
		return []string{words[0]}
	}
	var colWidths []int
	rows := size
	for nrows := 1; nrows < size; nrows++ {
		ncols := (size + nrows - 1) / nrows
		colWidths = colWidths[:0]
		total := -2
		for col := 0; col < ncols; col++ {
			w := 0
			for row := 0; row < nrows; row++ {
				i := row + nrows*col
				if i >= size {
					break
				}
				w = max(w, len([]rune(words[i])))
			}
			colWidths = append(colWidths, w)
			total += w + 2
			if total > width {
				break
			}
		}
		if total <= width {
			rows = nrows
			break
		}
	}
	if rows == size {
		colWidths = []int{0}
	}
	var lines []string
	for row := 0; row < rows; row++ {
		var cells []string
		for col := 0; ; col++ {
			i := row + rows*col
			if i >= size {
				break
			}
			cells = append(cells, words[i])
		}
		for len(cells) > 0 && cells[len(cells)-1] == "" {
			cells = cells[:len(cells)-1]
		}
		for i := range cells {
			if i < len(colWidths) {
				cells[i] = padRight(cells[i], colWidths[i])
			}
		}
		lines = append(lines, strings.Join(cells, "  "))
	}
	return lines
}

// ANSI colours for state names on a terminal.
func stateColour(state string) string {
	switch state {
	case "RUNNING":
		return "\x1b[32m"
	case "STARTING", "STOPPING", "BACKOFF":
		return "\x1b[33m"
	case "FATAL", "EXITED", "UNKNOWN":
		return "\x1b[31m"
	}
	return ""
}

// Accessors for XML-RPC structs, tolerant of missing keys.
func strField(m map[string]any, k string) string {
	switch v := m[k].(type) {
	case string:
		return v
	case nil:
		return ""
	default:
		return fmt.Sprint(v)
	}
}

func intField(m map[string]any, k string) int {
	switch v := m[k].(type) {
	case int:
		return v
	case int64:
		return int(v)
	case bool:
		if v {
			return 1
		}
	case float64:
		return int(v)
	}
	return 0
}

func truthy(v any) bool {
	switch v := v.(type) {
	case bool:
		return v
	case int:
		return v != 0
	case int64:
		return v != 0
	case string:
		return v != ""
	case nil:
		return false
	}
	return true
}
