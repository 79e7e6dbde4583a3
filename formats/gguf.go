package formats

// GGUF v3 container.
//
// quamba's quantized artifact is one GGUF v3 file, the container format of
// ggml / llama.cpp, so that standard GGUF tools (gguf-py, gguf-dump) can
// list it. This file documents the container; gguf_write.go writes it and
// gguf_read.go reads and validates it. Which keys and tensors an artifact
// holds is defined on top of this container, not here.
//
// Byte layout (all integers little endian, no padding unless stated):
//
//	offset  size  field
//	0       4     magic "GGUF" (0x46554747 read as a u32)
//	4       4     version, u32 = 3
//	8       8     tensor_count, u64
//	16      8     kv_count, u64
//	24      ...   kv_count metadata pairs:
//	                key    gguf string: u64 byte length, then the bytes (no NUL)
//	                type   u32 value type (below)
//	                value  the value body of that type
//	...     ...   tensor_count tensor infos:
//	                name   gguf string (1..63 bytes, the ggml name limit)
//	                n_dims u32 (1..4)
//	                ne     n_dims u64 dims, fastest-varying first: the REVERSE
//	                       of the row-major shape ([rows, cols] has ne = [cols, rows])
//	                type   u32 ggml type id (GGMLType)
//	                offset u64 byte offset of the data, relative to the data
//	                       section, a multiple of the alignment
//	...     ...   zero padding up to the next multiple of the alignment
//	D       ...   data section: the tensors' little-endian bytes at their offsets
//
// Value types and bodies: 0 UINT8, 1 INT8, 2 UINT16, 3 INT16, 4 UINT32,
// 5 INT32, 6 FLOAT32, 10 UINT64, 11 INT64, 12 FLOAT64 (fixed size), 7 BOOL
// (one byte, 0 or 1), 8 STRING (gguf string), 9 ARRAY (u32 element type,
// u64 count, then count bodies of that type; arrays of strings and arrays of
// arrays are allowed, each inner array carrying its own element type).
//
// In Go a metadata value (GGUFKV.Value) is one of uint8, int8, uint16,
// int16, uint32, int32, float32, bool, string, uint64, int64, float64 for the
// scalars; a slice of one of those ([]uint8 ... []float64, []bool, []string)
// for an ARRAY of scalars; and GGUFArrays for an ARRAY of ARRAYs. The reader
// returns exactly these types, so what it reads can be written back.
//
// Alignment: the data section starts at the first multiple of
// general.alignment (a UINT32 power of two, 32 when the key is absent) at or
// after the end of the tensor infos, and every tensor offset is a multiple of
// it. WriteGGUF always writes general.alignment = 64, places the tensors in
// the given order each at the next multiple of 64, and zero-pads after every
// tensor, so each tensor's data is 64-byte aligned in a memory map (page
// aligned) and the file length is a multiple of 64.
//
// Checksum: WriteGGUF adds the UINT64 key quamba.data_xxhash64, the xxhash64
// (seed 0) of the whole data section, from its first byte to the end of the
// file, padding included. The header is written first with a zero
// placeholder of the same size, the data streamed through the hash, and the
// eight bytes patched in place, so the header never depends on the value.
// The reader verifies the key when present (unless GGUFOptions.SkipChecksum)
// and verifies nothing for files without it.
//
// Header checksum: the data checksum leaves the header (metadata and tensor
// infos) unprotected, where one flipped byte may rename a key, change a
// boolean option or a scale stored as metadata, or move a tensor. So
// WriteGGUF then adds the UINT64 key quamba.header_xxhash64, the last pair:
// the xxhash64 (seed 0) of the file's bytes from offset 0 to the start of
// the data section (the padding included, the data checksum's value in
// place), read with this key's own eight value bytes as zero. The two
// checksums cover every byte of the file. The reader verifies it when
// present (unless GGUFOptions.SkipChecksum) before it checks the tensor
// layout, and GGUFFile.Sealed says whether both keys are there.
//
// Tensor types: the reader knows the ggml ids listed in ggmlTypes, plain
// and block-quantized, computes their byte sizes (a block type needs ne[0] to
// be a multiple of its block length) and lists them; Tensor returns the raw
// bytes of any of them, typed views exist for the plain element types only.
// Ids it does not know (Q8_1 = 9, the removed 31-33 and 36-38, ids above
// 39) are rejected as unsupported tensor types. quamba itself writes only plain types.

import (
	"fmt"
	"math"
)

// GGMLType is a ggml tensor type id as stored in a GGUF tensor info.
type GGMLType uint32

