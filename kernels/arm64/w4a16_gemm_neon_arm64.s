//go:build !noasm

#include "textflag.h"

// W4A16 for several activation rows: each group of a panel is decoded once
// into float32 (W4DequantGroupNEON), then every register block of 4 rows
// multiplies it (W4A16GemmNEON). ARMv8.0 NEON only, for both arm64 tiers.
//
// Decoded group layout (8 KiB): for each quad of consecutive k (32 per
// group) and each quarter q of the panel's rows, 64 bytes holding the 4 k
// one after another, each as the 4 floats q-8 of rows 4q..4q+3:
// buf[((kquad·4 + q)·4 + kk)·4 + i] = float32(code(row 4q+i, k = 4·kquad+kk) - 8).
// Rows lie in lanes, so one FMLA by element multiplies 4 rows by one
// activation.

// func W4DequantGroupNEON(w, buf unsafe.Pointer)
//
// Decodes the 16 blocks (1 KiB) of one group of one W4 panel at w into buf.
// A block j holds k = 8j..8j+3 (low nibbles) and 8j+4..8j+7 (high nibbles),
// quads 2j and 2j+1: its 8 decoded 64-byte pieces are consecutive. ST4
// stores 4 registers interleaved, which transposes rows × k into k × rows.
// Register roles: R0 w cursor, R1 buf cursor, R2 blocks left; V0-V3 raw
// codes (rows 4q..4q+3 in Vq), V10-V13 / V24-V27 low / high nibbles as
// signed bytes, V6/V7 and V8/V9 int16, V16-V19 and V20-V23 floats of 4 rows,
// V30 8s, V31 0x0F.
TEXT ·W4DequantGroupNEON(SB), NOSPLIT, $0-16
	MOVD	w+0(FP), R0
	MOVD	buf+8(FP), R1
	VMOVI	$15, V31.B16
	VMOVI	$8, V30.B16
	MOVD	$16, R2

	// One block (8 k) per iteration: 8 pieces of 4 rows × 4 k.
