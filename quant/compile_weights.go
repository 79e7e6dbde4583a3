package quant

import (
	"fmt"
	"math"
	"runtime/debug"
	"sync"

	"github.com/quamba/quamba/formats"
	"github.com/quamba/quamba/model"
)

// quantizeWeights quantizes every weight the recipe quantizes, layer by
// layer, and writes their dequantized values into out.Weights. Where a
// weight needs its input Hessian (GPTQ, the clip search), the Hessians of
// layer i are collected on the simulation of the model whose layers < i are
// already quantized (sequential GPTQ, quamba.md §4.7).
func (c *compiler) quantizeWeights(out *Compiled) error {
	w := out.Weights
	cfg := w.Config
	D, E, N, H, GN := cfg.DModel, cfg.DInner, cfg.DState, cfg.NHeads, cfg.NGroups*cfg.DState
	o := c.opt
	w4 := W4Options{Group: o.W4Group, Search: o.ClipSearch}
	hess := o.WBits == 4 && (o.GPTQ || o.ClipSearch)

	for i := range cfg.NLayer {
		c.report(Stage{Name: c.name, Done: i, Total: cfg.NLayer + 1})
		// Each layer replaces its float weights by dequantized ones: collect
		// the garbage as it goes, so that the heap does not grow by a model.
		debug.FreeOSMemory()
		l := &w.Layers[i]
		p := formats.LayerPrefix(i) + "mixer."
		var hs map[model.Point]*Hessian
		if hess {
			pts := []model.Point{model.PointInProjInput, model.PointOutProjInput}
			if cfg.Arch == formats.Mamba1 {
				pts = append(pts, model.PointX)
			}
			var err error
			if hs, err = c.hessians(out, i, pts); err != nil {
				return fmt.Errorf("layer %d: %w", i, err)
			}
		}
		rows := len(l.InProj) / D
		var inEnds []int
		gran := PerTensor
		if cfg.Arch == formats.Mamba2 {
			gran, inEnds = PerSlice, []int{E, 2 * E, 2*E + GN, 2*E + 2*GN, 2*E + 2*GN + H}
		}
		if err := c.weight(out, p+"in_proj.weight", &l.InProj, rows, D, gran, inEnds, w4, hs[model.PointInProjInput], o.GPTQ); err != nil {
			return err
		}
		if cfg.Arch == formats.Mamba1 {
			R := cfg.DtRank
			if err := c.weight(out, p+"x_proj.weight", &l.XProj, R+2*N, E, PerTensor, nil, w4, hs[model.PointX], false); err != nil {
				return err
			}
			// dt_proj has K = dt_rank (48..160 at the official sizes), which
			// the 4-bit group kernels do not take: it stays int8 per tensor
			// when activations are 8-bit and float32 otherwise (as Quamba2).
			if o.LayerA8(i) {
				if err := c.w8(out, p+"dt_proj.weight", &l.DtProj, E, R, PerTensor, nil); err != nil {
					return err
				}
			}
		}
		if err := c.weight(out, p+"out_proj.weight", &l.OutProj, D, E, PerTensor, nil, w4, hs[model.PointOutProjInput], o.GPTQ); err != nil {
			return err
		}
		if o.LayerA8(i) {
			// The conv weights and the scan's A_log and D: int8 per tensor
			// (Mamba2's conv: one scale per x | B | C channel range).
			Cc, K := len(l.ConvBias), cfg.DConv
			cg, ce := PerTensor, []int(nil)
			if cfg.Arch == formats.Mamba2 {
				cg, ce = PerSlice, []int{E, E + GN, E + 2*GN}
			}
			if err := c.w8(out, p+"conv1d.weight", &l.ConvWeight, Cc, K, cg, ce); err != nil {
				return err
			}
			if err := c.w8(out, p+"A_log", &l.ALog, 1, len(l.ALog), PerTensor, nil); err != nil {
				return err
			}
			if err := c.w8(out, p+"D", &l.D, 1, len(l.D), PerTensor, nil); err != nil {
				return err
			}
		}
	}
	c.report(Stage{Name: c.name, Done: cfg.NLayer, Total: cfg.NLayer + 1})

	V := cfg.PaddedVocab
	if o.QuantLMHead {
		var h *Hessian
		if hess {
			hs, err := c.hessians(out, -1, []model.Point{model.PointLMHeadInput})
			if err != nil {
				return fmt.Errorf("lm_head: %w", err)
			}
			h = hs[model.PointLMHeadInput]
		}
		if err := c.weight(out, formats.LMHeadName, &w.LMHead, V, D, PerRow, nil, w4, h, o.GPTQ); err != nil {
			return err
		}
	}
	if o.QuantEmbedding {
		// Embedding rows are looked up, not multiplied: round to nearest
		// per row (int8) or per group (4-bit), no Hessian.
		if err := c.weight(out, formats.EmbeddingName, &w.Embedding, V, D, PerRow, nil, W4Options{Group: o.W4Group}, nil, false); err != nil {
			return err
		}
	}
	c.report(Stage{Name: c.name, Done: cfg.NLayer + 1, Total: cfg.NLayer + 1})
	return c.releaseHeld()
}

