//go:build !noasm

#include "textflag.h"

// SMMLA (ARMv8.6 I8MM, emitted as WORD): see gemm_i8mm_arm64.s. The W4
// codes (see w4a8_neondot_arm64.s) of 4 rows × 8 k sit in 16 bytes; AND
// 0x0F / USHR 4 give their k 0-3 / 4-7, and ZIP1/ZIP2 of the 32-bit lanes
// of the two give the row pairs (r, r+1) × 8 consecutive k that SMMLA
// takes. Like the SDOT kernels these multiply the codes q (0..15) and
// subtract 8·Σ_{k∈g} x[k] from each group sum, exact in int32; the 8·Σx
// come with the activations (PackXI8MMW4).

// func W4A8GemmI8MM(xp unsafe.Pointer, mr int, w unsafe.Pointer, kg, np int, y unsafe.Pointer, ldy int, gs, rs, sum unsafe.Pointer, xs float32)
//
// One block of 8 int8 activation rows prepared by PackXI8MMW4 at xp (per
// group: 16 chunks of 64 bytes, then 64 bytes of 8·Σx) times np W4 panels;
// the mr (1 to 8) first rows are stored, output row t at y + t·ldy bytes,
// 16 floats per panel. Each panel is computed as two halves of 8 rows, in
// register blocks of 8 tokens × 8 rows. The accumulators keep the SMMLA
// layout [t·r, t·(r+1), (t+1)·r, (t+1)·(r+1)] through the group ends (the
// group scales are spread to match), and the float32 sums over groups stay
// in that layout in the 256-byte scratch sum; the output stage puts them
// token-major. Same arithmetic and order as W4A8GemvNEONDot. Register roles:
//
//	R20 xp, R0 its cursor, R21 codes of the current panel, R4 their cursor,
//	R23 / R24 group / row scales of the current panel, R3 group scale
//	cursor, R22 sum, R1 its cursor, R10 the constant 64, R15 kg, R2 groups
//	left, R5 blocks left, R6 offset of the half (0 or 32 bytes), R12 panels
//	left, R13 output of the current panel, R7 output of the current token,
//	R8 tokens left to store, R9 ldy
//	V0/V1 codes of rows 0-3 / 4-7 of the half, V2/V3 their low / high
//	nibbles, V4-V7 weight row pairs (0,1) (2,3) (4,5) (6,7), V8 0x0F,
//	V12-V15 activation pairs (tokens 0,1 .. 6,7), V16+4p+q the int32
//	accumulator of token pair p and weight row pair q.
TEXT ·W4A8GemmI8MM(SB), NOSPLIT, $0-84
	MOVD	xp+0(FP), R20
	MOVD	w+16(FP), R21
	MOVD	kg+24(FP), R15
	MOVD	np+32(FP), R12
	MOVD	y+40(FP), R13
	MOVD	ldy+48(FP), R9
	MOVD	gs+56(FP), R23
	MOVD	rs+64(FP), R24
	MOVD	sum+72(FP), R22
	MOVD	$64, R10

panel:
	MOVD	$0, R6

	// One half panel (8 rows) per iteration.
half:
	VEOR	V0.B16, V0.B16, V0.B16
	VEOR	V1.B16, V1.B16, V1.B16
	VEOR	V2.B16, V2.B16, V2.B16
	VEOR	V3.B16, V3.B16, V3.B16
	MOVD	R22, R1
	VST1.P	[V0.S4, V1.S4, V2.S4, V3.S4], 64(R1)
	VST1.P	[V0.S4, V1.S4, V2.S4, V3.S4], 64(R1)
	VST1.P	[V0.S4, V1.S4, V2.S4, V3.S4], 64(R1)
	VST1.P	[V0.S4, V1.S4, V2.S4, V3.S4], 64(R1)
	MOVD	R20, R0
	ADD	R6, R21, R4
	ADD	R6, R23, R3
	MOVD	R15, R2

	// One group (128 k) per iteration, exact int32 sums in registers.
group:
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
	VMOVI	$15, V8.B16
	MOVD	$16, R5

	// One block (8 k) per iteration: 4 token pairs × 4 weight row pairs.
