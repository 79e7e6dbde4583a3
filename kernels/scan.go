package kernels

import (
	"fmt"
	"math"
	"sync"
)

// The quantized selective scans of Mamba1 (ScanM1) and Mamba2 (ScanM2).
//
// State layouts. Both scans keep their recurrent state in a "scan layout"
// chosen for SIMD: the innermost, contiguous index is a channel index, so 8
// lanes update 8 channels of one state index n at once and the sum over n
// is a plain loop (no horizontal sums):
//
//	Mamba1: state and A as [⌈E/8⌉][N][8]  (natural layout [E][N]: ssm_state, A_log)
//	Mamba2: state as [H][N][P]             (natural layout [H][P][N]: ssm_state)
//
// Mamba1 element (c, n) is at (c/8)·8N + 8n + c%8 (ScanIndexM1): blocks of 8
// channels, each holding its N rows of 8 lanes contiguously (512 bytes for
// N = 16). A plain [N][E] layout would put rows E·4 bytes apart, and for E
// a multiple of 512 the store of row n and the load of row n+2 then share
// their address bits 0-11, which costs x86 a false store-to-load
// dependency per row (measured: 1.5x slower at E = 1536, 2.7x at 1024).
// A Mamba1 state therefore has ScanLenM1(E, N) = ⌈E/8⌉·8·N elements; the
// padding lanes of a last partial block are never read.
//
// ScanLayoutM1/NaturalLayoutM1 and ScanLayoutM2/NaturalLayoutM2 convert. The
// scales of an int8 state (StateQ8) stay in their natural layout.
//
// Arithmetic. Everything is float32 with the exact operation order written
// in the pure-Go kernels below, which are the specification: the SIMD tiers
// perform the same operations in the same order, with fused multiply-adds
// where the Go code calls expFMA, and return the same bits (the tests check
// equality). Against a float64 evaluation of the textbook formulas the
// result is within about 1e-5 relative to the magnitudes of the summed
// terms (see scanTol in the tests); exp and softplus are within 1 and 2 ulp.

// ScanM1Params are the per-layer constants of a Mamba1 selective scan with
// int8 inputs (Quamba W8A8, quamba.md §3.2).
type ScanM1Params struct {
	E, N int // channels (d_inner) and states per channel (d_state)

	// Ld is the row stride of u, dt, z and y (0: E). A scan of channels
	// [c0, c0+E) of wider rows (a prefill split over goroutines) passes
	// the rows' width and the slices from channel c0 on, instead of
	// copying the columns out and back.
	Ld int

	A      []float32 // scan layout [⌈E/8⌉][N][8]: -exp(A_log[c][n]) at ScanIndexM1(c, n, N)
	D      []float32 // [E]
	DtBias []float32 // [E]: dt_proj bias, added before softplus

	// Per-tensor scales of the int8 inputs u, dt (dt_proj output before
	// bias and softplus), B, C and z.
	SU, SDt, SB, SC, SZ float32
}

// StateQ8 is an int8 SSM state with float32 scales per (channel group,
// state index): element (c, n) is Q[...]·Scale[(c/Group)*N+n], where c is a
// channel (Mamba1: 0 ≤ c < E; Mamba2: the flat index h*P+p) and Q is in the
// scan layout of the kernel. Group must divide the channel count; a
// per-tensor scale is Group = channel count with N equal scales.
// Requantization rounds q = h·(1/scale) half to even (the reciprocal
// rounded to float32 first) and saturates to [-128, 127]. The SIMD tiers
// need Group to be a multiple of 8, and for Mamba2 P too (else the pure-Go
// kernel runs).
type StateQ8 struct {
	Q     []int8
	Scale []float32 // [channels/Group][N]
	Group int
}

