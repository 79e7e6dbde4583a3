package formats

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"sync"
	"unsafe"

	"github.com/cespare/xxhash/v2"
)

// GGUFTensorInfo describes one tensor of a GGUF file.
type GGUFTensorInfo struct {
	Name   string
	Type   GGMLType
	Shape  []int // row-major, outermost first (GGUF ne reversed)
	Offset int64 // byte offset relative to the data section
	Size   int64 // bytes
}

// GGUFFile is one opened GGUF v3 file, memory-mapped (OpenGGUF) or over a
// caller's byte slice (ParseGGUF); tensor data is never copied. It is safe
// for concurrent reads; Close must not race with them, and slices returned
// by Tensor and the typed views are invalid after Close.
type GGUFFile struct {
	path      string
	mu        sync.RWMutex
	file      *mappedFile
	image     []byte // the whole file
	data      []byte // the data section
	version   uint32
	alignment int
	dataStart int64
	kvs       []GGUFKV
	keys      map[string]int
	tensors   []GGUFTensorInfo
	names     map[string]int
	verified  bool // both checksums were present and matched
	sealed    bool // both checksum keys are present with their types
	headerSum int  // file offset of the header checksum value, 0 when absent
}

// OpenGGUF memory-maps and validates a GGUF v3 file (see ParseGGUF for what
// is checked). Verifying the checksum reads the whole data section once,
// which also pages it in; GGUFOptions.SkipChecksum avoids that.
func OpenGGUF(path string, opts ...GGUFOptions) (*GGUFFile, error) {
	m, err := mapFile(path)
	if err != nil {
		return nil, fmt.Errorf("open gguf: %w", err)
	}
	g, err := ParseGGUF(path, m.data, opts...)
	if err != nil {
		m.close()
		return nil, err
	}
	g.file = m
	return g, nil
}

// ParseGGUF validates a GGUF v3 file image held in data (for example from
// go:embed); name is used in errors. Tensor data stays in data, which must
// not change while the file is in use. It checks the magic and version,
// that every count and length fits in the bytes that remain, value types,
// unique keys and tensor names, dimensions (1 to 4, each at least 1, no
// overflow), known tensor types, a power-of-two UINT32 general.alignment,
// aligned and non-overlapping tensor data inside the file, and the
// quamba.header_xxhash64 and quamba.data_xxhash64 checksums when present
// and not skipped.
func ParseGGUF(name string, data []byte, opts ...GGUFOptions) (*GGUFFile, error) {
	var opt GGUFOptions
	for _, o := range opts {
		opt.SkipChecksum = opt.SkipChecksum || o.SkipChecksum
	}
	g := &GGUFFile{path: name, image: data}
	if err := g.parse(opt); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return g, nil
}

// ggufDecoder reads little-endian fields from a file image.
type ggufDecoder struct {
	b   []byte
	off int
}

func (d *ggufDecoder) remaining() int { return len(d.b) - d.off }

func (d *ggufDecoder) take(n uint64, what string) ([]byte, error) {
	if n > uint64(d.remaining()) {
		return nil, fmt.Errorf("truncated %s at offset %d: needs %d bytes, %d remain", what, d.off, n, d.remaining())
	}
	p := d.b[d.off : d.off+int(n)]
	d.off += int(n)
	return p, nil
}

func (d *ggufDecoder) u32(what string) (uint32, error) {
	p, err := d.take(4, what)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(p), nil
}

func (d *ggufDecoder) u64(what string) (uint64, error) {
	p, err := d.take(8, what)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(p), nil
}

func (d *ggufDecoder) str(what string) (string, error) {
	n, err := d.u64(what + " length")
	if err != nil {
		return "", err
	}
	if n > uint64(d.remaining()) {
		return "", fmt.Errorf("%s length %d at offset %d runs past the end of the file (%d bytes remain)", what, n, d.off-8, d.remaining())
	}
	p, _ := d.take(n, what)
	return string(p), nil
}

