//go:build !noasm

#include "textflag.h"

// W4 panels: 16 rows, kg groups of 128 k; a group is 16 blocks of 64 bytes,
// block j holding 16 rows × 8 k (byte 4r+b: code of k = 8j+b in the low
// nibble, of k = 8j+4+b in the high nibble). Codes q mean q-8; the kernels
// unpack them with AND 0x0F / USHR 4 and subtract 8 as signed bytes, so a
// 16-byte register of low (high) nibbles is 4 rows × 4 k, like a W8 block.
//
// The GEMV kernels skip the subtraction: they multiply the codes q (0..15,
// valid signed bytes) and subtract 8·Σ_{k∈g} x[k] from each group sum, using
// Σ x·(q-8) = Σ x·q - 8·Σ x, exact in int32.

// func W4A8GemvNEONDot(x, w unsafe.Pointer, kg, np int, y, gs, rs unsafe.Pointer, xs float32)
//
// One int8 activation row (kg·128 readable bytes) times np W4 panels:
//
//	P[n][g] = Σ_{k∈g} x[k]·(q[n][k]-8)    (int32, SDOT by element)
//	y[n] = (xs·rs[n]) · Σ_g gs[n][g]·float32(P[n][g])
//
// Register roles: R10 x, R0 x cursor, R4 w cursor, R6 gs cursor (16 floats
// per group), R7 rs cursor, R8 y cursor, R9 groups per panel, R11 panels
// left, R12 groups left, R13 block pairs left in the group;
// V0-V3 raw codes of a block, V8-V11 / V12-V15 its low / high nibbles,
// V28 16 activation bytes (lanes 0/1: low/high k of block a, lanes 2/3: of
// block b), V4 8·Σx of the group (SDOT with 8s, 4 partial sums),
// V16-V19 / V20-V23 int32 Σx·q of the low / high halves of the group,
// V24-V27 float32 sums over groups, V29 xs, V30 8s, V31 0x0F.
TEXT ·W4A8GemvNEONDot(SB), NOSPLIT, $0-60
	MOVD	x+0(FP), R10
	MOVD	w+8(FP), R4
	MOVD	kg+16(FP), R9
	MOVD	np+24(FP), R11
	MOVD	y+32(FP), R8
	MOVD	gs+40(FP), R6
	MOVD	rs+48(FP), R7
	FMOVS	xs+56(FP), F29
	VDUP	V29.S[0], V29.S4
	VMOVI	$15, V31.B16
	VMOVI	$8, V30.B16

	// One panel per iteration; float32 sums over groups in V24-V27.
panel:
	MOVD	R10, R0
	MOVD	R9, R12
	VEOR	V24.B16, V24.B16, V24.B16
	VEOR	V25.B16, V25.B16, V25.B16
	VEOR	V26.B16, V26.B16, V26.B16
	VEOR	V27.B16, V27.B16, V27.B16

	// One group (128 k, 16 blocks) per iteration, exact int32 sums.
group:
	VEOR	V4.B16, V4.B16, V4.B16
	VEOR	V16.B16, V16.B16, V16.B16
	VEOR	V17.B16, V17.B16, V17.B16
	VEOR	V18.B16, V18.B16, V18.B16
	VEOR	V19.B16, V19.B16, V19.B16
	VEOR	V20.B16, V20.B16, V20.B16
	VEOR	V21.B16, V21.B16, V21.B16
	VEOR	V22.B16, V22.B16, V22.B16
	VEOR	V23.B16, V23.B16, V23.B16
	MOVD	$8, R13

	// Two blocks (16 k) per iteration.
