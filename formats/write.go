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
	type entry struct {
		DType       DType    `json:"dtype"`
		Shape       []int    `json:"shape"`
		DataOffsets [2]int64 `json:"data_offsets"`
	}
	header := make(map[string]any, len(names)+1)
	if len(metadata) > 0 {
		header["__metadata__"] = metadata
	}
	var off int64
	for _, name := range names {
		if name == "__metadata__" {
			return fmt.Errorf("%s: tensor %q: reserved name", path, name)
		}
		t := tensors[name]
		n := int64(t.numel() * t.DType.Size())
		shape := t.Shape
		if shape == nil {
			shape = []int{}
		}
		header[name] = entry{DType: t.DType, Shape: shape, DataOffsets: [2]int64{off, off + n}}
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
		for _, name := range names {
			if err := tensors[name].writeTo(w); err != nil {
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
	keys := map[dataIdentity]string{}
	var storageOrder []string
	storageOf := map[string]TensorData{}
	tensorKey := make([]string, len(names))
	for i, name := range names {
		t := tensors[name]
		id := identityOf(t)
		key, ok := keys[id]
		if !ok || id.ptr == 0 {
			key = strconv.Itoa(len(storageOrder))
			keys[id] = key
			storageOrder = append(storageOrder, key)
			storageOf[key] = t
		}
		tensorKey[i] = key
	}
	pkl := newPickler()
	pkl.global("collections", "OrderedDict")
	pkl.op(opEmptyTuple, opReduce, opMark)
	for i, name := range names {
		t := tensors[name]
		pkl.unicode(name)
		pkl.global("torch._utils", "_rebuild_tensor_v2")
		pkl.op(opMark)
		{
			pkl.op(opMark)
			pkl.unicode("storage")
			pkl.global("torch", torchStorageName[t.DType])
			pkl.unicode(tensorKey[i])
			pkl.unicode("cpu")
			pkl.int(int64(storageOf[tensorKey[i]].numel()))
			pkl.op(opTuple, opBinPersID)
		}
		pkl.int(0) // storage offset
		pkl.intTuple(t.Shape)
		pkl.intTuple(contiguousStrides(t.Shape))
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
		for _, key := range storageOrder {
			if err := zw.addTensor("archive/data/"+key, storageOf[key]); err != nil {
				return err
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
