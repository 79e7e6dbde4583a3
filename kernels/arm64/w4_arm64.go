//go:build !noasm

package arm64

import "unsafe"

// W4 kernels over the W4 packed layout of package kernels: 16-row panels of
// kg groups of 128 k, a group being 16 blocks of 64 bytes (16 rows × 8 k as
// nibbles), with the group scales panel-major (16 floats per group, the
// groups of a panel one after another) and 16 row scales per panel. They
// compute whole panels for one activation row and store 16 float32 outputs
// per panel, one panel after another at y. x must have kg·128 readable
// elements (the code-8 padding of the weights makes the values past K
// irrelevant).

// W4A8GemvNEONDot computes y[n] = (xs·rs[n])·Σ_g gs[n][g]·float32(P[n][g])
// with P[n][g] = Σ_{k∈g} x[k]·(q[n][k]-8) exact in int32 (SDOT), the group
// sum in order with separate multiplies and adds: bit-exact with the pure-Go
// product of package kernels.
//
//go:noescape
func W4A8GemvNEONDot(x, w unsafe.Pointer, kg, np int, y, gs, rs unsafe.Pointer, xs float32)

// W4A8GemvNEON is W4A8GemvNEONDot for ARMv8.0 NEON (SMULL/SMLAL, SADALP).
//
//go:noescape
func W4A8GemvNEON(x, w unsafe.Pointer, kg, np int, y, gs, rs unsafe.Pointer, xs float32)

// W4A16GemvNEON computes y[n] = rs[n]·Σ_g gs[n][g]·Σ_{k∈g} x[k]·(q[n][k]-8)
// for float32 x with ARMv8.0 NEON (both arm64 tiers). The inner sums are
// fused multiply-adds into 4 partial sums per row, so the result differs from
// the in-order pure-Go sum by float32 rounding.
//
//go:noescape
func W4A16GemvNEON(x, w unsafe.Pointer, kg, np int, y, gs, rs unsafe.Pointer)

// W4A8GemmRowsNEONDot and W4A8GemmRowsNEON are the numbers of activation
// rows of one W4A8 GEMM register block.
const (
	W4A8GemmRowsNEONDot = 4
	W4A8GemmRowsNEON    = 2
)

// W4A8GemmNEONDot computes mr ≤ 4 activation rows (stride ldx bytes) with
// the arithmetic of W4A8GemvNEONDot, decoding each weight block once for the
// 4 tokens of the register block. Output row t goes to y + t·ldy bytes, 16
// floats per panel. sum is a scratch of 4·16 float32 for the sums over
// groups; rows past mr repeat the last real row and are not stored.
//
//go:noescape
func W4A8GemmNEONDot(x unsafe.Pointer, ldx, mr int, w unsafe.Pointer, kg, np int, y unsafe.Pointer, ldy int, gs, rs, sum unsafe.Pointer, xs float32)

// W4A8GemmNEON is W4A8GemmNEONDot for ARMv8.0 NEON with a register block of
// 2 tokens (mr ≤ 2; sum holds 2·16 float32).
//
//go:noescape
func W4A8GemmNEON(x unsafe.Pointer, ldx, mr int, w unsafe.Pointer, kg, np int, y unsafe.Pointer, ldy int, gs, rs, sum unsafe.Pointer, xs float32)

// W4A16GemmRows is the number of activation rows of one W4A16GemmNEON block.
const W4A16GemmRows = 4

// W4DequantGroupNEON decodes one group (16 blocks, 1 KiB) of a W4 panel at w
// into 128·16 float32 values q-8 at buf, laid out for W4A16GemmNEON:
// buf[((kquad·4 + q)·4 + kk)·4 + i] is row 4q+i, k = 4·kquad+kk of the group.
//
//go:noescape
func W4DequantGroupNEON(w, buf unsafe.Pointer)

// W4A16GemmNEON adds, for mr ≤ 4 float32 activation rows (stride ldx bytes,
// 128 readable floats each: one group), gs[r]·Σ_k x[t][k]·(q[r][k]-8) to
// sum[t·16+r] (a separate multiply and add), with the group decoded at buf
// by W4DequantGroupNEON. ARMv8.0 NEON, for both arm64 tiers.
//
//go:noescape
func W4A16GemmNEON(x unsafe.Pointer, ldx, mr int, buf, gs, sum unsafe.Pointer)
