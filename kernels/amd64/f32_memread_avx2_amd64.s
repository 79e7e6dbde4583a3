//go:build !noasm

#include "textflag.h"

// func MemRead4AVX2(p *byte, n int) uint64
//
// Streams the four quarters of n bytes (a multiple of 1024) in step, 256
// bytes of each per iteration, XORing every 32-byte load into four
// accumulators (one per quarter) so that no load can be optimised away;
// returns the XOR of all 8-byte words.
//
//	SI, DI, R8, R9  the four stream cursors   CX iterations left
//	Y0-Y3  XOR accumulators
TEXT ·MemRead4AVX2(SB), NOSPLIT, $0-24
	MOVQ	p+0(FP), SI
	MOVQ	n+8(FP), CX
	SHRQ	$2, CX
	LEAQ	(SI)(CX*1), DI
	LEAQ	(DI)(CX*1), R8
	LEAQ	(R8)(CX*1), R9
	SHRQ	$8, CX
	VPXOR	Y0, Y0, Y0
	VPXOR	Y1, Y1, Y1
	VPXOR	Y2, Y2, Y2
	VPXOR	Y3, Y3, Y3
	TESTQ	CX, CX
	JZ	reduce

loop:
	VPXOR	(SI), Y0, Y0
	VPXOR	32(SI), Y0, Y0
	VPXOR	64(SI), Y0, Y0
	VPXOR	96(SI), Y0, Y0
	VPXOR	128(SI), Y0, Y0
	VPXOR	160(SI), Y0, Y0
	VPXOR	192(SI), Y0, Y0
	VPXOR	224(SI), Y0, Y0
	VPXOR	(DI), Y1, Y1
	VPXOR	32(DI), Y1, Y1
	VPXOR	64(DI), Y1, Y1
	VPXOR	96(DI), Y1, Y1
	VPXOR	128(DI), Y1, Y1
	VPXOR	160(DI), Y1, Y1
	VPXOR	192(DI), Y1, Y1
	VPXOR	224(DI), Y1, Y1
	VPXOR	(R8), Y2, Y2
	VPXOR	32(R8), Y2, Y2
	VPXOR	64(R8), Y2, Y2
	VPXOR	96(R8), Y2, Y2
	VPXOR	128(R8), Y2, Y2
	VPXOR	160(R8), Y2, Y2
	VPXOR	192(R8), Y2, Y2
	VPXOR	224(R8), Y2, Y2
	VPXOR	(R9), Y3, Y3
	VPXOR	32(R9), Y3, Y3
	VPXOR	64(R9), Y3, Y3
	VPXOR	96(R9), Y3, Y3
	VPXOR	128(R9), Y3, Y3
	VPXOR	160(R9), Y3, Y3
	VPXOR	192(R9), Y3, Y3
	VPXOR	224(R9), Y3, Y3
	ADDQ	$256, SI
	ADDQ	$256, DI
	ADDQ	$256, R8
	ADDQ	$256, R9
	DECQ	CX
	JNZ	loop

reduce:
	VPXOR	Y1, Y0, Y0
	VPXOR	Y3, Y2, Y2
	VPXOR	Y2, Y0, Y0
	VEXTRACTI128	$1, Y0, X1
	VPXOR	X1, X0, X0
	VPSRLDQ	$8, X0, X1
	VPXOR	X1, X0, X0
	VMOVQ	X0, AX
	MOVQ	AX, ret+16(FP)
	VZEROUPPER
	RET
