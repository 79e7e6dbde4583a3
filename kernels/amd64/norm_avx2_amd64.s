//go:build !noasm

#include "textflag.h"
#include "exp_amd64.h"

// RMSNorm pieces in AVX2. Register conventions shared by the loops below:
// CX counts the elements left; Y10, Y11 (and in the unrolled loops of the
// plain sums of squares also Y12, Y13) accumulate squares as float64 lanes
// (SQACC); everything else is named at each function.

DATA nsign<>+0(SB)/8, $0x8000000080000000
DATA nsign<>+8(SB)/8, $0x8000000080000000
DATA nsign<>+16(SB)/8, $0x8000000080000000
DATA nsign<>+24(SB)/8, $0x8000000080000000
GLOBL nsign<>(SB), RODATA|NOPTR, $32
DATA none<>+0(SB)/4, $1.0
GLOBL none<>(SB), RODATA|NOPTR, $4
DATA nf127<>+0(SB)/4, $127.0
GLOBL nf127<>(SB), RODATA|NOPTR, $4
DATA nfm128<>+0(SB)/4, $-128.0
GLOBL nfm128<>(SB), RODATA|NOPTR, $4

// SQACC(r, rx) adds the squares of the 8 floats of r (rx: its low half) to
// Y10 (low 4) and Y11 (high 4) as float64. Clobbers Y8, Y9.
#define SQACC(r, rx) \
	SQACC2(r, rx, Y10, Y11)

// SQACC2(r, rx, lo, hi): SQACC into the accumulators lo and hi.
#define SQACC2(r, rx, lo, hi) \
	VCVTPS2PD   rx, Y8 \
	VEXTRACTF128 $1, r, X9 \
	VCVTPS2PD   X9, Y9 \
	VFMADD231PD Y8, Y8, lo \
	VFMADD231PD Y9, Y9, hi

// HSUM64(ret) stores the sum of the eight float64 lanes of Y10, Y11 at ret.
#define HSUM64(ret) \
	VADDPD       Y11, Y10, Y10 \
	VEXTRACTF128 $1, Y10, X11 \
	VADDPD       X11, X10, X10 \
	VHADDPD      X10, X10, X10 \
	VMOVSD       X10, ret

// SILU(a, t0, t1, t2, t3): a = a/(1+exp(-a)); t0..t3 are clobbered.
#define SILU(a, t0, t1, t2, t3) \
	VXORPS   nsign<>(SB), a, t0 \
	EXP_AVX2(t0, t1, t2, t3) \
	VADDPS   Y15, t0, t0 \
	VDIVPS   t0, a, a

// func SumSqAVX2(x []float32) float64
TEXT ·SumSqAVX2(SB), NOSPLIT, $0-32
	MOVQ   x_base+0(FP), SI   // SI: next float
	MOVQ   x_len+8(FP), CX
	VXORPD Y10, Y10, Y10
	VXORPD Y11, Y11, Y11
	VXORPD Y12, Y12, Y12
	VXORPD Y13, Y13, Y13
ss16:
	CMPQ    CX, $16
	JB      ssloop
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	SQACC2(Y0, X0, Y10, Y11)
	SQACC2(Y1, X1, Y12, Y13)
	ADDQ    $64, SI
	SUBQ    $16, CX
	JMP     ss16
ssloop:
	CMPQ    CX, $8
	JB      ssdone
	VMOVUPS (SI), Y0
	SQACC(Y0, X0)
	ADDQ    $32, SI
	SUBQ    $8, CX
	JMP     ssloop
ssdone:
	VADDPD Y12, Y10, Y10
	VADDPD Y13, Y11, Y11
	HSUM64(ret+24(FP))
	VZEROUPPER
	RET

// func AddSumSqAVX2(res, h []float32) float64
TEXT ·AddSumSqAVX2(SB), NOSPLIT, $0-56
	MOVQ   res_base+0(FP), DI // DI: next residual float (read and written)
	MOVQ   res_len+8(FP), CX
	MOVQ   h_base+24(FP), SI  // SI: next h float
	VXORPD Y10, Y10, Y10
	VXORPD Y11, Y11, Y11
	VXORPD Y12, Y12, Y12
	VXORPD Y13, Y13, Y13
as16:
	CMPQ    CX, $16
	JB      asloop
	VMOVUPS (DI), Y0
	VMOVUPS 32(DI), Y1
	VADDPS  (SI), Y0, Y0
	VADDPS  32(SI), Y1, Y1
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	SQACC2(Y0, X0, Y10, Y11)
	SQACC2(Y1, X1, Y12, Y13)
	ADDQ    $64, SI
	ADDQ    $64, DI
	SUBQ    $16, CX
	JMP     as16
