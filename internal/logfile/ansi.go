package logfile

// ansiStripper removes ANSI escape sequences the way strip_ansi does: from
// each ESC '[' up to and including the next of the terminators
// H f A B C D R s u J K h l p m, everything is dropped; an escape without a
// terminator drops the rest of the data. Unlike the reference, which works
// on each read separately, the state carries over between calls, so a
// sequence split across two reads is removed too.
type ansiStripper struct {
	inEscape bool // between ESC '[' and its terminator
	sawESC   bool // the previous call ended with a lone ESC
}

func isANSITerminator(c byte) bool {
	switch c {
	case 'H', 'f', 'A', 'B', 'C', 'D', 'R', 's', 'u', 'J', 'K', 'h', 'l', 'p', 'm':
		return true
	}
	return false
}

// strip appends the visible part of p to dst and returns it.
func (st *ansiStripper) strip(dst, p []byte) []byte {
	i := 0
	if st.sawESC {
		st.sawESC = false
		if len(p) > 0 && p[0] == '[' {
			st.inEscape = true
			i = 1
		} else {
			dst = append(dst, 0x1b)
		}
	}
	for i < len(p) {
		if st.inEscape {
			for i < len(p) && !isANSITerminator(p[i]) {
				i++
			}
			if i == len(p) {
				return dst
			}
			i++ // the terminator goes too
			st.inEscape = false
			continue
		}
		j := i
		for j < len(p) && p[j] != 0x1b {
			j++
		}
		dst = append(dst, p[i:j]...)
		if j == len(p) {
			return dst
		}
		if j+1 == len(p) {
			st.sawESC = true
			return dst
		}
		if p[j+1] == '[' {
			st.inEscape = true
			i = j + 2
			continue
		}
		dst = append(dst, 0x1b)
		i = j + 1
	}
	return dst
}

// flush returns what the stripper holds back at the end of the data.
func (st *ansiStripper) flush(dst []byte) []byte {
	if st.sawESC {
		st.sawESC = false
		dst = append(dst, 0x1b)
	}
	return dst
}
