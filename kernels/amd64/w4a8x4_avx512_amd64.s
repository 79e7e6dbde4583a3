//go:build !noasm

#include "textflag.h"

// func GemmW4A8x4AVX512(x *int8, ldx int, codes *byte, gs, rs *float32, xs float32, kg, np int, y *float32, ldy int)
//
// Micro-kernel of the W4A8 product with several activation rows: 4 int8
// rows prepared as for GemvW4A8AVX512 (row t at x + t·ldx bytes: 128·kg
// bytes zero padded, then its kg int32 corrections 8·Σ_{k∈g} x[k]) times np
// packed W4 panels; row t of the output (16 float32 per panel) goes to
// y + t·ldy bytes. Each block of codes is unpacked once (VPSRLW, VPANDD)
// for the 4 rows: 8 VPDPBUSD per 64-byte block, into 8 int32 accumulators
// (row × low/high nibbles). The float operations are those of
// GemvW4A8AVX512 (bit-identical to the pure-Go code).
//
// Registers:
//	SI  x     AX  x cursor of rows 0-2    BX x cursor of row 3
//	R14 ldx   R10 corr cursor (row 0)     DX codes    R8 gs    R9 rs
//	DI  y     CX  panels left   R11 groups left   R12 block pairs left
//	Z16-Z23 int32 accumulators, row t in Z(16+2t), Z(17+2t)
//	Z24-Z27 float sums over groups of rows 0-3
//	Z0-Z3 codes    Z12 xs    Z13 0x0f bytes
TEXT ·GemmW4A8x4AVX512(SB), NOSPLIT, $0-80
	MOVQ	x+0(FP), SI
	MOVQ	ldx+8(FP), R14
	MOVQ	codes+16(FP), DX
	MOVQ	gs+24(FP), R8
	MOVQ	rs+32(FP), R9
	VBROADCASTSS	xs+40(FP), Z12
	MOVQ	np+56(FP), CX
	MOVQ	y+64(FP), DI
	MOVL	$0x0f0f0f0f, AX
	VPBROADCASTD	AX, Z13

panel:
	VXORPS	Z24, Z24, Z24
	VXORPS	Z25, Z25, Z25
	VXORPS	Z26, Z26, Z26
	VXORPS	Z27, Z27, Z27
	MOVQ	SI, AX
	LEAQ	(SI)(R14*2), BX
	ADDQ	R14, BX
	// The corrections follow the 128·kg bytes of row 0.
	MOVQ	kg+48(FP), R11
	MOVQ	R11, R10
	SHLQ	$7, R10
	ADDQ	SI, R10

group:
	VPXORD	Z16, Z16, Z16
	VPXORD	Z17, Z17, Z17
	VPXORD	Z18, Z18, Z18
	VPXORD	Z19, Z19, Z19
	VPXORD	Z20, Z20, Z20
	VPXORD	Z21, Z21, Z21
	VPXORD	Z22, Z22, Z22
	VPXORD	Z23, Z23, Z23
	MOVQ	$8, R12

	// Two blocks (16 k) per iteration.
pair:
	VMOVDQU32	0(DX), Z0
	VMOVDQU32	64(DX), Z2
	VPSRLW	$4, Z0, Z1
	VPSRLW	$4, Z2, Z3
	VPANDD	Z13, Z0, Z0
	VPANDD	Z13, Z1, Z1
	VPANDD	Z13, Z2, Z2
	VPANDD	Z13, Z3, Z3
	VPDPBUSD.BCST	0(AX), Z0, Z16
	VPDPBUSD.BCST	4(AX), Z1, Z17
	VPDPBUSD.BCST	0(AX)(R14*1), Z0, Z18
	VPDPBUSD.BCST	4(AX)(R14*1), Z1, Z19
	VPDPBUSD.BCST	0(AX)(R14*2), Z0, Z20
	VPDPBUSD.BCST	4(AX)(R14*2), Z1, Z21
	VPDPBUSD.BCST	0(BX), Z0, Z22
	VPDPBUSD.BCST	4(BX), Z1, Z23
	VPDPBUSD.BCST	8(AX), Z2, Z16
	VPDPBUSD.BCST	12(AX), Z3, Z17
	VPDPBUSD.BCST	8(AX)(R14*1), Z2, Z18
	VPDPBUSD.BCST	12(AX)(R14*1), Z3, Z19
	VPDPBUSD.BCST	8(AX)(R14*2), Z2, Z20
	VPDPBUSD.BCST	12(AX)(R14*2), Z3, Z21
	VPDPBUSD.BCST	8(BX), Z2, Z22
	VPDPBUSD.BCST	12(BX), Z3, Z23
	ADDQ	$16, AX
	ADDQ	$16, BX
	ADDQ	$128, DX
	DECQ	R12
	JNZ	pair

	// Group end, per row: P = lo + hi − corr; F += float32(gs·float32(P)).
	VPADDD	Z17, Z16, Z16
	VPADDD	Z19, Z18, Z18
	VPADDD	Z21, Z20, Z20
	VPADDD	Z23, Z22, Z22
	LEAQ	(R10)(R14*2), R12
	VPSUBD.BCST	(R10), Z16, Z16
	VPSUBD.BCST	(R10)(R14*1), Z18, Z18
	VPSUBD.BCST	(R12), Z20, Z20
	VPSUBD.BCST	(R12)(R14*1), Z22, Z22
	VCVTDQ2PS	Z16, Z16
	VCVTDQ2PS	Z18, Z18
	VCVTDQ2PS	Z20, Z20
	VCVTDQ2PS	Z22, Z22
	VMOVUPS	(R8), Z0
	VMULPS	Z0, Z16, Z16
	VMULPS	Z0, Z18, Z18
	VMULPS	Z0, Z20, Z20
	VMULPS	Z0, Z22, Z22
	VADDPS	Z16, Z24, Z24
	VADDPS	Z18, Z25, Z25
	VADDPS	Z20, Z26, Z26
	VADDPS	Z22, Z27, Z27
	ADDQ	$64, R8
	ADDQ	$4, R10
	DECQ	R11
	JNZ	group

	// Panel end: y[t] = float32(xs·rs)·F[t].
	VMULPS	(R9), Z12, Z0
	VMULPS	Z0, Z24, Z24
	VMULPS	Z0, Z25, Z25
	VMULPS	Z0, Z26, Z26
	VMULPS	Z0, Z27, Z27
	MOVQ	ldy+72(FP), R12
	LEAQ	(DI)(R12*2), R11
	VMOVUPS	Z24, (DI)
	VMOVUPS	Z25, (DI)(R12*1)
	VMOVUPS	Z26, (R11)
	VMOVUPS	Z27, (R11)(R12*1)
	ADDQ	$64, R9
	ADDQ	$64, DI
	DECQ	CX
	JNZ	panel
	VZEROUPPER
	RET
