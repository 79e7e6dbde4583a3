//go:build !noasm

#include "textflag.h"

// func GemmPrepX4AVX2(x *int8, ldx int, n32 int, xp *int8)
//
// Prepares 4 activation rows (row t at x + t·ldx) for GemmW8A8x4AVX2 over
// n32 chunks of 32 k: for k-block j (4 k), the 32 bytes at xp + 32j are, for
// t = 0..3, |x[t][4j..4j+3]| (VPABSB; -128 gives 0x80 = 128 unsigned) then
// x[t][4j..4j+3].
//
// Per chunk, with A_t = |row t| and X_t = row t (32 bytes, k-blocks 0-7):
//	U_t = VPUNPCKLDQ(A_t, X_t) = (A X)_t for blocks 0, 1 | 4, 5
//	V_t = VPUNPCKHDQ(A_t, X_t) = (A X)_t for blocks 2, 3 | 6, 7
// a 4 × 4 transpose of these 8-byte pairs (VPUNPCKLQDQ/VPUNPCKHQDQ across
// rows, VPERM2I128 across lanes) gives the 8 output blocks of 32 bytes.
//
// Registers: SI, DX, R8, R9 the 4 rows; DI xp; CX chunks left;
// Y0-Y3 rows then U_t; Y4-Y7 |rows| then V_t; Y8-Y11 transposes.
TEXT ·GemmPrepX4AVX2(SB), NOSPLIT, $0-32
	MOVQ	x+0(FP), SI
	MOVQ	ldx+8(FP), AX
	MOVQ	n32+16(FP), CX
	MOVQ	xp+24(FP), DI
	LEAQ	(SI)(AX*1), DX
	LEAQ	(DX)(AX*1), R8
	LEAQ	(R8)(AX*1), R9
	TESTQ	CX, CX
	JZ	done

chunk:
	VMOVDQU	(SI), Y0
	VMOVDQU	(DX), Y1
	VMOVDQU	(R8), Y2
	VMOVDQU	(R9), Y3
	VPABSB	Y0, Y4
	VPABSB	Y1, Y5
	VPABSB	Y2, Y6
	VPABSB	Y3, Y7
	// Pairs (|x|, x) per k-block; the high halves first so that Y0-Y3
	// can be overwritten.
	VPUNPCKHDQ	Y0, Y4, Y8
	VPUNPCKLDQ	Y0, Y4, Y0
	VPUNPCKHDQ	Y1, Y5, Y9
	VPUNPCKLDQ	Y1, Y5, Y1
	VPUNPCKHDQ	Y2, Y6, Y10
	VPUNPCKLDQ	Y2, Y6, Y2
	VPUNPCKHDQ	Y3, Y7, Y11
	VPUNPCKLDQ	Y3, Y7, Y3
	// U_t in Y0-Y3 (blocks 0, 1 | 4, 5), V_t in Y8-Y11 (blocks 2, 3 | 6, 7).
	VPUNPCKLQDQ	Y1, Y0, Y4 // t0 t1 of blocks 0 | 4
	VPUNPCKLQDQ	Y3, Y2, Y5 // t2 t3 of blocks 0 | 4
	VPUNPCKHQDQ	Y1, Y0, Y6 // t0 t1 of blocks 1 | 5
	VPUNPCKHQDQ	Y3, Y2, Y7 // t2 t3 of blocks 1 | 5
	VPERM2I128	$0x20, Y5, Y4, Y0
	VPERM2I128	$0x31, Y5, Y4, Y1
	VPERM2I128	$0x20, Y7, Y6, Y2
	VPERM2I128	$0x31, Y7, Y6, Y3
	VMOVDQU	Y0, (DI)
	VMOVDQU	Y2, 32(DI)
	VMOVDQU	Y1, 128(DI)
	VMOVDQU	Y3, 160(DI)
	VPUNPCKLQDQ	Y9, Y8, Y4 // blocks 2 | 6
	VPUNPCKLQDQ	Y11, Y10, Y5
	VPUNPCKHQDQ	Y9, Y8, Y6 // blocks 3 | 7
	VPUNPCKHQDQ	Y11, Y10, Y7
	VPERM2I128	$0x20, Y5, Y4, Y0
	VPERM2I128	$0x31, Y5, Y4, Y1
	VPERM2I128	$0x20, Y7, Y6, Y2
	VPERM2I128	$0x31, Y7, Y6, Y3
	VMOVDQU	Y0, 64(DI)
	VMOVDQU	Y2, 96(DI)
	VMOVDQU	Y1, 192(DI)
	VMOVDQU	Y3, 224(DI)
	ADDQ	$32, SI
	ADDQ	$32, DX
	ADDQ	$32, R8
	ADDQ	$32, R9
	ADDQ	$256, DI
	DECQ	CX
	JNZ	chunk

done:
	VZEROUPPER
	RET