block:
	VLD1.P	64(R0), [V0.B16, V1.B16, V2.B16, V3.B16]
	VAND	V31.B16, V0.B16, V10.B16
	VUSHR	$4, V0.B16, V24.B16
	VAND	V31.B16, V1.B16, V11.B16
	VUSHR	$4, V1.B16, V25.B16
	VAND	V31.B16, V2.B16, V12.B16
	VUSHR	$4, V2.B16, V26.B16
	VAND	V31.B16, V3.B16, V13.B16
	VUSHR	$4, V3.B16, V27.B16
	VSUB	V30.B16, V10.B16, V10.B16
	VSUB	V30.B16, V24.B16, V24.B16
	VSUB	V30.B16, V11.B16, V11.B16
	VSUB	V30.B16, V25.B16, V25.B16
	VSUB	V30.B16, V12.B16, V12.B16
	VSUB	V30.B16, V26.B16, V26.B16
	VSUB	V30.B16, V13.B16, V13.B16
	VSUB	V30.B16, V27.B16, V27.B16
	WORD	$0x0F08A546 // sxtl v6.8h, v10.8b
	WORD	$0x4F08A547 // sxtl2 v7.8h, v10.16b
	WORD	$0x0F10A4D0 // sxtl v16.4s, v6.4h
	WORD	$0x4F10A4D1 // sxtl2 v17.4s, v6.8h
	WORD	$0x0F10A4F2 // sxtl v18.4s, v7.4h
	WORD	$0x4F10A4F3 // sxtl2 v19.4s, v7.8h
	WORD	$0x4E21DA10 // scvtf v16.4s, v16.4s
	WORD	$0x4E21DA31 // scvtf v17.4s, v17.4s
	WORD	$0x4E21DA52 // scvtf v18.4s, v18.4s
	WORD	$0x4E21DA73 // scvtf v19.4s, v19.4s
	VST4.P	[V16.S4, V17.S4, V18.S4, V19.S4], 64(R1) // low k, rows 0-3
	WORD	$0x0F08A568 // sxtl v8.8h, v11.8b
	WORD	$0x4F08A569 // sxtl2 v9.8h, v11.16b
	WORD	$0x0F10A514 // sxtl v20.4s, v8.4h
	WORD	$0x4F10A515 // sxtl2 v21.4s, v8.8h
	WORD	$0x0F10A536 // sxtl v22.4s, v9.4h
	WORD	$0x4F10A537 // sxtl2 v23.4s, v9.8h
	WORD	$0x4E21DA94 // scvtf v20.4s, v20.4s
	WORD	$0x4E21DAB5 // scvtf v21.4s, v21.4s
	WORD	$0x4E21DAD6 // scvtf v22.4s, v22.4s
	WORD	$0x4E21DAF7 // scvtf v23.4s, v23.4s
	VST4.P	[V20.S4, V21.S4, V22.S4, V23.S4], 64(R1) // low k, rows 4-7
	WORD	$0x0F08A586 // sxtl v6.8h, v12.8b
	WORD	$0x4F08A587 // sxtl2 v7.8h, v12.16b
	WORD	$0x0F10A4D0 // sxtl v16.4s, v6.4h
	WORD	$0x4F10A4D1 // sxtl2 v17.4s, v6.8h
	WORD	$0x0F10A4F2 // sxtl v18.4s, v7.4h
	WORD	$0x4F10A4F3 // sxtl2 v19.4s, v7.8h
	WORD	$0x4E21DA10 // scvtf v16.4s, v16.4s
	WORD	$0x4E21DA31 // scvtf v17.4s, v17.4s
	WORD	$0x4E21DA52 // scvtf v18.4s, v18.4s
	WORD	$0x4E21DA73 // scvtf v19.4s, v19.4s
	VST4.P	[V16.S4, V17.S4, V18.S4, V19.S4], 64(R1) // low k, rows 8-11
	WORD	$0x0F08A5A8 // sxtl v8.8h, v13.8b
	WORD	$0x4F08A5A9 // sxtl2 v9.8h, v13.16b
	WORD	$0x0F10A514 // sxtl v20.4s, v8.4h
	WORD	$0x4F10A515 // sxtl2 v21.4s, v8.8h
	WORD	$0x0F10A536 // sxtl v22.4s, v9.4h
	WORD	$0x4F10A537 // sxtl2 v23.4s, v9.8h
	WORD	$0x4E21DA94 // scvtf v20.4s, v20.4s
	WORD	$0x4E21DAB5 // scvtf v21.4s, v21.4s
	WORD	$0x4E21DAD6 // scvtf v22.4s, v22.4s
	WORD	$0x4E21DAF7 // scvtf v23.4s, v23.4s
	VST4.P	[V20.S4, V21.S4, V22.S4, V23.S4], 64(R1) // low k, rows 12-15
	WORD	$0x0F08A706 // sxtl v6.8h, v24.8b
	WORD	$0x4F08A707 // sxtl2 v7.8h, v24.16b
	WORD	$0x0F10A4D0 // sxtl v16.4s, v6.4h
	WORD	$0x4F10A4D1 // sxtl2 v17.4s, v6.8h
	WORD	$0x0F10A4F2 // sxtl v18.4s, v7.4h
	WORD	$0x4F10A4F3 // sxtl2 v19.4s, v7.8h
	WORD	$0x4E21DA10 // scvtf v16.4s, v16.4s
	WORD	$0x4E21DA31 // scvtf v17.4s, v17.4s
	WORD	$0x4E21DA52 // scvtf v18.4s, v18.4s
	WORD	$0x4E21DA73 // scvtf v19.4s, v19.4s
	VST4.P	[V16.S4, V17.S4, V18.S4, V19.S4], 64(R1) // high k, rows 0-3
	WORD	$0x0F08A728 // sxtl v8.8h, v25.8b
	WORD	$0x4F08A729 // sxtl2 v9.8h, v25.16b
	WORD	$0x0F10A514 // sxtl v20.4s, v8.4h
	WORD	$0x4F10A515 // sxtl2 v21.4s, v8.8h
	WORD	$0x0F10A536 // sxtl v22.4s, v9.4h
	WORD	$0x4F10A537 // sxtl2 v23.4s, v9.8h
	WORD	$0x4E21DA94 // scvtf v20.4s, v20.4s
	WORD	$0x4E21DAB5 // scvtf v21.4s, v21.4s
	WORD	$0x4E21DAD6 // scvtf v22.4s, v22.4s
	WORD	$0x4E21DAF7 // scvtf v23.4s, v23.4s
	VST4.P	[V20.S4, V21.S4, V22.S4, V23.S4], 64(R1) // high k, rows 4-7
	WORD	$0x0F08A746 // sxtl v6.8h, v26.8b
	WORD	$0x4F08A747 // sxtl2 v7.8h, v26.16b
	WORD	$0x0F10A4D0 // sxtl v16.4s, v6.4h
	WORD	$0x4F10A4D1 // sxtl2 v17.4s, v6.8h
	WORD	$0x0F10A4F2 // sxtl v18.4s, v7.4h
	WORD	$0x4F10A4F3 // sxtl2 v19.4s, v7.8h
	WORD	$0x4E21DA10 // scvtf v16.4s, v16.4s
	WORD	$0x4E21DA31 // scvtf v17.4s, v17.4s
	WORD	$0x4E21DA52 // scvtf v18.4s, v18.4s
	WORD	$0x4E21DA73 // scvtf v19.4s, v19.4s
	VST4.P	[V16.S4, V17.S4, V18.S4, V19.S4], 64(R1) // high k, rows 8-11
	WORD	$0x0F08A768 // sxtl v8.8h, v27.8b
	WORD	$0x4F08A769 // sxtl2 v9.8h, v27.16b
	WORD	$0x0F10A514 // sxtl v20.4s, v8.4h
	WORD	$0x4F10A515 // sxtl2 v21.4s, v8.8h
	WORD	$0x0F10A536 // sxtl v22.4s, v9.4h
	WORD	$0x4F10A537 // sxtl2 v23.4s, v9.8h
	WORD	$0x4E21DA94 // scvtf v20.4s, v20.4s
	WORD	$0x4E21DAB5 // scvtf v21.4s, v21.4s
	WORD	$0x4E21DAD6 // scvtf v22.4s, v22.4s
	WORD	$0x4E21DAF7 // scvtf v23.4s, v23.4s
	VST4.P	[V20.S4, V21.S4, V22.S4, V23.S4], 64(R1) // high k, rows 12-15
	SUBS	$1, R2
	BNE	block
	RET

