// exp_arm64.h: NEON encodings, float32 exp and softplus on 4 lanes, and
// the base-2 exp of the Mamba1 scan, as bit-for-bit twins of kernels.Exp,
// kernels.softplus and kernels.scanExp2 (kernels/exp.go, kernels/scan.go).
//
// Go's arm64 assembler lacks most vector floating-point mnemonics; the
// E_* macros emit them as WORDs. Operands are register numbers (V0..V31),
// lane arrangement 4S (or 16B for the bitwise ones).
//
// EXP_NEON and SOFTPLUS_NEON keep their constants in registers: call
// EXP_NEON_CONST(R) first (R: a scratch general register); it loads
// V10..V31 and the macros never write them.

#define E_FADD(d, n, m)   WORD $(0x4E20D400 | ((m)<<16) | ((n)<<5) | (d)) // d = n + m
#define E_FSUB(d, n, m)   WORD $(0x4EA0D400 | ((m)<<16) | ((n)<<5) | (d)) // d = n - m
#define E_FMUL(d, n, m)   WORD $(0x6E20DC00 | ((m)<<16) | ((n)<<5) | (d)) // d = n * m
#define E_FDIV(d, n, m)   WORD $(0x6E20FC00 | ((m)<<16) | ((n)<<5) | (d)) // d = n / m
#define E_FMLA(d, n, m)   WORD $(0x4E20CC00 | ((m)<<16) | ((n)<<5) | (d)) // d = d + n*m (fused)
#define E_FMLS(d, n, m)   WORD $(0x4EA0CC00 | ((m)<<16) | ((n)<<5) | (d)) // d = d - n*m (fused)
#define E_FMIN(d, n, m)   WORD $(0x4EA0F400 | ((m)<<16) | ((n)<<5) | (d)) // NaN if either is NaN
#define E_FMAX(d, n, m)   WORD $(0x4E20F400 | ((m)<<16) | ((n)<<5) | (d))
#define E_FMINNM(d, n, m) WORD $(0x4EA0C400 | ((m)<<16) | ((n)<<5) | (d)) // the number if one is NaN
#define E_FMAXNM(d, n, m) WORD $(0x4E20C400 | ((m)<<16) | ((n)<<5) | (d))
#define E_FCMGT(d, n, m)  WORD $(0x6EA0E400 | ((m)<<16) | ((n)<<5) | (d)) // d = n > m ? ~0 : 0
#define E_FNEG(d, n)      WORD $(0x6EA0F800 | ((n)<<5) | (d))
#define E_FRINTN(d, n)    WORD $(0x4E218800 | ((n)<<5) | (d)) // round to nearest even
#define E_FCVTNS(d, n)    WORD $(0x4E21A800 | ((n)<<5) | (d)) // to int32, nearest even
#define E_FCVTZS(d, n)    WORD $(0x4EA1B800 | ((n)<<5) | (d)) // to int32, toward zero
#define E_SCVTF(d, n)     WORD $(0x4E21D800 | ((n)<<5) | (d))
#define E_SSHR(d, n, sh)  WORD $(0x4F000400 | ((64-(sh))<<16) | ((n)<<5) | (d))
#define E_SHL(d, n, sh)   WORD $(0x4F005400 | ((32+(sh))<<16) | ((n)<<5) | (d))
#define E_IADD(d, n, m)   WORD $(0x4EA08400 | ((m)<<16) | ((n)<<5) | (d))
#define E_ISUB(d, n, m)   WORD $(0x6EA08400 | ((m)<<16) | ((n)<<5) | (d))
#define E_ORR(d, n, m)    WORD $(0x4EA01C00 | ((m)<<16) | ((n)<<5) | (d))
#define E_BIC(d, n, m)    WORD $(0x4E601C00 | ((m)<<16) | ((n)<<5) | (d)) // d = n & ~m
#define E_MOV(d, n)       E_ORR(d, n, n)
#define E_EOR(d, n, m)    WORD $(0x6E201C00 | ((m)<<16) | ((n)<<5) | (d))
#define E_FABS(d, n)      WORD $(0x4EA0F800 | ((n)<<5) | (d))
#define E_SXTL8H(d, n)    WORD $(0x0F08A400 | ((n)<<5) | (d)) // 8 int8 (low half) -> 8 int16
#define E_SXTL4S(d, n)    WORD $(0x0F10A400 | ((n)<<5) | (d)) // low 4 int16 -> 4 int32
#define E_SXTL24S(d, n)   WORD $(0x4F10A400 | ((n)<<5) | (d)) // high 4 int16 -> 4 int32
#define E_SXTL28H(d, n)   WORD $(0x4F08A400 | ((n)<<5) | (d)) // high 8 int8 -> 8 int16
#define E_SQXTN4H(d, n)   WORD $(0x0E614800 | ((n)<<5) | (d)) // 4 int32 -> low 4 int16
#define E_SQXTN28H(d, n)  WORD $(0x4E614800 | ((n)<<5) | (d)) // 4 int32 -> high 4 int16
#define E_SQXTN8B(d, n)   WORD $(0x0E214800 | ((n)<<5) | (d)) // 8 int16 -> 8 int8

