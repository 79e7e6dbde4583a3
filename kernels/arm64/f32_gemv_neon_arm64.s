//go:build !noasm

#include "textflag.h"

// func GemvF32NEON(x, w *float32, kq, np int, y, bias *float32)
//
// Decode GEMV: one float32 activation row times np packed panels (64·4·kq
// bytes each, back to back), ARMv8.0 NEON (both arm64 tiers). Per k, the 16
// weights of a panel (four q registers) are multiplied by x[k] with FMLA by
// element.
//
// Memory: the panels are taken four at a time, as four sequential streams
// (one per panel) read in step, which keeps more DRAM requests in flight
// than a single stream (on amd64 this took the same kernel from ~0.75 to
// ~1.0-1.3 of a one-stream read loop); the last np mod 4 panels run one at a
// time.
//
// Sums: every accumulator is one FMLA chain over k in ascending order, then
// the bias, if any, is added: a panel's outputs do not depend on whether it
// ran in a group (16 chains in flight) or alone, so splitting the panels
// over goroutines gives the same bits. Go's assembler has no FMLA by element
// nor vector FADD: they are WORDs, each followed by its mnemonic.
//
// Registers:
//	R7  x        R0  x cursor     R2  kq       R6  k-quads left
//	R1, R8, R9, R10  panels 0-3 of the group (R1 then the lone panel)
//	R11 bytes per panel           R3  panels left
//	R4  y        R5  bias or 0
//	V0-V15  accumulators: panel j of the group, rows 4q..4q+3 in V(4j+q);
//	        a lone panel in V0-V3
//	V16-V27 the weights of one k of three panels (rotating); a lone
//	        panel: V16-V31 the weights of 4 k
//	V28     x[k..k+3] (a lone panel: V8)
TEXT ·GemvF32NEON(SB), NOSPLIT, $0-48
	MOVD	x+0(FP), R7
	MOVD	w+8(FP), R1
	MOVD	kq+16(FP), R2
	MOVD	np+24(FP), R3
	MOVD	y+32(FP), R4
	MOVD	bias+40(FP), R5
	LSL	$8, R2, R11

group:
	CMP	$4, R3
	BLT	lone
	VEOR	V0.B16, V0.B16, V0.B16
	VEOR	V1.B16, V1.B16, V1.B16
	VEOR	V2.B16, V2.B16, V2.B16
	VEOR	V3.B16, V3.B16, V3.B16
	VEOR	V4.B16, V4.B16, V4.B16
	VEOR	V5.B16, V5.B16, V5.B16
	VEOR	V6.B16, V6.B16, V6.B16
	VEOR	V7.B16, V7.B16, V7.B16
	VEOR	V8.B16, V8.B16, V8.B16
	VEOR	V9.B16, V9.B16, V9.B16
	VEOR	V10.B16, V10.B16, V10.B16
	VEOR	V11.B16, V11.B16, V11.B16
	VEOR	V12.B16, V12.B16, V12.B16
	VEOR	V13.B16, V13.B16, V13.B16
	VEOR	V14.B16, V14.B16, V14.B16
	VEOR	V15.B16, V15.B16, V15.B16
	MOVD	R7, R0
	MOVD	R2, R6
	ADD	R11, R1, R8
	ADD	R11, R8, R9
	ADD	R11, R9, R10

	// Four k of four panels (1 KB of weights) per iteration.