// func W4A16GemmNEON(x unsafe.Pointer, ldx, mr int, buf, gs, sum unsafe.Pointer)
//
// For mr (1 to 4) float32 activation rows at x (stride ldx bytes; the 128
// activations of the group) and the decoded group at buf, adds
// gs[r]·Σ_k x[k]·buf(k, r) to sum[t·16 + r] for every token t < mr and row r
// (a separate FMUL and FADD, like the pure-Go code; the inner sum uses FMLA
// in k order per row). Rows past mr repeat the last real row and are not
// stored. Register roles: R20-R23 row starts, R0-R3 cursors, R4 buf cursor,
// R5 quads left, R8 tokens left, R9 sum cursor; V0-V3 / V4-V7 decoded
// weights of 4 k for rows 4q..4q+3 (two quarters), V12-V15 4 activations
// of tokens 0-3, V16+4t+q float32 sums of token t, rows 4q..4q+3.
TEXT ·W4A16GemmNEON(SB), NOSPLIT, $0-48
	MOVD	x+0(FP), R20
	MOVD	ldx+8(FP), R9
	MOVD	mr+16(FP), R8
	MOVD	buf+24(FP), R4

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
	MOVD	$32, R5

	// 4 k per iteration: 16 rows × 4 k of weights, 4 tokens.
