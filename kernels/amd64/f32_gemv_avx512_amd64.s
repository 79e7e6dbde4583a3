//go:build !noasm

#include "textflag.h"

// Decode GEMV for the AVX-512 tier: one float32 activation row times np
// packed panels (64·4·kq bytes each, back to back). A panel's 16 weights of
// one k are one zmm, multiplied by the broadcast x[k] and added with an FMA
// taking the weights from memory: half the instructions of GemvF32AVX2.
//
// Memory: the panels are taken eight at a time as eight sequential streams
// read in step (more DRAM requests in flight than one stream), then four at
// a time, then one at a time. On the Zen 5 VM of BENCHMARKS-f32.md, groups
// of 4, 8, 12 and 16 panels could not be told apart (all within the noise
// of the shared machine, 1.0-1.4x the AVX2 GEMV); 8 is kept.
//
// Sums: every accumulator (one panel) is one FMA chain over k in ascending
// order, then the bias, if any, is added: bit-identical to GemvF32AVX2, and
// a panel's outputs do not depend on the group it ran in, so splitting the
// panels over goroutines gives the same bits.
//
// Registers:
//	DX  first panel of the group   R12  bytes per panel   R8  3·R12, scratch
//	R10, R11  DX + 3, 6 panels (panels 3j, 3j+1, 3j+2 at +0, +R12, +2·R12)
//	CX  panels left   DI  y   R9  bias or 0
//	AX  x cursor   R13  k-quads left
//	Z0-Z7  accumulators, panel j of the group in Zj
//	Z16-Z19  x[k], ..., x[k+3] broadcast

// func GemvF32AVX512(x, w *float32, kq, np int, y, bias *float32)
TEXT ·GemvF32AVX512(SB), NOSPLIT, $0-48
	MOVQ	w+8(FP), DX
	MOVQ	kq+16(FP), R12
	MOVQ	np+24(FP), CX
	MOVQ	y+32(FP), DI
	MOVQ	bias+40(FP), R9
	SHLQ	$8, R12	// bytes per panel

	// Groups of 8 panels.
g8:
	CMPQ	CX, $8
	JLT	g4
	VPXORD	Z0, Z0, Z0
	VPXORD	Z1, Z1, Z1
	VPXORD	Z2, Z2, Z2
	VPXORD	Z3, Z3, Z3
	VPXORD	Z4, Z4, Z4
	VPXORD	Z5, Z5, Z5
	VPXORD	Z6, Z6, Z6
	VPXORD	Z7, Z7, Z7
	MOVQ	x+0(FP), AX
	MOVQ	kq+16(FP), R13
	LEAQ	(R12)(R12*2), R8
	LEAQ	(DX)(R8*1), R10
	LEAQ	(R10)(R8*1), R11
g8quad:
	VBROADCASTSS	0(AX), Z16
	VBROADCASTSS	4(AX), Z17
	VBROADCASTSS	8(AX), Z18
	VBROADCASTSS	12(AX), Z19
	VFMADD231PS	0(DX), Z16, Z0
	VFMADD231PS	0(DX)(R12*1), Z16, Z1
	VFMADD231PS	0(DX)(R12*2), Z16, Z2
	VFMADD231PS	0(R10), Z16, Z3
	VFMADD231PS	0(R10)(R12*1), Z16, Z4
	VFMADD231PS	0(R10)(R12*2), Z16, Z5
	VFMADD231PS	0(R11), Z16, Z6
	VFMADD231PS	0(R11)(R12*1), Z16, Z7
	VFMADD231PS	64(DX), Z17, Z0
	VFMADD231PS	64(DX)(R12*1), Z17, Z1
	VFMADD231PS	64(DX)(R12*2), Z17, Z2
	VFMADD231PS	64(R10), Z17, Z3
	VFMADD231PS	64(R10)(R12*1), Z17, Z4
	VFMADD231PS	64(R10)(R12*2), Z17, Z5
	VFMADD231PS	64(R11), Z17, Z6
	VFMADD231PS	64(R11)(R12*1), Z17, Z7
	VFMADD231PS	128(DX), Z18, Z0
	VFMADD231PS	128(DX)(R12*1), Z18, Z1
	VFMADD231PS	128(DX)(R12*2), Z18, Z2
	VFMADD231PS	128(R10), Z18, Z3
	VFMADD231PS	128(R10)(R12*1), Z18, Z4
	VFMADD231PS	128(R10)(R12*2), Z18, Z5
	VFMADD231PS	128(R11), Z18, Z6
	VFMADD231PS	128(R11)(R12*1), Z18, Z7
	VFMADD231PS	192(DX), Z19, Z0
	VFMADD231PS	192(DX)(R12*1), Z19, Z1
	VFMADD231PS	192(DX)(R12*2), Z19, Z2
	VFMADD231PS	192(R10), Z19, Z3
	VFMADD231PS	192(R10)(R12*1), Z19, Z4
	VFMADD231PS	192(R10)(R12*2), Z19, Z5
	VFMADD231PS	192(R11), Z19, Z6
	VFMADD231PS	192(R11)(R12*1), Z19, Z7
	ADDQ	$16, AX
	ADDQ	$256, DX
	ADDQ	$256, R10
	ADDQ	$256, R11
	DECQ	R13
	JNZ	g8quad
	TESTQ	R9, R9
	JZ	g8store
	VADDPS	0(R9), Z0, Z0
	VADDPS	64(R9), Z1, Z1
	VADDPS	128(R9), Z2, Z2
	VADDPS	192(R9), Z3, Z3
	VADDPS	256(R9), Z4, Z4
	VADDPS	320(R9), Z5, Z5
	VADDPS	384(R9), Z6, Z6
	VADDPS	448(R9), Z7, Z7
	ADDQ	$512, R9