gquad:
	VLD1.P	16(R0), [V28.S4]
	VLD1.P	64(R1), [V16.S4, V17.S4, V18.S4, V19.S4]
	WORD	$0x4F9C1200 // fmla v0.4s, v16.4s, v28.s[0]
	WORD	$0x4F9C1221 // fmla v1.4s, v17.4s, v28.s[0]
	WORD	$0x4F9C1242 // fmla v2.4s, v18.4s, v28.s[0]
	WORD	$0x4F9C1263 // fmla v3.4s, v19.4s, v28.s[0]
	VLD1.P	64(R8), [V20.S4, V21.S4, V22.S4, V23.S4]
	WORD	$0x4F9C1284 // fmla v4.4s, v20.4s, v28.s[0]
	WORD	$0x4F9C12A5 // fmla v5.4s, v21.4s, v28.s[0]
	WORD	$0x4F9C12C6 // fmla v6.4s, v22.4s, v28.s[0]
	WORD	$0x4F9C12E7 // fmla v7.4s, v23.4s, v28.s[0]
	VLD1.P	64(R9), [V24.S4, V25.S4, V26.S4, V27.S4]
	WORD	$0x4F9C1308 // fmla v8.4s, v24.4s, v28.s[0]
	WORD	$0x4F9C1329 // fmla v9.4s, v25.4s, v28.s[0]
	WORD	$0x4F9C134A // fmla v10.4s, v26.4s, v28.s[0]
	WORD	$0x4F9C136B // fmla v11.4s, v27.4s, v28.s[0]
	VLD1.P	64(R10), [V16.S4, V17.S4, V18.S4, V19.S4]
	WORD	$0x4F9C120C // fmla v12.4s, v16.4s, v28.s[0]
	WORD	$0x4F9C122D // fmla v13.4s, v17.4s, v28.s[0]
	WORD	$0x4F9C124E // fmla v14.4s, v18.4s, v28.s[0]
	WORD	$0x4F9C126F // fmla v15.4s, v19.4s, v28.s[0]
	VLD1.P	64(R1), [V20.S4, V21.S4, V22.S4, V23.S4]
	WORD	$0x4FBC1280 // fmla v0.4s, v20.4s, v28.s[1]
	WORD	$0x4FBC12A1 // fmla v1.4s, v21.4s, v28.s[1]
	WORD	$0x4FBC12C2 // fmla v2.4s, v22.4s, v28.s[1]
	WORD	$0x4FBC12E3 // fmla v3.4s, v23.4s, v28.s[1]
	VLD1.P	64(R8), [V24.S4, V25.S4, V26.S4, V27.S4]
	WORD	$0x4FBC1304 // fmla v4.4s, v24.4s, v28.s[1]
	WORD	$0x4FBC1325 // fmla v5.4s, v25.4s, v28.s[1]
	WORD	$0x4FBC1346 // fmla v6.4s, v26.4s, v28.s[1]
	WORD	$0x4FBC1367 // fmla v7.4s, v27.4s, v28.s[1]
	VLD1.P	64(R9), [V16.S4, V17.S4, V18.S4, V19.S4]
	WORD	$0x4FBC1208 // fmla v8.4s, v16.4s, v28.s[1]
	WORD	$0x4FBC1229 // fmla v9.4s, v17.4s, v28.s[1]
	WORD	$0x4FBC124A // fmla v10.4s, v18.4s, v28.s[1]
	WORD	$0x4FBC126B // fmla v11.4s, v19.4s, v28.s[1]
	VLD1.P	64(R10), [V20.S4, V21.S4, V22.S4, V23.S4]
	WORD	$0x4FBC128C // fmla v12.4s, v20.4s, v28.s[1]
	WORD	$0x4FBC12AD // fmla v13.4s, v21.4s, v28.s[1]
	WORD	$0x4FBC12CE // fmla v14.4s, v22.4s, v28.s[1]
	WORD	$0x4FBC12EF // fmla v15.4s, v23.4s, v28.s[1]
	VLD1.P	64(R1), [V24.S4, V25.S4, V26.S4, V27.S4]
	WORD	$0x4F9C1B00 // fmla v0.4s, v24.4s, v28.s[2]
	WORD	$0x4F9C1B21 // fmla v1.4s, v25.4s, v28.s[2]
	WORD	$0x4F9C1B42 // fmla v2.4s, v26.4s, v28.s[2]
	WORD	$0x4F9C1B63 // fmla v3.4s, v27.4s, v28.s[2]
	VLD1.P	64(R8), [V16.S4, V17.S4, V18.S4, V19.S4]
	WORD	$0x4F9C1A04 // fmla v4.4s, v16.4s, v28.s[2]
	WORD	$0x4F9C1A25 // fmla v5.4s, v17.4s, v28.s[2]
	WORD	$0x4F9C1A46 // fmla v6.4s, v18.4s, v28.s[2]
	WORD	$0x4F9C1A67 // fmla v7.4s, v19.4s, v28.s[2]
	VLD1.P	64(R9), [V20.S4, V21.S4, V22.S4, V23.S4]
	WORD	$0x4F9C1A88 // fmla v8.4s, v20.4s, v28.s[2]
	WORD	$0x4F9C1AA9 // fmla v9.4s, v21.4s, v28.s[2]
	WORD	$0x4F9C1ACA // fmla v10.4s, v22.4s, v28.s[2]
	WORD	$0x4F9C1AEB // fmla v11.4s, v23.4s, v28.s[2]
	VLD1.P	64(R10), [V24.S4, V25.S4, V26.S4, V27.S4]
	WORD	$0x4F9C1B0C // fmla v12.4s, v24.4s, v28.s[2]
	WORD	$0x4F9C1B2D // fmla v13.4s, v25.4s, v28.s[2]
	WORD	$0x4F9C1B4E // fmla v14.4s, v26.4s, v28.s[2]
	WORD	$0x4F9C1B6F // fmla v15.4s, v27.4s, v28.s[2]
	VLD1.P	64(R1), [V16.S4, V17.S4, V18.S4, V19.S4]
	WORD	$0x4FBC1A00 // fmla v0.4s, v16.4s, v28.s[3]
	WORD	$0x4FBC1A21 // fmla v1.4s, v17.4s, v28.s[3]
	WORD	$0x4FBC1A42 // fmla v2.4s, v18.4s, v28.s[3]
	WORD	$0x4FBC1A63 // fmla v3.4s, v19.4s, v28.s[3]
	VLD1.P	64(R8), [V20.S4, V21.S4, V22.S4, V23.S4]
	WORD	$0x4FBC1A84 // fmla v4.4s, v20.4s, v28.s[3]
	WORD	$0x4FBC1AA5 // fmla v5.4s, v21.4s, v28.s[3]
	WORD	$0x4FBC1AC6 // fmla v6.4s, v22.4s, v28.s[3]
	WORD	$0x4FBC1AE7 // fmla v7.4s, v23.4s, v28.s[3]
	VLD1.P	64(R9), [V24.S4, V25.S4, V26.S4, V27.S4]
	WORD	$0x4FBC1B08 // fmla v8.4s, v24.4s, v28.s[3]
	WORD	$0x4FBC1B29 // fmla v9.4s, v25.4s, v28.s[3]
	WORD	$0x4FBC1B4A // fmla v10.4s, v26.4s, v28.s[3]
	WORD	$0x4FBC1B6B // fmla v11.4s, v27.4s, v28.s[3]
	VLD1.P	64(R10), [V16.S4, V17.S4, V18.S4, V19.S4]
	WORD	$0x4FBC1A0C // fmla v12.4s, v16.4s, v28.s[3]
	WORD	$0x4FBC1A2D // fmla v13.4s, v17.4s, v28.s[3]
	WORD	$0x4FBC1A4E // fmla v14.4s, v18.4s, v28.s[3]
	WORD	$0x4FBC1A6F // fmla v15.4s, v19.4s, v28.s[3]
	SUBS	$1, R6
	BNE	gquad

	CBZ	R5, gstore
	VLD1.P	64(R5), [V16.S4, V17.S4, V18.S4, V19.S4]
	WORD	$0x4E30D400 // fadd v0.4s, v0.4s, v16.4s
	WORD	$0x4E31D421 // fadd v1.4s, v1.4s, v17.4s
	WORD	$0x4E32D442 // fadd v2.4s, v2.4s, v18.4s
	WORD	$0x4E33D463 // fadd v3.4s, v3.4s, v19.4s
	VLD1.P	64(R5), [V16.S4, V17.S4, V18.S4, V19.S4]
	WORD	$0x4E30D484 // fadd v4.4s, v4.4s, v16.4s
	WORD	$0x4E31D4A5 // fadd v5.4s, v5.4s, v17.4s
	WORD	$0x4E32D4C6 // fadd v6.4s, v6.4s, v18.4s
	WORD	$0x4E33D4E7 // fadd v7.4s, v7.4s, v19.4s
	VLD1.P	64(R5), [V16.S4, V17.S4, V18.S4, V19.S4]
	WORD	$0x4E30D508 // fadd v8.4s, v8.4s, v16.4s
	WORD	$0x4E31D529 // fadd v9.4s, v9.4s, v17.4s
	WORD	$0x4E32D54A // fadd v10.4s, v10.4s, v18.4s
	WORD	$0x4E33D56B // fadd v11.4s, v11.4s, v19.4s
	VLD1.P	64(R5), [V16.S4, V17.S4, V18.S4, V19.S4]
	WORD	$0x4E30D58C // fadd v12.4s, v12.4s, v16.4s
	WORD	$0x4E31D5AD // fadd v13.4s, v13.4s, v17.4s
	WORD	$0x4E32D5CE // fadd v14.4s, v14.4s, v18.4s
	WORD	$0x4E33D5EF // fadd v15.4s, v15.4s, v19.4s