func (g *GGUFFile) parse(opt GGUFOptions) error {
	d := &ggufDecoder{b: g.image}
	magic, err := d.take(4, "magic")
	if err != nil {
		return fmt.Errorf("not a GGUF file: %w", err)
	}
	if string(magic) != ggufMagic {
		return fmt.Errorf("not a GGUF file: magic %q, want %q", magic, ggufMagic)
	}
	v, err := d.u32("version")
	if err != nil {
		return err
	}
	switch {
	case v == ggufVersion:
	case v > ggufVersion && v&0xffff == 0:
		return fmt.Errorf("GGUF version field 0x%08x is a big-endian GGUF file, which is not supported", v)
	case v > ggufVersion:
		return fmt.Errorf("GGUF version %d is newer than this reader (version %d)", v, ggufVersion)
	default:
		return fmt.Errorf("GGUF version %d is not supported (want version %d)", v, ggufVersion)
	}
	g.version = v
	nTensors, err := d.u64("tensor count")
	if err != nil {
		return err
	}
	nKV, err := d.u64("metadata count")
	if err != nil {
		return err
	}
	// A pair takes at least a 1-byte key (8+1), a type (4) and a 1-byte body.
	if limit := uint64(d.remaining()) / 14; nKV > limit {
		return fmt.Errorf("metadata count %d cannot fit in the %d bytes that remain", nKV, d.remaining())
	}
	g.keys = map[string]int{}
	for i := uint64(0); i < nKV; i++ {
		at := d.off
		key, err := d.str(fmt.Sprintf("metadata key %d", i))
		if err != nil {
			return err
		}
		if key == "" {
			return fmt.Errorf("metadata key %d at offset %d is empty", i, at)
		}
		if _, dup := g.keys[key]; dup {
			return fmt.Errorf("duplicate metadata key %q at offset %d", key, at)
		}
		t, err := d.u32(fmt.Sprintf("metadata key %q type", key))
		if err != nil {
			return err
		}
		if key == GGUFHeaderChecksumKey {
			if ggufValueType(t) != ggufUint64 {
				return fmt.Errorf("metadata key %q at offset %d has value type %d, not UINT64", key, at, t)
			}
			g.headerSum = d.off
		}
		val, err := d.value(ggufValueType(t), 0)
		if err != nil {
			return fmt.Errorf("metadata key %q: %w", key, err)
		}
		g.keys[key] = len(g.kvs)
		g.kvs = append(g.kvs, GGUFKV{Key: key, Value: val})
	}

	g.alignment = ggufDefaultAlignment
	if v, ok := g.Value(GGUFAlignmentKey); ok {
		a, ok := v.(uint32)
		if !ok {
			return fmt.Errorf("metadata key %q is %s, not UINT32", GGUFAlignmentKey, ggufDescribe(v))
		}
		if a == 0 || a&(a-1) != 0 {
			return fmt.Errorf("metadata key %q: alignment %d is not a power of two", GGUFAlignmentKey, a)
		}
		g.alignment = int(a)
	}

	// A tensor info takes at least a 1-byte name (9), n_dims (4), one
	// dim (8), a type (4) and an offset (8).
	if limit := uint64(d.remaining()) / 33; nTensors > limit {
		return fmt.Errorf("tensor count %d cannot fit in the %d bytes that remain", nTensors, d.remaining())
	}
	g.names = map[string]int{}
	for i := uint64(0); i < nTensors; i++ {
		info, err := d.tensorInfo(i)
		if err != nil {
			return err
		}
		if _, dup := g.names[info.Name]; dup {
			return fmt.Errorf("duplicate tensor name %q", info.Name)
		}
		g.names[info.Name] = len(g.tensors)
		g.tensors = append(g.tensors, info)
	}

	headerEnd := uint64(d.off)
	start := alignUp(headerEnd, uint64(g.alignment))
	switch {
	case start <= uint64(len(g.image)):
		g.dataStart = int64(start)
		g.data = g.image[start:]
	case len(g.tensors) == 0 && headerEnd == uint64(len(g.image)):
		// A file without tensors may end right after its header.
		g.dataStart = int64(headerEnd)
		g.data = g.image[headerEnd:]
	default:
		return fmt.Errorf("truncated padding: the data section starts at byte %d (alignment %d) but the file has %d bytes", start, g.alignment, len(g.image))
	}

	// The header checksum comes first: when the header is damaged, that is
	// the error, not whatever the damaged fields say.
	headerOK := false
	if g.headerSum > 0 && !opt.SkipChecksum {
		want := binary.LittleEndian.Uint64(g.image[g.headerSum:])
		if got := ggufHeaderSum(g.image[:g.dataStart], g.headerSum); got != want {
			return fmt.Errorf("checksum mismatch: header (bytes 0 to %d) xxhash64 %016x, want %016x (metadata key %q)", g.dataStart, got, want, GGUFHeaderChecksumKey)
		}
		headerOK = true
	}
	if err := g.checkLayout(); err != nil {
		return err
	}
	if v, ok := g.Value(GGUFChecksumKey); ok {
		want, ok := v.(uint64)
		if !ok {
			return fmt.Errorf("metadata key %q is %s, not UINT64", GGUFChecksumKey, ggufDescribe(v))
		}
		g.sealed = g.headerSum > 0
		if !opt.SkipChecksum {
			if got := xxhash.Sum64(g.data); got != want {
				return fmt.Errorf("checksum mismatch: data section xxhash64 %016x, want %016x (metadata key %q)", got, want, GGUFChecksumKey)
			}
			g.verified = headerOK
		}
	}
	return nil
}