// ScanM1 runs the Mamba1 quantized selective scan over L tokens: per token
// t, channel c and state n,
//
//	delta = softplus(SDt·dt[t][c] + DtBias[c])
//	u     = SU·u[t][c]
//	h[n][c] = exp(delta·A[n][c])·h[n][c] + delta·u·(SB·B[t][n])
//	y[t][c] = (Σ_n (SC·C[t][n])·h[n][c] + D[c]·u) · silu(SZ·z[t][c])
//
// u, dt, z are [L][E] int8, B and C [L][N] int8, y is [L][E] float32, and
// state is the float32 scan-layout state (ScanLenM1(E, N) elements), read
// as the initial state and overwritten with the final one (zero it for a
// fresh prefill). A decode step is L = 1 (ScanM1Step). It panics on short
// slices.
//
// The float32 operation order (fused where noted) is, per channel:
//
//	v = fma(SDt, dt, DtBias); delta = softplus(v); dl = delta·log2(e)
//	uf = SU·u; du = delta·uf; zf = SZ·z; g = zf / (1 + Exp(-zf)); acc = D·uf
//	for n: h = fma(exp2(dl·A), h, du·Bf[n]); acc = fma(Cf[n], h, acc)
//	y = acc·g            (Bf[n] = SB·B[n], Cf[n] = SC·C[n])
//
// exp(delta·A) is computed as 2**(dl·A) by scanExp2, which is within 1 ulp
// of 2**x for its float32 argument, flushes results below 2**-125 to zero
// and needs A <= 0 (positive arguments are clamped to 0). Against exp of
// the exact delta·A its error is dominated, as for any float32 evaluation,
// by the rounding of the argument: about |delta·A|·2**-24 relative.
func ScanM1(p *ScanM1Params, state, y []float32, u, dt, B, C, z []int8, L int) {
	p.check(y, len(u), len(dt), len(B), len(C), len(z), L)
	if n := ScanLenM1(p.E, p.N); len(state) < n {
		panic(fmt.Sprintf("kernels.ScanM1: len(state) = %d < ScanLenM1(E, N) = %d", len(state), n))
	}
	scanM1(p, scanState{f: state}, y, u, dt, B, C, z, L)
}

// ScanM1Step is ScanM1 for one token: the decode step.
//
// Channels are independent, so a step can be split across goroutines:
// for channel ranges [c0, c1) with c0 a multiple of 8, run ScanM1Step with
// E = c1-c0, A[c0*N:ScanLenM1(c1, N)], D[c0:c1], DtBias[c0:c1],
// state[c0*N:ScanLenM1(c1, N)], y[c0:c1], u[c0:c1], dt[c0:c1], z[c0:c1]
// and the whole B and C; the results are the bits of the whole step
// (TestScanM1StepSplit).
func ScanM1Step(p *ScanM1Params, state, y []float32, u, dt, B, C, z []int8) {
	ScanM1(p, state, y, u, dt, B, C, z, 1)
}

// ScanM1F32 is ScanM1 for float32 inputs (W4A16, where activations stay
// float): u, dt, z [L][E] and B, C [L][N] are float32, dt is dt_proj's
// output without its bias, and the scales SU..SZ are ignored. It computes
// exactly what ScanM1 computes with every scale 1 (fma(1, dt, DtBias) is
// dt + DtBias rounded once; u·1 = u), on the same kernels.
func ScanM1F32(p *ScanM1Params, state, y, u, dt, B, C, z []float32, L int) {
	q := *p
	q.SU, q.SDt, q.SB, q.SC, q.SZ = 1, 1, 1, 1, 1
	q.check(y, len(u), len(dt), len(B), len(C), len(z), L)
	if n := ScanLenM1(p.E, p.N); len(state) < n {
		panic(fmt.Sprintf("kernels.ScanM1F32: len(state) = %d < ScanLenM1(E, N) = %d", len(state), n))
	}
	scanM1(&q, scanState{f: state}, y, u, dt, B, C, z, L)
}

// ScanM1StateQ8 is ScanM1 with an int8 state: the state is dequantized,
// the L tokens are scanned in float32 exactly as ScanM1 does (y is computed
// from the float32 state), and the final state is requantized into st.Q
// (st.Q in the scan layout, st.Scale [E/st.Group][N]). A prefill from
// an empty state passes zeros; a decode step passes L = 1.
func ScanM1StateQ8(p *ScanM1Params, st StateQ8, y []float32, u, dt, B, C, z []int8, L int) {
	p.check(y, len(u), len(dt), len(B), len(C), len(z), L)
	st.check("ScanM1StateQ8", p.E, p.N, ScanLenM1(p.E, p.N))
	scanM1(p, scanState{q: st}, y, u, dt, B, C, z, L)
}

// ld is the row stride of u, dt, z and y.
func (p *ScanM1Params) ld() int {
	if p.Ld != 0 {
		return p.Ld
	}
	return p.E
}