quad:
	VLD1.P	16(R0), [V12.S4]
	VLD1.P	16(R1), [V13.S4]
	VLD1.P	16(R2), [V14.S4]
	VLD1.P	16(R3), [V15.S4]
	VLD1.P	64(R4), [V0.S4, V1.S4, V2.S4, V3.S4] // rows 0-3
	WORD	$0x4F8C1010 // fmla v16.4s, v0.4s, v12.s[0]
	WORD	$0x4F8D1014 // fmla v20.4s, v0.4s, v13.s[0]
	WORD	$0x4F8E1018 // fmla v24.4s, v0.4s, v14.s[0]
	WORD	$0x4F8F101C // fmla v28.4s, v0.4s, v15.s[0]
	WORD	$0x4FAC1030 // fmla v16.4s, v1.4s, v12.s[1]
	WORD	$0x4FAD1034 // fmla v20.4s, v1.4s, v13.s[1]
	WORD	$0x4FAE1038 // fmla v24.4s, v1.4s, v14.s[1]
	WORD	$0x4FAF103C // fmla v28.4s, v1.4s, v15.s[1]
	WORD	$0x4F8C1850 // fmla v16.4s, v2.4s, v12.s[2]
	WORD	$0x4F8D1854 // fmla v20.4s, v2.4s, v13.s[2]
	WORD	$0x4F8E1858 // fmla v24.4s, v2.4s, v14.s[2]
	WORD	$0x4F8F185C // fmla v28.4s, v2.4s, v15.s[2]
	WORD	$0x4FAC1870 // fmla v16.4s, v3.4s, v12.s[3]
	WORD	$0x4FAD1874 // fmla v20.4s, v3.4s, v13.s[3]
	WORD	$0x4FAE1878 // fmla v24.4s, v3.4s, v14.s[3]
	WORD	$0x4FAF187C // fmla v28.4s, v3.4s, v15.s[3]
	VLD1.P	64(R4), [V4.S4, V5.S4, V6.S4, V7.S4] // rows 4-7
	WORD	$0x4F8C1091 // fmla v17.4s, v4.4s, v12.s[0]
	WORD	$0x4F8D1095 // fmla v21.4s, v4.4s, v13.s[0]
	WORD	$0x4F8E1099 // fmla v25.4s, v4.4s, v14.s[0]
	WORD	$0x4F8F109D // fmla v29.4s, v4.4s, v15.s[0]
	WORD	$0x4FAC10B1 // fmla v17.4s, v5.4s, v12.s[1]
	WORD	$0x4FAD10B5 // fmla v21.4s, v5.4s, v13.s[1]
	WORD	$0x4FAE10B9 // fmla v25.4s, v5.4s, v14.s[1]
	WORD	$0x4FAF10BD // fmla v29.4s, v5.4s, v15.s[1]
	WORD	$0x4F8C18D1 // fmla v17.4s, v6.4s, v12.s[2]
	WORD	$0x4F8D18D5 // fmla v21.4s, v6.4s, v13.s[2]
	WORD	$0x4F8E18D9 // fmla v25.4s, v6.4s, v14.s[2]
	WORD	$0x4F8F18DD // fmla v29.4s, v6.4s, v15.s[2]
	WORD	$0x4FAC18F1 // fmla v17.4s, v7.4s, v12.s[3]
	WORD	$0x4FAD18F5 // fmla v21.4s, v7.4s, v13.s[3]
	WORD	$0x4FAE18F9 // fmla v25.4s, v7.4s, v14.s[3]
	WORD	$0x4FAF18FD // fmla v29.4s, v7.4s, v15.s[3]
	VLD1.P	64(R4), [V0.S4, V1.S4, V2.S4, V3.S4] // rows 8-11
	WORD	$0x4F8C1012 // fmla v18.4s, v0.4s, v12.s[0]
	WORD	$0x4F8D1016 // fmla v22.4s, v0.4s, v13.s[0]
	WORD	$0x4F8E101A // fmla v26.4s, v0.4s, v14.s[0]
	WORD	$0x4F8F101E // fmla v30.4s, v0.4s, v15.s[0]
	WORD	$0x4FAC1032 // fmla v18.4s, v1.4s, v12.s[1]
	WORD	$0x4FAD1036 // fmla v22.4s, v1.4s, v13.s[1]
	WORD	$0x4FAE103A // fmla v26.4s, v1.4s, v14.s[1]
	WORD	$0x4FAF103E // fmla v30.4s, v1.4s, v15.s[1]
	WORD	$0x4F8C1852 // fmla v18.4s, v2.4s, v12.s[2]
	WORD	$0x4F8D1856 // fmla v22.4s, v2.4s, v13.s[2]
	WORD	$0x4F8E185A // fmla v26.4s, v2.4s, v14.s[2]
	WORD	$0x4F8F185E // fmla v30.4s, v2.4s, v15.s[2]
	WORD	$0x4FAC1872 // fmla v18.4s, v3.4s, v12.s[3]
	WORD	$0x4FAD1876 // fmla v22.4s, v3.4s, v13.s[3]
	WORD	$0x4FAE187A // fmla v26.4s, v3.4s, v14.s[3]
	WORD	$0x4FAF187E // fmla v30.4s, v3.4s, v15.s[3]
	VLD1.P	64(R4), [V4.S4, V5.S4, V6.S4, V7.S4] // rows 12-15
	WORD	$0x4F8C1093 // fmla v19.4s, v4.4s, v12.s[0]
	WORD	$0x4F8D1097 // fmla v23.4s, v4.4s, v13.s[0]
	WORD	$0x4F8E109B // fmla v27.4s, v4.4s, v14.s[0]
	WORD	$0x4F8F109F // fmla v31.4s, v4.4s, v15.s[0]
	WORD	$0x4FAC10B3 // fmla v19.4s, v5.4s, v12.s[1]
	WORD	$0x4FAD10B7 // fmla v23.4s, v5.4s, v13.s[1]
	WORD	$0x4FAE10BB // fmla v27.4s, v5.4s, v14.s[1]
	WORD	$0x4FAF10BF // fmla v31.4s, v5.4s, v15.s[1]
	WORD	$0x4F8C18D3 // fmla v19.4s, v6.4s, v12.s[2]
	WORD	$0x4F8D18D7 // fmla v23.4s, v6.4s, v13.s[2]
	WORD	$0x4F8E18DB // fmla v27.4s, v6.4s, v14.s[2]
	WORD	$0x4F8F18DF // fmla v31.4s, v6.4s, v15.s[2]
	WORD	$0x4FAC18F3 // fmla v19.4s, v7.4s, v12.s[3]
	WORD	$0x4FAD18F7 // fmla v23.4s, v7.4s, v13.s[3]
	WORD	$0x4FAE18FB // fmla v27.4s, v7.4s, v14.s[3]
	WORD	$0x4FAF18FF // fmla v31.4s, v7.4s, v15.s[3]
	SUBS	$1, R5
	BNE	quad

	MOVD	gs+32(FP), R4
	VLD1	(R4), [V0.S4, V1.S4, V2.S4, V3.S4]
	MOVD	sum+40(FP), R9

token:
	// Token in V16-V19; the later tokens move up one slot after each store.
	WORD	$0x6E20DE10 // fmul v16.4s, v16.4s, v0.4s
	WORD	$0x6E21DE31 // fmul v17.4s, v17.4s, v1.4s
	WORD	$0x6E22DE52 // fmul v18.4s, v18.4s, v2.4s
	WORD	$0x6E23DE73 // fmul v19.4s, v19.4s, v3.4s
	VLD1	(R9), [V4.S4, V5.S4, V6.S4, V7.S4]
	WORD	$0x4E30D484 // fadd v4.4s, v4.4s, v16.4s
	WORD	$0x4E31D4A5 // fadd v5.4s, v5.4s, v17.4s
	WORD	$0x4E32D4C6 // fadd v6.4s, v6.4s, v18.4s
	WORD	$0x4E33D4E7 // fadd v7.4s, v7.4s, v19.4s
	VST1.P	[V4.S4, V5.S4, V6.S4, V7.S4], 64(R9)
	SUBS	$1, R8
	BEQ	done
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

done:
	RET
