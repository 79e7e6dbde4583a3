package quant

import (
	"runtime/debug"

	"github.com/quamba/quamba/formats"
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
	var packed []*model.F32Linear // per stage, in the order of splits (Build's order)
	st.Linear = func(layer int, name model.ProjName, w8 []float32, n, k int) (model.Linear, error) {
		l, err := model.NewF32Linear(w8, n, k)
		if err != nil {
			return nil, err
		}
		p := splits[len(packed)]
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
