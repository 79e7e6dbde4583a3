//go:build !noasm

#include "textflag.h"
#include "gemm_epilogue_arm64.h"

#define EP_MODE R15
#define EP_SCALE R16
#define EP_SSTEP R17
#define EP_BIAS R19
#define EP_Y R7

// func GemmW8A8NEONDot(x unsafe.Pointer, ldx, mr int, w unsafe.Pointer, kb, np int, y unsafe.Pointer, ldy, ystep, mode int, scale unsafe.Pointer, sstep int, bias unsafe.Pointer)
//
// mr (1 to 4) activation rows at x (stride ldx bytes, kb·4 bytes readable
// per row) times np whole 16-row panels of W8 data at w: a register block of
// 4 tokens × 16 rows. Rows past mr repeat the last real row and are not
// stored. Register roles:
//
//	R20-R23 row starts of tokens 0-3, R0-R3 their cursors, R4 w cursor,
//	R5/R6 block counters, R12 panels left, R13 output of the current panel
//	(token 0), R7 output of the current token, R8 tokens left to store,
//	R9 ldy, R14 output bytes per panel
//	V0-V7 weights of two blocks, V8-V11 16 activation bytes of tokens 0-3
//	(lane j: the 4 bytes of block j), V16+4t+q int32 accumulators of token
//	t, rows 4q..4q+3.
TEXT ·GemmW8A8NEONDot(SB), NOSPLIT, $0-104
	MOVD	x+0(FP), R20
	MOVD	ldx+8(FP), R9
	MOVD	mr+16(FP), R8
	MOVD	w+24(FP), R4
	MOVD	kb+32(FP), R11
	MOVD	np+40(FP), R12
	MOVD	y+48(FP), R13
	MOVD	ystep+64(FP), R14
	MOVD	mode+72(FP), EP_MODE
	MOVD	scale+80(FP), EP_SCALE
	MOVD	sstep+88(FP), EP_SSTEP
	MOVD	bias+96(FP), EP_BIAS

	// Row starts; rows past mr repeat the previous row.
	ADD	R9, R20, R21
	CMP	$1, R8
	CSEL	GT, R21, R20, R21
	ADD	R9, R21, R22
	CMP	$2, R8
	CSEL	GT, R22, R21, R22
	ADD	R9, R22, R23
	CMP	$3, R8
	CSEL	GT, R23, R22, R23
	MOVD	ldy+56(FP), R9

	// One panel per iteration: clear the accumulators, run over K, store.
panel:
	MOVD	R20, R0
	MOVD	R21, R1
	MOVD	R22, R2
	MOVD	R23, R3
	VEOR	V16.B16, V16.B16, V16.B16
	VEOR	V17.B16, V17.B16, V17.B16
	VEOR	V18.B16, V18.B16, V18.B16
	VEOR	V19.B16, V19.B16, V19.B16
	VEOR	V20.B16, V20.B16, V20.B16
	VEOR	V21.B16, V21.B16, V21.B16
	VEOR	V22.B16, V22.B16, V22.B16
	VEOR	V23.B16, V23.B16, V23.B16
	VEOR	V24.B16, V24.B16, V24.B16
	VEOR	V25.B16, V25.B16, V25.B16
	VEOR	V26.B16, V26.B16, V26.B16
	VEOR	V27.B16, V27.B16, V27.B16
	VEOR	V28.B16, V28.B16, V28.B16
	VEOR	V29.B16, V29.B16, V29.B16
	VEOR	V30.B16, V30.B16, V30.B16
	VEOR	V31.B16, V31.B16, V31.B16
	LSR	$2, R11, R5 // groups of 4 blocks (16 k)
	AND	$3, R11, R6 // remaining single blocks
	CBZ	R5, tail

	// 16 k per iteration: block j meets lane j of every token's register.
