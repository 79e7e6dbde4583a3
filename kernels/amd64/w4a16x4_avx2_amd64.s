//go:build !noasm

#include "textflag.h"

// func GemmW4A16x4AVX2(x *float32, ldx int, wf *float32, gs, rs *float32, kg int, y *float32, ldy int)
//
// Micro-kernel of the W4A16 product with several activation rows: 4 float32
// rows (row t at x + t·ldx bytes, 128·kg values each, zero padded) times one
// W4 panel whose codes have been expanded to floats q−8, k-major: wf[16k+r]
// for row r (see w4a16Arch). For each group g of 128 k, row t and panel row
// r it forms s = Σ_{k∈g} x[t][k]·(q[r][k]−8) with one FMA chain per
// (t, r-half), then F[t][r] += gs[g][r]·s; finally y[t][r] = rs[r]·F[t][r],
// row t of y at y + t·ldy bytes (16 float32). gs holds 16 float32 per group,
// rs 16.
//
// Registers:
//	R8-R11  the 4 activation rows     R13 k within the panel
//	SI  wf cursor  DX gs cursor  BX groups left  R12 k left in the group
//	DI  y          R14 ldy
//	Y0-Y7   group sums: row t, panel rows 0-7 in Y(2t), 8-15 in Y(2t+1)
//	Y8, Y9  the panel's 16 values of one k    Y10 x[t][k] broadcast
//	Y11, Y12 rs
// Frame: the 4 × 16 float sums over groups, F[t] at 64t(SP).
TEXT ·GemmW4A16x4AVX2(SB), NOSPLIT, $256-64
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
	VXORPS	Y0, Y0, Y0
	MOVQ	$0, AX
zero:
	VMOVUPS	Y0, (SP)(AX*1)
	ADDQ	$32, AX
	CMPQ	AX, $256
	JLT	zero
	XORQ	R13, R13

group:
	VXORPS	Y0, Y0, Y0
	VXORPS	Y1, Y1, Y1
	VXORPS	Y2, Y2, Y2
	VXORPS	Y3, Y3, Y3
	VXORPS	Y4, Y4, Y4
	VXORPS	Y5, Y5, Y5
	VXORPS	Y6, Y6, Y6
	VXORPS	Y7, Y7, Y7
	MOVQ	$128, R12

	// One k per iteration: 16 weights, 4 rows, 64 multiply-adds.
kloop:
	VMOVUPS	(SI), Y8
	VMOVUPS	32(SI), Y9
	VBROADCASTSS	(R8)(R13*4), Y10
	VFMADD231PS	Y8, Y10, Y0
	VFMADD231PS	Y9, Y10, Y1
	VBROADCASTSS	(R9)(R13*4), Y10
	VFMADD231PS	Y8, Y10, Y2
	VFMADD231PS	Y9, Y10, Y3
	VBROADCASTSS	(R10)(R13*4), Y10
	VFMADD231PS	Y8, Y10, Y4
	VFMADD231PS	Y9, Y10, Y5
	VBROADCASTSS	(R11)(R13*4), Y10
	VFMADD231PS	Y8, Y10, Y6
	VFMADD231PS	Y9, Y10, Y7

	ADDQ	$64, SI
	INCQ	R13
	DECQ	R12
	JNZ	kloop

	// Group end: F[t] += gs·sums.
	VMOVUPS	0(SP), Y10
	VFMADD231PS	0(DX), Y0, Y10
	VMOVUPS	Y10, 0(SP)
	VMOVUPS	32(SP), Y10
	VFMADD231PS	32(DX), Y1, Y10
	VMOVUPS	Y10, 32(SP)
	VMOVUPS	64(SP), Y10
	VFMADD231PS	0(DX), Y2, Y10
	VMOVUPS	Y10, 64(SP)
	VMOVUPS	96(SP), Y10
	VFMADD231PS	32(DX), Y3, Y10
	VMOVUPS	Y10, 96(SP)
	VMOVUPS	128(SP), Y10
	VFMADD231PS	0(DX), Y4, Y10
	VMOVUPS	Y10, 128(SP)
	VMOVUPS	160(SP), Y10
	VFMADD231PS	32(DX), Y5, Y10
	VMOVUPS	Y10, 160(SP)
	VMOVUPS	192(SP), Y10
	VFMADD231PS	0(DX), Y6, Y10
	VMOVUPS	Y10, 192(SP)
	VMOVUPS	224(SP), Y10
	VFMADD231PS	32(DX), Y7, Y10
	VMOVUPS	Y10, 224(SP)

	ADDQ	$64, DX
	DECQ	BX
	JNZ	group

	// y[t] = rs·F[t].
	MOVQ	rs+32(FP), AX
	VMOVUPS	(AX), Y11
	VMOVUPS	32(AX), Y12
	VMULPS	0(SP), Y11, Y0
	VMULPS	32(SP), Y12, Y1
	VMOVUPS	Y0, (DI)
	VMOVUPS	Y1, 32(DI)
	ADDQ	R14, DI
	VMULPS	64(SP), Y11, Y0
	VMULPS	96(SP), Y12, Y1
	VMOVUPS	Y0, (DI)
	VMOVUPS	Y1, 32(DI)
	ADDQ	R14, DI
	VMULPS	128(SP), Y11, Y0
	VMULPS	160(SP), Y12, Y1
	VMOVUPS	Y0, (DI)
	VMOVUPS	Y1, 32(DI)
	ADDQ	R14, DI
	VMULPS	192(SP), Y11, Y0
	VMULPS	224(SP), Y12, Y1
	VMOVUPS	Y0, (DI)
	VMOVUPS	Y1, 32(DI)
	ADDQ	R14, DI

	VZEROUPPER
	RET
