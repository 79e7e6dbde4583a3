//go:build !noasm

#include "textflag.h"

// func GemvW4A8AVX2(x *int8, corr *int32, codes *byte, gs, rs *float32, xs float32, kg, np int, y *float32)
//
// One int8 activation row times np packed W4 panels:
//
//	P[n][g] = Σ_{k∈g} x[k]·q[n][k] − corr[g]      corr[g] = 8·Σ_{k∈g} x[k]
//	y[n]    = (xs·rs[n]) · Σ_g gs[n][g]·float32(P[n][g])   (fused multiply-adds)
//
// x holds 128·kg int8 (zero padded), corr kg int32, codes the panels
// (64·kg·128/8 bytes each), gs kg·16 float32 per panel, rs 16 per panel;
// y receives 16 float32 per panel.
//
// A 64-byte block holds 8 k of 16 rows: byte 4r+b of a 32-byte half (8
// rows) has k = 8j+b in its low and k = 8j+4+b in its high nibble. VPAND
// 0x0f (and VPSRLW 4 then VPAND) give two vectors laid out like a W8 block,
// one dword of 4 consecutive codes per row. VPMADDUBSW takes the codes
// (0..15) as its unsigned operand and x as the signed one: a pair sum is at
// most 2·15·128 = 3840 in magnitude, so 8 of them (4 blocks, low and high)
// add up in int16 without overflow; then VPMADDWD with ones widens to int32.
//
// Registers:
//	SI  x     AX  x cursor    DX  codes    R10 corr   R13 corr cursor
//	R8  gs    R9  rs          DI  y        CX  panels left
//	BX  kg    R11 groups left R12 rounds left in the group
//	Y0, Y1  float sums over groups, rows 0-7 / 8-15
//	Y2, Y3  int32 group sums      Y4, Y5 int16 sums over 4 blocks
//	Y6-Y11  codes, x broadcasts, products
//	Y12 xs  Y13 0x0f bytes  Y15 int16 ones
TEXT ·GemvW4A8AVX2(SB), NOSPLIT, $0-72
	MOVQ	x+0(FP), SI
	MOVQ	corr+8(FP), R10
	MOVQ	codes+16(FP), DX
	MOVQ	gs+24(FP), R8
	MOVQ	rs+32(FP), R9
	VBROADCASTSS	xs+40(FP), Y12
	MOVQ	kg+48(FP), BX
	MOVQ	np+56(FP), CX
	MOVQ	y+64(FP), DI
	VPCMPEQW	Y15, Y15, Y15
	VPSRLW	$15, Y15, Y15
	VPCMPEQB	Y13, Y13, Y13
	VPSRLW	$12, Y13, Y13
	VPACKUSWB	Y13, Y13, Y13

panel:
	VXORPS	Y0, Y0, Y0
	VXORPS	Y1, Y1, Y1
	MOVQ	SI, AX
	MOVQ	R10, R13
	MOVQ	BX, R11

group:
	VPXOR	Y2, Y2, Y2
	VPXOR	Y3, Y3, Y3
	MOVQ	$4, R12

	// A round: 4 blocks = 32 k, 256 bytes of codes, int16 sums. Software
	// prefetch 2 KB ahead, as in GemvW8A8AVX2.
