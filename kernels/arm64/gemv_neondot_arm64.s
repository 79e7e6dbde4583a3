//go:build !noasm

#include "textflag.h"
#include "gemm_epilogue_arm64.h"

#define EP_MODE R15
#define EP_SCALE R16
#define EP_SSTEP R17
#define EP_BIAS R19
#define EP_Y R7

// func GemvW8A8NEONDot(x, w unsafe.Pointer, kb, np int, y unsafe.Pointer, ystep, mode int, scale unsafe.Pointer, sstep int, bias unsafe.Pointer)
//
// One activation row x (kb·4 bytes readable) times np whole 16-row panels
// of W8 data at w (kb blocks of 64 bytes each). Register roles:
//
//	R10 x, R0 x cursor, R4 w cursor, R5/R6 block counters, R12 panels left,
//	R7 output of the current panel, R14 output bytes per panel
//	V0-V15 weights of four blocks, V24 16 activation bytes (lane j of it
//	holds the 4 bytes of block j), V16-V19 / V20-V23 int32 accumulators of
//	even / odd blocks (lane i of V16+q is row 4q+i: SDOT by element
//	multiplies each row's 4 weights by the same 4 activations).
TEXT ·GemvW8A8NEONDot(SB), NOSPLIT, $0-80
	MOVD	x+0(FP), R10
	MOVD	w+8(FP), R4
	MOVD	kb+16(FP), R11
	MOVD	np+24(FP), R12
	MOVD	y+32(FP), R7
	MOVD	ystep+40(FP), R14
	MOVD	mode+48(FP), EP_MODE
	MOVD	scale+56(FP), EP_SCALE
	MOVD	sstep+64(FP), EP_SSTEP
	MOVD	bias+72(FP), EP_BIAS

	// One panel per iteration: clear the accumulators, run over K, store.
panel:
	MOVD	R10, R0
	VEOR	V16.B16, V16.B16, V16.B16
	VEOR	V17.B16, V17.B16, V17.B16
	VEOR	V18.B16, V18.B16, V18.B16
	VEOR	V19.B16, V19.B16, V19.B16
	VEOR	V20.B16, V20.B16, V20.B16
	VEOR	V21.B16, V21.B16, V21.B16
	VEOR	V22.B16, V22.B16, V22.B16
	VEOR	V23.B16, V23.B16, V23.B16
	LSR	$2, R11, R5 // groups of 4 blocks (16 k)
	AND	$3, R11, R6 // remaining single blocks
	CBZ	R5, tail

	// 16 k per iteration: block j (64 bytes) meets activation lane j.
loop16:
	VLD1.P	16(R0), [V24.B16]
	VLD1.P	64(R4), [V0.B16, V1.B16, V2.B16, V3.B16]
	VLD1.P	64(R4), [V4.B16, V5.B16, V6.B16, V7.B16]
	VLD1.P	64(R4), [V8.B16, V9.B16, V10.B16, V11.B16]
	VLD1.P	64(R4), [V12.B16, V13.B16, V14.B16, V15.B16]
	WORD	$0x4F98E010 // sdot v16.4s, v0.16b, v24.4b[0]
	WORD	$0x4F98E031 // sdot v17.4s, v1.16b, v24.4b[0]
	WORD	$0x4F98E052 // sdot v18.4s, v2.16b, v24.4b[0]
	WORD	$0x4F98E073 // sdot v19.4s, v3.16b, v24.4b[0]
	WORD	$0x4FB8E094 // sdot v20.4s, v4.16b, v24.4b[1]
	WORD	$0x4FB8E0B5 // sdot v21.4s, v5.16b, v24.4b[1]
	WORD	$0x4FB8E0D6 // sdot v22.4s, v6.16b, v24.4b[1]
	WORD	$0x4FB8E0F7 // sdot v23.4s, v7.16b, v24.4b[1]
	WORD	$0x4F98E910 // sdot v16.4s, v8.16b, v24.4b[2]
	WORD	$0x4F98E931 // sdot v17.4s, v9.16b, v24.4b[2]
	WORD	$0x4F98E952 // sdot v18.4s, v10.16b, v24.4b[2]
	WORD	$0x4F98E973 // sdot v19.4s, v11.16b, v24.4b[2]
	WORD	$0x4FB8E994 // sdot v20.4s, v12.16b, v24.4b[3]
	WORD	$0x4FB8E9B5 // sdot v21.4s, v13.16b, v24.4b[3]
	WORD	$0x4FB8E9D6 // sdot v22.4s, v14.16b, v24.4b[3]
	WORD	$0x4FB8E9F7 // sdot v23.4s, v15.16b, v24.4b[3]
	SUBS	$1, R5
	BNE	loop16

tail:
	CBZ	R6, reduce

	// Remaining blocks one at a time, the 4 activation bytes in lane 0.
loop4:
	VLD1R.P	4(R0), [V24.S4]
	VLD1.P	64(R4), [V0.B16, V1.B16, V2.B16, V3.B16]
	WORD	$0x4F98E010 // sdot v16.4s, v0.16b, v24.4b[0]
	WORD	$0x4F98E031 // sdot v17.4s, v1.16b, v24.4b[0]
	WORD	$0x4F98E052 // sdot v18.4s, v2.16b, v24.4b[0]
	WORD	$0x4F98E073 // sdot v19.4s, v3.16b, v24.4b[0]
	SUBS	$1, R6
	BNE	loop4

	// Even + odd block sums, then the output stage.
reduce:
	VADD	V20.S4, V16.S4, V16.S4
	VADD	V21.S4, V17.S4, V17.S4
	VADD	V22.S4, V18.S4, V18.S4
	VADD	V23.S4, V19.S4, V19.S4
	W8_LOAD_EPILOGUE
	W8_STORE_TOKEN
	ADD	R14, R7
	SUBS	$1, R12
	BNE	panel
	RET
