//go:build !noasm

#include "textflag.h"

// func GemvF32AVX2(x, w *float32, kq, np int, y, bias *float32)
//
// Decode GEMV: one float32 activation row times np packed panels. The
// panels are one sequential stream of 64·4·kq bytes each; per k the 16
// weights (two ymm) are multiplied by the broadcast x[k] and added with FMA.
// Four k per iteration go to four independent pairs of accumulators (k mod
// 4), which hides the FMA latency; the four partial sums are added at the
// end of each panel: y = ((s0 + s1) + (s2 + s3)) (+ bias).
//
// Registers:
//	SI  x        DX  weights (streams through all panels)
//	BX  kq       CX  panels left      DI  y      R9 bias or 0
//	AX  x cursor R13 k-quads left
//	Y0-Y7   accumulators: k ≡ j (mod 4) in Y(2j) (rows 0-7), Y(2j+1) (rows 8-15)
//	Y8-Y11  x[k], ..., x[k+3] broadcast
TEXT ·GemvF32AVX2(SB), NOSPLIT, $0-48
	MOVQ	x+0(FP), SI
	MOVQ	w+8(FP), DX
	MOVQ	kq+16(FP), BX
	MOVQ	np+24(FP), CX
	MOVQ	y+32(FP), DI
	MOVQ	bias+40(FP), R9

panel:
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

	// Four k (256 bytes of weights, four cache lines) per iteration. The
	// software prefetch 2 KB ahead runs across panel boundaries: the stream
	// is contiguous.
quad:
	PREFETCHT0	2048(DX)
	PREFETCHT0	2112(DX)
	PREFETCHT0	2176(DX)
	PREFETCHT0	2240(DX)
	VBROADCASTSS	(AX), Y8
	VBROADCASTSS	4(AX), Y9
	VBROADCASTSS	8(AX), Y10
	VBROADCASTSS	12(AX), Y11
	VFMADD231PS	(DX), Y8, Y0
	VFMADD231PS	32(DX), Y8, Y1
	VFMADD231PS	64(DX), Y9, Y2
	VFMADD231PS	96(DX), Y9, Y3
	VFMADD231PS	128(DX), Y10, Y4
	VFMADD231PS	160(DX), Y10, Y5
	VFMADD231PS	192(DX), Y11, Y6
	VFMADD231PS	224(DX), Y11, Y7
	ADDQ	$16, AX
	ADDQ	$256, DX
	DECQ	R13
	JNZ	quad

	VADDPS	Y2, Y0, Y0
	VADDPS	Y3, Y1, Y1
	VADDPS	Y6, Y4, Y4
	VADDPS	Y7, Y5, Y5
	VADDPS	Y4, Y0, Y0
	VADDPS	Y5, Y1, Y1
	TESTQ	R9, R9
	JZ	store
	VADDPS	(R9), Y0, Y0
	VADDPS	32(R9), Y1, Y1
	ADDQ	$64, R9

store:
	VMOVUPS	Y0, (DI)
	VMOVUPS	Y1, 32(DI)
	ADDQ	$64, DI
	DECQ	CX
	JNZ	panel
	VZEROUPPER
	RET