func (p *ScanM1Params) check(y []float32, nu, ndt, nB, nC, nz, L int) {
	E, N := p.E, p.N
	if E <= 0 || N <= 0 || L < 0 {
		panic(fmt.Sprintf("kernels.ScanM1: bad sizes E=%d N=%d L=%d", E, N, L))
	}
	need := func(name string, got, want int) {
		if got < want {
			panic(fmt.Sprintf("kernels.ScanM1: len(%s) = %d < %d", name, got, want))
		}
	}
	need("A", len(p.A), ScanLenM1(E, N))
	need("D", len(p.D), E)
	need("DtBias", len(p.DtBias), E)
	if p.Ld != 0 && p.Ld < E {
		panic(fmt.Sprintf("kernels.ScanM1: Ld=%d < E=%d", p.Ld, E))
	}
	rows := 0 // elements of L rows of E values, Ld apart
	if L > 0 {
		rows = (L-1)*p.ld() + E
	}
	need("y", len(y), rows)
	need("u", nu, rows)
	need("dt", ndt, rows)
	need("z", nz, rows)
	need("B", nB, L*N)
	need("C", nC, L*N)
}

func (st *StateQ8) check(fn string, channels, N, size int) {
	if st.Group <= 0 || channels%st.Group != 0 {
		panic(fmt.Sprintf("kernels.%s: state group %d does not divide %d channels", fn, st.Group, channels))
	}
	if len(st.Q) < size || len(st.Scale) < channels/st.Group*N {
		panic(fmt.Sprintf("kernels.%s: int8 state too short (len(Q) = %d, len(Scale) = %d)", fn, len(st.Q), len(st.Scale)))
	}
}

// scanState is the state of one scan call: float32 (f) or int8 (q).
type scanState struct {
	f []float32
	q StateQ8
}

// scanDequantBC interleaves dequantized B and C: bc[2i] = B[i]·sB,
// bc[2i+1] = C[i]·sC, so that a kernel reaches both with one pointer.
func scanDequantBC[T int8 | float32](bc []float32, B, C []T, sB, sC float32) {
	for i := range B {
		bc[2*i] = float32(B[i]) * sB
		bc[2*i+1] = float32(C[i]) * sC
	}
}

// scanM1Generic scans channels [c0, c1). bc holds [L][N] interleaved
// (SB·B, SC·C) pairs (scanDequantBC); h is scratch for N values.
func scanM1Generic[T int8 | float32](p *ScanM1Params, st scanState, y []float32, u, dt, z []T, bc []float32, L, c0, c1 int, h []float32) {
	ld, N := p.ld(), p.N
	for c := c0; c < c1; c++ {
		o := ScanIndexM1(c, 0, N) // row n at o + 8n
		if st.f != nil {
			for n := range N {
				h[n] = st.f[o+8*n]
			}
		} else {
			scanLoadQ8(h, st.q, c, o, 8, N)
		}
		for t := range L {
			i := t*ld + c
			v := expFMA(p.SDt, float32(dt[i]), p.DtBias[c])
			delta := softplus(v)
			dl := delta * scanLog2e
			uf := float32(u[i]) * p.SU
			du := delta * uf
			zf := float32(z[i]) * p.SZ
			g := zf / (1 + Exp(-zf))
			acc := p.D[c] * uf
			bct := bc[2*t*N : 2*t*N+2*N]
			for n := range N {
				dA := scanExp2(float32(dl * p.A[o+8*n])) // explicit rounding: no fusion into scanExp2's x - n
				h[n] = expFMA(dA, h[n], du*bct[2*n])
				acc = expFMA(bct[2*n+1], h[n], acc)
			}
			y[i] = acc * g
		}
		if st.f != nil {
			for n := range N {
				st.f[o+8*n] = h[n]
			}
		} else {
			scanStoreQ8(st.q, h, c, o, 8, N)
		}
	}
}

// scanExp2 constants: 2**f on [-1/2, 1/2] by a degree-6 Chebyshev fit
// (lowest degree first; within 0.98 ulp with FMA Horner), and log2(e).
var scanExp2C = [7]float32{1, 0.6931472, 0.2402265, 0.05550327, 0.009618057, 0.0013400428, 0.00015461445}

const scanLog2e float32 = 1.44269504088896341

