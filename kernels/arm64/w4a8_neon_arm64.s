//go:build !noasm

#include "textflag.h"

// W4 panels: 16 rows, kg groups of 128 k; a group is 16 blocks of 64 bytes,
// block j holding 16 rows × 8 k (byte 4r+b: code of k = 8j+b in the low
// nibble, of k = 8j+4+b in the high nibble). Codes q mean q-8; the kernels
// unpack them with AND 0x0F / USHR 4 and subtract 8 as signed bytes, so a
// 16-byte register of low (high) nibbles is 4 rows × 4 k, like a W8 block.
//
// The ARMv8.0 tier multiplies with SMULL/SMULL2 and SMLAL/SMLAL2 (the low
// and the high nibbles of a block against their 4 replicated activations:
// two products of at most 15·128 per int16 lane) and widens pairwise into
// int32 with SADALP; see gemv_neon_arm64.s for the lane layout. Like
// W4A8GemvNEONDot it multiplies the codes q and subtracts 8·Σ_{k∈g} x[k]
// per group: SADALP of the replicated activations sums 4·Σx over 8 int16
// lanes (at most 16·2·256 per lane), SADDLV adds them up.

// func W4A8GemvNEON(x, w unsafe.Pointer, kg, np int, y, gs, rs unsafe.Pointer, xs float32)
//
// Same contract as W4A8GemvNEONDot. Register roles: R10 x, R0 x cursor,
// R4 w cursor, R6 gs cursor, R7 rs cursor, R8 y cursor, R9 groups per panel,
// R11 panels left, R12 groups left, R13 blocks left in the group;
// V0-V3 raw codes of a block, V8-V11 / V12-V15 its low / high nibbles,
// V4 / V5 replicated activations of the low / high k, V6/V7 int16
// products, V28 int16 pair sums of the replicated activations,
// V16-V23 int32 pair sums of the group (ADDP-reduced into V16-V19 at its
// end), V24-V27 float32 sums over groups, V29 xs, V31 0x0F.
TEXT ·W4A8GemvNEON(SB), NOSPLIT, $0-60
	MOVD	x+0(FP), R10
	MOVD	w+8(FP), R4
	MOVD	kg+16(FP), R9
	MOVD	np+24(FP), R11
	MOVD	y+32(FP), R8
	MOVD	gs+40(FP), R6
	MOVD	rs+48(FP), R7
	FMOVS	xs+56(FP), F29
	VDUP	V29.S[0], V29.S4
	VMOVI	$15, V31.B16
	VMOVI	$8, V30.B16

	// One panel per iteration; float32 sums over groups in V24-V27.
panel:
	MOVD	R10, R0
	MOVD	R9, R12
	VEOR	V24.B16, V24.B16, V24.B16
	VEOR	V25.B16, V25.B16, V25.B16
	VEOR	V26.B16, V26.B16, V26.B16
	VEOR	V27.B16, V27.B16, V27.B16

	// One group (128 k, 16 blocks) per iteration, exact int32 sums.
group:
	VEOR	V16.B16, V16.B16, V16.B16
	VEOR	V17.B16, V17.B16, V17.B16
	VEOR	V18.B16, V18.B16, V18.B16
	VEOR	V19.B16, V19.B16, V19.B16
	VEOR	V20.B16, V20.B16, V20.B16
	VEOR	V21.B16, V21.B16, V21.B16
	VEOR	V22.B16, V22.B16, V22.B16
	VEOR	V23.B16, V23.B16, V23.B16
	VEOR	V28.B16, V28.B16, V28.B16
	MOVD	$16, R13

	// One block (8 k) per iteration.
