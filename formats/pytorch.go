package formats

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"sort"
	"strings"
	"sync"

	"github.com/nlpodyssey/gopickle/pickle"
	"github.com/nlpodyssey/gopickle/types"
)

// maxPickleSize bounds data.pkl; a state_dict's pickle is small (it holds
// names, shapes and storage references, not tensor data).
const maxPickleSize = 256 << 20

// PyTorch is one opened PyTorch zip checkpoint (torch.save of a state_dict,
// as in pytorch_model.bin), memory-mapped where the system allows. Tensor
// views are honoured: storage offsets, strides (transposed tensors) and
// storages shared by several tensors. It is safe for concurrent reads;
// Close must not race with them.
type PyTorch struct {
	path    string
	mu      sync.RWMutex
	file    *mappedFile
	tensors map[string]*ptTensor
	names   []string
}

type ptStorage struct {
	key   string
	dtype DType
	numel int64
	entry *zip.File
	raw   []byte // the stored bytes inside the mapped file, nil if compressed

	once sync.Once
	data []byte
	err  error
}

type ptTensor struct {
	storage *ptStorage
	offset  int64
	size    []int
	stride  []int64
}

var _ Checkpoint = (*PyTorch)(nil)
var _ RawReader = (*PyTorch)(nil)

// OpenPyTorch opens a PyTorch zip checkpoint holding a state_dict (an
// OrderedDict of tensors, or a dict wrapping one under "state_dict" or
// "model"). Entries that are not tensors (Python numbers, strings) are
// skipped. The legacy pre-1.6 non-zip format is not supported.
func OpenPyTorch(path string) (*PyTorch, error) {
	m, err := mapFile(path)
	if err != nil {
		return nil, fmt.Errorf("open pytorch checkpoint: %w", err)
	}
	p, err := parsePyTorch(path, m.data)
	if err != nil {
		m.close()
		return nil, err
	}
	p.file = m
	return p, nil
}

func parsePyTorch(path string, file []byte) (*PyTorch, error) {
	zr, err := zip.NewReader(bytes.NewReader(file), int64(len(file)))
	if err != nil {
		if len(file) >= 2 && file[0] == 0x80 {
			return nil, fmt.Errorf("%s: legacy (pre-zip) PyTorch serialization is not supported; re-save with torch>=1.6", path)
		}
		return nil, fmt.Errorf("%s: not a PyTorch zip checkpoint: %w", path, err)
	}
	a, err := readArchive(zr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	pickleBytes, err := readZipEntry(a.pkl, maxPickleSize)
	if err == nil {
		err = scanPickle(pickleBytes)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", path, a.pkl.Name, err)
	}
	storages := map[string]*ptStorage{}
	obj, err := unpickleStateDict(pickleBytes, func(cls *ptStorageClass, key string, numel int64) (*ptStorage, error) {
		if st, ok := storages[key]; ok {
			if st.dtype != cls.dtype || st.numel != numel {
				return nil, fmt.Errorf("storage %q referenced as %s[%d] and %s[%d]", key, st.dtype, st.numel, cls.dtype, numel)
			}
			return st, nil
		}
		st, err := a.storage(file, cls.dtype, key, numel)
		if err != nil {
			return nil, err
		}
		storages[key] = st
		return st, nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", path, a.pkl.Name, err)
	}
	dict, err := findStateDict(obj)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	p := &PyTorch{path: path, tensors: map[string]*ptTensor{}}
	for _, e := range dict {
		t, ok := e.value.(*ptTensor)
		if !ok {
			continue
		}
		if _, dup := p.tensors[e.key]; dup {
			return nil, fmt.Errorf("%s: tensor %q appears twice", path, e.key)
		}
		if err := t.validate(); err != nil {
			return nil, fmt.Errorf("%s: tensor %q: %w", path, e.key, err)
		}
		p.tensors[e.key] = t
		p.names = append(p.names, e.key)
	}
	if len(p.names) == 0 {
		return nil, fmt.Errorf("%s: the state_dict holds no tensors", path)
	}
	sort.Strings(p.names)
	return p, nil
}

// ptArchive is the layout of a torch.save zip: <prefix>data.pkl and one
// <prefix>data/<key> record per storage.
type ptArchive struct {
	pkl     *zip.File
	prefix  string
	records map[string]*zip.File // by storage key
}

func readArchive(zr *zip.Reader) (*ptArchive, error) {
	a := &ptArchive{records: map[string]*zip.File{}}
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, "/data.pkl") && strings.Count(f.Name, "/") == 1 {
			if a.pkl != nil {
				return nil, errors.New("more than one data.pkl in the archive")
			}
			a.pkl = f
			a.prefix = strings.TrimSuffix(f.Name, "data.pkl")
		}
	}
	if a.pkl == nil {
		if _, ok := findZip(zr, "constants.pkl"); ok {
			return nil, errors.New("TorchScript archives are not supported")
		}
		return nil, errors.New("no <archive>/data.pkl in the zip: not a torch.save checkpoint")
	}
	for _, f := range zr.File {
		if key, ok := strings.CutPrefix(f.Name, a.prefix+"data/"); ok {
			a.records[key] = f
		}
		if f.Name == a.prefix+"byteorder" {
			order, err := readZipEntry(f, 16)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", f.Name, err)
			}
			if string(order) != "little" {
				return nil, fmt.Errorf("byte order %q is unsupported (want little)", order)
			}
		}
	}
	return a, nil
}

