package model

import (
	"github.com/quamba/quamba/formats"
	"github.com/quamba/quamba/internal/parallel"
	"github.com/quamba/quamba/kernels"
)

// scanMinWork is the smallest number of state updates worth splitting across
// goroutines.
const scanMinWork = 1 << 12

// ssmLen is the length of a layer's SSM state in the scan layout.
func ssmLen(cfg formats.Config) int {
	if cfg.Arch == formats.Mamba1 {
		return kernels.ScanLenM1(cfg.DInner, cfg.DState)
	}
	return cfg.NHeads * cfg.HeadDim * cfg.DState
}

// scan1Task is the Mamba1 selective scan of one layer over T tokens on
// kernels.ScanM1F32, which computes per token t and channel c
//
//	delta[c] = softplus(dt[c] + DtBias[c])
//	h[c,n]   = exp(delta[c]·A[c,n])·h[c,n] + delta[c]·B[n]·x[c]
//	y[c]     = (Σ_n C[n]·h[c,n] + D[c]·x[c]) · silu(z[c])
//
// with h in the kernel's scan layout. It is split into blocks of 8 channels,
// the unit of that layout: run(lo, hi) scans channels [8lo, min(8hi, E)).
type scan1Task struct {
	T           int
	p           *kernels.ScanM1Params
	h           []float32 // state, scan layout
	coded                 // with a StateCodec: the codes h is decoded from and encoded into
	x, dt, z, y []float32 // [T, E]; y is written
	b, c        []float32 // [T, N]
}

// coded is the int8 storage of a layer's SSM state under a StateCodec
// (q nil: the float32 state is the storage).
type coded struct {
	q     []int8
	codec StateCodec
	layer int
}

// decode writes the state elements [o0, o1) into h from the codes.
func (c *coded) decode(h []float32, o0, o1 int) {
	if c.q != nil {
		c.codec.Decode(c.layer, o0, c.q[o0:o1], h[o0:o1])
	}
}

// encode stores the state elements [o0, o1) of h as codes.
func (c *coded) encode(h []float32, o0, o1 int) {
	if c.q != nil {
		c.codec.Encode(c.layer, o0, h[o0:o1], c.q[o0:o1])
	}
}

func (k *scan1Task) Run(lo, hi int) {
	o0, o1 := 8*lo*k.p.N, kernels.ScanLenM1(min(8*hi, k.p.E), k.p.N)
	k.decode(k.h, o0, o1)
	k.run(lo, hi)
	k.encode(k.h, o0, o1)
}

func (k *scan1Task) run(lo, hi int) {
	T, E, N := k.T, k.p.E, k.p.N
	c0, c1 := 8*lo, min(8*hi, E)
	// Channels are independent: a channel range (all of them when the scan
	// is not split) is a scan of its own with the matching slices of the
	// constants and the state, and gives the bits of the whole scan. It
	// reads and writes its columns in place (rows E apart).
	p := kernels.ScanM1Params{E: c1 - c0, Ld: E, N: N, A: k.p.A[c0*N : kernels.ScanLenM1(c1, N)],
		D: k.p.D[c0:c1], DtBias: k.p.DtBias[c0:c1]}
	h := k.h[c0*N : kernels.ScanLenM1(c1, N)]
	kernels.ScanM1F32(&p, h, k.y[c0:], k.x[c0:], k.dt[c0:], k.b, k.c, k.z[c0:], T)
}

// scanM1 runs the scan of Mamba1 layer i over T tokens into y [T, E].
func (s *State) scanM1(i, T int, x, dt, b, c, z, y []float32) {
	if s.rows != nil {
		k := &s.batch
		*k = rowsTask{s: s, i: i, x: x, dt: dt, b: b, c: c, z: z, y: y}
		s.batchRows(k)
		*k = rowsTask{}
		return
	}
	p := &s.m.layers[i].scan1
	k := &s.scan1
	h, q := s.ssmScan(i)
	*k = scan1Task{T: T, p: p, h: h, coded: coded{q, s.m.codec, i}, x: x, dt: dt, z: z, y: y, b: b, c: c}
	parallel.For(&s.wg, (p.E+7)/8, scanMinWork/(8*T*p.N)+1, k)
	*k = scan1Task{}
}

// scan2Task is the Mamba2 SSM of one layer over T tokens on
// kernels.ScanM2F32, which computes per token t, head h (B and C from group
// g = h/(H/G)) and channel p
//
//	delta[h]   = softplus(dt[h] + DtBias[h]), clamped to dt_limit if set
//	S[h,n,p]   = exp(delta[h]·A[h])·S[h,n,p] + delta[h]·x[h,p]·B[g,n]
//	y[h,p]     = Σ_n C[g,n]·S[h,n,p] + D[h]·x[h,p]
//
// with S in the kernel's [H, N, P] layout. It is split by head when G = 1
// and by group of H/G heads otherwise, so that a range of heads reads a
// range of whole groups: run(lo, hi) scans those units.
type scan2Task struct {
	T     int
	p     *kernels.ScanM2Params
	S     []float32 // state [H, N, P]
	coded           // with a StateCodec: the codes S is decoded from and encoded into
	x, y  []float32 // [T, H·P]; y is written
	dt    []float32 // [T, H]
	b, c  []float32 // [T, G·N]
	heads int       // heads per unit
}

func (k *scan2Task) Run(lo, hi int) {
	NP := k.p.N * k.p.P
	o0, o1 := lo*k.heads*NP, hi*k.heads*NP
	k.decode(k.S, o0, o1)
	k.run(lo, hi)
	k.encode(k.S, o0, o1)
}

func (k *scan2Task) run(lo, hi int) {
	// A range of heads is a scan of its own over every head's inputs and
	// output rows, with its heads' state, and gives the bits of the whole
	// scan.
	p := *k.p
	p.H0, p.H1 = lo*k.heads, hi*k.heads
	NP := p.N * p.P
	kernels.ScanM2F32(&p, k.S[p.H0*NP:p.H1*NP], k.y, k.x, k.dt, k.b, k.c, k.T)
}

// scanM2 runs the SSM of Mamba2 layer i over T tokens into y [T, E].
func (s *State) scanM2(i, T int, x, dt, b, c, y []float32) {
	if s.rows != nil {
		k := &s.batch
		*k = rowsTask{s: s, i: i, x: x, dt: dt, b: b, c: c, y: y}
		s.batchRows(k)
		*k = rowsTask{}
		return
	}
	p := &s.m.layers[i].scan2
	k := &s.scan2
	heads := 1
	if p.G > 1 {
		heads = p.H / p.G
	}
	S, q := s.ssmScan(i)
	*k = scan2Task{T: T, p: p, S: S, coded: coded{q, s.m.codec, i}, x: x, y: y, dt: dt, b: b, c: c, heads: heads}
	parallel.For(&s.wg, p.H/heads, scanMinWork/(T*p.P*p.N*heads)+1, k)
	*k = scan2Task{}
}
