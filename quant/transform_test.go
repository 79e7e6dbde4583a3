package quant

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quamba/quamba/formats"
	"github.com/quamba/quamba/hadamard"
	"github.com/quamba/quamba/model"
)

// The function-preservation tests compare the logits of the transformed
// model with those of the untouched original, both run by the FP32 engine:
// a prefill of 64 tokens (every position's logits) and 4 decode steps. The
// tolerance is relative: max |Δlogit| ≤ 1e-4 · max |logit| of the
// original. A transform that is wrong in any tensor moves the logits by far
// more (checked by TestLogitCheckDetectsChange).
const (
	trPrompt = 64
	trSteps  = 4
	trTol    = 1e-4
)

// trDataDir is the repository's testdata directory.
func trDataDir(name string) string { return filepath.Join("..", "testdata", name) }

// trLoad reads a bundled model into memory (a private copy).
func trLoad(t testing.TB, name string) *model.Weights {
	t.Helper()
	files, err := formats.OpenModel(trDataDir(name))
	if err != nil {
		t.Fatal(err)
	}
	defer files.Close()
	w, err := model.NewWeights(files.Config, files)
	if err != nil {
		t.Fatal(err)
	}
	return w.Clone()
}

// trRandomConfig is a small Mamba2 with four SSD groups of three heads
// (fewer heads per group than Quamba2's four head groups): d_model 48 =
// 12·4, d_inner 96 = 12·8, 12 heads of 8, d_state 8, vocab 64, tied.
func trRandomConfig() formats.Config {
	return formats.Config{
		Arch: formats.Mamba2, Convention: formats.StateSpaces,
		DModel: 48, NLayer: 2, VocabSize: 64, PaddedVocab: 64, PadVocabSizeMultiple: 8,
		DState: 8, DConv: 4, Expand: 2, DInner: 96,
		HeadDim: 8, NHeads: 12, NGroups: 4, DtLimitMax: math.Inf(1), ChunkSize: 16,
		ConvBias: true, RMSNorm: true, ResidualInFP32: true, TieEmbeddings: true, NormEps: 1e-5,
	}
}

// trRandomWeights draws the standard init for cfg and moves every tensor away
// from it (norm weights, D and gated norm away from 1, A_log spread), as a
// trained model is, so that every transformed tensor matters.
func trRandomWeights(t testing.TB, cfg formats.Config, seed uint64) *model.Weights {
	t.Helper()
	init, err := model.RandomTensors(cfg, int64(seed))
	if err != nil {
		t.Fatal(err)
	}
	w, err := model.NewWeights(cfg, init)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 11))
	jitter := func(x []float32, sd float64) {
		for i := range x {
			x[i] += float32(sd * rng.NormFloat64())
		}
	}
	jitter(w.Embedding, 0.5)
	if !cfg.TieEmbeddings {
		jitter(w.LMHead, 0.1)
	}
	jitter(w.NormF, 0.3)
	for i := range w.Layers {
		l := &w.Layers[i]
		for _, x := range [][]float32{l.InProj, l.ConvWeight, l.ConvBias, l.XProj, l.DtProj, l.OutProj} {
			jitter(x, 0.1)
		}
		jitter(l.Norm, 0.3)
		jitter(l.D, 0.3)
		jitter(l.GatedNorm, 0.3)
		for j := range l.ALog {
			l.ALog[j] = float32(math.Log(0.5 + 8*rng.Float64()))
		}
	}
	if err := w.Check(); err != nil {
		t.Fatal(err)
	}
	return w
}

// trTokens are trPrompt+trSteps tokens of the held-out text (bytes,
// folded into the vocabulary).
func trTokens(t testing.TB, vocab int) []int {
	t.Helper()
	text, err := os.ReadFile(filepath.Join("..", "testdata", "shakespeare-heldout.txt"))
	if err != nil {
		t.Fatal(err)
	}
	toks := make([]int, trPrompt+trSteps)
	for i := range toks {
		toks[i] = int(text[1000+i]) % vocab
	}
	return toks
}