// storage locates the record of a storage of numel elements of dtype and
// checks its size. Uncompressed records are sliced from file in place.
func (a *ptArchive) storage(file []byte, dtype DType, key string, numel int64) (*ptStorage, error) {
	f, ok := a.records[key]
	if !ok || strings.ContainsAny(key, "/\\") {
		return nil, fmt.Errorf("storage %q: no %sdata/%s record in the archive", key, a.prefix, key)
	}
	if numel < 0 || numel > maxElements {
		return nil, fmt.Errorf("storage %q: invalid element count %d", key, numel)
	}
	if want := uint64(numel) * uint64(dtype.Size()); f.UncompressedSize64 != want {
		return nil, fmt.Errorf("storage %q: %d %s elements need %d bytes, record %s has %d", key, numel, dtype, want, f.Name, f.UncompressedSize64)
	}
	st := &ptStorage{key: key, dtype: dtype, numel: numel, entry: f}
	if f.Method == zip.Store {
		off, err := f.DataOffset()
		if err != nil {
			return nil, fmt.Errorf("storage %q: %w", key, err)
		}
		if off < 0 || uint64(off) > uint64(len(file)) || f.CompressedSize64 > uint64(len(file))-uint64(off) {
			return nil, fmt.Errorf("storage %q: record %s runs past the end of the file", key, f.Name)
		}
		st.raw = file[off : off+int64(f.CompressedSize64)]
	}
	return st, nil
}

func findZip(zr *zip.Reader, base string) (*zip.File, bool) {
	for _, f := range zr.File {
		if f.Name == base || strings.HasSuffix(f.Name, "/"+base) {
			return f, true
		}
	}
	return nil, false
}

// readZipEntry returns an entry's bytes (a copy), at most limit bytes.
func readZipEntry(f *zip.File, limit uint64) ([]byte, error) {
	if f.UncompressedSize64 > limit {
		return nil, fmt.Errorf("record of %d bytes exceeds the %d-byte limit", f.UncompressedSize64, limit)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, int64(f.UncompressedSize64)+1))
	if err != nil {
		return nil, err
	}
	if uint64(len(b)) != f.UncompressedSize64 {
		return nil, fmt.Errorf("record has %d bytes, its header says %d", len(b), f.UncompressedSize64)
	}
	return b, nil
}

// validate checks that the view lies inside its storage.
func (t *ptTensor) validate() error {
	if len(t.size) != len(t.stride) {
		return fmt.Errorf("size %v and stride %v differ in rank", t.size, t.stride)
	}
	numel, err := checkedProduct(t.size, maxElements)
	if err != nil {
		return err
	}
	if t.offset < 0 || t.offset > maxElements {
		return fmt.Errorf("invalid storage offset %d", t.offset)
	}
	if numel == 0 {
		return nil
	}
	if numel > t.storage.numel {
		// Broadcast (stride 0) or self-overlapping views never occur in a
		// saved state_dict; refusing them bounds the memory a file can ask for.
		return fmt.Errorf("view of %d elements over a %d-element storage %q (broadcast or overlapping views are unsupported)",
			numel, t.storage.numel, t.storage.key)
	}
	last := t.offset
	for i, s := range t.stride {
		if s < 0 || s > maxElements {
			return fmt.Errorf("invalid stride %v", t.stride)
		}
		last += int64(t.size[i]-1) * s // each term < 2^40 * 2^31: no overflow
	}
	if last >= t.storage.numel {
		return fmt.Errorf("view (offset %d, size %v, stride %v) reaches element %d of a %d-element storage %q",
			t.offset, t.size, t.stride, last, t.storage.numel, t.storage.key)
	}
	return nil
}

