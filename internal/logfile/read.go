package logfile

import (
	"errors"
	"io"
	"io/fs"
	"os"

	"supervisord/internal/faults"
)

// ReadRange returns length bytes of the file at path starting at offset,
// with the semantics of readLog and readProcessStdoutLog:
//   - offset >= 0, length > 0: up to length bytes from offset;
//   - offset >= 0, length == 0: everything from offset to the end;
//   - offset < 0, length == 0: the last -offset bytes;
//   - a negative length, or a negative offset with a non-zero length, is
//     BAD_ARGUMENTS.
//
// A path that is empty or does not exist is NO_FILE (with the path as the
// detail, "None" for an empty path); any other failure to read is FAILED.
func ReadRange(path string, offset, length int64) ([]byte, error) {
	if path == "" {
		return nil, faults.New(faults.NoFile, "None")
	}
	if _, err := os.Stat(path); err != nil {
		return nil, faults.New(faults.NoFile, path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, faults.New(faults.Failed, "")
	}
	defer f.Close()
	if offset < 0 {
		if length != 0 {
			return nil, faults.New(faults.BadArguments, "")
		}
		st, err := f.Stat()
		if err != nil || st.IsDir() {
			return nil, faults.New(faults.Failed, "")
		}
		pos := st.Size() + offset
		if pos < 0 {
			pos = 0
		}
		return readAt(f, pos, -offset)
	}
	if length < 0 {
		return nil, faults.New(faults.BadArguments, "")
	}
	if length == 0 {
		if _, err := f.Seek(offset, io.SeekStart); err != nil {
			return nil, faults.New(faults.Failed, "")
		}
		data, err := io.ReadAll(f)
		if err != nil {
			return nil, faults.New(faults.Failed, "")
		}
		return data, nil
	}
	return readAt(f, offset, length)
}

// readAt reads up to n bytes at off; short reads at EOF are not errors.
func readAt(f *os.File, off, n int64) ([]byte, error) {
	st, err := f.Stat()
	if err != nil || st.IsDir() {
		return nil, faults.New(faults.Failed, "")
	}
	if st.Mode().IsRegular() {
		// Do not allocate more than the file can give.
		if avail := st.Size() - off; avail < n {
			n = max(avail, 0)
		}
	}
	buf := make([]byte, n)
	got, err := f.ReadAt(buf, off)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, faults.New(faults.Failed, "")
	}
	return buf[:got], nil
}

// Tail implements tailProcessStdoutLog: it returns up to length bytes
// ending at the end of the file, starting no earlier than offset unless
// the file has grown past offset+length, in which case overflow is set and
// the window moves to the end. newOffset is the file's size, where the
// next tail should start. A missing file (or empty path) gives ("", 0,
// false); a file that cannot be read gives ("", offset, false). err is
// always nil: the reference reports neither case as a fault.
func Tail(path string, offset, length int64) (data []byte, newOffset int64, overflow bool, err error) {
	if path == "" {
		return nil, 0, false, nil
	}
	f, oerr := os.Open(path)
	if oerr != nil {
		if errors.Is(oerr, fs.ErrNotExist) {
			return nil, 0, false, nil
		}
		return nil, offset, false, nil
	}
	defer f.Close()
	st, serr := f.Stat()
	if serr != nil || st.IsDir() {
		return nil, offset, false, nil
	}
	sz := st.Size()
	if sz > offset+length {
		overflow = true
		offset = sz - 1
	}
	if offset+length > sz {
		if offset > sz-1 {
			length = 0
		}
		offset = sz - length
	}
	offset = max(offset, 0)
	length = max(length, 0)
	if length > 0 {
		d, rerr := readAt(f, offset, length)
		if rerr != nil {
			return nil, offset, false, nil
		}
		data = d
	}
	return data, sz, overflow, nil
}