// The plain (one element per unit) ggml types. Block-quantized types are
// recognised by the reader under their ids (GGMLType(2) is Q4_0, ...).
const (
	GGMLF32  GGMLType = 0
	GGMLF16  GGMLType = 1
	GGMLI8   GGMLType = 24
	GGMLI16  GGMLType = 25
	GGMLI32  GGMLType = 26
	GGMLI64  GGMLType = 27
	GGMLF64  GGMLType = 28
	GGMLBF16 GGMLType = 30
)

// ggmlTypeInfo is the storage unit of a ggml type: blockLen elements take
// blockBytes bytes.
type ggmlTypeInfo struct {
	name       string
	blockLen   int
	blockBytes int
}

// ggmlTypes holds the sizes of ggml's type_traits (ggml.c) for the types
// that can be stored in files. Q8_1 (id 9), ggml's internal dot-product
// operand, is left out: ggml (36 bytes per block) and gguf-py (40) disagree
// on its size, so it is reported as unsupported rather than guessed.
var ggmlTypes = map[GGMLType]ggmlTypeInfo{
	0:  {"F32", 1, 4},
	1:  {"F16", 1, 2},
	2:  {"Q4_0", 32, 18},
	3:  {"Q4_1", 32, 20},
	6:  {"Q5_0", 32, 22},
	7:  {"Q5_1", 32, 24},
	8:  {"Q8_0", 32, 34},
	10: {"Q2_K", 256, 84},
	11: {"Q3_K", 256, 110},
	12: {"Q4_K", 256, 144},
	13: {"Q5_K", 256, 176},
	14: {"Q6_K", 256, 210},
	15: {"Q8_K", 256, 292},
	16: {"IQ2_XXS", 256, 66},
	17: {"IQ2_XS", 256, 74},
	18: {"IQ3_XXS", 256, 98},
	19: {"IQ1_S", 256, 50},
	20: {"IQ4_NL", 32, 18},
	21: {"IQ3_S", 256, 110},
	22: {"IQ2_S", 256, 82},
	23: {"IQ4_XS", 256, 136},
	24: {"I8", 1, 1},
	25: {"I16", 1, 2},
	26: {"I32", 1, 4},
	27: {"I64", 1, 8},
	28: {"F64", 1, 8},
	29: {"IQ1_M", 256, 56},
	30: {"BF16", 1, 2},
	34: {"TQ1_0", 256, 54},
	35: {"TQ2_0", 256, 66},
	39: {"MXFP4", 32, 17},
}

// String is the ggml name of the type ("F32", "Q4_K", ...), or
// "type(N)" for an id this package does not know.
func (t GGMLType) String() string {
	if info, ok := ggmlTypes[t]; ok {
		return info.name
	}
	return fmt.Sprintf("type(%d)", uint32(t))
}

// ByteSize is the number of bytes a tensor of this type with the given
// row-major shape occupies. It fails for unknown types, shapes with no
// dimensions or more than 4, dimensions below 1, too many elements, and
// block types whose innermost (last) dimension is not a multiple of the
// block length.
func (t GGMLType) ByteSize(shape ...int) (int64, error) {
	info, ok := ggmlTypes[t]
	if !ok {
		return 0, fmt.Errorf("unsupported tensor type id %d", uint32(t))
	}
	if len(shape) < 1 || len(shape) > ggufMaxDims {
		return 0, fmt.Errorf("shape %v: GGUF tensors have 1 to %d dimensions", shape, ggufMaxDims)
	}
	for _, d := range shape {
		if d < 1 {
			return 0, fmt.Errorf("shape %v: dimension %d is not positive", shape, d)
		}
	}
	n, err := checkedProduct(shape, maxElements)
	if err != nil {
		return 0, err
	}
	if inner := shape[len(shape)-1]; inner%info.blockLen != 0 {
		return 0, fmt.Errorf("shape %v: %s needs the innermost dimension to be a multiple of %d, have %d", shape, info.name, info.blockLen, inner)
	}
	return n / int64(info.blockLen) * int64(info.blockBytes), nil
}

// GGUFKV is one metadata pair. Value has one of the Go types listed in the
// package's GGUF documentation (gguf.go).
type GGUFKV struct {
	Key   string
	Value any
}

// GGUFArrays is an ARRAY of ARRAYs: every item is itself an array value, a
// typed slice ([]int32, []string, ...) or a nested GGUFArrays.
type GGUFArrays []any

// GGUFOptions tune how a GGUF file is opened.
type GGUFOptions struct {
	// SkipChecksum skips verifying quamba.data_xxhash64 over the data
	// section and quamba.header_xxhash64 over the header (the keys' types
	// are still checked).
	SkipChecksum bool
}

