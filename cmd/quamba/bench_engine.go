package main

import (
	"fmt"
	"os"
	"time"

	"github.com/quamba/quamba/formats"
	"github.com/quamba/quamba/model"
	"github.com/quamba/quamba/quant"
	qrt "github.com/quamba/quamba/runtime"
)

// benchEngine is what bench times: the FP32 engine or an artifact on the
// runtime, with Batch decode sequences.
type benchEngine interface {
	config() formats.Config
	// weightBytes is the weight bytes one decode step reads.
	weightBytes() int64
	// stateBytes is the size of one sequence's decode state (conv and
	// SSM, as Save writes it), which a decode step reads and writes.
	stateBytes() int64
	// reset returns every sequence to its start.
	reset()
	// prefill runs the prompt on the first sequence in sequence mode.
	prefill(tokens []int) error
	// step decodes tokens[b] on sequence b (logits included).
	step(tokens []int) error
	close() error
}

// openBenchEngine loads, builds or compiles the model bc names and fills
// the model fields of res.
func openBenchEngine(bc benchConfig, res *benchResult) (benchEngine, error) {
	if bc.arch != "" {
		cfg, err := model.Preset(bc.arch)
		if err != nil {
			return nil, err
		}
		res.Arch = bc.arch
		init, err := model.RandomTensors(cfg, bc.seed)
		if err != nil {
			return nil, err
		}
		if bc.scheme == "" {
			m, err := model.New(cfg, init)
			if err != nil {
				return nil, err
			}
			res.Engine, res.Scheme = "fp32", "fp32"
			return newFP32Bench(m, bc.batch)
		}
		return synthesizeArtifact(cfg, init, bc, res)
	}
	dir, err := modelDirOf(bc.model)
	if err != nil {
		return nil, err
	}
	res.Model = dir
	if quant.IsArtifact(dir) {
		m, err := qrt.Open(dir, qrt.Options{SkipChecksum: bc.noVerify})
		if err != nil {
			return nil, err
		}
		res.Engine, res.Weights = "runtime", dir
		return newRuntimeBench(m, bc.batch, res)
	}
	m, weights, err := loadFP32(dir)
	if err != nil {
		return nil, err
	}
	res.Engine, res.Scheme, res.Weights = "fp32", "fp32", weights
	return newFP32Bench(m, bc.batch)
}

// modelDirOf is --model, or the bundled model when it is empty.
func modelDirOf(dir string) (string, error) {
	if dir != "" {
		return dir, nil
	}
	d, err := bundledPath(bundledModel)
	if err != nil {
		return "", fmt.Errorf("no --model or --arch given and %w; pass --model DIR or --arch NAME", err)
	}
	return d, nil
}

// synthesizeArtifact quantizes the random checkpoint with synthetic
// scales, writes the artifact to a temporary file (removed when the
// engine is closed) or to --save-artifact's path, and opens it on the
// runtime.
func synthesizeArtifact(cfg formats.Config, init model.TensorSource, bc benchConfig, res *benchResult) (benchEngine, error) {
	opt, err := quant.DefaultOptions(bc.schemeParsed)
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	w, err := model.NewWeights(cfg, init)
	if err != nil {
		return nil, err
	}
	c, err := quant.CompileSynthetic(w, opt)
	if err != nil {
		return nil, err
	}
	path, temp := bc.save, bc.save == ""
	if temp {
		f, err := os.CreateTemp("", "quamba-bench-*.gguf")
		if err != nil {
			return nil, err
		}
		path = f.Name()
		f.Close()
	}
	drop := func() {
		if temp {
			removeLater(path)
		}
	}
	if err := quant.WriteArtifact(path, c, bc.arch+" random, synthetic "+string(opt.Scheme)); err != nil {
		drop()
		return nil, err
	}
	res.CompileSeconds = time.Since(t0).Seconds()
	c, w = nil, nil // the runtime maps the file: the float model is garbage now
	m, err := qrt.Open(path, qrt.Options{SkipChecksum: true})
	if err != nil {
		drop()
		return nil, err
	}
	res.Engine = "runtime"
	if !temp {
		res.Model = path
	}
	e, err := newRuntimeBench(m, bc.batch, res)
	if err != nil {
		m.Close()
		drop()
		return nil, err
	}
	if temp {
		e.temp = path
	}
	return e, nil
}