// scanExp2 returns 2**x for -125 <= x <= 0, 0 for x < -125 (flush to zero:
// no subnormal results, which are slow on x86), 1 for x > 0, and
// 2**-125 for NaN (the scans never produce NaN arguments from finite
// inputs; NaN inputs still reach y through du). With n = roundEven(x) and
// f = x - n (exact), 2**x = P(f)·2**n, the scaling done by adding n to the
// exponent bits. Bit-for-bit the SCAN_EXP2 macro of the AVX2 kernel.
func scanExp2(x float32) float32 {
	flush := x < -125
	if !(x > -125) { // as VMAXPS with the bound second: NaN gives the bound
		x = -125
	}
	if !(x < 0) {
		x = 0
	}
	n := float32(math.RoundToEven(float64(x)))
	f := x - n
	c := &scanExp2C
	p := expFMA(c[6], f, c[5])
	p = expFMA(p, f, c[4])
	p = expFMA(p, f, c[3])
	p = expFMA(p, f, c[2])
	p = expFMA(p, f, c[1])
	p = expFMA(p, f, c[0])
	if flush {
		return 0
	}
	return math.Float32frombits(math.Float32bits(p) + uint32(int32(n))<<23)
}

// scanQuant rounds v half to even and saturates to int8, as the SIMD tiers
// do (clamp in float, then convert); NaN becomes -128 like x86's
// conversion.
func scanQuant(v float32) int8 {
	if v != v {
		return -128
	}
	v = max(min(v, 127), -128)
	return int8(math.RoundToEven(float64(v)))
}

// ScanM2Params are the per-layer constants of a Mamba2 SSM with int8
// inputs (Quamba2 W8A8, quamba.md §1.5, §4.5). Head h reads B/C group
// h/(H/G).
type ScanM2Params struct {
	H, P, N, G int // heads, head dim, state size, SSD groups (G divides H)

	A      []float32 // [H]: -exp(A_log)
	D      []float32 // [H]
	DtBias []float32 // [H]
	SDt    float32   // per-tensor scale of dt

	// DtLimit clamps delta to [DtMin, DtMax] after softplus when set
	// (Mamba2's dt_limit; off by default).
	DtLimit      bool
	DtMin, DtMax float32

	SX []float32 // [H*P]: per-channel scale of x
	SB []float32 // [G]: per-group scale of B
	SC []float32 // [G]: per-group scale of C

	// H0, H1 restrict the scan to heads [H0, H1) (both 0: every head): a
	// prefill split over goroutines passes every head's inputs and output
	// rows, and the state of its heads only ((H1-H0)·N·P values, head H0
	// first). Not with an int8 state.
	H0, H1 int
}

// heads returns the heads scanned, [h0, h1).
func (p *ScanM2Params) heads() (h0, h1 int) {
	if p.H0 == 0 && p.H1 == 0 {
		return 0, p.H
	}
	return p.H0, p.H1
}

// stateLen is the length of the float32 state the scan updates.
func (p *ScanM2Params) stateLen() int {
	h0, h1 := p.heads()
	return (h1 - h0) * p.P * p.N
}

// ScanM2 runs the Mamba2 quantized SSM over L tokens: per token t, head h
// (group g = h/(H/G)), channel p and state n,
//
//	delta = softplus(SDt·dt[t][h] + DtBias[h])   (then clamped if DtLimit)
//	x     = SX[h*P+p]·x[t][h*P+p]
//	S[h][n][p] = exp(delta·A[h])·S[h][n][p] + delta·x·(SB[g]·B[t][g*N+n])
//	y[t][h*P+p] = Σ_n (SC[g]·C[t][g*N+n])·S[h][n][p] + D[h]·x
//
// x is [L][H*P] int8, dt [L][H] int8, B and C [L][G*N] int8, y [L][H*P]
// float32 (no z gating: the gated norm applies it), and state the float32
// [H][N][P] scan-layout state, read as the initial state and overwritten
// with the final one. A decode step is L = 1 (ScanM2Step). It panics on
// short slices.
//
// The float32 operation order per head and channel is
//
//	delta = softplus(fma(SDt, dt, DtBias)); dA = Exp(delta·A)
//	xf = x·SX; dx = delta·xf; acc = D·xf
//	for n: S = fma(dA, S, dx·Bf[n]); acc = fma(Cf[n], S, acc)
//	y = acc              (Bf[n] = B[n]·SB[g], Cf[n] = C[n]·SC[g])
func ScanM2(p *ScanM2Params, state, y []float32, x, dt, B, C []int8, L int) {
	p.check(y, len(x), len(dt), len(B), len(C), L, true)
	if n := p.stateLen(); len(state) < n {
		panic(fmt.Sprintf("kernels.ScanM2: len(state) = %d < (H1-H0)*P*N = %d", len(state), n))
	}
	scanM2(p, scanState{f: state}, y, x, dt, B, C, L)
}

