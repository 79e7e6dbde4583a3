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

// func GemvW8A8NEON(x, w unsafe.Pointer, kb, np int, y unsafe.Pointer, ystep, mode int, scale unsafe.Pointer, sstep int, bias unsafe.Pointer)
//
// Register roles: R10 x, R0 x cursor, R4 w cursor, R5 block pairs left,
// R6 odd last block, R12 panels left, R7 output of the current panel,
// R14 output bytes per panel; V0-V3 / V4-V7 weights of blocks a / b,
// V8 / V9 their replicated activations, V10-V15 int16 products,
// V16-V23 int32 accumulators.
TEXT ·GemvW8A8NEON(SB), NOSPLIT, $0-80
	MOVD	x+0(FP), R10
	MOVD	w+8(FP), R4
	MOVD	kb+16(FP), R11
	MOVD	np+24(FP), R12
	MOVD	y+32(FP), R7
	MOVD	ystep+40(FP), R14
	MOVD	mode+48(FP), EP_MODE
	MOVD	scale+56(FP), EP_SCALE
	MOVD	sstep+64(FP), EP_SSTEP
	MOVD	bias+72(FP), EP_BIAS

	// One panel per iteration: clear the accumulators, run over K, store.
panel:
	MOVD	R10, R0
	VEOR	V16.B16, V16.B16, V16.B16
	VEOR	V17.B16, V17.B16, V17.B16
	VEOR	V18.B16, V18.B16, V18.B16
	VEOR	V19.B16, V19.B16, V19.B16
	VEOR	V20.B16, V20.B16, V20.B16
	VEOR	V21.B16, V21.B16, V21.B16
	VEOR	V22.B16, V22.B16, V22.B16
	VEOR	V23.B16, V23.B16, V23.B16
	LSR	$1, R11, R5 // pairs of blocks (8 k)
	AND	$1, R11, R6 // odd last block
	CBZ	R5, tail

	// Two blocks (8 k) per iteration.
loop8:
	VLD1R.P	4(R0), [V8.S4]
	VLD1R.P	4(R0), [V9.S4]
	VLD1.P	64(R4), [V0.B16, V1.B16, V2.B16, V3.B16]
	VLD1.P	64(R4), [V4.B16, V5.B16, V6.B16, V7.B16]
	WORD	$0x0E28C00A // smull v10.8h, v0.8b, v8.8b
	WORD	$0x4E28C00B // smull2 v11.8h, v0.16b, v8.16b
	WORD	$0x0E29808A // smlal v10.8h, v4.8b, v9.8b
	WORD	$0x4E29808B // smlal2 v11.8h, v4.16b, v9.16b
	WORD	$0x4E606950 // sadalp v16.4s, v10.8h
	WORD	$0x4E606971 // sadalp v17.4s, v11.8h
	WORD	$0x0E28C02C // smull v12.8h, v1.8b, v8.8b
	WORD	$0x4E28C02D // smull2 v13.8h, v1.16b, v8.16b
	WORD	$0x0E2980AC // smlal v12.8h, v5.8b, v9.8b
	WORD	$0x4E2980AD // smlal2 v13.8h, v5.16b, v9.16b
	WORD	$0x4E606992 // sadalp v18.4s, v12.8h
	WORD	$0x4E6069B3 // sadalp v19.4s, v13.8h
	WORD	$0x0E28C04E // smull v14.8h, v2.8b, v8.8b
	WORD	$0x4E28C04F // smull2 v15.8h, v2.16b, v8.16b
	WORD	$0x0E2980CE // smlal v14.8h, v6.8b, v9.8b
	WORD	$0x4E2980CF // smlal2 v15.8h, v6.16b, v9.16b
	WORD	$0x4E6069D4 // sadalp v20.4s, v14.8h
	WORD	$0x4E6069F5 // sadalp v21.4s, v15.8h
	WORD	$0x0E28C06A // smull v10.8h, v3.8b, v8.8b
	WORD	$0x4E28C06B // smull2 v11.8h, v3.16b, v8.16b
	WORD	$0x0E2980EA // smlal v10.8h, v7.8b, v9.8b
	WORD	$0x4E2980EB // smlal2 v11.8h, v7.16b, v9.16b
	WORD	$0x4E606956 // sadalp v22.4s, v10.8h
	WORD	$0x4E606977 // sadalp v23.4s, v11.8h
	SUBS	$1, R5
	BNE	loop8

	// An odd last block: SMULL without SMLAL.
tail:
	CBZ	R6, reduce
	VLD1R.P	4(R0), [V8.S4]
	VLD1.P	64(R4), [V0.B16, V1.B16, V2.B16, V3.B16]
	WORD	$0x0E28C00A // smull v10.8h, v0.8b, v8.8b
	WORD	$0x4E28C00B // smull2 v11.8h, v0.16b, v8.16b
	WORD	$0x4E606950 // sadalp v16.4s, v10.8h
	WORD	$0x4E606971 // sadalp v17.4s, v11.8h
	WORD	$0x0E28C02C // smull v12.8h, v1.8b, v8.8b
	WORD	$0x4E28C02D // smull2 v13.8h, v1.16b, v8.16b
	WORD	$0x4E606992 // sadalp v18.4s, v12.8h
	WORD	$0x4E6069B3 // sadalp v19.4s, v13.8h
	WORD	$0x0E28C04E // smull v14.8h, v2.8b, v8.8b
	WORD	$0x4E28C04F // smull2 v15.8h, v2.16b, v8.16b
	WORD	$0x4E6069D4 // sadalp v20.4s, v14.8h
	WORD	$0x4E6069F5 // sadalp v21.4s, v15.8h
	WORD	$0x0E28C06A // smull v10.8h, v3.8b, v8.8b
	WORD	$0x4E28C06B // smull2 v11.8h, v3.16b, v8.16b
	WORD	$0x4E606956 // sadalp v22.4s, v10.8h
	WORD	$0x4E606977 // sadalp v23.4s, v11.8h

	// Pairwise sums to one int32 per row, then the output stage.
reduce:
	VADDP	V17.S4, V16.S4, V16.S4 // rows 0-3
	VADDP	V19.S4, V18.S4, V17.S4 // rows 4-7
	VADDP	V21.S4, V20.S4, V18.S4 // rows 8-11
	VADDP	V23.S4, V22.S4, V19.S4 // rows 12-15
	W8_LOAD_EPILOGUE
	W8_STORE_TOKEN
	ADD	R14, R7
	SUBS	$1, R12
	BNE	panel
	RET
