package pycompat

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// IsSpace reports whether Python's str.strip() removes r: Unicode white
// space and the four ASCII separators 0x1c-0x1f.
func IsSpace(r rune) bool {
	return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
}

// Strip removes what Python's str.strip() removes from both ends of s.
func Strip(s string) string { return strings.TrimFunc(s, IsSpace) }

// Int parses s as Python's int() parses a str: surrounding white space,
// one optional sign, and single underscores between decimal digits.
func Int(s string) (int64, error) {
	t := Strip(s)
	body := strings.TrimLeft(t, "+-")
	if len(t)-len(body) > 1 || body == "" || body[0] == '_' || body[len(body)-1] == '_' || strings.Contains(body, "__") {
		return 0, fmt.Errorf("invalid integer %q", s)
	}
	n, err := strconv.ParseInt(strings.ReplaceAll(t, "_", ""), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("invalid integer %q", s)
	}
	return n, nil
}
