//go:build !noasm

#include "textflag.h"
#include "gemm_epilogue_avx512_amd64.h"

W8A8_CONSTANTS512

// OFFSET_X4 broadcasts the four activation dwords at AX (k-blocks i..i+3),
// offset to unsigned (XOR 0x80 in Z31), into a, b, c, d.
#define OFFSET_X4(a, b, c, d) \
	VPBROADCASTD	(AX), a \
	VPBROADCASTD	4(AX), b \
	VPBROADCASTD	8(AX), c \
	VPBROADCASTD	12(AX), d \
	VPXORD	Z31, a, a \
	VPXORD	Z31, b, b \
	VPXORD	Z31, c, c \
	VPXORD	Z31, d, d

// func GemvW8A8AVX512(x *int8, k int, w *int8, np int, rowSum *int32, y unsafe.Pointer, kind int, scale *float32, scaleInc int, bias *float32, mask int)
//
// One int8 activation row x (k bytes, read exactly: the last k%4 with a
// masked load) times np packed W8 panels at w (ceil(k/4) 64-byte blocks per
// panel, panels back to back). Per panel the 16 int32 sums go through
// W8A8_EPILOGUE512 to y, which then advances by one panel's output; scale
// advances by scaleInc bytes, bias (if not nil) and rowSum by 64 bytes per
// panel. mask selects the output rows of every panel that are stored (and
// whose scales and biases are read): 0xffff, or the valid rows of a last,
// partial panel.
//
// Products: VPDPBUSD multiplies unsigned by signed bytes and adds groups of
// four into int32 without saturation. The activations are offset to
// unsigned, u = x XOR 0x80 = x + 128 ∈ [0, 255], and the weights are the
// signed operand as packed, so Σ u·w = Σ x·w + 128·rowSum(w): the
// accumulators start at -128·rowSum (the W8 row sums) and end exactly at
// Σ x·w (int32 arithmetic is modular, and the true sum fits). This beats
// the sign trick of the AVX2 kernels (|x|, sign moved onto w), which would
// need a VPSIGNB per weight vector and AVX-512 has none. Padding k and
// padding rows of the panels are zero weights, so whatever the offset
// activation is there adds nothing.
//
// Memory: panels are taken four at a time as four sequential streams read
// in step, then one at a time (a single stream, prefetched 8 KB ahead, see
// quad). On the Intel Xeon (AVX-512) of BENCHMARKS.md, mamba-130m W8A8
// decode on one thread ran 1.08-1.12x faster in four alternated rounds than
// with every panel a single prefetched stream. Every panel's sums are
// accumulated in the same order either way: a panel's outputs do not depend
// on the group it ran in. The sums of the panels of a group wait in the
// frame (sums) and go through the epilogue one panel at a time.
//
// Registers:
//	SI  x        DX  weights (stream through all panels)
//	BX  k/4      CX  panels left        DI  y
//	AX  x cursor R13 k-blocks left      R14 rowSum   R15 k%4
//	R8  scale    R9  bias or 0          R10 kind   R11 scaleInc  R12 output step
//	Z0-Z3   accumulators (k-blocks 4j, 4j+1, 4j+2, 4j+3)
//	Z4-Z7   offset activations broadcast
//	group of four: R10 bytes per panel, R11 third panel's cursor,
//	        Z0-Z15 accumulators (panel j in Z4j..Z4j+3), Z16-Z19 broadcasts
//	Z30     offset activations of the last, partial k-block broadcast
//	Z31     0x80 in every byte
//	K1      output rows mask; K2 bytes of the partial k-block
TEXT ·GemvW8A8AVX512(SB), NOSPLIT, $256-88
	MOVQ	x+0(FP), SI
	MOVQ	k+8(FP), BX
	MOVQ	w+16(FP), DX
	MOVQ	np+24(FP), CX
	MOVQ	rowSum+32(FP), R14
	MOVQ	y+40(FP), DI
	MOVQ	kind+48(FP), R10
	MOVQ	scale+56(FP), R8
	MOVQ	scaleInc+64(FP), R11
	MOVQ	bias+72(FP), R9
	MOVQ	mask+80(FP), AX
	KMOVW	AX, K1
	W8A8_OUTSTEP512
	MOVL	$0x80808080, AX
	VPBROADCASTD	AX, Z31
	MOVQ	BX, R15
	ANDQ	$3, R15
	SHRQ	$2, BX
	TESTQ	R15, R15
	JZ	panel
	// The last k%4 activations, zero-extended to a whole k-block.
	MOVQ	R15, AX
	MOVQ	CX, R13
	MOVQ	AX, CX
	MOVQ	$1, AX
	SHLQ	CX, AX
	DECQ	AX
	MOVQ	R13, CX
	KMOVQ	AX, K2
	VMOVDQU8.Z	(SI)(BX*4), K2, X30
	VPXORD	X31, X30, X30
	VPBROADCASTD	X30, Z30