round:
	PREFETCHT0	2048(DX)
	PREFETCHT0	2112(DX)
	PREFETCHT0	2176(DX)
	PREFETCHT0	2240(DX)
	VPXOR	Y4, Y4, Y4
	VPXOR	Y5, Y5, Y5
	VMOVDQU	0(DX), Y6
	VMOVDQU	32(DX), Y7
	VPSRLW	$4, Y6, Y8
	VPSRLW	$4, Y7, Y9
	VPAND	Y13, Y6, Y6
	VPAND	Y13, Y7, Y7
	VPAND	Y13, Y8, Y8
	VPAND	Y13, Y9, Y9
	VPBROADCASTD	0(AX), Y10
	VPBROADCASTD	4(AX), Y11
	VPMADDUBSW	Y10, Y6, Y6
	VPMADDUBSW	Y10, Y7, Y7
	VPMADDUBSW	Y11, Y8, Y8
	VPMADDUBSW	Y11, Y9, Y9
	VPADDW	Y6, Y4, Y4
	VPADDW	Y7, Y5, Y5
	VPADDW	Y8, Y4, Y4
	VPADDW	Y9, Y5, Y5

	VMOVDQU	64(DX), Y6
	VMOVDQU	96(DX), Y7
	VPSRLW	$4, Y6, Y8
	VPSRLW	$4, Y7, Y9
	VPAND	Y13, Y6, Y6
	VPAND	Y13, Y7, Y7
	VPAND	Y13, Y8, Y8
	VPAND	Y13, Y9, Y9
	VPBROADCASTD	8(AX), Y10
	VPBROADCASTD	12(AX), Y11
	VPMADDUBSW	Y10, Y6, Y6
	VPMADDUBSW	Y10, Y7, Y7
	VPMADDUBSW	Y11, Y8, Y8
	VPMADDUBSW	Y11, Y9, Y9
	VPADDW	Y6, Y4, Y4
	VPADDW	Y7, Y5, Y5
	VPADDW	Y8, Y4, Y4
	VPADDW	Y9, Y5, Y5

	VMOVDQU	128(DX), Y6
	VMOVDQU	160(DX), Y7
	VPSRLW	$4, Y6, Y8
	VPSRLW	$4, Y7, Y9
	VPAND	Y13, Y6, Y6
	VPAND	Y13, Y7, Y7
	VPAND	Y13, Y8, Y8
	VPAND	Y13, Y9, Y9
	VPBROADCASTD	16(AX), Y10
	VPBROADCASTD	20(AX), Y11
	VPMADDUBSW	Y10, Y6, Y6
	VPMADDUBSW	Y10, Y7, Y7
	VPMADDUBSW	Y11, Y8, Y8
	VPMADDUBSW	Y11, Y9, Y9
	VPADDW	Y6, Y4, Y4
	VPADDW	Y7, Y5, Y5
	VPADDW	Y8, Y4, Y4
	VPADDW	Y9, Y5, Y5

	VMOVDQU	192(DX), Y6
	VMOVDQU	224(DX), Y7
	VPSRLW	$4, Y6, Y8
	VPSRLW	$4, Y7, Y9
	VPAND	Y13, Y6, Y6
	VPAND	Y13, Y7, Y7
	VPAND	Y13, Y8, Y8
	VPAND	Y13, Y9, Y9
	VPBROADCASTD	24(AX), Y10
	VPBROADCASTD	28(AX), Y11
	VPMADDUBSW	Y10, Y6, Y6
	VPMADDUBSW	Y10, Y7, Y7
	VPMADDUBSW	Y11, Y8, Y8
	VPMADDUBSW	Y11, Y9, Y9
	VPADDW	Y6, Y4, Y4
	VPADDW	Y7, Y5, Y5
	VPADDW	Y8, Y4, Y4
	VPADDW	Y9, Y5, Y5

	VPMADDWD	Y15, Y4, Y4
	VPMADDWD	Y15, Y5, Y5
	VPADDD	Y4, Y2, Y2
	VPADDD	Y5, Y3, Y3
	ADDQ	$32, AX
	ADDQ	$256, DX
	DECQ	R12
	JNZ	round

	// Group end: subtract 8·Σx, scale by gs and accumulate in float.
	VPBROADCASTD	(R13), Y6
	VPSUBD	Y6, Y2, Y2
	VPSUBD	Y6, Y3, Y3
	VCVTDQ2PS	Y2, Y2
	VCVTDQ2PS	Y3, Y3
	VFMADD231PS	(R8), Y2, Y0
	VFMADD231PS	32(R8), Y3, Y1
	ADDQ	$64, R8
	ADDQ	$4, R13
	DECQ	R11
	JNZ	group

	// Panel end: y = (xs·rs) · sum.
	VMULPS	(R9), Y12, Y6
	VMULPS	32(R9), Y12, Y7
	VMULPS	Y6, Y0, Y0
	VMULPS	Y7, Y1, Y1
	VMOVUPS	Y0, (DI)
	VMOVUPS	Y1, 32(DI)
	ADDQ	$64, R9
	ADDQ	$64, DI
	DECQ	CX
	JNZ	panel
	VZEROUPPER
	RET