// weight quantizes one block weight [rows, cols] to the recipe's weight
// bits: int8 with granularity gran, or 4-bit groups (GPTQ with h when gptq,
// else round to nearest with the clip search measured on h).
func (c *compiler) weight(out *Compiled, name string, dst *[]float32, rows, cols int, gran Granularity, ends []int,
	w4 W4Options, h *Hessian, gptq bool) error {
	if c.opt.WBits == 8 {
		return c.w8(out, name, dst, rows, cols, gran, ends)
	}
	var t *W4Tensor
	var deq []float32
	var err error
	if gptq && h != nil {
		t, deq, err = GPTQW4(*dst, rows, cols, h, w4, GPTQOptions{})
	} else {
		if t, err = QuantizeW4(*dst, rows, cols, h, w4); err == nil {
			deq = t.Dequantize()
		}
	}
	if err != nil {
		return fmt.Errorf("tensor %s: %w", name, err)
	}
	out.Quantized[name] = QTensor{W4: t}
	copy(*dst, deq) // in place: the engine-facing slice keeps its backing array
	return c.release(name, dst)
}

// w8 quantizes one weight to int8 by round to nearest.
func (c *compiler) w8(out *Compiled, name string, dst *[]float32, rows, cols int, gran Granularity, ends []int) error {
	t, err := QuantizeW8(*dst, rows, cols, gran, ends)
	if err != nil {
		return fmt.Errorf("tensor %s: %w", name, err)
	}
	out.Quantized[name] = QTensor{W8: t}
	t.dequantizeInto(*dst)
	return c.release(name, dst)
}

// heldTensor is a quantized tensor's float32 slot, released later.
type heldTensor struct {
	name string
	dst  *[]float32
}

// release drops the float32 values of the quantized tensor name in a
// WriteOnly compile: at once, or at the end of the quantize stage when the
// Hessians of later layers (or of lm_head) run the simulation over them.
func (c *compiler) release(name string, dst *[]float32) error {
	if !c.co.WriteOnly {
		return nil
	}
	if c.opt.WBits == 4 && (c.opt.GPTQ || c.opt.ClipSearch) {
		c.held = append(c.held, heldTensor{name, dst})
		return nil
	}
	return dropTensor(name, dst)
}

// releaseHeld drops the tensors release held.
func (c *compiler) releaseHeld() error {
	for _, h := range c.held {
		if err := dropTensor(h.name, h.dst); err != nil {
			return err
		}
	}
	c.held = nil
	debug.FreeOSMemory()
	return nil
}

// dropTensor releases a quantized tensor's dequantized float32 values once
// they are checked as Weights.Check checks the tensors it keeps: finite.
func dropTensor(name string, dst *[]float32) error {
	if j := firstNonFinite(*dst); j >= 0 {
		return fmt.Errorf("tensor %s: non-finite value %v at element %d", name, (*dst)[j], j)
	}
	*dst = nil
	return nil
}

// firstNonFinite returns the index of the first NaN or ±Inf in x, or -1.
func firstNonFinite(x []float32) int {
	for j, v := range x {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return j
		}
	}
	return -1
}