loop16:
	VLD1.P	16(R0), [V8.B16]
	VLD1.P	16(R1), [V9.B16]
	VLD1.P	16(R2), [V10.B16]
	VLD1.P	16(R3), [V11.B16]
	VLD1.P	64(R4), [V0.B16, V1.B16, V2.B16, V3.B16]
	WORD	$0x4F88E010 // sdot v16.4s, v0.16b, v8.4b[0]
	WORD	$0x4F88E031 // sdot v17.4s, v1.16b, v8.4b[0]
	WORD	$0x4F88E052 // sdot v18.4s, v2.16b, v8.4b[0]
	WORD	$0x4F88E073 // sdot v19.4s, v3.16b, v8.4b[0]
	WORD	$0x4F89E014 // sdot v20.4s, v0.16b, v9.4b[0]
	WORD	$0x4F89E035 // sdot v21.4s, v1.16b, v9.4b[0]
	WORD	$0x4F89E056 // sdot v22.4s, v2.16b, v9.4b[0]
	WORD	$0x4F89E077 // sdot v23.4s, v3.16b, v9.4b[0]
	WORD	$0x4F8AE018 // sdot v24.4s, v0.16b, v10.4b[0]
	WORD	$0x4F8AE039 // sdot v25.4s, v1.16b, v10.4b[0]
	WORD	$0x4F8AE05A // sdot v26.4s, v2.16b, v10.4b[0]
	WORD	$0x4F8AE07B // sdot v27.4s, v3.16b, v10.4b[0]
	WORD	$0x4F8BE01C // sdot v28.4s, v0.16b, v11.4b[0]
	WORD	$0x4F8BE03D // sdot v29.4s, v1.16b, v11.4b[0]
	WORD	$0x4F8BE05E // sdot v30.4s, v2.16b, v11.4b[0]
	WORD	$0x4F8BE07F // sdot v31.4s, v3.16b, v11.4b[0]
	VLD1.P	64(R4), [V4.B16, V5.B16, V6.B16, V7.B16]
	WORD	$0x4FA8E090 // sdot v16.4s, v4.16b, v8.4b[1]
	WORD	$0x4FA8E0B1 // sdot v17.4s, v5.16b, v8.4b[1]
	WORD	$0x4FA8E0D2 // sdot v18.4s, v6.16b, v8.4b[1]
	WORD	$0x4FA8E0F3 // sdot v19.4s, v7.16b, v8.4b[1]
	WORD	$0x4FA9E094 // sdot v20.4s, v4.16b, v9.4b[1]
	WORD	$0x4FA9E0B5 // sdot v21.4s, v5.16b, v9.4b[1]
	WORD	$0x4FA9E0D6 // sdot v22.4s, v6.16b, v9.4b[1]
	WORD	$0x4FA9E0F7 // sdot v23.4s, v7.16b, v9.4b[1]
	WORD	$0x4FAAE098 // sdot v24.4s, v4.16b, v10.4b[1]
	WORD	$0x4FAAE0B9 // sdot v25.4s, v5.16b, v10.4b[1]
	WORD	$0x4FAAE0DA // sdot v26.4s, v6.16b, v10.4b[1]
	WORD	$0x4FAAE0FB // sdot v27.4s, v7.16b, v10.4b[1]
	WORD	$0x4FABE09C // sdot v28.4s, v4.16b, v11.4b[1]
	WORD	$0x4FABE0BD // sdot v29.4s, v5.16b, v11.4b[1]
	WORD	$0x4FABE0DE // sdot v30.4s, v6.16b, v11.4b[1]
	WORD	$0x4FABE0FF // sdot v31.4s, v7.16b, v11.4b[1]
	VLD1.P	64(R4), [V0.B16, V1.B16, V2.B16, V3.B16]
	WORD	$0x4F88E810 // sdot v16.4s, v0.16b, v8.4b[2]
	WORD	$0x4F88E831 // sdot v17.4s, v1.16b, v8.4b[2]
	WORD	$0x4F88E852 // sdot v18.4s, v2.16b, v8.4b[2]
	WORD	$0x4F88E873 // sdot v19.4s, v3.16b, v8.4b[2]
	WORD	$0x4F89E814 // sdot v20.4s, v0.16b, v9.4b[2]
	WORD	$0x4F89E835 // sdot v21.4s, v1.16b, v9.4b[2]
	WORD	$0x4F89E856 // sdot v22.4s, v2.16b, v9.4b[2]
	WORD	$0x4F89E877 // sdot v23.4s, v3.16b, v9.4b[2]
	WORD	$0x4F8AE818 // sdot v24.4s, v0.16b, v10.4b[2]
	WORD	$0x4F8AE839 // sdot v25.4s, v1.16b, v10.4b[2]
	WORD	$0x4F8AE85A // sdot v26.4s, v2.16b, v10.4b[2]
	WORD	$0x4F8AE87B // sdot v27.4s, v3.16b, v10.4b[2]
	WORD	$0x4F8BE81C // sdot v28.4s, v0.16b, v11.4b[2]
	WORD	$0x4F8BE83D // sdot v29.4s, v1.16b, v11.4b[2]
	WORD	$0x4F8BE85E // sdot v30.4s, v2.16b, v11.4b[2]
	WORD	$0x4F8BE87F // sdot v31.4s, v3.16b, v11.4b[2]
	VLD1.P	64(R4), [V4.B16, V5.B16, V6.B16, V7.B16]
	WORD	$0x4FA8E890 // sdot v16.4s, v4.16b, v8.4b[3]
	WORD	$0x4FA8E8B1 // sdot v17.4s, v5.16b, v8.4b[3]
	WORD	$0x4FA8E8D2 // sdot v18.4s, v6.16b, v8.4b[3]
	WORD	$0x4FA8E8F3 // sdot v19.4s, v7.16b, v8.4b[3]
	WORD	$0x4FA9E894 // sdot v20.4s, v4.16b, v9.4b[3]
	WORD	$0x4FA9E8B5 // sdot v21.4s, v5.16b, v9.4b[3]
	WORD	$0x4FA9E8D6 // sdot v22.4s, v6.16b, v9.4b[3]
	WORD	$0x4FA9E8F7 // sdot v23.4s, v7.16b, v9.4b[3]
	WORD	$0x4FAAE898 // sdot v24.4s, v4.16b, v10.4b[3]
	WORD	$0x4FAAE8B9 // sdot v25.4s, v5.16b, v10.4b[3]
	WORD	$0x4FAAE8DA // sdot v26.4s, v6.16b, v10.4b[3]
	WORD	$0x4FAAE8FB // sdot v27.4s, v7.16b, v10.4b[3]
	WORD	$0x4FABE89C // sdot v28.4s, v4.16b, v11.4b[3]
	WORD	$0x4FABE8BD // sdot v29.4s, v5.16b, v11.4b[3]
	WORD	$0x4FABE8DE // sdot v30.4s, v6.16b, v11.4b[3]
	WORD	$0x4FABE8FF // sdot v31.4s, v7.16b, v11.4b[3]
	SUBS	$1, R5
	BNE	loop16