gstore:
	VST1.P	[V0.S4, V1.S4, V2.S4, V3.S4], 64(R4)
	VST1.P	[V4.S4, V5.S4, V6.S4, V7.S4], 64(R4)
	VST1.P	[V8.S4, V9.S4, V10.S4, V11.S4], 64(R4)
	VST1.P	[V12.S4, V13.S4, V14.S4, V15.S4], 64(R4)
	MOVD	R10, R1	// the panel after the group
	SUB	$4, R3
	B	group

	// The last np mod 4 panels.
lone:
	CBZ	R3, done
	VEOR	V0.B16, V0.B16, V0.B16
	VEOR	V1.B16, V1.B16, V1.B16
	VEOR	V2.B16, V2.B16, V2.B16
	VEOR	V3.B16, V3.B16, V3.B16
	MOVD	R7, R0
	MOVD	R2, R6

lquad:
	VLD1.P	16(R0), [V8.S4]
	VLD1.P	64(R1), [V16.S4, V17.S4, V18.S4, V19.S4]
	VLD1.P	64(R1), [V20.S4, V21.S4, V22.S4, V23.S4]
	VLD1.P	64(R1), [V24.S4, V25.S4, V26.S4, V27.S4]
	VLD1.P	64(R1), [V28.S4, V29.S4, V30.S4, V31.S4]
	WORD	$0x4F881200 // fmla v0.4s, v16.4s, v8.s[0]
	WORD	$0x4F881221 // fmla v1.4s, v17.4s, v8.s[0]
	WORD	$0x4F881242 // fmla v2.4s, v18.4s, v8.s[0]
	WORD	$0x4F881263 // fmla v3.4s, v19.4s, v8.s[0]
	WORD	$0x4FA81280 // fmla v0.4s, v20.4s, v8.s[1]
	WORD	$0x4FA812A1 // fmla v1.4s, v21.4s, v8.s[1]
	WORD	$0x4FA812C2 // fmla v2.4s, v22.4s, v8.s[1]
	WORD	$0x4FA812E3 // fmla v3.4s, v23.4s, v8.s[1]
	WORD	$0x4F881B00 // fmla v0.4s, v24.4s, v8.s[2]
	WORD	$0x4F881B21 // fmla v1.4s, v25.4s, v8.s[2]
	WORD	$0x4F881B42 // fmla v2.4s, v26.4s, v8.s[2]
	WORD	$0x4F881B63 // fmla v3.4s, v27.4s, v8.s[2]
	WORD	$0x4FA81B80 // fmla v0.4s, v28.4s, v8.s[3]
	WORD	$0x4FA81BA1 // fmla v1.4s, v29.4s, v8.s[3]
	WORD	$0x4FA81BC2 // fmla v2.4s, v30.4s, v8.s[3]
	WORD	$0x4FA81BE3 // fmla v3.4s, v31.4s, v8.s[3]
	SUBS	$1, R6
	BNE	lquad

	CBZ	R5, lstore
	VLD1.P	64(R5), [V16.S4, V17.S4, V18.S4, V19.S4]
	WORD	$0x4E30D400 // fadd v0.4s, v0.4s, v16.4s
	WORD	$0x4E31D421 // fadd v1.4s, v1.4s, v17.4s
	WORD	$0x4E32D442 // fadd v2.4s, v2.4s, v18.4s
	WORD	$0x4E33D463 // fadd v3.4s, v3.4s, v19.4s

lstore:
	VST1.P	[V0.S4, V1.S4, V2.S4, V3.S4], 64(R4)
	SUB	$1, R3
	B	lone

done:
	RET
