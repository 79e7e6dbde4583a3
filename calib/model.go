package calib

import (
	"fmt"

	"github.com/quamba/quamba/formats"
	"github.com/quamba/quamba/model"
)

// Model is what calibration runs: the FP32 engine, or a quantization
// simulation. It must be safe to call NewSession from several goroutines and
// to use different sessions concurrently.
type Model interface {
	Config() formats.Config
	NewSession() Session
}

// Session runs one sequence from a zero state. Not safe for concurrent use.
type Session interface {
	// Run feeds tokens from a zero state; obs (may be nil) sees every activation.
	Run(tokens []int, obs model.Observer) error
	// SSMState is layer's SSM state after the last Run, natural layout
	// (Mamba1 [E, N], Mamba2 [H, P, N]).
	SSMState(layer int) []float32
}

// FP32 adapts the float32 engine to Model. Sessions prefill without logits.
func FP32(m *model.Model) Model { return fp32Model{m} }

type fp32Model struct{ m *model.Model }

func (f fp32Model) Config() formats.Config { return f.m.Config }

func (f fp32Model) NewSession() Session { return &fp32Session{m: f.m, s: f.m.NewState()} }

type fp32Session struct {
	m *model.Model
	s *model.State
}

func (f *fp32Session) Run(tokens []int, obs model.Observer) error {
	f.s.Reset()
	f.s.Observer = obs
	err := f.m.Forward(f.s, tokens, nil)
	f.s.Observer = nil
	return err
}

func (f *fp32Session) SSMState(layer int) []float32 {
	if layer < 0 || layer >= f.m.Config.NLayer {
		return nil
	}
	return f.s.SSMState(layer)
}

// checkConfig rejects configurations whose point shapes calib cannot derive.
func checkConfig(cfg formats.Config) error {
	if cfg.Arch != formats.Mamba1 && cfg.Arch != formats.Mamba2 {
		return fmt.Errorf("unsupported architecture %q", cfg.Arch)
	}
	if cfg.NLayer <= 0 || cfg.DModel <= 0 || cfg.DInner <= 0 || cfg.DState <= 0 {
		return fmt.Errorf("config has non-positive sizes (n_layer %d, d_model %d, d_inner %d, d_state %d)",
			cfg.NLayer, cfg.DModel, cfg.DInner, cfg.DState)
	}
	if cfg.Arch == formats.Mamba2 && (cfg.NHeads <= 0 || cfg.NGroups <= 0 || cfg.HeadDim <= 0) {
		return fmt.Errorf("mamba2 config has non-positive sizes (nheads %d, ngroups %d, headdim %d)",
			cfg.NHeads, cfg.NGroups, cfg.HeadDim)
	}
	if cfg.Arch == formats.Mamba1 && cfg.DtRank <= 0 {
		return fmt.Errorf("mamba1 config has dt_rank %d", cfg.DtRank)
	}
	return nil
}
