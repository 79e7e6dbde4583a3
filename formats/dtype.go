package formats

import (
	"encoding/binary"
	"fmt"
	"math"
	"sync"
	"unsafe"

	"github.com/x448/float16"
)

// Further safetensors element types that can be laid out and reported but
// not converted to float32.
const (
	BOOL   DType = "BOOL"
	I16    DType = "I16"
	U16    DType = "U16"
	U32    DType = "U32"
	U64    DType = "U64"
	F8E4M3 DType = "F8_E4M3"
	F8E5M2 DType = "F8_E5M2"
)

// Size is the number of bytes of one element, or 0 for an unknown type.
func (d DType) Size() int {
	switch d {
	case F64, I64, U64:
		return 8
	case F32, I32, U32:
		return 4
	case F16, BF16, I16, U16:
		return 2
	case I8, U8, BOOL, F8E4M3, F8E5M2:
		return 1
	}
	return 0
}

// Float reports whether d is a floating-point type convertible to float32.
func (d DType) Float() bool { return d == F32 || d == F16 || d == BF16 || d == F64 }

// convertible reports whether decodeFloat32 accepts d.
func (d DType) convertible() bool {
	switch d {
	case F32, F16, BF16, F64, I8, U8, I32, I64:
		return true
	}
	return false
}

// littleEndian reports whether the machine stores float32 in the
// little-endian byte order of the file formats, allowing plain copies.
var littleEndian = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

var (
	f16Once  sync.Once
	f16Table *[1 << 16]float32
)

// f16ToF32 returns the exact float32 value of every IEEE half bit pattern.
func f16ToF32() *[1 << 16]float32 {
	f16Once.Do(func() {
		t := new([1 << 16]float32)
		for i := range t {
			t[i] = float16.Frombits(uint16(i)).Float32()
		}
		f16Table = t
	})
	return f16Table
}

// decodeFloat32 converts little-endian elements of type d from src into dst
// (len(dst) elements). Float types convert exactly except F64, which
// rounds to nearest; integers convert exactly up to 2^24 and round beyond.
func decodeFloat32(dst []float32, src []byte, d DType) error {
	n := len(dst)
	if len(src) < n*d.Size() {
		return fmt.Errorf("short buffer: %d bytes for %d %s elements", len(src), n, d)
	}
	switch d {
	case F32:
		src = src[:4*n]
		if littleEndian && n > 0 {
			copy(unsafe.Slice((*byte)(unsafe.Pointer(&dst[0])), 4*n), src)
			return nil
		}
		for i := range dst {
			dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:]))
		}
	case F16:
		t := f16ToF32()
		src = src[:2*n]
		for i := range dst {
			dst[i] = t[binary.LittleEndian.Uint16(src[2*i:])]
		}
	case BF16:
		src = src[:2*n]
		for i := range dst {
			dst[i] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(src[2*i:])) << 16)
		}
	case F64:
		src = src[:8*n]
		for i := range dst {
			dst[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(src[8*i:])))
		}
	case I8:
		for i := range dst {
			dst[i] = float32(int8(src[i]))
		}
	case U8:
		for i := range dst {
			dst[i] = float32(src[i])
		}
	case I32:
		src = src[:4*n]
		for i := range dst {
			dst[i] = float32(int32(binary.LittleEndian.Uint32(src[4*i:])))
		}
	case I64:
		src = src[:8*n]
		for i := range dst {
			dst[i] = float32(int64(binary.LittleEndian.Uint64(src[8*i:])))
		}
	default:
		return fmt.Errorf("dtype %s cannot be converted to float32", d)
	}
	return nil
}

// f32ToBF16 rounds to the nearest bfloat16, ties to even, keeping NaN a
// (quiet) NaN, as torch does.
func f32ToBF16(f float32) uint16 {
	b := math.Float32bits(f)
	if f != f {
		return uint16(b>>16) | 0x40
	}
	b += 0x7fff + (b>>16)&1
	return uint16(b >> 16)
}

// f32ToF16 rounds to the nearest IEEE half, ties to even.
func f32ToF16(f float32) uint16 { return float16.Fromfloat32(f).Bits() }

// checkedProduct multiplies non-negative dims, failing instead of
// overflowing past limit.
func checkedProduct(shape []int, limit int64) (int64, error) {
	n := int64(1)
	for _, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("negative dimension in shape %v", shape)
		}
		if d != 0 && n > limit/int64(d) {
			return 0, fmt.Errorf("shape %v has too many elements", shape)
		}
		n *= int64(d)
	}
	return n, nil
}

// maxElements bounds a single tensor so that byte counts fit any int.
const maxElements = 1 << 40

func shapeEqual(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
