//go:build !noasm

#include "textflag.h"
#include "exp_amd64.h"

// func ExpAVX2(dst, src []float32)
//
// DI = dst, SI = src, CX = elements left (a multiple of 8).
// Main loop: 16 lanes per iteration in two independent chains
// (Y0 with temps Y1-Y3, Y4 with temps Y5-Y7) so their latencies overlap.
TEXT ·ExpAVX2(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ src_base+24(FP), SI
	MOVQ src_len+32(FP), CX
	ANDQ $-8, CX

loop16:
	CMPQ CX, $16
	JLT  tail8
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y4
	EXP_AVX2(Y0, Y1, Y2, Y3)
	EXP_AVX2(Y4, Y5, Y6, Y7)
	VMOVUPS Y0, (DI)
	VMOVUPS Y4, 32(DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JMP  loop16

tail8:
	TESTQ CX, CX
	JZ    done
	VMOVUPS (SI), Y0
	EXP_AVX2(Y0, Y1, Y2, Y3)
	VMOVUPS Y0, (DI)

done:
	VZEROUPPER
	RET

// func SoftplusAVX2(dst, src []float32)
//
// DI = dst, SI = src, CX = elements left (a multiple of 8).
TEXT ·SoftplusAVX2(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ src_base+24(FP), SI
	MOVQ src_len+32(FP), CX
	SHRQ $3, CX
	JZ   spdone

sploop:
	VMOVUPS (SI), Y0
	SOFTPLUS_AVX2(Y0, Y1, Y2, Y3, Y4)
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     sploop
	VZEROUPPER

spdone:
	RET
