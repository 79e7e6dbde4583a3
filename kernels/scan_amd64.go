//go:build !noasm

package kernels

import "github.com/quamba/quamba/kernels/amd64"

// scanAVX2 reports whether the scans run the AVX2 kernels.
func scanAVX2() bool { return active == AVX2 || active == AVX512 }

func scanM1(p *ScanM1Params, st scanState, y []float32, u, dt, B, C, z []int8, L int) {
	E, N := p.E, p.N
	nc := E &^ 7 // channels for the 8-lane kernel; the rest run in Go
	if !scanAVX2() || L == 0 || nc == 0 || (st.f == nil && st.q.Group%8 != 0) {
		scanM1Go(p, st, y, u, dt, B, C, z, L)
		return
	}
	LN := L * N
	b := scanScratch(2*LN + 8*N)
	defer scanPool.Put(b)
	bc, hbuf := (*b)[:2*LN], (*b)[2*LN:]
	scanDequantBC(bc, B[:LN], C[:LN], p.SB, p.SC)
	a := amd64.ScanM1Args{
		U: &u[0], Dt: &dt[0], Z: &z[0], Y: &y[0], BC: &bc[0],
		A: &p.A[0], D: &p.D[0], DtBias: &p.DtBias[0], Hbuf: &hbuf[0],
		E: E, NC: nc, N: N, L: L,
		SU: p.SU, SDt: p.SDt, SZ: p.SZ,
	}
	if st.f != nil {
		a.State = &st.f[0]
	} else {
		a.StateQ, a.Scale, a.Group = &st.q.Q[0], &st.q.Scale[0], st.q.Group
	}
	amd64.ScanM1AVX2(&a)
	if nc < E {
		scanM1Generic(p, st, y, u, dt, z, bc, L, nc, E, hbuf[:N])
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
	nh := N // tail scratch for the Go kernel
	if st.f == nil {
		nh = N * P
	}
	b := scanScratch(nd + 2*nb + nh)
	defer scanPool.Put(b)
	sc := *b
	dd, bc, hbuf := sc[:nd], sc[nd:nd+2*nb], sc[nd+2*nb:]
	scanM2Prep(p, dt, B, C, L, dd, bc)
	a := amd64.ScanM2Args{
		X: &x[0], Y: &y[0], DD: &dd[0], BC: &bc[0], D: &p.D[0], SX: &p.SX[0],
		Hbuf: &hbuf[0],
		H:    H, P: P, PC: pc, N: N, L: L, GN: G * N, HPG: H / G,
	}
	if st.f != nil {
		a.State = &st.f[0]
	} else {
		a.StateQ, a.Scale, a.Group = &st.q.Q[0], &st.q.Scale[0], st.q.Group
	}
	amd64.ScanM2AVX2(&a)
	if pc < P {
		scanM2Generic(p, st, y, x, dd, bc, L, pc, P, hbuf[:N])
	}
}
