package formats

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"sync"
)

// maxSafetensorsHeader is the header size limit of the reference
// implementation (100 MB).
const maxSafetensorsHeader = 100 << 20

// RawReader is implemented by checkpoints that can return a tensor's
// stored little-endian bytes unconverted (for integer tensors).
type RawReader interface {
	// Raw returns a copy of the stored bytes of a tensor with its info.
	Raw(name string) (TensorInfo, []byte, error)
}

// Safetensors is one opened .safetensors file, memory-mapped where the
// system allows. It is safe for concurrent reads; Close must not race with
// them.
type Safetensors struct {
	path     string
	mu       sync.RWMutex
	file     *mappedFile
	data     []byte // the data section (after the header)
	entries  map[string]stEntry
	names    []string
	metadata map[string]string
}

type stEntry struct {
	info       TensorInfo
	begin, end int
}

var _ Checkpoint = (*Safetensors)(nil)
var _ RawReader = (*Safetensors)(nil)

// OpenSafetensors opens and validates one safetensors file: the header
// must be valid JSON inside the file, every tensor's byte range must match
// its dtype and shape, and the ranges must tile the data section exactly
// (no overlaps, no holes).
func OpenSafetensors(path string) (*Safetensors, error) {
	m, err := mapFile(path)
	if err != nil {
		return nil, fmt.Errorf("open safetensors: %w", err)
	}
	s, err := parseSafetensors(path, m.data)
	if err != nil {
		m.close()
		return nil, err
	}
	s.file = m
	return s, nil
}

// parseSafetensors validates a whole safetensors file image.
func parseSafetensors(path string, file []byte) (*Safetensors, error) {
	if len(file) < 8 {
		return nil, fmt.Errorf("%s: safetensors file is %d bytes, shorter than the 8-byte header length", path, len(file))
	}
	n := binary.LittleEndian.Uint64(file)
	if n > maxSafetensorsHeader {
		return nil, fmt.Errorf("%s: safetensors header length %d exceeds the %d-byte limit", path, n, maxSafetensorsHeader)
	}
	if n > uint64(len(file)-8) {
		return nil, fmt.Errorf("%s: safetensors header length %d runs past the end of the %d-byte file", path, n, len(file))
	}
	header := file[8 : 8+n]
	if len(header) == 0 || header[0] != '{' {
		return nil, fmt.Errorf("%s: safetensors header does not start with '{'", path)
	}
	s := &Safetensors{path: path, data: file[8+n:], entries: map[string]stEntry{}}
	if err := s.parseHeader(header); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := s.checkLayout(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

type stHeaderEntry struct {
	DType       *string  `json:"dtype"`
	Shape       []int64  `json:"shape"`
	DataOffsets []uint64 `json:"data_offsets"`
}

func (s *Safetensors) parseHeader(header []byte) error {
	dec := json.NewDecoder(bytes.NewReader(header))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return fmt.Errorf("safetensors header is not a JSON object: %v", err)
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("safetensors header: invalid JSON: %w", err)
		}
		name := tok.(string) // object keys are always strings
		if seen[name] {
			return fmt.Errorf("safetensors header: duplicate entry %q", name)
		}
		seen[name] = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return fmt.Errorf("safetensors header: entry %q: invalid JSON: %w", name, err)
		}
		if name == "__metadata__" {
			if err := json.Unmarshal(raw, &s.metadata); err != nil {
				return fmt.Errorf("safetensors header: __metadata__ must map strings to strings: %w", err)
			}
			continue
		}
		e, err := parseEntry(name, raw)
		if err != nil {
			return err
		}
		s.entries[name] = e
		s.names = append(s.names, name)
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return fmt.Errorf("safetensors header: invalid JSON object end: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("safetensors header: trailing data after the JSON object")
	}
	sort.Strings(s.names)
	return nil
}

func parseEntry(name string, raw json.RawMessage) (stEntry, error) {
	var h stHeaderEntry
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	if err := d.Decode(&h); err != nil {
		return stEntry{}, fmt.Errorf("tensor %q: bad header entry: %w", name, err)
	}
	if h.DType == nil {
		return stEntry{}, fmt.Errorf("tensor %q: dtype missing", name)
	}
	dt := DType(*h.DType)
	if dt.Size() == 0 {
		return stEntry{}, fmt.Errorf("tensor %q: unknown dtype %q", name, *h.DType)
	}
	if h.Shape == nil {
		return stEntry{}, fmt.Errorf("tensor %q: shape missing", name)
	}
	if len(h.DataOffsets) != 2 {
		return stEntry{}, fmt.Errorf("tensor %q: data_offsets must be [begin, end]", name)
	}
	shape := make([]int, len(h.Shape))
	for i, v := range h.Shape {
		if v < 0 || v > math.MaxInt32 {
			return stEntry{}, fmt.Errorf("tensor %q: invalid dimension %d in shape %v", name, v, h.Shape)
		}
		shape[i] = int(v)
	}
	numel, err := checkedProduct(shape, maxElements)
	if err != nil {
		return stEntry{}, fmt.Errorf("tensor %q: %w", name, err)
	}
	begin, end := h.DataOffsets[0], h.DataOffsets[1]
	if begin > end {
		return stEntry{}, fmt.Errorf("tensor %q: data_offsets [%d, %d] begin after end", name, begin, end)
	}
	if want := uint64(numel) * uint64(dt.Size()); end-begin != want {
		return stEntry{}, fmt.Errorf("tensor %q: %s %v needs %d bytes but data_offsets [%d, %d] span %d", name, dt, shape, want, begin, end, end-begin)
	}
	if end > uint64(math.MaxInt) {
		return stEntry{}, fmt.Errorf("tensor %q: data_offsets [%d, %d] out of range", name, begin, end)
	}
	return stEntry{info: TensorInfo{Name: name, DType: dt, Shape: shape}, begin: int(begin), end: int(end)}, nil
}

