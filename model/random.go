package model

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/quamba/quamba/formats"
)

// RandomInit generates the tensors of a randomly initialised model with the
// standard mamba_ssm initialisation. Every tensor is generated on demand from
// the seed and its name alone, so tensors can be produced one at a time and in
// any order (to stream a large model to disk) and always come out the same.
// RandomInit is a TensorSource: New(cfg, init) builds the model in memory.
type RandomInit struct {
	cfg   formats.Config
	seed  int64
	infos []formats.TensorInfo
}

// RandomTensors returns the random initialisation of a model with
// configuration cfg:
//
//   - embedding N(0, 0.02); untied lm_head, in_proj, x_proj, conv1d weight and
//     bias: kaiming-uniform like nn.Linear/nn.Conv1d, U(±1/sqrt(fan_in));
//   - out_proj the same, divided by sqrt(n_layer);
//   - dt_proj.weight U(±dt_rank^-0.5); dt bias the inverse softplus of dt
//     drawn log-uniformly in [1e-3, 1e-1] (floored at 1e-4);
//   - A_log = log(1..N) per channel (Mamba1), log(U[1, 16]) per head (Mamba2);
//   - D and every norm weight 1.
func RandomTensors(cfg formats.Config, seed int64) (*RandomInit, error) {
	infos, err := TensorInfos(cfg)
	if err != nil {
		return nil, fmt.Errorf("random init: %w", err)
	}
	return &RandomInit{cfg: cfg, seed: seed, infos: infos}, nil
}

// Tensors lists the names and shapes that Tensor generates, in checkpoint
// order (as TensorInfos).
func (r *RandomInit) Tensors() []formats.TensorInfo {
	out := make([]formats.TensorInfo, len(r.infos))
	for i, ti := range r.infos {
		out[i] = ti
		out[i].Shape = slices.Clone(ti.Shape)
	}
	return out
}

// Tensor generates the named tensor into a new slice. shape, when given, must
// match. For tied models lm_head.weight is the embedding.
func (r *RandomInit) Tensor(name string, shape ...int) ([]float32, error) {
	if name == "lm_head.weight" && r.cfg.TieEmbeddings {
		name = "backbone.embedding.weight"
	}
	i := slices.IndexFunc(r.infos, func(ti formats.TensorInfo) bool { return ti.Name == name })
	if i < 0 {
		return nil, fmt.Errorf("random init: no tensor %q", name)
	}
	want := r.infos[i].Shape
	if len(shape) > 0 && !slices.Equal(shape, want) {
		return nil, fmt.Errorf("random init: tensor %s has shape %v, requested %v", name, want, shape)
	}
	n := 1
	for _, d := range want {
		n *= d
	}
	data := make([]float32, n)

	h := fnv.New64a()
	h.Write([]byte(name))
	rng := rand.New(rand.NewPCG(uint64(r.seed), h.Sum64()))
	uniform := func(bound float64) {
		for j := range data {
			data[j] = float32((2*rng.Float64() - 1) * bound)
		}
	}
	fill := func(v float32) {
		for j := range data {
			data[j] = v
		}
	}
	cfg := r.cfg
	suffix := name
	if rest, ok := strings.CutPrefix(name, "backbone.layers."); ok {
		if dot := strings.IndexByte(rest, '.'); dot > 0 {
			if _, err := strconv.Atoi(rest[:dot]); err == nil {
				suffix = rest[dot+1:]
			}
		}
	}
	switch suffix {
	case "backbone.embedding.weight":
		for j := range data {
			data[j] = float32(0.02 * rng.NormFloat64())
		}
	case "lm_head.weight", "mixer.in_proj.weight":
		uniform(1 / math.Sqrt(float64(cfg.DModel)))
	case "mixer.x_proj.weight":
		uniform(1 / math.Sqrt(float64(cfg.DInner)))
	case "mixer.out_proj.weight":
		uniform(1 / math.Sqrt(float64(cfg.DInner)) / math.Sqrt(float64(cfg.NLayer)))
	case "mixer.conv1d.weight", "mixer.conv1d.bias":
		uniform(1 / math.Sqrt(float64(cfg.DConv)))
	case "mixer.dt_proj.weight":
		uniform(1 / math.Sqrt(float64(cfg.DtRank)))
	case "mixer.dt_proj.bias", "mixer.dt_bias":
		const dtMin, dtMax, dtFloor = 1e-3, 1e-1, 1e-4
		for j := range data {
			dt := math.Exp(rng.Float64()*(math.Log(dtMax)-math.Log(dtMin)) + math.Log(dtMin))
			dt = max(dt, dtFloor)
			data[j] = float32(dt + math.Log(-math.Expm1(-dt)))
		}
	case "mixer.A_log":
		if cfg.Arch == formats.Mamba1 {
			N := cfg.DState
			for j := range data {
				data[j] = float32(math.Log(float64(j%N + 1)))
			}
		} else {
			for j := range data {
				data[j] = float32(math.Log(1 + 15*rng.Float64()))
			}
		}
	case "mixer.D", "norm.weight", "mixer.norm.weight", "backbone.norm_f.weight":
		fill(1)
	default:
		return nil, fmt.Errorf("random init: no rule for tensor %q", name)
	}
	return data, nil
}
