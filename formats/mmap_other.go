//go:build !unix

package formats

import (
	"fmt"
	"io"
)

// mappedFile is a read-only in-memory copy of a whole file on systems
// without mmap support in golang.org/x/sys/unix.
type mappedFile struct {
	data []byte
}

func mapFile(path string) (*mappedFile, error) {
	f, _, err := openRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &mappedFile{data: data}, nil
}

func (m *mappedFile) close() error {
	m.data = nil
	return nil
}

// release is a no-op where the file is read into memory.
func (m *mappedFile) release(b []byte) {}