// trLogits builds the FP32 engine from w and returns the logits of a
// prefill of the first trPrompt tokens (all positions) followed by the
// logits of trSteps single-token steps.
func trLogits(t testing.TB, w *model.Weights, toks []int) []float32 {
	t.Helper()
	m, err := model.Build(w, model.Stages{})
	if err != nil {
		t.Fatal(err)
	}
	V := w.Config.PaddedVocab
	out := make([]float32, (trPrompt+trSteps)*V)
	s := m.NewState()
	if err := m.Forward(s, toks[:trPrompt], out[:trPrompt*V]); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < trSteps; i++ {
		if err := m.Step(s, toks[trPrompt+i], out[(trPrompt+i)*V:(trPrompt+i+1)*V]); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// trRelDiff is max |got-want| / max |want|.
func trRelDiff(got, want []float32) float64 {
	var d, m float64
	for i := range want {
		d = math.Max(d, math.Abs(float64(got[i])-float64(want[i])))
		m = math.Max(m, math.Abs(float64(want[i])))
	}
	return d / m
}

// trSameFunction fails unless the logits of w and of ref agree within trTol.
func trSameFunction(t *testing.T, what string, w *model.Weights, ref []float32, toks []int) {
	t.Helper()
	got := trLogits(t, w, toks)
	d := trRelDiff(got, ref)
	t.Logf("%s: %.3g", what, d)
	if !(d <= trTol) {
		t.Errorf("%s: logits differ by %.3g of max |logit| (tolerance %g)", what, d, trTol)
	}
}

// trModel is one model the transforms are checked on.
type trModel struct {
	name string
	w    *model.Weights
}

func trModels(t *testing.T) []trModel {
	return []trModel{
		{"mamba1-shakespeare", trLoad(t, "mamba1-shakespeare")},
		{"mamba2-shakespeare", trLoad(t, "mamba2-shakespeare")},
		{"random-mamba2-g4", trRandomWeights(t, trRandomConfig(), 3)},
	}
}

func trWantErr(t *testing.T, err error, substr ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one mentioning %q", substr)
	}
	for _, s := range substr {
		if !strings.Contains(err.Error(), s) {
			t.Fatalf("error %q does not mention %q", err, s)
		}
	}
}

// TestLogitCheckDetectsChange makes sure the comparison can fail: a small
// change of one weight (what a transform that forgot one tensor would do)
// is far outside the tolerance.
func TestLogitCheckDetectsChange(t *testing.T) {
	for _, tm := range trModels(t) {
		toks := trTokens(t, tm.w.Config.VocabSize)
		ref := trLogits(t, tm.w, toks)
		w := tm.w.Clone()
		w.Layers[1].Norm[3] *= 1.5
		if d := trRelDiff(trLogits(t, w, toks), ref); d <= 10*trTol {
			t.Errorf("%s: changing one norm weight moved the logits by only %.3g", tm.name, d)
		}
	}
}

// TestTransformsPreserveFunction applies each transform alone (with the
// preconditions it needs) and the whole chain.
func TestTransformsPreserveFunction(t *testing.T) {
	for _, tm := range trModels(t) {
		cfg := tm.w.Config
		toks := trTokens(t, cfg.VocabSize)
		ref := trLogits(t, tm.w, toks)
		step := func(what string, w *model.Weights, fs ...func(*model.Weights) error) *model.Weights {
			t.Helper()
			for _, f := range fs {
				if err := f(w); err != nil {
					t.Fatalf("%s %s: %v", tm.name, what, err)
				}
			}
			trSameFunction(t, tm.name+" "+what, w, ref, toks)
			return w
		}

		w := step("Untie", tm.w.Clone(), Untie)
		if w.Config.TieEmbeddings || &w.LMHead[0] == &w.Embedding[0] {
			t.Errorf("%s: Untie left lm_head tied", tm.name)
		}
		w = step("FoldNorms", tm.w.Clone(), FoldNorms)
		if !allOnes(w.NormF) || !allOnes(w.Layers[0].Norm) {
			t.Errorf("%s: FoldNorms left a norm weight that is not 1", tm.name)
		}
		step("FoldNorms+RotateResidual", tm.w.Clone(), FoldNorms, RotateResidual)
		step("FuseOutHadamard", tm.w.Clone(), FuseOutHadamard)
		if cfg.Arch == formats.Mamba2 {
			w = step("FoldGatedNorm", tm.w.Clone(), FoldGatedNorm)
			if !allOnes(w.Layers[1].GatedNorm) {
				t.Errorf("%s: FoldGatedNorm left a gated norm weight that is not 1", tm.name)
			}
			step("FoldGatedNorm+FuseOutHadamard", tm.w.Clone(), FoldGatedNorm, FuseOutHadamard)
		}

		// The full chain, with the reordering computed from the model's own
		// SSM input statistic on the prompt.
		w = tm.w.Clone()
		reorder := func(w *model.Weights) error {
			stats := trMeanAbsX(t, w, toks[:trPrompt])
			hg := QuambaGroups
			if cfg.Arch == formats.Mamba1 {
				hg = 1
			}
			for i := range stats {
				r, err := SortAndCluster(w.Config, stats[i], hg, QuambaGroups)
				if err != nil {
					return err
				}
				if err := ApplyReorder(w, i, r); err != nil {
					return err
				}
			}
			return nil
		}
		step("chain", w, Untie, FoldNorms, reorder, RotateResidual, FuseOutHadamard)
		if !w.OutProjHadamard {
			t.Errorf("%s: FuseOutHadamard did not set OutProjHadamard", tm.name)
		}
	}
}

// trMeanAbsX is the per-layer, per-channel mean |x| over the tokens of the
// SSM input (PointX), the sort-and-cluster statistic of one sequence.
func trMeanAbsX(t testing.TB, w *model.Weights, toks []int) [][]float64 {
	t.Helper()
	m, err := model.Build(w, model.Stages{})
	if err != nil {
		t.Fatal(err)
	}
	E := w.Config.DInner
	sums := make([][]float64, w.Config.NLayer)
	for i := range sums {
		sums[i] = make([]float64, E)
	}
	s := m.NewState()
	s.Observer = model.ObserverFunc(func(layer int, p model.Point, rows, cols int, data []float32) {
		if p != model.PointX {
			return
		}
		for r := 0; r < rows; r++ {
			for c := 0; c < cols; c++ {
				sums[layer][c] += math.Abs(float64(data[r*cols+c]))
			}
		}
	})
	if err := m.Forward(s, toks, nil); err != nil {
		t.Fatal(err)
	}
	for i := range sums {
		for c := range sums[i] {
			sums[i][c] /= float64(len(toks))
		}
	}
	return sums
}

// TestTransformWeightsMatchTextbook checks the rewritten tensors themselves
// against a float64 textbook computation with the dense Hadamard matrix
// M = H/√n (hadamard.Dense): folded in_proj W·diag(norm), rotated embedding
// E·Mᵀ, in_proj W·Mᵀ, out_proj M·W on the output side and W·M_Eᵀ on the
// input side.
func TestTransformWeightsMatchTextbook(t *testing.T) {
	w0 := trRandomWeights(t, trRandomConfig(), 5)
	cfg := w0.Config
	D, E, V := cfg.DModel, cfg.DInner, cfg.PaddedVocab
	inRows := len(w0.Layers[0].InProj) / D

	w := w0.Clone()
	if err := FoldNorms(w); err != nil {
		t.Fatal(err)
	}
	folded := make([]float64, inRows*D)
	for r := 0; r < inRows; r++ {
		for j := 0; j < D; j++ {
			folded[r*D+j] = float64(w0.Layers[0].InProj[r*D+j]) * float64(w0.Layers[0].Norm[j])
		}
	}
	trClose(t, "folded in_proj", w.Layers[0].InProj, folded, 1e-6)
	lm := make([]float64, V*D)
	for r := 0; r < V; r++ {
		for j := 0; j < D; j++ {
			lm[r*D+j] = float64(w0.Embedding[r*D+j]) * float64(w0.NormF[j])
		}
	}
	trClose(t, "folded lm_head", w.LMHead, lm, 1e-6)
	trClose(t, "embedding after FoldNorms", w.Embedding, trWiden(w0.Embedding), 0)

	w1 := w.Clone()
	if err := RotateResidual(w1); err != nil {
		t.Fatal(err)
	}
	if err := FuseOutHadamard(w1); err != nil {
		t.Fatal(err)
	}
	MD, err := hadamard.Dense(D)
	if err != nil {
		t.Fatal(err)
	}
	ME, err := hadamard.Dense(E)
	if err != nil {
		t.Fatal(err)
	}
	trClose(t, "rotated embedding", w1.Embedding, trMatMulT(trWiden(w.Embedding), V, D, MD), 1e-5)
	trClose(t, "rotated lm_head", w1.LMHead, trMatMulT(trWiden(w.LMHead), V, D, MD), 1e-5)
	trClose(t, "rotated in_proj", w1.Layers[1].InProj, trMatMulT(trWiden(w.Layers[1].InProj), inRows, D, MD), 1e-5)
	// out_proj'' = (M_D·W)·M_Eᵀ
	out := trMatMulT(trWiden(w.Layers[1].OutProj), D, E, ME) // W·M_Eᵀ [D, E]
	left := make([]float64, D*E)
	for i := 0; i < D; i++ {
		for j := 0; j < E; j++ {
			var s float64
			for k := 0; k < D; k++ {
				s += MD[i*D+k] * out[k*E+j]
			}
			left[i*E+j] = s
		}
	}
	trClose(t, "rotated out_proj", w1.Layers[1].OutProj, left, 1e-5)
}

// trMatMulT returns a·mᵀ for a [rows, n] and m [n, n], in float64.
func trMatMulT(a []float64, rows, n int, m []float64) []float64 {
	out := make([]float64, rows*n)
	for r := 0; r < rows; r++ {
		for i := 0; i < n; i++ {
			var s float64
			for k := 0; k < n; k++ {
				s += a[r*n+k] * m[i*n+k]
			}
			out[r*n+i] = s
		}
	}
	return out
}

func trWiden(x []float32) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}

