package formats

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/cespare/xxhash/v2"
)

// GGUFTensor is one tensor to write: its name, ggml type and row-major
// shape, and its little-endian bytes, either in memory (Data) or streamed
// by Write. Exactly one of Data and Write must be set, and either must
// provide exactly Type.ByteSize(Shape...) bytes.
type GGUFTensor struct {
	Name  string
	Type  GGMLType
	Shape []int // row-major, outermost first; stored reversed as GGUF ne
	Data  []byte
	// Write streams the tensor's bytes to w; it is called once, in tensor
	// order, so only one tensor needs to be in memory at a time.
	Write func(w io.Writer) error
}

// WriteGGUF writes a GGUF v3 file atomically (a temporary file in the same
// directory, synced and renamed over path only on success; on failure
// neither path nor the temporary file is left behind).
//
// Metadata is written in the given order, followed by general.alignment =
// 64 (UINT32), quamba.data_xxhash64 (UINT64, the checksum of the data
// section) and quamba.header_xxhash64 (UINT64, the checksum of everything
// before it, see gguf.go); tensors are laid out in the given order, each
// 64-byte aligned.
// The same input always gives the same bytes. Inputs are validated before
// the file is created: keys must be non-empty and unique and not one of
// the three the writer owns, values must have a supported Go type (see
// gguf.go) and no NaN, tensor names must be unique and 1 to 63 bytes, and
// types and shapes must give a valid ByteSize.
func WriteGGUF(path string, metadata []GGUFKV, tensors []GGUFTensor) error {
	p, err := planGGUF(metadata, tensors)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return writeFileAtomic(path, func(f *os.File) error {
		bw := bufio.NewWriterSize(f, 1<<20)
		sum, err := p.writeTo(bw)
		if err != nil {
			return err
		}
		if err := bw.Flush(); err != nil {
			return err
		}
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], sum)
		if _, err := f.WriteAt(b[:], p.sumOffset); err != nil {
			return err
		}
		binary.LittleEndian.PutUint64(b[:], p.headerSum(sum))
		_, err = f.WriteAt(b[:], p.headerSumOffset)
		return err
	})
}

// headerSum is the header checksum of the planned file whose data section
// hashes to dataSum: the xxhash64 of the header bytes with dataSum in place
// and the header checksum's own eight bytes zero.
func (p *ggufPlan) headerSum(dataSum uint64) uint64 {
	h := bytes.Clone(p.header)
	binary.LittleEndian.PutUint64(h[p.sumOffset:], dataSum)
	return xxhash.Sum64(h) // h[headerSumOffset:+8] is still the zero placeholder
}

// ggufPlan is a validated file layout: the header (through the padding
// before the data section) and each tensor's data offset and size.
type ggufPlan struct {
	header          []byte
	sumOffset       int64 // file offset of the data checksum value in header
	headerSumOffset int64 // file offset of the header checksum value
	tensors         []GGUFTensor
	offsets         []int64 // relative to the data section
	sizes           []int64
	dataEnd         int64 // data section length, padding included
}

