// exp_amd64.h: vectorised float32 exp and softplus for AVX2 + FMA kernels.
//
// Usage, in any package amd64 assembly file:
//
//	#include "textflag.h"
//	#include "exp_amd64.h"
//
//	EXP_AVX2(Y0, Y1, Y2, Y3)   // Y0 = exp(Y0), 8 lanes
//
// The header defines a file-local constant table, expconst<>, so every file
// that includes it gets its own copy; the macros address it RIP-relative and
// use no general-purpose register.
//
// Both macros are bit-for-bit twins of the pure-Go kernels.Exp and the
// softplus of the selective scans (kernels/exp.go); change them together.
//
// Algorithm (Cody-Waite reduction, Cephes expf polynomial):
//
//	x = min(max(x, -104), 89)             // NaN passes through both
//	n = roundEven(x * log2(e))
//	r = x - n*ln2hi - n*ln2lo             // two FMAs; ln2hi has 9 bits
//	p = 1 + r + r^2 * P(r)                // degree-5 P, Horner with FMAs
//	exp(x) = p * 2^(n>>1) * 2^(n - n>>1)  // two exact-exponent scalings
//
// Range: results are within about 1 ulp of exp(x) for all float32 x.
// Underflow is gradual: the split scaling keeps p * 2^(n>>1) normal, so the
// final product rounds once into the subnormal range, and exp(x) is 0 for
// x <= -103.972 (below half the smallest subnormal), exp(-Inf) = 0.
// Overflow: exp(x) = +Inf for x > 88.7228317 (and for +Inf). NaN in, NaN out.

// expconst<> holds every constant as 8 equal lanes (32 bytes), so the
// macros can use it directly as a 256-bit memory operand.
#define EXPC8(off, v) DATA expconst<>+(off)(SB)/8, $v; DATA expconst<>+(off+8)(SB)/8, $v; DATA expconst<>+(off+16)(SB)/8, $v; DATA expconst<>+(off+24)(SB)/8, $v

EXPC8(0, 0x42b2000042b20000)   // 89.0: upper clamp (exp overflows above 88.73)
EXPC8(32, 0xc2d00000c2d00000)  // -104.0: lower clamp (exp underflows to 0 below -103.98)
EXPC8(64, 0x3fb8aa3b3fb8aa3b)  // log2(e)
EXPC8(96, 0x3f3180003f318000)  // ln2hi = 0.693359375 (exact in 9 bits)
EXPC8(128, 0xb95e8083b95e8083) // ln2lo = -2.12194440e-4 (ln2 - ln2hi)
EXPC8(160, 0x3950696739506967) // P0 = 1.9875691500e-4
EXPC8(192, 0x3ab743ce3ab743ce) // P1 = 1.3981999507e-3
EXPC8(224, 0x3c0889083c088908) // P2 = 8.3334519073e-3
EXPC8(256, 0x3d2aa9c13d2aa9c1) // P3 = 4.1665795894e-2
EXPC8(288, 0x3e2aaaaa3e2aaaaa) // P4 = 1.6666665459e-1
EXPC8(320, 0x3f0000003f000000) // P5 = 0.5
EXPC8(352, 0x3f8000003f800000) // 1.0
EXPC8(384, 0x0000007f0000007f) // 127: float32 exponent bias (int32 lanes)
EXPC8(416, 0x8000000080000000) // sign bit
// Softplus: log1p(w) = w * Q(w) on [0, 1], Q of degree 9 (Chebyshev fit).
EXPC8(448, 0xbb502565bb502565) // Q9 = -0.003176057
EXPC8(480, 0x3ca017a63ca017a6) // Q8 = 0.019542526
EXPC8(512, 0xbd66e804bd66e804) // Q7 = -0.05637361
EXPC8(544, 0x3dd7eef43dd7eef4) // Q6 = 0.105436236
EXPC8(576, 0xbe1c5c84be1c5c84) // Q5 = -0.15269667
EXPC8(608, 0x3e495a183e495a18) // Q4 = 0.19663274
EXPC8(640, 0xbe7f812abe7f812a) // Q3 = -0.24951616
EXPC8(672, 0x3eaaa5eb3eaaa5eb) // Q2 = 0.3332971
EXPC8(704, 0xbeffffdcbeffffdc) // Q1 = -0.49999893
EXPC8(736, 0x3f8000003f800000) // Q0 = 1.0
GLOBL expconst<>(SB), RODATA|NOPTR, $768

