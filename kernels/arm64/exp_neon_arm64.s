//go:build !noasm

#include "textflag.h"
#include "exp_arm64.h"

// func ExpNEON(dst, src []float32)
//
// R0 = dst, R1 = src, R2 = elements left (a multiple of 4). Main loop: 8
// lanes per iteration in two independent chains (V0 with temps V2-V4, V1
// with temps V5-V7).
TEXT ·ExpNEON(SB), NOSPLIT, $0-48
	MOVD dst_base+0(FP), R0
	MOVD src_base+24(FP), R1
	MOVD src_len+32(FP), R2
	AND  $~3, R2
	EXP_NEON_CONST(R3)

loop8:
	CMP  $8, R2
	BLT  tail4
	VLD1.P 32(R1), [V0.S4, V1.S4]
	EXP_NEON(0, 2, 3, 4)
	EXP_NEON(1, 5, 6, 7)
	VST1.P [V0.S4, V1.S4], 32(R0)
	SUB  $8, R2
	B    loop8

tail4:
	CBZ  R2, done
	VLD1 (R1), [V0.S4]
	EXP_NEON(0, 1, 2, 3)
	VST1 [V0.S4], (R0)

done:
	RET

// func SoftplusNEON(dst, src []float32)
//
// R0 = dst, R1 = src, R2 = vectors of 4 left.
TEXT ·SoftplusNEON(SB), NOSPLIT, $0-48
	MOVD dst_base+0(FP), R0
	MOVD src_base+24(FP), R1
	MOVD src_len+32(FP), R2
	LSR  $2, R2, R2
	CBZ  R2, spdone
	EXP_NEON_CONST(R3)

sploop:
	VLD1.P 16(R1), [V0.S4]
	SOFTPLUS_NEON(0, 1, 2, 3, 4)
	VST1.P [V0.S4], 16(R0)
	SUBS   $1, R2, R2
	BNE    sploop

spdone:
	RET
