package supervisor

import (
	"bytes"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// Most of the executable's pages that a daemon has mapped once its start
// is over were touched only by the start: every linked package runs its
// init, and the kernel maps up to 64 KiB of neighbours around each page
// that faults in (fault-around), so a 7 MiB text and 8 MiB of read-only
// data end up almost wholly in the RSS, where the running daemon needs
// about 2 MiB of them. dropCodePages unmaps the executable's read-only,
// private pages from this process (MADV_DONTNEED): they stay in the page
// cache, shared and clean, and the ones the daemon touches again come back
// on first use with a minor fault. Writable mappings are never touched: a
// private page that was written would come back as the file's bytes. A
// binary replaced by a rename (as package managers and go install do)
// leaves the mapped file in place; one overwritten in place was never safe
// to run from, since the kernel may drop clean pages at any time.
//
// It returns how many bytes of mappings it released.
func dropCodePages() int64 {
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		return 0
	}
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return 0
	}
	var released int64
	for line := range bytes.Lines(maps) {
		lo, hi, ok := codeMapping(line, exe)
		if !ok {
			continue
		}
		if _, _, e := unix.Syscall(unix.SYS_MADVISE, lo, hi-lo, unix.MADV_DONTNEED); e == 0 {
			released += int64(hi - lo)
		}
	}
	return released
}

// codeMapping parses one line of /proc/self/maps ("lo-hi perms offset dev
// inode path") and reports the range when it is a private, read-only
// mapping of exe.
func codeMapping(line []byte, exe string) (lo, hi uintptr, ok bool) {
	f := bytes.Fields(line)
	if len(f) < 6 || string(bytes.Join(f[5:], []byte(" "))) != exe {
		return 0, 0, false
	}
	perms := f[1]
	if len(perms) != 4 || perms[0] != 'r' || perms[1] != '-' || perms[3] != 'p' {
		return 0, 0, false
	}
	addr := bytes.SplitN(f[0], []byte("-"), 2)
	if len(addr) != 2 {
		return 0, 0, false
	}
	l, errl := strconv.ParseUint(string(addr[0]), 16, 64)
	h, errh := strconv.ParseUint(string(addr[1]), 16, 64)
	if errl != nil || errh != nil || h <= l {
		return 0, 0, false
	}
	return uintptr(l), uintptr(h), true
}
