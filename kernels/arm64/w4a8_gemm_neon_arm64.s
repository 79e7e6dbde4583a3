//go:build !noasm

#include "textflag.h"

// W4 panels and code layout: see w4a8_neondot_arm64.s. Like the GEMV
// kernels these multiply the codes q (0..15) and subtract 8·Σ_{k∈g} x[k]
// from each group sum (Σ x·(q-8) = Σ x·q - 8·Σ x, exact). The float32 sums
// over groups live in a caller-provided scratch of 16 floats per token
// (the registers hold the int32 sums of the group), so that rows past mr
// never touch y.

// func W4A8GemmNEON(x unsafe.Pointer, ldx, mr int, w unsafe.Pointer, kg, np int, y unsafe.Pointer, ldy int, gs, rs, sum unsafe.Pointer, xs float32)
//
// W4A8GemmNEONDot for ARMv8.0 NEON with a register block of 2 tokens × 16
// rows (mr is 1 or 2); products as in W4A8GemvNEON (SMULL/SMLAL, SADALP).
// Register roles: R20/R21 row starts, R0/R1 cursors, R4 w cursor, R6 gs
// cursor, R7 rs cursor, R10 sum scratch, R13 output of the current panel,
// R11 panels left, R12 groups left, R14 blocks left, R15 groups per panel,
// R8 mr, R9 ldy; V0-V3 raw codes of a block, V4/V5 low/high nibbles of 4
// rows, V6/V7 int16 products, V8/V9 (token 0) and V10/V11 (token 1)
// replicated activations of the low/high k, V12 0x0F, V14/V15 int16 pair
// sums of the replicated activations of token 0/1 (4·Σx in all),
// V16-V23 / V24-V31 int32 pair sums Σx·q of token 0 / 1 (lane layout of
// gemv_neon_arm64.s).
TEXT ·W4A8GemmNEON(SB), NOSPLIT, $0-92
	MOVD	x+0(FP), R20
	MOVD	ldx+8(FP), R9
	MOVD	mr+16(FP), R8
	MOVD	w+24(FP), R4
	MOVD	kg+32(FP), R15
	MOVD	np+40(FP), R11
	MOVD	y+48(FP), R13
	MOVD	gs+64(FP), R6
	MOVD	rs+72(FP), R7
	MOVD	sum+80(FP), R10

	// Row starts; rows past mr repeat the previous row.
	ADD	R9, R20, R21
	CMP	$1, R8
	CSEL	GT, R21, R20, R21
	MOVD	ldy+56(FP), R9

	// One panel per iteration.
panel:
	// Zero the float32 sums of the panel (16 per token).
	VEOR	V0.B16, V0.B16, V0.B16
	VEOR	V1.B16, V1.B16, V1.B16
	VEOR	V2.B16, V2.B16, V2.B16
	VEOR	V3.B16, V3.B16, V3.B16
	MOVD	R10, R5
	VST1.P	[V0.S4, V1.S4, V2.S4, V3.S4], 64(R5)
	VST1.P	[V0.S4, V1.S4, V2.S4, V3.S4], 64(R5)
	MOVD	R20, R0
	MOVD	R21, R1
	MOVD	R15, R12

	// One group (128 k) per iteration, exact int32 sums in registers.
group:
	VEOR	V14.B16, V14.B16, V14.B16
	VEOR	V15.B16, V15.B16, V15.B16
	VEOR	V16.B16, V16.B16, V16.B16
	VEOR	V17.B16, V17.B16, V17.B16
	VEOR	V18.B16, V18.B16, V18.B16
	VEOR	V19.B16, V19.B16, V19.B16
	VEOR	V20.B16, V20.B16, V20.B16
	VEOR	V21.B16, V21.B16, V21.B16
	VEOR	V22.B16, V22.B16, V22.B16
	VEOR	V23.B16, V23.B16, V23.B16
	VEOR	V24.B16, V24.B16, V24.B16
	VEOR	V25.B16, V25.B16, V25.B16
	VEOR	V26.B16, V26.B16, V26.B16
	VEOR	V27.B16, V27.B16, V27.B16
	VEOR	V28.B16, V28.B16, V28.B16
	VEOR	V29.B16, V29.B16, V29.B16
	VEOR	V30.B16, V30.B16, V30.B16
	VEOR	V31.B16, V31.B16, V31.B16
	VMOVI	$15, V12.B16
	MOVD	$16, R14

	// One block (8 k) per iteration, decoded once for both tokens.
