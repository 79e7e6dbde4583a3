package quant

import (
	"fmt"

	"github.com/quamba/quamba/formats"
	"github.com/quamba/quamba/hadamard"
	"github.com/quamba/quamba/model"
)

// The function-preserving transforms of quamba.md §3.3 and §4.2. Each one
// rewrites a *model.Weights in place so that the model built from it
// computes the same logits (up to float32 rounding). Each checks its
// preconditions first (w.Check, shapes, unit norm weights, Hadamard sizes)
// and returns an error naming the tensor or dimension that stops it, leaving
// w unchanged.
//
// Shapes (see model.Weights): D = d_model, E = d_inner, V = padded vocab,
// in_proj [rows, D], out_proj [D, E], embedding and lm_head [V, D].

// Untie gives lm_head its own copy of the embedding and sets
// Config.TieEmbeddings to false, so the two can be transformed apart (lm_head
// takes norm_f, the embedding does not). It does nothing to an untied model.
func Untie(w *model.Weights) error {
	if err := checkWeights("Untie", w); err != nil {
		return err
	}
	if !w.Config.TieEmbeddings {
		return nil
	}
	w.LMHead = append([]float32(nil), w.Embedding...)
	w.Config.TieEmbeddings = false
	return nil
}

// FoldNorms folds every block's RMSNorm weight into the input columns of its
// in_proj, W_in[:, j] ← W_in[:, j]·norm[j], and norm_f into the columns of
// lm_head, L[:, j] ← L[:, j]·norm_f[j], then sets those norm weights to 1:
// RMSNorm(v)·w = RMSNorm_unit(v)·w and W·diag(w) is the folded weight. A
// tied model is untied first (Untie) unless norm_f is already all ones, in
// which case lm_head needs no change and stays tied. Mamba2's gated norm is
// left alone (see FoldGatedNorm).
func FoldNorms(w *model.Weights) error {
	if err := checkWeights("FoldNorms", w); err != nil {
		return err
	}
	D := w.Config.DModel
	if w.Config.TieEmbeddings && !allOnes(w.NormF) {
		if err := Untie(w); err != nil {
			return err
		}
	}
	for i := range w.Layers {
		l := &w.Layers[i]
		scaleCols(l.InProj, len(l.InProj)/D, D, l.Norm)
		fill(l.Norm, 1)
	}
	if !allOnes(w.NormF) {
		scaleCols(w.LMHead, w.Config.PaddedVocab, D, w.NormF)
		fill(w.NormF, 1)
	}
	return nil
}

// FoldGatedNorm folds each Mamba2 block's gated RMSNorm weight into the
// input columns of its out_proj, out_proj[:, c] ← out_proj[:, c]·gatedNorm[c],
// and sets the gated norm weight to 1. It needs the gated-norm output to
// reach out_proj unrotated, so it refuses weights whose online out_proj
// Hadamard is already fused (w.OutProjHadamard); it refuses Mamba1, which has
// no gated norm.
func FoldGatedNorm(w *model.Weights) error {
	if err := checkWeights("FoldGatedNorm", w); err != nil {
		return err
	}
	if w.Config.Arch != formats.Mamba2 {
		return fmt.Errorf("quant.FoldGatedNorm: a %s model has no gated norm", w.Config.Arch)
	}
	if w.OutProjHadamard {
		return fmt.Errorf("quant.FoldGatedNorm: out_proj already has the d_inner Hadamard fused (OutProjHadamard): the gated norm output is rotated before out_proj, fold it first")
	}
	D, E := w.Config.DModel, w.Config.DInner
	for i := range w.Layers {
		l := &w.Layers[i]
		scaleCols(l.OutProj, D, E, l.GatedNorm)
		fill(l.GatedNorm, 1)
	}
	return nil
}

