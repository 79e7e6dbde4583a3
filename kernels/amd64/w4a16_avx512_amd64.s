//go:build !noasm

#include "textflag.h"

// w4v16<>: the 16 values c−8 of the codes c = 0..15, as float32.
DATA	w4v16<>+0(SB)/4, $0xc1000000
DATA	w4v16<>+4(SB)/4, $0xc0e00000
DATA	w4v16<>+8(SB)/4, $0xc0c00000
DATA	w4v16<>+12(SB)/4, $0xc0a00000
DATA	w4v16<>+16(SB)/4, $0xc0800000
DATA	w4v16<>+20(SB)/4, $0xc0400000
DATA	w4v16<>+24(SB)/4, $0xc0000000
DATA	w4v16<>+28(SB)/4, $0xbf800000
DATA	w4v16<>+32(SB)/4, $0x00000000
DATA	w4v16<>+36(SB)/4, $0x3f800000
DATA	w4v16<>+40(SB)/4, $0x40000000
DATA	w4v16<>+44(SB)/4, $0x40400000
DATA	w4v16<>+48(SB)/4, $0x40800000
DATA	w4v16<>+52(SB)/4, $0x40a00000
DATA	w4v16<>+56(SB)/4, $0x40c00000
DATA	w4v16<>+60(SB)/4, $0x40e00000
GLOBL	w4v16<>(SB), RODATA|NOPTR, $64

// func W4A16TableAVX512(x *float32, k int, tab *float32)
//
// Products table of one activation row: tab[16i + c] = x[i]·(c−8) (one
// float32 multiply, rounded as in w4a16Generic) for i < k, c = 0..15.
TEXT ·W4A16TableAVX512(SB), NOSPLIT, $0-24
	MOVQ	x+0(FP), SI
	MOVQ	k+8(FP), CX
	MOVQ	tab+16(FP), DI
	VMOVUPS	w4v16<>(SB), Z31
	CMPQ	CX, $4
	JLT	one
four:
	VMULPS.BCST	0(SI), Z31, Z0
	VMULPS.BCST	4(SI), Z31, Z1
	VMULPS.BCST	8(SI), Z31, Z2
	VMULPS.BCST	12(SI), Z31, Z3
	VMOVUPS	Z0, 0(DI)
	VMOVUPS	Z1, 64(DI)
	VMOVUPS	Z2, 128(DI)
	VMOVUPS	Z3, 192(DI)
	ADDQ	$16, SI
	ADDQ	$256, DI
	SUBQ	$4, CX
	CMPQ	CX, $4
	JGE	four
one:
	TESTQ	CX, CX
	JZ	done
	VMULPS.BCST	0(SI), Z31, Z0
	VMOVUPS	Z0, 0(DI)
	ADDQ	$4, SI
	ADDQ	$64, DI
	DECQ	CX
	JMP	one
done:
	VZEROUPPER
	RET

// func GemvW4A16AVX512(tab *float32, codes *byte, gs, rs *float32, kg, np int, y *float32)
//
// One float32 activation row, given as its products table (W4A16TableAVX512
// over 128·kg k, zeros beyond K), times np packed W4 panels:
//
//	y[n] = rs[n] · Σ_g gs[n][g] · Σ_{k∈g} x[k]·(q[n][k]−8)
//
// with the float operations of w4a16Generic: the products come rounded
// from the table, and each row's sum runs in k order with one add per k,
// then sum = sum + float32(gs·acc) in group order and y = rs·sum, so the
// result is bit-identical to the pure-Go code.
//
// A 64-byte block holds 8 k × 16 rows; row r's codes of k = 8j+b and
// 8j+4+b are the low and high nibbles of byte 4r+b. VPERMPS looks up only
// the low 4 bits of each dword index, so the block loaded at offset b
// (only the bytes 4r+b, a masked load: nothing beyond the block is read)
// indexes the table row of k = 8j+b directly, and the same shifted right
// by 4 that of k = 8j+4+b: per k and 16 rows one VPERMPS and one VADDPS,
// and half a VPSRLD. One chain of adds per panel is latency-bound, so 4
// panels run interleaved (their codes are one panel stride apart) and share
// each table row; the last np mod 4 panels run one at a time.
//
// Registers:
//	SI  tab   AX tab cursor   DX codes (first panel of the quad)
//	R12 panel code stride (1024·kg bytes)   R13 3·R12
//	R8  gs (first panel)   R14 panel gs stride (64·kg bytes)
//	R9  rs    DI y    BX kg    CX panels left   R11 groups left
//	R10 blocks left in the group, then scratch
//	K1  bytes 4r of a block
//	Z(4p+b) panel p's block at offset b   Z16-Z19 group sums of panels 0-3
//	Z20-Z23 sums over groups   Z24-Z27 4 table rows   Z28-Z31 products
TEXT ·GemvW4A16AVX512(SB), NOSPLIT, $0-56
	MOVQ	tab+0(FP), SI
	MOVQ	codes+8(FP), DX
	MOVQ	gs+16(FP), R8
	MOVQ	rs+24(FP), R9
	MOVQ	kg+32(FP), BX
	MOVQ	np+40(FP), CX
	MOVQ	y+48(FP), DI
	MOVQ	BX, R12
	SHLQ	$10, R12
	LEAQ	(R12)(R12*2), R13
	MOVQ	BX, R14
	SHLQ	$6, R14
	MOVQ	$0x1111111111111111, AX
	KMOVQ	AX, K1
	CMPQ	CX, $4
	JLT	single