// ggufHeaderSum is the xxhash64 of header (the file's bytes before its data
// section) read with the eight bytes at off, the header checksum's value,
// as zero.
func ggufHeaderSum(header []byte, off int) uint64 {
	var zero [8]byte
	h := xxhash.New()
	h.Write(header[:off])
	h.Write(zero[:])
	h.Write(header[off+8:])
	return h.Sum64()
}

// value decodes a value body of type t; depth counts enclosing arrays.
func (d *ggufDecoder) value(t ggufValueType, depth int) (any, error) {
	if t == ggufArray {
		return d.array(depth)
	}
	if t >= ggufTypeCount {
		return nil, fmt.Errorf("bad value type %d at offset %d (known types are 0 to %d)", uint32(t), d.off-4, ggufTypeCount-1)
	}
	if t == ggufString {
		return d.str(t.String() + " value")
	}
	p, err := d.take(uint64(t.minSize()), t.String()+" value")
	if err != nil {
		return nil, err
	}
	le := binary.LittleEndian
	switch t {
	case ggufUint8:
		return p[0], nil
	case ggufInt8:
		return int8(p[0]), nil
	case ggufUint16:
		return le.Uint16(p), nil
	case ggufInt16:
		return int16(le.Uint16(p)), nil
	case ggufUint32:
		return le.Uint32(p), nil
	case ggufInt32:
		return int32(le.Uint32(p)), nil
	case ggufFloat32:
		return math.Float32frombits(le.Uint32(p)), nil
	case ggufBool:
		if p[0] > 1 {
			return nil, fmt.Errorf("BOOL value %d at offset %d is not 0 or 1", p[0], d.off-1)
		}
		return p[0] == 1, nil
	case ggufUint64:
		return le.Uint64(p), nil
	case ggufInt64:
		return int64(le.Uint64(p)), nil
	default: // ggufFloat64
		return math.Float64frombits(le.Uint64(p)), nil
	}
}

