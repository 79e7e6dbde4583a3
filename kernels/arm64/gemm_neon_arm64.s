//go:build !noasm

#include "textflag.h"
#include "gemm_epilogue_arm64.h"

#define EP_MODE R15
#define EP_SCALE R16
#define EP_SSTEP R17
#define EP_BIAS R19
#define EP_Y R7

// The ARMv8.0 tier multiplies with SMULL/SMULL2 (int8 × int8 → int16) and
// adds the next block with SMLAL/SMLAL2: two products of at most 127·128 in
// magnitude fit an int16 (|w| ≤ 127, PackW8 rejects -128). SADALP then adds
// adjacent int16 pairs into int32 lanes. A weight register holds 4 rows × 4 k;
// its low half (rows 4q, 4q+1) and high half (rows 4q+2, 4q+3) meet the
// activations [x0 x1 x2 x3] replicated by LD1R, so after SADALP the lanes of
// accumulator 2q hold (row 4q: k0+k1, k2+k3; row 4q+1: k0+k1, k2+k3) and
// accumulator 2q+1 the same for rows 4q+2, 4q+3. ADDP of the two gives rows
// 4q..4q+3.

// func GemmW8A8NEON(x unsafe.Pointer, ldx, mr int, w unsafe.Pointer, kb, np int, y unsafe.Pointer, ldy, ystep, mode int, scale unsafe.Pointer, sstep int, bias unsafe.Pointer)
//
// mr (1 or 2) activation rows times np panels: a register block of
// 2 tokens × 16 rows. A missing second row repeats the first and is not
// stored. Register roles: R20/R21 row starts of tokens 0/1, R0/R1 their
// cursors, R4 w cursor, R5 block pairs left, R6 odd last block, R12 panels
// left, R13 output of the current panel (token 0), R7 output of the current
// token, R8 tokens left to store, R9 ldy, R14 output bytes per panel;
// V0-V3 / V4-V7 weights of blocks a / b, V8/V9 (token 0) and V10/V11
// (token 1) replicated activations of blocks a/b, V12-V15 int16 products,
// V16-V23 / V24-V31 int32 accumulators of token 0 / 1.
TEXT ·GemmW8A8NEON(SB), NOSPLIT, $0-104
	MOVD	x+0(FP), R20
	MOVD	ldx+8(FP), R9
	MOVD	mr+16(FP), R8
	MOVD	w+24(FP), R4
	MOVD	kb+32(FP), R11
	MOVD	np+40(FP), R12
	MOVD	y+48(FP), R13
	MOVD	ystep+64(FP), R14
	MOVD	mode+72(FP), EP_MODE
	MOVD	scale+80(FP), EP_SCALE
	MOVD	sstep+88(FP), EP_SSTEP
	MOVD	bias+96(FP), EP_BIAS

	// Second row start; with mr == 1 it repeats the first row.
	ADD	R9, R20, R21
	CMP	$1, R8
	CSEL	GT, R21, R20, R21
	MOVD	ldy+56(FP), R9

	// One panel per iteration: clear the accumulators, run over K, store.
panel:
	MOVD	R20, R0
	MOVD	R21, R1
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
	LSR	$1, R11, R5 // pairs of blocks (8 k)
	AND	$1, R11, R6 // odd last block
	CBZ	R5, tail

	// Two blocks (8 k) per iteration, both tokens.
