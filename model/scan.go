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

// packLen is the size of the scratch that a Mamba2 prefill of T > 1 tokens
// split over goroutines gathers the SSM inputs and outputs of each part
// into (a Mamba1 scan reads and writes its columns in place).
func packLen(cfg formats.Config, T int) int {
	E := cfg.DInner
	if cfg.Arch == formats.Mamba1 {
		return 0
	}
	return 2*T*E + T*cfg.NHeads + 2*T*cfg.NGroups*cfg.DState // x, y, dt, B, C
}

// gather copies columns [c0, c1) of the T rows of src [T, stride] into dst
// [T, c1-c0]; scatter does the reverse.
func gather(dst, src []float32, T, stride, c0, c1 int) {
	w := c1 - c0
	for t := range T {
		copy(dst[t*w:(t+1)*w], src[t*stride+c0:t*stride+c1])
	}
}

func scatter(dst, src []float32, T, stride, c0, c1 int) {
	w := c1 - c0
	for t := range T {
		copy(dst[t*stride+c0:t*stride+c1], src[t*w:(t+1)*w])
	}
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
	if c0 == 0 && c1 == E {
		kernels.ScanM1F32(k.p, k.h, k.y, k.x, k.dt, k.b, k.c, k.z, T)
		return
	}
	// Channels are independent: a channel range is a scan of its own with
	// the matching slices of the constants and the state, and gives the
	// bits of the whole scan. It reads and writes its columns in place
	// (rows E apart).
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
	pack  []float32 // packLen scratch, for a split prefill
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
	q := k.p
	T, H, P, N, G := k.T, q.H, q.P, q.N, q.G
	h0, h1 := lo*k.heads, hi*k.heads
	if h0 == 0 && h1 == H {
		kernels.ScanM2F32(q, k.S, k.y, k.x, k.dt, k.b, k.c, T)
		return
	}
	g0, g1 := 0, 1
	if G > 1 {
		g0, g1 = lo, hi
	}
	p := kernels.ScanM2Params{H: h1 - h0, P: P, N: N, G: g1 - g0, A: q.A[h0:h1], D: q.D[h0:h1], DtBias: q.DtBias[h0:h1],
		DtLimit: q.DtLimit, DtMin: q.DtMin, DtMax: q.DtMax}
	S := k.S[h0*N*P : h1*N*P]
	if T == 1 {
		kernels.ScanM2F32(&p, S, k.y[h0*P:h1*P], k.x[h0*P:h1*P], k.dt[h0:h1], k.b[g0*N:g1*N], k.c[g0*N:g1*N], 1)
		return
	}
	// As for Mamba1: gather the range's columns into its own regions of
	// the scratch, laid out x | y | dt | B | C.
	E, GN := H*P, G*N
	ox, nx := T*h0*P, T*(h1-h0)*P
	x, y := k.pack[ox:ox+nx], k.pack[T*E+ox:T*E+ox+nx]
	od, nd := 2*T*E+T*h0, T*(h1-h0)
	dt := k.pack[od : od+nd]
	gather(x, k.x, T, E, h0*P, h1*P)
	gather(dt, k.dt, T, H, h0, h1)
	b, c := k.b, k.c
	if g1-g0 < G {
		ob, nb := 2*T*E+T*H+T*g0*N, T*(g1-g0)*N
		b, c = k.pack[ob:ob+nb], k.pack[T*GN+ob:T*GN+ob+nb]
		gather(b, k.b, T, GN, g0*N, g1*N)
		gather(c, k.c, T, GN, g0*N, g1*N)
	}
	kernels.ScanM2F32(&p, S, y, x, dt, b, c, T)
	scatter(k.y, y, T, E, h0*P, h1*P)
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
	*k = scan2Task{T: T, p: p, S: S, coded: coded{q, s.m.codec, i}, x: x, y: y, dt: dt, b: b, c: c, pack: s.pack, heads: heads}
	parallel.For(&s.wg, p.H/heads, scanMinWork/(T*p.P*p.N*heads)+1, k)
	*k = scan2Task{}
}
