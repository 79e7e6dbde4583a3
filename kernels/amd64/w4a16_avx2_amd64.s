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

// w4top<b>: VPSHUFB controls moving byte b of every dword to its top byte
// and zeroing the other three. w4inv24 is 2^-24.
DATA	w4top0<>+0(SB)/8, $0x0480808000808080
DATA	w4top0<>+8(SB)/8, $0x0c80808008808080
DATA	w4top0<>+16(SB)/8, $0x0480808000808080
DATA	w4top0<>+24(SB)/8, $0x0c80808008808080
GLOBL	w4top0<>(SB), RODATA|NOPTR, $32
DATA	w4top1<>+0(SB)/8, $0x0580808001808080
DATA	w4top1<>+8(SB)/8, $0x0d80808009808080
DATA	w4top1<>+16(SB)/8, $0x0580808001808080
DATA	w4top1<>+24(SB)/8, $0x0d80808009808080
GLOBL	w4top1<>(SB), RODATA|NOPTR, $32
DATA	w4top2<>+0(SB)/8, $0x0680808002808080
DATA	w4top2<>+8(SB)/8, $0x0e8080800a808080
DATA	w4top2<>+16(SB)/8, $0x0680808002808080
DATA	w4top2<>+24(SB)/8, $0x0e8080800a808080
GLOBL	w4top2<>(SB), RODATA|NOPTR, $32
DATA	w4top3<>+0(SB)/8, $0x0780808003808080
DATA	w4top3<>+8(SB)/8, $0x0f8080800b808080
DATA	w4top3<>+16(SB)/8, $0x0780808003808080
DATA	w4top3<>+24(SB)/8, $0x0f8080800b808080
GLOBL	w4top3<>(SB), RODATA|NOPTR, $32
DATA	w4inv24<>+0(SB)/4, $0x33800000
GLOBL	w4inv24<>(SB), RODATA|NOPTR, $4

// func GemvW4A16AVX2(x *float32, codes *byte, gs, rs *float32, kg, np int, y *float32)
//
// One float32 activation row times np packed W4 panels:
//
//	y[n] = rs[n] · Σ_g gs[n][g] · Σ_{k∈g} x[k]·(q[n][k]−8)
//
// x holds 128·kg float32 (zero padded); the other arguments are laid out as
// for GemvW4A8AVX2. Each 32-byte half block (8 rows) is split into its low
// and high nibbles, 8 is subtracted from every byte (values −8..7), and for
// each of the 4 byte positions b one VPSHUFB moves byte b of every row's
// dword to the top byte and clears the rest: VCVTDQ2PS then gives
// (q−8)·2^24 exactly, which is multiplied-added with x[k] broadcast. The
// factor 2^24 is taken out again, exactly, by scaling gs with 2^-24, so the
// result is that of the unscaled sums (no overflow while |x| < 2^90). Every
// k goes to accumulator b = k mod 4, so that 4 independent FMA chains per
// half hide the FMA latency; a group's 4 partial sums are added and scaled
// by gs·2^-24 with one more FMA.
//
// Registers:
//	AX  x cursor   SI  x     DX  codes   R8 gs   R9 rs   DI y
//	BX  kg         CX  panels left       R11 groups left  R12 blocks left
//	Y0-Y3   rows 0-7, k mod 4 = 0..3     Y4-Y7 rows 8-15, same
//	Y8, Y9  float sums over groups, rows 0-7 / 8-15
//	Y10, Y11 low / high nibbles − 8 of rows 0-7; Y14, Y15 of rows 8-15
//	Y12 one k's values as float      Y13 x[k] broadcast, then 2^-24
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
	PREFETCHT0	2048(DX)
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
	VPSHUFB	w4top0<>(SB), Y10, Y12
	VCVTDQ2PS	Y12, Y12
	VFMADD231PS	Y13, Y12, Y0
	VPSHUFB	w4top0<>(SB), Y14, Y12
	VCVTDQ2PS	Y12, Y12
	VFMADD231PS	Y13, Y12, Y4
	VBROADCASTSS	16(AX), Y13
	VPSHUFB	w4top0<>(SB), Y11, Y12
	VCVTDQ2PS	Y12, Y12
	VFMADD231PS	Y13, Y12, Y0
	VPSHUFB	w4top0<>(SB), Y15, Y12
	VCVTDQ2PS	Y12, Y12
	VFMADD231PS	Y13, Y12, Y4
	VBROADCASTSS	4(AX), Y13
	VPSHUFB	w4top1<>(SB), Y10, Y12
	VCVTDQ2PS	Y12, Y12
	VFMADD231PS	Y13, Y12, Y1
	VPSHUFB	w4top1<>(SB), Y14, Y12
	VCVTDQ2PS	Y12, Y12
	VFMADD231PS	Y13, Y12, Y5
	VBROADCASTSS	20(AX), Y13
	VPSHUFB	w4top1<>(SB), Y11, Y12
	VCVTDQ2PS	Y12, Y12
	VFMADD231PS	Y13, Y12, Y1
	VPSHUFB	w4top1<>(SB), Y15, Y12
	VCVTDQ2PS	Y12, Y12
	VFMADD231PS	Y13, Y12, Y5
	VBROADCASTSS	8(AX), Y13
	VPSHUFB	w4top2<>(SB), Y10, Y12
	VCVTDQ2PS	Y12, Y12
	VFMADD231PS	Y13, Y12, Y2
	VPSHUFB	w4top2<>(SB), Y14, Y12
	VCVTDQ2PS	Y12, Y12
	VFMADD231PS	Y13, Y12, Y6
	VBROADCASTSS	24(AX), Y13
	VPSHUFB	w4top2<>(SB), Y11, Y12
	VCVTDQ2PS	Y12, Y12
	VFMADD231PS	Y13, Y12, Y2
	VPSHUFB	w4top2<>(SB), Y15, Y12
	VCVTDQ2PS	Y12, Y12
	VFMADD231PS	Y13, Y12, Y6
	VBROADCASTSS	12(AX), Y13
	VPSHUFB	w4top3<>(SB), Y10, Y12
	VCVTDQ2PS	Y12, Y12
	VFMADD231PS	Y13, Y12, Y3
	VPSHUFB	w4top3<>(SB), Y14, Y12
	VCVTDQ2PS	Y12, Y12
	VFMADD231PS	Y13, Y12, Y7
	VBROADCASTSS	28(AX), Y13
	VPSHUFB	w4top3<>(SB), Y11, Y12
	VCVTDQ2PS	Y12, Y12
	VFMADD231PS	Y13, Y12, Y3
	VPSHUFB	w4top3<>(SB), Y15, Y12
	VCVTDQ2PS	Y12, Y12
	VFMADD231PS	Y13, Y12, Y7

	ADDQ	$32, AX
	ADDQ	$64, DX
	DECQ	R12
	JNZ	block

	// Group end: sum the 4 chains, scale by gs·2^-24.
	VBROADCASTSS	w4inv24<>(SB), Y13
	VADDPS	Y1, Y0, Y0
	VADDPS	Y3, Y2, Y2
	VADDPS	Y2, Y0, Y0
	VADDPS	Y5, Y4, Y4
	VADDPS	Y7, Y6, Y6
	VADDPS	Y6, Y4, Y4
	VMULPS	(R8), Y13, Y12
	VFMADD231PS	Y12, Y0, Y8
	VMULPS	32(R8), Y13, Y12
	VFMADD231PS	Y12, Y4, Y9
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
