package quant

import (
	"fmt"
	"runtime/debug"
	"sync"

	"github.com/quamba/quamba/formats"
	"github.com/quamba/quamba/kernels"
	"github.com/quamba/quamba/model"
)

// withEngine builds an engine over w with the stages st (its Linear is
// replaced by the packed float32 one) for one calibration pass and runs f
// on it, holding the model in memory about once: each projection tensor is
// moved into the engine's packed panels, not copied (while f runs, w's
// projection tensors are nil), and moved back afterwards, bit for bit,
// tensor by tensor as the panels are released. model.Build alone would
// hold the weights twice, which is what bounds the size of model a machine
// can compile.
func withEngine(w *model.Weights, st model.Stages, f func(m *model.Model) error) (err error) {
	splits := model.Projections(w.Config)
	left := map[string]int{} // stages of each tensor still to pack
	rows := map[string]int{} // rows of each tensor
	for _, p := range splits {
		left[p.Tensor]++
		rows[p.Tensor] = max(rows[p.Tensor], p.Row0+p.Rows)
	}
	var packed []f32Stage // per stage, in the order of splits (Build's order)
	st.Linear = func(layer int, name model.ProjName, w8 []float32, n, k int) (model.Linear, error) {
		p := splits[len(packed)]
		var l interface {
			model.Linear
			f32Stage
		}
		var err error
		if p.Layer < 0 {
			l, err = newLazyF32(w8, n, k)
		} else {
			l, err = model.NewF32Linear(w8, n, k)
		}
		if err != nil {
			return nil, err
		}
		packed = append(packed, l)
		if left[p.Tensor]--; left[p.Tensor] == 0 && !(p.Tensor == formats.LMHeadName && w.Config.TieEmbeddings) {
			*projSlot(w, p) = nil // the panels hold it now
			if j := len(packed); j == len(splits) || splits[j].Layer != p.Layer {
				debug.FreeOSMemory() // return the layer's float weights as it is packed
			}
		}
		return l, nil
	}
	defer func() {
		// The engine is unreachable now: move the weights back, releasing the panels tensor by tensor.
		for j, l := range packed {
			p := splits[j]
			dst := projSlot(w, p)
			switch {
			case *dst == nil && p.Row0 == 0 && p.Rows == rows[p.Tensor]:
				*dst = l.Unpack() // the whole tensor: no second copy
			case *dst == nil:
				*dst = make([]float32, rows[p.Tensor]*p.Cols)
				fallthrough
			default:
				copy((*dst)[p.Row0*p.Cols:], l.Unpack())
			}
			packed[j] = nil // its panels are garbage once the engine is
			if j+1 == len(packed) || splits[j+1].Tensor != p.Tensor {
				debug.FreeOSMemory()
			}
		}
	}()
	m, err := model.Build(w, st)
	if err != nil {
		return err
	}
	return f(m)
}

// projSlot is the Weights field holding a projection stage's tensor.
func projSlot(w *model.Weights, p model.ProjSplit) *[]float32 {
	if p.Layer < 0 {
		return &w.LMHead
	}
	l := &w.Layers[p.Layer]
	switch p.Name {
	case model.ProjInX, model.ProjInZ, model.ProjInXBC, model.ProjInDt:
		return &l.InProj
	case model.ProjXDt, model.ProjXB, model.ProjXC:
		return &l.XProj
	case model.ProjDt:
		return &l.DtProj
	}
	return &l.OutProj
}

// f32Stage is a float32 projection stage of withEngine's engine, whose
// weights go back to the model afterwards.
type f32Stage interface {
	Unpack() []float32 // the weights [n, k], row-major
}

// lazyF32 is the engine's lm_head: a float32 stage that packs its weights
// on its first product. Calibration and Hessian passes compute no logits,
// so lm_head is neither packed (a second copy of it while packing) nor
// unpacked there.
type lazyF32 struct {
	w     []float32
	n, k  int
	parts int
	once  sync.Once
	l     *model.F32Linear
}

func newLazyF32(w []float32, n, k int) (*lazyF32, error) {
	if n <= 0 || k <= 0 || len(w) != n*k {
		return nil, fmt.Errorf("quant: %d weights for a %dx%d stage", len(w), n, k)
	}
	np := (n + kernels.PanelRows - 1) / kernels.PanelRows
	return &lazyF32{w: w, n: n, k: k, parts: len(model.PanelParts(np))}, nil
}

func (z *lazyF32) Dims() (n, k int) { return z.n, z.k }

// Parts is that of the packed stage (model.PanelParts of its panels).
func (z *lazyF32) Parts() int { return z.parts }

func (z *lazyF32) MatMul(y, x []float32, T int, lo, hi, parts int) {
	z.once.Do(func() {
		l, err := model.NewF32Linear(z.w, z.n, z.k)
		if err != nil {
			panic(fmt.Sprintf("quant: packing lm_head: %v", err)) // the sizes were checked
		}
		z.l, z.w = l, nil
	})
	z.l.MatMul(y, x, T, lo, hi, parts)
}

// Unpack returns the weights: the slice it was given when it never packed.
func (z *lazyF32) Unpack() []float32 {
	if z.l != nil {
		return z.l.Unpack()
	}
	return z.w
}
