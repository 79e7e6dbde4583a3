package formats

import (
	"archive/zip"
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"strconv"
	"unsafe"
)

// WriteSafetensors writes tensors (F32, F16, BF16, I8, U8 or I32) and
// optional __metadata__ to a safetensors file, atomically. Tensors are laid
// out in sorted name order, so equal inputs give identical files; data is
// streamed, not assembled in memory.
func WriteSafetensors(path string, tensors map[string]TensorData, metadata map[string]string) error {
	names, err := checkTensors(path, tensors)
	if err != nil {
		return err
	}
	specs := make([]fileTensor, len(names))
	for i, name := range names {
		t := tensors[name]
		specs[i] = fileTensor{name: name, src: name, dtype: t.DType, shape: t.Shape}
	}
	return writeSafetensors(path, specs, metadata, mapSource(tensors))
}

// fileTensor describes a tensor of a file about to be written, before its
// values exist.
type fileTensor struct {
	name  string // name stored in the file
	src   string // name the values are asked for by
	dtype DType
	shape []int
	// shares is, in a PyTorch file, the stored name of an earlier tensor
	// whose storage this one reuses instead of storing its own.
	shares string
}

// check verifies that t is the tensor the file declares.
func (s fileTensor) check(t TensorData) error {
	if t.DType != s.dtype {
		return fmt.Errorf("has dtype %s, declared %s", t.DType, s.dtype)
	}
	if !shapeEqual(t.Shape, s.shape) {
		return fmt.Errorf("has shape %v, want %v", t.Shape, s.shape)
	}
	return t.validate()
}

// tensorSource produces a tensor's values by name when the writer needs
// them.
type tensorSource func(name string) (TensorData, error)

func mapSource(tensors map[string]TensorData) tensorSource {
	return func(name string) (TensorData, error) {
		t, ok := tensors[name]
		if !ok {
			return TensorData{}, fmt.Errorf("missing")
		}
		return t, nil
	}
}

// fetch asks src for s's values and checks them, naming the tensor in
// errors.
func (s fileTensor) fetch(src tensorSource) (TensorData, error) {
	t, err := src(s.src)
	if err == nil {
		err = s.check(t)
	}
	if err != nil {
		return TensorData{}, fmt.Errorf("tensor %q: %w", s.src, err)
	}
	return t, nil
}

// writeSafetensors writes the tensors specs declares, in that order, with
// a header computed from the declarations; each tensor's values are asked
// from src only when it is written.
func writeSafetensors(path string, specs []fileTensor, metadata map[string]string, src tensorSource) error {
	type entry struct {
		DType       DType    `json:"dtype"`
		Shape       []int    `json:"shape"`
		DataOffsets [2]int64 `json:"data_offsets"`
	}
	header := make(map[string]any, len(specs)+1)
	if len(metadata) > 0 {
		header["__metadata__"] = metadata
	}
	var off int64
	for _, s := range specs {
		if s.name == "__metadata__" {
			return fmt.Errorf("%s: tensor %q: reserved name", path, s.name)
		}
		numel, err := checkedProduct(s.shape, maxElements)
		if err != nil {
			return fmt.Errorf("%s: tensor %q: %w", path, s.src, err)
		}
		n := numel * int64(s.dtype.Size())
		shape := s.shape
		if shape == nil {
			shape = []int{}
		}
		header[s.name] = entry{DType: s.dtype, Shape: shape, DataOffsets: [2]int64{off, off + n}}
		off += n
	}
	h, err := json.Marshal(header) // map keys are sorted
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	for len(h)%8 != 0 { // pad with spaces as the reference writer does
		h = append(h, ' ')
	}
	return writeFileAtomic(path, func(f *os.File) error {
		w := bufio.NewWriterSize(f, 1<<20)
		var n [8]byte
		binary.LittleEndian.PutUint64(n[:], uint64(len(h)))
		w.Write(n[:])
		w.Write(h)
		for _, s := range specs {
			t, err := s.fetch(src)
			if err != nil {
				return err
			}
			if err := t.writeTo(w); err != nil {
				return err
			}
		}
		return w.Flush()
	})
}