// expneonc<>: the softplus polynomial Q0..Q9 (kernels.softplusQ) and the
// exp constants, one float32 each, broadcast into V10..V31 by
// EXP_NEON_CONST.
DATA expneonc<>+0(SB)/4, $0x3f800000  // V10: Q0 = 1.0
DATA expneonc<>+4(SB)/4, $0xbeffffdc  // V11: Q1
DATA expneonc<>+8(SB)/4, $0x3eaaa5eb  // V12: Q2
DATA expneonc<>+12(SB)/4, $0xbe7f812a // V13: Q3
DATA expneonc<>+16(SB)/4, $0x3e495a18 // V14: Q4
DATA expneonc<>+20(SB)/4, $0xbe1c5c84 // V15: Q5
DATA expneonc<>+24(SB)/4, $0x3dd7eef4 // V16: Q6
DATA expneonc<>+28(SB)/4, $0xbd66e804 // V17: Q7
DATA expneonc<>+32(SB)/4, $0x3ca017a6 // V18: Q8
DATA expneonc<>+36(SB)/4, $0xbb502565 // V19: Q9
DATA expneonc<>+40(SB)/4, $0x42b20000 // V20: 89.0, upper clamp
DATA expneonc<>+44(SB)/4, $0xc2d00000 // V21: -104.0, lower clamp
DATA expneonc<>+48(SB)/4, $0x3fb8aa3b // V22: log2(e)
DATA expneonc<>+52(SB)/4, $0x3f318000 // V23: ln2hi
DATA expneonc<>+56(SB)/4, $0xb95e8083 // V24: ln2lo
DATA expneonc<>+60(SB)/4, $0x39506967 // V25: P0
DATA expneonc<>+64(SB)/4, $0x3ab743ce // V26: P1
DATA expneonc<>+68(SB)/4, $0x3c088908 // V27: P2
DATA expneonc<>+72(SB)/4, $0x3d2aa9c1 // V28: P3
DATA expneonc<>+76(SB)/4, $0x3e2aaaaa // V29: P4
DATA expneonc<>+80(SB)/4, $0x3f000000 // V30: P5 = 0.5
DATA expneonc<>+84(SB)/4, $0x3f800000 // V31: 1.0
GLOBL expneonc<>(SB), RODATA|NOPTR, $88

#define EXP_NEON_CONST(R) \
	MOVD    $expneonc<>(SB), R \
	VLD1R.P 4(R), [V10.S4] \
	VLD1R.P 4(R), [V11.S4] \
	VLD1R.P 4(R), [V12.S4] \
	VLD1R.P 4(R), [V13.S4] \
	VLD1R.P 4(R), [V14.S4] \
	VLD1R.P 4(R), [V15.S4] \
	VLD1R.P 4(R), [V16.S4] \
	VLD1R.P 4(R), [V17.S4] \
	VLD1R.P 4(R), [V18.S4] \
	VLD1R.P 4(R), [V19.S4] \
	VLD1R.P 4(R), [V20.S4] \
	VLD1R.P 4(R), [V21.S4] \
	VLD1R.P 4(R), [V22.S4] \
	VLD1R.P 4(R), [V23.S4] \
	VLD1R.P 4(R), [V24.S4] \
	VLD1R.P 4(R), [V25.S4] \
	VLD1R.P 4(R), [V26.S4] \
	VLD1R.P 4(R), [V27.S4] \
	VLD1R.P 4(R), [V28.S4] \
	VLD1R.P 4(R), [V29.S4] \
	VLD1R.P 4(R), [V30.S4] \
	VLD1R.P 4(R), [V31.S4]

