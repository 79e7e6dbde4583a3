//go:build !noasm

#include "textflag.h"

// func GemmF32x6AVX2(x *float32, ldx, rows int, w *float32, kq int, y *float32, ldy, accum int, bias, next *float32)
//
// Micro-kernel of the float32 GEMM: a tile of 6 activation rows × one
// 16-row weight panel held in 12 ymm accumulators over 4·kq values of k.
// Per k: two loads of the panel's 16 weights, six broadcasts x[t][k] and
// twelve FMAs; at two FMAs per cycle that is 6 cycles per k, with 8 loads
// in the same time. The caller blocks K and the rows (see f32_simd.go in
// package kernels) so that the panel's 64·4·kq bytes of weights and the
// block of activation rows (4·4·kq bytes each) stay in L2 while every tile
// of the block passes over the weights.
//
// Rows past rows repeat the last real row (their sums are not stored), so
// the kernel only reads the caller's rows.
//
// next is the weight block the caller runs after this panel's (64·4·kq
// bytes): the loop prefetches it into L1, one cache line per k, so that the
// first tile on the next panel does not wait for L3 (measured with K blocks
// of 256: 4% less time at 512x3072x768 than without).
//
// Registers:
//	R8-R13  row pointers x[t]   AX  byte offset of k in the rows
//	DX  w cursor   CX  k-quads left   SI  next cursor
//	Y0-Y11  accumulators: row t, panel rows 0-7 in Y(2t), 8-15 in Y(2t+1)
//	Y12, Y13  the 16 weights of one k
//	Y14, Y15  x[t][k] broadcast (alternating)
// Epilogue: DI y row, R8 ldy, R10 rows left, R11 accum, Y12/Y13 bias or 0.
TEXT ·GemmF32x6AVX2(SB), NOSPLIT, $0-80
	MOVQ	x+0(FP), R8
	MOVQ	ldx+8(FP), BX
	MOVQ	rows+16(FP), SI
	// Row t+1 is row t + ldx while t+1 < rows, else row t again.
	XORQ	AX, AX
	MOVQ	R8, R9
	CMPQ	SI, $1
	JLE	2(PC)
	ADDQ	BX, R9
	MOVQ	R9, R10
	CMPQ	SI, $2
	JLE	2(PC)
	ADDQ	BX, R10
	MOVQ	R10, R11
	CMPQ	SI, $3
	JLE	2(PC)
	ADDQ	BX, R11
	MOVQ	R11, R12
	CMPQ	SI, $4
	JLE	2(PC)
	ADDQ	BX, R12
	MOVQ	R12, R13
	CMPQ	SI, $5
	JLE	2(PC)
	ADDQ	BX, R13
	MOVQ	w+24(FP), DX
	MOVQ	kq+32(FP), CX
	MOVQ	next+72(FP), SI
	VXORPS	Y0, Y0, Y0
	VXORPS	Y1, Y1, Y1
	VXORPS	Y2, Y2, Y2
	VXORPS	Y3, Y3, Y3
	VXORPS	Y4, Y4, Y4
	VXORPS	Y5, Y5, Y5
	VXORPS	Y6, Y6, Y6
	VXORPS	Y7, Y7, Y7
	VXORPS	Y8, Y8, Y8
	VXORPS	Y9, Y9, Y9
	VXORPS	Y10, Y10, Y10
	VXORPS	Y11, Y11, Y11

	// Four k per iteration.