loop8:
	VLD1R.P	4(R0), [V8.S4]
	VLD1R.P	4(R0), [V9.S4]
	VLD1R.P	4(R1), [V10.S4]
	VLD1R.P	4(R1), [V11.S4]
	VLD1.P	64(R4), [V0.B16, V1.B16, V2.B16, V3.B16]
	VLD1.P	64(R4), [V4.B16, V5.B16, V6.B16, V7.B16]
	WORD	$0x0E28C00C // smull v12.8h, v0.8b, v8.8b
	WORD	$0x4E28C00D // smull2 v13.8h, v0.16b, v8.16b
	WORD	$0x0E29808C // smlal v12.8h, v4.8b, v9.8b
	WORD	$0x4E29808D // smlal2 v13.8h, v4.16b, v9.16b
	WORD	$0x4E606990 // sadalp v16.4s, v12.8h
	WORD	$0x4E6069B1 // sadalp v17.4s, v13.8h
	WORD	$0x0E28C02E // smull v14.8h, v1.8b, v8.8b
	WORD	$0x4E28C02F // smull2 v15.8h, v1.16b, v8.16b
	WORD	$0x0E2980AE // smlal v14.8h, v5.8b, v9.8b
	WORD	$0x4E2980AF // smlal2 v15.8h, v5.16b, v9.16b
	WORD	$0x4E6069D2 // sadalp v18.4s, v14.8h
	WORD	$0x4E6069F3 // sadalp v19.4s, v15.8h
	WORD	$0x0E28C04C // smull v12.8h, v2.8b, v8.8b
	WORD	$0x4E28C04D // smull2 v13.8h, v2.16b, v8.16b
	WORD	$0x0E2980CC // smlal v12.8h, v6.8b, v9.8b
	WORD	$0x4E2980CD // smlal2 v13.8h, v6.16b, v9.16b
	WORD	$0x4E606994 // sadalp v20.4s, v12.8h
	WORD	$0x4E6069B5 // sadalp v21.4s, v13.8h
	WORD	$0x0E28C06E // smull v14.8h, v3.8b, v8.8b
	WORD	$0x4E28C06F // smull2 v15.8h, v3.16b, v8.16b
	WORD	$0x0E2980EE // smlal v14.8h, v7.8b, v9.8b
	WORD	$0x4E2980EF // smlal2 v15.8h, v7.16b, v9.16b
	WORD	$0x4E6069D6 // sadalp v22.4s, v14.8h
	WORD	$0x4E6069F7 // sadalp v23.4s, v15.8h
	WORD	$0x0E2AC00C // smull v12.8h, v0.8b, v10.8b
	WORD	$0x4E2AC00D // smull2 v13.8h, v0.16b, v10.16b
	WORD	$0x0E2B808C // smlal v12.8h, v4.8b, v11.8b
	WORD	$0x4E2B808D // smlal2 v13.8h, v4.16b, v11.16b
	WORD	$0x4E606998 // sadalp v24.4s, v12.8h
	WORD	$0x4E6069B9 // sadalp v25.4s, v13.8h
	WORD	$0x0E2AC02E // smull v14.8h, v1.8b, v10.8b
	WORD	$0x4E2AC02F // smull2 v15.8h, v1.16b, v10.16b
	WORD	$0x0E2B80AE // smlal v14.8h, v5.8b, v11.8b
	WORD	$0x4E2B80AF // smlal2 v15.8h, v5.16b, v11.16b
	WORD	$0x4E6069DA // sadalp v26.4s, v14.8h
	WORD	$0x4E6069FB // sadalp v27.4s, v15.8h
	WORD	$0x0E2AC04C // smull v12.8h, v2.8b, v10.8b
	WORD	$0x4E2AC04D // smull2 v13.8h, v2.16b, v10.16b
	WORD	$0x0E2B80CC // smlal v12.8h, v6.8b, v11.8b
	WORD	$0x4E2B80CD // smlal2 v13.8h, v6.16b, v11.16b
	WORD	$0x4E60699C // sadalp v28.4s, v12.8h
	WORD	$0x4E6069BD // sadalp v29.4s, v13.8h
	WORD	$0x0E2AC06E // smull v14.8h, v3.8b, v10.8b
	WORD	$0x4E2AC06F // smull2 v15.8h, v3.16b, v10.16b
	WORD	$0x0E2B80EE // smlal v14.8h, v7.8b, v11.8b
	WORD	$0x4E2B80EF // smlal2 v15.8h, v7.16b, v11.16b
	WORD	$0x4E6069DE // sadalp v30.4s, v14.8h
	WORD	$0x4E6069FF // sadalp v31.4s, v15.8h
	SUBS	$1, R5
	BNE	loop8

	// An odd last block: SMULL without SMLAL.