panel:
	CMPQ	CX, $4
	JGE	group4
	VPSLLD	$7, (R14), Z4
	VPXORD	Z1, Z1, Z1
	VPSUBD	Z4, Z1, Z0
	VPXORD	Z2, Z2, Z2
	VPXORD	Z3, Z3, Z3
	MOVQ	SI, AX
	MOVQ	BX, R13
	CMPQ	R13, $4
	JLT	tail

	// Four k-blocks (256 bytes of weights) per iteration into four
	// independent accumulators; the weights are one sequential stream,
	// prefetched 8 KB ahead (across panels and calls' ends alike). On the
	// mamba-130m decode GEMVs, alternating with a plain read, 8 KB gave
	// 0.89-0.97 of the read bandwidth against 0.82-0.89 at 2 KB (the AVX2
	// kernel's distance) and 0.80-0.89 without prefetch; 12 and 16 KB and
	// PREFETCHT1 were within the noise of 8 KB, and prefetching a call's
	// first 8 KB on entry did not help.
quad:
	PREFETCHT0	8192(DX)
	PREFETCHT0	8256(DX)
	PREFETCHT0	8320(DX)
	PREFETCHT0	8384(DX)
	OFFSET_X4(Z4, Z5, Z6, Z7)
	VPDPBUSD	(DX), Z4, Z0
	VPDPBUSD	64(DX), Z5, Z1
	VPDPBUSD	128(DX), Z6, Z2
	VPDPBUSD	192(DX), Z7, Z3
	ADDQ	$16, AX
	ADDQ	$256, DX
	SUBQ	$4, R13
	CMPQ	R13, $4
	JGE	quad

	// Remaining 0-3 whole k-blocks, one at a time.
tail:
	TESTQ	R13, R13
	JZ	partial
	VPBROADCASTD	(AX), Z4
	VPXORD	Z31, Z4, Z4
	VPDPBUSD	(DX), Z4, Z1
	ADDQ	$4, AX
	ADDQ	$64, DX
	DECQ	R13
	JMP	tail

partial:
	TESTQ	R15, R15
	JZ	reduce
	VPDPBUSD	(DX), Z30, Z2
	ADDQ	$64, DX

reduce:
	VPADDD	Z1, Z0, Z0
	VPADDD	Z3, Z2, Z2
	VPADDD	Z2, Z0, Z0
	VMOVDQU32	Z0, sums-256(SP)
	ADDQ	$64, R14
	MOVQ	$1, R13
	DECQ	CX
	JMP	epilogue

	// Four panels in step: four sequential streams, panel j at DX + j·R10
	// (R11 = DX + 2·R10), its k-blocks 4i..4i+3 in Z(4j)..Z(4j+3).
group4:
	MOVQ	BX, R10
	SHLQ	$6, R10
	TESTQ	R15, R15
	JZ	g4init
	ADDQ	$64, R10
g4init:
	LEAQ	(DX)(R10*2), R11
	VPXORD	Z1, Z1, Z1
	VPSLLD	$7, (R14), Z16
	VPSUBD	Z16, Z1, Z0
	VPSLLD	$7, 64(R14), Z16
	VPSUBD	Z16, Z1, Z4
	VPSLLD	$7, 128(R14), Z16
	VPSUBD	Z16, Z1, Z8
	VPSLLD	$7, 192(R14), Z16
	VPSUBD	Z16, Z1, Z12
	VPXORD	Z2, Z2, Z2
	VPXORD	Z3, Z3, Z3
	VPXORD	Z5, Z5, Z5
	VPXORD	Z6, Z6, Z6
	VPXORD	Z7, Z7, Z7
	VPXORD	Z9, Z9, Z9
	VPXORD	Z10, Z10, Z10
	VPXORD	Z11, Z11, Z11
	VPXORD	Z13, Z13, Z13
	VPXORD	Z14, Z14, Z14
	VPXORD	Z15, Z15, Z15
	MOVQ	SI, AX
	MOVQ	BX, R13
	CMPQ	R13, $4
	JLT	g4tail