tail:
	CBZ	R6, store

	// Remaining blocks one at a time, the 4 activation bytes in lane 0.
loop4:
	VLD1R.P	4(R0), [V8.S4]
	VLD1R.P	4(R1), [V9.S4]
	VLD1R.P	4(R2), [V10.S4]
	VLD1R.P	4(R3), [V11.S4]
	VLD1.P	64(R4), [V0.B16, V1.B16, V2.B16, V3.B16]
	WORD	$0x4F88E010 // sdot v16.4s, v0.16b, v8.4b[0]
	WORD	$0x4F88E031 // sdot v17.4s, v1.16b, v8.4b[0]
	WORD	$0x4F88E052 // sdot v18.4s, v2.16b, v8.4b[0]
	WORD	$0x4F88E073 // sdot v19.4s, v3.16b, v8.4b[0]
	WORD	$0x4F89E014 // sdot v20.4s, v0.16b, v9.4b[0]
	WORD	$0x4F89E035 // sdot v21.4s, v1.16b, v9.4b[0]
	WORD	$0x4F89E056 // sdot v22.4s, v2.16b, v9.4b[0]
	WORD	$0x4F89E077 // sdot v23.4s, v3.16b, v9.4b[0]
	WORD	$0x4F8AE018 // sdot v24.4s, v0.16b, v10.4b[0]
	WORD	$0x4F8AE039 // sdot v25.4s, v1.16b, v10.4b[0]
	WORD	$0x4F8AE05A // sdot v26.4s, v2.16b, v10.4b[0]
	WORD	$0x4F8AE07B // sdot v27.4s, v3.16b, v10.4b[0]
	WORD	$0x4F8BE01C // sdot v28.4s, v0.16b, v11.4b[0]
	WORD	$0x4F8BE03D // sdot v29.4s, v1.16b, v11.4b[0]
	WORD	$0x4F8BE05E // sdot v30.4s, v2.16b, v11.4b[0]
	WORD	$0x4F8BE07F // sdot v31.4s, v3.16b, v11.4b[0]
	SUBS	$1, R6
	BNE	loop4

	// Output stage: the panel's scales once, then token by token.
store:
	W8_LOAD_EPILOGUE
	MOVD	R13, R7
	MOVD	mr+16(FP), R8

token:
	// Token in V16-V19; the later tokens move up one slot after each store.
	W8_STORE_TOKEN
	SUBS	$1, R8
	BEQ	next
	ADD	R9, R7
	VMOV	V20.B16, V16.B16
	VMOV	V21.B16, V17.B16
	VMOV	V22.B16, V18.B16
	VMOV	V23.B16, V19.B16
	VMOV	V24.B16, V20.B16
	VMOV	V25.B16, V21.B16
	VMOV	V26.B16, V22.B16
	VMOV	V27.B16, V23.B16
	VMOV	V28.B16, V24.B16
	VMOV	V29.B16, V25.B16
	VMOV	V30.B16, V26.B16
	VMOV	V31.B16, V27.B16
	B	token

next:
	ADD	R14, R13
	SUBS	$1, R12
	BNE	panel
	RET
