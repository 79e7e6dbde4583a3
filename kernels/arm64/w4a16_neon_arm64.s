//go:build !noasm

#include "textflag.h"

// W4 panels: 16 rows, kg groups of 128 k; a group is 16 blocks of 64 bytes,
// block j holding 16 rows × 8 k (byte 4r+b: code of k = 8j+b in the low
// nibble, of k = 8j+4+b in the high nibble). Codes q mean q-8; the kernels
// unpack them with AND 0x0F / USHR 4 and subtract 8 as signed bytes, so a
// 16-byte register of low (high) nibbles is 4 rows × 4 k, like a W8 block.

// func W4A16GemvNEON(x, w unsafe.Pointer, kg, np int, y, gs, rs unsafe.Pointer)
//
// One float32 activation row (kg·128 readable floats) times np W4 panels:
//
//	y[n] = rs[n] · Σ_g gs[n][g] · Σ_{k∈g} x[k]·float32(q[n][k]-8)
//
// ARMv8.0 NEON only, so it serves both arm64 tiers. Codes become floats by
// SXTL (twice) and SCVTF; each row accumulates 4 partial sums (one per k mod
// 4) with FMLA, reduced by FADDP at the end of the group. Register roles:
// R10 x, R0 x cursor, R4 w cursor, R6 gs cursor, R7 rs cursor, R8 y cursor,
// R9 groups per panel, R11 panels left, R12 groups left, R13 blocks left in
// the group; V0-V15 per-row partial sums of the group (V_r is row r),
// V16-V19 float32 sums over groups (rows 0-3, ...), V20 / V21 activations of
// the low / high k of the block, V24 raw codes of 4 rows, V25 / V26 their
// low / high nibbles as signed bytes, V27/V28 int16, V29/V30 float temps,
// V31 0x0F, V23 8s.
TEXT ·W4A16GemvNEON(SB), NOSPLIT, $0-56
	MOVD	x+0(FP), R10
	MOVD	w+8(FP), R4
	MOVD	kg+16(FP), R9
	MOVD	np+24(FP), R11
	MOVD	y+32(FP), R8
	MOVD	gs+40(FP), R6
	MOVD	rs+48(FP), R7
	VMOVI	$15, V31.B16
	VMOVI	$8, V23.B16

	// One panel per iteration; float32 sums over groups in V16-V19.
panel:
	MOVD	R10, R0
	MOVD	R9, R12
	VEOR	V16.B16, V16.B16, V16.B16
	VEOR	V17.B16, V17.B16, V17.B16
	VEOR	V18.B16, V18.B16, V18.B16
	VEOR	V19.B16, V19.B16, V19.B16

	// One group (128 k, 16 blocks) per iteration.
group:
	VEOR	V0.B16, V0.B16, V0.B16
	VEOR	V1.B16, V1.B16, V1.B16
	VEOR	V2.B16, V2.B16, V2.B16
	VEOR	V3.B16, V3.B16, V3.B16
	VEOR	V4.B16, V4.B16, V4.B16
	VEOR	V5.B16, V5.B16, V5.B16
	VEOR	V6.B16, V6.B16, V6.B16
	VEOR	V7.B16, V7.B16, V7.B16
	VEOR	V8.B16, V8.B16, V8.B16
	VEOR	V9.B16, V9.B16, V9.B16
	VEOR	V10.B16, V10.B16, V10.B16
	VEOR	V11.B16, V11.B16, V11.B16
	VEOR	V12.B16, V12.B16, V12.B16
	VEOR	V13.B16, V13.B16, V13.B16
	VEOR	V14.B16, V14.B16, V14.B16
	VEOR	V15.B16, V15.B16, V15.B16
	MOVD	$16, R13

	// One block (8 k) per iteration, 4 rows at a time.
