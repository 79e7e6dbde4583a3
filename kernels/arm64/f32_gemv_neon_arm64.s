//go:build !noasm

#include "textflag.h"

// func GemvF32NEON(x, w *float32, kq, np int, y, bias *float32)
//
// Decode GEMV: one float32 activation row times np packed panels, ARMv8.0
// NEON (both arm64 tiers). The panels are one sequential stream of 64 bytes
// per k; per k the 16 weights (four q registers) are multiplied by x[k]
// with FMLA by element and added to the accumulators of the k's parity (two
// independent chains per output quarter). At the end of each panel
// y = (even + odd) (+ bias). Go's assembler has no FMLA by element nor
// vector FADD: they are WORDs, each followed by its mnemonic.
//
// Registers:
//	R7  x        R0  x cursor     R1  weights (streams through all panels)
//	R2  kq       R6  k-quads left R3  panels left
//	R4  y        R5  bias or 0
//	V0-V3   accumulators of even k, rows 4q..4q+3 in Vq
//	V4-V7   accumulators of odd k
//	V8      x[k..k+3]
//	V16-V31 the weights of 4 k (4 registers per k)
TEXT ·GemvF32NEON(SB), NOSPLIT, $0-48
	MOVD	x+0(FP), R7
	MOVD	w+8(FP), R1
	MOVD	kq+16(FP), R2
	MOVD	np+24(FP), R3
	MOVD	y+32(FP), R4
	MOVD	bias+40(FP), R5

panel:
	VEOR	V0.B16, V0.B16, V0.B16
	VEOR	V1.B16, V1.B16, V1.B16
	VEOR	V2.B16, V2.B16, V2.B16
	VEOR	V3.B16, V3.B16, V3.B16
	VEOR	V4.B16, V4.B16, V4.B16
	VEOR	V5.B16, V5.B16, V5.B16
	VEOR	V6.B16, V6.B16, V6.B16
	VEOR	V7.B16, V7.B16, V7.B16
	MOVD	R7, R0
	MOVD	R2, R6

	// Four k (256 bytes of weights) per iteration.
quad:
	VLD1.P	16(R0), [V8.S4]
	VLD1.P	64(R1), [V16.S4, V17.S4, V18.S4, V19.S4]
	VLD1.P	64(R1), [V20.S4, V21.S4, V22.S4, V23.S4]
	VLD1.P	64(R1), [V24.S4, V25.S4, V26.S4, V27.S4]
	VLD1.P	64(R1), [V28.S4, V29.S4, V30.S4, V31.S4]
	WORD	$0x4F881200 // fmla v0.4s, v16.4s, v8.s[0]
	WORD	$0x4F881221 // fmla v1.4s, v17.4s, v8.s[0]
	WORD	$0x4F881242 // fmla v2.4s, v18.4s, v8.s[0]
	WORD	$0x4F881263 // fmla v3.4s, v19.4s, v8.s[0]
	WORD	$0x4FA81284 // fmla v4.4s, v20.4s, v8.s[1]
	WORD	$0x4FA812A5 // fmla v5.4s, v21.4s, v8.s[1]
	WORD	$0x4FA812C6 // fmla v6.4s, v22.4s, v8.s[1]
	WORD	$0x4FA812E7 // fmla v7.4s, v23.4s, v8.s[1]
	WORD	$0x4F881B00 // fmla v0.4s, v24.4s, v8.s[2]
	WORD	$0x4F881B21 // fmla v1.4s, v25.4s, v8.s[2]
	WORD	$0x4F881B42 // fmla v2.4s, v26.4s, v8.s[2]
	WORD	$0x4F881B63 // fmla v3.4s, v27.4s, v8.s[2]
	WORD	$0x4FA81B84 // fmla v4.4s, v28.4s, v8.s[3]
	WORD	$0x4FA81BA5 // fmla v5.4s, v29.4s, v8.s[3]
	WORD	$0x4FA81BC6 // fmla v6.4s, v30.4s, v8.s[3]
	WORD	$0x4FA81BE7 // fmla v7.4s, v31.4s, v8.s[3]
	SUBS	$1, R6
	BNE	quad

	WORD	$0x4E24D400 // fadd v0.4s, v0.4s, v4.4s
	WORD	$0x4E25D421 // fadd v1.4s, v1.4s, v5.4s
	WORD	$0x4E26D442 // fadd v2.4s, v2.4s, v6.4s
	WORD	$0x4E27D463 // fadd v3.4s, v3.4s, v7.4s
	CBZ	R5, store
	VLD1.P	64(R5), [V16.S4, V17.S4, V18.S4, V19.S4]
	WORD	$0x4E30D400 // fadd v0.4s, v0.4s, v16.4s
	WORD	$0x4E31D421 // fadd v1.4s, v1.4s, v17.4s
	WORD	$0x4E32D442 // fadd v2.4s, v2.4s, v18.4s
	WORD	$0x4E33D463 // fadd v3.4s, v3.4s, v19.4s

store:
	VST1.P	[V0.S4, V1.S4, V2.S4, V3.S4], 64(R4)
	SUBS	$1, R3
	BNE	panel
	RET
