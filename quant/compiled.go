package quant

import (
	"fmt"

	"github.com/quamba/quamba/calib"
	"github.com/quamba/quamba/formats"
	"github.com/quamba/quamba/kernels"
	"github.com/quamba/quamba/model"
)

// QTensor is one quantized weight tensor: exactly one of W8 and W4 is set.
type QTensor struct {
	W8 *W8Tensor
	W4 *W4Tensor
}

// Dequantize returns the float32 weights the kernels compute with.
func (q QTensor) Dequantize() []float32 {
	if q.W8 != nil {
		return q.W8.Dequantize()
	}
	return q.W4.Dequantize()
}

// BitsPerWeight is the storage cost of the tensor per weight.
func (q QTensor) BitsPerWeight() float64 {
	if q.W8 != nil {
		return q.W8.BitsPerWeight()
	}
	return q.W4.BitsPerWeight()
}

// ActQuant is the static symmetric int8 quantization of one activation
// [T, cols]: the columns are cut into blocks, block i = columns
// [Ends[i-1], Ends[i]) (Ends[-1] = 0, the last end = cols) with scale
// Scales[i]; a value x of block i becomes float32(q)·s with
// q = sat8(RNE(float32(x·InvScale(s)))) (FakeQuantI8Blocks, the arithmetic
// of kernels.QuantizeI8). Per-tensor quantization is one block.
type ActQuant struct {
	Ends   []int
	Scales []float32
}

// ActKey names a quantized activation: a layer (-1 for the lm_head input)
// and a point.
type ActKey struct {
	Layer int
	Point model.Point
}

// Compiled is a quantized model: the transformed weights, which quantized
// tensors replace them, and the static activation scales. It runs through
// the shared block as an exact float32 simulation (Simulate) and is what an
// artifact stores.
type Compiled struct {
	Options Options

	// Weights are the transformed weights (rotated, reordered, folded), with
	// every quantized tensor replaced by its dequantized values, so that
	// the FP32 block over them computes what the int8 kernels compute.
	Weights *model.Weights
	// Quantized holds the quantized tensors by canonical tensor name
	// (formats.Config.Schema).
	Quantized map[string]QTensor
	// Acts holds the quantized activations.
	Acts map[ActKey]ActQuant
	// StateScales holds, per layer, the int8 SSM-state scales
	// [channels/StateGroup][d_state] (kernels.StateQ8.Scale) when the recipe
	// stores the state as int8; nil otherwise.
	StateScales [][]float32
	// Reorders holds, per layer, the channel/head reordering applied (nil
	// entries where none).
	Reorders []*Reorder

	// Calib describes the calibration data; SourceDigest identifies the
	// checkpoint the model was compiled from.
	Calib        calib.Summary
	SourceDigest string
}

// Config is the configuration of the compiled model.
func (c *Compiled) Config() formats.Config { return c.Weights.Config }

// Simulate returns the exact float32 simulation of c: the shared block over
// c.Weights with every activation of c.Acts quantized and dequantized in
// place before the block consumes it.
func (c *Compiled) Simulate() (*model.Model, error) {
	h, err := newActHook(c.Weights.Config, c.Acts)
	if err != nil {
		return nil, err
	}
	st, err := newStateCodec(c.Weights.Config, c.StateScales)
	if err != nil {
		return nil, err
	}
	stages := model.Stages{Hook: h}
	if st != nil {
		stages.State = st
	}
	return model.Build(c.Weights, stages)
}

// NewActHook returns the simulation's activation stage for acts: every
// activation of acts is quantized and dequantized in place before the
// block consumes it (the runtime plugs it in for the activations its
// kernels take in float32).
func NewActHook(cfg formats.Config, acts map[ActKey]ActQuant) (model.Hook, error) {
	return newActHook(cfg, acts)
}

// NewStateCodec returns the int8 SSM-state stage for the state scales of
// a compiled model (nil scales: no stage, nil).
func NewStateCodec(cfg formats.Config, scales [][]float32) (model.StateCodec, error) {
	h, err := newStateCodec(cfg, scales)
	if h == nil || err != nil {
		return nil, err
	}
	return h, nil
}

// stateCodec stores every layer's SSM state between calls as the int8
// codes of an int8 state cache (kernels.StateQ8): q = sat8(RNE(float32(h·
// (1/s)))), decoded h = float32(q)·s. In the scan layout the elements
// sharing a scale come in runs of equal length: Mamba1 [⌈E/8⌉][N][8], the
// 8 channels of a block for one n; Mamba2 [H][N][P], the channels of one
// head and one n, cut every StateGroup channels.
type stateCodec struct {
	run    int
	scales [][]float32 // per layer: the scale of each run
	inv    [][]float32 // per layer: InvScale of each run's scale
}