// fp32Bench is the FP32 engine with B decode states.
type fp32Bench struct {
	m      *model.Model
	states []*model.State
	batch  *model.Batch // B > 1
	logits []float32
}

func newFP32Bench(m *model.Model, B int) (*fp32Bench, error) {
	e := &fp32Bench{m: m, logits: make([]float32, B*m.Config.PaddedVocab)}
	for range B {
		e.states = append(e.states, m.NewState())
	}
	if B > 1 {
		var err error
		if e.batch, err = m.NewBatch(B); err != nil {
			return nil, err
		}
	}
	return e, nil
}

func (e *fp32Bench) config() formats.Config { return e.m.Config }

// weightBytes: every projection (lm_head included) in float32, and the
// embedding row.
func (e *fp32Bench) weightBytes() int64 {
	var n int64
	for _, p := range model.Projections(e.m.Config) {
		n += int64(p.Rows) * int64(p.Cols)
	}
	return 4 * (n + int64(e.m.Config.DModel))
}

func (e *fp32Bench) stateBytes() int64 { return int64(e.m.StateBytes()) }

func (e *fp32Bench) reset() {
	for _, s := range e.states {
		s.Reset()
	}
}

func (e *fp32Bench) prefill(tokens []int) error {
	return e.m.Forward(e.states[0], tokens, e.logits[:e.m.Config.PaddedVocab])
}

func (e *fp32Bench) step(tokens []int) error {
	if e.batch == nil {
		return e.m.Step(e.states[0], tokens[0], e.logits)
	}
	return e.batch.Step(e.states, tokens, e.logits)
}

func (e *fp32Bench) close() error { return nil }

// runtimeBench is an artifact on the runtime with B sessions.
type runtimeBench struct {
	m        *qrt.Model
	sessions []*qrt.Session
	logits   []float32
	temp     string // removed on close
}

func newRuntimeBench(m *qrt.Model, B int, res *benchResult) (*runtimeBench, error) {
	info := m.Info()
	res.Scheme, res.Kinds = string(info.Options.Scheme), info.Kinds
	_, padded := m.Vocab()
	e := &runtimeBench{m: m, logits: make([]float32, B*padded)}
	for range B {
		e.sessions = append(e.sessions, m.NewSession())
	}
	return e, nil
}

func (e *runtimeBench) config() formats.Config { return e.m.Config() }

// weightBytes: the projection panels a token reads (Info.WeightBytes) and
// the embedding row (int8 or 4-bit codes and their scales when the
// embedding is quantized).
func (e *runtimeBench) weightBytes() int64 {
	info := e.m.Info()
	D := int64(info.Config.DModel)
	row := 4 * D
	if o := info.Options; o.QuantEmbedding {
		row = D*int64(o.WBits)/8 + 4
		if o.WBits == 4 {
			row += 4 * D / int64(o.W4Group)
		}
	}
	return int64(info.WeightBytes) + row
}

func (e *runtimeBench) stateBytes() int64 { return int64(e.sessions[0].StateBytes()) }

func (e *runtimeBench) reset() {
	for _, s := range e.sessions {
		s.Reset()
	}
}

func (e *runtimeBench) prefill(tokens []int) error {
	_, padded := e.m.Vocab()
	return e.sessions[0].Forward(tokens, e.logits[:padded])
}

func (e *runtimeBench) step(tokens []int) error {
	if len(e.sessions) == 1 {
		return e.sessions[0].Step(tokens[0], e.logits)
	}
	return e.m.StepBatch(e.sessions, tokens, e.logits)
}

func (e *runtimeBench) close() error {
	err := e.m.Close()
	if e.temp != "" {
		removeLater(e.temp)
	}
	return err
}