// bytes returns the storage's bytes, checking the zip CRC once.
func (s *ptStorage) bytes() ([]byte, error) {
	s.once.Do(func() {
		if s.raw != nil {
			if crc32.ChecksumIEEE(s.raw) != s.entry.CRC32 {
				s.err = fmt.Errorf("storage %q: record %s fails its CRC check (corrupt file)", s.key, s.entry.Name)
				return
			}
			s.data = s.raw
			return
		}
		// Compressed record: inflate it (archive/zip verifies the CRC).
		s.data, s.err = readZipEntry(s.entry, uint64(maxElements)*8)
		if s.err != nil {
			s.err = fmt.Errorf("storage %q: record %s: %w", s.key, s.entry.Name, s.err)
		}
	})
	return s.data, s.err
}

func (t *ptTensor) contiguous() bool {
	want := int64(1)
	for i := len(t.size) - 1; i >= 0; i-- {
		if t.size[i] != 1 && t.stride[i] != want {
			return false
		}
		want *= int64(t.size[i])
	}
	return true
}

// gather returns the view's elements in row-major order as stored bytes.
// When the view is contiguous the result aliases the storage.
func (t *ptTensor) gather() ([]byte, error) {
	data, err := t.storage.bytes()
	if err != nil {
		return nil, err
	}
	es := int64(t.storage.dtype.Size())
	numel, _ := checkedProduct(t.size, maxElements)
	if numel == 0 {
		return []byte{}, nil
	}
	if t.contiguous() {
		return data[t.offset*es : (t.offset+numel)*es], nil
	}
	out := make([]byte, numel*es)
	idx := make([]int, len(t.size))
	pos := t.offset
	rank := len(t.size)
	for o := int64(0); o < numel; o++ {
		copy(out[o*es:(o+1)*es], data[pos*es:(pos+1)*es])
		// Advance the multi-index like an odometer.
		for d := rank - 1; d >= 0; d-- {
			idx[d]++
			pos += t.stride[d]
			if idx[d] < t.size[d] {
				break
			}
			pos -= int64(idx[d]) * t.stride[d]
			idx[d] = 0
		}
	}
	return out, nil
}

// Path is the file name.
func (p *PyTorch) Path() string { return p.path }

// Names lists the tensor names in sorted order.
func (p *PyTorch) Names() []string { return append([]string(nil), p.names...) }

// Info describes a tensor.
func (p *PyTorch) Info(name string) (TensorInfo, bool) {
	t, ok := p.tensors[name]
	if !ok {
		return TensorInfo{}, false
	}
	return TensorInfo{Name: name, DType: t.storage.dtype, Shape: append([]int(nil), t.size...)}, true
}

func (p *PyTorch) view(name string) (*ptTensor, []byte, error) {
	t, ok := p.tensors[name]
	if !ok {
		return nil, nil, fmt.Errorf("%s: tensor %q not found", p.path, name)
	}
	if p.file == nil {
		return nil, nil, fmt.Errorf("%s: tensor %q: file is closed", p.path, name)
	}
	b, err := t.gather()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: tensor %q: %w", p.path, name, err)
	}
	return t, b, nil
}

// Float32 returns the tensor converted to float32, row-major.
func (p *PyTorch) Float32(name string) ([]float32, []int, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	t, b, err := p.view(name)
	if err != nil {
		return nil, nil, err
	}
	if !t.storage.dtype.convertible() {
		return nil, nil, fmt.Errorf("%s: tensor %q: dtype %s cannot be converted to float32", p.path, name, t.storage.dtype)
	}
	out := make([]float32, len(b)/t.storage.dtype.Size())
	if err := decodeFloat32(out, b, t.storage.dtype); err != nil {
		return nil, nil, fmt.Errorf("%s: tensor %q: %w", p.path, name, err)
	}
	p.file.release(b)
	return out, append([]int(nil), t.size...), nil
}

// Raw returns a copy of the tensor's elements as little-endian bytes in
// row-major order.
func (p *PyTorch) Raw(name string) (TensorInfo, []byte, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	_, b, err := p.view(name)
	if err != nil {
		return TensorInfo{}, nil, err
	}
	info, _ := p.Info(name)
	return info, append([]byte(nil), b...), nil
}

// Close unmaps the file.
func (p *PyTorch) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.file == nil {
		return nil
	}
	err := p.file.close()
	p.file = nil
	return err
}

// ptStorageClass stands for torch.FloatStorage and its siblings.
type ptStorageClass struct{ dtype DType }

var torchStorages = map[string]DType{
	"FloatStorage":    F32,
	"HalfStorage":     F16,
	"BFloat16Storage": BF16,
	"DoubleStorage":   F64,
	"CharStorage":     I8,
	"ByteStorage":     U8,
	"ShortStorage":    I16,
	"IntStorage":      I32,
	"LongStorage":     I64,
	"BoolStorage":     BOOL,
}

type callable func(args ...any) (any, error)

func (c callable) Call(args ...any) (any, error) { return c(args...) }