// array decodes an ARRAY body at nesting depth (0 for a top-level value).
func (d *ggufDecoder) array(depth int) (any, error) {
	if depth >= ggufMaxDepth {
		return nil, fmt.Errorf("arrays nested deeper than %d levels at offset %d", ggufMaxDepth, d.off)
	}
	e, err := d.u32("array element type")
	if err != nil {
		return nil, err
	}
	elem := ggufValueType(e)
	if elem >= ggufTypeCount {
		return nil, fmt.Errorf("bad array element type %d at offset %d (known types are 0 to %d)", e, d.off-4, ggufTypeCount-1)
	}
	count, err := d.u64("array length")
	if err != nil {
		return nil, err
	}
	if count > uint64(d.remaining()/elem.minSize()) {
		return nil, fmt.Errorf("array of %d %s elements at offset %d cannot fit in the %d bytes that remain", count, elem, d.off-8, d.remaining())
	}
	n := int(count)
	le := binary.LittleEndian
	switch elem {
	case ggufUint8:
		p, _ := d.take(count, "UINT8 array")
		return slices.Clone(p), nil
	case ggufInt8:
		return ggufFixed(d, n, 1, func(p []byte) int8 { return int8(p[0]) }), nil
	case ggufUint16:
		return ggufFixed(d, n, 2, le.Uint16), nil
	case ggufInt16:
		return ggufFixed(d, n, 2, func(p []byte) int16 { return int16(le.Uint16(p)) }), nil
	case ggufUint32:
		return ggufFixed(d, n, 4, le.Uint32), nil
	case ggufInt32:
		return ggufFixed(d, n, 4, func(p []byte) int32 { return int32(le.Uint32(p)) }), nil
	case ggufFloat32:
		return ggufFixed(d, n, 4, func(p []byte) float32 { return math.Float32frombits(le.Uint32(p)) }), nil
	case ggufUint64:
		return ggufFixed(d, n, 8, le.Uint64), nil
	case ggufInt64:
		return ggufFixed(d, n, 8, func(p []byte) int64 { return int64(le.Uint64(p)) }), nil
	case ggufFloat64:
		return ggufFixed(d, n, 8, func(p []byte) float64 { return math.Float64frombits(le.Uint64(p)) }), nil
	case ggufBool:
		at := d.off
		p, _ := d.take(count, "BOOL array")
		out := make([]bool, n)
		for i, c := range p {
			if c > 1 {
				return nil, fmt.Errorf("BOOL array element %d at offset %d is %d, not 0 or 1", i, at+i, c)
			}
			out[i] = c == 1
		}
		return out, nil
	case ggufString:
		out := make([]string, n)
		for i := range out {
			if out[i], err = d.str(fmt.Sprintf("STRING array element %d", i)); err != nil {
				return nil, err
			}
		}
		return out, nil
	default: // ggufArray
		out := make(GGUFArrays, n)
		for i := range out {
			if out[i], err = d.array(depth + 1); err != nil {
				return nil, fmt.Errorf("array element %d: %w", i, err)
			}
		}
		return out, nil
	}
}

// ggufFixed decodes n fixed-size elements; the caller has checked that
// n*size bytes remain.
func ggufFixed[T any](d *ggufDecoder, n, size int, conv func([]byte) T) []T {
	p := d.b[d.off : d.off+n*size]
	d.off += n * size
	out := make([]T, n)
	for i := range out {
		out[i] = conv(p[i*size:])
	}
	return out
}

