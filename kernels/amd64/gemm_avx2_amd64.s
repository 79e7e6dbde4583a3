//go:build !noasm

#include "textflag.h"
#include "gemm_epilogue_amd64.h"

W8A8_CONSTANTS

// func GemmW8A8x4AVX2(xp *int8, w *int8, kb, np int, y unsafe.Pointer, ldy int, kind int, scale *float32, scaleInc int, bias *float32)
//
// Micro-kernel of the W8A8 GEMM: 4 activation rows times np packed W8
// panels, a 4 × 16 tile of int32 sums held in registers over the whole K.
// xp holds the 4 rows prepared for VPMADDUBSW, interleaved per k-block:
// for k-block j and row t, the 8 bytes at xp[32j + 8t] are |x[t][4j..4j+3]|
// (as unsigned bytes, so |-128| = 128) followed by x[t][4j..4j+3] itself,
// the sign source for VPSIGNB. Products as in GemvW8A8AVX2: |x|·(w·sign x)
// pairs never saturate int16 (≤ 2·128·127), VPMADDWD with ones widens.
// y points to output (row 0, first column of the first panel); row t is at
// y + t·ldy bytes. Per panel the four 16-sum rows go through
// W8A8_EPILOGUE; y advances by one panel's output, scale by scaleInc bytes,
// bias (if not nil) by 64 bytes.
//
// Registers:
//	SI  xp       DX  weights (stream through the panels)
//	BX  kb       CX  panels left         DI  y of the current panel
//	AX  xp cursor, then output row pointer   R13 k-blocks left, then row offset
//	R8  scale    R9  bias or 0   R10 kind   R11 scaleInc   R12 output step
//	R14 ldy
//	Y0-Y7   accumulators: row t, panel rows 0-7 in Y(2t), 8-15 in Y(2t+1)
//	Y8, Y9  weights of the k-block (rows 0-7, 8-15 × 4 k)
//	Y10     |x[t]| broadcast      Y11 x[t] broadcast
//	Y12, Y13 signed weights, then products
//	Y15     int16 ones
// Frame: 256 bytes to hand the 8 accumulators to the epilogue loop.
TEXT ·GemmW8A8x4AVX2(SB), NOSPLIT, $256-80
	MOVQ	xp+0(FP), SI
	MOVQ	w+8(FP), DX
	MOVQ	kb+16(FP), BX
	MOVQ	np+24(FP), CX
	MOVQ	y+32(FP), DI
	MOVQ	ldy+40(FP), R14
	MOVQ	kind+48(FP), R10
	MOVQ	scale+56(FP), R8
	MOVQ	scaleInc+64(FP), R11
	MOVQ	bias+72(FP), R9
	W8A8_OUTSTEP
	VPCMPEQW	Y15, Y15, Y15
	VPSRLW	$15, Y15, Y15

panel:
	VPXOR	Y0, Y0, Y0
	VPXOR	Y1, Y1, Y1
	VPXOR	Y2, Y2, Y2
	VPXOR	Y3, Y3, Y3
	VPXOR	Y4, Y4, Y4
	VPXOR	Y5, Y5, Y5
	VPXOR	Y6, Y6, Y6
	VPXOR	Y7, Y7, Y7
	MOVQ	SI, AX
	MOVQ	BX, R13

	// One k-block (4 k) per iteration: 64 bytes of weights, 32 bytes of
	// prepared activations, 128 multiply-adds.
kloop:
	VMOVDQU	(DX), Y8
	VMOVDQU	32(DX), Y9
	VPBROADCASTD	0(AX), Y10
	VPBROADCASTD	4(AX), Y11
	VPSIGNB	Y11, Y8, Y12
	VPSIGNB	Y11, Y9, Y13
	VPMADDUBSW	Y12, Y10, Y12
	VPMADDUBSW	Y13, Y10, Y13
	VPMADDWD	Y15, Y12, Y12
	VPMADDWD	Y15, Y13, Y13
	VPADDD	Y12, Y0, Y0
	VPADDD	Y13, Y1, Y1

	VPBROADCASTD	8(AX), Y10
	VPBROADCASTD	12(AX), Y11
	VPSIGNB	Y11, Y8, Y12
	VPSIGNB	Y11, Y9, Y13
	VPMADDUBSW	Y12, Y10, Y12
	VPMADDUBSW	Y13, Y10, Y13
	VPMADDWD	Y15, Y12, Y12
	VPMADDWD	Y15, Y13, Y13
	VPADDD	Y12, Y2, Y2
	VPADDD	Y13, Y3, Y3

	VPBROADCASTD	16(AX), Y10
	VPBROADCASTD	20(AX), Y11
	VPSIGNB	Y11, Y8, Y12
	VPSIGNB	Y11, Y9, Y13
	VPMADDUBSW	Y12, Y10, Y12
	VPMADDUBSW	Y13, Y10, Y13
	VPMADDWD	Y15, Y12, Y12
	VPMADDWD	Y15, Y13, Y13
	VPADDD	Y12, Y4, Y4
	VPADDD	Y13, Y5, Y5

	VPBROADCASTD	24(AX), Y10
	VPBROADCASTD	28(AX), Y11
	VPSIGNB	Y11, Y8, Y12
	VPSIGNB	Y11, Y9, Y13
	VPMADDUBSW	Y12, Y10, Y12
	VPMADDUBSW	Y13, Y10, Y13
	VPMADDWD	Y15, Y12, Y12
	VPMADDWD	Y15, Y13, Y13
	VPADDD	Y12, Y6, Y6
	VPADDD	Y13, Y7, Y7

	ADDQ	$32, AX
	ADDQ	$64, DX
	DECQ	R13
	JNZ	kloop

	// Epilogue: the four output rows one after the other.
	VMOVDQU	Y0, (SP)
	VMOVDQU	Y1, 32(SP)
	VMOVDQU	Y2, 64(SP)
	VMOVDQU	Y3, 96(SP)
	VMOVDQU	Y4, 128(SP)
	VMOVDQU	Y5, 160(SP)
	VMOVDQU	Y6, 192(SP)
	VMOVDQU	Y7, 224(SP)
	MOVQ	DI, AX
	XORQ	R13, R13

row:
	VMOVDQU	(SP)(R13*1), Y0
	VMOVDQU	32(SP)(R13*1), Y1
	W8A8_EPILOGUE(Y0, Y1, AX)
	ADDQ	R14, AX
	ADDQ	$64, R13
	CMPQ	R13, $256
	JLT	row

	ADDQ	R12, DI
	ADDQ	R11, R8
	TESTQ	R9, R9
	JZ	nextpanel
	ADDQ	$64, R9

nextpanel:
	DECQ	CX
	JNZ	panel
	VZEROUPPER
	RET
