package quant

import (
	"fmt"

	"github.com/quamba/quamba/calib"
	"github.com/quamba/quamba/formats"
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
	return model.Build(c.Weights, model.Stages{Hook: h})
}

// actHook is the simulation's activation stage.
type actHook struct {
	acts [][]*ActQuant // [layer+1][point]
}

func newActHook(cfg formats.Config, acts map[ActKey]ActQuant) (*actHook, error) {
	h := &actHook{acts: make([][]*ActQuant, cfg.NLayer+1)}
	for i := range h.acts {
		h.acts[i] = make([]*ActQuant, len(model.Points()))
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
		a := a
		h.acts[k.Layer+1][k.Point] = &a
	}
	return h, nil
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
	if err := FakeQuantI8Blocks(data, cols, a.Ends, a.Scales); err != nil {
		panic(fmt.Sprintf("quant: layer %d %v: %v", layer, p, err))
	}
}
