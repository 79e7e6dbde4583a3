package kernels

import "fmt"

// Causal depthwise conv1d + SiLU, the second step of both Mamba mixers.
//
// Over C channels and d = dConv taps (1 ≤ d ≤ 4; Mamba uses 4), for token t
// and channel c:
//
//	acc = bias[c] + Σ_{k=0..d-1} w[k·C+c]·in(t-(d-1)+k, c)   (k in order)
//	v   = silu(acc) = acc / (1 + Exp(-acc))
//
// where in(s, c) is x[s·ldx+c] for s ≥ 0 and, for s < 0, the conv state
// state[(s+d-1)·C+c]: the state holds the d-1 inputs before the first token,
// oldest first (zeros at the start of a sequence). Each product w·x is
// rounded to float32 before it is added (no fused multiply-add), and Exp is
// this package's float32 exp. The int8-output forms store
// sat8(RNE(v·invOutScale[c])); invOutScale is per channel (per-tensor
// scales: fill it with one value; Mamba2: one value per group).
//
// The weights are channel-contiguous, w[k·C+c] (the PyTorch [C][1][d] conv
// weight transposed), with the input scale times the weight scale of each
// channel already folded in for int8 inputs, so that in(s, c) is the raw
// int8 value.
//
// On return the state holds the last d-1 inputs (older state rows when fewer
// than d-1 tokens were given), ready for the next call: a prefill followed
// by steps gives the same outputs as one longer prefill.
//
// All tiers perform the same float32 operations (their exp is bit-exact with
// Exp), so every tier returns the same bits as the pure-Go twin.

// silu32 is acc/(1+Exp(-acc)) in float32 arithmetic.
func silu32(v float32) float32 {
	return v / (1 + Exp(-v))
}

type convElem interface{ ~int8 | ~float32 }

func checkConv[T convElem](fn string, l, c, dConv int, x []T, ldx int, state []T, w, bias []float32, invOutScale []float32, nout, ldo int) {
	switch {
	case dConv < 1 || dConv > 4:
		panic(fmt.Sprintf("kernels.%s: dConv = %d, want 1..4", fn, dConv))
	case l < 0 || c < 0:
		panic(fmt.Sprintf("kernels.%s: negative shape l = %d, c = %d", fn, l, c))
	case ldx < c || ldo < c:
		panic(fmt.Sprintf("kernels.%s: strides ldx = %d, ldo = %d shorter than c = %d", fn, ldx, ldo, c))
	case l > 0 && len(x) < (l-1)*ldx+c:
		panic(fmt.Sprintf("kernels.%s: len(x) = %d, want >= %d", fn, len(x), (l-1)*ldx+c))
	case l > 0 && nout < (l-1)*ldo+c:
		panic(fmt.Sprintf("kernels.%s: len(out) = %d, want >= %d", fn, nout, (l-1)*ldo+c))
	case len(state) < (dConv-1)*c:
		panic(fmt.Sprintf("kernels.%s: len(state) = %d, want >= %d", fn, len(state), (dConv-1)*c))
	case len(w) < dConv*c || len(bias) < c:
		panic(fmt.Sprintf("kernels.%s: len(w) = %d, len(bias) = %d, want >= %d and %d", fn, len(w), len(bias), dConv*c, c))
	case invOutScale != nil && len(invOutScale) < c:
		panic(fmt.Sprintf("kernels.%s: len(invOutScale) = %d, want >= %d", fn, len(invOutScale), c))
	}
}

// CausalConv1dSiLUI8 runs the conv over l tokens of int8 input x (row t at
// x[t·ldx:]) and writes int8 rows out[t·ldo:]; state is int8 [dConv-1][c].
func CausalConv1dSiLUI8(l, c, dConv int, x []int8, ldx int, state []int8, w, bias, invOutScale []float32, out []int8, ldo int) {
	checkConv("CausalConv1dSiLUI8", l, c, dConv, x, ldx, state, w, bias, invOutScale, len(out), ldo)
	if invOutScale == nil {
		panic("kernels.CausalConv1dSiLUI8: nil invOutScale")
	}
	if l == 0 {
		return
	}
	done := convI8Arch(active, l, c, dConv, x, ldx, state, w, bias, invOutScale, out, ldo)
	convGeneric(l, c, dConv, done, x, ldx, state, w, bias, invOutScale, out, nil, ldo)
	convShiftState(l, c, dConv, x, ldx, state)
}

// CausalConv1dSiLUStepI8 is CausalConv1dSiLUI8 for one token x[:c] (decode).
func CausalConv1dSiLUStepI8(c, dConv int, x []int8, state []int8, w, bias, invOutScale []float32, out []int8) {
	checkConv("CausalConv1dSiLUStepI8", 1, c, dConv, x, c, state, w, bias, invOutScale, len(out), c)
	if invOutScale == nil {
		panic("kernels.CausalConv1dSiLUStepI8: nil invOutScale")
	}
	done := convStepI8Arch(active, c, dConv, x, state, w, bias, invOutScale, out)
	convGeneric(1, c, dConv, done, x, c, state, w, bias, invOutScale, out, nil, c)
	convStepShift(c, dConv, done, c, x, state)
}