g8store:
	VMOVUPS	Z0, 0(DI)
	VMOVUPS	Z1, 64(DI)
	VMOVUPS	Z2, 128(DI)
	VMOVUPS	Z3, 192(DI)
	VMOVUPS	Z4, 256(DI)
	VMOVUPS	Z5, 320(DI)
	VMOVUPS	Z6, 384(DI)
	VMOVUPS	Z7, 448(DI)
	ADDQ	$512, DI
	MOVQ	$7, R8
	IMULQ	R12, R8
	ADDQ	R8, DX
	SUBQ	$8, CX
	JMP	g8

	// Groups of 4 panels.
g4:
	CMPQ	CX, $4
	JLT	g1
	VPXORD	Z0, Z0, Z0
	VPXORD	Z1, Z1, Z1
	VPXORD	Z2, Z2, Z2
	VPXORD	Z3, Z3, Z3
	MOVQ	x+0(FP), AX
	MOVQ	kq+16(FP), R13
	LEAQ	(R12)(R12*2), R8
	LEAQ	(DX)(R8*1), R10
g4quad:
	VBROADCASTSS	0(AX), Z16
	VBROADCASTSS	4(AX), Z17
	VBROADCASTSS	8(AX), Z18
	VBROADCASTSS	12(AX), Z19
	VFMADD231PS	0(DX), Z16, Z0
	VFMADD231PS	0(DX)(R12*1), Z16, Z1
	VFMADD231PS	0(DX)(R12*2), Z16, Z2
	VFMADD231PS	0(R10), Z16, Z3
	VFMADD231PS	64(DX), Z17, Z0
	VFMADD231PS	64(DX)(R12*1), Z17, Z1
	VFMADD231PS	64(DX)(R12*2), Z17, Z2
	VFMADD231PS	64(R10), Z17, Z3
	VFMADD231PS	128(DX), Z18, Z0
	VFMADD231PS	128(DX)(R12*1), Z18, Z1
	VFMADD231PS	128(DX)(R12*2), Z18, Z2
	VFMADD231PS	128(R10), Z18, Z3
	VFMADD231PS	192(DX), Z19, Z0
	VFMADD231PS	192(DX)(R12*1), Z19, Z1
	VFMADD231PS	192(DX)(R12*2), Z19, Z2
	VFMADD231PS	192(R10), Z19, Z3
	ADDQ	$16, AX
	ADDQ	$256, DX
	ADDQ	$256, R10
	DECQ	R13
	JNZ	g4quad
	TESTQ	R9, R9
	JZ	g4store
	VADDPS	0(R9), Z0, Z0
	VADDPS	64(R9), Z1, Z1
	VADDPS	128(R9), Z2, Z2
	VADDPS	192(R9), Z3, Z3
	ADDQ	$256, R9
g4store:
	VMOVUPS	Z0, 0(DI)
	VMOVUPS	Z1, 64(DI)
	VMOVUPS	Z2, 128(DI)
	VMOVUPS	Z3, 192(DI)
	ADDQ	$256, DI
	MOVQ	$3, R8
	IMULQ	R12, R8
	ADDQ	R8, DX
	SUBQ	$4, CX
	JMP	g4

	// Groups of 1 panel.
g1:
	CMPQ	CX, $1
	JLT	done
	VPXORD	Z0, Z0, Z0
	MOVQ	x+0(FP), AX
	MOVQ	kq+16(FP), R13
g1quad:
	VBROADCASTSS	0(AX), Z16
	VBROADCASTSS	4(AX), Z17
	VBROADCASTSS	8(AX), Z18
	VBROADCASTSS	12(AX), Z19
	VFMADD231PS	0(DX), Z16, Z0
	VFMADD231PS	64(DX), Z17, Z0
	VFMADD231PS	128(DX), Z18, Z0
	VFMADD231PS	192(DX), Z19, Z0
	ADDQ	$16, AX
	ADDQ	$256, DX
	DECQ	R13
	JNZ	g1quad
	TESTQ	R9, R9
	JZ	g1store
	VADDPS	0(R9), Z0, Z0
	ADDQ	$64, R9