func (d *ggufDecoder) tensorInfo(i uint64) (GGUFTensorInfo, error) {
	at := d.off
	name, err := d.str(fmt.Sprintf("tensor %d name", i))
	if err != nil {
		return GGUFTensorInfo{}, err
	}
	switch {
	case name == "":
		return GGUFTensorInfo{}, fmt.Errorf("tensor %d at offset %d: name is empty", i, at)
	case len(name) >= ggufMaxName:
		return GGUFTensorInfo{}, fmt.Errorf("tensor %d at offset %d: name is %d bytes, ggml allows at most %d", i, at, len(name), ggufMaxName-1)
	}
	fail := func(format string, args ...any) (GGUFTensorInfo, error) {
		return GGUFTensorInfo{}, fmt.Errorf("tensor %q: %s", name, fmt.Sprintf(format, args...))
	}
	nDims, err := d.u32("n_dims")
	if err != nil {
		return fail("%v", err)
	}
	if nDims < 1 || nDims > ggufMaxDims {
		return fail("n_dims %d, want 1 to %d", nDims, ggufMaxDims)
	}
	ne := make([]uint64, nDims)
	for j := range ne {
		if ne[j], err = d.u64("dimension"); err != nil {
			return fail("%v", err)
		}
	}
	shape := make([]int, nDims)
	for j, v := range ne {
		if v < 1 || v > maxElements || v > math.MaxInt {
			return fail("dimension ne[%d] = %d out of range (ne %v)", j, v, ne)
		}
		shape[int(nDims)-1-j] = int(v)
	}
	t, err := d.u32("type")
	if err != nil {
		return fail("%v", err)
	}
	typ := GGMLType(t)
	if _, ok := ggmlTypes[typ]; !ok {
		return fail("unsupported tensor type id %d", t)
	}
	size, err := typ.ByteSize(shape...)
	if err != nil {
		return fail("ne %v: %v", ne, err)
	}
	off, err := d.u64("data offset")
	if err != nil {
		return fail("%v", err)
	}
	if off > math.MaxInt64 {
		return fail("data offset %d out of range", off)
	}
	return GGUFTensorInfo{Name: name, Type: typ, Shape: shape, Offset: int64(off), Size: size}, nil
}

// checkLayout requires every tensor's data to be aligned, inside the data
// section, and disjoint from the others.
func (g *GGUFFile) checkLayout() error {
	n := int64(len(g.data))
	order := make([]int, len(g.tensors))
	for i := range order {
		order[i] = i
		t := g.tensors[i]
		switch {
		case t.Offset%int64(g.alignment) != 0:
			return fmt.Errorf("tensor %q: data offset %d is not a multiple of the alignment %d", t.Name, t.Offset, g.alignment)
		case t.Offset > n || t.Size > n-t.Offset:
			return fmt.Errorf("tensor %q: data [%d, %d) runs past the end of the %d-byte data section (file truncated?)", t.Name, t.Offset, t.Offset+t.Size, n)
		}
	}
	sort.Slice(order, func(a, b int) bool { return g.tensors[order[a]].Offset < g.tensors[order[b]].Offset })
	for k := 1; k < len(order); k++ {
		prev, t := g.tensors[order[k-1]], g.tensors[order[k]]
		if prev.Offset+prev.Size > t.Offset {
			return fmt.Errorf("tensor %q: data [%d, %d) overlaps tensor %q at [%d, %d)", t.Name, t.Offset, t.Offset+t.Size, prev.Name, prev.Offset, prev.Offset+prev.Size)
		}
	}
	return nil
}

// Path is the file name given to OpenGGUF or ParseGGUF.
func (g *GGUFFile) Path() string { return g.path }

// Verified reports whether the file carried both checksums (of the header
// and of the data section) and they matched: not when the check was
// skipped, nor for a file without them or with only the data checksum (as
// written before the header checksum existed).
func (g *GGUFFile) Verified() bool { return g.verified }

// Sealed reports whether the file carries both checksums WriteGGUF writes,
// quamba.header_xxhash64 and quamba.data_xxhash64, verified or not
// (GGUFOptions.SkipChecksum). A reader of files that are always written
// sealed requires it: a damaged header may otherwise have lost a checksum
// key's name, and with it the check.
func (g *GGUFFile) Sealed() bool { return g.sealed }

// Version is the GGUF version (3).
func (g *GGUFFile) Version() uint32 { return g.version }

// Alignment is the data alignment in bytes (general.alignment, or 32).
func (g *GGUFFile) Alignment() int { return g.alignment }

// DataOffset is the file offset of the data section; tensor offsets are
// relative to it.
func (g *GGUFFile) DataOffset() int64 { return g.dataStart }

// Metadata lists the metadata pairs in file order. The values are shared
// with the file and must not be modified.
func (g *GGUFFile) Metadata() []GGUFKV { return slices.Clone(g.kvs) }