// torchStorageName is the torch storage class of each writable dtype.
var torchStorageName = map[DType]string{
	F32: "FloatStorage", F16: "HalfStorage", BF16: "BFloat16Storage",
	I8: "CharStorage", U8: "ByteStorage", I32: "IntStorage",
}

// dataIdentity identifies a tensor's backing array, so that tensors that
// share one slice are saved sharing one storage, as torch does for tied
// weights.
type dataIdentity struct {
	dtype DType
	ptr   uintptr
	n     int
}

func identityOf(t TensorData) dataIdentity {
	var p unsafe.Pointer
	switch {
	case len(t.F32) > 0:
		p = unsafe.Pointer(&t.F32[0])
	case len(t.I8) > 0:
		p = unsafe.Pointer(&t.I8[0])
	case len(t.U8) > 0:
		p = unsafe.Pointer(&t.U8[0])
	case len(t.I32) > 0:
		p = unsafe.Pointer(&t.I32[0])
	}
	return dataIdentity{t.DType, uintptr(p), t.numel()}
}

// sharedSlices maps each name, in order, whose valid, non-empty tensor is
// the same slice as an earlier name's to that first name.
func sharedSlices(names []string, tensors map[string]TensorData) map[string]string {
	first := map[dataIdentity]string{}
	shares := map[string]string{}
	for _, name := range names {
		t, ok := tensors[name]
		if !ok || t.validate() != nil {
			continue
		}
		id := identityOf(t)
		if id.ptr == 0 {
			continue
		}
		if owner, ok := first[id]; ok {
			shares[name] = owner
		} else {
			first[id] = name
		}
	}
	return shares
}

// WritePyTorch writes tensors (F32, F16, BF16, I8, U8 or I32) as a PyTorch
// zip checkpoint holding an OrderedDict state_dict that torch.load reads
// (pickle protocol 2, torch._utils._rebuild_tensor_v2, one storage record
// per distinct tensor, 64-byte aligned). Tensors whose values are the same
// slice share a storage. The file is written atomically, data streamed.
func WritePyTorch(path string, tensors map[string]TensorData) error {
	names, err := checkTensors(path, tensors)
	if err != nil {
		return err
	}
	shares := sharedSlices(names, tensors)
	specs := make([]fileTensor, len(names))
	for i, name := range names {
		t := tensors[name]
		specs[i] = fileTensor{name: name, src: name, dtype: t.DType, shape: t.Shape, shares: shares[name]}
	}
	return writePyTorch(path, specs, mapSource(tensors))
}

