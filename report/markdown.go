package report

import (
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"

	"github.com/quamba/quamba/quant"
)

// table is a header row and body rows of cells.
type table struct {
	head []string
	rows [][]string
}

func (t table) markdown(w io.Writer) {
	fmt.Fprintf(w, "| %s |\n|%s\n", strings.Join(t.head, " | "), strings.Repeat("---|", len(t.head)))
	for _, r := range t.rows {
		fmt.Fprintf(w, "| %s |\n", strings.Join(r, " | "))
	}
	fmt.Fprintln(w)
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.2f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// mainTable has one row per scheme: perplexity and its change on every
// evaluation set, LAMBADA, size, bits per weight, speed.
func (r *Report) mainTable() table {
	t := table{head: []string{"scheme"}}
	for _, e := range r.Eval {
		t.head = append(t.head, "ppl "+e.Name, "change")
	}
	if r.Lambada != nil {
		t.head = append(t.head, "LAMBADA acc")
	}
	t.head = append(t.head, "size", "bits/weight", "prefill tok/s", "decode tok/s")
	for _, s := range r.Schemes {
		row := []string{"`" + s.Name + "`"}
		for j := range r.Eval {
			if j >= len(s.Perplexity) {
				row = append(row, "", "")
				continue
			}
			p := s.Perplexity[j]
			ch := "—"
			if s.Name != FP {
				ch = fmt.Sprintf("%+.4f (%+.2f%%)", p.Change, p.ChangePct)
			}
			row = append(row, fmt.Sprintf("%.4f", p.PPL), ch)
		}
		if r.Lambada != nil {
			if s.Lambada != nil {
				row = append(row, fmt.Sprintf("%.2f%% (%d/%d)", 100*s.Lambada.Accuracy, s.Lambada.Correct, s.Lambada.Total))
			} else {
				row = append(row, "")
			}
		}
		row = append(row, humanBytes(s.Bytes), fmt.Sprintf("%.2f", s.BitsPerWeight), fmt.Sprintf("%.0f", s.PrefillTPS), fmt.Sprintf("%.0f", s.DecodeTPS))
		t.rows = append(t.rows, row)
	}
	return t
}

// w4axTables are the per-layer sensitivities and the mixes of a W4AX
// search.
func w4axTables(s *Scheme) (layers, mixes table) {
	x := s.W4AX
	layers = table{head: []string{"layer", "sensitivity (Δ loss, nats)", "relative", "choice"}}
	for i, v := range x.Sensitivity {
		choice := "A16"
		for _, l := range x.Chosen.Layers {
			if l == i {
				choice = "**A8**"
			}
		}
		layers.rows = append(layers.rows, []string{fmt.Sprint(i), fmt.Sprintf("%+.6f", v), fmt.Sprintf("%+.4f%%", 100*v/x.LossA16), choice})
	}
	mixes = table{head: []string{"mix", "A8 layers", "predicted loss", "proxy loss", "measured loss"}}
	row := func(m quant.W4AXMix, measured string) {
		mixes.rows = append(mixes.rows, []string{m.Name, layerNames(m.Layers), fmt.Sprintf("%.5f", m.Predicted), fmt.Sprintf("%.5f", m.Proxy), measured})
	}
	mixes.rows = append(mixes.rows, []string{"all A16", "none", fmt.Sprintf("%.5f", x.LossA16), fmt.Sprintf("%.5f", x.LossA16), ""})
	row(x.Chosen, fmt.Sprintf("%.5f", x.Measured))
	for _, h := range x.Heuristics {
		row(h, "")
	}
	mixes.rows = append(mixes.rows, []string{"all A8", "all", "", fmt.Sprintf("%.5f", x.LossA8), ""})
	return layers, mixes
}

func layerNames(ls []int) string {
	if len(ls) == 0 {
		return "none"
	}
	s := make([]string, len(ls))
	for i, l := range ls {
		s[i] = fmt.Sprint(l)
	}
	return strings.Join(s, ", ")
}

// sqnrTable summarises every scheme's activation SQNR: the mean and the
// worst activation.
func (r *Report) sqnrTable() table {
	t := table{head: []string{"scheme", "activations", "mean SQNR (dB)", "worst (dB)", "worst activation"}}
	for _, s := range r.Schemes {
		if s.SQNR == nil {
			continue
		}
		var sum float64
		n := 0
		worst, wl, wp := math.Inf(1), 0, ""
		for i, row := range s.SQNR.DB {
			for j, v := range row {
				if v == nil {
					continue
				}
				sum += *v
				n++
				if *v < worst {
					worst, wl, wp = *v, s.SQNR.Layers[i], s.SQNR.Points[j]
				}
			}
		}
		if n == 0 {
			continue
		}
		where := fmt.Sprintf("layer %d %s", wl, wp)
		if wl < 0 {
			where = "lm_head " + wp
		}
		t.rows = append(t.rows, []string{"`" + s.Name + "`", fmt.Sprint(n), fmt.Sprintf("%.1f", sum/float64(n)), fmt.Sprintf("%.1f", worst), where})
	}
	return t
}

// hadamardSummary describes the Hadamard figure in one sentence.
func (r *Report) hadamardSummary() string {
	h := r.Hadamard
	if h == nil {
		return ""
	}
	st := func(v []float64) (mx, mean float64) {
		for _, x := range v {
			mx, mean = max(mx, x), mean+x
		}
		return mx, mean / float64(len(v))
	}
	bm, ba := st(h.Before)
	am, aa := st(h.After)
	return fmt.Sprintf("Layer %d (the layer with the largest outlier ratio): max |x| over channels %.3f before the Hadamard "+
		"(%.1fx the mean channel max), %.3f after (%.1fx): the rotation spreads outlier channels over all %d channels.",
		h.Layer, bm, bm/ba, am, am/aa, len(h.Before))
}

// WriteMarkdown renders r as report.md.
func (r *Report) WriteMarkdown(w io.Writer) error {
	fmt.Fprintf(w, "# Quantization report: %s\n\n", filepath.Base(r.Model.Path))
	fmt.Fprintf(w, "%s, %s, d_model %d, %d layers, d_inner %d, vocabulary %d, %d parameters. Perplexity windows of %d tokens "+
		"(each from a zero state); every quantized scheme runs on the int8 runtime (`runtime.Open`), `fp` is the FP32 engine.\n\n",
		r.Model.Path, r.Model.Arch, r.Model.DModel, r.Model.NLayer, r.Model.DInner, r.Model.Vocab, r.Model.Params, r.Ctx)
	if r.Calib != nil {
		fmt.Fprintf(w, "Calibration: %d samples x %d tokens (%d tokens) from %s.\n", r.Calib.Samples, r.Calib.SeqLen, r.Calib.Tokens, strings.Join(r.Calib.Files, ", "))
	}
	for _, e := range r.Eval {
		fmt.Fprintf(w, "Evaluation: `%s` (%d tokens).\n", e.Path, e.Tokens)
	}
	if r.Lambada != nil {
		fmt.Fprintf(w, "LAMBADA: `%s`, first %d examples, greedy prediction of the whole last word.\n", r.Lambada.Path, r.Lambada.Examples)
	}
	fmt.Fprintln(w)
	r.mainTable().markdown(w)
	fmt.Fprintf(w, "## Verdicts\n\n")
	for _, s := range r.Schemes {
		fmt.Fprintf(w, "- `%s`: %s\n", s.Name, s.Verdict)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "## Recipes\n\n")
	for _, s := range r.Schemes {
		kinds := ""
		if len(s.Kinds) > 0 {
			kinds = " — projection stages: " + kindList(s.Kinds)
		}
		fmt.Fprintf(w, "- `%s`: %s%s\n", s.Name, s.Recipe, kinds)
	}
	fmt.Fprintln(w)
	for _, s := range r.Schemes {
		if s.W4AX == nil {
			continue
		}
		fmt.Fprintf(w, "## W4AX: per-layer activation precision (`%s`)\n\n", s.Name)
		x := s.W4AX
		rule := fmt.Sprintf("the most A8 layers whose summed sensitivity stays within %g (relative) of the all-A16 loss", x.Budget)
		if x.Count > 0 {
			rule = fmt.Sprintf("the %d least sensitive layers", x.Count)
		}
		fmt.Fprintf(w, "Sensitivity of a layer: the increase of the calibration loss (mean next-token NLL over %d calibration "+
			"samples, %d predicted tokens, through the simulation) when only that layer runs A8 and every other A16. "+
			"Choice: %s. The proxy loss runs the mix on the all-A8 compile; the measured loss is the final compile of the "+
			"chosen mix.\n\n", x.Samples, x.Tokens, rule)
		lt, mt := w4axTables(&s)
		lt.markdown(w)
		mt.markdown(w)
	}
	if t := r.sqnrTable(); len(t.rows) > 0 {
		fmt.Fprintf(w, "## Activation SQNR\n\n")
		fmt.Fprintf(w, "Every quantized activation on the runtime (as the kernels consume it) against the FP32 engine over the "+
			"same artifact's weights, on the first %d evaluation tokens; the per-layer maps are in report.html and report.json.\n\n", r.probeTokens())
		t.markdown(w)
	}
	if s := r.hadamardSummary(); s != "" {
		fmt.Fprintf(w, "## Online Hadamard before out_proj\n\n%s\n\n", s)
	}
	fmt.Fprintf(w, "## Reproduce\n\n```sh\n%s\n```\n\n", r.Command)
	v := r.Versions
	fmt.Fprintf(w, "%s, %s, artifact format %d, kernels %s, %s/%s, %d CPUs; created %s.\n", v.Tool, v.Go, v.ArtifactFormat, v.Kernels, v.OS, v.Arch, v.CPUs, r.Created)
	return nil
}

// probeTokens is the number of tokens of the SQNR and speed probe.
func (r *Report) probeTokens() int {
	if len(r.Eval) == 0 {
		return 0
	}
	return min(r.Eval[0].Tokens, 256)
}

func kindList(k map[string]int) string {
	var parts []string
	for _, name := range []string{"w8a8", "w8a8-blocks", "w4a8", "w4a16", "f32"} {
		if k[name] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", k[name], name))
		}
	}
	return strings.Join(parts, ", ")
}
