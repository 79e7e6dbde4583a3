package quant

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/quamba/quamba/calib"
	"github.com/quamba/quamba/formats"
	"github.com/quamba/quamba/model"
)

// W4AX: per-layer mixed activation precision (quamba.md §4.8). Every block
// has 4-bit weights; a layer is either W4A8 (int8 activations, the faster
// kernels) or W4A16 (float activations). The choice comes from measured
// sensitivities:
//
//  1. compile the model with every layer A8 (the W4A8 recipe);
//  2. on the first W4AXSamples calibration samples, measure through the
//     simulation the calibration loss (mean next-token NLL) with every
//     layer A16 (lm_head stays A8), and with only layer i A8, for every i:
//     the sensitivity of layer i is the increase of the loss;
//  3. predict the loss of a mix as the A16 loss plus the sum of its layers'
//     sensitivities, and choose the most A8 layers (the least sensitive
//     first) whose predicted increase stays within Options.A8Budget, relative
//     to the A16 loss (or the Options.A8Count least sensitive layers);
//  4. compile again with that choice (Options.A8Layers: conv, A_log, D and
//     Mamba1's dt_proj stay float in the A16 layers, GPTQ sees the mix) and
//     measure its loss on the same samples.
//
// The search is recorded in Options.W4AX, with the first-k and last-k
// heuristics at the same count for comparison, all evaluated on the all-A8
// compile of step 1 ("proxy" losses: the weights of step 1, the activation
// scales of the mix's layers only).

// DefaultA8Budget is the default W4AX budget: a predicted calibration loss
// at most 1% above the all-A16 loss.
const DefaultA8Budget = 0.01

// W4AXSamples bounds the calibration samples the sensitivity search
// evaluates (the first ones).
const W4AXSamples = 64

// W4AXSearch records how a W4AX compile chose its A8 layers. Losses are
// mean next-token NLL in nats per predicted token on the search's
// calibration samples, through the float32 simulation.
type W4AXSearch struct {
	Budget  float64 `json:"budget,omitempty"` // relative budget (0 when Count chose)
	Count   int     `json:"count,omitempty"`  // requested A8 count (0 when Budget chose)
	Samples int     `json:"samples"`
	Tokens  int     `json:"tokens"` // predicted tokens per evaluation
	// LossA16 has every layer A16, LossA8 every layer A8 (lm_head A8 in
	// both), on the all-A8 compile.
	LossA16 float64 `json:"loss_a16"`
	LossA8  float64 `json:"loss_a8"`
	// Sensitivity[i] is the loss increase over LossA16 with only layer i A8.
	Sensitivity []float64 `json:"sensitivity"`
	// Chosen is the mix compiled; Measured its loss on the final compile.
	Chosen   W4AXMix `json:"chosen"`
	Measured float64 `json:"measured_loss"`
	// Heuristics are the first-k and last-k A8 layers at Chosen's count.
	Heuristics []W4AXMix `json:"heuristics"`
	Seconds    float64   `json:"seconds"`
}

// W4AXMix is one choice of A8 layers with its predicted loss (LossA16 plus
// the sum of its layers' sensitivities) and its proxy loss (simulated on the
// all-A8 compile with only those layers' activation scales).
type W4AXMix struct {
	Name      string  `json:"name"`
	Layers    []int   `json:"a8_layers"`
	Predicted float64 `json:"predicted_loss"`
	Proxy     float64 `json:"proxy_loss"`
}

// LayerA8 reports whether layer's activations are int8.
func (o Options) LayerA8(layer int) bool {
	return o.ABits == 8 && (o.A8Layers == nil || slices.Contains(o.A8Layers, layer))
}

// a8Targets keeps the targets of the A8 layers (and lm_head's).
func (o Options) a8Targets(ts []calib.Target) []calib.Target {
	out := ts[:0:0]
	for _, t := range ts {
		if t.Layer < 0 || o.LayerA8(t.Layer) {
			out = append(out, t)
		}
	}
	return out
}

func (o Options) checkA8Layers(cfg formats.Config) error {
	if o.A8Layers != nil && o.ABits != 8 {
		return fmt.Errorf("quant: %s: A8 layers with %d-bit activations", o.Scheme, o.ABits)
	}
	for j, l := range o.A8Layers {
		if l < 0 || l >= cfg.NLayer {
			return fmt.Errorf("quant: %s: A8 layer %d is outside the model's %d layers", o.Scheme, l, cfg.NLayer)
		}
		if j > 0 && l <= o.A8Layers[j-1] {
			return fmt.Errorf("quant: %s: A8 layers %v are not increasing", o.Scheme, o.A8Layers)
		}
	}
	if o.A8Budget < 0 || math.IsNaN(o.A8Budget) {
		return fmt.Errorf("quant: %s: A8 budget %g is negative", o.Scheme, o.A8Budget)
	}
	if o.A8Count < 0 || o.A8Count > cfg.NLayer {
		return fmt.Errorf("quant: %s: A8 count %d is outside [0, %d]", o.Scheme, o.A8Count, cfg.NLayer)
	}
	if o.Scheme == W4AX && (o.WBits != 4 || o.ABits != 8) {
		return fmt.Errorf("quant: w4ax: W%dA%d (want 4-bit weights and 8-bit activations)", o.WBits, o.ABits)
	}
	return nil
}