// writePyTorch writes the tensors specs declares as a PyTorch zip
// checkpoint: the pickle, computed from the declarations, then one storage
// record per tensor that shares no earlier one's storage, in order, each
// tensor's values asked from src only when its record is written.
func writePyTorch(path string, specs []fileTensor, src tensorSource) error {
	type storage struct {
		key   string
		dtype DType
		numel int64
	}
	storages := map[string]storage{} // by stored name of the owning tensor
	var owners []fileTensor
	keys := make([]storage, len(specs))
	for i, s := range specs {
		if _, ok := torchStorageName[s.dtype]; !ok {
			return fmt.Errorf("%s: tensor %q: dtype %q cannot be written (want F32, F16, BF16, I8, U8 or I32)", path, s.src, s.dtype)
		}
		numel, err := checkedProduct(s.shape, maxElements)
		if err != nil {
			return fmt.Errorf("%s: tensor %q: %w", path, s.src, err)
		}
		if s.shares == "" {
			st := storage{strconv.Itoa(len(owners)), s.dtype, numel}
			storages[s.name] = st
			owners = append(owners, s)
			keys[i] = st
			continue
		}
		st, ok := storages[s.shares]
		if !ok || st.numel != numel || st.dtype != s.dtype {
			return fmt.Errorf("%s: tensor %q cannot share the storage of %q", path, s.src, s.shares)
		}
		keys[i] = st
	}
	pkl := newPickler()
	pkl.global("collections", "OrderedDict")
	pkl.op(opEmptyTuple, opReduce, opMark)
	for i, s := range specs {
		pkl.unicode(s.name)
		pkl.global("torch._utils", "_rebuild_tensor_v2")
		pkl.op(opMark)
		{
			pkl.op(opMark)
			pkl.unicode("storage")
			pkl.global("torch", torchStorageName[s.dtype])
			pkl.unicode(keys[i].key)
			pkl.unicode("cpu")
			pkl.int(keys[i].numel)
			pkl.op(opTuple, opBinPersID)
		}
		pkl.int(0) // storage offset
		pkl.intTuple(s.shape)
		pkl.intTuple(contiguousStrides(s.shape))
		pkl.op(opNewFalse) // requires_grad
		pkl.global("collections", "OrderedDict")
		pkl.op(opEmptyTuple, opReduce) // backward hooks
		pkl.op(opTuple, opReduce)
	}
	pkl.op(opSetItems, opStop)

	return writeFileAtomic(path, func(f *os.File) error {
		bw := bufio.NewWriterSize(f, 1<<20)
		zw := &alignedZip{w: zip.NewWriter(bw)}
		if err := zw.add("archive/data.pkl", pkl.buf.Bytes()); err != nil {
			return err
		}
		if err := zw.add("archive/byteorder", []byte("little")); err != nil {
			return err
		}
		for _, s := range owners {
			t, err := s.fetch(src)
			if err != nil {
				return err
			}
			if err := zw.addTensor("archive/data/"+storages[s.name].key, t); err != nil {
				return fmt.Errorf("tensor %q: %w", s.src, err)
			}
		}
		if err := zw.add("archive/version", []byte("3\n")); err != nil {
			return err
		}
		if err := zw.w.Close(); err != nil {
			return err
		}
		return bw.Flush()
	})
}

func contiguousStrides(shape []int) []int {
	s := make([]int, len(shape))
	acc := 1
	for i := len(shape) - 1; i >= 0; i-- {
		s[i] = acc
		acc *= max(shape[i], 1)
	}
	return s
}

// alignedZip writes stored (uncompressed) records whose data starts at a
// multiple of 64 bytes, padding with an extra field as torch does, so that
// the storages can be memory-mapped in place.
type alignedZip struct {
	w   *zip.Writer
	off int64 // bytes written so far (local headers and data)
}

const zipAlign = 64

func (z *alignedZip) header(name string, size int64, crc uint32) (io.Writer, error) {
	const localHeader = 30
	base := z.off + localHeader + int64(len(name)) + 4 // 4: extra field header
	pad := (zipAlign - base%zipAlign) % zipAlign
	extra := make([]byte, 4+pad)
	binary.LittleEndian.PutUint16(extra, 0x4246) // "FB", torch's padding field
	binary.LittleEndian.PutUint16(extra[2:], uint16(pad))
	fh := &zip.FileHeader{
		Name:               name,
		Method:             zip.Store,
		CRC32:              crc,
		CompressedSize64:   uint64(size),
		UncompressedSize64: uint64(size),
		Extra:              extra,
	}
	if size >= 1<<32-1 {
		return nil, fmt.Errorf("record %s: %d bytes exceed the 4 GiB non-zip64 limit", name, size)
	}
	z.off = base + pad + size
	return z.w.CreateRaw(fh)
}

func (z *alignedZip) add(name string, data []byte) error {
	w, err := z.header(name, int64(len(data)), crc32.ChecksumIEEE(data))
	if err != nil {
		return err
	}
	_, err = w.Write(data)
	return err
}

// addTensor streams a tensor's encoded bytes, computing the CRC in a first
// pass over the in-memory values.
func (z *alignedZip) addTensor(name string, t TensorData) error {
	h := crc32.NewIEEE()
	if err := t.writeTo(h); err != nil {
		return err
	}
	w, err := z.header(name, int64(t.numel()*t.DType.Size()), h.Sum32())
	if err != nil {
		return err
	}
	return t.writeTo(w)
}