block:
	VLD1.P	64(R0), [V12.B16, V13.B16, V14.B16, V15.B16]
	VLD1.P	(R4)(R10), [V0.B16, V1.B16]
	VAND	V8.B16, V0.B16, V2.B16
	VUSHR	$4, V0.B16, V3.B16
	VZIP1	V3.S4, V2.S4, V4.S4
	VZIP2	V3.S4, V2.S4, V5.S4
	VAND	V8.B16, V1.B16, V2.B16
	VUSHR	$4, V1.B16, V3.B16
	VZIP1	V3.S4, V2.S4, V6.S4
	VZIP2	V3.S4, V2.S4, V7.S4
	WORD	$0x4E84A590 // smmla v16.4s, v12.16b, v4.16b
	WORD	$0x4E85A591 // smmla v17.4s, v12.16b, v5.16b
	WORD	$0x4E86A592 // smmla v18.4s, v12.16b, v6.16b
	WORD	$0x4E87A593 // smmla v19.4s, v12.16b, v7.16b
	WORD	$0x4E84A5B4 // smmla v20.4s, v13.16b, v4.16b
	WORD	$0x4E85A5B5 // smmla v21.4s, v13.16b, v5.16b
	WORD	$0x4E86A5B6 // smmla v22.4s, v13.16b, v6.16b
	WORD	$0x4E87A5B7 // smmla v23.4s, v13.16b, v7.16b
	WORD	$0x4E84A5D8 // smmla v24.4s, v14.16b, v4.16b
	WORD	$0x4E85A5D9 // smmla v25.4s, v14.16b, v5.16b
	WORD	$0x4E86A5DA // smmla v26.4s, v14.16b, v6.16b
	WORD	$0x4E87A5DB // smmla v27.4s, v14.16b, v7.16b
	WORD	$0x4E84A5FC // smmla v28.4s, v15.16b, v4.16b
	WORD	$0x4E85A5FD // smmla v29.4s, v15.16b, v5.16b
	WORD	$0x4E86A5FE // smmla v30.4s, v15.16b, v6.16b
	WORD	$0x4E87A5FF // smmla v31.4s, v15.16b, v7.16b
	SUBS	$1, R5
	BNE	block

	// Group end: P = Σx·q - 8·Σx (V8-V11: [8Σx(t), 8Σx(t), 8Σx(t+1),
	// 8Σx(t+1)] of the pairs), then sum += gs · float32(P) (separate
	// multiply and add, twin order), the group scales of rows (r, r+1)
	// repeated to match the layout.
	VLD1.P	64(R0), [V8.S4, V9.S4, V10.S4, V11.S4]
	VSUB	V8.S4, V16.S4, V16.S4
	VSUB	V8.S4, V17.S4, V17.S4
	VSUB	V8.S4, V18.S4, V18.S4
	VSUB	V8.S4, V19.S4, V19.S4
	VSUB	V9.S4, V20.S4, V20.S4
	VSUB	V9.S4, V21.S4, V21.S4
	VSUB	V9.S4, V22.S4, V22.S4
	VSUB	V9.S4, V23.S4, V23.S4
	VSUB	V10.S4, V24.S4, V24.S4
	VSUB	V10.S4, V25.S4, V25.S4
	VSUB	V10.S4, V26.S4, V26.S4
	VSUB	V10.S4, V27.S4, V27.S4
	VSUB	V11.S4, V28.S4, V28.S4
	VSUB	V11.S4, V29.S4, V29.S4
	VSUB	V11.S4, V30.S4, V30.S4
	VSUB	V11.S4, V31.S4, V31.S4
	VLD1.P	(R3)(R10), [V0.S4, V1.S4]
	VZIP1	V0.D2, V0.D2, V4.D2
	VZIP2	V0.D2, V0.D2, V5.D2
	VZIP1	V1.D2, V1.D2, V6.D2
	VZIP2	V1.D2, V1.D2, V7.D2
	WORD	$0x4E21DA10 // scvtf v16.4s, v16.4s
	WORD	$0x4E21DA31 // scvtf v17.4s, v17.4s
	WORD	$0x4E21DA52 // scvtf v18.4s, v18.4s
	WORD	$0x4E21DA73 // scvtf v19.4s, v19.4s
	WORD	$0x6E24DE10 // fmul v16.4s, v16.4s, v4.4s
	WORD	$0x6E25DE31 // fmul v17.4s, v17.4s, v5.4s
	WORD	$0x6E26DE52 // fmul v18.4s, v18.4s, v6.4s
	WORD	$0x6E27DE73 // fmul v19.4s, v19.4s, v7.4s
	WORD	$0x4E21DA94 // scvtf v20.4s, v20.4s
	WORD	$0x4E21DAB5 // scvtf v21.4s, v21.4s
	WORD	$0x4E21DAD6 // scvtf v22.4s, v22.4s
	WORD	$0x4E21DAF7 // scvtf v23.4s, v23.4s
	WORD	$0x6E24DE94 // fmul v20.4s, v20.4s, v4.4s
	WORD	$0x6E25DEB5 // fmul v21.4s, v21.4s, v5.4s
	WORD	$0x6E26DED6 // fmul v22.4s, v22.4s, v6.4s
	WORD	$0x6E27DEF7 // fmul v23.4s, v23.4s, v7.4s
	WORD	$0x4E21DB18 // scvtf v24.4s, v24.4s
	WORD	$0x4E21DB39 // scvtf v25.4s, v25.4s
	WORD	$0x4E21DB5A // scvtf v26.4s, v26.4s
	WORD	$0x4E21DB7B // scvtf v27.4s, v27.4s
	WORD	$0x6E24DF18 // fmul v24.4s, v24.4s, v4.4s
	WORD	$0x6E25DF39 // fmul v25.4s, v25.4s, v5.4s
	WORD	$0x6E26DF5A // fmul v26.4s, v26.4s, v6.4s
	WORD	$0x6E27DF7B // fmul v27.4s, v27.4s, v7.4s
	WORD	$0x4E21DB9C // scvtf v28.4s, v28.4s
	WORD	$0x4E21DBBD // scvtf v29.4s, v29.4s
	WORD	$0x4E21DBDE // scvtf v30.4s, v30.4s
	WORD	$0x4E21DBFF // scvtf v31.4s, v31.4s
	WORD	$0x6E24DF9C // fmul v28.4s, v28.4s, v4.4s
	WORD	$0x6E25DFBD // fmul v29.4s, v29.4s, v5.4s
	WORD	$0x6E26DFDE // fmul v30.4s, v30.4s, v6.4s
	WORD	$0x6E27DFFF // fmul v31.4s, v31.4s, v7.4s
	MOVD	R22, R1
	VLD1	(R1), [V0.S4, V1.S4, V2.S4, V3.S4]
	WORD	$0x4E30D400 // fadd v0.4s, v0.4s, v16.4s
	WORD	$0x4E31D421 // fadd v1.4s, v1.4s, v17.4s
	WORD	$0x4E32D442 // fadd v2.4s, v2.4s, v18.4s
	WORD	$0x4E33D463 // fadd v3.4s, v3.4s, v19.4s
	VST1.P	[V0.S4, V1.S4, V2.S4, V3.S4], 64(R1)
	VLD1	(R1), [V0.S4, V1.S4, V2.S4, V3.S4]
	WORD	$0x4E34D400 // fadd v0.4s, v0.4s, v20.4s
	WORD	$0x4E35D421 // fadd v1.4s, v1.4s, v21.4s
	WORD	$0x4E36D442 // fadd v2.4s, v2.4s, v22.4s
	WORD	$0x4E37D463 // fadd v3.4s, v3.4s, v23.4s
	VST1.P	[V0.S4, V1.S4, V2.S4, V3.S4], 64(R1)
	VLD1	(R1), [V0.S4, V1.S4, V2.S4, V3.S4]
	WORD	$0x4E38D400 // fadd v0.4s, v0.4s, v24.4s
	WORD	$0x4E39D421 // fadd v1.4s, v1.4s, v25.4s
	WORD	$0x4E3AD442 // fadd v2.4s, v2.4s, v26.4s
	WORD	$0x4E3BD463 // fadd v3.4s, v3.4s, v27.4s
	VST1.P	[V0.S4, V1.S4, V2.S4, V3.S4], 64(R1)
	VLD1	(R1), [V0.S4, V1.S4, V2.S4, V3.S4]
	WORD	$0x4E3CD400 // fadd v0.4s, v0.4s, v28.4s
	WORD	$0x4E3DD421 // fadd v1.4s, v1.4s, v29.4s
	WORD	$0x4E3ED442 // fadd v2.4s, v2.4s, v30.4s
	WORD	$0x4E3FD463 // fadd v3.4s, v3.4s, v31.4s
	VST1.P	[V0.S4, V1.S4, V2.S4, V3.S4], 64(R1)
	SUBS	$1, R2
	BNE	group

	// y = (xs·rs) · sum for the mr real tokens, token-major.
	ADD	R6, R24, R1
	VLD1	(R1), [V0.S4, V1.S4]
	FMOVS	xs+80(FP), F2
	VDUP	V2.S[0], V2.S4
	WORD	$0x6E22DC00 // fmul v0.4s, v0.4s, v2.4s
	WORD	$0x6E22DC21 // fmul v1.4s, v1.4s, v2.4s
	MOVD	R22, R1
	ADD	R6, R13, R7
	MOVD	mr+8(FP), R8