// checkCompiled checks the compiled weights: Weights.Check, or for a
// WriteOnly compile, whose quantized tensors are released (and were
// checked as they were), the tensors it keeps.
func checkCompiled(out *Compiled, writeOnly bool) error {
	if !writeOnly {
		return out.Weights.Check()
	}
	for _, t := range out.Weights.Tensors() {
		if _, ok := out.Quantized[t.Name]; ok {
			continue
		}
		v, err := out.Weights.Tensor(t.Name)
		if err != nil {
			return err
		}
		if j := firstNonFinite(v); j >= 0 {
			return fmt.Errorf("model: tensor %s: non-finite value %v at element %d", t.Name, v[j], j)
		}
	}
	return nil
}

// hessianLanes is the fixed number of partial Hessians a collection runs:
// sample j goes to lane j mod hessianLanes, lanes are summed in order, so the
// result does not depend on GOMAXPROCS.
const hessianLanes = 2

// hessians collects the input Hessians of layer's points (layer -1: the
// lm_head input) on the simulation of out as it is now (the layers before
// layer quantized), over the first GPTQSamples calibration samples.
func (c *compiler) hessians(out *Compiled, layer int, points []model.Point) (map[model.Point]*Hessian, error) {
	// The inputs of layer i depend on layers 0..i only: the simulation is
	// built for those (the lm_head pass needs every layer), which makes a
	// pass cost i+1 layers and keeps only those packed.
	w, stages, err := truncatedSim(out, layer)
	if err != nil {
		return nil, err
	}
	var total map[model.Point]*Hessian
	err = withEngine(w, stages, func(sim *model.Model) (err error) {
		total, err = c.collect(sim, out.Weights.Config, layer, points)
		return err
	})
	return total, err
}

// collect runs the GPTQ calibration samples through sim and returns the
// Hessians of layer's points.
func (c *compiler) collect(sim *model.Model, cfg formats.Config, layer int, points []model.Point) (map[model.Point]*Hessian, error) {
	samples := c.data.Samples
	if n := c.opt.GPTQSamples; n > 0 && n < len(samples) {
		samples = samples[:n]
	}
	lanes := make([]map[model.Point]*Hessian, hessianLanes)
	errs := make([]error, hessianLanes)
	var wg sync.WaitGroup
	for j := range lanes {
		lanes[j] = map[model.Point]*Hessian{}
		for _, p := range points {
			h, err := NewHessian(model.PointCols(cfg, p))
			if err != nil {
				return nil, err
			}
			lanes[j][p] = h
		}
		wg.Add(1)
		go func(j int) {
			defer wg.Done()
			hs := lanes[j]
			s := sim.NewState()
			s.Observer = model.ObserverFunc(func(l int, p model.Point, rows, cols int, data []float32) {
				if h := hs[p]; h != nil && l == layer && errs[j] == nil {
					errs[j] = h.Add(data[:rows*cols], rows)
				}
			})
			for k := j; k < len(samples); k += hessianLanes {
				if errs[j] != nil || c.ctx.Err() != nil {
					return
				}
				s.Reset()
				if err := sim.Forward(s, samples[k], nil); err != nil {
					errs[j] = err
					return
				}
			}
		}(j)
	}
	wg.Wait()
	if err := c.ctx.Err(); err != nil {
		return nil, err
	}
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	total := lanes[0]
	for _, lane := range lanes[1:] {
		for p, h := range lane {
			if err := total[p].Merge(h); err != nil {
				return nil, err
			}
		}
	}
	return total, nil
}

// truncatedSim returns the weights and stages of the simulation of out's
// first layer+1 layers (all of them for layer -1): the same block, weights
// and activation scales, with n_layer cut, so that a forward pass stops
// after the layer whose inputs are wanted. The weights share out's tensors.
func truncatedSim(out *Compiled, layer int) (*model.Weights, model.Stages, error) {
	w, acts := out.Weights, out.Acts
	if layer >= 0 && layer+1 < out.Weights.Config.NLayer {
		cut := *out.Weights
		cut.Config.NLayer = layer + 1
		cut.Layers = cut.Layers[:layer+1]
		w = &cut
		acts = make(map[ActKey]ActQuant, len(out.Acts))
		for k, a := range out.Acts {
			if k.Layer <= layer {
				acts[k] = a
			}
		}
	}
	h, err := newActHook(w.Config, acts)
	if err != nil {
		return nil, model.Stages{}, err
	}
	return w, model.Stages{Hook: h}, nil
}