// QLOAD: panel p's block (at base(index*scale)) at offsets 0-3.
#define QLOAD(addr1, addr2, addr3, addr0, z0, z1, z2, z3) \
	VMOVDQU32	addr0, z0; \
	VMOVDQU8.Z	addr1, K1, z1; \
	VMOVDQU8.Z	addr2, K1, z2; \
	VMOVDQU8.Z	addr3, K1, z3

// QK: one k of the 4 panels: table row t, indices a-d of panels 0-3.
#define QK(t, a, b, c, d) \
	VPERMPS	t, a, Z28; \
	VPERMPS	t, b, Z29; \
	VPERMPS	t, c, Z30; \
	VPERMPS	t, d, Z31; \
	VADDPS	Z28, Z16, Z16; \
	VADDPS	Z29, Z17, Z17; \
	VADDPS	Z30, Z18, Z18; \
	VADDPS	Z31, Z19, Z19

// QKH: QK for a high nibble: the indices are shifted right by 4 first.
#define QKH(t, a, b, c, d) \
	VPSRLD	$4, a, a; \
	VPSRLD	$4, b, b; \
	VPSRLD	$4, c, c; \
	VPSRLD	$4, d, d; \
	QK(t, a, b, c, d)

quad:
	VXORPS	Z20, Z20, Z20
	VXORPS	Z21, Z21, Z21
	VXORPS	Z22, Z22, Z22
	VXORPS	Z23, Z23, Z23
	MOVQ	SI, AX
	MOVQ	BX, R11

qgroup:
	VXORPS	Z16, Z16, Z16
	VXORPS	Z17, Z17, Z17
	VXORPS	Z18, Z18, Z18
	VXORPS	Z19, Z19, Z19
	MOVQ	$16, R10

qblock:
	PREFETCHT0	2048(DX)
	PREFETCHT0	2048(DX)(R12*1)
	PREFETCHT0	2048(DX)(R12*2)
	PREFETCHT0	2048(DX)(R13*1)
	QLOAD(1(DX), 2(DX), 3(DX), (DX), Z0, Z1, Z2, Z3)
	QLOAD(1(DX)(R12*1), 2(DX)(R12*1), 3(DX)(R12*1), (DX)(R12*1), Z4, Z5, Z6, Z7)
	QLOAD(1(DX)(R12*2), 2(DX)(R12*2), 3(DX)(R12*2), (DX)(R12*2), Z8, Z9, Z10, Z11)
	QLOAD(1(DX)(R13*1), 2(DX)(R13*1), 3(DX)(R13*1), (DX)(R13*1), Z12, Z13, Z14, Z15)
	VMOVUPS	0(AX), Z24
	VMOVUPS	64(AX), Z25
	VMOVUPS	128(AX), Z26
	VMOVUPS	192(AX), Z27
	QK(Z24, Z0, Z4, Z8, Z12)
	QK(Z25, Z1, Z5, Z9, Z13)
	QK(Z26, Z2, Z6, Z10, Z14)
	QK(Z27, Z3, Z7, Z11, Z15)
	VMOVUPS	256(AX), Z24
	VMOVUPS	320(AX), Z25
	VMOVUPS	384(AX), Z26
	VMOVUPS	448(AX), Z27
	QKH(Z24, Z0, Z4, Z8, Z12)
	QKH(Z25, Z1, Z5, Z9, Z13)
	QKH(Z26, Z2, Z6, Z10, Z14)
	QKH(Z27, Z3, Z7, Z11, Z15)
	ADDQ	$512, AX
	ADDQ	$64, DX
	DECQ	R10
	JNZ	qblock

	// Group end: sum = sum + float32(gs·acc) for each panel.
	LEAQ	(R8)(R14*2), R10
	VMULPS	(R8), Z16, Z16
	VMULPS	(R8)(R14*1), Z17, Z17
	VMULPS	(R10), Z18, Z18
	VMULPS	(R10)(R14*1), Z19, Z19
	VADDPS	Z16, Z20, Z20
	VADDPS	Z17, Z21, Z21
	VADDPS	Z18, Z22, Z22
	VADDPS	Z19, Z23, Z23
	ADDQ	$64, R8
	DECQ	R11
	JNZ	qgroup

	// Quad end: y = rs·sum; DX and R8 have moved one panel, skip 3 more.
	VMULPS	0(R9), Z20, Z20
	VMULPS	64(R9), Z21, Z21
	VMULPS	128(R9), Z22, Z22
	VMULPS	192(R9), Z23, Z23
	VMOVUPS	Z20, 0(DI)
	VMOVUPS	Z21, 64(DI)
	VMOVUPS	Z22, 128(DI)
	VMOVUPS	Z23, 192(DI)
	ADDQ	R13, DX
	LEAQ	(R8)(R14*2), R8
	ADDQ	R14, R8
	ADDQ	$256, R9
	ADDQ	$256, DI
	SUBQ	$4, CX
	CMPQ	CX, $4
	JGE	quad

