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
	var buf [2048]float32
	LN := L * N
	sc := scanScratch(buf[:], 2*LN+8*N)
	bc, hbuf := sc[:2*LN], sc[2*LN:]
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
	scanM2Go(p, st, y, x, dt, B, C, L)
}