// Value returns the value stored under key (shared; do not modify).
func (g *GGUFFile) Value(key string) (any, bool) {
	i, ok := g.keys[key]
	if !ok {
		return nil, false
	}
	return g.kvs[i].Value, true
}

// ggufGet returns the value under key if it has Go type T.
func ggufGet[T any](g *GGUFFile, key string) (T, error) {
	var zero T
	v, ok := g.Value(key)
	if !ok {
		return zero, fmt.Errorf("%s: metadata key %q not found", g.path, key)
	}
	x, ok := v.(T)
	if !ok {
		return zero, fmt.Errorf("%s: metadata key %q is %s, not %s", g.path, key, ggufDescribe(v), ggufDescribe(zero))
	}
	return x, nil
}

// ggufGetSlice is ggufGet for arrays, returning a copy.
func ggufGetSlice[T any](g *GGUFFile, key string) ([]T, error) {
	v, err := ggufGet[[]T](g, key)
	return slices.Clone(v), err
}

// String returns a STRING value.
func (g *GGUFFile) String(key string) (string, error) { return ggufGet[string](g, key) }

// Bool returns a BOOL value.
func (g *GGUFFile) Bool(key string) (bool, error) { return ggufGet[bool](g, key) }

// Uint32 returns a UINT32 value.
func (g *GGUFFile) Uint32(key string) (uint32, error) { return ggufGet[uint32](g, key) }

// Int32 returns an INT32 value.
func (g *GGUFFile) Int32(key string) (int32, error) { return ggufGet[int32](g, key) }

// Uint64 returns a UINT64 value.
func (g *GGUFFile) Uint64(key string) (uint64, error) { return ggufGet[uint64](g, key) }

// Int64 returns an INT64 value.
func (g *GGUFFile) Int64(key string) (int64, error) { return ggufGet[int64](g, key) }

// Float32 returns a FLOAT32 value.
func (g *GGUFFile) Float32(key string) (float32, error) { return ggufGet[float32](g, key) }

// Float64 returns a FLOAT64 value.
func (g *GGUFFile) Float64(key string) (float64, error) { return ggufGet[float64](g, key) }

// Strings returns a copy of an ARRAY of STRING.
func (g *GGUFFile) Strings(key string) ([]string, error) { return ggufGetSlice[string](g, key) }

// Int32s returns a copy of an ARRAY of INT32.
func (g *GGUFFile) Int32s(key string) ([]int32, error) { return ggufGetSlice[int32](g, key) }

// Uint32s returns a copy of an ARRAY of UINT32.
func (g *GGUFFile) Uint32s(key string) ([]uint32, error) { return ggufGetSlice[uint32](g, key) }

// Int64s returns a copy of an ARRAY of INT64.
func (g *GGUFFile) Int64s(key string) ([]int64, error) { return ggufGetSlice[int64](g, key) }

// Uint64s returns a copy of an ARRAY of UINT64.
func (g *GGUFFile) Uint64s(key string) ([]uint64, error) { return ggufGetSlice[uint64](g, key) }

// Float32s returns a copy of an ARRAY of FLOAT32.
func (g *GGUFFile) Float32s(key string) ([]float32, error) { return ggufGetSlice[float32](g, key) }

// Float64s returns a copy of an ARRAY of FLOAT64.
func (g *GGUFFile) Float64s(key string) ([]float64, error) { return ggufGetSlice[float64](g, key) }

// Tensors lists the tensors in file order.
func (g *GGUFFile) Tensors() []GGUFTensorInfo {
	out := make([]GGUFTensorInfo, len(g.tensors))
	for i, t := range g.tensors {
		t.Shape = slices.Clone(t.Shape)
		out[i] = t
	}
	return out
}

// TensorInfo describes the named tensor; ok is false when it is absent.
func (g *GGUFFile) TensorInfo(name string) (info GGUFTensorInfo, ok bool) {
	i, ok := g.names[name]
	if !ok {
		return GGUFTensorInfo{}, false
	}
	info = g.tensors[i]
	info.Shape = slices.Clone(info.Shape)
	return info, true
}

