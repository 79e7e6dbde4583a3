//go:build !noasm

#include "textflag.h"
#include "gemm_epilogue_arm64.h"

#define EP_MODE R15
#define EP_SCALE R16
#define EP_SSTEP R17
#define EP_BIAS R19
#define EP_Y R7

// SMMLA Vd.4S, Vn.16B, Vm.16B (ARMv8.6 I8MM, emitted as WORD) adds to the
// 2×2 int32 matrix d (d[2i+j] in lane 2i+j) the product of the 2×8 int8
// matrix n (row i in bytes 8i..8i+7) and the transpose of the 2×8 matrix m:
// d[2i+j] += Σ_k n[8i+k]·m[8j+k], 32 multiply-adds per instruction.
//
// Here n is a pair of activation rows (tokens t, t+1), 8 consecutive k each,
// as prepared by PackXI8MMW8, and m a pair of weight rows (r, r+1) over the
// same k, made from two W8 blocks (k 4c..4c+3 and 4c+4..4c+7) by ZIP1/ZIP2
// of their 32-bit lanes; the accumulator then holds
// [t·r, t·(r+1), (t+1)·r, (t+1)·(r+1)].

// func GemmW8A8I8MM(xp unsafe.Pointer, mr int, w unsafe.Pointer, kb, np int, y unsafe.Pointer, ldy, ystep, mode int, scale unsafe.Pointer, sstep int, bias unsafe.Pointer, acc unsafe.Pointer)
//
// One block of 8 activation rows prepared by PackXI8MMW8 at xp (ceil(kb/2)
// chunks of 64 bytes) times np whole 16-row panels of W8 data at w; the mr
// (1 to 8) first rows are stored (output row t at y + t·ldy bytes). Each
// panel is computed as two halves of 8 rows, each a register block of
// 8 tokens × 8 rows over the whole K; the int32 results go token-major to
// the 512-byte scratch acc, then through the shared epilogue. Register
// roles:
//
//	R20 xp, R0 its cursor, R21 weights of the current panel, R4 their
//	cursor, R10 the constant 64, R11 kb, R5 block pairs left, R6 offset of
//	the half (0 or 32 bytes), R12 panels left, R13 output of the current
//	panel (token 0), R7 output of the current token, R8 tokens left to
//	store, R9 ldy, R14 ystep, R22 acc, R1 its cursor
//	V0-V3 rows 0-7 of the half in two W8 blocks, V4-V7 weight row pairs
//	(0,1) (2,3) (4,5) (6,7), V12-V15 activation pairs (tokens 0,1 .. 6,7),
//	V16+4p+q the accumulator of token pair p and weight row pair q.
TEXT ·GemmW8A8I8MM(SB), NOSPLIT, $0-104
	MOVD	xp+0(FP), R20
	MOVD	w+16(FP), R21
	MOVD	kb+24(FP), R11
	MOVD	np+32(FP), R12
	MOVD	y+40(FP), R13
	MOVD	ldy+48(FP), R9
	MOVD	ystep+56(FP), R14
	MOVD	mode+64(FP), EP_MODE
	MOVD	scale+72(FP), EP_SCALE
	MOVD	sstep+80(FP), EP_SSTEP
	MOVD	bias+88(FP), EP_BIAS
	MOVD	acc+96(FP), R22
	MOVD	$64, R10

panel:
	MOVD	$0, R6

	// One half panel (8 rows) per iteration over the whole K.
half:
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
	MOVD	R20, R0
	ADD	R6, R21, R4
	LSR	$1, R11, R5 // pairs of blocks (8 k)
	CBZ	R5, tail

	// 8 k per iteration: 4 token pairs × 4 weight row pairs.