func planGGUF(metadata []GGUFKV, tensors []GGUFTensor) (*ggufPlan, error) {
	b := make([]byte, 0, 4096)
	b = append(b, ggufMagic...)
	b = binary.LittleEndian.AppendUint32(b, ggufVersion)
	b = binary.LittleEndian.AppendUint64(b, uint64(len(tensors)))
	b = binary.LittleEndian.AppendUint64(b, uint64(len(metadata))+3)
	seen := make(map[string]bool, len(metadata))
	for _, kv := range metadata {
		switch {
		case kv.Key == "":
			return nil, errors.New("metadata key is empty")
		case kv.Key == GGUFAlignmentKey || kv.Key == GGUFChecksumKey || kv.Key == GGUFHeaderChecksumKey:
			return nil, fmt.Errorf("metadata key %q is written by the GGUF writer itself", kv.Key)
		case seen[kv.Key]:
			return nil, fmt.Errorf("duplicate metadata key %q", kv.Key)
		}
		seen[kv.Key] = true
		typ, _, ok := ggufTypeOf(kv.Value)
		if !ok {
			return nil, fmt.Errorf("metadata key %q: Go type %T has no GGUF type (use a sized integer such as int32 or int64, float32/float64, bool, string, a slice of those, or GGUFArrays)", kv.Key, kv.Value)
		}
		if ggufHasNaN(kv.Value) {
			return nil, fmt.Errorf("metadata key %q: value holds a NaN", kv.Key)
		}
		b = appendGGUFString(b, kv.Key)
		b = binary.LittleEndian.AppendUint32(b, uint32(typ))
		var err error
		if b, err = appendGGUFBody(b, kv.Value, 0); err != nil {
			return nil, fmt.Errorf("metadata key %q: %w", kv.Key, err)
		}
	}
	b = appendGGUFString(b, GGUFAlignmentKey)
	b = binary.LittleEndian.AppendUint32(b, uint32(ggufUint32))
	b = binary.LittleEndian.AppendUint32(b, GGUFAlignment)
	b = appendGGUFString(b, GGUFChecksumKey)
	b = binary.LittleEndian.AppendUint32(b, uint32(ggufUint64))
	p := &ggufPlan{sumOffset: int64(len(b)), tensors: tensors}
	b = binary.LittleEndian.AppendUint64(b, 0) // patched after the data
	b = appendGGUFString(b, GGUFHeaderChecksumKey)
	b = binary.LittleEndian.AppendUint32(b, uint32(ggufUint64))
	p.headerSumOffset = int64(len(b))
	b = binary.LittleEndian.AppendUint64(b, 0) // patched after the data checksum

	names := make(map[string]bool, len(tensors))
	var pos int64
	for _, t := range tensors {
		switch {
		case t.Name == "":
			return nil, errors.New("tensor name is empty")
		case len(t.Name) >= ggufMaxName:
			return nil, fmt.Errorf("tensor %q: name is %d bytes, ggml allows at most %d", t.Name, len(t.Name), ggufMaxName-1)
		case names[t.Name]:
			return nil, fmt.Errorf("duplicate tensor name %q", t.Name)
		case (t.Data == nil) == (t.Write == nil):
			return nil, fmt.Errorf("tensor %q: set exactly one of Data and Write", t.Name)
		}
		names[t.Name] = true
		size, err := t.Type.ByteSize(t.Shape...)
		if err != nil {
			return nil, fmt.Errorf("tensor %q: %w", t.Name, err)
		}
		if t.Data != nil && int64(len(t.Data)) != size {
			return nil, fmt.Errorf("tensor %q: %s %v needs %d bytes, Data has %d", t.Name, t.Type, t.Shape, size, len(t.Data))
		}
		off := int64(alignUp(uint64(pos), GGUFAlignment))
		if off > math.MaxInt64/2-size {
			return nil, fmt.Errorf("tensor %q: data section grows past %d bytes", t.Name, int64(math.MaxInt64/2))
		}
		p.offsets = append(p.offsets, off)
		p.sizes = append(p.sizes, size)
		pos = off + size

		b = appendGGUFString(b, t.Name)
		b = binary.LittleEndian.AppendUint32(b, uint32(len(t.Shape)))
		for i := len(t.Shape) - 1; i >= 0; i-- {
			b = binary.LittleEndian.AppendUint64(b, uint64(t.Shape[i]))
		}
		b = binary.LittleEndian.AppendUint32(b, uint32(t.Type))
		b = binary.LittleEndian.AppendUint64(b, uint64(off))
	}
	p.dataEnd = int64(alignUp(uint64(pos), GGUFAlignment))
	b = append(b, make([]byte, alignUp(uint64(len(b)), GGUFAlignment)-uint64(len(b)))...)
	p.header = b
	return p, nil
}

var ggufZeros [GGUFAlignment]byte

// writeTo writes the whole file with a zero checksum placeholder and
// returns the xxhash64 of the data section.
func (p *ggufPlan) writeTo(w io.Writer) (uint64, error) {
	if _, err := w.Write(p.header); err != nil {
		return 0, err
	}
	h := xxhash.New()
	data := io.MultiWriter(w, h)
	var pos int64
	pad := func(to int64) error {
		_, err := data.Write(ggufZeros[:to-pos])
		pos = to
		return err
	}
	for i, t := range p.tensors {
		if err := pad(p.offsets[i]); err != nil {
			return 0, err
		}
		tw := &ggufTensorWriter{w: data, left: p.sizes[i]}
		var err error
		if t.Data != nil {
			_, err = tw.Write(t.Data)
		} else {
			err = t.Write(tw)
		}
		if err != nil {
			return 0, fmt.Errorf("tensor %q: %w", t.Name, err)
		}
		if tw.left != 0 {
			return 0, fmt.Errorf("tensor %q: Write gave %d of its %d bytes (%s %v)", t.Name, p.sizes[i]-tw.left, p.sizes[i], t.Type, t.Shape)
		}
		pos += p.sizes[i]
	}
	if err := pad(p.dataEnd); err != nil {
		return 0, err
	}
	return h.Sum64(), nil
}

