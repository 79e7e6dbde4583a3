//go:build !unix

package formats

import (
	"fmt"
	"os"
)

// mappedFile is a read-only in-memory copy of a whole file on systems
// without mmap support in golang.org/x/sys/unix.
type mappedFile struct {
	data []byte
}

func mapFile(path string) (*mappedFile, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return &mappedFile{data: data}, nil
}

func (m *mappedFile) close() error {
	m.data = nil
	return nil
}

// release is a no-op where the file is read into memory.
func (m *mappedFile) release(b []byte) {}
