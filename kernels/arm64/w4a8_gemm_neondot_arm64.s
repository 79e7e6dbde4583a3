//go:build !noasm

#include "textflag.h"

// W4 panels and code layout: see w4a8_neondot_arm64.s. Like the GEMV
// kernels these multiply the codes q (0..15) and subtract 8·Σ_{k∈g} x[k]
// from each group sum (Σ x·(q-8) = Σ x·q - 8·Σ x, exact). The float32 sums
// over groups live in a caller-provided scratch of 16 floats per token
// (the registers hold the int32 sums of the group), so that rows past mr
// never touch y.

// func W4A8GemmNEONDot(x unsafe.Pointer, ldx, mr int, w unsafe.Pointer, kg, np int, y unsafe.Pointer, ldy int, gs, rs, sum unsafe.Pointer, xs float32)
//
// mr (1 to 4) int8 activation rows (stride ldx bytes, kg·128 readable each)
// times np W4 panels, in a register block of 4 tokens × 16 rows; output
// row t at y + t·ldy bytes, 16 floats per panel. Same arithmetic as
// W4A8GemvNEONDot. Register roles: R20-R23 row starts, R0-R3 cursors, R4 w
// cursor, R6 gs cursor, R7 rs cursor, R10 sum scratch (64 bytes per token),
// R13 output of the current panel, R11 panels left, R12 groups left, R14
// block pairs left, R15 groups per panel, R8 mr, R9 ldy;
// V0-V3 raw codes of a block, V4/V5 low/high nibbles of 4 rows, V6-V9
// 8·Σx of tokens 0-3 over the group (SDOT with 8s), V10 0x0F, V11 8s,
// V12-V15 16 activation bytes of tokens 0-3 (lanes 0/1: low/high k of block
// a, lanes 2/3: of block b), V16+4t+q int32 group sums Σx·q of token t,
// rows 4q..4q+3.
TEXT ·W4A8GemmNEONDot(SB), NOSPLIT, $0-92
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
	ADD	R9, R21, R22
	CMP	$2, R8
	CSEL	GT, R22, R21, R22
	ADD	R9, R22, R23
	CMP	$3, R8
	CSEL	GT, R23, R22, R23
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
	VST1.P	[V0.S4, V1.S4, V2.S4, V3.S4], 64(R5)
	VST1.P	[V0.S4, V1.S4, V2.S4, V3.S4], 64(R5)
	MOVD	R20, R0
	MOVD	R21, R1
	MOVD	R22, R2
	MOVD	R23, R3
	MOVD	R15, R12

	// One group (128 k) per iteration, exact int32 sums in registers.
group:
	VEOR	V6.B16, V6.B16, V6.B16
	VEOR	V7.B16, V7.B16, V7.B16
	VEOR	V8.B16, V8.B16, V8.B16
	VEOR	V9.B16, V9.B16, V9.B16
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
	VMOVI	$15, V10.B16
	VMOVI	$8, V11.B16
	MOVD	$8, R14

	// Two blocks (16 k) per iteration; each block is decoded once for 4 tokens.