// ScanM2Step is ScanM2 for one token: the decode step.
func ScanM2Step(p *ScanM2Params, state, y []float32, x, dt, B, C []int8) {
	ScanM2(p, state, y, x, dt, B, C, 1)
}

// ScanM2F32 is ScanM2 for float32 inputs (W4A16): x [L][H*P], dt [L][H]
// (dt_proj's output without its bias) and B, C [L][G*N] are float32, and
// the scales SDt, SX, SB, SC are ignored. It computes exactly what ScanM2
// computes with every scale 1, on the same kernels.
func ScanM2F32(p *ScanM2Params, state, y, x, dt, B, C []float32, L int) {
	q := *p
	q.SDt, q.SX = 1, nil
	q.SB, q.SC = scanOnes(p.G), scanOnes(p.G)
	q.check(y, len(x), len(dt), len(B), len(C), L, false)
	if n := p.stateLen(); len(state) < n {
		panic(fmt.Sprintf("kernels.ScanM2F32: len(state) = %d < (H1-H0)*P*N = %d", len(state), n))
	}
	scanM2(&q, scanState{f: state}, y, x, dt, B, C, L)
}

var scanOnes64 = [64]float32{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}

// scanOnes returns n ones (the unit scales of the float-input scans).
func scanOnes(n int) []float32 {
	if n <= len(scanOnes64) {
		return scanOnes64[:n:n]
	}
	o := make([]float32, n)
	for i := range o {
		o[i] = 1
	}
	return o
}

// ScanM2StateQ8 is ScanM2 with an int8 state (st.Q in the [H][N][P] scan
// layout, st.Scale [H*P/st.Group][N] over the flat channel index h*P+p):
// dequantize, scan L tokens in float32 as ScanM2, requantize the final
// state.
func ScanM2StateQ8(p *ScanM2Params, st StateQ8, y []float32, x, dt, B, C []int8, L int) {
	p.check(y, len(x), len(dt), len(B), len(C), L, true)
	if p.H0 != 0 || p.H1 != 0 {
		panic("kernels.ScanM2StateQ8: a head range needs a float32 state")
	}
	st.check("ScanM2StateQ8", p.H*p.P, p.N, p.H*p.P*p.N)
	scanM2(p, scanState{q: st}, y, x, dt, B, C, L)
}

func (p *ScanM2Params) check(y []float32, nx, ndt, nB, nC, L int, scaled bool) {
	H, P, N, G := p.H, p.P, p.N, p.G
	if H <= 0 || P <= 0 || N <= 0 || G <= 0 || H%G != 0 || L < 0 {
		panic(fmt.Sprintf("kernels.ScanM2: bad sizes H=%d P=%d N=%d G=%d L=%d", H, P, N, G, L))
	}
	if h0, h1 := p.heads(); h0 < 0 || h1 > H || h0 >= h1 {
		panic(fmt.Sprintf("kernels.ScanM2: bad head range [%d, %d) of H=%d", p.H0, p.H1, H))
	}
	need := func(name string, got, want int) {
		if got < want {
			panic(fmt.Sprintf("kernels.ScanM2: len(%s) = %d < %d", name, got, want))
		}
	}
	need("A", len(p.A), H)
	need("D", len(p.D), H)
	need("DtBias", len(p.DtBias), H)
	if scaled {
		need("SX", len(p.SX), H*P)
		need("SB", len(p.SB), G)
		need("SC", len(p.SC), G)
	}
	need("y", len(y), L*H*P)
	need("x", nx, L*H*P)
	need("dt", ndt, L*H)
	need("B", nB, L*G*N)
	need("C", nC, L*G*N)
}

