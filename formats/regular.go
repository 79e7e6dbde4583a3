package formats

import (
	"fmt"
	"io"
	"io/fs"
	"os"
)

// Limits on the small files read whole into memory.
const (
	maxConfigBytes = 16 << 20  // config.json
	maxIndexBytes  = 256 << 20 // a shard index (model.safetensors.index.json)
)

// checkRegular refuses a path that is not a regular file (after symlinks)
// before anything opens it: opening a FIFO blocks until a writer comes,
// and a device such as /dev/zero never ends.
func checkRegular(path string) (fs.FileInfo, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file (%s)", path, describeMode(st.Mode()))
	}
	return st, nil
}

// describeMode names the kind of a non-regular file.
func describeMode(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeIrregular != 0:
		return "an irregular file"
	}
	return "mode " + m.String()
}

// openRegular opens a regular file for reading, refusing other kinds of
// path (checkRegular) and checking the opened file again, so that a path
// swapped after the check is refused too.
func openRegular(path string) (*os.File, fs.FileInfo, error) {
	if _, err := checkRegular(path); err != nil {
		return nil, nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, nil, fmt.Errorf("%s: not a regular file (%s)", path, describeMode(st.Mode()))
	}
	return f, st, nil
}

// readRegular reads a whole regular file of at most limit bytes.
func readRegular(path string, limit int64) ([]byte, error) {
	f, st, err := openRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st.Size() > limit {
		return nil, fmt.Errorf("%s: %d bytes, more than the %d this file may have", path, st.Size(), limit)
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s: more than the %d bytes this file may have", path, limit)
	}
	return b, nil
}