// CausalConv1dSiLUI8F32 is CausalConv1dSiLUI8 with float32 outputs v (no
// output quantization).
func CausalConv1dSiLUI8F32(l, c, dConv int, x []int8, ldx int, state []int8, w, bias []float32, out []float32, ldo int) {
	checkConv("CausalConv1dSiLUI8F32", l, c, dConv, x, ldx, state, w, bias, nil, len(out), ldo)
	if l == 0 {
		return
	}
	done := convI8F32Arch(active, l, c, dConv, x, ldx, state, w, bias, out, ldo)
	convGeneric(l, c, dConv, done, x, ldx, state, w, bias, nil, nil, out, ldo)
	convShiftState(l, c, dConv, x, ldx, state)
}

// CausalConv1dSiLUStepI8F32 is CausalConv1dSiLUI8F32 for one token.
func CausalConv1dSiLUStepI8F32(c, dConv int, x []int8, state []int8, w, bias []float32, out []float32) {
	CausalConv1dSiLUI8F32(1, c, dConv, x, c, state, w, bias, out, c)
}

// CausalConv1dSiLUF32 is the float32 conv (float32 inputs, state and
// outputs), for the W4A16 path and float references.
func CausalConv1dSiLUF32(l, c, dConv int, x []float32, ldx int, state []float32, w, bias []float32, out []float32, ldo int) {
	checkConv("CausalConv1dSiLUF32", l, c, dConv, x, ldx, state, w, bias, nil, len(out), ldo)
	if l == 0 {
		return
	}
	done := convF32Arch(active, l, c, dConv, x, ldx, state, w, bias, out, ldo)
	convGeneric(l, c, dConv, done, x, ldx, state, w, bias, nil, nil, out, ldo)
	convShiftState(l, c, dConv, x, ldx, state)
}

// CausalConv1dSiLUStepF32 is CausalConv1dSiLUF32 for one token.
func CausalConv1dSiLUStepF32(c, dConv int, x []float32, state []float32, w, bias []float32, out []float32) {
	checkConv("CausalConv1dSiLUStepF32", 1, c, dConv, x, c, state, w, bias, nil, len(out), c)
	done := convStepF32Arch(active, c, dConv, x, state, w, bias, out)
	convGeneric(1, c, dConv, done, x, c, state, w, bias, nil, nil, out, c)
	convStepShift(c, dConv, done, c, x, state)
}

// convGeneric computes channels [c0, c) of every token, into outI8 (with
// invOutScale) or outF32. It reads the state but does not update it.
func convGeneric[T convElem](l, c, dConv, c0 int, x []T, ldx int, state []T, w, bias, invOutScale []float32, outI8 []int8, outF32 []float32, ldo int) {
	if c0 >= c {
		return
	}
	for t := 0; t < l; t++ {
		for ch := c0; ch < c; ch++ {
			acc := bias[ch]
			for k := 0; k < dConv; k++ {
				s := t - (dConv - 1) + k
				var in T
				if s >= 0 {
					in = x[s*ldx+ch]
				} else {
					in = state[(s+dConv-1)*c+ch]
				}
				acc += float32(w[k*c+ch] * float32(in))
			}
			v := silu32(acc)
			if outI8 != nil {
				outI8[t*ldo+ch] = quantRNE8(v * invOutScale[ch])
			} else {
				outF32[t*ldo+ch] = v
			}
		}
	}
}

// convStepShift moves the state of channels [c0, c1) up by one token:
// row r ← row r+1, last row ← x.
func convStepShift[T convElem](c, dConv, c0, c1 int, x, state []T) {
	keep := dConv - 1
	if keep == 0 || c0 >= c1 {
		return
	}
	for r := 0; r < keep-1; r++ {
		copy(state[r*c+c0:r*c+c1], state[(r+1)*c+c0:(r+1)*c+c1])
	}
	copy(state[(keep-1)*c+c0:(keep-1)*c+c1], x[c0:c1])
}

// convShiftState replaces the state by the last dConv-1 conv inputs.
func convShiftState[T convElem](l, c, dConv int, x []T, ldx int, state []T) {
	keep := dConv - 1
	if keep == 0 || l == 0 {
		return
	}
	if l < keep {
		copy(state[:(keep-l)*c], state[l*c:keep*c])
	}
	for r := max(0, keep-l); r < keep; r++ {
		s := l - keep + r
		copy(state[r*c:(r+1)*c], x[s*ldx:s*ldx+c])
	}
}
