package model

import (
	"fmt"

	"github.com/quamba/quamba/formats"
)

// Point identifies an activation that quantization calibrates. Shapes are
// [T, cols] for the T tokens of one Forward chunk (T = 1 in Step), with
// D = d_model, E = d_inner, N = d_state, R = dt_rank, H = nheads, G = ngroups.
type Point uint8

const (
	// PointInProjInput is the block RMSNorm output u, the in_proj input [T, D].
	PointInProjInput Point = iota
	// PointConvInput is the in_proj output that feeds the causal conv:
	// Mamba1 x [T, E]; Mamba2 xBC [T, E+2GN].
	PointConvInput
	// PointZ is the gate branch of in_proj [T, E].
	PointZ
	// PointX is the SSM input x = SiLU(conv) [T, E] (Mamba1: also the x_proj input).
	PointX
	// PointB is the SSM input matrix: Mamba1 [T, N] (x_proj output); Mamba2 [T, G·N] (conv output).
	PointB
	// PointC is the SSM output matrix, shaped like B.
	PointC
	// PointDtLow is the low-rank dt of x_proj, the dt_proj input (Mamba1 only) [T, R].
	PointDtLow
	// PointDt is dt before its bias and softplus: Mamba1 the dt_proj product without
	// its bias [T, E]; Mamba2 the dt slice of in_proj [T, H].
	PointDt
	// PointDelta is softplus(dt + bias) (clamped to dt_limit for Mamba2): Mamba1 [T, E]; Mamba2 [T, H].
	// The scan kernels compute delta internally; for an observer it is
	// computed again with kernels.SoftplusF32, the kernels' own softplus.
	PointDelta
	// PointY is the SSM output including the D skip, before gating [T, E].
	PointY
	// PointOutProjInput is the out_proj input [T, E]: Mamba1 y·SiLU(z); Mamba2 the
	// gated RMSNorm output.
	PointOutProjInput
	// PointLMHeadInput is the norm_f output [T, D], reported with layer -1.
	PointLMHeadInput

	numPoints
)

var pointNames = [numPoints]string{
	PointInProjInput: "in_proj_input", PointConvInput: "conv_input", PointZ: "z", PointX: "x", PointB: "B", PointC: "C",
	PointDtLow: "dt_low", PointDt: "dt", PointDelta: "delta", PointY: "y", PointOutProjInput: "out_proj_input",
	PointLMHeadInput: "lm_head_input",
}

func (p Point) String() string {
	if p < numPoints {
		return pointNames[p]
	}
	return fmt.Sprintf("point(%d)", uint8(p))
}

// PointCols is the number of columns point p reports for a model with
// configuration cfg (0 when the architecture does not report it: Mamba2 has
// no PointDtLow). D = d_model, E = d_inner, N = d_state, R = dt_rank,
// H = nheads, G = ngroups.
func PointCols(cfg formats.Config, p Point) int {
	m2 := cfg.Arch == formats.Mamba2
	D, E, N := cfg.DModel, cfg.DInner, cfg.DState
	switch p {
	case PointInProjInput, PointLMHeadInput:
		return D
	case PointConvInput:
		if m2 {
			return E + 2*cfg.NGroups*N
		}
		return E
	case PointZ, PointX, PointY, PointOutProjInput:
		return E
	case PointB, PointC:
		if m2 {
			return cfg.NGroups * N
		}
		return N
	case PointDtLow:
		if m2 {
			return 0
		}
		return cfg.DtRank
	case PointDt, PointDelta:
		if m2 {
			return cfg.NHeads
		}
		return E
	}
	return 0
}

// Points lists every Point in model order.
func Points() []Point {
	ps := make([]Point, numPoints)
	for i := range ps {
		ps[i] = Point(i)
	}
	return ps
}

// Observer sees activations during Forward and Step. Observe receives the
// layer index (-1 for PointLMHeadInput), the point and a row-major [rows, cols]
// matrix; data is valid only during the call and must not be modified.
// Mamba1 reports every point; Mamba2 every point except PointDtLow.
//
// Observers run on the goroutine that called Forward or Step. Setting no
// observer costs one nil check per point. With an observer, the points the
// scan kernels keep internal cost extra work: delta is computed for it, and
// Mamba1's scan runs with a unit gate so that PointY can be reported before
// the z gate, which is then applied separately with the same float32
// operations as the kernel's (the logits keep their bits).
type Observer interface {
	Observe(layer int, p Point, rows, cols int, data []float32)
}

// ObserverFunc adapts a function to the Observer interface.
type ObserverFunc func(layer int, p Point, rows, cols int, data []float32)

// Observe calls f.
func (f ObserverFunc) Observe(layer int, p Point, rows, cols int, data []float32) {
	f(layer, p, rows, cols, data)
}

// act runs the model's hook, then the state's observer, on an activation.
func (s *State) act(layer int, p Point, rows, cols int, data []float32) {
	if s.m.hook != nil && p != PointDelta {
		s.rowwise(rows, rowOp{kind: rowAct, layer: layer, p: p, cols: cols, x: data[:rows*cols]})
	}
	if s.Observer != nil {
		s.Observer.Observe(layer, p, rows, cols, data[:rows*cols])
	}
}
