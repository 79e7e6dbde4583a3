package model

// scanMinWork is the smallest number of state updates worth splitting across
// goroutines.
const scanMinWork = 1 << 12

// convSegment receives conv channels [c0, c1) of every token, SiLU applied,
// into dst [T, c1-c0].
type convSegment struct {
	c0, c1 int
	dst    []float32
}

// convTask is the depthwise causal conv of one layer over T tokens, split by
// channel: out[t,c] = silu(b[c] + Σ_k w[c,k]·x[t-K+1+k, c]), where inputs
// before the chunk come from the conv state, which is then advanced.
type convTask struct {
	T, Cc, K int
	in       []float32 // [T, Cc] pre-conv inputs
	w, b     []float32 // [Cc, K], [Cc]
	state    []float32 // [Cc, K], inputs at times -K..-1, oldest first
	segs     [3]convSegment
	nseg     int
}

func (k *convTask) run(lo, hi int) {
	T, Cc, K := k.T, k.Cc, k.K
	for _, sg := range k.segs[:k.nseg] {
		a, b := max(lo, sg.c0), min(hi, sg.c1)
		width := sg.c1 - sg.c0
		for t := 0; t < T; t++ {
			out := sg.dst[t*width : (t+1)*width]
			for c := a; c < b; c++ {
				w := k.w[c*K : (c+1)*K]
				acc := k.b[c]
				for j := 0; j < K; j++ {
					var v float32
					if tt := t - K + 1 + j; tt >= 0 {
						v = k.in[tt*Cc+c]
					} else {
						v = k.state[c*K+K+tt]
					}
					acc += w[j] * v
				}
				out[c-sg.c0] = silu(acc)
			}
		}
	}
	// The new state holds the inputs at times T-K..T-1. Reading ahead of the
	// write index (T+j > j) makes the in-place shift safe.
	for c := lo; c < hi; c++ {
		st := k.state[c*K : (c+1)*K]
		for j := 0; j < K; j++ {
			if tt := T - K + j; tt >= 0 {
				st[j] = k.in[tt*Cc+c]
			} else {
				st[j] = st[T+j]
			}
		}
	}
}

// causalConv runs the conv of layer i over in [T, Cc] and writes SiLU of its
// output to the segments.
func (s *State) causalConv(i, T int, in []float32, segs ...convSegment) {
	l := &s.m.Layers[i]
	k := &s.conv1
	k.T, k.Cc, k.K = T, convDim(s.m.Config), s.m.Config.DConv
	k.in, k.w, k.b, k.state = in, l.ConvWeight, l.ConvBias, s.conv[i]
	k.nseg = copy(k.segs[:], segs)
	parallelFor(&s.wg, k.Cc, scanMinWork/(T*k.K)+1, k)
	*k = convTask{}
}

// scan1Task is the Mamba1 selective scan over T tokens, split by channel c:
//
//	delta[c] = softplus(dt[c] + dtBias[c])
//	h[c,n]   = exp(delta[c]·A[c,n])·h[c,n] + delta[c]·B[n]·x[c]
//	y[c]     = Σ_n C[n]·h[c,n] + D[c]·x[c]
type scan1Task struct {
	T, E, N         int
	x, dt, delta, y []float32 // [T, E]; delta is written
	dtBias          []float32 // [E]
	b, c            []float32 // [T, N]
	A               []float32 // [E, N]
	D               []float32 // [E]
	h               []float32 // [E, N] state, updated in place
}

func (k *scan1Task) run(lo, hi int) {
	E, N := k.E, k.N
	var buf [64]float32
	dA := buf[:0]
	if N <= len(buf) {
		dA = buf[:N]
	} else {
		dA = make([]float32, N)
	}
	for t := 0; t < k.T; t++ {
		bt, ct := k.b[t*N:][:N], k.c[t*N:][:N]
		xt, yt := k.x[t*E:(t+1)*E], k.y[t*E:(t+1)*E]
		dt, delta := k.dt[t*E:(t+1)*E], k.delta[t*E:(t+1)*E]
		for c := lo; c < hi; c++ {
			d, xv := softplus(dt[c]+k.dtBias[c]), xt[c]
			delta[c] = d
			h := k.h[c*N:][:N]
			expScaled(dA, d, k.A[c*N:][:N])
			var acc float32
			for n := range h {
				hn := dA[n]*h[n] + d*bt[n]*xv
				h[n] = hn
				acc += hn * ct[n]
			}
			yt[c] = acc + k.D[c]*xv
		}
	}
}

// scan2Task is the Mamba2 scan over T tokens, split by head h, whose B and C
// come from group g = h / (H/G):
//
//	S[h,p,n] = exp(delta[h]·A[h])·S[h,p,n] + (delta[h]·x[h,p])·B[g,n]
//	y[h,p]   = Σ_n C[g,n]·S[h,p,n] + D[h]·x[h,p]
type scan2Task struct {
	T, H, P, N, G int
	x, y          []float32 // [T, H·P]
	delta         []float32 // [T, H]
	b, c          []float32 // [T, G·N]
	A, D          []float32 // [H]
	S             []float32 // [H, P, N] state, updated in place
}

func (k *scan2Task) run(lo, hi int) {
	H, P, N, G := k.H, k.P, k.N, k.G
	E, GN, perGroup := H*P, G*N, H/G
	for t := 0; t < k.T; t++ {
		for h := lo; h < hi; h++ {
			g := h / perGroup
			bt, ct := k.b[t*GN+g*N:t*GN+(g+1)*N], k.c[t*GN+g*N:t*GN+(g+1)*N]
			d := k.delta[t*H+h]
			dA := expf(d * k.A[h])
			xh, yh := k.x[t*E+h*P:t*E+(h+1)*P], k.y[t*E+h*P:t*E+(h+1)*P]
			for p, xv := range xh {
				S := k.S[(h*P+p)*N : (h*P+p+1)*N]
				yh[p] = stateUpdate(S, bt, ct, dA, d*xv) + k.D[h]*xv
			}
		}
	}
}

// stateUpdate sets S[n] = dA·S[n] + dx·b[n] and returns Σ_n S[n]·c[n],
// accumulated in four interleaved partial sums (n mod 4) to keep the
// floating-point pipeline busy.
func stateUpdate(S, b, c []float32, dA, dx float32) float32 {
	var a0, a1, a2, a3 float32
	for len(S) >= 4 && len(b) >= 4 && len(c) >= 4 {
		s, bb, cc := S[:4:4], b[:4:4], c[:4:4]
		s0 := dA*s[0] + dx*bb[0]
		s1 := dA*s[1] + dx*bb[1]
		s2 := dA*s[2] + dx*bb[2]
		s3 := dA*s[3] + dx*bb[3]
		s[0], s[1], s[2], s[3] = s0, s1, s2, s3
		a0 += s0 * cc[0]
		a1 += s1 * cc[1]
		a2 += s2 * cc[2]
		a3 += s3 * cc[3]
		S, b, c = S[4:], b[4:], c[4:]
	}
	b, c = b[:len(S)], c[:len(S)]
	for n := range S {
		sn := dA*S[n] + dx*b[n]
		S[n] = sn
		a0 += sn * c[n]
	}
	return (a0 + a1) + (a2 + a3)
}