// ggufTensorWriter passes on at most left bytes.
type ggufTensorWriter struct {
	w    io.Writer
	left int64
}

func (t *ggufTensorWriter) Write(p []byte) (int, error) {
	if int64(len(p)) > t.left {
		return 0, fmt.Errorf("Write gives more than the tensor's size (%d bytes past it)", int64(len(p))-t.left)
	}
	n, err := t.w.Write(p)
	t.left -= int64(n)
	return n, err
}

func appendGGUFString(b []byte, s string) []byte {
	b = binary.LittleEndian.AppendUint64(b, uint64(len(s)))
	return append(b, s...)
}

// appendGGUFBody appends the body of a metadata value (without its type
// tag); depth counts enclosing arrays of arrays.
func appendGGUFBody(b []byte, v any, depth int) ([]byte, error) {
	le := binary.LittleEndian
	arr := func(elem ggufValueType, n int) []byte {
		b = le.AppendUint32(b, uint32(elem))
		return le.AppendUint64(b, uint64(n))
	}
	if typ, _, _ := ggufTypeOf(v); typ == ggufArray && depth >= ggufMaxDepth {
		return nil, fmt.Errorf("arrays nested deeper than %d levels", ggufMaxDepth)
	}
	switch x := v.(type) {
	case uint8:
		return append(b, x), nil
	case int8:
		return append(b, byte(x)), nil
	case uint16:
		return le.AppendUint16(b, x), nil
	case int16:
		return le.AppendUint16(b, uint16(x)), nil
	case uint32:
		return le.AppendUint32(b, x), nil
	case int32:
		return le.AppendUint32(b, uint32(x)), nil
	case float32:
		return le.AppendUint32(b, math.Float32bits(x)), nil
	case bool:
		if x {
			return append(b, 1), nil
		}
		return append(b, 0), nil
	case string:
		return appendGGUFString(b, x), nil
	case uint64:
		return le.AppendUint64(b, x), nil
	case int64:
		return le.AppendUint64(b, uint64(x)), nil
	case float64:
		return le.AppendUint64(b, math.Float64bits(x)), nil
	case []uint8:
		b = arr(ggufUint8, len(x))
		return append(b, x...), nil
	case []int8:
		b = arr(ggufInt8, len(x))
		for _, e := range x {
			b = append(b, byte(e))
		}
	case []uint16:
		b = arr(ggufUint16, len(x))
		for _, e := range x {
			b = le.AppendUint16(b, e)
		}
	case []int16:
		b = arr(ggufInt16, len(x))
		for _, e := range x {
			b = le.AppendUint16(b, uint16(e))
		}
	case []uint32:
		b = arr(ggufUint32, len(x))
		for _, e := range x {
			b = le.AppendUint32(b, e)
		}
	case []int32:
		b = arr(ggufInt32, len(x))
		for _, e := range x {
			b = le.AppendUint32(b, uint32(e))
		}
	case []float32:
		b = arr(ggufFloat32, len(x))
		for _, e := range x {
			b = le.AppendUint32(b, math.Float32bits(e))
		}
	case []bool:
		b = arr(ggufBool, len(x))
		for _, e := range x {
			if e {
				b = append(b, 1)
			} else {
				b = append(b, 0)
			}
		}
	case []string:
		b = arr(ggufString, len(x))
		for _, e := range x {
			b = appendGGUFString(b, e)
		}
	case []uint64:
		b = arr(ggufUint64, len(x))
		for _, e := range x {
			b = le.AppendUint64(b, e)
		}
	case []int64:
		b = arr(ggufInt64, len(x))
		for _, e := range x {
			b = le.AppendUint64(b, uint64(e))
		}
	case []float64:
		b = arr(ggufFloat64, len(x))
		for _, e := range x {
			b = le.AppendUint64(b, math.Float64bits(e))
		}
	case GGUFArrays:
		b = arr(ggufArray, len(x))
		for i, item := range x {
			if typ, _, ok := ggufTypeOf(item); !ok || typ != ggufArray {
				return nil, fmt.Errorf("item %d of an ARRAY of ARRAYs is %s, not an array", i, ggufDescribe(item))
			}
			var err error
			if b, err = appendGGUFBody(b, item, depth+1); err != nil {
				return nil, err
			}
		}
	default:
		return nil, fmt.Errorf("Go type %T has no GGUF type", v)
	}
	return b, nil
}