// Tensor returns the tensor's stored bytes, a sub-slice of the file image
// (not a copy; do not modify), for any known tensor type.
func (g *GGUFFile) Tensor(name string) ([]byte, error) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	_, b, err := g.bytesOf(name)
	return b, err
}

func (g *GGUFFile) bytesOf(name string) (GGUFTensorInfo, []byte, error) {
	i, ok := g.names[name]
	if !ok {
		return GGUFTensorInfo{}, nil, fmt.Errorf("%s: tensor %q not found", g.path, name)
	}
	if g.image == nil {
		return GGUFTensorInfo{}, nil, fmt.Errorf("%s: tensor %q: file is closed", g.path, name)
	}
	t := g.tensors[i]
	return t, g.data[t.Offset : t.Offset+t.Size : t.Offset+t.Size], nil
}

// errBigEndian is returned by the typed views on big-endian hosts.
var errBigEndian = errors.New("typed tensor views need a little-endian host")

// ggufView reinterprets a tensor of type want as []T without copying.
func ggufView[T any](g *GGUFFile, name string, want GGMLType) ([]T, error) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	t, b, err := g.bytesOf(name)
	if err != nil {
		return nil, err
	}
	if t.Type != want {
		return nil, fmt.Errorf("%s: tensor %q is %s, not %s", g.path, name, t.Type, want)
	}
	if !littleEndian {
		return nil, fmt.Errorf("%s: tensor %q: %w", g.path, name, errBigEndian)
	}
	var zero T
	size := int(unsafe.Sizeof(zero))
	if p := uintptr(unsafe.Pointer(&b[0])); p%uintptr(unsafe.Alignof(zero)) != 0 {
		return nil, fmt.Errorf("%s: tensor %q: data at file offset %d is not %d-byte aligned in memory", g.path, name, g.dataStart+t.Offset, unsafe.Alignof(zero))
	}
	return unsafe.Slice((*T)(unsafe.Pointer(&b[0])), len(b)/size), nil
}

// TensorF32 views an F32 tensor as []float32 (row-major, not a copy; do
// not modify).
func (g *GGUFFile) TensorF32(name string) ([]float32, error) {
	return ggufView[float32](g, name, GGMLF32)
}

// TensorF16 views an F16 tensor as its IEEE half bit patterns.
func (g *GGUFFile) TensorF16(name string) ([]uint16, error) {
	return ggufView[uint16](g, name, GGMLF16)
}

// TensorBF16 views a BF16 tensor as its bfloat16 bit patterns.
func (g *GGUFFile) TensorBF16(name string) ([]uint16, error) {
	return ggufView[uint16](g, name, GGMLBF16)
}

// TensorF64 views an F64 tensor as []float64.
func (g *GGUFFile) TensorF64(name string) ([]float64, error) {
	return ggufView[float64](g, name, GGMLF64)
}

// TensorI8 views an I8 tensor as []int8.
func (g *GGUFFile) TensorI8(name string) ([]int8, error) { return ggufView[int8](g, name, GGMLI8) }

// TensorI16 views an I16 tensor as []int16.
func (g *GGUFFile) TensorI16(name string) ([]int16, error) {
	return ggufView[int16](g, name, GGMLI16)
}

// TensorI32 views an I32 tensor as []int32.
func (g *GGUFFile) TensorI32(name string) ([]int32, error) {
	return ggufView[int32](g, name, GGMLI32)
}

// TensorI64 views an I64 tensor as []int64.
func (g *GGUFFile) TensorI64(name string) ([]int64, error) {
	return ggufView[int64](g, name, GGMLI64)
}

// Close unmaps the file; a ParseGGUF file just drops its reference to the
// caller's bytes. Later tensor reads fail.
func (g *GGUFFile) Close() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.image, g.data = nil, nil
	if g.file == nil {
		return nil
	}
	err := g.file.close()
	g.file = nil
	return err
}
