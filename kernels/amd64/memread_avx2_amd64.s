//go:build !noasm

#include "textflag.h"

// func MemReadAVX2(p *byte, n int) uint64
//
// Streams n bytes (a multiple of 256) through 32-byte loads and returns the
// XOR of all their 8-byte words, so that no load can be optimised away: the
// read-bandwidth yardstick for the GEMV kernels.
//
//	SI p   CX bytes left   Y0-Y3 XOR accumulators
TEXT ·MemReadAVX2(SB), NOSPLIT, $0-24
	MOVQ	p+0(FP), SI
	MOVQ	n+8(FP), CX
	VPXOR	Y0, Y0, Y0
	VPXOR	Y1, Y1, Y1
	VPXOR	Y2, Y2, Y2
	VPXOR	Y3, Y3, Y3
	TESTQ	CX, CX
	JZ	reduce

loop:
	VPXOR	(SI), Y0, Y0
	VPXOR	32(SI), Y1, Y1
	VPXOR	64(SI), Y2, Y2
	VPXOR	96(SI), Y3, Y3
	VPXOR	128(SI), Y0, Y0
	VPXOR	160(SI), Y1, Y1
	VPXOR	192(SI), Y2, Y2
	VPXOR	224(SI), Y3, Y3
	ADDQ	$256, SI
	SUBQ	$256, CX
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
