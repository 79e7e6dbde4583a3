// exp_avx512_amd64.h: vectorised float32 exp and softplus for AVX-512 (F)
// kernels, 16 lanes per ZMM register. The 512-bit twin of exp_amd64.h.
//
// Usage, in any package amd64 assembly file:
//
//	#include "textflag.h"
//	#include "exp_avx512_amd64.h"
//
//	EXP512_CONST               // Z20..Z31 = the exp constants
//	EXP_AVX512(Z0, Z1, Z2, Z3) // Z0 = exp(Z0), 16 lanes
//
// The header defines a file-local constant table, expc16<>, of single
// float32 values (read with VBROADCASTSS or embedded broadcasts). The exp
// constants live in Z20..Z31 while the macros run (EXP512_CONST loads
// them): a kernel that includes this header must leave those registers
// alone between EXP512_CONST and its last EXP_AVX512 / SOFTPLUS_AVX512.
//
// Both macros are bit-for-bit twins of the pure-Go kernels.Exp and the
// softplus of the selective scans (kernels/exp.go), as EXP_AVX2 and
// SOFTPLUS_AVX2 are; change them together.
//
// Algorithm: the one of EXP_AVX2 (Cody-Waite reduction, Cephes expf
// polynomial), with the final scaling done by VSCALEFPS:
//
//	x = min(max(x, -104), 89)             // NaN passes through both
//	n = roundEven(x * log2(e))
//	r = x - n*ln2hi - n*ln2lo             // two FMAs; ln2hi has 9 bits
//	p = 1 + r + r^2 * P(r)                // degree-5 P, Horner with FMAs
//	exp(x) = scalef(p, n) = p * 2^n       // rounded once
//
// The pure-Go Exp scales by 2^(n>>1) (exact: p*2^(n>>1) stays normal) and
// then by 2^(n - n>>1), rounding once; VSCALEFPS rounds the exact p*2^n
// once: the same value, also in the subnormal range (n >= -150) and on
// overflow (n = 128 gives +Inf for p >= 1 and the largest finite values
// below). NaN in, NaN out.

#define EXPC16(off, v) DATA expc16<>+(off)(SB)/4, $v

EXPC16(0, 0x42b20000)  // 89.0: upper clamp
EXPC16(4, 0xc2d00000)  // -104.0: lower clamp
EXPC16(8, 0x3fb8aa3b)  // log2(e)
EXPC16(12, 0x3f318000) // ln2hi = 0.693359375
EXPC16(16, 0xb95e8083) // ln2lo = -2.12194440e-4
EXPC16(20, 0x39506967) // P0 = 1.9875691500e-4
EXPC16(24, 0x3ab743ce) // P1 = 1.3981999507e-3
EXPC16(28, 0x3c088908) // P2 = 8.3334519073e-3
EXPC16(32, 0x3d2aa9c1) // P3 = 4.1665795894e-2
EXPC16(36, 0x3e2aaaaa) // P4 = 1.6666665459e-1
EXPC16(40, 0x3f000000) // P5 = 0.5
EXPC16(44, 0x3f800000) // 1.0
EXPC16(48, 0x80000000) // sign bit
// Softplus: log1p(w) = w * Q(w) on [0, 1], Q of degree 9 (Chebyshev fit).
EXPC16(52, 0xbb502565) // Q9 = -0.003176057
EXPC16(56, 0x3ca017a6) // Q8 = 0.019542526
EXPC16(60, 0xbd66e804) // Q7 = -0.05637361
EXPC16(64, 0x3dd7eef4) // Q6 = 0.105436236
EXPC16(68, 0xbe1c5c84) // Q5 = -0.15269667
EXPC16(72, 0x3e495a18) // Q4 = 0.19663274
EXPC16(76, 0xbe7f812a) // Q3 = -0.24951616
EXPC16(80, 0x3eaaa5eb) // Q2 = 0.3332971
EXPC16(84, 0xbeffffdc) // Q1 = -0.49999893
EXPC16(88, 0x3f800000) // Q0 = 1.0
GLOBL expc16<>(SB), RODATA|NOPTR, $92

