package runtime

import (
	"errors"
	"fmt"
	"sync"

	"github.com/quamba/quamba/formats"
	"github.com/quamba/quamba/model"
	"github.com/quamba/quamba/quant"
)

// ErrClosed is returned by a Session (or a Model) used after Model.Close.
var ErrClosed = errors.New("runtime: model is closed")

// Options tune loading.
type Options struct {
	// SkipChecksum skips the artifact's checksums (faster start on a
	// file known to be intact).
	SkipChecksum bool
}

// Model is a loaded artifact: the shared block (model.Build) with the
// projections on the integer kernels over the mapped panels. It is safe for
// concurrent use by any number of Sessions.
type Model struct {
	packed *quant.Packed
	eng    *model.Model
	info   Info

	mu      sync.RWMutex // held for reading while a session runs; Close takes it for writing
	closed  bool
	batches sync.Pool // *batch
}

// Info describes a loaded artifact.
type Info struct {
	Config  formats.Config
	Options quant.Options
	// WeightBytes is the size of the projection panels a token reads
	// (every block projection and lm_head), in bytes.
	WeightBytes int
	// Kinds counts the projection stages by kernel: "w8a8", "w8a8-blocks",
	// "w4a8", "w4a16", "f32".
	Kinds map[string]int
}

// Open loads an artifact file, memory-mapped: the weights are the file's
// pages, read on first use and shared with the page cache.
func Open(path string, opt Options) (*Model, error) {
	p, err := quant.OpenPacked(path, formats.GGUFOptions{SkipChecksum: opt.SkipChecksum})
	if err != nil {
		return nil, err
	}
	m, err := build(p)
	if err != nil {
		p.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// Load is Open over the bytes of an artifact (for example embedded with
// go:embed); data must not change while the Model is in use.
func Load(name string, data []byte, opt Options) (*Model, error) {
	p, err := quant.ParsePacked(name, data, formats.GGUFOptions{SkipChecksum: opt.SkipChecksum})
	if err != nil {
		return nil, err
	}
	m, err := build(p)
	if err != nil {
		p.Close()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return m, nil
}

// linearInputs lists the activations that only projections read: the
// runtime quantizes them inside the projection stage, so the float hook
// leaves them alone.
var linearInputs = map[model.Point]bool{
	model.PointInProjInput: true, model.PointDtLow: true, model.PointOutProjInput: true, model.PointLMHeadInput: true,
}

// inputPoint is the activation a projection stage multiplies.
func inputPoint(name model.ProjName) model.Point {
	switch name {
	case model.ProjInX, model.ProjInZ, model.ProjInXBC, model.ProjInDt:
		return model.PointInProjInput
	case model.ProjXDt, model.ProjXB, model.ProjXC:
		return model.PointX
	case model.ProjDt:
		return model.PointDtLow
	case model.ProjOut:
		return model.PointOutProjInput
	}
	return model.PointLMHeadInput
}

func build(p *quant.Packed) (*Model, error) {
	cfg := p.Config()
	acts := map[quant.ActKey]quant.ActQuant{}
	for k, a := range p.Acts {
		if !linearInputs[k.Point] {
			acts[k] = a
		}
	}
	hook, err := quant.NewActHook(cfg, acts)
	if err != nil {
		return nil, err
	}
	state, err := quant.NewStateCodec(cfg, p.StateScales)
	if err != nil {
		return nil, err
	}
	info := Info{Config: cfg, Options: p.Options, Kinds: map[string]int{}}
	st := model.Stages{Hook: hook, State: state, Provided: true}
	if e := p.Embedding; e != nil {
		st.Embed = e.Row
	}
	st.Linear = func(layer int, name model.ProjName, w []float32, n, k int) (model.Linear, error) {
		l, kind, bytes, err := stage(p, layer, name, w, n, k)
		if err != nil {
			return nil, err
		}
		info.Kinds[kind]++
		info.WeightBytes += bytes
		return l, nil
	}
	eng, err := model.Build(p.Weights, st)
	if err != nil {
		return nil, err
	}
	info.Config = eng.Config
	return &Model{packed: p, eng: eng, info: info}, nil
}

// stage makes the projection stage (layer, name) [n, k]: from the stored
// panels when the artifact has them, else from the float rows w.
func stage(p *quant.Packed, layer int, name model.ProjName, w []float32, n, k int) (model.Linear, string, int, error) {
	ps, ok := p.Stages[quant.StageKey{Layer: layer, Name: name}]
	if !ok {
		if w == nil {
			return nil, "", 0, fmt.Errorf("no weights stored for the stage")
		}
		l, err := model.NewF32Linear(w, n, k)
		return l, "f32", 4 * n * k, err
	}
	if err := checkStage(ps, n, k); err != nil {
		return nil, "", 0, err
	}
	a, quantized := p.Acts[quant.ActKey{Layer: layer, Point: inputPoint(name)}]
	switch {
	case ps.W8 != nil && quantized && len(a.Scales) == 1:
		return newW8A8(ps, n, k, a.Scales[0]), "w8a8", ps.W8.Bytes() + 4*n, nil
	case ps.W8 != nil && quantized:
		l, err := newW8A8Blocks(ps, n, k, a)
		return l, "w8a8-blocks", ps.W8.Bytes() + 4*n, err
	case ps.W8 != nil:
		// An int8 weight with a float input: no kernel takes it, so the
		// stage runs the dequantized weights in float32 (what the
		// simulation computes).
		deq := make([]float32, n*k)
		codes := ps.W8.Unpack()
		for r := range n {
			for c := range k {
				deq[r*k+c] = float32(codes[r*k+c]) * ps.Scale[r]
			}
		}
		l, err := model.NewF32Linear(deq, n, k)
		return l, "f32", 4 * n * k, err
	case quantized && len(a.Scales) == 1:
		return newW4A8(ps, n, k, a.Scales[0]), "w4a8", ps.W4.Bytes(), nil
	default:
		return newW4(ps, n, k), "w4a16", ps.W4.Bytes(), nil
	}
}

// Info describes the loaded artifact.
func (m *Model) Info() Info { return m.info }

// Config is the model's configuration.
func (m *Model) Config() formats.Config { return m.info.Config }

// Vocab returns the vocabulary size and the padded number of logits per
// token (model.LanguageModel).
func (m *Model) Vocab() (size, padded int) { return m.eng.Vocab() }

// NewSequence returns a new Session (model.LanguageModel).
func (m *Model) NewSequence() model.Sequence { return m.NewSession() }

// Close releases the mapping once no session is running; sessions used
// afterwards return ErrClosed. Close is idempotent.
func (m *Model) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil
	}
	m.closed = true
	m.eng = nil
	return m.packed.Close()
}

// Session is the decode state of one sequence on a Model. A Session must
// not be used by two goroutines at once; different sessions may run in
// parallel.
type Session struct {
	m *Model
	s *model.State
}

// NewSession returns a session at the start of a sequence.
func (m *Model) NewSession() *Session {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return &Session{m: m}
	}
	return &Session{m: m, s: m.eng.NewState()}
}