pair:
	VLD1.P	64(R1), [V4.S4, V5.S4, V6.S4, V7.S4]
	VZIP1	V5.D2, V4.D2, V8.D2
	VZIP1	V7.D2, V6.D2, V9.D2
	VZIP2	V5.D2, V4.D2, V10.D2
	VZIP2	V7.D2, V6.D2, V11.D2
	WORD	$0x6E28DC08 // fmul v8.4s, v0.4s, v8.4s
	WORD	$0x6E29DC29 // fmul v9.4s, v1.4s, v9.4s
	WORD	$0x6E2ADC0A // fmul v10.4s, v0.4s, v10.4s
	WORD	$0x6E2BDC2B // fmul v11.4s, v1.4s, v11.4s
	VST1	[V8.S4, V9.S4], (R7)
	ADD	R9, R7
	SUBS	$1, R8
	BEQ	halfdone
	VST1	[V10.S4, V11.S4], (R7)
	ADD	R9, R7
	SUBS	$1, R8
	BNE	pair

halfdone:
	ADD	$32, R6
	CMP	$64, R6
	BNE	half

	ADD	R15<<10, R21
	ADD	R15<<6, R23
	ADD	$64, R24
	ADD	$64, R13
	SUBS	$1, R12
	BNE	panel
	RET
