//go:build !noasm

#include "textflag.h"

// func GemmF32x4NEON(x *float32, ldx, rows int, w *float32, kq int, y *float32, ldy, accum int, bias, next *float32)
//
// Micro-kernel of the float32 GEMM, ARMv8.0 NEON (both arm64 tiers): a tile
// of 4 activation rows × one 16-row weight panel held in 16 accumulators
// over 4·kq values of k. Per 4 k: one 16-byte load of x[t][k..k+3] per row,
// four 64-byte loads of weights (16 rows of one k each) and 64 FMLA by
// element, acc[t][q] += w[k][4q..4q+3]·x[t][k]. The caller blocks K and
// the rows (f32_simd.go in package kernels) so that the panel's weights and
// the block of rows stay in L2 while every tile of the block passes over
// the weights. Rows past rows repeat the last real row (their sums are not
// stored). next is the weight block the caller runs after this panel's
// (64·4·kq bytes): the loop prefetches it (PRFM PLDL1KEEP, one cache line
// per k), as the AVX2 tile does. FMLA by element and vector FADD are WORDs
// (Go's assembler lacks them), each followed by its mnemonic.
//
// Registers:
//	R0-R3   row cursors x[t]   R4 w cursor   R5 k-quads left   R12 next
//	V0-V15  accumulators: row t, panel rows 4q..4q+3 in V(4t+q)
//	V16-V19 x[t][k..k+3] of row t
//	V20-V23, V24-V27  the 16 weights of one k (even k, odd k)
// Epilogue: R6 y row, R7 ldy, R8 rows left, R9 accum, R10 bias;
// V20-V23 the outputs in y, V28-V31 bias or 0.
TEXT ·GemmF32x4NEON(SB), NOSPLIT, $0-80
	MOVD	x+0(FP), R0
	MOVD	ldx+8(FP), R11
	MOVD	rows+16(FP), R8
	// Row t+1 is row t + ldx while t+1 < rows, else row t again.
	ADD	R11, R0, R1
	CMP	$1, R8
	CSEL	GT, R1, R0, R1
	ADD	R11, R1, R2
	CMP	$2, R8
	CSEL	GT, R2, R1, R2
	ADD	R11, R2, R3
	CMP	$3, R8
	CSEL	GT, R3, R2, R3
	MOVD	w+24(FP), R4
	MOVD	kq+32(FP), R5
	MOVD	next+72(FP), R12
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

	// Four k per iteration.