// lock holds the model open for a call and returns its engine, or nil
// when the model is closed (then nothing is held).
func (s *Session) lock() *model.Model {
	s.m.mu.RLock()
	if s.m.closed || s.s == nil {
		s.m.mu.RUnlock()
		return nil
	}
	return s.m.eng
}

func (s *Session) unlock() { s.m.mu.RUnlock() }

// Forward feeds tokens in sequence mode (the prompt: batched GEMMs and the
// chunked scan). logits is empty, the padded logits of the last token, or
// those of every token (see model.Model.Forward).
func (s *Session) Forward(tokens []int, logits []float32) error {
	e := s.lock()
	if e == nil {
		return ErrClosed
	}
	defer s.unlock()
	return e.Forward(s.s, tokens, logits)
}

// Step feeds one token in decode mode and writes its padded logits.
func (s *Session) Step(token int, logits []float32) error {
	e := s.lock()
	if e == nil {
		return ErrClosed
	}
	defer s.unlock()
	return e.Step(s.s, token, logits)
}

// SetObserver makes o see the session's activations (model.Observer, nil
// for none): every point as the runtime computes it, the activations the
// integer kernels quantize themselves (the inputs of in_proj, dt_proj,
// out_proj and lm_head) before their quantization.
func (s *Session) SetObserver(o model.Observer) {
	if s.s != nil {
		s.s.Observer = o
	}
}

// Reset returns the session to the start of a sequence.
func (s *Session) Reset() {
	if s.s != nil {
		s.s.Reset()
	}
}

// Save returns the session's state: Restore on a session of the same
// model continues the sequence exactly where it stopped.
func (s *Session) Save() ([]byte, error) {
	if s.lock() == nil {
		return nil, ErrClosed
	}
	defer s.unlock()
	return s.s.MarshalBinary()
}

// Restore sets the session's state to one Save returned.
func (s *Session) Restore(b []byte) error {
	if s.lock() == nil {
		return ErrClosed
	}
	defer s.unlock()
	return s.s.UnmarshalBinary(b)
}

// StepBatch feeds tokens[r] to sessions[r] for every r in one pass: each
// projection is one GEMM with M = len(sessions), so B sequences cost about
// the weight traffic of one. logits is empty or [B, PaddedVocab].
func (m *Model) StepBatch(sessions []*Session, tokens []int, logits []float32) error {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return ErrClosed
	}
	b, _ := m.batches.Get().(*batch)
	if b == nil || !b.Fits(len(sessions)) {
		mb, err := m.eng.NewBatch(max(len(sessions), 1))
		if err != nil {
			return err
		}
		b = &batch{Batch: mb}
	}
	defer m.batches.Put(b)
	b.states = b.states[:0]
	for r, s := range sessions {
		if s == nil || s.m != m || s.s == nil {
			return fmt.Errorf("runtime: batch step: session %d is not a session of this model", r)
		}
		b.states = append(b.states, s.s)
	}
	return b.Step(b.states, tokens, logits)
}

// batch is a pooled batch stepper with the scratch list of its states, so
// that a batched step allocates nothing.
type batch struct {
	*model.Batch
	states []*model.State
}

// StateBytes is the size of a saved session (Save) of this model.
func (s *Session) StateBytes() int {
	if s.lock() == nil {
		return 0
	}
	defer s.unlock()
	return s.m.eng.StateBytes()
}