// EXP512_CONST loads the exp constants into Z20..Z31.
#define EXP512_CONST \
	VBROADCASTSS expc16<>+0(SB), Z31; \
	VBROADCASTSS expc16<>+4(SB), Z30; \
	VBROADCASTSS expc16<>+8(SB), Z29; \
	VBROADCASTSS expc16<>+12(SB), Z28; \
	VBROADCASTSS expc16<>+16(SB), Z27; \
	VBROADCASTSS expc16<>+20(SB), Z26; \
	VBROADCASTSS expc16<>+24(SB), Z25; \
	VBROADCASTSS expc16<>+28(SB), Z24; \
	VBROADCASTSS expc16<>+32(SB), Z23; \
	VBROADCASTSS expc16<>+36(SB), Z22; \
	VBROADCASTSS expc16<>+40(SB), Z21; \
	VBROADCASTSS expc16<>+44(SB), Z20

// EXP_AVX512(x, t0, t1, t2): x = exp(x) on 16 float32 lanes.
//
// Register contract: x (a Z register) is input and output; t0, t1, t2 are
// distinct Z registers, distinct from x and from Z20..Z31, clobbered.
// Reads Z20..Z31 (EXP512_CONST). No general-purpose register, mask
// register or flag is touched. Needs AVX-512 F. 16 instructions.
#define EXP_AVX512(x, t0, t1, t2) \
	VMINPS       x, Z31, x; /* x = min(89, x); NaN x stays x (x is Intel's src2) */ \
	VMAXPS       x, Z30, x; /* x = max(-104, x); NaN x stays x */ \
	VMULPS       Z29, x, t0; /* t0 = x*log2e */ \
	VRNDSCALEPS  $8, t0, t0; /* n = roundEven(t0), no exceptions */ \
	VFNMADD231PS Z28, t0, x; /* x -= n*ln2hi (exact) */ \
	VFNMADD231PS Z27, t0, x; /* r = x - n*ln2lo */ \
	VMOVAPS      Z26, t1; /* p = P0 */ \
	VFMADD213PS  Z25, x, t1; /* p = p*r + P1 */ \
	VFMADD213PS  Z24, x, t1; /* p = p*r + P2 */ \
	VFMADD213PS  Z23, x, t1; /* p = p*r + P3 */ \
	VFMADD213PS  Z22, x, t1; /* p = p*r + P4 */ \
	VFMADD213PS  Z21, x, t1; /* p = p*r + P5 */ \
	VMULPS       x, x, t2; /* z = r*r */ \
	VFMADD213PS  x, t2, t1; /* p = p*z + r */ \
	VADDPS       Z20, t1, t1; /* p += 1 */ \
	VSCALEFPS    t0, t1, x /* x = p * 2^n, one rounding */

// SOFTPLUS_AVX512(x, t0, t1, t2, t3): x = softplus(x) = log(1 + exp(x))
// on 16 float32 lanes, as max(x, 0) + log1p(w) with w = exp(-|x|) and
// log1p(w) = w * Q(w): the twin of SOFTPLUS_AVX2 and the pure-Go softplus.
//
// Register contract: x is input and output; t0..t3 are distinct Z
// registers, distinct from x and Z20..Z31, clobbered. Reads Z20..Z31.
#define SOFTPLUS_AVX512(x, t0, t1, t2, t3) \
	VPORD.BCST   expc16<>+48(SB), x, t3; /* t3 = -|x| */ \
	EXP_AVX512(t3, t0, t1, t2); /* w = exp(-|x|) */ \
	VBROADCASTSS expc16<>+52(SB), t0; /* q = Q9 */ \
	VFMADD213PS.BCST expc16<>+56(SB), t3, t0; /* q = q*w + Q8 */ \
	VFMADD213PS.BCST expc16<>+60(SB), t3, t0; /* ... Horner down to Q0 */ \
	VFMADD213PS.BCST expc16<>+64(SB), t3, t0; \
	VFMADD213PS.BCST expc16<>+68(SB), t3, t0; \
	VFMADD213PS.BCST expc16<>+72(SB), t3, t0; \
	VFMADD213PS.BCST expc16<>+76(SB), t3, t0; \
	VFMADD213PS.BCST expc16<>+80(SB), t3, t0; \
	VFMADD213PS.BCST expc16<>+84(SB), t3, t0; \
	VFMADD213PS.BCST expc16<>+88(SB), t3, t0; \
	VMULPS       t3, t0, t0; /* log1p(w) = q*w */ \
	VPXORD       t1, t1, t1; \
	VMAXPS       x, t1, x; /* x = max(x, 0); NaN x stays x */ \
	VADDPS       t0, x, x /* x = max(x, 0) + log1p(w) */