// checkLayout requires the tensors' byte ranges to tile the data section.
func (s *Safetensors) checkLayout() error {
	order := make([]string, len(s.names))
	copy(order, s.names)
	sort.Slice(order, func(i, j int) bool {
		a, b := s.entries[order[i]], s.entries[order[j]]
		if a.begin != b.begin {
			return a.begin < b.begin
		}
		return a.end < b.end
	})
	pos, prev := 0, ""
	for _, name := range order {
		e := s.entries[name]
		switch {
		case e.end > len(s.data):
			return fmt.Errorf("tensor %q: data_offsets [%d, %d] run past the %d-byte data section", name, e.begin, e.end, len(s.data))
		case e.begin < pos:
			return fmt.Errorf("tensor %q: data_offsets [%d, %d] overlap tensor %q ending at %d", name, e.begin, e.end, prev, pos)
		case e.begin > pos:
			return fmt.Errorf("tensor %q: hole of %d unindexed bytes before its data_offsets [%d, %d]", name, e.begin-pos, e.begin, e.end)
		}
		pos, prev = e.end, name
	}
	if pos != len(s.data) {
		return fmt.Errorf("%d unindexed bytes after the last tensor (data section %d bytes, indexed %d)", len(s.data)-pos, len(s.data), pos)
	}
	return nil
}

// Path is the file name.
func (s *Safetensors) Path() string { return s.path }

// Names lists the tensor names in sorted order.
func (s *Safetensors) Names() []string { return append([]string(nil), s.names...) }

// Metadata returns the header's __metadata__ map (nil when absent).
func (s *Safetensors) Metadata() map[string]string {
	if s.metadata == nil {
		return nil
	}
	m := make(map[string]string, len(s.metadata))
	for k, v := range s.metadata {
		m[k] = v
	}
	return m
}

// Info describes a tensor.
func (s *Safetensors) Info(name string) (TensorInfo, bool) {
	e, ok := s.entries[name]
	if !ok {
		return TensorInfo{}, false
	}
	info := e.info
	info.Shape = append([]int(nil), info.Shape...)
	return info, true
}

func (s *Safetensors) bytesOf(name string) (stEntry, []byte, error) {
	e, ok := s.entries[name]
	if !ok {
		return stEntry{}, nil, fmt.Errorf("%s: tensor %q not found", s.path, name)
	}
	if s.data == nil && e.end > 0 {
		return stEntry{}, nil, fmt.Errorf("%s: tensor %q: file is closed", s.path, name)
	}
	return e, s.data[e.begin:e.end], nil
}

// Float32 returns the tensor converted to float32.
func (s *Safetensors) Float32(name string) ([]float32, []int, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	e, b, err := s.bytesOf(name)
	if err != nil {
		return nil, nil, err
	}
	if !e.info.DType.convertible() {
		return nil, nil, fmt.Errorf("%s: tensor %q: dtype %s cannot be converted to float32", s.path, name, e.info.DType)
	}
	out := make([]float32, len(b)/e.info.DType.Size())
	if err := decodeFloat32(out, b, e.info.DType); err != nil {
		return nil, nil, fmt.Errorf("%s: tensor %q: %w", s.path, name, err)
	}
	if s.file != nil {
		s.file.release(b)
	}
	return out, append([]int(nil), e.info.Shape...), nil
}

// Raw returns a copy of the tensor's stored little-endian bytes.
func (s *Safetensors) Raw(name string) (TensorInfo, []byte, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	e, b, err := s.bytesOf(name)
	if err != nil {
		return TensorInfo{}, nil, err
	}
	info := e.info
	info.Shape = append([]int(nil), info.Shape...)
	return info, append([]byte(nil), b...), nil
}

// Close unmaps the file.
func (s *Safetensors) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.data = nil
	if s.file == nil {
		return nil
	}
	err := s.file.close()
	s.file = nil
	return err
}
