//go:build !noasm

package kernels

import "github.com/quamba/quamba/kernels/arm64"

// scanM1PreFloats bounds the NEON Mamba1 prepass buffer (4 floats per token
// and channel): prefills are scanned in chunks of scanM1PreFloats/(4E)
// tokens. A variable for the tests.
var scanM1PreFloats = 32 << 10

// scanNEON reports whether the scans run the NEON kernels.
func scanNEON() bool { return active == NEON || active == NEONDot }

// scanM1 runs the NEON kernel for a float32 state; an int8 state runs the
// pure-Go kernel on arm64.
func scanM1(p *ScanM1Params, st scanState, y []float32, u, dt, B, C, z []int8, L int) {
	E, N := p.E, p.N
	nc := E &^ 7 // channels for the 8-lane kernel; the rest run in Go
	if !scanNEON() || L == 0 || nc == 0 || st.f == nil {
		scanM1Go(p, st, y, u, dt, B, C, z, L)
		return
	}
	lc := min(L, max(1, scanM1PreFloats/(4*E)))
	LN := L * N
	b := scanScratch(2*LN + 4*lc*E + N)
	defer scanPool.Put(b)
	sc := *b
	bc, pre, h := sc[:2*LN], sc[2*LN:2*LN+4*lc*E], sc[2*LN+4*lc*E:]
	scanDequantBC(bc, B[:LN], C[:LN], p.SB, p.SC)
	a := arm64.ScanM1Args{
		U: &u[0], Dt: &dt[0], Z: &z[0], Y: &y[0], BC: &bc[0],
		A: &p.A[0], D: &p.D[0], DtBias: &p.DtBias[0], State: &st.f[0], Pre: &pre[0],
		E: E, NC: nc, N: N, L: L, LC: lc,
		SU: p.SU, SDt: p.SDt, SZ: p.SZ,
	}
	arm64.ScanM1NEON(&a)
	if nc < E {
		scanM1Generic(p, st, y, u, dt, z, bc, L, nc, E, h)
	}
}

// scanM2 runs the NEON kernel for a float32 state; an int8 state runs the
// pure-Go kernel on arm64.
func scanM2(p *ScanM2Params, st scanState, y []float32, x, dt, B, C []int8, L int) {
	H, P, N, G := p.H, p.P, p.N, p.G
	pc := P &^ 7 // channels per head for the 8-lane kernel; the rest run in Go
	if !scanNEON() || L == 0 || pc == 0 || st.f == nil {
		scanM2Go(p, st, y, x, dt, B, C, L)
		return
	}
	nd, nb := L*2*H, L*G*N
	b := scanScratch(nd + 2*nb + N)
	defer scanPool.Put(b)
	sc := *b
	dd, bc, s := sc[:nd], sc[nd:nd+2*nb], sc[nd+2*nb:]
	scanM2Prep(p, dt, B, C, L, dd, bc)
	a := arm64.ScanM2Args{
		X: &x[0], Y: &y[0], DD: &dd[0], BC: &bc[0], D: &p.D[0], SX: &p.SX[0], State: &st.f[0],
		H: H, P: P, PC: pc, N: N, L: L, GN: G * N, HPG: H / G, H0: 0, H1: H,
	}
	arm64.ScanM2NEON(&a)
	if pc < P {
		scanM2Generic(p, st, y, x, dd, bc, L, pc, P, s)
	}
}
