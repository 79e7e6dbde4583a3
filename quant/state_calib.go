package quant

import (
	"github.com/quamba/quamba/calib"
	"github.com/quamba/quamba/formats"
	"github.com/quamba/quamba/model"
)

// stateEvery is the number of tokens between two looks at the SSM state
// when calibrating an int8 state cache.
const stateEvery = 16

// stateMaxModel calibrates an int8 SSM state cache. A decode session stores
// the state after every token, so its scales must cover the state at every
// position, not only at the end of a calibration sample (the largest
// values come mid-sequence: scales from the final states clip and cost over
// 1% perplexity on the bundled models). Its sessions run a sample in pieces
// of every tokens and report, as the sample's SSM state, the element-wise
// max |h| over the states after each piece. The activations are those of
// one Forward over the sample.
type stateMaxModel struct {
	m     *model.Model
	every int
}

func (s stateMaxModel) Config() formats.Config { return s.m.Config }

func (s stateMaxModel) NewSession() calib.Session {
	return &stateMaxSession{m: s.m, s: s.m.NewState(), every: s.every, max: make([][]float32, s.m.Config.NLayer)}
}

type stateMaxSession struct {
	m     *model.Model
	s     *model.State
	every int
	max   [][]float32 // per layer, natural layout
}

func (f *stateMaxSession) Run(tokens []int, obs model.Observer) error {
	f.s.Reset()
	f.s.Observer = obs
	defer func() { f.s.Observer = nil }()
	for i := range f.max {
		clear(f.max[i])
	}
	for start := 0; start < len(tokens); start += f.every {
		if err := f.m.Forward(f.s, tokens[start:min(start+f.every, len(tokens))], nil); err != nil {
			return err
		}
		for l := range f.max {
			st := f.s.SSMState(l)
			if f.max[l] == nil {
				f.max[l] = make([]float32, len(st))
			}
			for j, v := range st {
				f.max[l][j] = max(f.max[l][j], abs32(v))
			}
		}
	}
	return nil
}

func (f *stateMaxSession) SSMState(layer int) []float32 { return f.max[layer] }

func abs32(v float32) float32 {
	if v < 0 {
		return -v
	}
	return v
}