loop:
	VLD1.P	16(R0), [V16.S4]
	VLD1.P	16(R1), [V17.S4]
	VLD1.P	16(R2), [V18.S4]
	VLD1.P	16(R3), [V19.S4]
	VLD1.P	64(R4), [V20.S4, V21.S4, V22.S4, V23.S4]
	WORD	$0x4F901280 // fmla v0.4s, v20.4s, v16.s[0]
	WORD	$0x4F911284 // fmla v4.4s, v20.4s, v17.s[0]
	WORD	$0x4F921288 // fmla v8.4s, v20.4s, v18.s[0]
	WORD	$0x4F93128C // fmla v12.4s, v20.4s, v19.s[0]
	WORD	$0x4F9012A1 // fmla v1.4s, v21.4s, v16.s[0]
	WORD	$0x4F9112A5 // fmla v5.4s, v21.4s, v17.s[0]
	WORD	$0x4F9212A9 // fmla v9.4s, v21.4s, v18.s[0]
	WORD	$0x4F9312AD // fmla v13.4s, v21.4s, v19.s[0]
	WORD	$0x4F9012C2 // fmla v2.4s, v22.4s, v16.s[0]
	WORD	$0x4F9112C6 // fmla v6.4s, v22.4s, v17.s[0]
	WORD	$0x4F9212CA // fmla v10.4s, v22.4s, v18.s[0]
	WORD	$0x4F9312CE // fmla v14.4s, v22.4s, v19.s[0]
	WORD	$0x4F9012E3 // fmla v3.4s, v23.4s, v16.s[0]
	WORD	$0x4F9112E7 // fmla v7.4s, v23.4s, v17.s[0]
	WORD	$0x4F9212EB // fmla v11.4s, v23.4s, v18.s[0]
	WORD	$0x4F9312EF // fmla v15.4s, v23.4s, v19.s[0]
	VLD1.P	64(R4), [V24.S4, V25.S4, V26.S4, V27.S4]
	WORD	$0x4FB01300 // fmla v0.4s, v24.4s, v16.s[1]
	WORD	$0x4FB11304 // fmla v4.4s, v24.4s, v17.s[1]
	WORD	$0x4FB21308 // fmla v8.4s, v24.4s, v18.s[1]
	WORD	$0x4FB3130C // fmla v12.4s, v24.4s, v19.s[1]
	WORD	$0x4FB01321 // fmla v1.4s, v25.4s, v16.s[1]
	WORD	$0x4FB11325 // fmla v5.4s, v25.4s, v17.s[1]
	WORD	$0x4FB21329 // fmla v9.4s, v25.4s, v18.s[1]
	WORD	$0x4FB3132D // fmla v13.4s, v25.4s, v19.s[1]
	WORD	$0x4FB01342 // fmla v2.4s, v26.4s, v16.s[1]
	WORD	$0x4FB11346 // fmla v6.4s, v26.4s, v17.s[1]
	WORD	$0x4FB2134A // fmla v10.4s, v26.4s, v18.s[1]
	WORD	$0x4FB3134E // fmla v14.4s, v26.4s, v19.s[1]
	WORD	$0x4FB01363 // fmla v3.4s, v27.4s, v16.s[1]
	WORD	$0x4FB11367 // fmla v7.4s, v27.4s, v17.s[1]
	WORD	$0x4FB2136B // fmla v11.4s, v27.4s, v18.s[1]
	WORD	$0x4FB3136F // fmla v15.4s, v27.4s, v19.s[1]
	VLD1.P	64(R4), [V20.S4, V21.S4, V22.S4, V23.S4]
	WORD	$0x4F901A80 // fmla v0.4s, v20.4s, v16.s[2]
	WORD	$0x4F911A84 // fmla v4.4s, v20.4s, v17.s[2]
	WORD	$0x4F921A88 // fmla v8.4s, v20.4s, v18.s[2]
	WORD	$0x4F931A8C // fmla v12.4s, v20.4s, v19.s[2]
	WORD	$0x4F901AA1 // fmla v1.4s, v21.4s, v16.s[2]
	WORD	$0x4F911AA5 // fmla v5.4s, v21.4s, v17.s[2]
	WORD	$0x4F921AA9 // fmla v9.4s, v21.4s, v18.s[2]
	WORD	$0x4F931AAD // fmla v13.4s, v21.4s, v19.s[2]
	WORD	$0x4F901AC2 // fmla v2.4s, v22.4s, v16.s[2]
	WORD	$0x4F911AC6 // fmla v6.4s, v22.4s, v17.s[2]
	WORD	$0x4F921ACA // fmla v10.4s, v22.4s, v18.s[2]
	WORD	$0x4F931ACE // fmla v14.4s, v22.4s, v19.s[2]
	WORD	$0x4F901AE3 // fmla v3.4s, v23.4s, v16.s[2]
	WORD	$0x4F911AE7 // fmla v7.4s, v23.4s, v17.s[2]
	WORD	$0x4F921AEB // fmla v11.4s, v23.4s, v18.s[2]
	WORD	$0x4F931AEF // fmla v15.4s, v23.4s, v19.s[2]
	VLD1.P	64(R4), [V24.S4, V25.S4, V26.S4, V27.S4]
	WORD	$0x4FB01B00 // fmla v0.4s, v24.4s, v16.s[3]
	WORD	$0x4FB11B04 // fmla v4.4s, v24.4s, v17.s[3]
	WORD	$0x4FB21B08 // fmla v8.4s, v24.4s, v18.s[3]
	WORD	$0x4FB31B0C // fmla v12.4s, v24.4s, v19.s[3]
	WORD	$0x4FB01B21 // fmla v1.4s, v25.4s, v16.s[3]
	WORD	$0x4FB11B25 // fmla v5.4s, v25.4s, v17.s[3]
	WORD	$0x4FB21B29 // fmla v9.4s, v25.4s, v18.s[3]
	WORD	$0x4FB31B2D // fmla v13.4s, v25.4s, v19.s[3]
	WORD	$0x4FB01B42 // fmla v2.4s, v26.4s, v16.s[3]
	WORD	$0x4FB11B46 // fmla v6.4s, v26.4s, v17.s[3]
	WORD	$0x4FB21B4A // fmla v10.4s, v26.4s, v18.s[3]
	WORD	$0x4FB31B4E // fmla v14.4s, v26.4s, v19.s[3]
	WORD	$0x4FB01B63 // fmla v3.4s, v27.4s, v16.s[3]
	WORD	$0x4FB11B67 // fmla v7.4s, v27.4s, v17.s[3]
	WORD	$0x4FB21B6B // fmla v11.4s, v27.4s, v18.s[3]
	WORD	$0x4FB31B6F // fmla v15.4s, v27.4s, v19.s[3]
	PRFM	(R12), PLDL1KEEP
	PRFM	64(R12), PLDL1KEEP
	PRFM	128(R12), PLDL1KEEP
	PRFM	192(R12), PLDL1KEEP
	ADD	$256, R12
	SUBS	$1, R5
	BNE	loop

	MOVD	y+40(FP), R6
	MOVD	ldy+48(FP), R7
	MOVD	accum+56(FP), R9
	MOVD	bias+64(FP), R10
	VEOR	V28.B16, V28.B16, V28.B16
	VEOR	V29.B16, V29.B16, V29.B16
	VEOR	V30.B16, V30.B16, V30.B16
	VEOR	V31.B16, V31.B16, V31.B16
	CBZ	R10, out
	VLD1	(R10), [V28.S4, V29.S4, V30.S4, V31.S4]

	// Row t: y = (y + sums) + bias, or sums + bias; then stop after the
	// last requested row.