pair:
	VLD1.P	16(R0), [V12.B16]
	VLD1.P	16(R1), [V13.B16]
	VLD1.P	16(R2), [V14.B16]
	VLD1.P	16(R3), [V15.B16]
	WORD	$0x4E8B9586 // sdot v6.4s, v12.16b, v11.16b
	WORD	$0x4E8B95A7 // sdot v7.4s, v13.16b, v11.16b
	WORD	$0x4E8B95C8 // sdot v8.4s, v14.16b, v11.16b
	WORD	$0x4E8B95E9 // sdot v9.4s, v15.16b, v11.16b
	VLD1.P	64(R4), [V0.B16, V1.B16, V2.B16, V3.B16] // block a
	VAND	V10.B16, V0.B16, V4.B16
	VUSHR	$4, V0.B16, V5.B16
	WORD	$0x4F8CE090 // sdot v16.4s, v4.16b, v12.4b[0]
	WORD	$0x4F8DE094 // sdot v20.4s, v4.16b, v13.4b[0]
	WORD	$0x4F8EE098 // sdot v24.4s, v4.16b, v14.4b[0]
	WORD	$0x4F8FE09C // sdot v28.4s, v4.16b, v15.4b[0]
	WORD	$0x4FACE0B0 // sdot v16.4s, v5.16b, v12.4b[1]
	WORD	$0x4FADE0B4 // sdot v20.4s, v5.16b, v13.4b[1]
	WORD	$0x4FAEE0B8 // sdot v24.4s, v5.16b, v14.4b[1]
	WORD	$0x4FAFE0BC // sdot v28.4s, v5.16b, v15.4b[1]
	VAND	V10.B16, V1.B16, V4.B16
	VUSHR	$4, V1.B16, V5.B16
	WORD	$0x4F8CE091 // sdot v17.4s, v4.16b, v12.4b[0]
	WORD	$0x4F8DE095 // sdot v21.4s, v4.16b, v13.4b[0]
	WORD	$0x4F8EE099 // sdot v25.4s, v4.16b, v14.4b[0]
	WORD	$0x4F8FE09D // sdot v29.4s, v4.16b, v15.4b[0]
	WORD	$0x4FACE0B1 // sdot v17.4s, v5.16b, v12.4b[1]
	WORD	$0x4FADE0B5 // sdot v21.4s, v5.16b, v13.4b[1]
	WORD	$0x4FAEE0B9 // sdot v25.4s, v5.16b, v14.4b[1]
	WORD	$0x4FAFE0BD // sdot v29.4s, v5.16b, v15.4b[1]
	VAND	V10.B16, V2.B16, V4.B16
	VUSHR	$4, V2.B16, V5.B16
	WORD	$0x4F8CE092 // sdot v18.4s, v4.16b, v12.4b[0]
	WORD	$0x4F8DE096 // sdot v22.4s, v4.16b, v13.4b[0]
	WORD	$0x4F8EE09A // sdot v26.4s, v4.16b, v14.4b[0]
	WORD	$0x4F8FE09E // sdot v30.4s, v4.16b, v15.4b[0]
	WORD	$0x4FACE0B2 // sdot v18.4s, v5.16b, v12.4b[1]
	WORD	$0x4FADE0B6 // sdot v22.4s, v5.16b, v13.4b[1]
	WORD	$0x4FAEE0BA // sdot v26.4s, v5.16b, v14.4b[1]
	WORD	$0x4FAFE0BE // sdot v30.4s, v5.16b, v15.4b[1]
	VAND	V10.B16, V3.B16, V4.B16
	VUSHR	$4, V3.B16, V5.B16
	WORD	$0x4F8CE093 // sdot v19.4s, v4.16b, v12.4b[0]
	WORD	$0x4F8DE097 // sdot v23.4s, v4.16b, v13.4b[0]
	WORD	$0x4F8EE09B // sdot v27.4s, v4.16b, v14.4b[0]
	WORD	$0x4F8FE09F // sdot v31.4s, v4.16b, v15.4b[0]
	WORD	$0x4FACE0B3 // sdot v19.4s, v5.16b, v12.4b[1]
	WORD	$0x4FADE0B7 // sdot v23.4s, v5.16b, v13.4b[1]
	WORD	$0x4FAEE0BB // sdot v27.4s, v5.16b, v14.4b[1]
	WORD	$0x4FAFE0BF // sdot v31.4s, v5.16b, v15.4b[1]
	VLD1.P	64(R4), [V0.B16, V1.B16, V2.B16, V3.B16] // block b
	VAND	V10.B16, V0.B16, V4.B16
	VUSHR	$4, V0.B16, V5.B16
	WORD	$0x4F8CE890 // sdot v16.4s, v4.16b, v12.4b[2]
	WORD	$0x4F8DE894 // sdot v20.4s, v4.16b, v13.4b[2]
	WORD	$0x4F8EE898 // sdot v24.4s, v4.16b, v14.4b[2]
	WORD	$0x4F8FE89C // sdot v28.4s, v4.16b, v15.4b[2]
	WORD	$0x4FACE8B0 // sdot v16.4s, v5.16b, v12.4b[3]
	WORD	$0x4FADE8B4 // sdot v20.4s, v5.16b, v13.4b[3]
	WORD	$0x4FAEE8B8 // sdot v24.4s, v5.16b, v14.4b[3]
	WORD	$0x4FAFE8BC // sdot v28.4s, v5.16b, v15.4b[3]
	VAND	V10.B16, V1.B16, V4.B16
	VUSHR	$4, V1.B16, V5.B16
	WORD	$0x4F8CE891 // sdot v17.4s, v4.16b, v12.4b[2]
	WORD	$0x4F8DE895 // sdot v21.4s, v4.16b, v13.4b[2]
	WORD	$0x4F8EE899 // sdot v25.4s, v4.16b, v14.4b[2]
	WORD	$0x4F8FE89D // sdot v29.4s, v4.16b, v15.4b[2]
	WORD	$0x4FACE8B1 // sdot v17.4s, v5.16b, v12.4b[3]
	WORD	$0x4FADE8B5 // sdot v21.4s, v5.16b, v13.4b[3]
	WORD	$0x4FAEE8B9 // sdot v25.4s, v5.16b, v14.4b[3]
	WORD	$0x4FAFE8BD // sdot v29.4s, v5.16b, v15.4b[3]
	VAND	V10.B16, V2.B16, V4.B16
	VUSHR	$4, V2.B16, V5.B16
	WORD	$0x4F8CE892 // sdot v18.4s, v4.16b, v12.4b[2]
	WORD	$0x4F8DE896 // sdot v22.4s, v4.16b, v13.4b[2]
	WORD	$0x4F8EE89A // sdot v26.4s, v4.16b, v14.4b[2]
	WORD	$0x4F8FE89E // sdot v30.4s, v4.16b, v15.4b[2]
	WORD	$0x4FACE8B2 // sdot v18.4s, v5.16b, v12.4b[3]
	WORD	$0x4FADE8B6 // sdot v22.4s, v5.16b, v13.4b[3]
	WORD	$0x4FAEE8BA // sdot v26.4s, v5.16b, v14.4b[3]
	WORD	$0x4FAFE8BE // sdot v30.4s, v5.16b, v15.4b[3]
	VAND	V10.B16, V3.B16, V4.B16
	VUSHR	$4, V3.B16, V5.B16
	WORD	$0x4F8CE893 // sdot v19.4s, v4.16b, v12.4b[2]
	WORD	$0x4F8DE897 // sdot v23.4s, v4.16b, v13.4b[2]
	WORD	$0x4F8EE89B // sdot v27.4s, v4.16b, v14.4b[2]
	WORD	$0x4F8FE89F // sdot v31.4s, v4.16b, v15.4b[2]
	WORD	$0x4FACE8B3 // sdot v19.4s, v5.16b, v12.4b[3]
	WORD	$0x4FADE8B7 // sdot v23.4s, v5.16b, v13.4b[3]
	WORD	$0x4FAEE8BB // sdot v27.4s, v5.16b, v14.4b[3]
	WORD	$0x4FAFE8BF // sdot v31.4s, v5.16b, v15.4b[3]
	SUBS	$1, R14
	BNE	pair

	// P = Σx·q - 8·Σx for every token.
	VADDV	V6.S4, V6
	VDUP	V6.S[0], V6.S4
	VSUB	V6.S4, V16.S4, V16.S4
	VSUB	V6.S4, V17.S4, V17.S4
	VSUB	V6.S4, V18.S4, V18.S4
	VSUB	V6.S4, V19.S4, V19.S4
	VADDV	V7.S4, V7
	VDUP	V7.S[0], V7.S4
	VSUB	V7.S4, V20.S4, V20.S4
	VSUB	V7.S4, V21.S4, V21.S4
	VSUB	V7.S4, V22.S4, V22.S4
	VSUB	V7.S4, V23.S4, V23.S4
	VADDV	V8.S4, V8
	VDUP	V8.S[0], V8.S4
	VSUB	V8.S4, V24.S4, V24.S4
	VSUB	V8.S4, V25.S4, V25.S4
	VSUB	V8.S4, V26.S4, V26.S4
	VSUB	V8.S4, V27.S4, V27.S4
	VADDV	V9.S4, V9
	VDUP	V9.S[0], V9.S4
	VSUB	V9.S4, V28.S4, V28.S4
	VSUB	V9.S4, V29.S4, V29.S4
	VSUB	V9.S4, V30.S4, V30.S4
	VSUB	V9.S4, V31.S4, V31.S4
	// Group end, per token (twin order): sum += gs · float32(P). The int32
	// sums are cleared at the start of the next group.
	VLD1.P	64(R6), [V8.S4, V9.S4, V10.S4, V11.S4]
	MOVD	R10, R5
	VMOV	V16.B16, V0.B16
	VMOV	V17.B16, V1.B16
	VMOV	V18.B16, V2.B16
	VMOV	V19.B16, V3.B16
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
	VMOV	V20.B16, V0.B16
	VMOV	V21.B16, V1.B16
	VMOV	V22.B16, V2.B16
	VMOV	V23.B16, V3.B16
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
	VMOV	V24.B16, V0.B16
	VMOV	V25.B16, V1.B16
	VMOV	V26.B16, V2.B16
	VMOV	V27.B16, V3.B16
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
	VMOV	V28.B16, V0.B16
	VMOV	V29.B16, V1.B16
	VMOV	V30.B16, V2.B16
	VMOV	V31.B16, V3.B16
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