// trClose fails when some |got-want| exceeds tol·max(1, max|want|).
func trClose(t *testing.T, what string, got []float32, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	var m float64 = 1
	for _, v := range want {
		m = math.Max(m, math.Abs(v))
	}
	for i := range want {
		if d := math.Abs(float64(got[i]) - want[i]); !(d <= tol*m) {
			t.Fatalf("%s[%d] = %v, want %v", what, i, got[i], want[i])
		}
	}
}

// TestTieHandling: FoldNorms unties a tied model whose norm_f is not all
// ones and keeps a tied one whose norm_f is; RotateResidual rotates a tied
// embedding once (it is also lm_head) and keeps the function.
func TestTieHandling(t *testing.T) {
	w := trRandomWeights(t, trRandomConfig(), 9)
	if !w.Config.TieEmbeddings {
		t.Fatal("the random config should be tied")
	}
	if err := FoldNorms(w); err != nil {
		t.Fatal(err)
	}
	if w.Config.TieEmbeddings {
		t.Error("FoldNorms kept lm_head tied although norm_f was folded into it")
	}

	w = trRandomWeights(t, trRandomConfig(), 9)
	fill(w.NormF, 1)
	toks := trTokens(t, w.Config.VocabSize)
	ref := trLogits(t, w, toks)
	if err := FoldNorms(w); err != nil {
		t.Fatal(err)
	}
	if !w.Config.TieEmbeddings {
		t.Error("FoldNorms untied a model whose norm_f is all ones")
	}
	if err := RotateResidual(w); err != nil {
		t.Fatal(err)
	}
	if !w.Config.TieEmbeddings || &w.LMHead[0] != &w.Embedding[0] {
		t.Error("RotateResidual untied the model")
	}
	trSameFunction(t, "tied FoldNorms+RotateResidual", w, ref, toks)

	// Untie of an untied model is a no-op.
	w2 := trLoad(t, "mamba2-shakespeare")
	lm := w2.LMHead
	if err := Untie(w2); err != nil {
		t.Fatal(err)
	}
	if &w2.LMHead[0] != &lm[0] {
		t.Error("Untie replaced the lm_head of an untied model")
	}
}

