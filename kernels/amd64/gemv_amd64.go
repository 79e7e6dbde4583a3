//go:build !noasm

package amd64

import "unsafe"

// Output kinds of the W8A8 kernels' fused epilogue.
const (
	EpI32 = 0 // int32 sums
	EpF32 = 1 // float32(acc)·scale (+ bias)
	EpF16 = 2 // float32(acc)·scale as IEEE half bits (RNE)
	EpI8  = 3 // sat8(roundHalfEven(float32(acc)·scale))
)

// GemvW8A8AVX2 multiplies one int8 activation row x (4·kb bytes, zero
// padded) by np packed W8 panels at w (kb 64-byte blocks per panel) and
// writes 16 outputs per panel to y (64, 64, 32 or 16 bytes per panel for
// kinds EpI32, EpF32, EpF16, EpI8). scale points to 16 float32 per panel
// (advanced by scaleInc bytes per panel: 64 per row, 0 per tensor); bias
// is nil or points to 16 float32 per panel. Requires AVX2, F16C; kb, np ≥ 1.
//
//go:noescape
func GemvW8A8AVX2(x *int8, w *int8, kb, np int, y unsafe.Pointer, kind int, scale *float32, scaleInc int, bias *float32)

// GemvW8A8AVX512 multiplies one int8 activation row x (k bytes, none read
// beyond) by np packed W8 panels at w (ceil(k/4) 64-byte blocks per panel)
// with VPDPBUSD on the offset activations x+128 and the offset correction
// -128·rowSum (rowSum: the W8 row sums, 16 int32 per panel), and writes 16
// outputs per panel to y as GemvW8A8AVX2 does. mask selects which of the 16
// rows of every panel are stored (and their scales and biases read): 0xffff,
// or the valid rows of a last, partial panel. Requires AVX-512 F, BW, VNNI;
// k, np ≥ 1.
//
//go:noescape
func GemvW8A8AVX512(x *int8, k int, w *int8, np int, rowSum *int32, y unsafe.Pointer, kind int, scale *float32, scaleInc int, bias *float32, mask int)