// EXP_NEON(x, t0, t1, t2): Vx = exp(Vx) on 4 lanes (kernels.Exp);
// Vt0..Vt2 clobbered; all distinct and below V10. The scaling by 2^n goes
// in two exact steps, so underflow is gradual as in the Go code;
// 2^k = (k << 23) + bits(1.0), with V31 = 1.0. FMIN/FMAX propagate NaN.
#define EXP_NEON(x, t0, t1, t2) \
	E_FMIN(x, x, 20)   /* x = min(x, 89) */ \
	E_FMAX(x, x, 21)   /* x = max(x, -104) */ \
	E_FMUL(t0, x, 22)  /* x*log2e */ \
	E_FRINTN(t0, t0)   /* n */ \
	E_FMLS(x, t0, 23)  /* x -= n*ln2hi */ \
	E_FMLS(x, t0, 24)  /* r = x - n*ln2lo */ \
	E_MOV(t1, 26)      \
	E_FMLA(t1, 25, x)  /* p = P1 + P0*r */ \
	E_MOV(t2, 27)      \
	E_FMLA(t2, t1, x)  /* p = P2 + p*r */ \
	E_MOV(t1, 28)      \
	E_FMLA(t1, t2, x)  /* p = P3 + p*r */ \
	E_MOV(t2, 29)      \
	E_FMLA(t2, t1, x)  /* p = P4 + p*r */ \
	E_MOV(t1, 30)      \
	E_FMLA(t1, t2, x)  /* p = P5 + p*r */ \
	E_FMUL(t2, x, x)   /* z = r*r */ \
	E_FMLA(x, t1, t2)  /* p = r + p*z */ \
	E_FADD(x, x, 31)   /* p += 1 */ \
	E_FCVTZS(t0, t0)   \
	E_SSHR(t1, t0, 1)  /* n1 = n >> 1 */ \
	E_ISUB(t0, t0, t1) /* n2 = n - n1 */ \
	E_SHL(t1, t1, 23)  \
	E_SHL(t0, t0, 23)  \
	E_IADD(t1, t1, 31) /* 2^n1 */ \
	E_IADD(t0, t0, 31) /* 2^n2 */ \
	E_FMUL(x, x, t1)   /* exact */ \
	E_FMUL(x, x, t0)   /* one rounding */

// SOFTPLUS_NEON(x, t0, t1, t2, t3): Vx = softplus(Vx) on 4 lanes
// (kernels.softplus): max(x, 0) + w*Q(w) with w = exp(-|x|). Vt0..Vt3
// clobbered; all distinct and below V10. FMAX keeps NaN; it returns +0
// where the Go code keeps -0, which the sum with w*Q(w) > 0 (or +0)
// makes no difference to.
#define SOFTPLUS_NEON(x, t0, t1, t2, t3) \
	E_FABS(t3, x)      \
	E_FNEG(t3, t3)     /* -|x| */ \
	EXP_NEON(t3, t0, t1, t2) /* w */ \
	E_MOV(t0, 18)      \
	E_FMLA(t0, 19, t3) /* q = Q8 + Q9*w */ \
	E_MOV(t1, 17)      \
	E_FMLA(t1, t0, t3) /* q = Q7 + q*w */ \
	E_MOV(t0, 16)      \
	E_FMLA(t0, t1, t3) \
	E_MOV(t1, 15)      \
	E_FMLA(t1, t0, t3) \
	E_MOV(t0, 14)      \
	E_FMLA(t0, t1, t3) \
	E_MOV(t1, 13)      \
	E_FMLA(t1, t0, t3) \
	E_MOV(t0, 12)      \
	E_FMLA(t0, t1, t3) \
	E_MOV(t1, 11)      \
	E_FMLA(t1, t0, t3) \
	E_MOV(t0, 10)      \
	E_FMLA(t0, t1, t3) /* q = Q0 + q*w */ \
	E_FMUL(t0, t0, t3) /* log1p(w) = q*w */ \
	E_EOR(t1, t1, t1)  \
	E_FMAX(x, x, t1)   /* max(x, 0) */ \
	E_FADD(x, x, t0)