func newStateCodec(cfg formats.Config, scales [][]float32) (*stateCodec, error) {
	if scales == nil {
		return nil, nil
	}
	if len(scales) != cfg.NLayer {
		return nil, fmt.Errorf("quant: %d layers of state scales, the model has %d", len(scales), cfg.NLayer)
	}
	E, N, G := cfg.DInner, cfg.DState, StateGroup(cfg)
	want := E / G * N
	h := &stateCodec{run: 8, scales: make([][]float32, cfg.NLayer), inv: make([][]float32, cfg.NLayer)}
	if cfg.Arch != formats.Mamba1 {
		h.run = min(G, cfg.HeadDim)
	}
	for i, sc := range scales {
		if len(sc) != want {
			return nil, fmt.Errorf("quant: layer %d has %d state scales, want %d", i, len(sc), want)
		}
		for j, v := range sc {
			if err := checkActScale("state", v); err != nil {
				return nil, fmt.Errorf("quant: layer %d state scale %d: %w", i, j, err)
			}
		}
		switch cfg.Arch {
		case formats.Mamba1:
			for b := range (E + 7) / 8 {
				for n := range N {
					h.scales[i] = append(h.scales[i], sc[min(b*8, E-1)/G*N+n])
				}
			}
		default:
			P, r := cfg.HeadDim, h.run
			for hd := range cfg.NHeads {
				for n := range N {
					for p0 := 0; p0 < P; p0 += r {
						h.scales[i] = append(h.scales[i], sc[(hd*P+p0)/G*N+n])
					}
				}
			}
		}
		h.inv[i] = make([]float32, len(h.scales[i]))
		for j, v := range h.scales[i] {
			h.inv[i][j] = InvScale(v)
		}
	}
	return h, nil
}

// Encode writes the codes of layer's state elements [off, off+len(x)).
func (h *stateCodec) Encode(layer, off int, x []float32, q []int8) {
	kernels.QuantizeI8Runs(x, h.inv[layer][off/h.run:], h.run, q)
}

// Decode writes the values of codes q of layer's elements [off, off+len(q)).
func (h *stateCodec) Decode(layer, off int, q []int8, x []float32) {
	kernels.DequantizeI8Runs(q, h.scales[layer][off/h.run:], h.run, x)
}

// actHook is the simulation's activation stage.
type actHook struct {
	acts [][]*ActQuant // [layer+1][point]
	inv  [][][]float32 // [layer+1][point]: InvScale of each block's scale
}

func newActHook(cfg formats.Config, acts map[ActKey]ActQuant) (*actHook, error) {
	h := &actHook{acts: make([][]*ActQuant, cfg.NLayer+1), inv: make([][][]float32, cfg.NLayer+1)}
	for i := range h.acts {
		h.acts[i] = make([]*ActQuant, len(model.Points()))
		h.inv[i] = make([][]float32, len(model.Points()))
	}
	for k, a := range acts {
		if k.Layer < -1 || k.Layer >= cfg.NLayer || int(k.Point) >= len(model.Points()) {
			return nil, fmt.Errorf("quant: activation scale for %v at layer %d is outside the model", k.Point, k.Layer)
		}
		if len(a.Ends) == 0 || len(a.Ends) != len(a.Scales) {
			return nil, fmt.Errorf("quant: activation %v of layer %d: %d block ends for %d scales", k.Point, k.Layer, len(a.Ends), len(a.Scales))
		}
		for i, s := range a.Scales {
			if err := checkActScale("activation", s); err != nil {
				return nil, fmt.Errorf("quant: activation %v of layer %d block %d: %w", k.Point, k.Layer, i, err)
			}
		}
		if a.Ends[len(a.Ends)-1] != model.PointCols(cfg, k.Point) {
			return nil, fmt.Errorf("quant: activation %v of layer %d: blocks end at column %d, the activation has %d", k.Point, k.Layer, a.Ends[len(a.Ends)-1], model.PointCols(cfg, k.Point))
		}
		if err := checkEnds("activation "+k.Point.String(), a.Ends, a.Ends[len(a.Ends)-1]); err != nil {
			return nil, err
		}
		a := a
		h.acts[k.Layer+1][k.Point] = &a
		inv := make([]float32, len(a.Scales))
		for j, s := range a.Scales {
			inv[j] = InvScale(s)
		}
		h.inv[k.Layer+1][k.Point] = inv
	}
	return h, nil
}

// Wants reports whether any layer's activation p is quantized
// (model.PointFilter).
func (h *actHook) Wants(p model.Point) bool {
	for _, layer := range h.acts {
		if int(p) < len(layer) && layer[p] != nil {
			return true
		}
	}
	return false
}

// Act quantizes-dequantizes data in place when the activation is quantized.
func (h *actHook) Act(layer int, p model.Point, rows, cols int, data []float32) {
	a := h.acts[layer+1][p]
	if a == nil {
		return
	}
	if len(a.Ends) == 1 {
		fakeQuant(data, a.Scales[0], InvScale(a.Scales[0]))
		return
	}
	// Shapes and scales were checked when the hook was made; the block
	// reports every point with the columns its schema gives.
	fakeQuantBlocks(data[:rows*cols], cols, a.Ends, a.Scales, h.inv[layer+1][p])
}
