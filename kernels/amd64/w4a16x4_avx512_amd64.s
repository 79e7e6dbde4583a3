//go:build !noasm

#include "textflag.h"

// func GemmW4A16x4AVX512(x *float32, ldx int, wf *float32, gs, rs *float32, kg int, y *float32, ldy int)
//
// Micro-kernel of the W4A16 product with several activation rows, laid out
// as GemmW4A16x4AVX2 (4 float32 rows at x + t·ldx bytes, 128·kg values,
// zero padded; one panel expanded to floats wf[16k + r] = q[r][k] − 8 by
// ExpandW4AVX512; row t of the output, 16 float32, at y + t·ldy bytes), but
// with the float operations of w4a16Generic: per row and k one multiply
// x[t][k]·wf (VMULPS with x broadcast from memory) and one add, in k order;
// per group F = F + float32(gs·acc); y = rs·F. The result is bit-identical
// to the pure-Go code. The multiplies and the adds run on different pipes
// on AMD Zen 4, so the pair costs about what one FMA would.
//
// Registers:
//	R8-R11  the 4 activation rows     R13 k within the panel
//	SI  wf cursor  DX gs cursor  BX groups left  R12 k left in the group
//	DI  y          R14 ldy
//	Z0-Z3  group sums of rows 0-3     Z4-Z7 sums over groups
//	Z8, Z9 the panel's 16 values of two k     Z10-Z17 products
TEXT ·GemmW4A16x4AVX512(SB), NOSPLIT, $0-64
	MOVQ	x+0(FP), R8
	MOVQ	ldx+8(FP), AX
	LEAQ	(R8)(AX*1), R9
	LEAQ	(R9)(AX*1), R10
	LEAQ	(R10)(AX*1), R11
	MOVQ	wf+16(FP), SI
	MOVQ	gs+24(FP), DX
	MOVQ	kg+40(FP), BX
	MOVQ	y+48(FP), DI
	MOVQ	ldy+56(FP), R14
	VXORPS	Z4, Z4, Z4
	VXORPS	Z5, Z5, Z5
	VXORPS	Z6, Z6, Z6
	VXORPS	Z7, Z7, Z7
	XORQ	R13, R13

group:
	VXORPS	Z0, Z0, Z0
	VXORPS	Z1, Z1, Z1
	VXORPS	Z2, Z2, Z2
	VXORPS	Z3, Z3, Z3
	MOVQ	$128, R12

	// Two k per iteration: 32 weights, 4 rows, 128 multiplies and adds.
kloop:
	VMOVUPS	(SI), Z8
	VMOVUPS	64(SI), Z9
	VMULPS.BCST	(R8)(R13*4), Z8, Z10
	VMULPS.BCST	(R9)(R13*4), Z8, Z11
	VMULPS.BCST	(R10)(R13*4), Z8, Z12
	VMULPS.BCST	(R11)(R13*4), Z8, Z13
	VADDPS	Z10, Z0, Z0
	VADDPS	Z11, Z1, Z1
	VADDPS	Z12, Z2, Z2
	VADDPS	Z13, Z3, Z3
	VMULPS.BCST	4(R8)(R13*4), Z9, Z14
	VMULPS.BCST	4(R9)(R13*4), Z9, Z15
	VMULPS.BCST	4(R10)(R13*4), Z9, Z16
	VMULPS.BCST	4(R11)(R13*4), Z9, Z17
	VADDPS	Z14, Z0, Z0
	VADDPS	Z15, Z1, Z1
	VADDPS	Z16, Z2, Z2
	VADDPS	Z17, Z3, Z3
	ADDQ	$128, SI
	ADDQ	$2, R13
	SUBQ	$2, R12
	JNZ	kloop

	// Group end: F = F + float32(gs·acc).
	VMULPS	(DX), Z0, Z0
	VMULPS	(DX), Z1, Z1
	VMULPS	(DX), Z2, Z2
	VMULPS	(DX), Z3, Z3
	VADDPS	Z0, Z4, Z4
	VADDPS	Z1, Z5, Z5
	VADDPS	Z2, Z6, Z6
	VADDPS	Z3, Z7, Z7
	ADDQ	$64, DX
	DECQ	BX
	JNZ	group

	// y[t] = rs·F[t].
	MOVQ	rs+32(FP), AX
	VMOVUPS	(AX), Z8
	VMULPS	Z8, Z4, Z4
	VMULPS	Z8, Z5, Z5
	VMULPS	Z8, Z6, Z6
	VMULPS	Z8, Z7, Z7
	VMOVUPS	Z4, (DI)
	ADDQ	R14, DI
	VMOVUPS	Z5, (DI)
	ADDQ	R14, DI
	VMOVUPS	Z6, (DI)
	ADDQ	R14, DI
	VMOVUPS	Z7, (DI)
	VZEROUPPER
	RET
