//go:build !noasm

package amd64

import "unsafe"

// GemmW8A8x4AVX2 multiplies 4 prepared int8 activation rows by np packed W8
// panels (kb 64-byte blocks each). xp holds, for k-block j and row t, the 8
// bytes |x[t][4j..4j+3]| (unsigned) and x[t][4j..4j+3] at xp[32j+8t]. Row t
// of the output starts at y + t·ldy bytes; the epilogue arguments are those
// of GemvW8A8AVX2. Requires AVX2, F16C; kb, np ≥ 1.
//
//go:noescape
func GemmW8A8x4AVX2(xp *int8, w *int8, kb, np int, y unsafe.Pointer, ldy int, kind int, scale *float32, scaleInc int, bias *float32)

// GemmPrepX4AVX2 writes the first 8·n32 k-blocks of the GemmW8A8x4AVX2
// activation layout for the 4 rows at x, x+ldx, x+2·ldx, x+3·ldx (32·n32
// bytes read from each). Requires AVX2.
//
//go:noescape
func GemmPrepX4AVX2(x *int8, ldx int, n32 int, xp *int8)

// GemmW8A8x8AVX512 multiplies 8 prepared activation rows by np packed W8
// panels (kb 64-byte blocks each). Row t of x, at x + t·ldx, holds the 4·kb
// bytes written by GemmPrepXAVX512 (x XOR 0x80). rowSum holds the W8 row
// sums of the panels (16 int32 per panel). Row t of the output starts at
// y + t·ldy bytes; kind, scale, scaleInc, bias and mask are those of
// GemvW8A8AVX512. Requires AVX-512 F, BW, VNNI; kb, np ≥ 1.
//
//go:noescape
func GemmW8A8x8AVX512(x *byte, ldx int, w *int8, kb, np int, rowSum *int32, y unsafe.Pointer, ldy int, kind int, scale *float32, scaleInc int, bias *float32, mask int)

// GemmPrepXAVX512 writes, for each of rows activation rows (row r at
// x + r·ldx, k bytes), the 4·ceil(k/4) bytes x XOR 0x80 (padding 0x80) to
// xp + r·ldp: the GemmW8A8x8AVX512 activation layout. Requires AVX-512 F,
// BW.
//
//go:noescape
func GemmPrepXAVX512(x *int8, ldx, k, rows int, xp *byte, ldp int)