// layerList formats layers as "0,2,3" ("none" when empty).
func layerList(ls []int) string {
	if len(ls) == 0 {
		return "none"
	}
	s := make([]string, len(ls))
	for i, l := range ls {
		s[i] = strconv.Itoa(l)
	}
	return strings.Join(s, ",")
}

// ChooseA8Layers returns, in increasing order, the A8 layers: with count >
// 0 the count layers of smallest sensitivity; otherwise the largest number
// of layers whose summed sensitivity stays within allowed (an absolute loss
// increase). Taking the least sensitive first is optimal for both: any k
// layers sum to at least the k smallest sensitivities. Ties go to the lower
// layer.
func ChooseA8Layers(sens []float64, allowed float64, count int) []int {
	order := make([]int, len(sens))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return sens[order[a]] < sens[order[b]] })
	k := count
	if count <= 0 {
		sum := 0.0
		for j, l := range order {
			sum += sens[l]
			if sum <= allowed {
				k = j + 1
			}
		}
	}
	out := slices.Clone(order[:min(k, len(order))])
	slices.Sort(out)
	if out == nil {
		out = []int{}
	}
	return out
}

// compileW4AX runs the search and the final compile (see the top of the
// file).
func compileW4AX(ctx context.Context, w *model.Weights, data *calib.Dataset, opt Options, co CompileOptions) (*Compiled, error) {
	t0 := time.Now()
	cfg := w.Config
	co.WriteOnly = false // the search and the measurement simulate the compiled models
	if data == nil || len(data.Samples) == 0 {
		return nil, fmt.Errorf("quant: %s needs calibration data", opt.Scheme)
	}
	all := make([]int, cfg.NLayer)
	for i := range all {
		all[i] = i
	}
	o8 := opt
	o8.A8Layers = all
	co8 := co
	co8.InPlace = false
	c8, err := Compile(ctx, w, data, o8, co8)
	if err != nil {
		return nil, err
	}
	samples := data.Samples[:min(len(data.Samples), W4AXSamples)]
	s := &W4AXSearch{Budget: opt.A8Budget, Count: opt.A8Count, Samples: len(samples), Sensitivity: make([]float64, cfg.NLayer)}
	if opt.A8Count > 0 {
		s.Budget = 0
	}
	for _, smp := range samples {
		s.Tokens += max(len(smp)-1, 0)
	}
	const stage = "w4ax-sensitivity"
	st0 := time.Now()
	report := func(done, total int, finished bool) {
		if co.Progress != nil {
			co.Progress(Stage{Name: stage, Done: done, Total: total, Elapsed: time.Since(st0), Finished: finished})
		}
	}
	total := cfg.NLayer + 5 // A16, every single layer, A8, the choice and the two heuristics
	report(0, 0, false)
	done := 0
	loss := func(layers []int) (float64, error) {
		v, err := calibLoss(ctx, c8, actsOf(c8.Acts, layers), samples, co.Workers)
		done++
		report(done, total, false)
		return v, err
	}
	if s.LossA16, err = loss([]int{}); err != nil {
		return nil, err
	}
	for i := range cfg.NLayer {
		v, err := loss([]int{i})
		if err != nil {
			return nil, err
		}
		s.Sensitivity[i] = v - s.LossA16
	}
	if s.LossA8, err = loss(all); err != nil {
		return nil, err
	}
	chosen := ChooseA8Layers(s.Sensitivity, opt.A8Budget*s.LossA16, opt.A8Count)
	k := len(chosen)
	mix := func(name string, layers []int) (W4AXMix, error) {
		m := W4AXMix{Name: name, Layers: layers, Predicted: s.LossA16}
		for _, l := range layers {
			m.Predicted += s.Sensitivity[l]
		}
		var err error
		switch {
		case len(layers) == 0:
			m.Proxy = s.LossA16
		case len(layers) == cfg.NLayer:
			m.Proxy = s.LossA8
		default:
			m.Proxy, err = calibLoss(ctx, c8, actsOf(c8.Acts, layers), samples, co.Workers)
		}
		return m, err
	}
	if s.Chosen, err = mix("auto", chosen); err != nil {
		return nil, err
	}
	done++
	report(done, total, false)
	for _, h := range []struct {
		name   string
		layers []int
	}{{"first-k", all[:k]}, {"last-k", all[cfg.NLayer-k:]}} {
		m, err := mix(h.name, slices.Clone(h.layers))
		if err != nil {
			return nil, err
		}
		s.Heuristics = append(s.Heuristics, m)
		done++
		report(done, total, false)
	}
	report(total, total, true)
	c8 = nil

	fo := opt
	fo.A8Layers = chosen
	out, err := Compile(ctx, w, data, fo, co)
	if err != nil {
		return nil, err
	}
	if s.Measured, err = calibLoss(ctx, out, out.Acts, samples, co.Workers); err != nil {
		return nil, err
	}
	s.Seconds = time.Since(t0).Seconds()
	out.Options.W4AX = s
	return out, nil
}