out:
	CBZ	R9, row0
	VLD1	(R6), [V20.S4, V21.S4, V22.S4, V23.S4]
	WORD	$0x4E34D400 // fadd v0.4s, v0.4s, v20.4s
	WORD	$0x4E35D421 // fadd v1.4s, v1.4s, v21.4s
	WORD	$0x4E36D442 // fadd v2.4s, v2.4s, v22.4s
	WORD	$0x4E37D463 // fadd v3.4s, v3.4s, v23.4s
row0:
	WORD	$0x4E3CD400 // fadd v0.4s, v0.4s, v28.4s
	WORD	$0x4E3DD421 // fadd v1.4s, v1.4s, v29.4s
	WORD	$0x4E3ED442 // fadd v2.4s, v2.4s, v30.4s
	WORD	$0x4E3FD463 // fadd v3.4s, v3.4s, v31.4s
	VST1	[V0.S4, V1.S4, V2.S4, V3.S4], (R6)
	ADD	R7, R6
	SUBS	$1, R8
	BEQ	done
	CBZ	R9, row1
	VLD1	(R6), [V20.S4, V21.S4, V22.S4, V23.S4]
	WORD	$0x4E34D484 // fadd v4.4s, v4.4s, v20.4s
	WORD	$0x4E35D4A5 // fadd v5.4s, v5.4s, v21.4s
	WORD	$0x4E36D4C6 // fadd v6.4s, v6.4s, v22.4s
	WORD	$0x4E37D4E7 // fadd v7.4s, v7.4s, v23.4s
row1:
	WORD	$0x4E3CD484 // fadd v4.4s, v4.4s, v28.4s
	WORD	$0x4E3DD4A5 // fadd v5.4s, v5.4s, v29.4s
	WORD	$0x4E3ED4C6 // fadd v6.4s, v6.4s, v30.4s
	WORD	$0x4E3FD4E7 // fadd v7.4s, v7.4s, v31.4s
	VST1	[V4.S4, V5.S4, V6.S4, V7.S4], (R6)
	ADD	R7, R6
	SUBS	$1, R8
	BEQ	done
	CBZ	R9, row2
	VLD1	(R6), [V20.S4, V21.S4, V22.S4, V23.S4]
	WORD	$0x4E34D508 // fadd v8.4s, v8.4s, v20.4s
	WORD	$0x4E35D529 // fadd v9.4s, v9.4s, v21.4s
	WORD	$0x4E36D54A // fadd v10.4s, v10.4s, v22.4s
	WORD	$0x4E37D56B // fadd v11.4s, v11.4s, v23.4s
row2:
	WORD	$0x4E3CD508 // fadd v8.4s, v8.4s, v28.4s
	WORD	$0x4E3DD529 // fadd v9.4s, v9.4s, v29.4s
	WORD	$0x4E3ED54A // fadd v10.4s, v10.4s, v30.4s
	WORD	$0x4E3FD56B // fadd v11.4s, v11.4s, v31.4s
	VST1	[V8.S4, V9.S4, V10.S4, V11.S4], (R6)
	ADD	R7, R6
	SUBS	$1, R8
	BEQ	done
	CBZ	R9, row3
	VLD1	(R6), [V20.S4, V21.S4, V22.S4, V23.S4]
	WORD	$0x4E34D58C // fadd v12.4s, v12.4s, v20.4s
	WORD	$0x4E35D5AD // fadd v13.4s, v13.4s, v21.4s
	WORD	$0x4E36D5CE // fadd v14.4s, v14.4s, v22.4s
	WORD	$0x4E37D5EF // fadd v15.4s, v15.4s, v23.4s
row3:
	WORD	$0x4E3CD58C // fadd v12.4s, v12.4s, v28.4s
	WORD	$0x4E3DD5AD // fadd v13.4s, v13.4s, v29.4s
	WORD	$0x4E3ED5CE // fadd v14.4s, v14.4s, v30.4s
	WORD	$0x4E3FD5EF // fadd v15.4s, v15.4s, v31.4s
	VST1	[V12.S4, V13.S4, V14.S4, V15.S4], (R6)

done:
	RET
