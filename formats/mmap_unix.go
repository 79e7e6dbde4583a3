//go:build unix

package formats

import (
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// mappedFile is a read-only view of a whole file.
type mappedFile struct {
	data   []byte
	mapped bool
}

// mapFile memory-maps path read-only (empty files are not mapped).
func mapFile(path string) (*mappedFile, error) {
	f, st, err := openRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	size := st.Size()
	if size == 0 {
		return &mappedFile{}, nil
	}
	if size != int64(int(size)) {
		return nil, fmt.Errorf("%s: file too large to map", path)
	}
	data, err := unix.Mmap(int(f.Fd()), 0, int(size), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("mmap %s: %w", path, err)
	}
	return &mappedFile{data: data, mapped: true}, nil
}

func (m *mappedFile) close() error {
	if !m.mapped {
		m.data = nil
		return nil
	}
	m.mapped = false
	data := m.data
	m.data = nil
	return unix.Munmap(data)
}

// release tells the kernel that the pages wholly inside b, a sub-slice of
// the mapping, are not needed for now (MADV_DONTNEED): after a tensor has
// been converted, its file pages leave the process's resident set instead
// of doubling the memory of a load. A later read faults them back in from
// the file. Slices outside the mapping are ignored.
func (m *mappedFile) release(b []byte) {
	if !m.mapped || len(b) == 0 || len(m.data) == 0 {
		return
	}
	base := uintptr(unsafe.Pointer(&m.data[0]))
	lo := uintptr(unsafe.Pointer(&b[0]))
	if lo < base || lo+uintptr(len(b)) > base+uintptr(len(m.data)) {
		return
	}
	page := uintptr(os.Getpagesize())
	start := (lo - base + page - 1) / page * page
	end := (lo - base + uintptr(len(b))) / page * page
	if end > start {
		unix.Madvise(m.data[start:end], unix.MADV_DONTNEED)
	}
}
