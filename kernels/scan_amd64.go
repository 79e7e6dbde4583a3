//go:build !noasm

package kernels

import "github.com/quamba/quamba/kernels/amd64"

// scanAVX2 reports whether the scans run the AVX2 kernels.
func scanAVX2() bool { return active == AVX2 || active == AVX512 }

// scanM1PreFloats bounds the AVX2 Mamba1 prepass buffer (4 floats per token
// and channel): prefills are scanned in chunks of scanM1PreFloats/(4E)
// tokens, so that it stays in L2 next to A and the state. A variable for
// the tests.
var scanM1PreFloats = 32 << 10

func scanM1(p *ScanM1Params, st scanState, y []float32, u, dt, B, C, z []int8, L int) {
	E, N := p.E, p.N
	nc := E &^ 7 // channels for the 8-lane kernel; the rest run in Go
	if !scanAVX2() || L == 0 || nc == 0 || (st.f == nil && st.q.Group%8 != 0) {
		scanM1Go(p, st, y, u, dt, B, C, z, L)
		return
	}
	lc := min(L, max(1, scanM1PreFloats/(4*E)))
	LN := L * N
	nf := 2*LN + 4*lc*E + N
	if st.f == nil {
		nf += nc * N
	}
	b := scanScratch(nf)
	defer scanPool.Put(b)
	sc := *b
	bc, pre, h, hf := sc[:2*LN], sc[2*LN:2*LN+4*lc*E], sc[2*LN+4*lc*E:2*LN+4*lc*E+N], sc[2*LN+4*lc*E+N:]
	scanDequantBC(bc, B[:LN], C[:LN], p.SB, p.SC)

	state := st.f
	var qa amd64.ScanQ8Args
	if st.f == nil {
		// The kernel updates a float32 copy of the int8 state.
		qa = amd64.ScanQ8Args{
			Q: &st.q.Q[0], F: &hf[0], Scale: &st.q.Scale[0],
			Blocks: nc / 8, N: N, W: 8, WC: 8, Group: st.q.Group,
		}
		amd64.ScanQ8LoadAVX2(&qa)
		state = hf
	}
	a := amd64.ScanM1Args{
		U: &u[0], Dt: &dt[0], Z: &z[0], Y: &y[0], BC: &bc[0],
		A: &p.A[0], D: &p.D[0], DtBias: &p.DtBias[0], State: &state[0], Pre: &pre[0],
		E: E, NC: nc, N: N, L: L, LC: lc,
		SU: p.SU, SDt: p.SDt, SZ: p.SZ,
	}
	amd64.ScanM1AVX2(&a)
	if st.f == nil {
		amd64.ScanQ8StoreAVX2(&qa)
	}
	if nc < E {
		scanM1Generic(p, st, y, u, dt, z, bc, L, nc, E, h)
	}
}

func scanM2(p *ScanM2Params, st scanState, y []float32, x, dt, B, C []int8, L int) {
	H, P, N, G := p.H, p.P, p.N, p.G
	pc := P &^ 7 // channels per head for the 8-lane kernel; the rest run in Go
	if !scanAVX2() || L == 0 || pc == 0 || (st.f == nil && (st.q.Group%8 != 0 || P%8 != 0)) {
		scanM2Go(p, st, y, x, dt, B, C, L)
		return
	}
	nd, nb := L*2*H, L*G*N
	nf := nd + 2*nb + N
	if st.f == nil {
		nf += H * N * P
	}
	b := scanScratch(nf)
	defer scanPool.Put(b)
	sc := *b
	dd, bc, s, hf := sc[:nd], sc[nd:nd+2*nb], sc[nd+2*nb:nd+2*nb+N], sc[nd+2*nb+N:]
	scanM2Prep(p, dt, B, C, L, dd, bc)

	state := st.f
	var qa amd64.ScanQ8Args
	if st.f == nil {
		qa = amd64.ScanQ8Args{
			Q: &st.q.Q[0], F: &hf[0], Scale: &st.q.Scale[0],
			Blocks: H, N: N, W: P, WC: P, Group: st.q.Group,
		}
		amd64.ScanQ8LoadAVX2(&qa)
		state = hf
	}
	a := amd64.ScanM2Args{
		X: &x[0], Y: &y[0], DD: &dd[0], BC: &bc[0], D: &p.D[0], SX: &p.SX[0],
		State: &state[0],
		H:     H, P: P, PC: pc, N: N, L: L, GN: G * N, HPG: H / G,
	}
	amd64.ScanM2AVX2(&a)
	if st.f == nil {
		amd64.ScanQ8StoreAVX2(&qa)
	}
	if pc < P {
		scanM2Generic(p, st, y, x, dd, bc, L, pc, P, s)
	}
}