g4quad:
	OFFSET_X4(Z16, Z17, Z18, Z19)
	VPDPBUSD	(DX), Z16, Z0
	VPDPBUSD	64(DX), Z17, Z1
	VPDPBUSD	128(DX), Z18, Z2
	VPDPBUSD	192(DX), Z19, Z3
	VPDPBUSD	(DX)(R10*1), Z16, Z4
	VPDPBUSD	64(DX)(R10*1), Z17, Z5
	VPDPBUSD	128(DX)(R10*1), Z18, Z6
	VPDPBUSD	192(DX)(R10*1), Z19, Z7
	VPDPBUSD	(R11), Z16, Z8
	VPDPBUSD	64(R11), Z17, Z9
	VPDPBUSD	128(R11), Z18, Z10
	VPDPBUSD	192(R11), Z19, Z11
	VPDPBUSD	(R11)(R10*1), Z16, Z12
	VPDPBUSD	64(R11)(R10*1), Z17, Z13
	VPDPBUSD	128(R11)(R10*1), Z18, Z14
	VPDPBUSD	192(R11)(R10*1), Z19, Z15
	ADDQ	$16, AX
	ADDQ	$256, DX
	ADDQ	$256, R11
	SUBQ	$4, R13
	CMPQ	R13, $4
	JGE	g4quad

g4tail:
	TESTQ	R13, R13
	JZ	g4partial
	VPBROADCASTD	(AX), Z16
	VPXORD	Z31, Z16, Z16
	VPDPBUSD	(DX), Z16, Z1
	VPDPBUSD	(DX)(R10*1), Z16, Z5
	VPDPBUSD	(R11), Z16, Z9
	VPDPBUSD	(R11)(R10*1), Z16, Z13
	ADDQ	$4, AX
	ADDQ	$64, DX
	ADDQ	$64, R11
	DECQ	R13
	JMP	g4tail

g4partial:
	TESTQ	R15, R15
	JZ	g4reduce
	VPDPBUSD	(DX), Z30, Z2
	VPDPBUSD	(DX)(R10*1), Z30, Z6
	VPDPBUSD	(R11), Z30, Z10
	VPDPBUSD	(R11)(R10*1), Z30, Z14
	ADDQ	$64, DX

g4reduce:
	// DX is at the end of the first panel: step over the other three.
	LEAQ	(DX)(R10*2), DX
	ADDQ	R10, DX
	VPADDD	Z1, Z0, Z0
	VPADDD	Z3, Z2, Z2
	VPADDD	Z2, Z0, Z0
	VPADDD	Z5, Z4, Z4
	VPADDD	Z7, Z6, Z6
	VPADDD	Z6, Z4, Z4
	VPADDD	Z9, Z8, Z8
	VPADDD	Z11, Z10, Z10
	VPADDD	Z10, Z8, Z8
	VPADDD	Z13, Z12, Z12
	VPADDD	Z15, Z14, Z14
	VPADDD	Z14, Z12, Z12
	VMOVDQU32	Z0, sums-256(SP)
	VMOVDQU32	Z4, sums-192(SP)
	VMOVDQU32	Z8, sums-128(SP)
	VMOVDQU32	Z12, sums-64(SP)
	ADDQ	$256, R14
	MOVQ	$4, R13
	SUBQ	$4, CX

	// The R13 panels' sums, in order, through the one epilogue.
epilogue:
	MOVQ	kind+48(FP), R10
	MOVQ	scaleInc+64(FP), R11
	LEAQ	sums-256(SP), AX

epiloop:
	VMOVDQU32	(AX), Z0
	W8A8_EPILOGUE512(Z0, DI, R8, R9, Z1, Y1)
	ADDQ	R12, DI
	ADDQ	R11, R8
	TESTQ	R9, R9
	JZ	epinext
	ADDQ	$64, R9

epinext:
	ADDQ	$64, AX
	DECQ	R13
	JNZ	epiloop
	TESTQ	CX, CX
	JNZ	panel
	VZEROUPPER
	RET
