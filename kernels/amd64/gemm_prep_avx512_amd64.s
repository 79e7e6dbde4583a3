//go:build !noasm

#include "textflag.h"

// func GemmPrepXAVX512(x *int8, ldx, k, rows int, xp *byte, ldp int)
//
// Prepares rows activation rows (row r at x + r·ldx, k bytes read exactly)
// for GemmW8A8x8AVX512: row r of xp (at xp + r·ldp) gets the 4·ceil(k/4)
// bytes x XOR 0x80 (= x + 128 as unsigned bytes); the padding up to the
// multiple of 4 is 0x80, an activation 0 (its weights are zero anyway).
// 64 bytes per step; the last chunk of a row is a zero-masked load and a
// masked store of exactly the remaining bytes.
//
// Registers: SI row, DI its output, CX rows left, DX bytes left,
// R8 padded bytes left, Z0 data, Z31 0x80 bytes, K1/K2 load/store masks.
TEXT ·GemmPrepXAVX512(SB), NOSPLIT, $0-48
	MOVQ	x+0(FP), R9
	MOVQ	xp+32(FP), R10
	MOVQ	rows+24(FP), R11
	MOVL	$0x80808080, AX
	VPBROADCASTD	AX, Z31
	TESTQ	R11, R11
	JZ	done

row:
	MOVQ	R9, SI
	MOVQ	R10, DI
	MOVQ	k+16(FP), DX
	LEAQ	3(DX), R8
	ANDQ	$-4, R8

chunk:
	CMPQ	DX, $64
	JLT	last
	VPXORD	(SI), Z31, Z0
	VMOVDQU8	Z0, (DI)
	ADDQ	$64, SI
	ADDQ	$64, DI
	SUBQ	$64, DX
	SUBQ	$64, R8
	JMP	chunk

	// 0 ≤ DX < 64 bytes of x left, R8 = DX rounded up to 4 (≤ 64) to write.
last:
	TESTQ	R8, R8
	JZ	nextrow
	MOVQ	$-1, AX
	MOVQ	$64, CX
	SUBQ	DX, CX
	SHRQ	CX, AX    // DX low bits set (DX = 0: shift by 64 is taken mod 64)
	TESTQ	DX, DX
	JNZ	lmask
	XORQ	AX, AX

lmask:
	KMOVQ	AX, K1
	MOVQ	$-1, AX
	MOVQ	$64, CX
	SUBQ	R8, CX
	SHRQ	CX, AX    // R8 ≥ 1 low bits set
	KMOVQ	AX, K2
	VMOVDQU8.Z	(SI), K1, Z0
	VPXORD	Z31, Z0, Z0
	VMOVDQU8	Z0, K2, (DI)

nextrow:
	ADDQ	ldx+8(FP), R9
	ADDQ	ldp+40(FP), R10
	DECQ	R11
	JNZ	row

done:
	VZEROUPPER
	RET
