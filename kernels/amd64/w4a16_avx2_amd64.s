//go:build !noasm

#include "textflag.h"

DATA	w4nib<>+0(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA	w4nib<>+8(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA	w4nib<>+16(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA	w4nib<>+24(SB)/8, $0x0f0f0f0f0f0f0f0f
GLOBL	w4nib<>(SB), RODATA|NOPTR, $32
DATA	w4eight<>+0(SB)/8, $0x0808080808080808
DATA	w4eight<>+8(SB)/8, $0x0808080808080808
DATA	w4eight<>+16(SB)/8, $0x0808080808080808
DATA	w4eight<>+24(SB)/8, $0x0808080808080808
GLOBL	w4eight<>(SB), RODATA|NOPTR, $32

// func GemvW4A16AVX2(x *float32, codes *byte, gs, rs *float32, kg, np int, y *float32)
//
// One float32 activation row times np packed W4 panels:
//
//	y[n] = rs[n] · Σ_g gs[n][g] · Σ_{k∈g} x[k]·(q[n][k]−8)
//
// x holds 128·kg float32 (zero padded); the other arguments are laid out as
// for GemvW4A8AVX2. Each 32-byte half block (8 rows) is split into its low
// and high nibbles, 8 is subtracted from every byte (values −8..7), and for
// each of the 4 byte positions b the row values are sign-extended to int32
// (VPSLLD 24−8b, VPSRAD 24), converted and multiplied-added with x[k]
// broadcast. Every k goes to accumulator b = k mod 4 so that 4 independent
// FMA chains per half hide the FMA latency; a group's 4 partial sums are
// added and scaled by gs with one more FMA.
//
// Registers:
//	AX  x cursor   SI  x     DX  codes   R8 gs   R9 rs   DI y
//	BX  kg         CX  panels left       R11 groups left  R12 blocks left
//	Y0-Y3   rows 0-7, k mod 4 = 0..3     Y4-Y7 rows 8-15, same
//	Y8, Y9  float sums over groups, rows 0-7 / 8-15
//	Y10, Y11 low / high nibbles − 8 of rows 0-7; Y14, Y15 of rows 8-15
//	Y12 one k's values as float      Y13 x[k] broadcast
TEXT ·GemvW4A16AVX2(SB), NOSPLIT, $0-56
	MOVQ	x+0(FP), SI
	MOVQ	codes+8(FP), DX
	MOVQ	gs+16(FP), R8
	MOVQ	rs+24(FP), R9
	MOVQ	kg+32(FP), BX
	MOVQ	np+40(FP), CX
	MOVQ	y+48(FP), DI

panel:
	VXORPS	Y8, Y8, Y8
	VXORPS	Y9, Y9, Y9
	MOVQ	SI, AX
	MOVQ	BX, R11

group:
	VXORPS	Y0, Y0, Y0
	VXORPS	Y1, Y1, Y1
	VXORPS	Y2, Y2, Y2
	VXORPS	Y3, Y3, Y3
	VXORPS	Y4, Y4, Y4
	VXORPS	Y5, Y5, Y5
	VXORPS	Y6, Y6, Y6
	VXORPS	Y7, Y7, Y7
	MOVQ	$16, R12

	// One block (8 k × 16 rows, 64 bytes of codes) per iteration.
block:
	VMOVDQU	(DX), Y10
	VMOVDQU	32(DX), Y14
	VPSRLW	$4, Y10, Y11
	VPSRLW	$4, Y14, Y15
	VPAND	w4nib<>(SB), Y10, Y10
	VPAND	w4nib<>(SB), Y11, Y11
	VPAND	w4nib<>(SB), Y14, Y14
	VPAND	w4nib<>(SB), Y15, Y15
	VPSUBB	w4eight<>(SB), Y10, Y10
	VPSUBB	w4eight<>(SB), Y11, Y11
	VPSUBB	w4eight<>(SB), Y14, Y14
	VPSUBB	w4eight<>(SB), Y15, Y15
	VBROADCASTSS	0(AX), Y13
	VPSLLD	$24, Y10, Y12
	VPSRAD	$24, Y12, Y12
	VCVTDQ2PS	Y12, Y12
	VFMADD231PS	Y13, Y12, Y0
	VPSLLD	$24, Y14, Y12
	VPSRAD	$24, Y12, Y12
	VCVTDQ2PS	Y12, Y12
	VFMADD231PS	Y13, Y12, Y4
	VBROADCASTSS	16(AX), Y13
	VPSLLD	$24, Y11, Y12
	VPSRAD	$24, Y12, Y12
	VCVTDQ2PS	Y12, Y12
	VFMADD231PS	Y13, Y12, Y0
	VPSLLD	$24, Y15, Y12
	VPSRAD	$24, Y12, Y12
	VCVTDQ2PS	Y12, Y12
	VFMADD231PS	Y13, Y12, Y4
	VBROADCASTSS	4(AX), Y13
	VPSLLD	$16, Y10, Y12
	VPSRAD	$24, Y12, Y12
	VCVTDQ2PS	Y12, Y12
	VFMADD231PS	Y13, Y12, Y1
	VPSLLD	$16, Y14, Y12
	VPSRAD	$24, Y12, Y12
	VCVTDQ2PS	Y12, Y12
	VFMADD231PS	Y13, Y12, Y5
	VBROADCASTSS	20(AX), Y13
	VPSLLD	$16, Y11, Y12
	VPSRAD	$24, Y12, Y12
	VCVTDQ2PS	Y12, Y12
	VFMADD231PS	Y13, Y12, Y1
	VPSLLD	$16, Y15, Y12
	VPSRAD	$24, Y12, Y12
	VCVTDQ2PS	Y12, Y12
	VFMADD231PS	Y13, Y12, Y5
	VBROADCASTSS	8(AX), Y13
	VPSLLD	$8, Y10, Y12
	VPSRAD	$24, Y12, Y12
	VCVTDQ2PS	Y12, Y12
	VFMADD231PS	Y13, Y12, Y2
	VPSLLD	$8, Y14, Y12
	VPSRAD	$24, Y12, Y12
	VCVTDQ2PS	Y12, Y12
	VFMADD231PS	Y13, Y12, Y6
	VBROADCASTSS	24(AX), Y13
	VPSLLD	$8, Y11, Y12
	VPSRAD	$24, Y12, Y12
	VCVTDQ2PS	Y12, Y12
	VFMADD231PS	Y13, Y12, Y2
	VPSLLD	$8, Y15, Y12
	VPSRAD	$24, Y12, Y12
	VCVTDQ2PS	Y12, Y12
	VFMADD231PS	Y13, Y12, Y6
	VBROADCASTSS	12(AX), Y13
	VPSRAD	$24, Y10, Y12
	VCVTDQ2PS	Y12, Y12
	VFMADD231PS	Y13, Y12, Y3
	VPSRAD	$24, Y14, Y12
	VCVTDQ2PS	Y12, Y12
	VFMADD231PS	Y13, Y12, Y7
	VBROADCASTSS	28(AX), Y13
	VPSRAD	$24, Y11, Y12
	VCVTDQ2PS	Y12, Y12
	VFMADD231PS	Y13, Y12, Y3
	VPSRAD	$24, Y15, Y12
	VCVTDQ2PS	Y12, Y12
	VFMADD231PS	Y13, Y12, Y7

	ADDQ	$32, AX
	ADDQ	$64, DX
	DECQ	R12
	JNZ	block

	// Group end: sum the 4 chains, scale by gs.
	VADDPS	Y1, Y0, Y0
	VADDPS	Y3, Y2, Y2
	VADDPS	Y2, Y0, Y0
	VADDPS	Y5, Y4, Y4
	VADDPS	Y7, Y6, Y6
	VADDPS	Y6, Y4, Y4
	VFMADD231PS	(R8), Y0, Y8
	VFMADD231PS	32(R8), Y4, Y9
	ADDQ	$64, R8
	DECQ	R11
	JNZ	group

	// Panel end: y = rs · sum.
	VMULPS	(R9), Y8, Y8
	VMULPS	32(R9), Y9, Y9
	VMOVUPS	Y8, (DI)
	VMOVUPS	Y9, 32(DI)
	ADDQ	$64, R9
	ADDQ	$64, DI
	DECQ	CX
	JNZ	panel
	VZEROUPPER
	RET