single:
	TESTQ	CX, CX
	JZ	done
	VXORPS	Z20, Z20, Z20
	MOVQ	SI, AX
	MOVQ	BX, R11

sgroup:
	VXORPS	Z16, Z16, Z16
	MOVQ	$16, R10

sblock:
	PREFETCHT0	2048(DX)
	QLOAD(1(DX), 2(DX), 3(DX), (DX), Z0, Z1, Z2, Z3)
	VPERMPS	0(AX), Z0, Z28
	VADDPS	Z28, Z16, Z16
	VPERMPS	64(AX), Z1, Z29
	VADDPS	Z29, Z16, Z16
	VPERMPS	128(AX), Z2, Z30
	VADDPS	Z30, Z16, Z16
	VPERMPS	192(AX), Z3, Z31
	VADDPS	Z31, Z16, Z16
	VPSRLD	$4, Z0, Z0
	VPSRLD	$4, Z1, Z1
	VPSRLD	$4, Z2, Z2
	VPSRLD	$4, Z3, Z3
	VPERMPS	256(AX), Z0, Z28
	VADDPS	Z28, Z16, Z16
	VPERMPS	320(AX), Z1, Z29
	VADDPS	Z29, Z16, Z16
	VPERMPS	384(AX), Z2, Z30
	VADDPS	Z30, Z16, Z16
	VPERMPS	448(AX), Z3, Z31
	VADDPS	Z31, Z16, Z16
	ADDQ	$512, AX
	ADDQ	$64, DX
	DECQ	R10
	JNZ	sblock

	VMULPS	(R8), Z16, Z16
	VADDPS	Z16, Z20, Z20
	ADDQ	$64, R8
	DECQ	R11
	JNZ	sgroup

	VMULPS	(R9), Z20, Z20
	VMOVUPS	Z20, (DI)
	ADDQ	$64, R9
	ADDQ	$64, DI
	DECQ	CX
	JMP	single

done:
	VZEROUPPER
	RET

// func ExpandW4AVX512(codes *byte, nblk int, wf *float32)
//
// Expands nblk 64-byte blocks of one packed W4 panel to the float values
// q−8, k-major: wf[16k + r] for panel row r, k < 8·nblk (one VPERMPS of
// the value table per k and 16 rows).
TEXT ·ExpandW4AVX512(SB), NOSPLIT, $0-24
	MOVQ	codes+0(FP), SI
	MOVQ	nblk+8(FP), CX
	MOVQ	wf+16(FP), DI
	VMOVUPS	w4v16<>(SB), Z31
eblock:
	VMOVDQU32	(SI), Z0
	VPERMPS	Z31, Z0, Z1
	VPSRLD	$8, Z0, Z2
	VPSRLD	$16, Z0, Z3
	VPSRLD	$24, Z0, Z4
	VPSRLD	$4, Z0, Z5
	VPSRLD	$12, Z0, Z6
	VPSRLD	$20, Z0, Z7
	VPSRLD	$28, Z0, Z8
	VPERMPS	Z31, Z2, Z2
	VPERMPS	Z31, Z3, Z3
	VPERMPS	Z31, Z4, Z4
	VPERMPS	Z31, Z5, Z5
	VPERMPS	Z31, Z6, Z6
	VPERMPS	Z31, Z7, Z7
	VPERMPS	Z31, Z8, Z8
	VMOVUPS	Z1, 0(DI)
	VMOVUPS	Z2, 64(DI)
	VMOVUPS	Z3, 128(DI)
	VMOVUPS	Z4, 192(DI)
	VMOVUPS	Z5, 256(DI)
	VMOVUPS	Z6, 320(DI)
	VMOVUPS	Z7, 384(DI)
	VMOVUPS	Z8, 448(DI)
	ADDQ	$64, SI
	ADDQ	$512, DI
	DECQ	CX
	JNZ	eblock
	VZEROUPPER
	RET