loop8:
	VLD1.P	64(R0), [V12.B16, V13.B16, V14.B16, V15.B16]
	VLD1.P	(R4)(R10), [V0.B16, V1.B16] // k 0-3, rows 0-7 of the half
	VLD1.P	(R4)(R10), [V2.B16, V3.B16] // k 4-7
	VZIP1	V2.S4, V0.S4, V4.S4
	VZIP2	V2.S4, V0.S4, V5.S4
	VZIP1	V3.S4, V1.S4, V6.S4
	VZIP2	V3.S4, V1.S4, V7.S4
	WORD	$0x4E84A590 // smmla v16.4s, v12.16b, v4.16b
	WORD	$0x4E85A591 // smmla v17.4s, v12.16b, v5.16b
	WORD	$0x4E86A592 // smmla v18.4s, v12.16b, v6.16b
	WORD	$0x4E87A593 // smmla v19.4s, v12.16b, v7.16b
	WORD	$0x4E84A5B4 // smmla v20.4s, v13.16b, v4.16b
	WORD	$0x4E85A5B5 // smmla v21.4s, v13.16b, v5.16b
	WORD	$0x4E86A5B6 // smmla v22.4s, v13.16b, v6.16b
	WORD	$0x4E87A5B7 // smmla v23.4s, v13.16b, v7.16b
	WORD	$0x4E84A5D8 // smmla v24.4s, v14.16b, v4.16b
	WORD	$0x4E85A5D9 // smmla v25.4s, v14.16b, v5.16b
	WORD	$0x4E86A5DA // smmla v26.4s, v14.16b, v6.16b
	WORD	$0x4E87A5DB // smmla v27.4s, v14.16b, v7.16b
	WORD	$0x4E84A5FC // smmla v28.4s, v15.16b, v4.16b
	WORD	$0x4E85A5FD // smmla v29.4s, v15.16b, v5.16b
	WORD	$0x4E86A5FE // smmla v30.4s, v15.16b, v6.16b
	WORD	$0x4E87A5FF // smmla v31.4s, v15.16b, v7.16b
	SUBS	$1, R5
	BNE	loop8

tail:
	TBZ	$0, R11, halfdone

	// An odd last block: its k 4-7 are zero (the activations too).
	VLD1	(R0), [V12.B16, V13.B16, V14.B16, V15.B16]
	VLD1	(R4), [V0.B16, V1.B16]
	VEOR	V2.B16, V2.B16, V2.B16
	VZIP1	V2.S4, V0.S4, V4.S4
	VZIP2	V2.S4, V0.S4, V5.S4
	VZIP1	V2.S4, V1.S4, V6.S4
	VZIP2	V2.S4, V1.S4, V7.S4
	WORD	$0x4E84A590 // smmla v16.4s, v12.16b, v4.16b
	WORD	$0x4E85A591 // smmla v17.4s, v12.16b, v5.16b
	WORD	$0x4E86A592 // smmla v18.4s, v12.16b, v6.16b
	WORD	$0x4E87A593 // smmla v19.4s, v12.16b, v7.16b
	WORD	$0x4E84A5B4 // smmla v20.4s, v13.16b, v4.16b
	WORD	$0x4E85A5B5 // smmla v21.4s, v13.16b, v5.16b
	WORD	$0x4E86A5B6 // smmla v22.4s, v13.16b, v6.16b
	WORD	$0x4E87A5B7 // smmla v23.4s, v13.16b, v7.16b
	WORD	$0x4E84A5D8 // smmla v24.4s, v14.16b, v4.16b
	WORD	$0x4E85A5D9 // smmla v25.4s, v14.16b, v5.16b
	WORD	$0x4E86A5DA // smmla v26.4s, v14.16b, v6.16b
	WORD	$0x4E87A5DB // smmla v27.4s, v14.16b, v7.16b
	WORD	$0x4E84A5FC // smmla v28.4s, v15.16b, v4.16b
	WORD	$0x4E85A5FD // smmla v29.4s, v15.16b, v5.16b
	WORD	$0x4E86A5FE // smmla v30.4s, v15.16b, v6.16b
	WORD	$0x4E87A5FF // smmla v31.4s, v15.16b, v7.16b

	// Token-major into acc: token t's rows 8h..8h+7 at acc + 64t + 4·8h.