// RotateResidual moves the whole residual stream into the rotated basis
// r' = H_D·r/√D (quamba.md §4.2): embedding rows E' = E·H_Dᵀ/√D, every
// in_proj on its input side (W_in·H_Dᵀ/√D), every out_proj on its output
// side ((H_D/√D)·W_out) and lm_head on its input side. A unit-weight RMSNorm
// commutes with the orthogonal H_D/√D (it keeps mean(v²)), so every norm
// weight, block norms and norm_f, must be exactly 1: run FoldNorms first.
// d_model must be a Hadamard length (hadamard.Check). A tied lm_head is the
// embedding and gets the same input-side rotation, so it may stay tied.
func RotateResidual(w *model.Weights) error {
	if err := checkWeights("RotateResidual", w); err != nil {
		return err
	}
	cfg := w.Config
	D := cfg.DModel
	if err := hadamard.Check(D); err != nil {
		return fmt.Errorf("quant.RotateResidual: d_model %d: %w", D, err)
	}
	if !allOnes(w.NormF) {
		return fmt.Errorf("quant.RotateResidual: %s is not all ones: fold the norms first (FoldNorms)", formats.NormFName)
	}
	for i, l := range w.Layers {
		if !allOnes(l.Norm) {
			return fmt.Errorf("quant.RotateResidual: layer %d norm.weight is not all ones: fold the norms first (FoldNorms)", i)
		}
	}
	V, E := cfg.PaddedVocab, cfg.DInner
	rot := []rotation{{formats.EmbeddingName, w.Embedding, V, D, false}}
	if !cfg.TieEmbeddings {
		rot = append(rot, rotation{formats.LMHeadName, w.LMHead, V, D, false})
	}
	for i := range w.Layers {
		l := &w.Layers[i]
		rot = append(rot,
			rotation{fmt.Sprintf("layer %d in_proj", i), l.InProj, len(l.InProj) / D, D, false},
			rotation{fmt.Sprintf("layer %d out_proj", i), l.OutProj, D, E, true})
	}
	for _, r := range rot {
		var err error
		if r.output {
			err = hadamard.RotateCols(r.data, r.rows, r.cols)
		} else {
			err = hadamard.RotateRows(r.data, r.rows, r.cols)
		}
		if err != nil { // not reached: shapes and values were checked
			return fmt.Errorf("quant.RotateResidual: %s: %w", r.name, err)
		}
	}
	return nil
}

// FuseOutHadamard fuses the Hadamard of the SSM output (quamba.md §3.3):
// every out_proj becomes out_proj·H_Eᵀ/√E on its input side (d_inner) and
// w.OutProjHadamard is set, so that the block rotates y online,
// y' = H_E·y/√E, and (W·H_Eᵀ)(H_E·y)/E = W·y. It refuses weights that
// already have it fused and a d_inner that is not a Hadamard length.
func FuseOutHadamard(w *model.Weights) error {
	if err := checkWeights("FuseOutHadamard", w); err != nil {
		return err
	}
	if w.OutProjHadamard {
		return fmt.Errorf("quant.FuseOutHadamard: the out_proj Hadamard is already fused (OutProjHadamard is set)")
	}
	D, E := w.Config.DModel, w.Config.DInner
	if err := hadamard.Check(E); err != nil {
		return fmt.Errorf("quant.FuseOutHadamard: d_inner %d: %w", E, err)
	}
	for i := range w.Layers {
		if err := hadamard.RotateRows(w.Layers[i].OutProj, D, E); err != nil { // not reached: checked
			return fmt.Errorf("quant.FuseOutHadamard: layer %d out_proj: %w", i, err)
		}
	}
	w.OutProjHadamard = true
	return nil
}

// rotation is one weight matrix [rows, cols] that RotateResidual rotates on
// its input side (RotateRows) or, if output, on its output side (RotateCols).
type rotation struct {
	name       string
	data       []float32
	rows, cols int
	output     bool
}

// checkWeights refuses nil or inconsistent weights (model.Weights.Check).
func checkWeights(fn string, w *model.Weights) error {
	if w == nil {
		return fmt.Errorf("quant.%s: nil weights", fn)
	}
	if err := w.Check(); err != nil {
		return fmt.Errorf("quant.%s: %w", fn, err)
	}
	return nil
}

// scaleCols multiplies column j of the row-major w [rows, cols] by s[j].
func scaleCols(w []float32, rows, cols int, s []float32) {
	for r := 0; r < rows; r++ {
		row := w[r*cols : (r+1)*cols]
		for j, v := range s {
			row[j] *= v
		}
	}
}

func allOnes(x []float32) bool {
	for _, v := range x {
		if v != 1 {
			return false
		}
	}
	return true
}

func fill(x []float32, v float32) {
	for i := range x {
		x[i] = v
	}
}