// TestTransformErrors: every transform refuses what it cannot do with an
// error naming the problem and leaves the weights unchanged.
func TestTransformErrors(t *testing.T) {
	// Mamba1 with d_model 36 = 9·4 and d_inner 72 = 9·8: no Hadamard.
	cfg := formats.Config{
		Arch: formats.Mamba1, Convention: formats.StateSpaces,
		DModel: 36, NLayer: 1, VocabSize: 16, PaddedVocab: 16, PadVocabSizeMultiple: 8,
		DState: 4, DConv: 4, Expand: 2, DInner: 72, DtRank: 3,
		ConvBias: true, RMSNorm: true, ResidualInFP32: true, TieEmbeddings: true, NormEps: 1e-5,
	}
	odd := trRandomWeights(t, cfg, 1)
	if err := FoldNorms(odd); err != nil {
		t.Fatal(err)
	}
	keep := odd.Clone()
	trWantErr(t, RotateResidual(odd), "d_model 36")
	trWantErr(t, FuseOutHadamard(odd), "d_inner 72")
	trWantErr(t, FoldGatedNorm(odd), "no gated norm")
	if trRelDiff(odd.Embedding, keep.Embedding) != 0 || trRelDiff(odd.Layers[0].OutProj, keep.Layers[0].OutProj) != 0 || odd.OutProjHadamard {
		t.Error("a refused transform changed the weights")
	}

	w := trRandomWeights(t, trRandomConfig(), 2)
	trWantErr(t, RotateResidual(w), "norm_f", "FoldNorms")
	fill(w.NormF, 1)
	trWantErr(t, RotateResidual(w), "layer 0 norm.weight", "FoldNorms")

	w = trRandomWeights(t, trRandomConfig(), 2)
	if err := FuseOutHadamard(w); err != nil {
		t.Fatal(err)
	}
	trWantErr(t, FuseOutHadamard(w), "already")
	trWantErr(t, FoldGatedNorm(w), "OutProjHadamard")
	trWantErr(t, ApplyReorder(w, 0, &Reorder{}), "OutProjHadamard")

	w = trRandomWeights(t, trRandomConfig(), 2)
	w.Layers[1].InProj[5] = float32(math.NaN())
	trWantErr(t, FoldNorms(w), "in_proj", "non-finite")
	for _, f := range []func(*model.Weights) error{Untie, FoldNorms, FoldGatedNorm, RotateResidual, FuseOutHadamard} {
		trWantErr(t, f(nil), "nil weights")
	}
}