halfdone:
	ADD	R6, R22, R1
	VZIP1	V17.D2, V16.D2, V8.D2
	VZIP1	V19.D2, V18.D2, V9.D2
	VZIP2	V17.D2, V16.D2, V10.D2
	VZIP2	V19.D2, V18.D2, V11.D2
	VST1.P	[V8.S4, V9.S4], (R1)(R10)
	VST1.P	[V10.S4, V11.S4], (R1)(R10)
	VZIP1	V21.D2, V20.D2, V8.D2
	VZIP1	V23.D2, V22.D2, V9.D2
	VZIP2	V21.D2, V20.D2, V10.D2
	VZIP2	V23.D2, V22.D2, V11.D2
	VST1.P	[V8.S4, V9.S4], (R1)(R10)
	VST1.P	[V10.S4, V11.S4], (R1)(R10)
	VZIP1	V25.D2, V24.D2, V8.D2
	VZIP1	V27.D2, V26.D2, V9.D2
	VZIP2	V25.D2, V24.D2, V10.D2
	VZIP2	V27.D2, V26.D2, V11.D2
	VST1.P	[V8.S4, V9.S4], (R1)(R10)
	VST1.P	[V10.S4, V11.S4], (R1)(R10)
	VZIP1	V29.D2, V28.D2, V8.D2
	VZIP1	V31.D2, V30.D2, V9.D2
	VZIP2	V29.D2, V28.D2, V10.D2
	VZIP2	V31.D2, V30.D2, V11.D2
	VST1.P	[V8.S4, V9.S4], (R1)(R10)
	VST1.P	[V10.S4, V11.S4], (R1)(R10)
	ADD	$32, R6
	CMP	$64, R6
	BNE	half

	// Output stage: the panel's scales once, then token by token.
	W8_LOAD_EPILOGUE
	MOVD	R13, R7
	MOVD	mr+8(FP), R8
	MOVD	R22, R1

token:
	VLD1.P	64(R1), [V16.S4, V17.S4, V18.S4, V19.S4]
	W8_STORE_TOKEN
	ADD	R9, R7
	SUBS	$1, R8
	BNE	token

	ADD	R14, R13
	ADD	R11<<6, R21
	SUBS	$1, R12
	BNE	panel
	RET

// func PackPairs16I8MM(dst, x unsafe.Pointer, ldx, mr, n16 int, sums unsafe.Pointer)
//
// The activation layout of the SMMLA kernels for n16 ≥ 1 units of 16 k:
// rows 0-7 at x (stride ldx bytes; rows ≥ mr repeat row mr-1), unit u
// giving the chunks 2u and 2u+1 (64 bytes each, pair p at offset 16p:
// 8 k of row 2p, then 8 k of row 2p+1) at dst + 128u. With sums ≠ 0 it
// also stores Σx of each row over the 16·n16 bytes there as 8 int32
// (SDOT with ones). Register roles: R0-R7 row cursors, R8 dst cursor, R9
// mr, R10 sums, R11 ldx, R12 units left; V0-V7 16 bytes of rows 0-7,
// V16-V19 / V20-V23 the pairs of the first / second chunk, V8 ones,
// V24-V31 partial sums of rows 0-7.
TEXT ·PackPairs16I8MM(SB), NOSPLIT, $0-48
	MOVD	dst+0(FP), R8
	MOVD	x+8(FP), R0
	MOVD	ldx+16(FP), R11
	MOVD	mr+24(FP), R9
	MOVD	n16+32(FP), R12
	MOVD	sums+40(FP), R10

	// Row starts; rows past mr repeat the previous row.
	ADD	R11, R0, R1
	CMP	$1, R9
	CSEL	GT, R1, R0, R1
	ADD	R11, R1, R2
	CMP	$2, R9
	CSEL	GT, R2, R1, R2
	ADD	R11, R2, R3
	CMP	$3, R9
	CSEL	GT, R3, R2, R3
	ADD	R11, R3, R4
	CMP	$4, R9
	CSEL	GT, R4, R3, R4
	ADD	R11, R4, R5
	CMP	$5, R9
	CSEL	GT, R5, R4, R5
	ADD	R11, R5, R6
	CMP	$6, R9
	CSEL	GT, R6, R5, R6
	ADD	R11, R6, R7
	CMP	$7, R9
	CSEL	GT, R7, R6, R7
	CBNZ	R10, withsums