// EXP_AVX2(x, t0, t1, t2): x = exp(x) on 8 float32 lanes.
//
// Register contract: x (a Y register) is input and output; t0, t1, t2 are
// distinct Y registers, distinct from x, clobbered. No other register and no
// flags are touched. Needs AVX2 and FMA. 26 instructions, 14 of them
// reading expconst<> (L1-resident in a loop).
#define EXP_AVX2(x, t0, t1, t2) \
	VMOVUPS     expconst<>+0(SB), t0; \
	VMINPS      x, t0, x; /* x = min(89, x); NaN x stays x (x is Intel's src2) */ \
	VMOVUPS     expconst<>+32(SB), t0; \
	VMAXPS      x, t0, x; /* x = max(-104, x); NaN x stays x */ \
	VMULPS      expconst<>+64(SB), x, t0; /* t0 = x*log2e */ \
	VROUNDPS    $8, t0, t0; /* n = roundEven(t0), no exceptions */ \
	VFNMADD231PS expconst<>+96(SB), t0, x; /* x -= n*ln2hi (exact) */ \
	VFNMADD231PS expconst<>+128(SB), t0, x; /* r = x - n*ln2lo */ \
	VMOVUPS     expconst<>+160(SB), t1; /* p = P0 */ \
	VFMADD213PS expconst<>+192(SB), x, t1; /* p = p*r + P1 */ \
	VFMADD213PS expconst<>+224(SB), x, t1; /* p = p*r + P2 */ \
	VFMADD213PS expconst<>+256(SB), x, t1; /* p = p*r + P3 */ \
	VFMADD213PS expconst<>+288(SB), x, t1; /* p = p*r + P4 */ \
	VFMADD213PS expconst<>+320(SB), x, t1; /* p = p*r + P5 */ \
	VMULPS      x, x, t2; /* z = r*r */ \
	VFMADD213PS x, t2, t1; /* p = p*z + r */ \
	VADDPS      expconst<>+352(SB), t1, t1; /* p += 1 */ \
	VCVTTPS2DQ  t0, t0; /* n as int32 (exact: integral) */ \
	VPSRAD      $1, t0, t2; /* n1 = n >> 1 */ \
	VPSUBD      t2, t0, t0; /* n2 = n - n1 */ \
	VPADDD      expconst<>+384(SB), t2, t2; /* 2^n1 = (n1 + 127) << 23 */ \
	VPSLLD      $23, t2, t2; \
	VPADDD      expconst<>+384(SB), t0, t0; /* 2^n2 = (n2 + 127) << 23 */ \
	VPSLLD      $23, t0, t0; \
	VMULPS      t2, t1, t1; /* p * 2^n1 (exact) */ \
	VMULPS      t0, t1, x /* x = p * 2^n1 * 2^n2 (one rounding) */

// SOFTPLUS_AVX2(x, t0, t1, t2, t3): x = softplus(x) = log(1 + exp(x)) on 8
// float32 lanes, computed as max(x, 0) + log1p(w) with w = exp(-|x|) and
// log1p(w) = w * Q(w). Within about 2 ulp; equal to x for x > 20 (the
// correction is below half an ulp there), as the reference's identity
// branch.
//
// Register contract: x is input and output; t0..t3 are distinct Y registers,
// distinct from x, clobbered. Needs AVX2 and FMA.
#define SOFTPLUS_AVX2(x, t0, t1, t2, t3) \
	VORPS       expconst<>+416(SB), x, t3; /* t3 = -|x| */ \
	EXP_AVX2(t3, t0, t1, t2); /* w = exp(-|x|) */ \
	VMOVUPS     expconst<>+448(SB), t0; /* q = Q9 */ \
	VFMADD213PS expconst<>+480(SB), t3, t0; /* q = q*w + Q8 */ \
	VFMADD213PS expconst<>+512(SB), t3, t0; /* ... Horner down to Q0 */ \
	VFMADD213PS expconst<>+544(SB), t3, t0; \
	VFMADD213PS expconst<>+576(SB), t3, t0; \
	VFMADD213PS expconst<>+608(SB), t3, t0; \
	VFMADD213PS expconst<>+640(SB), t3, t0; \
	VFMADD213PS expconst<>+672(SB), t3, t0; \
	VFMADD213PS expconst<>+704(SB), t3, t0; \
	VFMADD213PS expconst<>+736(SB), t3, t0; \
	VMULPS      t3, t0, t0; /* log1p(w) = q*w */ \
	VXORPS      t1, t1, t1; \
	VMAXPS      x, t1, x; /* x = max(x, 0); NaN x stays x */ \
	VADDPS      t0, x, x /* x = max(x, 0) + log1p(w) */
