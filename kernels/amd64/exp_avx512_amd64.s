//go:build !noasm

#include "textflag.h"
#include "exp_avx512_amd64.h"

// EXP512_TAIL_MASK sets K1 to the low CX bits (0 < CX < 16). Clobbers AX.
#define EXP512_TAIL_MASK \
	MOVL  $1, AX; \
	SHLL  CX, AX; \
	DECL  AX; \
	KMOVW AX, K1

// func ExpAVX512(dst, src []float32)
//
// DI = dst, SI = src, CX = elements left. Main loop: 64 lanes per
// iteration in four independent chains (Z0, Z4, Z8, Z12, each with three
// temporaries) so their latencies overlap; then single vectors of 16; the
// last len%16 elements go through masked loads and stores (masked-off
// lanes are neither read nor written).
TEXT ·ExpAVX512(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ src_base+24(FP), SI
	MOVQ src_len+32(FP), CX
	EXP512_CONST

loop64:
	CMPQ    CX, $64
	JLT     loop16
	VMOVUPS (SI), Z0
	VMOVUPS 64(SI), Z4
	VMOVUPS 128(SI), Z8
	VMOVUPS 192(SI), Z12
	EXP_AVX512(Z0, Z1, Z2, Z3)
	EXP_AVX512(Z4, Z5, Z6, Z7)
	EXP_AVX512(Z8, Z9, Z10, Z11)
	EXP_AVX512(Z12, Z13, Z14, Z15)
	VMOVUPS Z0, (DI)
	VMOVUPS Z4, 64(DI)
	VMOVUPS Z8, 128(DI)
	VMOVUPS Z12, 192(DI)
	ADDQ    $256, SI
	ADDQ    $256, DI
	SUBQ    $64, CX
	JMP     loop64

loop16:
	CMPQ    CX, $16
	JLT     tail
	VMOVUPS (SI), Z0
	EXP_AVX512(Z0, Z1, Z2, Z3)
	VMOVUPS Z0, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DI
	SUBQ    $16, CX
	JMP     loop16

tail:
	TESTQ     CX, CX
	JZ        done
	EXP512_TAIL_MASK
	VMOVUPS.Z (SI), K1, Z0
	EXP_AVX512(Z0, Z1, Z2, Z3)
	VMOVUPS   Z0, K1, (DI)

done:
	VZEROUPPER
	RET

// func SoftplusAVX512(dst, src []float32)
//
// DI = dst, SI = src, CX = elements left. 32 lanes per iteration in two
// chains, then 16, then a masked tail as ExpAVX512.
TEXT ·SoftplusAVX512(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ src_base+24(FP), SI
	MOVQ src_len+32(FP), CX
	EXP512_CONST

sploop32:
	CMPQ    CX, $32
	JLT     sploop16
	VMOVUPS (SI), Z0
	VMOVUPS 64(SI), Z5
	SOFTPLUS_AVX512(Z0, Z1, Z2, Z3, Z4)
	SOFTPLUS_AVX512(Z5, Z6, Z7, Z8, Z9)
	VMOVUPS Z0, (DI)
	VMOVUPS Z5, 64(DI)
	ADDQ    $128, SI
	ADDQ    $128, DI
	SUBQ    $32, CX
	JMP     sploop32

sploop16:
	CMPQ    CX, $16
	JLT     sptail
	VMOVUPS (SI), Z0
	SOFTPLUS_AVX512(Z0, Z1, Z2, Z3, Z4)
	VMOVUPS Z0, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DI
	SUBQ    $16, CX
	JMP     sploop16

sptail:
	TESTQ     CX, CX
	JZ        spdone
	EXP512_TAIL_MASK
	VMOVUPS.Z (SI), K1, Z0
	SOFTPLUS_AVX512(Z0, Z1, Z2, Z3, Z4)
	VMOVUPS   Z0, K1, (DI)

spdone:
	VZEROUPPER
	RET