tail:
	CBZ	R6, reduce
	VLD1R.P	4(R0), [V8.S4]
	VLD1R.P	4(R1), [V10.S4]
	VLD1.P	64(R4), [V0.B16, V1.B16, V2.B16, V3.B16]
	WORD	$0x0E28C00C // smull v12.8h, v0.8b, v8.8b
	WORD	$0x4E28C00D // smull2 v13.8h, v0.16b, v8.16b
	WORD	$0x4E606990 // sadalp v16.4s, v12.8h
	WORD	$0x4E6069B1 // sadalp v17.4s, v13.8h
	WORD	$0x0E28C02E // smull v14.8h, v1.8b, v8.8b
	WORD	$0x4E28C02F // smull2 v15.8h, v1.16b, v8.16b
	WORD	$0x4E6069D2 // sadalp v18.4s, v14.8h
	WORD	$0x4E6069F3 // sadalp v19.4s, v15.8h
	WORD	$0x0E28C04C // smull v12.8h, v2.8b, v8.8b
	WORD	$0x4E28C04D // smull2 v13.8h, v2.16b, v8.16b
	WORD	$0x4E606994 // sadalp v20.4s, v12.8h
	WORD	$0x4E6069B5 // sadalp v21.4s, v13.8h
	WORD	$0x0E28C06E // smull v14.8h, v3.8b, v8.8b
	WORD	$0x4E28C06F // smull2 v15.8h, v3.16b, v8.16b
	WORD	$0x4E6069D6 // sadalp v22.4s, v14.8h
	WORD	$0x4E6069F7 // sadalp v23.4s, v15.8h
	WORD	$0x0E2AC00C // smull v12.8h, v0.8b, v10.8b
	WORD	$0x4E2AC00D // smull2 v13.8h, v0.16b, v10.16b
	WORD	$0x4E606998 // sadalp v24.4s, v12.8h
	WORD	$0x4E6069B9 // sadalp v25.4s, v13.8h
	WORD	$0x0E2AC02E // smull v14.8h, v1.8b, v10.8b
	WORD	$0x4E2AC02F // smull2 v15.8h, v1.16b, v10.16b
	WORD	$0x4E6069DA // sadalp v26.4s, v14.8h
	WORD	$0x4E6069FB // sadalp v27.4s, v15.8h
	WORD	$0x0E2AC04C // smull v12.8h, v2.8b, v10.8b
	WORD	$0x4E2AC04D // smull2 v13.8h, v2.16b, v10.16b
	WORD	$0x4E60699C // sadalp v28.4s, v12.8h
	WORD	$0x4E6069BD // sadalp v29.4s, v13.8h
	WORD	$0x0E2AC06E // smull v14.8h, v3.8b, v10.8b
	WORD	$0x4E2AC06F // smull2 v15.8h, v3.16b, v10.16b
	WORD	$0x4E6069DE // sadalp v30.4s, v14.8h
	WORD	$0x4E6069FF // sadalp v31.4s, v15.8h

	// Pairwise sums to one int32 per row and token, then the output stage.
reduce:
	VADDP	V17.S4, V16.S4, V16.S4 // token 0, rows 0-3
	VADDP	V19.S4, V18.S4, V17.S4
	VADDP	V21.S4, V20.S4, V18.S4
	VADDP	V23.S4, V22.S4, V19.S4
	VADDP	V25.S4, V24.S4, V20.S4 // token 1, rows 0-3
	VADDP	V27.S4, V26.S4, V21.S4
	VADDP	V29.S4, V28.S4, V22.S4
	VADDP	V31.S4, V30.S4, V23.S4
	W8_LOAD_EPILOGUE
	MOVD	R13, R7
	MOVD	mr+16(FP), R8

token:
	W8_STORE_TOKEN
	SUBS	$1, R8
	BEQ	next
	ADD	R9, R7
	VMOV	V20.B16, V16.B16 // token 1 moves into the store slot
	VMOV	V21.B16, V17.B16
	VMOV	V22.B16, V18.B16
	VMOV	V23.B16, V19.B16
	B	token

next:
	ADD	R14, R13
	SUBS	$1, R12
	BNE	panel
	RET