asloop:
	CMPQ    CX, $8
	JB      asdone
	VMOVUPS (DI), Y0
	VADDPS  (SI), Y0, Y0
	VMOVUPS Y0, (DI)
	SQACC(Y0, X0)
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $8, CX
	JMP     asloop
asdone:
	VADDPD Y12, Y10, Y10
	VADDPD Y13, Y11, Y11
	HSUM64(ret+48(FP))
	VZEROUPPER
	RET

// func ScaleMulAVX2(out, v, w []float32, s float32)
TEXT ·ScaleMulAVX2(SB), NOSPLIT, $0-76
	MOVQ out_base+0(FP), DI    // DI: next output float
	MOVQ v_base+24(FP), SI     // SI: next v float
	MOVQ v_len+32(FP), CX
	MOVQ w_base+48(FP), DX     // DX: next weight
	VBROADCASTSS s+72(FP), Y12
smloop:
	CMPQ    CX, $8
	JB      smdone
	VMULPS  (SI), Y12, Y0
	VMULPS  (DX), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	SUBQ    $8, CX
	JMP     smloop
smdone:
	VZEROUPPER
	RET

// func ScaleMulQuantAVX2(q []int8, v, w []float32, s float32)
TEXT ·ScaleMulQuantAVX2(SB), NOSPLIT, $0-76
	MOVQ q_base+0(FP), DI      // DI: next output byte
	MOVQ v_base+24(FP), SI     // SI: next v float
	MOVQ v_len+32(FP), CX
	MOVQ w_base+48(FP), DX     // DX: next weight
	VBROADCASTSS s+72(FP), Y12
	VBROADCASTSS nf127<>(SB), Y13
	VBROADCASTSS nfm128<>(SB), Y14
sqloop:
	CMPQ         CX, $8
	JB           sqdone
	VMULPS       (SI), Y12, Y0
	VMULPS       (DX), Y0, Y0
	VMINPS       Y13, Y0, Y0   // NaN becomes 127
	VMAXPS       Y14, Y0, Y0
	VCVTPS2DQ    Y0, Y0        // round half to even
	VEXTRACTI128 $1, Y0, X1
	VPACKSSDW    X1, X0, X0
	VPACKSSWB    X0, X0, X0
	VMOVQ        X0, (DI)
	ADDQ         $32, SI
	ADDQ         $32, DX
	ADDQ         $8, DI
	SUBQ         $8, CX
	JMP          sqloop
sqdone:
	VZEROUPPER
	RET

// func GateF32AVX2(v, y, z []float32) float64
TEXT ·GateF32AVX2(SB), NOSPLIT, $0-80
	MOVQ   v_base+0(FP), DI    // DI: next output float
	MOVQ   v_len+8(FP), CX
	MOVQ   y_base+24(FP), SI   // SI: next y
	MOVQ   z_base+48(FP), DX   // DX: next z
	VBROADCASTSS none<>(SB), Y15
	VXORPD Y10, Y10, Y10
	VXORPD Y11, Y11, Y11
gfloop:
	CMPQ    CX, $8
	JB      gfdone
	VMOVUPS (DX), Y0
	SILU(Y0, Y1, Y2, Y3, Y4)
	VMULPS  (SI), Y0, Y0       // v = silu(z)·y
	VMOVUPS Y0, (DI)
	SQACC(Y0, X0)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	SUBQ    $8, CX
	JMP     gfloop
gfdone:
	HSUM64(ret+72(FP))
	VZEROUPPER
	RET

// func GateI8AVX2(v, y []float32, zq []int8, zScale float32) float64
TEXT ·GateI8AVX2(SB), NOSPLIT, $0-88
	MOVQ   v_base+0(FP), DI    // DI: next output float
	MOVQ   v_len+8(FP), CX
	MOVQ   y_base+24(FP), SI   // SI: next y
	MOVQ   zq_base+48(FP), DX  // DX: next int8 z
	VBROADCASTSS zScale+72(FP), Y12
	VBROADCASTSS none<>(SB), Y15
	VXORPD Y10, Y10, Y10
	VXORPD Y11, Y11, Y11
giloop:
	CMPQ      CX, $8
	JB        gidone
	VPMOVSXBD (DX), Y0
	VCVTDQ2PS Y0, Y0
	VMULPS    Y12, Y0, Y0      // zf = float32(z)·zScale
	SILU(Y0, Y1, Y2, Y3, Y4)
	VMULPS    (SI), Y0, Y0
	VMOVUPS   Y0, (DI)
	SQACC(Y0, X0)
	ADDQ      $32, SI
	ADDQ      $8, DX
	ADDQ      $32, DI
	SUBQ      $8, CX
	JMP       giloop
gidone:
	HSUM64(ret+80(FP))
	VZEROUPPER
	RET
