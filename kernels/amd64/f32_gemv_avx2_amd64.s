//go:build !noasm

#include "textflag.h"

// func GemvF32AVX2(x, w *float32, kq, np int, y, bias *float32)
//
// Decode GEMV: one float32 activation row times np packed panels (64·4·kq
// bytes each, back to back). Per k, the 16 weights of a panel (two ymm) are
// multiplied by the broadcast x[k] and added with FMA.
//
// Memory: the panels are taken four at a time, as four sequential streams
// (one per panel) read in step. Several streams keep more DRAM requests in
// flight than one: in measurements on this Zen 3, with a plain one-stream
// read loop as the yardstick, one panel at a time (with prefetch) reached
// ~0.75 of it, two ~0.9, four 1.0-1.3. Software prefetch (PREFETCHT0 2 KB
// ahead in every stream) made four streams slower (0.9-1.15), so there is
// none. The last np mod 4 panels run one at a time.
//
// Sums: every accumulator is one FMA chain over k in ascending order, then
// the bias, if any, is added: a panel's outputs do not depend on whether it
// ran in a group (8 chains in flight hide the FMA latency) or alone (2
// chains, still ~16 bytes per cycle, far above DRAM speed), so splitting
// the panels over goroutines gives the same bits.
//
// Registers:
//	SI  x        DX  panel 0 of the group (then the lone panel)
//	R10, R11, R8  panels 1-3 of the group    R12 bytes per panel
//	BX  kq       CX  panels left      DI  y      R9 bias or 0
//	AX  x cursor R13 k-quads left
//	Y0-Y7   accumulators: panel j of the group, rows 0-7 in Y(2j), 8-15 in
//	        Y(2j+1); a lone panel in Y0/Y1
//	Y8-Y11  x[k], ..., x[k+3] broadcast
TEXT ·GemvF32AVX2(SB), NOSPLIT, $0-48
	MOVQ	x+0(FP), SI
	MOVQ	w+8(FP), DX
	MOVQ	kq+16(FP), BX
	MOVQ	np+24(FP), CX
	MOVQ	y+32(FP), DI
	MOVQ	bias+40(FP), R9
	MOVQ	BX, R12
	SHLQ	$8, R12

group:
	CMPQ	CX, $4
	JLT	lone
	VXORPS	Y0, Y0, Y0
	VXORPS	Y1, Y1, Y1
	VXORPS	Y2, Y2, Y2
	VXORPS	Y3, Y3, Y3
	VXORPS	Y4, Y4, Y4
	VXORPS	Y5, Y5, Y5
	VXORPS	Y6, Y6, Y6
	VXORPS	Y7, Y7, Y7
	MOVQ	SI, AX
	MOVQ	BX, R13
	LEAQ	(DX)(R12*1), R10
	LEAQ	(R10)(R12*1), R11
	LEAQ	(R11)(R12*1), R8

	// Four k of four panels (1 KB of weights) per iteration.
gquad:
	VBROADCASTSS	0(AX), Y8
	VBROADCASTSS	4(AX), Y9
	VBROADCASTSS	8(AX), Y10
	VBROADCASTSS	12(AX), Y11
	VFMADD231PS	0(DX), Y8, Y0
	VFMADD231PS	32(DX), Y8, Y1
	VFMADD231PS	0(R10), Y8, Y2
	VFMADD231PS	32(R10), Y8, Y3
	VFMADD231PS	0(R11), Y8, Y4
	VFMADD231PS	32(R11), Y8, Y5
	VFMADD231PS	0(R8), Y8, Y6
	VFMADD231PS	32(R8), Y8, Y7
	VFMADD231PS	64(DX), Y9, Y0
	VFMADD231PS	96(DX), Y9, Y1
	VFMADD231PS	64(R10), Y9, Y2
	VFMADD231PS	96(R10), Y9, Y3
	VFMADD231PS	64(R11), Y9, Y4
	VFMADD231PS	96(R11), Y9, Y5
	VFMADD231PS	64(R8), Y9, Y6
	VFMADD231PS	96(R8), Y9, Y7
	VFMADD231PS	128(DX), Y10, Y0
	VFMADD231PS	160(DX), Y10, Y1
	VFMADD231PS	128(R10), Y10, Y2
	VFMADD231PS	160(R10), Y10, Y3
	VFMADD231PS	128(R11), Y10, Y4
	VFMADD231PS	160(R11), Y10, Y5
	VFMADD231PS	128(R8), Y10, Y6
	VFMADD231PS	160(R8), Y10, Y7
	VFMADD231PS	192(DX), Y11, Y0
	VFMADD231PS	224(DX), Y11, Y1
	VFMADD231PS	192(R10), Y11, Y2
	VFMADD231PS	224(R10), Y11, Y3
	VFMADD231PS	192(R11), Y11, Y4
	VFMADD231PS	224(R11), Y11, Y5
	VFMADD231PS	192(R8), Y11, Y6
	VFMADD231PS	224(R8), Y11, Y7
	ADDQ	$16, AX
	ADDQ	$256, DX
	ADDQ	$256, R10
	ADDQ	$256, R11
	ADDQ	$256, R8
	DECQ	R13
	JNZ	gquad

	TESTQ	R9, R9
	JZ	gstore
	VADDPS	0(R9), Y0, Y0
	VADDPS	32(R9), Y1, Y1
	VADDPS	64(R9), Y2, Y2
	VADDPS	96(R9), Y3, Y3
	VADDPS	128(R9), Y4, Y4
	VADDPS	160(R9), Y5, Y5
	VADDPS	192(R9), Y6, Y6
	VADDPS	224(R9), Y7, Y7
	ADDQ	$256, R9

gstore:
	VMOVUPS	Y0, 0(DI)
	VMOVUPS	Y1, 32(DI)
	VMOVUPS	Y2, 64(DI)
	VMOVUPS	Y3, 96(DI)
	VMOVUPS	Y4, 128(DI)
	VMOVUPS	Y5, 160(DI)
	VMOVUPS	Y6, 192(DI)
	VMOVUPS	Y7, 224(DI)
	ADDQ	$256, DI
	MOVQ	R8, DX	// the panel after the group
	SUBQ	$4, CX
	JMP	group

	// The last np mod 4 panels.
lone:
	TESTQ	CX, CX
	JZ	done
	VXORPS	Y0, Y0, Y0
	VXORPS	Y1, Y1, Y1
	MOVQ	SI, AX
	MOVQ	BX, R13

lquad:
	VBROADCASTSS	0(AX), Y8
	VBROADCASTSS	4(AX), Y9
	VBROADCASTSS	8(AX), Y10
	VBROADCASTSS	12(AX), Y11
	VFMADD231PS	0(DX), Y8, Y0
	VFMADD231PS	32(DX), Y8, Y1
	VFMADD231PS	64(DX), Y9, Y0
	VFMADD231PS	96(DX), Y9, Y1
	VFMADD231PS	128(DX), Y10, Y0
	VFMADD231PS	160(DX), Y10, Y1
	VFMADD231PS	192(DX), Y11, Y0
	VFMADD231PS	224(DX), Y11, Y1
	ADDQ	$16, AX
	ADDQ	$256, DX
	DECQ	R13
	JNZ	lquad

	TESTQ	R9, R9
	JZ	lstore
	VADDPS	(R9), Y0, Y0
	VADDPS	32(R9), Y1, Y1
	ADDQ	$64, R9

lstore:
	VMOVUPS	Y0, (DI)
	VMOVUPS	Y1, 32(DI)
	ADDQ	$64, DI
	DECQ	CX
	JMP	lone

done:
	VZEROUPPER
	RET