// actsOf keeps the activation scales of layers and of lm_head.
func actsOf(acts map[ActKey]ActQuant, layers []int) map[ActKey]ActQuant {
	out := map[ActKey]ActQuant{}
	for k, a := range acts {
		if k.Layer < 0 || slices.Contains(layers, k.Layer) {
			out[k] = a
		}
	}
	return out
}

// calibLoss is the mean next-token NLL (nats) of samples on the simulation
// of c with the activation scales acts (and c's state scales). Samples run
// in parallel; the result does not depend on the parallelism.
func calibLoss(ctx context.Context, c *Compiled, acts map[ActKey]ActQuant, samples [][]int, workers int) (float64, error) {
	cfg := c.Weights.Config
	h, err := newActHook(cfg, acts)
	if err != nil {
		return 0, err
	}
	st, err := newStateCodec(cfg, c.StateScales)
	if err != nil {
		return 0, err
	}
	stages := model.Stages{Hook: h}
	if st != nil {
		stages.State = st
	}
	sim, err := model.Build(c.Weights, stages)
	if err != nil {
		return 0, err
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = max(1, min(workers, len(samples)))
	nll := make([]float64, len(samples))
	errs := make([]error, workers)
	const chunk = 128
	P := cfg.PaddedVocab
	var wg sync.WaitGroup
	for j := range workers {
		wg.Add(1)
		go func(j int) {
			defer wg.Done()
			s := sim.NewState()
			logits := make([]float32, chunk*P)
			for k := j; k < len(samples); k += workers {
				if err := ctx.Err(); err != nil {
					errs[j] = err
					return
				}
				toks := samples[k]
				s.Reset()
				for off := 0; off < len(toks)-1; off += chunk {
					part := toks[off:min(off+chunk, len(toks)-1)]
					if err := sim.Forward(s, part, logits[:len(part)*P]); err != nil {
						errs[j] = err
						return
					}
					for t := range part {
						row := logits[t*P : (t+1)*P]
						nll[k] += model.LogSumExp(row) - float64(row[toks[off+t+1]])
					}
				}
			}
		}(j)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return 0, err
		}
	}
	var sum float64
	n := 0
	for k, v := range nll {
		sum += v
		n += max(len(samples[k])-1, 0)
	}
	if n == 0 {
		return 0, fmt.Errorf("quant: calibration loss: no predicted tokens")
	}
	return sum / float64(n), nil
}

// mixedKVs are the artifact's optional per-layer precision keys.
func mixedKVs(o Options) ([]formats.GGUFKV, error) {
	var kv []formats.GGUFKV
	if o.A8Layers != nil {
		ls := make([]int32, len(o.A8Layers))
		for i, l := range o.A8Layers {
			ls[i] = int32(l)
		}
		kv = append(kv, formats.GGUFKV{Key: "quamba.a8_layers", Value: ls})
	}
	if o.Scheme == W4AX {
		kv = append(kv, formats.GGUFKV{Key: "quamba.a8_budget", Value: o.A8Budget},
			formats.GGUFKV{Key: "quamba.a8_count", Value: uint32(o.A8Count)})
	}
	if o.W4AX != nil {
		b, err := json.Marshal(o.W4AX)
		if err != nil {
			return nil, err
		}
		kv = append(kv, formats.GGUFKV{Key: "quamba.w4ax.search", Value: string(b)})
	}
	return kv, nil
}

// readMixed reads the optional keys of mixedKVs into o.
func readMixed(g *formats.GGUFFile, o *Options) error {
	if _, ok := g.Value("quamba.a8_layers"); ok {
		ls, err := g.Int32s("quamba.a8_layers")
		if err != nil {
			return err
		}
		o.A8Layers = make([]int, len(ls))
		for i, l := range ls {
			o.A8Layers[i] = int(l)
		}
	}
	if _, ok := g.Value("quamba.a8_budget"); ok {
		v, err := g.Float64("quamba.a8_budget")
		if err != nil {
			return err
		}
		o.A8Budget = v
	}
	if _, ok := g.Value("quamba.a8_count"); ok {
		v, err := g.Uint32("quamba.a8_count")
		if err != nil {
			return err
		}
		o.A8Count = int(v)
	}
	if _, ok := g.Value("quamba.w4ax.search"); ok {
		js, err := g.String("quamba.w4ax.search")
		if err != nil {
			return err
		}
		o.W4AX = &W4AXSearch{}
		if err := json.Unmarshal([]byte(js), o.W4AX); err != nil {
			return fmt.Errorf("quamba.w4ax.search: %w", err)
		}
	}
	return nil
}