// scanM2Prep computes per token and head delta and dA = Exp(delta·A), and
// the dequantized B and C: dd is [L][2H] (delta then dA), bc [L][G*N]
// interleaved (B·SB[g], C·SC[g]) pairs; of a head range, only its heads'
// and groups' entries.
func scanM2Prep[T int8 | float32](p *ScanM2Params, dt, B, C []T, L int, dd, bc []float32) {
	H, GN := p.H, p.G*p.N
	h0, h1 := p.heads()
	hpg := H / p.G
	for t := range L {
		delta, dA := dd[t*2*H+h0:t*2*H+h1], dd[t*2*H+H+h0:t*2*H+H+h1]
		for i := range delta {
			delta[i] = expFMA(p.SDt, float32(dt[t*H+h0+i]), p.DtBias[h0+i])
		}
		softplusF32(delta, delta)
		for i := range delta {
			if p.DtLimit {
				delta[i] = min(max(delta[i], p.DtMin), p.DtMax)
			}
			dA[i] = delta[i] * p.A[h0+i]
		}
		expF32(dA, dA)
		for g := h0 / hpg; g <= (h1-1)/hpg; g++ {
			o := t*GN + g*p.N
			scanDequantBC(bc[2*o:2*(o+p.N)], B[o:o+p.N], C[o:o+p.N], p.SB[g], p.SC[g])
		}
	}
}

// scanM2Generic scans channels [p0, p1) of every head scanned; h is scratch
// for N values. With p.SX nil (float inputs) x is used unscaled.
func scanM2Generic[T int8 | float32](p *ScanM2Params, st scanState, y []float32, x []T, dd, bc []float32, L, p0, p1 int, s []float32) {
	H, P, N := p.H, p.P, p.N
	GN, hpg := p.G*N, H/p.G
	h0, h1 := p.heads()
	for hd := h0; hd < h1; hd++ {
		g := hd / hpg
		base := (hd - h0) * N * P // state offset of head hd in [H1-H0][N][P]
		for pc := p0; pc < p1; pc++ {
			c := hd*P + pc
			if st.f != nil {
				for n := range N {
					s[n] = st.f[base+n*P+pc]
				}
			} else {
				scanLoadQ8(s, st.q, c, base+pc, P, N)
			}
			for t := range L {
				delta, dA := dd[t*2*H+hd], dd[t*2*H+H+hd]
				xf := float32(x[t*H*P+c])
				if p.SX != nil {
					xf *= p.SX[c]
				}
				dx := delta * xf
				acc := p.D[hd] * xf
				o := 2 * (t*GN + g*N)
				bct := bc[o : o+2*N]
				for n := range N {
					s[n] = expFMA(dA, s[n], dx*bct[2*n])
					acc = expFMA(bct[2*n+1], s[n], acc)
				}
				y[t*H*P+c] = acc
			}
			if st.f != nil {
				for n := range N {
					st.f[base+n*P+pc] = s[n]
				}
			} else {
				scanStoreQ8(st.q, s, c, base+pc, P, N)
			}
		}
	}
}

// scanLoadQ8 dequantizes the N state values of channel c stored at
// Q[off + n*stride].
func scanLoadQ8(s []float32, st StateQ8, c, off, stride, N int) {
	sc := st.Scale[c/st.Group*N:]
	for n := range N {
		s[n] = float32(st.Q[off+n*stride]) * sc[n]
	}
}

// scanStoreQ8 requantizes the N state values of channel c into
// Q[off + n*stride]: q = scanQuant(h·(1/scale)); the SIMD kernels multiply
// by reciprocals computed once per call rather than divide per element.
func scanStoreQ8(st StateQ8, s []float32, c, off, stride, N int) {
	sc := st.Scale[c/st.Group*N:]
	for n := range N {
		inv := 1 / sc[n]
		st.Q[off+n*stride] = scanQuant(s[n] * inv)
	}
}

// ScanLenM1 is the length of a Mamba1 scan-layout state or A: ⌈E/8⌉·8·N.
func ScanLenM1(E, N int) int { return (E + 7) / 8 * 8 * N }

// ScanIndexM1 is the position of channel c, state n in a Mamba1
// scan-layout tensor of N states per channel: (c/8)·8N + 8n + c%8.
func ScanIndexM1(c, n, N int) int { return c/8*8*N + 8*n + c%8 }

