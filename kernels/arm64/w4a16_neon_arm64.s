//go:build !noasm

#include "textflag.h"

// W4 panels: 16 rows, kg groups of 128 k; a group is 16 blocks of 64 bytes,
// block j holding 16 rows × 8 k (byte 4r+b: code of k = 8j+b in the low
// nibble, of k = 8j+4+b in the high nibble). Codes q mean q-8.

// func W4A16GemvNEON(x, w unsafe.Pointer, kg, np int, y, gs, rs unsafe.Pointer)
//
// One float32 activation row (kg·128 readable floats) times np W4 panels:
//
//	y[n] = rs[n] · Σ_g gs[n][g] · Σ_{k∈g} x[k]·float32(q[n][k]-8)
//
// ARMv8.0 NEON only, so it serves both arm64 tiers. A code becomes a float
// in two instructions: TBL over the two registers {codes, 0x00 0x4B} puts
// the code in the low byte and 0x4B in the high byte of a 32-bit lane, the
// bits of the float 2^23 + q; FSUB of 2^23 + 8 leaves q - 8 exactly. Each
// row accumulates 4 partial sums (one per k mod 4) with FMLA, reduced by
// FADDP at the end of the group; the sums over groups collect in y itself
// (zeroed first; separate FMUL and FADD, like the pure-Go code).
//
// Register roles: R10 x, R0 x cursor, R4 w cursor, R6 gs cursor, R7 rs
// cursor, R8 output of the current panel, R14 scratch pointer, R9 groups per
// panel, R11 panels left, R12 groups left, R13 blocks left in the group;
// V0-V15 per-row partial sums of the group (V_r is row r), V16-V19 TBL
// indices that spread the codes of row i of a register (bytes 4i..4i+3) to
// the 4 lanes, V20 / V21 activations of the low / high k of the block,
// V22 0x0F, V23 2^23 + 8, V24 raw codes of 4 rows, V25 / V27 their low /
// high nibbles, each followed by a register with bytes 0x00 0x4B (V26, V28),
// V29-V31 decoded weights.
TEXT ·W4A16GemvNEON(SB), NOSPLIT, $0-56
	MOVD	x+0(FP), R10
	MOVD	w+8(FP), R4
	MOVD	kg+16(FP), R9
	MOVD	np+24(FP), R11
	MOVD	y+32(FP), R8
	MOVD	gs+40(FP), R6
	MOVD	rs+48(FP), R7
	VMOVI	$15, V22.B16
	VMOVQ	$0x4b0000084b000008, $0x4b0000084b000008, V23
	VMOVQ	$0x4b00, $0, V28
	VMOVQ	$0x1110100111101000, $0x1110100311101002, V16
	VMOVQ	$0x1110100511101004, $0x1110100711101006, V17
	VMOVQ	$0x1110100911101008, $0x1110100b1110100a, V18
	VMOVQ	$0x1110100d1110100c, $0x1110100f1110100e, V19

	// One panel per iteration.
panel:
	MOVD	R10, R0
	MOVD	R9, R12
	VEOR	V0.B16, V0.B16, V0.B16
	VEOR	V1.B16, V1.B16, V1.B16
	VEOR	V2.B16, V2.B16, V2.B16
	VEOR	V3.B16, V3.B16, V3.B16
	VST1	[V0.S4, V1.S4, V2.S4, V3.S4], (R8)

	// One group (128 k, 16 blocks) per iteration.
