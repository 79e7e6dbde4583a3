package model

import (
	"github.com/quamba/quamba/internal/parallel"
	"github.com/quamba/quamba/kernels"
)

// rowKind names a row-wise step of a block.
type rowKind uint8

const (
	rowAct   rowKind = iota // the hook on the activation x [T, cols]
	rowQuant                // q = kernels.QuantizeI8(x, inv)
	rowNorm                 // res += h (h non-nil); x = RMSNorm(res)·w, or its codes q with inv
	rowOut                  // out_proj input x: gated RMSNorm with z (non-nil), Hadamard, codes q with inv
)

// rowOp is a step of a block that treats each of T rows on its own (the
// hook, quantizing a projection input, the RMSNorms, the gated RMSNorm
// and Hadamard before out_proj): a prefill splits it over the worker
// pool by rows, a decode step runs it inline.
type rowOp struct {
	s        *State
	kind     rowKind
	layer    int
	p        Point
	cols     int
	x        []float32 // [T, cols]
	res, h   []float32 // rowNorm: the residual and what is added to it
	z, w     []float32 // rowOut: the gate [T, cols]; the norm weight
	q        []int8    // codes [T, cols], or nil for a float32 result
	inv, eps float32
}

// rowMinWork is the smallest number of elements worth giving a row-wise
// step its own goroutine.
const rowMinWork = 1 << 13

// rowwise runs op over T rows.
func (s *State) rowwise(T int, op rowOp) {
	op.s = s
	s.rowOp = op
	parallel.For(&s.wg, T, max(1, rowMinWork/max(1, op.cols)), &s.rowOp)
	s.rowOp = rowOp{}
}

func (k *rowOp) Run(lo, hi int) {
	c := k.cols
	row := func(b []float32, t int) []float32 {
		if b == nil {
			return nil
		}
		return b[t*c : (t+1)*c]
	}
	switch k.kind {
	case rowAct:
		k.s.m.hook.Act(k.layer, k.p, hi-lo, c, k.x[lo*c:hi*c])
	case rowQuant:
		kernels.QuantizeI8(k.x[lo*c:hi*c], k.inv, k.q[lo*c:hi*c])
	case rowNorm:
		for t := lo; t < hi; t++ {
			if k.q != nil {
				kernels.AddRMSNormQuantI8(row(k.res, t), row(k.h, t), k.w, k.eps, k.inv, k.q[t*c:(t+1)*c])
			} else {
				kernels.AddRMSNormF32(row(k.res, t), row(k.h, t), k.w, k.eps, row(k.x, t))
			}
		}
	case rowOut:
		m := k.s.m
		gs := c / max(1, m.Config.NGroups)
		for t := lo; t < hi; t++ {
			x := row(k.x, t)
			var q []int8
			if k.q != nil {
				q = k.q[t*c : (t+1)*c]
			}
			switch {
			case k.z != nil && q != nil && !m.outHad:
				kernels.GatedRMSNormQuantI8(x, row(k.z, t), k.w, gs, k.eps, k.inv, q)
				continue
			case k.z != nil:
				kernels.GatedRMSNormF32(x, row(k.z, t), k.w, gs, k.eps, x)
			}
			switch {
			case q != nil && m.outHad:
				kernels.HadamardQuantI8(x, k.inv, q)
			case q != nil:
				kernels.QuantizeI8(x, k.inv, q)
			case m.outHad:
				kernels.Hadamard(x)
			}
		}
	}
}