// Container constants.
const (
	ggufMagic            = "GGUF"
	ggufVersion          = 3
	ggufDefaultAlignment = 32
	// GGUFAlignment is the data alignment WriteGGUF uses.
	GGUFAlignment = 64
	// GGUFAlignmentKey, GGUFChecksumKey and GGUFHeaderChecksumKey are
	// written by WriteGGUF itself and may not be passed to it.
	GGUFAlignmentKey      = "general.alignment"
	GGUFChecksumKey       = "quamba.data_xxhash64"
	GGUFHeaderChecksumKey = "quamba.header_xxhash64"
	ggufMaxDims           = 4  // GGML_MAX_DIMS
	ggufMaxName           = 64 // GGML_MAX_NAME, including the C terminator
	ggufMaxDepth          = 16 // nesting limit for arrays of arrays
)

// ggufValueType is a GGUF metadata value type id.
type ggufValueType uint32

const (
	ggufUint8 ggufValueType = iota
	ggufInt8
	ggufUint16
	ggufInt16
	ggufUint32
	ggufInt32
	ggufFloat32
	ggufBool
	ggufString
	ggufArray
	ggufUint64
	ggufInt64
	ggufFloat64
	ggufTypeCount
)

var ggufTypeNames = [ggufTypeCount]string{
	"UINT8", "INT8", "UINT16", "INT16", "UINT32", "INT32", "FLOAT32",
	"BOOL", "STRING", "ARRAY", "UINT64", "INT64", "FLOAT64",
}

func (t ggufValueType) String() string {
	if t < ggufTypeCount {
		return ggufTypeNames[t]
	}
	return fmt.Sprintf("value type %d", uint32(t))
}

// minSize is the smallest number of bytes one value body of type t takes.
func (t ggufValueType) minSize() int {
	switch t {
	case ggufUint8, ggufInt8, ggufBool:
		return 1
	case ggufUint16, ggufInt16:
		return 2
	case ggufUint32, ggufInt32, ggufFloat32:
		return 4
	case ggufUint64, ggufInt64, ggufFloat64, ggufString:
		return 8 // a string is at least its length
	case ggufArray:
		return 12 // element type and count
	}
	return 0
}

// ggufTypeOf maps a Go metadata value to its GGUF type and, for arrays,
// element type; ok is false for Go types GGUF cannot store.
func ggufTypeOf(v any) (typ, elem ggufValueType, ok bool) {
	switch v.(type) {
	case uint8:
		return ggufUint8, 0, true
	case int8:
		return ggufInt8, 0, true
	case uint16:
		return ggufUint16, 0, true
	case int16:
		return ggufInt16, 0, true
	case uint32:
		return ggufUint32, 0, true
	case int32:
		return ggufInt32, 0, true
	case float32:
		return ggufFloat32, 0, true
	case bool:
		return ggufBool, 0, true
	case string:
		return ggufString, 0, true
	case uint64:
		return ggufUint64, 0, true
	case int64:
		return ggufInt64, 0, true
	case float64:
		return ggufFloat64, 0, true
	case []uint8:
		return ggufArray, ggufUint8, true
	case []int8:
		return ggufArray, ggufInt8, true
	case []uint16:
		return ggufArray, ggufUint16, true
	case []int16:
		return ggufArray, ggufInt16, true
	case []uint32:
		return ggufArray, ggufUint32, true
	case []int32:
		return ggufArray, ggufInt32, true
	case []float32:
		return ggufArray, ggufFloat32, true
	case []bool:
		return ggufArray, ggufBool, true
	case []string:
		return ggufArray, ggufString, true
	case []uint64:
		return ggufArray, ggufUint64, true
	case []int64:
		return ggufArray, ggufInt64, true
	case []float64:
		return ggufArray, ggufFloat64, true
	case GGUFArrays:
		return ggufArray, ggufArray, true
	}
	return 0, 0, false
}

// ggufDescribe names the GGUF type of a Go metadata value for errors.
func ggufDescribe(v any) string {
	typ, elem, ok := ggufTypeOf(v)
	switch {
	case !ok:
		return fmt.Sprintf("Go type %T", v)
	case typ == ggufArray:
		return "ARRAY of " + elem.String()
	}
	return typ.String()
}

// ggufHasNaN reports whether a metadata value holds a NaN anywhere.
func ggufHasNaN(v any) bool {
	switch x := v.(type) {
	case float32:
		return x != x
	case float64:
		return math.IsNaN(x)
	case []float32:
		for _, f := range x {
			if f != f {
				return true
			}
		}
	case []float64:
		for _, f := range x {
			if math.IsNaN(f) {
				return true
			}
		}
	case GGUFArrays:
		for _, item := range x {
			if ggufHasNaN(item) {
				return true
			}
		}
	}
	return false
}

// alignUp rounds n up to a multiple of the power of two a.
func alignUp(n, a uint64) uint64 { return (n + a - 1) &^ (a - 1) }