group:
	VMOVQ	$0x4b00, $0, V26
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
	VAND	V22.B16, V24.B16, V25.B16
	VUSHR	$4, V24.B16, V27.B16
	WORD	$0x4E10233D // tbl v29.16b, {v25.16b, v26.16b}, v16.16b
	WORD	$0x4EB7D7BD // fsub v29.4s, v29.4s, v23.4s
	WORD	$0x4E34CFA0 // fmla v0.4s, v29.4s, v20.4s
	WORD	$0x4E11233E // tbl v30.16b, {v25.16b, v26.16b}, v17.16b
	WORD	$0x4EB7D7DE // fsub v30.4s, v30.4s, v23.4s
	WORD	$0x4E34CFC1 // fmla v1.4s, v30.4s, v20.4s
	WORD	$0x4E12233F // tbl v31.16b, {v25.16b, v26.16b}, v18.16b
	WORD	$0x4EB7D7FF // fsub v31.4s, v31.4s, v23.4s
	WORD	$0x4E34CFE2 // fmla v2.4s, v31.4s, v20.4s
	WORD	$0x4E13233D // tbl v29.16b, {v25.16b, v26.16b}, v19.16b
	WORD	$0x4EB7D7BD // fsub v29.4s, v29.4s, v23.4s
	WORD	$0x4E34CFA3 // fmla v3.4s, v29.4s, v20.4s
	WORD	$0x4E10237D // tbl v29.16b, {v27.16b, v28.16b}, v16.16b
	WORD	$0x4EB7D7BD // fsub v29.4s, v29.4s, v23.4s
	WORD	$0x4E35CFA0 // fmla v0.4s, v29.4s, v21.4s
	WORD	$0x4E11237E // tbl v30.16b, {v27.16b, v28.16b}, v17.16b
	WORD	$0x4EB7D7DE // fsub v30.4s, v30.4s, v23.4s
	WORD	$0x4E35CFC1 // fmla v1.4s, v30.4s, v21.4s
	WORD	$0x4E12237F // tbl v31.16b, {v27.16b, v28.16b}, v18.16b
	WORD	$0x4EB7D7FF // fsub v31.4s, v31.4s, v23.4s
	WORD	$0x4E35CFE2 // fmla v2.4s, v31.4s, v21.4s
	WORD	$0x4E13237D // tbl v29.16b, {v27.16b, v28.16b}, v19.16b
	WORD	$0x4EB7D7BD // fsub v29.4s, v29.4s, v23.4s
	WORD	$0x4E35CFA3 // fmla v3.4s, v29.4s, v21.4s
	VLD1.P	16(R4), [V24.B16] // rows 4-7
	VAND	V22.B16, V24.B16, V25.B16
	VUSHR	$4, V24.B16, V27.B16
	WORD	$0x4E10233D // tbl v29.16b, {v25.16b, v26.16b}, v16.16b
	WORD	$0x4EB7D7BD // fsub v29.4s, v29.4s, v23.4s
	WORD	$0x4E34CFA4 // fmla v4.4s, v29.4s, v20.4s
	WORD	$0x4E11233E // tbl v30.16b, {v25.16b, v26.16b}, v17.16b
	WORD	$0x4EB7D7DE // fsub v30.4s, v30.4s, v23.4s
	WORD	$0x4E34CFC5 // fmla v5.4s, v30.4s, v20.4s
	WORD	$0x4E12233F // tbl v31.16b, {v25.16b, v26.16b}, v18.16b
	WORD	$0x4EB7D7FF // fsub v31.4s, v31.4s, v23.4s
	WORD	$0x4E34CFE6 // fmla v6.4s, v31.4s, v20.4s
	WORD	$0x4E13233D // tbl v29.16b, {v25.16b, v26.16b}, v19.16b
	WORD	$0x4EB7D7BD // fsub v29.4s, v29.4s, v23.4s
	WORD	$0x4E34CFA7 // fmla v7.4s, v29.4s, v20.4s
	WORD	$0x4E10237D // tbl v29.16b, {v27.16b, v28.16b}, v16.16b
	WORD	$0x4EB7D7BD // fsub v29.4s, v29.4s, v23.4s
	WORD	$0x4E35CFA4 // fmla v4.4s, v29.4s, v21.4s
	WORD	$0x4E11237E // tbl v30.16b, {v27.16b, v28.16b}, v17.16b
	WORD	$0x4EB7D7DE // fsub v30.4s, v30.4s, v23.4s
	WORD	$0x4E35CFC5 // fmla v5.4s, v30.4s, v21.4s
	WORD	$0x4E12237F // tbl v31.16b, {v27.16b, v28.16b}, v18.16b
	WORD	$0x4EB7D7FF // fsub v31.4s, v31.4s, v23.4s
	WORD	$0x4E35CFE6 // fmla v6.4s, v31.4s, v21.4s
	WORD	$0x4E13237D // tbl v29.16b, {v27.16b, v28.16b}, v19.16b
	WORD	$0x4EB7D7BD // fsub v29.4s, v29.4s, v23.4s
	WORD	$0x4E35CFA7 // fmla v7.4s, v29.4s, v21.4s
	VLD1.P	16(R4), [V24.B16] // rows 8-11
	VAND	V22.B16, V24.B16, V25.B16
	VUSHR	$4, V24.B16, V27.B16
	WORD	$0x4E10233D // tbl v29.16b, {v25.16b, v26.16b}, v16.16b
	WORD	$0x4EB7D7BD // fsub v29.4s, v29.4s, v23.4s
	WORD	$0x4E34CFA8 // fmla v8.4s, v29.4s, v20.4s
	WORD	$0x4E11233E // tbl v30.16b, {v25.16b, v26.16b}, v17.16b
	WORD	$0x4EB7D7DE // fsub v30.4s, v30.4s, v23.4s
	WORD	$0x4E34CFC9 // fmla v9.4s, v30.4s, v20.4s
	WORD	$0x4E12233F // tbl v31.16b, {v25.16b, v26.16b}, v18.16b
	WORD	$0x4EB7D7FF // fsub v31.4s, v31.4s, v23.4s
	WORD	$0x4E34CFEA // fmla v10.4s, v31.4s, v20.4s
	WORD	$0x4E13233D // tbl v29.16b, {v25.16b, v26.16b}, v19.16b
	WORD	$0x4EB7D7BD // fsub v29.4s, v29.4s, v23.4s
	WORD	$0x4E34CFAB // fmla v11.4s, v29.4s, v20.4s
	WORD	$0x4E10237D // tbl v29.16b, {v27.16b, v28.16b}, v16.16b
	WORD	$0x4EB7D7BD // fsub v29.4s, v29.4s, v23.4s
	WORD	$0x4E35CFA8 // fmla v8.4s, v29.4s, v21.4s
	WORD	$0x4E11237E // tbl v30.16b, {v27.16b, v28.16b}, v17.16b
	WORD	$0x4EB7D7DE // fsub v30.4s, v30.4s, v23.4s
	WORD	$0x4E35CFC9 // fmla v9.4s, v30.4s, v21.4s
	WORD	$0x4E12237F // tbl v31.16b, {v27.16b, v28.16b}, v18.16b
	WORD	$0x4EB7D7FF // fsub v31.4s, v31.4s, v23.4s
	WORD	$0x4E35CFEA // fmla v10.4s, v31.4s, v21.4s
	WORD	$0x4E13237D // tbl v29.16b, {v27.16b, v28.16b}, v19.16b
	WORD	$0x4EB7D7BD // fsub v29.4s, v29.4s, v23.4s
	WORD	$0x4E35CFAB // fmla v11.4s, v29.4s, v21.4s
	VLD1.P	16(R4), [V24.B16] // rows 12-15
	VAND	V22.B16, V24.B16, V25.B16
	VUSHR	$4, V24.B16, V27.B16
	WORD	$0x4E10233D // tbl v29.16b, {v25.16b, v26.16b}, v16.16b
	WORD	$0x4EB7D7BD // fsub v29.4s, v29.4s, v23.4s
	WORD	$0x4E34CFAC // fmla v12.4s, v29.4s, v20.4s
	WORD	$0x4E11233E // tbl v30.16b, {v25.16b, v26.16b}, v17.16b
	WORD	$0x4EB7D7DE // fsub v30.4s, v30.4s, v23.4s
	WORD	$0x4E34CFCD // fmla v13.4s, v30.4s, v20.4s
	WORD	$0x4E12233F // tbl v31.16b, {v25.16b, v26.16b}, v18.16b
	WORD	$0x4EB7D7FF // fsub v31.4s, v31.4s, v23.4s
	WORD	$0x4E34CFEE // fmla v14.4s, v31.4s, v20.4s
	WORD	$0x4E13233D // tbl v29.16b, {v25.16b, v26.16b}, v19.16b
	WORD	$0x4EB7D7BD // fsub v29.4s, v29.4s, v23.4s
	WORD	$0x4E34CFAF // fmla v15.4s, v29.4s, v20.4s
	WORD	$0x4E10237D // tbl v29.16b, {v27.16b, v28.16b}, v16.16b
	WORD	$0x4EB7D7BD // fsub v29.4s, v29.4s, v23.4s
	WORD	$0x4E35CFAC // fmla v12.4s, v29.4s, v21.4s
	WORD	$0x4E11237E // tbl v30.16b, {v27.16b, v28.16b}, v17.16b
	WORD	$0x4EB7D7DE // fsub v30.4s, v30.4s, v23.4s
	WORD	$0x4E35CFCD // fmla v13.4s, v30.4s, v21.4s
	WORD	$0x4E12237F // tbl v31.16b, {v27.16b, v28.16b}, v18.16b
	WORD	$0x4EB7D7FF // fsub v31.4s, v31.4s, v23.4s
	WORD	$0x4E35CFEE // fmla v14.4s, v31.4s, v21.4s
	WORD	$0x4E13237D // tbl v29.16b, {v27.16b, v28.16b}, v19.16b
	WORD	$0x4EB7D7BD // fsub v29.4s, v29.4s, v23.4s
	WORD	$0x4E35CFAF // fmla v15.4s, v29.4s, v21.4s
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
	// y += gs · group sum, separate FMUL and FADD.
	VLD1.P	64(R6), [V24.S4, V25.S4, V26.S4, V27.S4]
	MOVD	R8, R14
	VLD1.P	32(R14), [V20.S4, V21.S4]
	VLD1	(R14), [V29.S4, V30.S4]
	WORD	$0x6E38DC00 // fmul v0.4s, v0.4s, v24.4s
	WORD	$0x4E20D694 // fadd v20.4s, v20.4s, v0.4s
	WORD	$0x6E39DC84 // fmul v4.4s, v4.4s, v25.4s
	WORD	$0x4E24D6B5 // fadd v21.4s, v21.4s, v4.4s
	WORD	$0x6E3ADD08 // fmul v8.4s, v8.4s, v26.4s
	WORD	$0x4E28D7BD // fadd v29.4s, v29.4s, v8.4s
	WORD	$0x6E3BDD8C // fmul v12.4s, v12.4s, v27.4s
	WORD	$0x4E2CD7DE // fadd v30.4s, v30.4s, v12.4s
	MOVD	R8, R14
	VST1.P	[V20.S4, V21.S4], 32(R14)
	VST1	[V29.S4, V30.S4], (R14)
	SUBS	$1, R12
	BNE	group

	// y = rs · sum.
	VLD1.P	64(R7), [V24.S4, V25.S4, V26.S4, V27.S4]
	MOVD	R8, R14
	VLD1.P	32(R14), [V20.S4, V21.S4]
	VLD1	(R14), [V29.S4, V30.S4]
	WORD	$0x6E34DF14 // fmul v20.4s, v24.4s, v20.4s
	WORD	$0x6E35DF35 // fmul v21.4s, v25.4s, v21.4s
	WORD	$0x6E3DDF5D // fmul v29.4s, v26.4s, v29.4s
	WORD	$0x6E3EDF7E // fmul v30.4s, v27.4s, v30.4s
	VST1.P	[V20.S4, V21.S4], 32(R8)
	VST1.P	[V29.S4, V30.S4], 32(R8)
	SUBS	$1, R11
	BNE	panel
	RET