unit:
	VLD1.P	16(R0), [V0.B16]
	VLD1.P	16(R1), [V1.B16]
	VLD1.P	16(R2), [V2.B16]
	VLD1.P	16(R3), [V3.B16]
	VLD1.P	16(R4), [V4.B16]
	VLD1.P	16(R5), [V5.B16]
	VLD1.P	16(R6), [V6.B16]
	VLD1.P	16(R7), [V7.B16]
	VZIP1	V1.D2, V0.D2, V16.D2
	VZIP1	V3.D2, V2.D2, V17.D2
	VZIP1	V5.D2, V4.D2, V18.D2
	VZIP1	V7.D2, V6.D2, V19.D2
	VZIP2	V1.D2, V0.D2, V20.D2
	VZIP2	V3.D2, V2.D2, V21.D2
	VZIP2	V5.D2, V4.D2, V22.D2
	VZIP2	V7.D2, V6.D2, V23.D2
	VST1.P	[V16.B16, V17.B16, V18.B16, V19.B16], 64(R8)
	VST1.P	[V20.B16, V21.B16, V22.B16, V23.B16], 64(R8)
	SUBS	$1, R12
	BNE	unit
	RET

withsums:
	VMOVI	$1, V8.B16
	VEOR	V24.B16, V24.B16, V24.B16
	VEOR	V25.B16, V25.B16, V25.B16
	VEOR	V26.B16, V26.B16, V26.B16
	VEOR	V27.B16, V27.B16, V27.B16
	VEOR	V28.B16, V28.B16, V28.B16
	VEOR	V29.B16, V29.B16, V29.B16
	VEOR	V30.B16, V30.B16, V30.B16
	VEOR	V31.B16, V31.B16, V31.B16

unitsum:
	VLD1.P	16(R0), [V0.B16]
	VLD1.P	16(R1), [V1.B16]
	VLD1.P	16(R2), [V2.B16]
	VLD1.P	16(R3), [V3.B16]
	VLD1.P	16(R4), [V4.B16]
	VLD1.P	16(R5), [V5.B16]
	VLD1.P	16(R6), [V6.B16]
	VLD1.P	16(R7), [V7.B16]
	WORD	$0x4E889418 // sdot v24.4s, v0.16b, v8.16b
	WORD	$0x4E889439 // sdot v25.4s, v1.16b, v8.16b
	WORD	$0x4E88945A // sdot v26.4s, v2.16b, v8.16b
	WORD	$0x4E88947B // sdot v27.4s, v3.16b, v8.16b
	WORD	$0x4E88949C // sdot v28.4s, v4.16b, v8.16b
	WORD	$0x4E8894BD // sdot v29.4s, v5.16b, v8.16b
	WORD	$0x4E8894DE // sdot v30.4s, v6.16b, v8.16b
	WORD	$0x4E8894FF // sdot v31.4s, v7.16b, v8.16b
	VZIP1	V1.D2, V0.D2, V16.D2
	VZIP1	V3.D2, V2.D2, V17.D2
	VZIP1	V5.D2, V4.D2, V18.D2
	VZIP1	V7.D2, V6.D2, V19.D2
	VZIP2	V1.D2, V0.D2, V20.D2
	VZIP2	V3.D2, V2.D2, V21.D2
	VZIP2	V5.D2, V4.D2, V22.D2
	VZIP2	V7.D2, V6.D2, V23.D2
	VST1.P	[V16.B16, V17.B16, V18.B16, V19.B16], 64(R8)
	VST1.P	[V20.B16, V21.B16, V22.B16, V23.B16], 64(R8)
	SUBS	$1, R12
	BNE	unitsum

	// Σ of the four partial sums of every row: rows 0-3 in V24, 4-7 in V25.
	VADDP	V25.S4, V24.S4, V24.S4
	VADDP	V27.S4, V26.S4, V26.S4
	VADDP	V26.S4, V24.S4, V24.S4
	VADDP	V29.S4, V28.S4, V28.S4
	VADDP	V31.S4, V30.S4, V30.S4
	VADDP	V30.S4, V28.S4, V25.S4
	VST1	[V24.S4, V25.S4], (R10)
	RET