pair:
	VLD1.P	16(R0), [V28.B16]
	WORD	$0x4E9E9784 // sdot v4.4s, v28.16b, v30.16b
	VLD1.P	64(R4), [V0.B16, V1.B16, V2.B16, V3.B16] // block a
	VAND	V31.B16, V0.B16, V8.B16
	VUSHR	$4, V0.B16, V12.B16
	VAND	V31.B16, V1.B16, V9.B16
	VUSHR	$4, V1.B16, V13.B16
	VAND	V31.B16, V2.B16, V10.B16
	VUSHR	$4, V2.B16, V14.B16
	VAND	V31.B16, V3.B16, V11.B16
	VUSHR	$4, V3.B16, V15.B16
	WORD	$0x4F9CE110 // sdot v16.4s, v8.16b, v28.4b[0]
	WORD	$0x4F9CE131 // sdot v17.4s, v9.16b, v28.4b[0]
	WORD	$0x4F9CE152 // sdot v18.4s, v10.16b, v28.4b[0]
	WORD	$0x4F9CE173 // sdot v19.4s, v11.16b, v28.4b[0]
	WORD	$0x4FBCE194 // sdot v20.4s, v12.16b, v28.4b[1]
	WORD	$0x4FBCE1B5 // sdot v21.4s, v13.16b, v28.4b[1]
	WORD	$0x4FBCE1D6 // sdot v22.4s, v14.16b, v28.4b[1]
	WORD	$0x4FBCE1F7 // sdot v23.4s, v15.16b, v28.4b[1]
	VLD1.P	64(R4), [V0.B16, V1.B16, V2.B16, V3.B16] // block b
	VAND	V31.B16, V0.B16, V8.B16
	VUSHR	$4, V0.B16, V12.B16
	VAND	V31.B16, V1.B16, V9.B16
	VUSHR	$4, V1.B16, V13.B16
	VAND	V31.B16, V2.B16, V10.B16
	VUSHR	$4, V2.B16, V14.B16
	VAND	V31.B16, V3.B16, V11.B16
	VUSHR	$4, V3.B16, V15.B16
	WORD	$0x4F9CE910 // sdot v16.4s, v8.16b, v28.4b[2]
	WORD	$0x4F9CE931 // sdot v17.4s, v9.16b, v28.4b[2]
	WORD	$0x4F9CE952 // sdot v18.4s, v10.16b, v28.4b[2]
	WORD	$0x4F9CE973 // sdot v19.4s, v11.16b, v28.4b[2]
	WORD	$0x4FBCE994 // sdot v20.4s, v12.16b, v28.4b[3]
	WORD	$0x4FBCE9B5 // sdot v21.4s, v13.16b, v28.4b[3]
	WORD	$0x4FBCE9D6 // sdot v22.4s, v14.16b, v28.4b[3]
	WORD	$0x4FBCE9F7 // sdot v23.4s, v15.16b, v28.4b[3]
	SUBS	$1, R13
	BNE	pair

	// P = Σx·q (low + high halves) - 8·Σx.
	VADD	V20.S4, V16.S4, V16.S4
	VADD	V21.S4, V17.S4, V17.S4
	VADD	V22.S4, V18.S4, V18.S4
	VADD	V23.S4, V19.S4, V19.S4
	VADDV	V4.S4, V4
	VDUP	V4.S[0], V4.S4
	VSUB	V4.S4, V16.S4, V16.S4
	VSUB	V4.S4, V17.S4, V17.S4
	VSUB	V4.S4, V18.S4, V18.S4
	VSUB	V4.S4, V19.S4, V19.S4
	// Group end (twin order): sum += gs · float32(P), separate FMUL and FADD.
	VLD1.P	64(R6), [V0.S4, V1.S4, V2.S4, V3.S4]
	WORD	$0x4E21DA10 // scvtf v16.4s, v16.4s
	WORD	$0x4E21DA31 // scvtf v17.4s, v17.4s
	WORD	$0x4E21DA52 // scvtf v18.4s, v18.4s
	WORD	$0x4E21DA73 // scvtf v19.4s, v19.4s
	WORD	$0x6E20DE10 // fmul v16.4s, v16.4s, v0.4s
	WORD	$0x6E21DE31 // fmul v17.4s, v17.4s, v1.4s
	WORD	$0x6E22DE52 // fmul v18.4s, v18.4s, v2.4s
	WORD	$0x6E23DE73 // fmul v19.4s, v19.4s, v3.4s
	WORD	$0x4E30D718 // fadd v24.4s, v24.4s, v16.4s
	WORD	$0x4E31D739 // fadd v25.4s, v25.4s, v17.4s
	WORD	$0x4E32D75A // fadd v26.4s, v26.4s, v18.4s
	WORD	$0x4E33D77B // fadd v27.4s, v27.4s, v19.4s
	SUBS	$1, R12
	BNE	group

	// y = (xs·rs) · sum.
	VLD1.P	64(R7), [V0.S4, V1.S4, V2.S4, V3.S4]
	WORD	$0x6E3DDC00 // fmul v0.4s, v0.4s, v29.4s
	WORD	$0x6E3DDC21 // fmul v1.4s, v1.4s, v29.4s
	WORD	$0x6E3DDC42 // fmul v2.4s, v2.4s, v29.4s
	WORD	$0x6E3DDC63 // fmul v3.4s, v3.4s, v29.4s
	WORD	$0x6E38DC18 // fmul v24.4s, v0.4s, v24.4s
	WORD	$0x6E39DC39 // fmul v25.4s, v1.4s, v25.4s
	WORD	$0x6E3ADC5A // fmul v26.4s, v2.4s, v26.4s
	WORD	$0x6E3BDC7B // fmul v27.4s, v3.4s, v27.4s
	VST1.P	[V24.S4, V25.S4, V26.S4, V27.S4], 64(R8)
	SUBS	$1, R11
	BNE	panel
	RET