block:
	VLD1.P	32(R0), [V20.S4, V21.S4]
	VLD1.P	16(R4), [V24.B16] // rows 0-3
	VAND	V31.B16, V24.B16, V25.B16
	VUSHR	$4, V24.B16, V26.B16
	VSUB	V23.B16, V25.B16, V25.B16
	VSUB	V23.B16, V26.B16, V26.B16
	WORD	$0x0F08A73B // sxtl v27.8h, v25.8b
	WORD	$0x4F08A73C // sxtl2 v28.8h, v25.16b
	WORD	$0x0F10A77D // sxtl v29.4s, v27.4h
	WORD	$0x4E21DBBD // scvtf v29.4s, v29.4s
	WORD	$0x4E34CFA0 // fmla v0.4s, v29.4s, v20.4s
	WORD	$0x4F10A77E // sxtl2 v30.4s, v27.8h
	WORD	$0x4E21DBDE // scvtf v30.4s, v30.4s
	WORD	$0x4E34CFC1 // fmla v1.4s, v30.4s, v20.4s
	WORD	$0x0F10A79D // sxtl v29.4s, v28.4h
	WORD	$0x4E21DBBD // scvtf v29.4s, v29.4s
	WORD	$0x4E34CFA2 // fmla v2.4s, v29.4s, v20.4s
	WORD	$0x4F10A79E // sxtl2 v30.4s, v28.8h
	WORD	$0x4E21DBDE // scvtf v30.4s, v30.4s
	WORD	$0x4E34CFC3 // fmla v3.4s, v30.4s, v20.4s
	WORD	$0x0F08A75B // sxtl v27.8h, v26.8b
	WORD	$0x4F08A75C // sxtl2 v28.8h, v26.16b
	WORD	$0x0F10A77D // sxtl v29.4s, v27.4h
	WORD	$0x4E21DBBD // scvtf v29.4s, v29.4s
	WORD	$0x4E35CFA0 // fmla v0.4s, v29.4s, v21.4s
	WORD	$0x4F10A77E // sxtl2 v30.4s, v27.8h
	WORD	$0x4E21DBDE // scvtf v30.4s, v30.4s
	WORD	$0x4E35CFC1 // fmla v1.4s, v30.4s, v21.4s
	WORD	$0x0F10A79D // sxtl v29.4s, v28.4h
	WORD	$0x4E21DBBD // scvtf v29.4s, v29.4s
	WORD	$0x4E35CFA2 // fmla v2.4s, v29.4s, v21.4s
	WORD	$0x4F10A79E // sxtl2 v30.4s, v28.8h
	WORD	$0x4E21DBDE // scvtf v30.4s, v30.4s
	WORD	$0x4E35CFC3 // fmla v3.4s, v30.4s, v21.4s
	VLD1.P	16(R4), [V24.B16] // rows 4-7
	VAND	V31.B16, V24.B16, V25.B16
	VUSHR	$4, V24.B16, V26.B16
	VSUB	V23.B16, V25.B16, V25.B16
	VSUB	V23.B16, V26.B16, V26.B16
	WORD	$0x0F08A73B // sxtl v27.8h, v25.8b
	WORD	$0x4F08A73C // sxtl2 v28.8h, v25.16b
	WORD	$0x0F10A77D // sxtl v29.4s, v27.4h
	WORD	$0x4E21DBBD // scvtf v29.4s, v29.4s
	WORD	$0x4E34CFA4 // fmla v4.4s, v29.4s, v20.4s
	WORD	$0x4F10A77E // sxtl2 v30.4s, v27.8h
	WORD	$0x4E21DBDE // scvtf v30.4s, v30.4s
	WORD	$0x4E34CFC5 // fmla v5.4s, v30.4s, v20.4s
	WORD	$0x0F10A79D // sxtl v29.4s, v28.4h
	WORD	$0x4E21DBBD // scvtf v29.4s, v29.4s
	WORD	$0x4E34CFA6 // fmla v6.4s, v29.4s, v20.4s
	WORD	$0x4F10A79E // sxtl2 v30.4s, v28.8h
	WORD	$0x4E21DBDE // scvtf v30.4s, v30.4s
	WORD	$0x4E34CFC7 // fmla v7.4s, v30.4s, v20.4s
	WORD	$0x0F08A75B // sxtl v27.8h, v26.8b
	WORD	$0x4F08A75C // sxtl2 v28.8h, v26.16b
	WORD	$0x0F10A77D // sxtl v29.4s, v27.4h
	WORD	$0x4E21DBBD // scvtf v29.4s, v29.4s
	WORD	$0x4E35CFA4 // fmla v4.4s, v29.4s, v21.4s
	WORD	$0x4F10A77E // sxtl2 v30.4s, v27.8h
	WORD	$0x4E21DBDE // scvtf v30.4s, v30.4s
	WORD	$0x4E35CFC5 // fmla v5.4s, v30.4s, v21.4s
	WORD	$0x0F10A79D // sxtl v29.4s, v28.4h
	WORD	$0x4E21DBBD // scvtf v29.4s, v29.4s
	WORD	$0x4E35CFA6 // fmla v6.4s, v29.4s, v21.4s
	WORD	$0x4F10A79E // sxtl2 v30.4s, v28.8h
	WORD	$0x4E21DBDE // scvtf v30.4s, v30.4s
	WORD	$0x4E35CFC7 // fmla v7.4s, v30.4s, v21.4s
	VLD1.P	16(R4), [V24.B16] // rows 8-11
	VAND	V31.B16, V24.B16, V25.B16
	VUSHR	$4, V24.B16, V26.B16
	VSUB	V23.B16, V25.B16, V25.B16
	VSUB	V23.B16, V26.B16, V26.B16
	WORD	$0x0F08A73B // sxtl v27.8h, v25.8b
	WORD	$0x4F08A73C // sxtl2 v28.8h, v25.16b
	WORD	$0x0F10A77D // sxtl v29.4s, v27.4h
	WORD	$0x4E21DBBD // scvtf v29.4s, v29.4s
	WORD	$0x4E34CFA8 // fmla v8.4s, v29.4s, v20.4s
	WORD	$0x4F10A77E // sxtl2 v30.4s, v27.8h
	WORD	$0x4E21DBDE // scvtf v30.4s, v30.4s
	WORD	$0x4E34CFC9 // fmla v9.4s, v30.4s, v20.4s
	WORD	$0x0F10A79D // sxtl v29.4s, v28.4h
	WORD	$0x4E21DBBD // scvtf v29.4s, v29.4s
	WORD	$0x4E34CFAA // fmla v10.4s, v29.4s, v20.4s
	WORD	$0x4F10A79E // sxtl2 v30.4s, v28.8h
	WORD	$0x4E21DBDE // scvtf v30.4s, v30.4s
	WORD	$0x4E34CFCB // fmla v11.4s, v30.4s, v20.4s
	WORD	$0x0F08A75B // sxtl v27.8h, v26.8b
	WORD	$0x4F08A75C // sxtl2 v28.8h, v26.16b
	WORD	$0x0F10A77D // sxtl v29.4s, v27.4h
	WORD	$0x4E21DBBD // scvtf v29.4s, v29.4s
	WORD	$0x4E35CFA8 // fmla v8.4s, v29.4s, v21.4s
	WORD	$0x4F10A77E // sxtl2 v30.4s, v27.8h
	WORD	$0x4E21DBDE // scvtf v30.4s, v30.4s
	WORD	$0x4E35CFC9 // fmla v9.4s, v30.4s, v21.4s
	WORD	$0x0F10A79D // sxtl v29.4s, v28.4h
	WORD	$0x4E21DBBD // scvtf v29.4s, v29.4s
	WORD	$0x4E35CFAA // fmla v10.4s, v29.4s, v21.4s
	WORD	$0x4F10A79E // sxtl2 v30.4s, v28.8h
	WORD	$0x4E21DBDE // scvtf v30.4s, v30.4s
	WORD	$0x4E35CFCB // fmla v11.4s, v30.4s, v21.4s
	VLD1.P	16(R4), [V24.B16] // rows 12-15
	VAND	V31.B16, V24.B16, V25.B16
	VUSHR	$4, V24.B16, V26.B16
	VSUB	V23.B16, V25.B16, V25.B16
	VSUB	V23.B16, V26.B16, V26.B16
	WORD	$0x0F08A73B // sxtl v27.8h, v25.8b
	WORD	$0x4F08A73C // sxtl2 v28.8h, v25.16b
	WORD	$0x0F10A77D // sxtl v29.4s, v27.4h
	WORD	$0x4E21DBBD // scvtf v29.4s, v29.4s
	WORD	$0x4E34CFAC // fmla v12.4s, v29.4s, v20.4s
	WORD	$0x4F10A77E // sxtl2 v30.4s, v27.8h
	WORD	$0x4E21DBDE // scvtf v30.4s, v30.4s
	WORD	$0x4E34CFCD // fmla v13.4s, v30.4s, v20.4s
	WORD	$0x0F10A79D // sxtl v29.4s, v28.4h
	WORD	$0x4E21DBBD // scvtf v29.4s, v29.4s
	WORD	$0x4E34CFAE // fmla v14.4s, v29.4s, v20.4s
	WORD	$0x4F10A79E // sxtl2 v30.4s, v28.8h
	WORD	$0x4E21DBDE // scvtf v30.4s, v30.4s
	WORD	$0x4E34CFCF // fmla v15.4s, v30.4s, v20.4s
	WORD	$0x0F08A75B // sxtl v27.8h, v26.8b
	WORD	$0x4F08A75C // sxtl2 v28.8h, v26.16b
	WORD	$0x0F10A77D // sxtl v29.4s, v27.4h
	WORD	$0x4E21DBBD // scvtf v29.4s, v29.4s
	WORD	$0x4E35CFAC // fmla v12.4s, v29.4s, v21.4s
	WORD	$0x4F10A77E // sxtl2 v30.4s, v27.8h
	WORD	$0x4E21DBDE // scvtf v30.4s, v30.4s
	WORD	$0x4E35CFCD // fmla v13.4s, v30.4s, v21.4s
	WORD	$0x0F10A79D // sxtl v29.4s, v28.4h
	WORD	$0x4E21DBBD // scvtf v29.4s, v29.4s
	WORD	$0x4E35CFAE // fmla v14.4s, v29.4s, v21.4s
	WORD	$0x4F10A79E // sxtl2 v30.4s, v28.8h
	WORD	$0x4E21DBDE // scvtf v30.4s, v30.4s
	WORD	$0x4E35CFCF // fmla v15.4s, v30.4s, v21.4s
	SUBS	$1, R13
	BNE	block

	// Row sums: FADDP twice turns 4 rows of 4 partial sums into one vector.
	WORD	$0x6E21D400 // faddp v0.4s, v0.4s, v1.4s
	WORD	$0x6E23D442 // faddp v2.4s, v2.4s, v3.4s
	WORD	$0x6E22D400 // faddp v0.4s, v0.4s, v2.4s
	WORD	$0x6E25D484 // faddp v4.4s, v4.4s, v5.4s
	WORD	$0x6E27D4C6 // faddp v6.4s, v6.4s, v7.4s
	WORD	$0x6E26D484 // faddp v4.4s, v4.4s, v6.4s
	WORD	$0x6E29D508 // faddp v8.4s, v8.4s, v9.4s
	WORD	$0x6E2BD54A // faddp v10.4s, v10.4s, v11.4s
	WORD	$0x6E2AD508 // faddp v8.4s, v8.4s, v10.4s
	WORD	$0x6E2DD58C // faddp v12.4s, v12.4s, v13.4s
	WORD	$0x6E2FD5CE // faddp v14.4s, v14.4s, v15.4s
	WORD	$0x6E2ED58C // faddp v12.4s, v12.4s, v14.4s
	// sum += gs · group sum, separate FMUL and FADD.
	VLD1.P	64(R6), [V24.S4, V25.S4, V26.S4, V27.S4]
	WORD	$0x6E38DC00 // fmul v0.4s, v0.4s, v24.4s
	WORD	$0x4E20D610 // fadd v16.4s, v16.4s, v0.4s
	WORD	$0x6E39DC84 // fmul v4.4s, v4.4s, v25.4s
	WORD	$0x4E24D631 // fadd v17.4s, v17.4s, v4.4s
	WORD	$0x6E3ADD08 // fmul v8.4s, v8.4s, v26.4s
	WORD	$0x4E28D652 // fadd v18.4s, v18.4s, v8.4s
	WORD	$0x6E3BDD8C // fmul v12.4s, v12.4s, v27.4s
	WORD	$0x4E2CD673 // fadd v19.4s, v19.4s, v12.4s
	SUBS	$1, R12
	BNE	group

	// y = rs · sum.
	VLD1.P	64(R7), [V24.S4, V25.S4, V26.S4, V27.S4]
	WORD	$0x6E30DF10 // fmul v16.4s, v24.4s, v16.4s
	WORD	$0x6E31DF31 // fmul v17.4s, v25.4s, v17.4s
	WORD	$0x6E32DF52 // fmul v18.4s, v26.4s, v18.4s
	WORD	$0x6E33DF73 // fmul v19.4s, v27.4s, v19.4s
	VST1.P	[V16.S4, V17.S4, V18.S4, V19.S4], 64(R8)
	SUBS	$1, R11
	BNE	panel
	RET