// ScanLayoutM1 converts a Mamba1 state-shaped tensor (ssm_state, A) from
// the natural [E][N] layout in src to the scan layout in dst
// (ScanLenM1(E, N) elements; padding lanes are set to zero).
func ScanLayoutM1[T int8 | float32](dst, src []T, E, N int) {
	if len(src) < E*N || len(dst) < ScanLenM1(E, N) {
		panic("kernels.ScanLayoutM1: slices too short")
	}
	clear(dst[E/8*8*N : ScanLenM1(E, N)])
	for c := range E {
		for n := range N {
			dst[ScanIndexM1(c, n, N)] = src[c*N+n]
		}
	}
}

// NaturalLayoutM1 converts a Mamba1 state from the scan layout in src to
// the natural [E][N] layout in dst.
func NaturalLayoutM1[T int8 | float32](dst, src []T, E, N int) {
	if len(dst) < E*N || len(src) < ScanLenM1(E, N) {
		panic("kernels.NaturalLayoutM1: slices too short")
	}
	for c := range E {
		for n := range N {
			dst[c*N+n] = src[ScanIndexM1(c, n, N)]
		}
	}
}

// ScanLayoutM2 converts a Mamba2 state from the natural [H][P][N] layout in
// src to the [H][N][P] scan layout in dst.
func ScanLayoutM2[T int8 | float32](dst, src []T, H, P, N int) {
	if len(src) < H*P*N || len(dst) < H*P*N {
		panic("kernels.ScanLayoutM2: slices shorter than H*P*N")
	}
	for h := range H {
		o := h * P * N
		scanTranspose(dst[o:o+P*N], src[o:o+P*N], P, N, "ScanLayoutM2")
	}
}

// NaturalLayoutM2 converts a Mamba2 state from the [H][N][P] scan layout in
// src to the natural [H][P][N] layout in dst.
func NaturalLayoutM2[T int8 | float32](dst, src []T, H, P, N int) {
	if len(src) < H*P*N || len(dst) < H*P*N {
		panic("kernels.NaturalLayoutM2: slices shorter than H*P*N")
	}
	for h := range H {
		o := h * P * N
		scanTranspose(dst[o:o+P*N], src[o:o+P*N], N, P, "NaturalLayoutM2")
	}
}

// scanTranspose sets dst[c][r] = src[r][c] for src [rows][cols].
func scanTranspose[T int8 | float32](dst, src []T, rows, cols int, fn string) {
	if len(src) < rows*cols || len(dst) < rows*cols {
		panic(fmt.Sprintf("kernels.%s: slices shorter than %d", fn, rows*cols))
	}
	for r := range rows {
		for c := range cols {
			dst[c*rows+r] = src[r*cols+c]
		}
	}
}

// scanPool recycles the scans' float32 scratch (dequantized B and C,
// per-token deltas, state blocks), so that decode steps do not allocate.
var scanPool = sync.Pool{New: func() any { return new([]float32) }}

// scanScratch returns a pooled buffer of n floats; give it back with
// scanPool.Put.
func scanScratch(n int) *[]float32 {
	b := scanPool.Get().(*[]float32)
	if cap(*b) < n {
		*b = make([]float32, n)
	}
	*b = (*b)[:n]
	return b
}

// scanM1Go is the pure-Go ScanM1 over all channels.
func scanM1Go[T int8 | float32](p *ScanM1Params, st scanState, y []float32, u, dt, B, C, z []T, L int) {
	LN := L * p.N
	b := scanScratch(2*LN + p.N)
	defer scanPool.Put(b)
	bc, h := (*b)[:2*LN], (*b)[2*LN:]
	scanDequantBC(bc, B[:LN], C[:LN], p.SB, p.SC)
	scanM1Generic(p, st, y, u, dt, z, bc, L, 0, p.E, h)
}

// scanM2Go is the pure-Go ScanM2 over all channels.
func scanM2Go[T int8 | float32](p *ScanM2Params, st scanState, y []float32, x, dt, B, C []T, L int) {
	nd, nb := L*2*p.H, L*p.G*p.N
	b := scanScratch(nd + 2*nb + p.N)
	defer scanPool.Put(b)
	sc := *b
	dd, bc, s := sc[:nd], sc[nd:nd+2*nb], sc[nd+2*nb:]
	scanM2Prep(p, dt, B, C, L, dd, bc)
	scanM2Generic(p, st, y, x, dd, bc, L, 0, p.P, s)
}