// unpickleStateDict runs the unpickler over data.pkl with the torch classes
// a state_dict needs. A panic inside the unpickler becomes an error.
func unpickleStateDict(data []byte, load func(*ptStorageClass, string, int64) (*ptStorage, error)) (obj any, err error) {
	defer func() {
		if r := recover(); r != nil {
			obj, err = nil, fmt.Errorf("corrupt pickle: %v", r)
		}
	}()
	u := pickle.NewUnpickler(bytes.NewReader(data))
	u.FindClass = func(module, name string) (any, error) {
		switch module + "." + name {
		case "torch._utils._rebuild_tensor_v2":
			return callable(rebuildTensorV2), nil
		case "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state":
			return callable(func(args ...any) (any, error) {
				if len(args) < 1 {
					return nil, errors.New("_rebuild_parameter without arguments")
				}
				return args[0], nil
			}), nil
		case "torch._tensor._rebuild_from_type_v2":
			return callable(func(args ...any) (any, error) {
				if len(args) != 4 {
					return nil, fmt.Errorf("_rebuild_from_type_v2 with %d arguments", len(args))
				}
				fn, ok1 := args[0].(types.Callable)
				fargs, ok2 := args[2].(*types.Tuple)
				if !ok1 || !ok2 {
					return nil, errors.New("_rebuild_from_type_v2: unexpected arguments")
				}
				return fn.Call(*fargs...)
			}), nil
		}
		if module == "torch" {
			if dt, ok := torchStorages[name]; ok {
				return &ptStorageClass{dtype: dt}, nil
			}
		}
		return types.NewGenericClass(module, name), nil
	}
	u.PersistentLoad = func(id any) (any, error) {
		t, ok := id.(*types.Tuple)
		if !ok || t.Len() != 5 {
			return nil, fmt.Errorf("persistent id %v is not ('storage', class, key, location, numel)", id)
		}
		kind, _ := t.Get(0).(string)
		cls, okc := t.Get(1).(*ptStorageClass)
		key, okk := t.Get(2).(string)
		numel, okn := t.Get(4).(int)
		if kind != "storage" || !okc || !okk || !okn {
			return nil, fmt.Errorf("unsupported persistent id %v", *t)
		}
		return load(cls, key, int64(numel))
	}
	return u.Load()
}

func rebuildTensorV2(args ...any) (any, error) {
	if len(args) != 6 && len(args) != 7 {
		return nil, fmt.Errorf("_rebuild_tensor_v2 with %d arguments", len(args))
	}
	st, ok1 := args[0].(*ptStorage)
	off, ok2 := args[1].(int)
	size, ok3 := args[2].(*types.Tuple)
	stride, ok4 := args[3].(*types.Tuple)
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return nil, errors.New("_rebuild_tensor_v2: unexpected argument types")
	}
	t := &ptTensor{storage: st, offset: int64(off)}
	for _, v := range *size {
		d, ok := v.(int)
		if !ok {
			return nil, fmt.Errorf("_rebuild_tensor_v2: size %v is not a tuple of ints", *size)
		}
		t.size = append(t.size, d)
	}
	for _, v := range *stride {
		d, ok := v.(int)
		if !ok {
			return nil, fmt.Errorf("_rebuild_tensor_v2: stride %v is not a tuple of ints", *stride)
		}
		t.stride = append(t.stride, int64(d))
	}
	return t, nil
}

type dictEntry struct {
	key   string
	value any
}

// dictEntries lists a pickled dict's string-keyed entries in order.
func dictEntries(v any) ([]dictEntry, bool) {
	var out []dictEntry
	switch d := v.(type) {
	case *types.OrderedDict:
		for e := d.List.Front(); e != nil; e = e.Next() {
			ent := e.Value.(*types.OrderedDictEntry)
			if k, ok := ent.Key.(string); ok {
				out = append(out, dictEntry{k, ent.Value})
			}
		}
	case *types.Dict:
		for _, ent := range *d {
			if k, ok := ent.Key.(string); ok {
				out = append(out, dictEntry{k, ent.Value})
			}
		}
	default:
		return nil, false
	}
	return out, true
}

// findStateDict returns the top-level dict when it holds tensors, or the
// dict under "state_dict" or "model".
func findStateDict(obj any) ([]dictEntry, error) {
	top, ok := dictEntries(obj)
	if !ok {
		return nil, fmt.Errorf("the pickled object is a %T, not a state_dict", obj)
	}
	for _, e := range top {
		if _, ok := e.value.(*ptTensor); ok {
			return top, nil
		}
	}
	for _, key := range []string{"state_dict", "model"} {
		for _, e := range top {
			if e.key == key {
				if inner, ok := dictEntries(e.value); ok {
					return inner, nil
				}
			}
		}
	}
	return nil, errors.New("no tensors at the top level and no \"state_dict\" or \"model\" entry holding them")
}