block:
	VLD1R.P	4(R0), [V4.S4]
	VLD1R.P	4(R0), [V5.S4]
	VLD1.P	64(R4), [V0.B16, V1.B16, V2.B16, V3.B16]
	WORD	$0x4E20689C // sadalp v28.8h, v4.16b
	WORD	$0x4E2068BC // sadalp v28.8h, v5.16b
	VAND	V31.B16, V0.B16, V8.B16
	VUSHR	$4, V0.B16, V12.B16
	VAND	V31.B16, V1.B16, V9.B16
	VUSHR	$4, V1.B16, V13.B16
	VAND	V31.B16, V2.B16, V10.B16
	VUSHR	$4, V2.B16, V14.B16
	VAND	V31.B16, V3.B16, V11.B16
	VUSHR	$4, V3.B16, V15.B16
	WORD	$0x0E24C106 // smull v6.8h, v8.8b, v4.8b
	WORD	$0x0E258186 // smlal v6.8h, v12.8b, v5.8b
	WORD	$0x4E24C107 // smull2 v7.8h, v8.16b, v4.16b
	WORD	$0x4E258187 // smlal2 v7.8h, v12.16b, v5.16b
	WORD	$0x4E6068D0 // sadalp v16.4s, v6.8h
	WORD	$0x4E6068F1 // sadalp v17.4s, v7.8h
	WORD	$0x0E24C126 // smull v6.8h, v9.8b, v4.8b
	WORD	$0x0E2581A6 // smlal v6.8h, v13.8b, v5.8b
	WORD	$0x4E24C127 // smull2 v7.8h, v9.16b, v4.16b
	WORD	$0x4E2581A7 // smlal2 v7.8h, v13.16b, v5.16b
	WORD	$0x4E6068D2 // sadalp v18.4s, v6.8h
	WORD	$0x4E6068F3 // sadalp v19.4s, v7.8h
	WORD	$0x0E24C146 // smull v6.8h, v10.8b, v4.8b
	WORD	$0x0E2581C6 // smlal v6.8h, v14.8b, v5.8b
	WORD	$0x4E24C147 // smull2 v7.8h, v10.16b, v4.16b
	WORD	$0x4E2581C7 // smlal2 v7.8h, v14.16b, v5.16b
	WORD	$0x4E6068D4 // sadalp v20.4s, v6.8h
	WORD	$0x4E6068F5 // sadalp v21.4s, v7.8h
	WORD	$0x0E24C166 // smull v6.8h, v11.8b, v4.8b
	WORD	$0x0E2581E6 // smlal v6.8h, v15.8b, v5.8b
	WORD	$0x4E24C167 // smull2 v7.8h, v11.16b, v4.16b
	WORD	$0x4E2581E7 // smlal2 v7.8h, v15.16b, v5.16b
	WORD	$0x4E6068D6 // sadalp v22.4s, v6.8h
	WORD	$0x4E6068F7 // sadalp v23.4s, v7.8h
	SUBS	$1, R13
	BNE	block

	// P = Σx·q - 8·Σx, with V28 summing to 4·Σx.
	VADDP	V17.S4, V16.S4, V16.S4 // rows 0-3
	VADDP	V19.S4, V18.S4, V17.S4 // rows 4-7
	VADDP	V21.S4, V20.S4, V18.S4 // rows 8-11
	VADDP	V23.S4, V22.S4, V19.S4 // rows 12-15
	WORD	$0x4E703B9C // saddlv s28, v28.8h
	VDUP	V28.S[0], V28.S4
	VSHL	$1, V28.S4, V28.S4
	VSUB	V28.S4, V16.S4, V16.S4
	VSUB	V28.S4, V17.S4, V17.S4
	VSUB	V28.S4, V18.S4, V18.S4
	VSUB	V28.S4, V19.S4, V19.S4
	// Group end (twin order): sum += gs · float32(P), separate FMUL and FADD.
	VLD1.P	64(R6), [V0.S4, V1.S4, V2.S4, V3.S4]
	WORD	$0x4E21DA10 // scvtf v16.4s, v16.4s
	WORD	$0x4E21DA31 // scvtf v17.4s, v17.4s
	WORD	$0x4E21DA52 // scvtf v18.4s, v18.4s
	WORD	$0x4E21DA73 // scvtf v19.4s, v19.4s
	WORD	$0x6E20DE10 // fmul v16.4s, v16.4s, v0.4s
	WORD	$0x6E21DE31 // fmul v17.4s, v17.4s, v1.4s
	WORD	$0x6E22DE52 // fmul v18.4s, v18.4s, v2.4s
	WORD	$0x6E23DE73 // fmul v19.4s, v19.4s, v3.4s
	WORD	$0x4E30D718 // fadd v24.4s, v24.4s, v16.4s
	WORD	$0x4E31D739 // fadd v25.4s, v25.4s, v17.4s
	WORD	$0x4E32D75A // fadd v26.4s, v26.4s, v18.4s
	WORD	$0x4E33D77B // fadd v27.4s, v27.4s, v19.4s
	SUBS	$1, R12
	BNE	group

	// y = (xs·rs) · sum.
	VLD1.P	64(R7), [V0.S4, V1.S4, V2.S4, V3.S4]
	WORD	$0x6E3DDC00 // fmul v0.4s, v0.4s, v29.4s
	WORD	$0x6E3DDC21 // fmul v1.4s, v1.4s, v29.4s
	WORD	$0x6E3DDC42 // fmul v2.4s, v2.4s, v29.4s
	WORD	$0x6E3DDC63 // fmul v3.4s, v3.4s, v29.4s
	WORD	$0x6E38DC18 // fmul v24.4s, v0.4s, v24.4s
	WORD	$0x6E39DC39 // fmul v25.4s, v1.4s, v25.4s
	WORD	$0x6E3ADC5A // fmul v26.4s, v2.4s, v26.4s
	WORD	$0x6E3BDC7B // fmul v27.4s, v3.4s, v27.4s
	VST1.P	[V24.S4, V25.S4, V26.S4, V27.S4], 64(R8)
	SUBS	$1, R11
	BNE	panel
	RET
