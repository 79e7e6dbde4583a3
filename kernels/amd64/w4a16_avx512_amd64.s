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

// func GemvW4A16AVX512(x *float32, codes *byte, gs, rs *float32, kg, np int, y *float32)
//
// One float32 activation row (128·kg values, zero padded) times np packed
// W4 panels, laid out as for GemvW4A16AVX2:
//
//	y[n] = rs[n] · Σ_g gs[n][g] · Σ_{k∈g} x[k]·(q[n][k]−8)
//
// A 64-byte block holds 8 k × 16 rows; row r's codes of k = 8j+b and
// 8j+4+b are the low and high nibbles of byte 4r+b. VPERMPS looks up only
// the low 4 bits of each dword index, so the block loaded at offset b
// (only the bytes 4r+b, a masked load: nothing beyond the block is read)
// indexes the value table (c−8 for c = 0..15) with the codes of k = 8j+b,
// and the same shifted right by 4 with those of k = 8j+4+b: per k and 16
// rows one VPERMPS, one FMA with x[k] broadcast from memory, and half a
// VPSRLD. Every k goes to accumulator k mod 8 (8 independent FMA chains);
// a group's 8 partial sums are added pairwise and multiplied-added with gs.
// The panels are read in order, one sequential stream (interleaving
// several panels, which would allow one add chain per row in k order as
// in the pure-Go code, measured much slower on DRAM-resident weights).
//
// Registers:
//	SI  x     AX  x cursor    DX  codes   R8 gs   R9 rs   DI y
//	BX  kg    CX  panels left R11 groups left   R10 blocks left
//	K1  bytes 4r of a block   Z31 value table
//	Z0-Z3 block at offsets 0-3   Z4-Z7 values   Z16-Z23 partial sums
//	Z24 sum over groups
TEXT ·GemvW4A16AVX512(SB), NOSPLIT, $0-56
	MOVQ	x+0(FP), SI
	MOVQ	codes+8(FP), DX
	MOVQ	gs+16(FP), R8
	MOVQ	rs+24(FP), R9
	MOVQ	kg+32(FP), BX
	MOVQ	np+40(FP), CX
	MOVQ	y+48(FP), DI
	MOVQ	$0x1111111111111111, AX
	KMOVQ	AX, K1
	VMOVUPS	w4v16<>(SB), Z31

panel:
	VXORPS	Z24, Z24, Z24
	MOVQ	SI, AX
	MOVQ	BX, R11

group:
	VXORPS	Z16, Z16, Z16
	VXORPS	Z17, Z17, Z17
	VXORPS	Z18, Z18, Z18
	VXORPS	Z19, Z19, Z19
	VXORPS	Z20, Z20, Z20
	VXORPS	Z21, Z21, Z21
	VXORPS	Z22, Z22, Z22
	VXORPS	Z23, Z23, Z23
	MOVQ	$16, R10

	// One block (8 k × 16 rows) per iteration; software prefetch 8 KB
	// ahead, as in GemvW4A8AVX512.
block:
	PREFETCHT0	8192(DX)
	VMOVDQU32	(DX), Z0
	VMOVDQU8.Z	1(DX), K1, Z1
	VMOVDQU8.Z	2(DX), K1, Z2
	VMOVDQU8.Z	3(DX), K1, Z3
	VPERMPS	Z31, Z0, Z4
	VPERMPS	Z31, Z1, Z5
	VPERMPS	Z31, Z2, Z6
	VPERMPS	Z31, Z3, Z7
	VPSRLD	$4, Z0, Z0
	VPSRLD	$4, Z1, Z1
	VPSRLD	$4, Z2, Z2
	VPSRLD	$4, Z3, Z3
	VFMADD231PS.BCST	0(AX), Z4, Z16
	VFMADD231PS.BCST	4(AX), Z5, Z17
	VFMADD231PS.BCST	8(AX), Z6, Z18
	VFMADD231PS.BCST	12(AX), Z7, Z19
	VPERMPS	Z31, Z0, Z4
	VPERMPS	Z31, Z1, Z5
	VPERMPS	Z31, Z2, Z6
	VPERMPS	Z31, Z3, Z7
	VFMADD231PS.BCST	16(AX), Z4, Z20
	VFMADD231PS.BCST	20(AX), Z5, Z21
	VFMADD231PS.BCST	24(AX), Z6, Z22
	VFMADD231PS.BCST	28(AX), Z7, Z23
	ADDQ	$32, AX
	ADDQ	$64, DX
	DECQ	R10
	JNZ	block

	// Group end: add the 8 chains, sum += gs·(their sum).
	VADDPS	Z17, Z16, Z16
	VADDPS	Z19, Z18, Z18
	VADDPS	Z21, Z20, Z20
	VADDPS	Z23, Z22, Z22
	VADDPS	Z18, Z16, Z16
	VADDPS	Z22, Z20, Z20
	VADDPS	Z20, Z16, Z16
	VFMADD231PS	(R8), Z16, Z24
	ADDQ	$64, R8
	DECQ	R11
	JNZ	group

	// Panel end: y = rs · sum.
	VMULPS	(R9), Z24, Z24
	VMOVUPS	Z24, (DI)
	ADDQ	$64, R9
	ADDQ	$64, DI
	DECQ	CX
	JNZ	panel
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
