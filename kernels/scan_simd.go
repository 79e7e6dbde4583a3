//go:build !noasm && (amd64 || arm64)

package kernels

import "github.com/quamba/quamba/kernels/internal/scanabi"

// The scan drivers shared by the AVX2 and NEON kernels: both run 8-channel
// blocks with the same operand records (package scanabi); scan_amd64.go and
// scan_arm64.go bind scanSIMD, scanM1Kernel, scanM2Kernel, scanQ8Load,
// scanQ8Store and scanRecipKernel to their assembly.

// scanM1PreFloats bounds the SIMD Mamba1 prepass buffer (4 floats per token
// and channel): prefills are scanned in chunks of scanM1PreFloats/(4E)
// tokens, so that it stays in L2 next to A and the state. A variable for
// the tests.
var scanM1PreFloats = 32 << 10

func scanM1[T int8 | float32](p *ScanM1Params, st scanState, y []float32, u, dt, B, C, z []T, L int) {
	E, N := p.E, p.N
	nc := E &^ 7 // channels for the 8-lane kernel; the rest run in Go
	if !scanSIMD() || L == 0 || nc == 0 || (st.f == nil && st.q.Group%8 != 0) {
		scanM1Go(p, st, y, u, dt, B, C, z, L)
		return
	}
	ld := p.ld()
	lc := min(L, max(1, scanM1PreFloats/(4*ld)))
	LN := L * N
	nf := 2*LN + 4*lc*ld + N
	if st.f == nil {
		nf += nc*N + len(st.q.Scale)
	}
	b := scanScratch(nf)
	defer scanPool.Put(b)
	sc := *b
	bc, pre, h, rest := sc[:2*LN], sc[2*LN:2*LN+4*lc*ld], sc[2*LN+4*lc*ld:2*LN+4*lc*ld+N], sc[2*LN+4*lc*ld+N:]
	scanDequantBC(bc, B[:LN], C[:LN], p.SB, p.SC)

	state := st.f
	var qa scanabi.ScanQ8Args
	var inv []float32
	a := scanabi.ScanM1Args{
		Y: &y[0], BC: &bc[0],
		A: &p.A[0], D: &p.D[0], DtBias: &p.DtBias[0], Pre: &pre[0],
		E: ld, NC: nc, N: N, L: L, LC: lc,
		SU: p.SU, SDt: p.SDt, SZ: p.SZ,
	}
	scanM1Inputs(&a, u, dt, z)
	if st.f == nil && L == 1 {
		// Decode step: the kernel converts the int8 rows in registers.
		inv = rest[nc*N:]
		scanRecip(inv, st.q.Scale)
		a.Q, a.QScale, a.QInv, a.QGroup = &st.q.Q[0], &st.q.Scale[0], &inv[0], st.q.Group
		scanM1Kernel(&a)
		if nc < E {
			scanM1Generic(p, st, y, u, dt, z, bc, L, nc, E, h)
		}
		return
	}
	if st.f == nil {
		// The kernel updates a float32 copy of the int8 state's SIMD blocks.
		hf := rest[:nc*N]
		inv = rest[nc*N:]
		scanRecip(inv, st.q.Scale)
		qa = scanabi.ScanQ8Args{
			Q: &st.q.Q[0], F: &hf[0], Scale: &st.q.Scale[0],
			Blocks: nc / 8, N: N, W: 8, WC: 8, Group: st.q.Group, G0: 0, Rem0: st.q.Group,
		}
		scanQ8Load(&qa)
		state = hf
	}
	a.State = &state[0]
	scanM1Kernel(&a)
	if st.f == nil {
		qa.Scale = &inv[0]
		scanQ8Store(&qa)
	}
	if nc < E {
		scanM1Generic(p, st, y, u, dt, z, bc, L, nc, E, h)
	}
}

// scanRecip sets inv[i] = 1/s[i] in float32, as scanStoreQ8 does.
func scanRecip(inv, s []float32) {
	n := scanRecipKernel(inv, s)
	for i := n; i < len(s); i++ {
		inv[i] = 1 / s[i]
	}
}

func scanM2[T int8 | float32](p *ScanM2Params, st scanState, y []float32, x, dt, B, C []T, L int) {
	H, P, N, G := p.H, p.P, p.N, p.G
	pc := P &^ 7 // channels per head for the 8-lane kernel; the rest run in Go
	if !scanSIMD() || L == 0 || pc == 0 || (st.f == nil && (st.q.Group%8 != 0 || P%8 != 0)) {
		scanM2Go(p, st, y, x, dt, B, C, L)
		return
	}
	nd, nb := L*2*H, L*G*N
	nf := nd + 2*nb + N
	if st.f == nil {
		nf += N*P + len(st.q.Scale)
	}
	b := scanScratch(nf)
	defer scanPool.Put(b)
	sc := *b
	dd, bc, s, rest := sc[:nd], sc[nd:nd+2*nb], sc[nd+2*nb:nd+2*nb+N], sc[nd+2*nb+N:]
	scanM2Prep(p, dt, B, C, L, dd, bc)
	a := scanabi.ScanM2Args{
		Y: &y[0], DD: &dd[0], BC: &bc[0], D: &p.D[0],
		H: H, P: P, PC: pc, N: N, L: L, GN: G * N, HPG: H / G,
	}
	scanM2Inputs(&a, p, x)
	if st.f != nil {
		a.State = &st.f[0]
		a.H0, a.H1 = p.heads()
		scanM2Kernel(&a)
		if pc < P {
			scanM2Generic(p, st, y, x, dd, bc, L, pc, P, s)
		}
		return
	}
	// int8 state (P % 8 == 0): head by head, dequantize into a float32
	// head buffer (N*P floats, L1/L2-resident), scan, requantize.
	hf, inv := rest[:N*P], rest[N*P:]
	scanRecip(inv, st.q.Scale)
	gs := st.q.Group
	for hd := range H {
		c0 := hd * P
		qa := scanabi.ScanQ8Args{
			Q: &st.q.Q[hd*N*P], F: &hf[0], Scale: &st.q.Scale[0],
			Blocks: 1, N: N, W: P, WC: P, Group: gs, G0: c0 / gs, Rem0: gs - c0%gs,
		}
		scanQ8Load(&qa)
		a.State, a.H0, a.H1 = &hf[0], hd, hd+1
		scanM2Kernel(&a)
		qa.Scale = &inv[0]
		scanQ8Store(&qa)
	}
}

// scanM1Inputs points the kernel at int8 or float32 inputs.
func scanM1Inputs[T int8 | float32](a *scanabi.ScanM1Args, u, dt, z []T) {
	if f, ok := any(u).([]float32); ok {
		a.UF, a.DtF, a.ZF, a.F32 = &f[0], &any(dt).([]float32)[0], &any(z).([]float32)[0], 1
		return
	}
	a.U, a.Dt, a.Z = &any(u).([]int8)[0], &any(dt).([]int8)[0], &any(z).([]int8)[0]
}

// scanM2Inputs points the kernel at int8 x with its scales, or at float32 x.
func scanM2Inputs[T int8 | float32](a *scanabi.ScanM2Args, p *ScanM2Params, x []T) {
	if f, ok := any(x).([]float32); ok {
		a.XF, a.F32 = &f[0], 1
		return
	}
	a.X, a.SX = &any(x).([]int8)[0], &p.SX[0]
}