loop:
	VMOVUPS	0(DX), Y12
	VMOVUPS	32(DX), Y13
	VBROADCASTSS	0(R8)(AX*1), Y14
	VFMADD231PS	Y12, Y14, Y0
	VFMADD231PS	Y13, Y14, Y1
	VBROADCASTSS	0(R9)(AX*1), Y15
	VFMADD231PS	Y12, Y15, Y2
	VFMADD231PS	Y13, Y15, Y3
	VBROADCASTSS	0(R10)(AX*1), Y14
	VFMADD231PS	Y12, Y14, Y4
	VFMADD231PS	Y13, Y14, Y5
	VBROADCASTSS	0(R11)(AX*1), Y15
	VFMADD231PS	Y12, Y15, Y6
	VFMADD231PS	Y13, Y15, Y7
	VBROADCASTSS	0(R12)(AX*1), Y14
	VFMADD231PS	Y12, Y14, Y8
	VFMADD231PS	Y13, Y14, Y9
	VBROADCASTSS	0(R13)(AX*1), Y15
	VFMADD231PS	Y12, Y15, Y10
	VFMADD231PS	Y13, Y15, Y11
	VMOVUPS	64(DX), Y12
	VMOVUPS	96(DX), Y13
	VBROADCASTSS	4(R8)(AX*1), Y14
	VFMADD231PS	Y12, Y14, Y0
	VFMADD231PS	Y13, Y14, Y1
	VBROADCASTSS	4(R9)(AX*1), Y15
	VFMADD231PS	Y12, Y15, Y2
	VFMADD231PS	Y13, Y15, Y3
	VBROADCASTSS	4(R10)(AX*1), Y14
	VFMADD231PS	Y12, Y14, Y4
	VFMADD231PS	Y13, Y14, Y5
	VBROADCASTSS	4(R11)(AX*1), Y15
	VFMADD231PS	Y12, Y15, Y6
	VFMADD231PS	Y13, Y15, Y7
	VBROADCASTSS	4(R12)(AX*1), Y14
	VFMADD231PS	Y12, Y14, Y8
	VFMADD231PS	Y13, Y14, Y9
	VBROADCASTSS	4(R13)(AX*1), Y15
	VFMADD231PS	Y12, Y15, Y10
	VFMADD231PS	Y13, Y15, Y11
	VMOVUPS	128(DX), Y12
	VMOVUPS	160(DX), Y13
	VBROADCASTSS	8(R8)(AX*1), Y14
	VFMADD231PS	Y12, Y14, Y0
	VFMADD231PS	Y13, Y14, Y1
	VBROADCASTSS	8(R9)(AX*1), Y15
	VFMADD231PS	Y12, Y15, Y2
	VFMADD231PS	Y13, Y15, Y3
	VBROADCASTSS	8(R10)(AX*1), Y14
	VFMADD231PS	Y12, Y14, Y4
	VFMADD231PS	Y13, Y14, Y5
	VBROADCASTSS	8(R11)(AX*1), Y15
	VFMADD231PS	Y12, Y15, Y6
	VFMADD231PS	Y13, Y15, Y7
	VBROADCASTSS	8(R12)(AX*1), Y14
	VFMADD231PS	Y12, Y14, Y8
	VFMADD231PS	Y13, Y14, Y9
	VBROADCASTSS	8(R13)(AX*1), Y15
	VFMADD231PS	Y12, Y15, Y10
	VFMADD231PS	Y13, Y15, Y11
	VMOVUPS	192(DX), Y12
	VMOVUPS	224(DX), Y13
	VBROADCASTSS	12(R8)(AX*1), Y14
	VFMADD231PS	Y12, Y14, Y0
	VFMADD231PS	Y13, Y14, Y1
	VBROADCASTSS	12(R9)(AX*1), Y15
	VFMADD231PS	Y12, Y15, Y2
	VFMADD231PS	Y13, Y15, Y3
	VBROADCASTSS	12(R10)(AX*1), Y14
	VFMADD231PS	Y12, Y14, Y4
	VFMADD231PS	Y13, Y14, Y5
	VBROADCASTSS	12(R11)(AX*1), Y15
	VFMADD231PS	Y12, Y15, Y6
	VFMADD231PS	Y13, Y15, Y7
	VBROADCASTSS	12(R12)(AX*1), Y14
	VFMADD231PS	Y12, Y14, Y8
	VFMADD231PS	Y13, Y14, Y9
	VBROADCASTSS	12(R13)(AX*1), Y15
	VFMADD231PS	Y12, Y15, Y10
	VFMADD231PS	Y13, Y15, Y11
	PREFETCHT0	(SI)
	PREFETCHT0	64(SI)
	PREFETCHT0	128(SI)
	PREFETCHT0	192(SI)
	ADDQ	$256, SI
	ADDQ	$16, AX
	ADDQ	$256, DX
	DECQ	CX
	JNZ	loop

	MOVQ	y+40(FP), DI
	MOVQ	ldy+48(FP), R8
	MOVQ	rows+16(FP), R10
	MOVQ	accum+56(FP), R11
	MOVQ	bias+64(FP), R9
	VXORPS	Y12, Y12, Y12
	VXORPS	Y13, Y13, Y13
	TESTQ	R9, R9
	JZ	out
	VMOVUPS	(R9), Y12
	VMOVUPS	32(R9), Y13

	// Row t: y = (y + sums) + bias, or sums + bias; then stop after the
	// last requested row.
out:
	TESTQ	R11, R11
	JZ	row0
	VADDPS	(DI), Y0, Y0
	VADDPS	32(DI), Y1, Y1
row0:
	VADDPS	Y12, Y0, Y0
	VADDPS	Y13, Y1, Y1
	VMOVUPS	Y0, (DI)
	VMOVUPS	Y1, 32(DI)
	ADDQ	R8, DI
	DECQ	R10
	JZ	done
	TESTQ	R11, R11
	JZ	row1
	VADDPS	(DI), Y2, Y2
	VADDPS	32(DI), Y3, Y3
row1:
	VADDPS	Y12, Y2, Y2
	VADDPS	Y13, Y3, Y3
	VMOVUPS	Y2, (DI)
	VMOVUPS	Y3, 32(DI)
	ADDQ	R8, DI
	DECQ	R10
	JZ	done
	TESTQ	R11, R11
	JZ	row2
	VADDPS	(DI), Y4, Y4
	VADDPS	32(DI), Y5, Y5
row2:
	VADDPS	Y12, Y4, Y4
	VADDPS	Y13, Y5, Y5
	VMOVUPS	Y4, (DI)
	VMOVUPS	Y5, 32(DI)
	ADDQ	R8, DI
	DECQ	R10
	JZ	done
	TESTQ	R11, R11
	JZ	row3
	VADDPS	(DI), Y6, Y6
	VADDPS	32(DI), Y7, Y7
row3:
	VADDPS	Y12, Y6, Y6
	VADDPS	Y13, Y7, Y7
	VMOVUPS	Y6, (DI)
	VMOVUPS	Y7, 32(DI)
	ADDQ	R8, DI
	DECQ	R10
	JZ	done
	TESTQ	R11, R11
	JZ	row4
	VADDPS	(DI), Y8, Y8
	VADDPS	32(DI), Y9, Y9
row4:
	VADDPS	Y12, Y8, Y8
	VADDPS	Y13, Y9, Y9
	VMOVUPS	Y8, (DI)
	VMOVUPS	Y9, 32(DI)
	ADDQ	R8, DI
	DECQ	R10
	JZ	done
	TESTQ	R11, R11
	JZ	row5
	VADDPS	(DI), Y10, Y10
	VADDPS	32(DI), Y11, Y11
row5:
	VADDPS	Y12, Y10, Y10
	VADDPS	Y13, Y11, Y11
	VMOVUPS	Y10, (DI)
	VMOVUPS	Y11, 32(DI)

done:
	VZEROUPPER
	RET