g1store:
	VMOVUPS	Z0, 0(DI)
	ADDQ	$64, DI
	SUBQ	$1, CX
	JMP	g1

done:
	VZEROUPPER
	RET

// func MemRead8AVX512(p *byte, n int) uint64
//
// The read-bandwidth yardstick of GemvF32AVX512: streams the eight eighths
// of n bytes (a multiple of 2048) in step, 256 bytes of each per iteration,
// XORing every 64-byte load into eight accumulators (one per stream) so that
// no load can be optimised away; returns the XOR of all 8-byte words.
//
//	SI, DI, R8-R13  the eight stream cursors   CX iterations left
//	Z0-Z7  XOR accumulators
TEXT ·MemRead8AVX512(SB), NOSPLIT, $0-24
	MOVQ	p+0(FP), SI
	MOVQ	n+8(FP), CX
	SHRQ	$3, CX
	LEAQ	(SI)(CX*1), DI
	LEAQ	(DI)(CX*1), R8
	LEAQ	(R8)(CX*1), R9
	LEAQ	(R9)(CX*1), R10
	LEAQ	(R10)(CX*1), R11
	LEAQ	(R11)(CX*1), R12
	LEAQ	(R12)(CX*1), R13
	SHRQ	$8, CX
	VPXORQ	Z0, Z0, Z0
	VPXORQ	Z1, Z1, Z1
	VPXORQ	Z2, Z2, Z2
	VPXORQ	Z3, Z3, Z3
	VPXORQ	Z4, Z4, Z4
	VPXORQ	Z5, Z5, Z5
	VPXORQ	Z6, Z6, Z6
	VPXORQ	Z7, Z7, Z7
	TESTQ	CX, CX
	JZ	reduce8

read8:
	VPXORQ	0(SI), Z0, Z0
	VPXORQ	64(SI), Z0, Z0
	VPXORQ	128(SI), Z0, Z0
	VPXORQ	192(SI), Z0, Z0
	VPXORQ	0(DI), Z1, Z1
	VPXORQ	64(DI), Z1, Z1
	VPXORQ	128(DI), Z1, Z1
	VPXORQ	192(DI), Z1, Z1
	VPXORQ	0(R8), Z2, Z2
	VPXORQ	64(R8), Z2, Z2
	VPXORQ	128(R8), Z2, Z2
	VPXORQ	192(R8), Z2, Z2
	VPXORQ	0(R9), Z3, Z3
	VPXORQ	64(R9), Z3, Z3
	VPXORQ	128(R9), Z3, Z3
	VPXORQ	192(R9), Z3, Z3
	VPXORQ	0(R10), Z4, Z4
	VPXORQ	64(R10), Z4, Z4
	VPXORQ	128(R10), Z4, Z4
	VPXORQ	192(R10), Z4, Z4
	VPXORQ	0(R11), Z5, Z5
	VPXORQ	64(R11), Z5, Z5
	VPXORQ	128(R11), Z5, Z5
	VPXORQ	192(R11), Z5, Z5
	VPXORQ	0(R12), Z6, Z6
	VPXORQ	64(R12), Z6, Z6
	VPXORQ	128(R12), Z6, Z6
	VPXORQ	192(R12), Z6, Z6
	VPXORQ	0(R13), Z7, Z7
	VPXORQ	64(R13), Z7, Z7
	VPXORQ	128(R13), Z7, Z7
	VPXORQ	192(R13), Z7, Z7
	ADDQ	$256, SI
	ADDQ	$256, DI
	ADDQ	$256, R8
	ADDQ	$256, R9
	ADDQ	$256, R10
	ADDQ	$256, R11
	ADDQ	$256, R12
	ADDQ	$256, R13
	DECQ	CX
	JNZ	read8

reduce8:
	VPXORQ	Z1, Z0, Z0
	VPXORQ	Z3, Z2, Z2
	VPXORQ	Z5, Z4, Z4
	VPXORQ	Z7, Z6, Z6
	VPXORQ	Z2, Z0, Z0
	VPXORQ	Z6, Z4, Z4
	VPXORQ	Z4, Z0, Z0
	VEXTRACTI64X4	$1, Z0, Y1
	VPXOR	Y1, Y0, Y0
	VEXTRACTI128	$1, Y0, X1
	VPXOR	X1, X0, X0
	VPSRLDQ	$8, X0, X1
	VPXOR	X1, X0, X0
	VMOVQ	X0, AX
	MOVQ	AX, ret+16(FP)
	VZEROUPPER
	RET