block:
	VLD1R.P	4(R0), [V8.S4]
	VLD1R.P	4(R0), [V9.S4]
	VLD1R.P	4(R1), [V10.S4]
	VLD1R.P	4(R1), [V11.S4]
	VLD1.P	64(R4), [V0.B16, V1.B16, V2.B16, V3.B16]
	WORD	$0x4E20690E // sadalp v14.8h, v8.16b
	WORD	$0x4E20692E // sadalp v14.8h, v9.16b
	WORD	$0x4E20694F // sadalp v15.8h, v10.16b
	WORD	$0x4E20696F // sadalp v15.8h, v11.16b
	VAND	V12.B16, V0.B16, V4.B16
	VUSHR	$4, V0.B16, V5.B16
	WORD	$0x0E28C086 // smull v6.8h, v4.8b, v8.8b
	WORD	$0x0E2980A6 // smlal v6.8h, v5.8b, v9.8b
	WORD	$0x4E28C087 // smull2 v7.8h, v4.16b, v8.16b
	WORD	$0x4E2980A7 // smlal2 v7.8h, v5.16b, v9.16b
	WORD	$0x4E6068D0 // sadalp v16.4s, v6.8h
	WORD	$0x4E6068F1 // sadalp v17.4s, v7.8h
	WORD	$0x0E2AC086 // smull v6.8h, v4.8b, v10.8b
	WORD	$0x0E2B80A6 // smlal v6.8h, v5.8b, v11.8b
	WORD	$0x4E2AC087 // smull2 v7.8h, v4.16b, v10.16b
	WORD	$0x4E2B80A7 // smlal2 v7.8h, v5.16b, v11.16b
	WORD	$0x4E6068D8 // sadalp v24.4s, v6.8h
	WORD	$0x4E6068F9 // sadalp v25.4s, v7.8h
	VAND	V12.B16, V1.B16, V4.B16
	VUSHR	$4, V1.B16, V5.B16
	WORD	$0x0E28C086 // smull v6.8h, v4.8b, v8.8b
	WORD	$0x0E2980A6 // smlal v6.8h, v5.8b, v9.8b
	WORD	$0x4E28C087 // smull2 v7.8h, v4.16b, v8.16b
	WORD	$0x4E2980A7 // smlal2 v7.8h, v5.16b, v9.16b
	WORD	$0x4E6068D2 // sadalp v18.4s, v6.8h
	WORD	$0x4E6068F3 // sadalp v19.4s, v7.8h
	WORD	$0x0E2AC086 // smull v6.8h, v4.8b, v10.8b
	WORD	$0x0E2B80A6 // smlal v6.8h, v5.8b, v11.8b
	WORD	$0x4E2AC087 // smull2 v7.8h, v4.16b, v10.16b
	WORD	$0x4E2B80A7 // smlal2 v7.8h, v5.16b, v11.16b
	WORD	$0x4E6068DA // sadalp v26.4s, v6.8h
	WORD	$0x4E6068FB // sadalp v27.4s, v7.8h
	VAND	V12.B16, V2.B16, V4.B16
	VUSHR	$4, V2.B16, V5.B16
	WORD	$0x0E28C086 // smull v6.8h, v4.8b, v8.8b
	WORD	$0x0E2980A6 // smlal v6.8h, v5.8b, v9.8b
	WORD	$0x4E28C087 // smull2 v7.8h, v4.16b, v8.16b
	WORD	$0x4E2980A7 // smlal2 v7.8h, v5.16b, v9.16b
	WORD	$0x4E6068D4 // sadalp v20.4s, v6.8h
	WORD	$0x4E6068F5 // sadalp v21.4s, v7.8h
	WORD	$0x0E2AC086 // smull v6.8h, v4.8b, v10.8b
	WORD	$0x0E2B80A6 // smlal v6.8h, v5.8b, v11.8b
	WORD	$0x4E2AC087 // smull2 v7.8h, v4.16b, v10.16b
	WORD	$0x4E2B80A7 // smlal2 v7.8h, v5.16b, v11.16b
	WORD	$0x4E6068DC // sadalp v28.4s, v6.8h
	WORD	$0x4E6068FD // sadalp v29.4s, v7.8h
	VAND	V12.B16, V3.B16, V4.B16
	VUSHR	$4, V3.B16, V5.B16
	WORD	$0x0E28C086 // smull v6.8h, v4.8b, v8.8b
	WORD	$0x0E2980A6 // smlal v6.8h, v5.8b, v9.8b
	WORD	$0x4E28C087 // smull2 v7.8h, v4.16b, v8.16b
	WORD	$0x4E2980A7 // smlal2 v7.8h, v5.16b, v9.16b
	WORD	$0x4E6068D6 // sadalp v22.4s, v6.8h
	WORD	$0x4E6068F7 // sadalp v23.4s, v7.8h
	WORD	$0x0E2AC086 // smull v6.8h, v4.8b, v10.8b
	WORD	$0x0E2B80A6 // smlal v6.8h, v5.8b, v11.8b
	WORD	$0x4E2AC087 // smull2 v7.8h, v4.16b, v10.16b
	WORD	$0x4E2B80A7 // smlal2 v7.8h, v5.16b, v11.16b
	WORD	$0x4E6068DE // sadalp v30.4s, v6.8h
	WORD	$0x4E6068FF // sadalp v31.4s, v7.8h
	SUBS	$1, R14
	BNE	block

	// Group end, per token (twin order): sum += gs · float32(P). The int32
	// sums are cleared at the start of the next group.
	VLD1.P	64(R6), [V8.S4, V9.S4, V10.S4, V11.S4]
	MOVD	R10, R5
	VADDP	V17.S4, V16.S4, V0.S4
	VADDP	V19.S4, V18.S4, V1.S4
	VADDP	V21.S4, V20.S4, V2.S4
	VADDP	V23.S4, V22.S4, V3.S4
	WORD	$0x4E7039CE // saddlv s14, v14.8h
	VDUP	V14.S[0], V14.S4
	VSHL	$1, V14.S4, V14.S4 // 8·Σx
	VSUB	V14.S4, V0.S4, V0.S4
	VSUB	V14.S4, V1.S4, V1.S4
	VSUB	V14.S4, V2.S4, V2.S4
	VSUB	V14.S4, V3.S4, V3.S4
	WORD	$0x4E21D800 // scvtf v0.4s, v0.4s
	WORD	$0x4E21D821 // scvtf v1.4s, v1.4s
	WORD	$0x4E21D842 // scvtf v2.4s, v2.4s
	WORD	$0x4E21D863 // scvtf v3.4s, v3.4s
	WORD	$0x6E28DC00 // fmul v0.4s, v0.4s, v8.4s
	WORD	$0x6E29DC21 // fmul v1.4s, v1.4s, v9.4s
	WORD	$0x6E2ADC42 // fmul v2.4s, v2.4s, v10.4s
	WORD	$0x6E2BDC63 // fmul v3.4s, v3.4s, v11.4s
	VLD1	(R5), [V4.S4, V5.S4, V6.S4, V7.S4]
	WORD	$0x4E20D484 // fadd v4.4s, v4.4s, v0.4s
	WORD	$0x4E21D4A5 // fadd v5.4s, v5.4s, v1.4s
	WORD	$0x4E22D4C6 // fadd v6.4s, v6.4s, v2.4s
	WORD	$0x4E23D4E7 // fadd v7.4s, v7.4s, v3.4s
	VST1.P	[V4.S4, V5.S4, V6.S4, V7.S4], 64(R5)
	VADDP	V25.S4, V24.S4, V0.S4
	VADDP	V27.S4, V26.S4, V1.S4
	VADDP	V29.S4, V28.S4, V2.S4
	VADDP	V31.S4, V30.S4, V3.S4
	WORD	$0x4E7039EF // saddlv s15, v15.8h
	VDUP	V15.S[0], V15.S4
	VSHL	$1, V15.S4, V15.S4 // 8·Σx
	VSUB	V15.S4, V0.S4, V0.S4
	VSUB	V15.S4, V1.S4, V1.S4
	VSUB	V15.S4, V2.S4, V2.S4
	VSUB	V15.S4, V3.S4, V3.S4
	WORD	$0x4E21D800 // scvtf v0.4s, v0.4s
	WORD	$0x4E21D821 // scvtf v1.4s, v1.4s
	WORD	$0x4E21D842 // scvtf v2.4s, v2.4s
	WORD	$0x4E21D863 // scvtf v3.4s, v3.4s
	WORD	$0x6E28DC00 // fmul v0.4s, v0.4s, v8.4s
	WORD	$0x6E29DC21 // fmul v1.4s, v1.4s, v9.4s
	WORD	$0x6E2ADC42 // fmul v2.4s, v2.4s, v10.4s
	WORD	$0x6E2BDC63 // fmul v3.4s, v3.4s, v11.4s
	VLD1	(R5), [V4.S4, V5.S4, V6.S4, V7.S4]
	WORD	$0x4E20D484 // fadd v4.4s, v4.4s, v0.4s
	WORD	$0x4E21D4A5 // fadd v5.4s, v5.4s, v1.4s
	WORD	$0x4E22D4C6 // fadd v6.4s, v6.4s, v2.4s
	WORD	$0x4E23D4E7 // fadd v7.4s, v7.4s, v3.4s
	VST1.P	[V4.S4, V5.S4, V6.S4, V7.S4], 64(R5)
	SUBS	$1, R12
	BNE	group

	// y = (xs·rs) · sum for the mr real tokens.
	VLD1.P	64(R7), [V0.S4, V1.S4, V2.S4, V3.S4]
	FMOVS	xs+88(FP), F8
	VDUP	V8.S[0], V8.S4
	WORD	$0x6E28DC00 // fmul v0.4s, v0.4s, v8.4s
	WORD	$0x6E28DC21 // fmul v1.4s, v1.4s, v8.4s
	WORD	$0x6E28DC42 // fmul v2.4s, v2.4s, v8.4s
	WORD	$0x6E28DC63 // fmul v3.4s, v3.4s, v8.4s
	MOVD	R10, R5
	MOVD	R13, R14
	MOVD	R8, R15

	// Store token by token.
token:
	VLD1.P	64(R5), [V4.S4, V5.S4, V6.S4, V7.S4]
	WORD	$0x6E24DC04 // fmul v4.4s, v0.4s, v4.4s
	WORD	$0x6E25DC25 // fmul v5.4s, v1.4s, v5.4s
	WORD	$0x6E26DC46 // fmul v6.4s, v2.4s, v6.4s
	WORD	$0x6E27DC67 // fmul v7.4s, v3.4s, v7.4s
	VST1	[V4.S4, V5.S4, V6.S4, V7.S4], (R14)
	ADD	R9, R14
	SUBS	$1, R15
	BNE	token

	MOVD	kg+32(FP), R15
	ADD	$64, R13
	SUBS	$1, R11
	BNE	panel
	RET
