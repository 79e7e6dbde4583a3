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
